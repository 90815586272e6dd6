#include "codegen/target.h"

#include "ir/error.h"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <llvm/ADT/StringMap.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>

namespace qcc {

std::string llvmVersion() {
  return LLVM_VERSION_STRING;
}

std::string hostTriple() {
  return llvm::sys::getDefaultTargetTriple();
}

std::string hostCpu() {
  return llvm::sys::getHostCPUName().str();
}

bool hasBackend(const std::string &arch) {
  llvm::InitializeAllTargetInfos();
  for (const llvm::Target &t : llvm::TargetRegistry::targets())
    if (arch == t.getName()) return true;
  return false;
}

namespace {

constexpr const char *kX86Triple = "x86_64-unknown-linux-gnu";
constexpr const char *kAArch64Triple = "aarch64-unknown-linux-gnu";
// Bare-metal Armv7E-M with the hard-float calling convention (the AEABI environment "eabihf").
constexpr const char *kCortexMTriple = "thumbv7em-unknown-none-eabihf";

// The host target: LLVM's CPU name and feature list, and the kernel parameters the features
// allow. Features are sorted so that the same machine always gives the same string.
CodegenTarget hostTarget() {
  CodegenTarget t;
  t.name = "native";
  t.triple = llvm::Triple::normalize(llvm::sys::getProcessTriple());
  t.cpu = hostCpu();
  std::vector<std::string> features;
  auto hostFeatures = llvm::sys::getHostCPUFeatures();
  auto has = [&](const char *f) {
    auto it = hostFeatures.find(f);
    return it != hostFeatures.end() && it->second;
  };
  for (const auto &entry : hostFeatures)
    features.push_back((entry.second ? "+" : "-") + entry.first().str());
  std::sort(features.begin(), features.end());
  t.features = fmt::format("{}", fmt::join(features, ","));
  llvm::Triple triple(t.triple);
  if (triple.isX86()) {
    t.vectorBits = has("avx512f") && has("avx512bw") ? 512 : has("avx2") ? 256 : 64;
    t.vectorPopcount = has("avx512vpopcntdq");
    t.int8DotProduct = has("avx512vnni");
  } else if (triple.isAArch64()) {
    t.vectorBits = 128;
    t.vectorPopcount = true; // NEON (cnt) is part of the AArch64 base ISA on Linux
    t.int8DotProduct = has("dotprod");
  }
  return t;
}

} // namespace

std::vector<std::string> targetNames() {
  return {"x86_64",          "x86_64-v3", "x86_64-v4", "native",     "aarch64",
          "aarch64-dotprod", "cortex-m4", "cortex-m7", "cortex-a53", "cortex-a76"};
}

CodegenTarget resolveTarget(const std::string &name) {
  if (name == "native") return hostTarget();
  CodegenTarget t;
  if (name == "x86_64") {
    // x86-64-v2 is the oldest level with popcnt (and SSE4.2); kernels use 64-bit words.
    t = {name, kX86Triple, "x86-64-v2", "+popcnt", 64, false, false};
  } else if (name == "x86_64-v3") {
    // AVX2: LLVM expands a vector llvm.ctpop into the pshufb nibble lookup.
    t = {name, kX86Triple, "x86-64-v3", "+avx2,+popcnt", 256, false, false};
  } else if (name == "x86_64-v4") {
    t = {name, kX86Triple, "x86-64-v4", "+avx512vpopcntdq,+avx512bitalg,+avx512vnni,+popcnt",
         512,  true,       true};
  } else if (name == "aarch64" || name == "cortex-a53") {
    t = {name, kAArch64Triple, "generic", "+neon", 128, true, false};
  } else if (name == "aarch64-dotprod" || name == "cortex-a76") {
    t = {name, kAArch64Triple, "cortex-a76", "+neon,+dotprod", 128, true, true};
  } else if (name == "cortex-m4" || name == "cortex-m7") {
    // No vector unit and no popcount instruction: kernels use 64-bit words (register pairs) and
    // LLVM's bit-twiddling ctpop. The CPU implies the FPU (FPv4-SP on the M4, FPv5 on the M7).
    t = {name, kCortexMTriple, name, "", 64, false, false};
  } else {
    fail("unknown target '{}' (known targets: {})", name, fmt::join(targetNames(), ", "));
  }
  return t;
}

} // namespace qcc
