// The QONNX/FINN/Brevitas/QKeras models of the corpus (qonnx/, see its MANIFEST.txt and
// SOURCE.txt): the TFC MLPs must classify the MNIST samples as labelled, models with reference
// outputs must reproduce them, and the others must import and run with outputs that satisfy what
// their last op guarantees.
#include "frontend/onnx_import.h"
#include "ir/error.h"
#include "ir/npy.h"
#include "tests/corpus/harness.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <map>
#include <set>

using namespace qcc;
using namespace qcc::corpus;

namespace {

std::string qonnxPath(const std::string &file) {
  return corpusPath("qonnx/" + file);
}

// Pixels 0..255 scaled to [0,1] in float32, the input convention of the Brevitas TFC models.
Tensor scaledPixels(const Tensor &raw) {
  Tensor scaled(DType::f32, raw.shape());
  for (int64_t i = 0; i < raw.numel(); ++i) scaled.data<float>()[i] = raw.data<float>()[i] / 255.0f;
  return scaled;
}

// The digits and their labels: the four FINN test images ([4,1,28,28], labels 7 2 1 0) and
// the finn-examples MNIST sample ([1,1,28,28], label 7).
struct Digit {
  std::string source;
  Tensor pixels; // raw 0..255, [1,1,28,28]
  int64_t label;
};

std::vector<Digit> mnistDigits() {
  std::vector<Digit> digits;
  Tensor images = readNpy(qonnxPath("finn_tfc_w1a1_streamlined.input.npy"));
  Tensor labels = readNpy(qonnxPath("finn_tfc_w1a1_streamlined.expected_output.npy"));
  REQUIRE(images.shape() == Shape{4, 1, 28, 28});
  REQUIRE(labels.shape() == Shape{4});
  for (int64_t i = 0; i < 4; ++i)
    digits.push_back({fmt::format("finn_tfc_w1a1_streamlined.input.npy[{}]", i),
                      batchItem(images, i), labels.getInt(i)});
  Tensor sample = readNpy(qonnxPath("mnist_sample.input.npy"));
  Tensor sampleLabel = readNpy(qonnxPath("mnist_sample.label.npy"));
  REQUIRE(sample.shape() == Shape{1, 1, 28, 28});
  REQUIRE(sampleLabel.numel() == 1);
  digits.push_back({"mnist_sample.input.npy", sample, sampleLabel.getInt(0)});
  return digits;
}

} // namespace

TEST_CASE("qonnx Brevitas TFC models classify the MNIST samples", "[qonnx]") {
  std::vector<Digit> digits = mnistDigits();
  CHECK(digits.size() == 5);
  for (std::string model : {"TFC_1W1A.onnx", "TFC_1W2A.onnx", "TFC_2W2A.onnx"}) {
    DYNAMIC_SECTION(model) {
      forEachLevel(importOnnxFile(qonnxPath(model)), [&](const Graph &graph) {
        for (const Digit &digit : digits) {
          std::vector<Tensor> outputs = runGraph(graph, {scaledPixels(digit.pixels)});
          REQUIRE(outputs.size() == 1);
          REQUIRE(outputs[0].shape() == Shape{1, 10});
          INFO(model << " on " << digit.source);
          CHECK(argmax(outputs[0]) == digit.label);
        }
      });
    }
  }
}

TEST_CASE("qonnx FINN streamlined TFC gives the expected classes", "[qonnx]") {
  forEachLevel(importOnnxFile(qonnxPath("finn_tfc_w1a1_streamlined.onnx")), [](const Graph &graph) {
    for (const Digit &digit : mnistDigits()) {
      // Raw pixels: the model's first op divides by 255 itself. Its output is TopK's index, [1,1].
      std::vector<Tensor> outputs = runGraph(graph, {digit.pixels});
      REQUIRE(outputs.size() == 1);
      REQUIRE(outputs[0].numel() == 1);
      INFO(digit.source);
      CHECK(outputs[0].getInt(0) == digit.label);
    }
  });
}

