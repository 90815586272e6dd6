// main() of the corpus suites. A suite whose prerequisites are missing (the shared corpus next to
// the repository, or node with tools/ort/node_modules for the onnxruntime oracle) reports itself
// skipped: exit code 4, which the ctest tests declare as SKIP_RETURN_CODE. Listing the tests
// (what catch_discover_tests does at build time) works without them. Tests tagged [aarch64]
// also need the AArch64 cross compiler and emulator.
#define CATCH_CONFIG_RUNNER
#include "tests/corpus/harness.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

namespace {

constexpr int kSkipped = 4;

// Why this suite cannot run here, or "" when it can.
std::string missingPrerequisite() {
  namespace fs = std::filesystem;
  using namespace qcc::corpus;
  std::error_code ec;
  if (QCC_NEEDS_CORPUS && !fs::is_directory(corpusDir(), ec))
    return "corpus not found at " + corpusDir() + ": skipped";
  if (QCC_NEEDS_ORT) {
    if (runCommand(shellQuote(nodeExecutable()) + " --version").exitCode != 0)
      return "node not found (set NODE or put node on PATH); install it and the onnxruntime "
             "oracle with tools/install-deps: skipped";
    if (!fs::is_directory(sourcePath("tools/ort/node_modules/onnxruntime-node"), ec))
      return sourcePath("tools/ort/node_modules") +
             " has no onnxruntime-node; install it with tools/install-deps (or `cd tools/ort && "
             "npm ci`): skipped";
  }
  return "";
}

// True when every test the command line selects is tagged [aarch64]: the ctest entry of a test
// that needs the AArch64 cross tools.
bool onlyCrossTests(Catch::Session &session) {
  const Catch::Config &config = session.config();
  std::vector<Catch::TestCase> tests =
      Catch::filterTests(Catch::getAllTestCasesSorted(config), config.testSpec(), config);
  return !tests.empty() && std::all_of(tests.begin(), tests.end(), [](const Catch::TestCase &t) {
    return std::find(t.lcaseTags.begin(), t.lcaseTags.end(), "aarch64") != t.lcaseTags.end();
  });
}

} // namespace

int main(int argc, char *argv[]) {
  Catch::Session session;
  if (int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  const Catch::ConfigData &config = session.configData();
  bool onlyListing = config.listTests || config.listTestNamesOnly || config.listTags ||
                     config.listReporters || config.showHelp;
  if (!onlyListing) {
    if (std::string why = missingPrerequisite(); !why.empty()) {
      std::printf("%s\n", why.c_str());
      return kSkipped;
    }
    if (!qcc::corpus::crossToolsFound() && onlyCrossTests(session)) {
      std::printf("aarch64-linux-gnu-gcc or qemu-aarch64-static not found (install them with "
                  "tools/install-deps): skipped\n");
      return kSkipped;
    }
  }
  int failures = session.run();
  qcc::corpus::printOnnxNodeSummary();
  // Catch returns the number of failed assertions; 4 of them must not read as "skipped".
  return failures == 0 ? 0 : 1;
}
