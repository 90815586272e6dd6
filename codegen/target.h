// Code generation targets qcc knows, and what LLVM reports about the host. This header does
// not expose LLVM types.
#pragma once

#include <string>
#include <vector>

namespace qcc {

// "19.1.7": the LLVM release qcc generates code with.
std::string llvmVersion();
// The host's target triple and CPU name as LLVM detects them.
std::string hostTriple();
std::string hostCpu();
// Whether LLVM was built with a backend for `arch` ("x86-64", "aarch64", "thumb").
bool hasBackend(const std::string &arch);

// A `--target` resolved to what LLVM and the kernel emitters need.
struct CodegenTarget {
  std::string name;     // the qcc target name: x86_64, x86_64-v3, x86_64-v4, aarch64, ...
  std::string triple;   // LLVM target triple
  std::string cpu;      // LLVM CPU name
  std::string features; // LLVM feature string, e.g. "+popcnt,+avx2"
  // Widest integer vector the kernels should use (64 = scalar words only).
  unsigned vectorBits = 64;
  // A vector popcount instruction (AVX-512 VPOPCNTDQ, NEON cnt); without it LLVM expands
  // llvm.ctpop on vectors (pshufb nibble lookup on AVX2).
  bool vectorPopcount = false;
  // An int8 dot-product instruction (AVX-512 VNNI, AArch64 dotprod).
  bool int8DotProduct = false;
};

// The names `--target` accepts, in the order `qcc compile --help` lists them.
std::vector<std::string> targetNames();
// Resolves a target name ("native" detects the host); fails with the list of known names.
CodegenTarget resolveTarget(const std::string &name);

} // namespace qcc
