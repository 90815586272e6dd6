// Post-training quantization (passes/quantize_layers.cpp): the MAC layers found in the float
// digits model, the properties of the fitted quantizers (codes in range, the binary and TWN
// rules, least-squares scales no worse than nearby ones, clipping no worse than the plain
// maximum), and that a quantized model streamlines into popcount kernels with the interpreter's
// outputs unchanged from the import level to the lowered level.
#include "frontend/onnx_import.h"
#include "ir/interpreter.h"
#include "ir/npy.h"
#include "ir/ops/quant.h"
#include "passes/choose_bitwidths.h"
#include "passes/pipeline.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <set>

using namespace qcc;

namespace {

std::string sourcePath(const std::string &relative) {
  return std::string(QCC_SOURCE_DIR) + "/" + relative;
}

Calibrator digitsCalibrator() {
  Graph g = importOnnxFile(sourcePath("examples/digits/digits_float.onnx"));
  return Calibrator(g, calibrationSamples(g, readNpy(sourcePath("examples/digits/calib_x.npy"))));
}

} // namespace

TEST_CASE("quantize_layers: the MAC layers of the float digits model", "[quantize_layers]") {
  Graph g = importOnnxFile(sourcePath("examples/digits/digits_float.onnx"));
  std::vector<MacLayer> layers = findMacLayers(g);
  REQUIRE(layers.size() == 3);
  CHECK(layers[0].name == "conv1");
  CHECK(layers[0].params == 16 * 9);
  CHECK(layers[0].macs == 16 * 64 * 9);
  CHECK(layers[0].quantPoint == g.inputs[0]);
  CHECK(layers[1].name == "conv2");
  CHECK(layers[1].macs == 32 * 64 * 16 * 9);
  CHECK(g.value(layers[1].quantPoint).name == "act1_out");
  CHECK(layers[2].name == "fc");
  CHECK(layers[2].params == 5120);
  CHECK(layers[2].macs == 5120);
  CHECK(layers[2].outputAxis == 0); // trans_b = 1: weights [10, 512]
  // The quantizer of fc's input moves back across flatten and max_pool to the Relu output.
  CHECK(g.value(layers[2].quantPoint).name == "act2_out");
  // A model whose layers are already quantized has nothing to quantize.
  CHECK(findMacLayers(importOnnxFile(sourcePath("examples/digits/digits_w2a2.onnx"))).empty());
}

TEST_CASE("quantize_layers: fitted weights and activations", "[quantize_layers]") {
  Calibrator cal = digitsCalibrator();
  const Graph &g = cal.floatGraph();
  for (size_t l = 0; l < cal.layers().size(); ++l) {
    const MacLayer &layer = cal.layers()[l];
    const Tensor &w = *g.constantValue(layer.weight);
    for (const Precision &p : candidatePrecisions()) {
      INFO(layer.name << " at " << p.name());
      const LayerQuantization &q = cal.fit(l, {p, p});
      CHECK(q.signedInput == false); // pixels and Relu outputs
      REQUIRE(q.weightCodes.size() == static_cast<size_t>(w.numel()));
      int64_t lo = p.ternary ? -1 : p.bits == 1 ? -1 : -(int64_t{1} << (p.bits - 1));
      int64_t hi = p.ternary || p.bits == 1 ? 1 : (int64_t{1} << (p.bits - 1)) - 1;
      const int64_t channels = static_cast<int64_t>(q.weightScales.size());
      const int64_t inner = w.numel() / channels;
      for (int64_t e = 0; e < w.numel(); ++e) {
        int64_t code = q.weightCodes[static_cast<size_t>(e)];
        REQUIRE(code >= lo);
        REQUIRE(code <= hi);
        float x = w.data<float>()[e];
        // Error feedback moves every later weight of a channel before it is rounded, so the
        // sign and TWN rules hold exactly for the first weight of each channel.
        if (e % inner != 0) continue;
        if (p.bits == 1) REQUIRE(code == (x >= 0 ? 1 : -1));
        if (p.ternary) {
          // TWN: zero exactly below 0.7 mean |w| of the channel.
          double mean = 0;
          for (int64_t i = 0; i < inner; ++i)
            mean += std::fabs(w.data<float>()[(e / inner) * inner + i]);
          mean /= static_cast<double>(inner);
          REQUIRE(code == (std::fabs(x) > 0.7 * mean ? (x > 0 ? 1 : -1) : 0));
        }
      }
      // Scales are float32 values of at most 12 significant bits (what keeps the integer
      // kernels exact).
      auto twelveBits = [](double s) {
        int e = 0;
        double m = std::ldexp(std::frexp(s, &e), 12);
        return s > 0 && m == std::floor(m) && static_cast<double>(static_cast<float>(s)) == s;
      };
      for (double s : q.weightScales) REQUIRE(twelveBits(s));
      REQUIRE(twelveBits(q.activationScale));
    }
  }
}

