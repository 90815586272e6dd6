// Fuzz target: arbitrary text through the IR parser; a graph that parses is verified (at every
// level at once) and must print to text that parses back and prints the same (printer.h's
// round-trip promise).
#include "ir/error.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "tests/fuzz/fuzz_common.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  qcc::fuzz::silenceWarnings();
  qcc::Graph graph;
  try {
    graph = qcc::parseGraph(qcc::fuzz::bytesOf(data, size), "fuzz.qir");
  } catch (const qcc::Error &) {
    return 0;
  }
  std::string printed = qcc::printGraph(graph);
  std::string reprinted;
  try {
    reprinted = qcc::printGraph(qcc::parseGraph(printed, "printed.qir"));
  } catch (const qcc::Error &e) {
    std::fprintf(stderr, "printed graph does not parse: %s\n%s", e.what(), printed.c_str());
    std::abort();
  }
  if (reprinted != printed) {
    std::fprintf(stderr, "print(parse(print(g))) != print(g):\n%s---\n%s", printed.c_str(),
                 reprinted.c_str());
    std::abort();
  }
  try {
    qcc::verify(graph, static_cast<qcc::Level>(qcc::kAllLevels));
  } catch (const qcc::Error &) {
  }
  return 0;
}
