// The target the kernel tests run their compiled code for: QCC_TEST_TARGET (set by the ctest
// entries that repeat the kernel tests per x86 target, tests/CMakeLists.txt), else the host.
#pragma once

#include <cstdlib>
#include <string>

namespace qcc {

inline std::string testTarget() {
  const char *target = std::getenv("QCC_TEST_TARGET");
  return target && *target ? target : "native";
}

} // namespace qcc
