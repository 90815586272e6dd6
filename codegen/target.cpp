#include "codegen/target.h"

#include <llvm/Config/llvm-config.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/TargetParser/Host.h>

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

} // namespace qcc