namespace {

// A model without a reference output, its input and what its output must satisfy.
struct QonnxRun {
  std::string model;
  std::function<Tensor(const TensorType &)> input;
  // nullopt when `output` is acceptable for `input`, else why not.
  std::function<std::optional<std::string>(const Tensor &input, const Tensor &output)> check;
};

Tensor randomInput(const TensorType &type, double lo, double hi) {
  Random random(20240601);
  return randomTensor(type, lo, hi, random);
}

Tensor fixedInput(const TensorType &type, const std::vector<float> &values) {
  return Tensor::fromVector(DType::f32, type.shape, values);
}

// Every element is k * step for an integer k in [lo, hi].
std::optional<std::string> onGrid(const Tensor &t, double step, int64_t lo, int64_t hi) {
  for (int64_t i = 0; i < t.numel(); ++i) {
    double k = t.getDouble(i) / step;
    if (!(k == std::nearbyint(k) && k >= static_cast<double>(lo) && k <= static_cast<double>(hi)))
      return fmt::format("element {} = {} is not k * {} for an integer k in [{}, {}]", i,
                         t.getDouble(i), step, lo, hi);
  }
  return std::nullopt;
}

// Elementwise reference: every output element is f(input element), exactly.
std::optional<std::string> matchesElementwise(const Tensor &input, const Tensor &output,
                                              const std::function<float(float)> &f) {
  Tensor expected(DType::f32, input.shape());
  for (int64_t i = 0; i < input.numel(); ++i) expected.data<float>()[i] = f(input.data<float>()[i]);
  return compareTensors(
      output, expected,
      Tolerance{.rtol = 0, .atol = 0, .offBy = 0, .maxOff = 0, .reason = "exact"});
}

// A Quant(scale, zero point 0, bits) as the QONNX reference computes it in float32:
// clamp(x / scale, qmin, qmax), rounded half to even, times scale.
float quantRef(float x, float scale, float qmin, float qmax) {
  return std::nearbyint(std::clamp(x / scale, qmin, qmax)) * scale;
}

const std::vector<QonnxRun> kRuns = {
    // Conv -> folded BatchNorm (Mul, Add) -> Relu -> Mul -> Quant(4-bit unsigned, scale 1).
    {"eltwise_chanlast_testcase.onnx",
     [](const TensorType &type) { return randomInput(type, -1, 1); },
     [](const Tensor &, const Tensor &out) { return onGrid(out, 1.0, 0, 15); }},
    // ESPCN super-resolution on the qonnx test input; ends in an 8-bit unsigned Quant.
    {"espcn_nnresize_quant.onnx",
     [](const TensorType &) { return readTensorProtoFile(qonnxPath("espcn.input_0.pb")); },
     [](const Tensor &, const Tensor &out) -> std::optional<std::string> {
       if (!allFinite(out)) return "non-finite output";
       return std::nullopt;
     }},
    // BipolarQuant(x) Gemm BipolarQuant(W)^T + Quant(bias) -> BipolarQuant, scales 1. W and the
    // bias are the model's initializers; x = 0 (input 0) and y = 0 (output 2) must map to +1.
    {"hls4ml_bnn_fc_1layer.onnx",
     [](const TensorType &type) {
       return fixedInput(type, {0.0f, -0.5f, -2.0f});
     },
     [](const Tensor &in, const Tensor &out) {
       const float weights[4][3] = {{-1, 1, -1}, {-1, -1, 1}, {-1, -1, -1}, {1, -1, -1}};
       const float bias[4] = {2, 2, -1, -4};
       auto bipolar = [](float v) { return v >= 0 ? 1.0f : -1.0f; };
       std::vector<float> expected;
       for (int j = 0; j < 4; ++j) {
         float sum = bias[j];
         for (int k = 0; k < 3; ++k) sum += bipolar(in.data<float>()[k]) * weights[j][k];
         expected.push_back(bipolar(sum));
       }
       return compareTensors(out, Tensor::fromVector(DType::f32, {1, 4}, expected));
     }},
    // Identity -> Quant(scale 2, 2-bit signed narrow: ternary) -> Identity. The inputs hit the
    // rounding ties (x / 2 = +-0.5, 1.5) and both clamps.
    {"qkeras_test_qactivation_13.onnx",
     [](const TensorType &type) {
       return fixedInput(type, {-4.0f, -3.0f, -2.5f, -1.0f, -0.99f, -0.5f, 0.0f, 0.5f, 0.99f, 1.0f,
                                1.01f, 2.0f, 2.5f, 3.0f, 3.5f, 4.0f});
     },
     [](const Tensor &in, const Tensor &out) {
       return matchesElementwise(in, out, [](float x) { return quantRef(x, 2.0f, -1, 1); });
     }},
    // Relu -> Quant(scale 1, 4-bit unsigned) -> Identity.
    {"qkeras_test_qactivation_3.onnx",
     [](const TensorType &type) {
       return fixedInput(type, {-2.0f, -0.5f, 0.0f, 0.49f, 0.5f, 1.5f, 2.5f, 3.5f, 7.2f, 8.5f,
                                11.5f, 14.4f, 14.5f, 15.0f, 16.0f, 40.0f});
     },
     [](const Tensor &in, const Tensor &out) {
       return matchesElementwise(in, out,
                                 [](float x) { return quantRef(std::max(x, 0.0f), 1.0f, 0, 15); });
     }},
    // NHWC Transpose -> Conv with 1-bit and 4-bit quantized weight/bias -> Transpose.
    {"qkeras_test_qconv2d_12.onnx", [](const TensorType &type) { return randomInput(type, -1, 1); },
     [](const Tensor &, const Tensor &out) -> std::optional<std::string> {
       if (!allFinite(out)) return "non-finite output";
       return std::nullopt;
     }},
    // A small CNN ending in Softmax: each row is a probability distribution.
    {"qkeras_test_qconv2d_conversion.onnx",
     [](const TensorType &type) { return randomInput(type, 0, 1); },
     [](const Tensor &, const Tensor &out) -> std::optional<std::string> {
       double sum = 0;
       for (int64_t i = 0; i < out.numel(); ++i) {
         double p = out.getDouble(i);
         if (!(p >= 0 && p <= 1)) return fmt::format("element {} = {} is not in [0,1]", i, p);
         sum += p;
       }
       if (std::fabs(sum - 1) > 1e-5) return fmt::format("the probabilities sum to {}", sum);
       return std::nullopt;
     }},
};

} // namespace

