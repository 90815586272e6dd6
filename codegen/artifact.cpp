#include "codegen/artifact.h"

#include "codegen/module_builder.h"
#include "codegen/x86_dispatch.h"
#include "codegen/x86_features.h"
#include "ir/error.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/Object/ArchiveWriter.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Triple.h>
#include <llvm/Transforms/Utils/Cloning.h>
#include <sstream>
#include <unistd.h>

namespace qcc {
namespace {

// Code generation changes the module it runs on, so each output is emitted from a copy.
std::string emitCode(const llvm::Module &module, llvm::TargetMachine &machine,
                     llvm::CodeGenFileType type) {
  std::unique_ptr<llvm::Module> copy = llvm::CloneModule(module);
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, os, nullptr, type))
    fail("internal error: LLVM cannot emit code for {}", machine.getTargetTriple().str());
  passes.run(*copy);
  return std::string(buffer.data(), buffer.size());
}

// Bare metal has no unwinder. On ARM an unwind table entry also references libgcc's
// __aeabi_unwind_cpp_pr0, which would pull the unwinder into the firmware.
void dropUnwindTables(llvm::Module &module) {
  for (llvm::Function &f : module)
    if (!f.isDeclaration()) f.setUWTableKind(llvm::UWTableKind::None);
}

std::string llvmMessage(llvm::Error error) {
  return llvm::toString(std::move(error));
}

// On 32-bit Arm, the floating-point helpers of the Arm run-time ABI (libgcc or compiler-rt,
// linked by every Arm C compiler driver) do the double-precision arithmetic of float kernels
// that a single-precision FPU such as the Cortex-M4's cannot. Integer division helpers are not
// among them: kernels must not divide 64-bit integers at run time.
bool isArmFloatHelper(llvm::StringRef symbol) {
  static const char *const kHelpers[] = {
      "__aeabi_dadd",   "__aeabi_dsub",    "__aeabi_drsub",   "__aeabi_dmul",     "__aeabi_ddiv",
      "__aeabi_dcmpeq", "__aeabi_dcmplt",  "__aeabi_dcmple",  "__aeabi_dcmpge",   "__aeabi_dcmpgt",
      "__aeabi_dcmpun", "__aeabi_cdcmpeq", "__aeabi_cdcmple", "__aeabi_cdrcmple", "__aeabi_i2d",
      "__aeabi_ui2d",   "__aeabi_l2d",     "__aeabi_ul2d",    "__aeabi_f2d",      "__aeabi_d2f",
      "__aeabi_d2iz",   "__aeabi_d2uiz",   "__aeabi_d2lz",    "__aeabi_d2ulz",    "__aeabi_f2lz",
      "__aeabi_f2ulz",  "__aeabi_l2f",     "__aeabi_ul2f"};
  for (const char *helper : kHelpers)
    if (symbol == helper) return true;
  return false;
}

// The object may only need memcpy and memset from outside (DESIGN §7; on Arm also the float
// helpers above): code generation lowers some intrinsics (e.g. llvm.exp) to libm calls, which
// the module check cannot see.
void checkUndefinedSymbols(const std::string &object, const std::string &name,
                           const llvm::Triple &triple) {
  llvm::MemoryBufferRef ref(object, name + ".o");
  auto file = llvm::object::ObjectFile::createObjectFile(ref);
  if (!file)
    fail("internal error: cannot read the emitted object: {}", llvmMessage(file.takeError()));
  for (const llvm::object::SymbolRef &symbol : (*file)->symbols()) {
    auto flags = symbol.getFlags();
    if (!flags) fail("internal error: {}", llvmMessage(flags.takeError()));
    if (!(*flags & llvm::object::SymbolRef::SF_Undefined)) continue;
    auto symbolName = symbol.getName();
    if (!symbolName) fail("internal error: {}", llvmMessage(symbolName.takeError()));
    if (symbolName->empty() || *symbolName == "memcpy" || *symbolName == "memset") continue;
    if ((triple.isARM() || triple.isThumb()) && isArmFloatHelper(*symbolName)) continue;
    fail("the generated code for '{}' calls '{}', which the library does not contain (a kernel "
         "needs a function outside memcpy and memset)",
         name, symbolName->str());
  }
}

std::string archive(const std::string &object, const std::string &name) {
  std::vector<llvm::NewArchiveMember> members(1);
  std::string memberName = name + ".o";
  members[0].Buf = llvm::MemoryBuffer::getMemBuffer(object, memberName, false);
  members[0].MemberName = memberName;
  auto result = llvm::writeArchiveToBuffer(members, llvm::SymtabWritingMode::NormalSymtab,
                                           llvm::object::Archive::K_GNU, true, false);
  if (!result)
    fail("internal error: cannot write the archive: {}", llvmMessage(result.takeError()));
  return std::string((*result)->getBuffer());
}

} // namespace