TEST_CASE("quantize_layers: least-squares scales beat their neighbours", "[quantize_layers]") {
  // For conv2 at 2/2: the layer's output error with the fitted per-channel scales, against the
  // same with every scale 5% larger or smaller, on the calibration images the fit used.
  Calibrator cal = digitsCalibrator();
  const size_t conv2 = 1;
  const MacLayer &layer = cal.layers()[conv2];
  auto layerError = [&](double factor) {
    std::map<std::string, LayerPrecision> choice = {{layer.name, {{2, false}, {2, false}}}};
    Graph q = cal.quantize(choice);
    // Scale the weight quantizer's scale and the codes' stored values together.
    for (Op &op : q.ops)
      if (op.kind == "constant" && q.value(op.outputs[0]).name.rfind("conv2_weight_", 0) == 0 &&
          q.value(op.outputs[0]).name != "conv2_weight_zeropt") {
        Tensor t = op.getTensor("value");
        for (int64_t i = 0; i < t.numel(); ++i)
          t.data<float>()[i] = static_cast<float>(t.data<float>()[i] * factor);
        op.attrs["value"] = t;
      }
    double err = 0;
    Interpreter qi(q), fi(cal.floatGraph());
    for (size_t s = 0; s < 8; ++s) {
      Tensor a, b;
      qi.run(cal.samples()[s], [&](const Op &op, auto r) {
        if (op.name == "conv2") a = r[0];
      });
      fi.run(cal.samples()[s], [&](const Op &op, auto r) {
        if (op.name == "conv2") b = r[0];
      });
      for (int64_t i = 0; i < a.numel(); ++i) {
        double d = a.data<float>()[i] - b.data<float>()[i];
        err += d * d;
      }
    }
    return err;
  };
  double fitted = layerError(1.0);
  CHECK(fitted < layerError(1.05));
  CHECK(fitted < layerError(0.95));
}

TEST_CASE("quantize_layers: quantized models stream into popcount kernels, outputs unchanged",
          "[quantize_layers]") {
  Calibrator cal = digitsCalibrator();
  Tensor images = readNpy(sourcePath("examples/digits/test_x.npy"));
  const std::vector<std::pair<LayerPrecision, std::set<std::string>>> cases = {
      {{{1, false}, {1, false}}, {"bitserial"}}, // unsigned 1-bit activations x bipolar weights
      {{{2, true}, {2, true}}, {"ternary"}},
      {{{2, false}, {2, false}}, {"bitserial"}},
      {{{4, false}, {4, false}}, {"bitserial"}},
      {{{8, false}, {8, false}}, {"int8"}}};
  for (const auto &[precision, kernels] : cases) {
    INFO("every layer at " << precision.name());
    std::map<std::string, LayerPrecision> choice;
    for (const MacLayer &l : cal.layers()) choice[l.name] = precision;
    Graph imported = cal.quantize(choice);
    Graph lowered = imported;
    PassManager pm;
    addPipeline(pm, kLoweredLevel);
    pm.run(lowered, kImportLevel);
    std::set<std::string> seen;
    for (const Op &op : lowered.ops) {
      REQUIRE(op.kind != "conv");
      REQUIRE(op.kind != "gemm");
      if (op.has("kernel")) seen.insert(op.getString("kernel"));
    }
    // The first layer's 1-channel input is kept on int8 whenever its weights have zero points
    // or groups; every kernel seen is one of the expected family or int8.
    for (const std::string &k : seen) CHECK((kernels.count(k) || k == "int8"));
    for (const std::string &k : kernels) CHECK(seen.count(k));
    Interpreter a(imported), b(lowered);
    for (int64_t n = 0; n < 40; ++n) {
      Tensor x(DType::f32, {1, 1, 8, 8});
      std::copy_n(images.data<float>() + n * 64, 64, x.data<float>());
      std::vector<Tensor> in = {x};
      REQUIRE(a.run(in)[0] == b.run(in)[0]);
    }
  }
}
