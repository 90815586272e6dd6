// The kernel tests' main: with QCC_TEST_TARGET naming a target this host cannot run (e.g.
// x86_64-v4 without AVX-512 VPOPCNTDQ), exits 4, which ctest reports as skipped.
#define CATCH_CONFIG_RUNNER
#include "codegen/jit.h"
#include "tests/unit/codegen_test_target.h"

#include <catch2/catch.hpp>
#include <cstdio>

int main(int argc, char **argv) {
  std::string target = qcc::testTarget();
  if (!qcc::hostRuns(qcc::resolveTarget(target))) {
    std::printf("skipped: this host cannot run code for target %s\n", target.c_str());
    return 4;
  }
  return Catch::Session().run(argc, argv);
}