Artifact buildArtifact(const Graph &graph, const std::string &name, const CodegenTarget &target,
                       const ArtifactRequest &request, const ParallelOptions &parallel) {
  return buildArtifact(graph, name, std::vector<CodegenTarget>{target}, request, parallel);
}

std::vector<CodegenTarget> resolveTargetList(const std::string &list) {
  std::vector<CodegenTarget> targets;
  std::stringstream items(list);
  std::string item;
  while (std::getline(items, item, ',')) targets.push_back(resolveTarget(item));
  if (targets.empty()) fail("no target given");
  if (targets.size() == 1) return targets;
  for (const CodegenTarget &t : targets) {
    if (t.name == "native" || !llvm::Triple(t.triple).isX86())
      fail("target '{}' cannot be part of a list: a library dispatches among x86_64 targets only "
           "(x86_64, x86_64-v3, x86_64-v4)",
           t.name);
    x86StateMask(t); // fails for a target that is not an x86-64 level
  }
  std::stable_sort(targets.begin(), targets.end(),
                   [](const CodegenTarget &a, const CodegenTarget &b) {
                     return x86Requirements(a).size() < x86Requirements(b).size();
                   });
  for (size_t i = 1; i < targets.size(); ++i)
    if (targets[i].name == targets[i - 1].name)
      fail("target '{}' is listed twice", targets[i].name);
  return targets;
}

Artifact buildArtifact(const Graph &graph, const std::string &name,
                       const std::vector<CodegenTarget> &targets, const ArtifactRequest &request,
                       const ParallelOptions &parallel) {
  if (targets.empty()) fail("internal error: no target to compile for");
  if (parallel.threads > 1 && targets.size() > 1)
    fail("a library for several targets has no parallel entry point: compile it for one target "
         "to use threads");
  const CodegenTarget &target = targets.front();
  std::unique_ptr<llvm::TargetMachine> machine = codegen::createTargetMachine(target);
  llvm::LLVMContext context;
  codegen::BuiltModule built =
      targets.size() == 1
          ? codegen::buildModule(graph, name, target, *machine, context, {}, parallel)
          : codegen::buildDispatchModule(graph, name, targets, context);
  if (llvm::Triple(target.triple).getOS() == llvm::Triple::UnknownOS)
    dropUnwindTables(*built.module);
  Artifact artifact;
  artifact.arenaBytes = built.arenaBytes;
  artifact.slicedOps = built.slicedOps;
  if (request.library || request.object) {
    std::string object = emitCode(*built.module, *machine, llvm::CodeGenFileType::ObjectFile);
    checkUndefinedSymbols(object, name, llvm::Triple(target.triple));
    if (request.library) artifact.library = archive(object, name);
    if (request.object) artifact.object = std::move(object);
  }
  if (request.assembly)
    artifact.assembly = emitCode(*built.module, *machine, llvm::CodeGenFileType::AssemblyFile);
  if (request.llvmIr) {
    llvm::raw_string_ostream os(artifact.llvmIr);
    built.module->print(os, nullptr);
  }
  if (request.header)
    artifact.header = cHeader(graph, name, built.arenaBytes, request.source, parallel.threads);
  return artifact;
}

void writeFilesAtomically(const std::vector<std::pair<std::string, std::string>> &files) {
  std::vector<std::string> temporaries;
  auto removeTemporaries = [&] {
    for (const std::string &t : temporaries) std::remove(t.c_str());
  };
  // Renaming a file onto a folder fails: found before anything is written.
  for (const auto &file : files)
    if (std::filesystem::is_directory(file.first))
      fail("cannot write '{}': it is a folder", file.first);
  for (const auto &[path, bytes] : files) {
    std::string temporary = fmt::format("{}.qcc-tmp-{}", path, static_cast<long>(getpid()));
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) {
      int err = errno;
      removeTemporaries();
      fail("cannot write '{}': {}", path, std::strerror(err));
    }
    temporaries.push_back(temporary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      removeTemporaries();
      fail("cannot write '{}': write failed", path);
    }
  }
  for (size_t i = 0; i < files.size(); ++i) {
    std::error_code ec;
    std::filesystem::rename(temporaries[i], files[i].first, ec);
    if (ec) {
      for (size_t j = i; j < temporaries.size(); ++j) std::remove(temporaries[j].c_str());
      fail("cannot write '{}': {}", files[i].first, ec.message());
    }
  }
}

} // namespace qcc
