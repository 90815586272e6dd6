// The onnxruntime test models (ort-testdata/): qcc's interpreter must match onnxruntime
// (tools/ort/run.mjs, graph optimizations off) on deterministic pseudo-random inputs.
#include "frontend/onnx_import.h"
#include "ir/error.h"
#include "ir/npy.h"
#include "tests/corpus/harness.h"
#include "tests/corpus/ort_models.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fmt/format.h>
#include <set>
#include <sstream>

using namespace qcc;
using namespace qcc::corpus;

namespace {

struct OrtNames {
  std::vector<std::string> inputs, outputs;
};

// The session's input and output names in the order run.mjs takes and writes them.
OrtNames listOrtNames(const std::string &model) {
  CommandResult listed =
      runCommand(fmt::format("{} {} {} --list", shellQuote(nodeExecutable()),
                             shellQuote(sourcePath("tools/ort/run.mjs")), shellQuote(model)));
  if (listed.exitCode != 0) FAIL("run.mjs --list failed:\n" << listed.output);
  OrtNames names;
  std::istringstream lines(listed.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("input ", 0) == 0)
      names.inputs.push_back(line.substr(6));
    else if (line.rfind("output ", 0) == 0)
      names.outputs.push_back(line.substr(7));
  }
  return names;
}

void checkAgainstOrt(const OrtModel &m) {
  std::string model = corpusPath(m.path);
  Graph graph = importOrtModel(m);
  OrtNames names = listOrtNames(model);
  REQUIRE(names.inputs.size() == graph.inputs.size());
  REQUIRE(names.outputs.size() == graph.outputs.size());
  REQUIRE((m.tolerances.empty() || m.tolerances.size() == graph.outputs.size()));

  TempDir tmp;
  Random random(7);
  std::vector<Tensor> inputs;
  std::string command = fmt::format("{} {} {}", shellQuote(nodeExecutable()),
                                    shellQuote(sourcePath("tools/ort/run.mjs")), shellQuote(model));
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    const Value &input = graph.value(graph.inputs[i]);
    INFO("input " << i << " '" << input.name << "'");
    REQUIRE(input.name == names.inputs[i]);
    auto range = std::find_if(m.inputs.begin(), m.inputs.end(),
                              [&](const InputRange &r) { return r.name == input.name; });
    REQUIRE(range != m.inputs.end());
    inputs.push_back(
        randomTensor(TensorType(input.type.dtype, input.type.shape), range->lo, range->hi, random));
    std::string file = tmp.file(fmt::format("input_{}.npy", i));
    writeNpy(file, inputs.back());
    command += " --input " + shellQuote(file);
  }
  for (size_t i = 0; i < graph.outputs.size(); ++i)
    command += " --output " + shellQuote(tmp.file(fmt::format("output_{}.npy", i)));
  CommandResult ort = runCommand(command);
  if (ort.exitCode != 0) FAIL("onnxruntime failed (" << command << "):\n" << ort.output);

  forEachLevel(graph, [&](const Graph &leveled) {
    std::vector<Tensor> outputs = runGraph(leveled, inputs);
    REQUIRE(outputs.size() == graph.outputs.size());
    for (size_t i = 0; i < outputs.size(); ++i) {
      Tensor expected = readNpy(tmp.file(fmt::format("output_{}.npy", i)));
      Tolerance tolerance = m.tolerances.empty() ? Tolerance{} : m.tolerances.at(i);
      std::optional<std::string> mismatch = compareTensors(outputs[i], expected, tolerance);
      if (mismatch)
        FAIL_CHECK("output " << i << " '" << names.outputs[i] << "': " << *mismatch);
      else
        SUCCEED();
    }
  });
}

} // namespace

TEST_CASE("ort-testdata models match onnxruntime", "[ort]") {
  for (const OrtModel &m : ortModels()) DYNAMIC_SECTION(m.path) {
      checkAgainstOrt(m);
    }
}

TEST_CASE("ort-testdata every model is listed", "[ort]") {
  std::set<std::string> listed;
  for (const OrtModel &m : ortModels()) listed.insert(m.path);
  std::set<std::string> found;
  for (const auto &entry :
       std::filesystem::recursive_directory_iterator(corpusPath("ort-testdata")))
    if (entry.path().extension() == ".onnx")
      found.insert(entry.path().lexically_relative(corpusDir()).string());
  CHECK(found == listed);
}
