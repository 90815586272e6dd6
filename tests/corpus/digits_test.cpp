// The example models in examples/digits (in the repository, so these run everywhere): each must
// classify the 360 test images with exactly the accuracy examples/digits/README.md reports, which
// an independent numpy executor (examples/digits/qonnx_ref.py) computed.
#include "frontend/onnx_import.h"
#include "ir/npy.h"
#include "tests/corpus/harness.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fstream>
#include <regex>

using namespace qcc;
using namespace qcc::corpus;

namespace {

const char *const kDigitsModels[] = {"digits_float.onnx", "digits_w1a1.onnx", "digits_ternary.onnx",
                                     "digits_w2a2.onnx"};

std::string digitsPath(const std::string &file) {
  return sourcePath("examples/digits/" + file);
}

// The README's count of correctly classified test images for `model`: its table row ends with
// the qonnx_ref.py column, e.g. "| 0.9306 (335/360) |".
int64_t readmeCorrectCount(const std::string &model) {
  std::ifstream readme(digitsPath("README.md"));
  REQUIRE(readme);
  static const std::regex lastCount(R"(\((\d+)/360\)\s*\|\s*$)");
  for (std::string line; std::getline(readme, line);) {
    std::smatch match;
    if (line.rfind("| `" + model + "`", 0) == 0 && std::regex_search(line, match, lastCount))
      return std::stoll(match[1]);
  }
  FAIL("examples/digits/README.md has no accuracy row for " << model);
  return -1;
}

} // namespace

TEST_CASE("examples digits models reach the README accuracy", "[examples]") {
  Tensor images = readNpy(digitsPath("test_x.npy"));
  Tensor labels = readNpy(digitsPath("test_y.npy"));
  REQUIRE(images.shape() == Shape{360, 1, 8, 8});
  REQUIRE(labels.shape() == Shape{360});
  for (std::string model : kDigitsModels) {
    DYNAMIC_SECTION(model) {
      forEachLevel(importOnnxFile(digitsPath(model)), [&](const Graph &graph) {
        int64_t correct = 0;
        for (int64_t i = 0; i < 360; ++i) {
          std::vector<Tensor> outputs = runGraph(graph, {batchItem(images, i)});
          REQUIRE(outputs.size() == 1);
          REQUIRE(outputs[0].shape() == Shape{1, 10});
          correct += argmax(outputs[0]) == labels.getInt(i);
        }
        CHECK(correct == readmeCorrectCount(model));
      });
    }
  }
}

TEST_CASE("examples digits models survive the text IR round trip", "[examples][text]") {
  Tensor images = readNpy(digitsPath("test_x.npy"));
  std::vector<Tensor> firstImage = {batchItem(images, 0)};
  for (std::string model : kDigitsModels) {
    DYNAMIC_SECTION(model) {
      std::optional<std::string> problem =
          checkTextRoundTrip(importOnnxFile(digitsPath(model)), model, &firstImage);
      if (problem)
        FAIL_CHECK(model << ": " << *problem);
      else
        SUCCEED(model);
    }
  }
}

TEST_CASE("examples digits models compiled give the interpreter's outputs",
          "[examples][compiled]") {
  Tensor images = readNpy(digitsPath("test_x.npy"));
  // All 360 images; the first 40 in the sanitized build, where each run is much slower.
  int64_t count = sanitizedBuild() ? 40 : images.shape()[0];
  std::vector<std::vector<Tensor>> inputs;
  for (int64_t i = 0; i < count; ++i) inputs.push_back({batchItem(images, i)});
  for (std::string model : kDigitsModels) {
    DYNAMIC_SECTION(model) {
      Graph graph = atLevel(importOnnxFile(digitsPath(model)), kLoweredLevel);
      std::optional<std::string> problem = compareCompiled(graph, inputs);
      if (problem)
        FAIL_CHECK(model << ": " << *problem);
      else
        SUCCEED(model);
    }
  }
}

TEST_CASE("examples digits models compiled for AArch64 give the interpreter's outputs",
          "[examples][aarch64]") {
  if (!crossToolsFound()) {
    WARN("aarch64-linux-gnu-gcc or qemu-aarch64-static not found: skipped");
    return;
  }
  Tensor images = readNpy(digitsPath("test_x.npy"));
  std::vector<CrossCase> cases;
  for (std::string model : kDigitsModels)
    for (int64_t image : {0, 1})
      cases.push_back({fmt::format("{} on image {}", model, image),
                       importOnnxFile(digitsPath(model)),
                       {batchItem(images, image)}});
  std::string failures = crossCheck(cases);
  if (!failures.empty()) FAIL(failures);
}
