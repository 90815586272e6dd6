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

} // namespace qcc
