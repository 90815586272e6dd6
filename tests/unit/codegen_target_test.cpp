#include "codegen/target.h"

#include <catch2/catch.hpp>

TEST_CASE("LLVM has the backends qcc generates code for", "[codegen]") {
  CHECK(qcc::llvmVersion().rfind("19.1", 0) == 0);
  CHECK(qcc::hasBackend("x86-64"));
  CHECK(qcc::hasBackend("aarch64"));
  CHECK(qcc::hasBackend("thumb"));
  CHECK_FALSE(qcc::hasBackend("no-such-arch"));
}

TEST_CASE("the host triple names this machine's architecture", "[codegen]") {
#if defined(__x86_64__)
  CHECK(qcc::hostTriple().rfind("x86_64", 0) == 0);
#elif defined(__aarch64__)
  CHECK(qcc::hostTriple().rfind("aarch64", 0) == 0);
#endif
  CHECK_FALSE(qcc::hostCpu().empty());
}