TEST_CASE("qonnx models without reference outputs satisfy their output contract", "[qonnx]") {
  for (const QonnxRun &run : kRuns) {
    DYNAMIC_SECTION(run.model) {
      forEachLevel(importOnnxFile(qonnxPath(run.model)), [&](const Graph &graph) {
        REQUIRE(graph.inputs.size() == 1);
        Tensor input = run.input(graph.type(graph.inputs[0]));
        std::vector<Tensor> outputs = runGraph(graph, {input});
        REQUIRE(outputs.size() == 1);
        std::optional<std::string> problem = run.check(input, outputs[0]);
        if (problem)
          FAIL_CHECK(run.model << ": " << *problem);
        else
          SUCCEED(run.model);
      });
    }
  }
}

TEST_CASE("qonnx FP8 FloatQuant Gemm reproduces its reference output", "[qonnx]") {
  forEachLevel(importOnnxFile(qonnxPath("fp8_floatquant_gemm.onnx")), [](const Graph &graph) {
    std::vector<Tensor> outputs =
        runGraph(graph, {readNpy(qonnxPath("fp8_floatquant_gemm.input.npy"))});
    REQUIRE(outputs.size() == 1);
    std::optional<std::string> mismatch =
        compareTensors(outputs[0], readNpy(qonnxPath("fp8_floatquant_gemm.output.npy")));
    if (mismatch) FAIL(*mismatch);
  });
}

namespace {

// Every model of qonnx/ with the input sets the tests above give it, at the import level.
struct QonnxCase {
  std::string model;
  Graph imported;
  std::vector<std::vector<Tensor>> inputs;
};

std::vector<QonnxCase> qonnxCases() {
  std::vector<std::vector<Tensor>> scaled, raw;
  for (const Digit &digit : mnistDigits()) {
    scaled.push_back({scaledPixels(digit.pixels)});
    raw.push_back({digit.pixels});
  }
  std::map<std::string, std::function<std::vector<std::vector<Tensor>>(const Graph &)>> inputs = {
      {"TFC_1W1A.onnx", [&](const Graph &) { return scaled; }},
      {"TFC_1W2A.onnx", [&](const Graph &) { return scaled; }},
      {"TFC_2W2A.onnx", [&](const Graph &) { return scaled; }},
      {"finn_tfc_w1a1_streamlined.onnx", [&](const Graph &) { return raw; }},
      {"fp8_floatquant_gemm.onnx",
       [](const Graph &) {
         return std::vector<std::vector<Tensor>>{
             {readNpy(qonnxPath("fp8_floatquant_gemm.input.npy"))}};
       }},
  };
  for (const QonnxRun &run : kRuns)
    inputs[run.model] = [&run](const Graph &graph) {
      return std::vector<std::vector<Tensor>>{{run.input(graph.type(graph.inputs[0]))}};
    };

  std::set<std::string> models;
  for (const auto &entry : std::filesystem::directory_iterator(corpusPath("qonnx")))
    if (entry.path().extension() == ".onnx") models.insert(entry.path().filename().string());
  std::vector<QonnxCase> cases;
  for (const std::string &model : models) {
    if (sanitizedBuild() && heavyForSanitizers(model)) continue;
    auto input = inputs.find(model);
    if (input == inputs.end()) FAIL(model << " has no inputs in qonnxCases()");
    Graph graph = importOnnxFile(qonnxPath(model));
    std::vector<std::vector<Tensor>> sets = input->second(graph);
    cases.push_back({model, std::move(graph), std::move(sets)});
  }
  CHECK(models.size() == inputs.size());
  return cases;
}

} // namespace

TEST_CASE("qonnx compiled code matches the interpreter on every model", "[qonnx][compiled]") {
  for (const QonnxCase &c : qonnxCases()) {
    DYNAMIC_SECTION(c.model) {
      std::optional<std::string> problem =
          compareCompiled(atLevel(c.imported, kLoweredLevel), c.inputs);
      if (problem)
        FAIL_CHECK(c.model << ": " << *problem);
      else
        SUCCEED(c.model);
    }
  }
}

TEST_CASE("qonnx compiled for AArch64 give the interpreter's outputs", "[qonnx][aarch64]") {
  if (!crossToolsFound()) {
    WARN("aarch64-linux-gnu-gcc or qemu-aarch64-static not found: skipped");
    return;
  }
  // One input set per model: each set is a case of its own, compiled again.
  std::vector<CrossCase> cases;
  for (QonnxCase &c : qonnxCases()) cases.push_back({c.model, c.imported, c.inputs[0]});
  std::string failures = crossCheck(cases);
  if (!failures.empty()) FAIL(failures);
}
