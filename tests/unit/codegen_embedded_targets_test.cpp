// The embedded targets and aliases of issue #8 (docs/embedding.md): what each name resolves to.
#include "codegen/target.h"

#include <catch2/catch.hpp>

using namespace qcc;

TEST_CASE("Cortex-M targets: bare-metal Thumb, hard float, scalar 64-bit words", "[codegen]") {
  for (const char *name : {"cortex-m4", "cortex-m7"}) {
    INFO("target " << name);
    CodegenTarget t = resolveTarget(name);
    CHECK(t.name == name);
    CHECK(t.triple == "thumbv7em-unknown-none-eabihf");
    CHECK(t.cpu == name);
    CHECK(t.vectorBits == 64);
    CHECK_FALSE(t.vectorPopcount);
    CHECK_FALSE(t.int8DotProduct);
  }
}

TEST_CASE("Cortex-A aliases resolve like the AArch64 targets they name", "[codegen]") {
  for (auto [alias, base] :
       {std::pair{"cortex-a53", "aarch64"}, std::pair{"cortex-a76", "aarch64-dotprod"}}) {
    INFO(alias << " = " << base);
    CodegenTarget a = resolveTarget(alias), b = resolveTarget(base);
    CHECK(a.name == alias);
    CHECK(a.triple == b.triple);
    CHECK(a.cpu == b.cpu);
    CHECK(a.features == b.features);
    CHECK(a.vectorBits == b.vectorBits);
    CHECK(a.vectorPopcount == b.vectorPopcount);
    CHECK(a.int8DotProduct == b.int8DotProduct);
  }
}

TEST_CASE("the new targets follow the existing ones in the target list", "[codegen]") {
  std::vector<std::string> names = targetNames();
  REQUIRE(names.size() == 10);
  CHECK(names[5] == "aarch64-dotprod");
  CHECK(std::vector<std::string>(names.begin() + 6, names.end()) ==
        std::vector<std::string>{"cortex-m4", "cortex-m7", "cortex-a53", "cortex-a76"});
}
