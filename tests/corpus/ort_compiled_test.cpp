// The onnxruntime test models (ort-testdata/) through the code generator, on the inputs the
// onnxruntime comparison uses (the same seed and ranges): compiled for the host and for AArch64,
// each must give the interpreter's outputs on its lowered graph bit for bit. Needs no
// onnxruntime.
#include "tests/corpus/harness.h"
#include "tests/corpus/ort_models.h"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace qcc;
using namespace qcc::corpus;

namespace {

std::vector<Tensor> ortInputs(const OrtModel &m, const Graph &graph) {
  Random random(7);
  std::vector<Tensor> inputs;
  for (ValueId id : graph.inputs) {
    const Value &input = graph.value(id);
    auto range = std::find_if(m.inputs.begin(), m.inputs.end(),
                              [&](const InputRange &r) { return r.name == input.name; });
    REQUIRE(range != m.inputs.end());
    inputs.push_back(
        randomTensor(TensorType(input.type.dtype, input.type.shape), range->lo, range->hi, random));
  }
  return inputs;
}

} // namespace

TEST_CASE("ort-testdata compiled code matches the interpreter", "[ort][compiled]") {
  for (const OrtModel &m : ortModels()) DYNAMIC_SECTION(m.path) {
      if (sanitizedBuild() && heavyForSanitizers(m.path)) continue;
      Graph graph = atLevel(importOrtModel(m), kLoweredLevel);
      std::optional<std::string> problem = compareCompiled(graph, ortInputs(m, graph));
      if (problem)
        FAIL_CHECK(m.path << ": " << *problem);
      else
        SUCCEED(m.path);
    }
}

TEST_CASE("ort-testdata compiled for AArch64 give the interpreter's outputs", "[ort][aarch64]") {
  if (!crossToolsFound()) {
    WARN("aarch64-linux-gnu-gcc or qemu-aarch64-static not found: skipped");
    return;
  }
  std::vector<CrossCase> cases;
  for (const OrtModel &m : ortModels()) {
    if (sanitizedBuild() && heavyForSanitizers(m.path)) continue;
    Graph graph = importOrtModel(m);
    std::vector<Tensor> inputs = ortInputs(m, graph);
    cases.push_back({m.path, std::move(graph), std::move(inputs)});
  }
  std::string failures = crossCheck(cases);
  if (!failures.empty()) FAIL(failures);
}
