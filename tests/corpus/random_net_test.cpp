// Models nobody has seen (issue #5): random quantized networks (tests/support/random_net.h) taken
// through the standard lowered pipeline, compiled for the host and run; every output must equal
// the interpreter's on the same lowered graph bit for bit, and together the networks must use
// every kernel family select_kernels picks.
#include "ir/diagnostics.h"
#include "tests/corpus/harness.h"
#include "tests/support/random_net.h"

#include <catch2/catch.hpp>
#include <map>

using namespace qcc;
using namespace qcc::corpus;

namespace {

// 120 networks take about 8 s of CPU in the RelWithDebInfo build. Under the sanitizers (Debug),
// every JIT compilation is several times slower, so that build checks the first 40 seeds, which
// still reach every kernel family.
const uint32_t kNetworks = sanitizedBuild() ? 40 : 120;

} // namespace

TEST_CASE("random quantized networks compiled give the interpreter's outputs",
          "[random][compiled]") {
  std::map<std::string, int> kernels;
  for (uint32_t seed = 1; seed <= kNetworks; ++seed) {
    // Even seeds also draw 16-bit activations, whose MACs take the int32 kernel.
    qcc::test::RandomNet net(seed, seed % 2 == 0);
    net.build();
    Graph graph;
    {
      // Wide codes keep some quantizers float ("more than 8 bits"): expected, not news.
      WarningCollector warnings;
      graph = atLevel(net.graph, kLoweredLevel);
    }
    for (const Op &op : graph.ops)
      if (op.has("kernel")) ++kernels[op.getString("kernel")];
    std::vector<std::vector<Tensor>> inputs;
    for (int trial = 0; trial < 4; ++trial) inputs.push_back(net.inputs());
    std::optional<std::string> problem = compareCompiled(graph, inputs);
    if (problem)
      FAIL_CHECK("seed " << seed << ": " << *problem);
    else
      SUCCEED();
  }
  for (const char *family : {"binary", "ternary", "bitserial", "int8", "int32"}) {
    INFO("kernel family " << family);
    CHECK(kernels[family] > 0);
  }
}
