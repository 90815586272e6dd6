// streamline (passes/streamline.cpp) after qdq_to_quantized: interpreter equivalence with the
// import level on randomized small graphs and on the real models (examples/digits and, when the
// corpus is present, the QONNX TFC models and FINN's streamlined TFC), and the shape of the
// result: integer MACs only, float only before the first quantize and after the last dequantize.
#include "frontend/onnx_import.h"
#include "ir/builder.h"
#include "ir/diagnostics.h"
#include "ir/error.h"
#include "ir/interpreter.h"
#include "ir/npy.h"
#include "passes/pass_registry.h"
#include "passes/pipeline.h"
#include "tests/support/random_net.h"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>

using namespace qcc;

namespace {

// Runs `passes` (by name) on a copy of `graph` through a PassManager, which verifies after each.
Graph runPasses(Graph graph, const std::vector<std::string> &passes, bool strict = false) {
  PassManager pm;
  PassOptions options;
  options.strict = strict;
  for (const std::string &name : passes) pm.add(PassRegistry::instance().create(name, options));
  pm.run(graph);
  return graph;
}

Graph quantized(const Graph &graph, bool strict = false) {
  return runPasses(graph, {"qdq_to_quantized", "streamline"}, strict);
}

const std::vector<std::string> kLoweringPasses = {"select_kernels", "pack_weights", "layout",
                                                  "fuse", "plan_memory"};

// The lowered level's passes after `quantized`.
Graph lowered(const Graph &quantizedGraph) {
  return runPasses(quantizedGraph, kLoweringPasses, true);
}

int countKind(const Graph &g, const std::string &kind) {
  int n = 0;
  for (const Op &op : g.ops) n += op.kind == kind ? 1 : 0;
  return n;
}

// Every MAC is integer (and there is at least one), and no f32 value lies both downstream of a
// quantize and upstream of one: float only before the first quantize and after the last
// dequantize.
void checkIntegerOnly(const Graph &g) {
  CHECK(countKind(g, "conv") + countKind(g, "matmul") + countKind(g, "gemm") == 0);
  CHECK(countKind(g, "conv_integer") + countKind(g, "matmul_integer") > 0);
  std::vector<char> down(g.values.size(), 0), up(g.values.size(), 0);
  for (const Op &op : g.ops) {
    bool from = op.kind == "quantize";
    for (ValueId in : op.inputs) from = from || (in != kNoValue && down[static_cast<size_t>(in)]);
    for (ValueId out : op.outputs) down[static_cast<size_t>(out)] = from;
  }
  for (size_t i = g.ops.size(); i-- > 0;) {
    const Op &op = g.ops[i];
    bool feeds = op.kind == "quantize";
    for (ValueId out : op.outputs) feeds = feeds || up[static_cast<size_t>(out)];
    for (ValueId in : op.inputs)
      if (in != kNoValue && feeds) up[static_cast<size_t>(in)] = 1;
  }
  for (size_t v = 0; v < g.values.size(); ++v)
    if (g.values[v].type.dtype == DType::f32 && down[v] && up[v])
      FAIL_CHECK("float value '" << g.values[v].name << "' lies between quantizers");
}

// Bit-identical, except that -0 and +0 count as equal: codes have no negative zero, so the
// dequantize of code 0 is +0 where a float quantizer may give -0 (docs/passes.md).
bool bitEqual(float a, float b) {
  return std::memcmp(&a, &b, sizeof a) == 0 || (a == 0 && b == 0);
}

// Outputs of `a` and `b` on `inputs`: the number of elements that differ bit for bit; fails
// when a float element differs by more than rtol 1e-5 or an integer one at all.
int64_t compareRuns(const Graph &a, const Graph &b, const std::vector<Tensor> &inputs) {
  std::vector<Tensor> x = Interpreter(a).run(inputs);
  std::vector<Tensor> y = Interpreter(b).run(inputs);
  REQUIRE(x.size() == y.size());
  int64_t differ = 0;
  for (size_t o = 0; o < x.size(); ++o) {
    REQUIRE(x[o].dtype() == y[o].dtype());
    REQUIRE(x[o].shape() == y[o].shape());
    for (int64_t i = 0; i < x[o].numel(); ++i) {
      if (x[o].dtype() == DType::f32) {
        float p = x[o].data<float>()[i], q = y[o].data<float>()[i];
        if (bitEqual(p, q)) continue;
        ++differ;
        if (!(std::fabs(p - q) <= 1e-5 * std::fabs(p) + 1e-6))
          FAIL_CHECK("output " << o << " element " << i << ": " << p << " vs " << q);
      } else if (x[o].getInt(i) != y[o].getInt(i)) {
        ++differ;
        FAIL_CHECK("output " << o << " element " << i << ": " << x[o].getInt(i) << " vs "
                             << y[o].getInt(i));
      }
    }
  }
  return differ;
}

int64_t argmax(const Tensor &t) {
  int64_t best = 0;
  for (int64_t i = 1; i < t.numel(); ++i)
    if (t.getDouble(i) > t.getDouble(best)) best = i;
  return best;
}

Tensor item(const Tensor &batch, int64_t index, double divisor = 1) {
  Shape shape = batch.shape();
  shape[0] = 1;
  Tensor t(DType::f32, shape);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data<float>()[i] = static_cast<float>(batch.getDouble(index * t.numel() + i) / divisor);
  return t;
}

struct ModelResult {
  int64_t images = 0;
  int64_t differingLogits = 0;
  int64_t differingClasses = 0;
};

// Import level vs quantized level on every image of `images` (leading dim = count).
ModelResult compareModel(const Graph &imported, const Graph &lowered, const Tensor &images,
                         double divisor) {
  ModelResult r;
  Interpreter a(imported), b(lowered);
  for (int64_t n = 0; n < images.shape()[0]; ++n) {
    std::vector<Tensor> input{item(images, n, divisor)};
    Tensor x = a.run(input).at(0), y = b.run(input).at(0);
    REQUIRE(x.dtype() == y.dtype());
    REQUIRE(x.shape() == y.shape());
    ++r.images;
    r.differingClasses += argmax(x) != argmax(y) ? 1 : 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      if (x.dtype() != DType::f32) {
        r.differingLogits += x.getInt(i) != y.getInt(i) ? 1 : 0;
        continue;
      }
      float p = x.data<float>()[i], q = y.data<float>()[i];
      if (bitEqual(p, q)) continue;
      ++r.differingLogits;
      CHECK(std::fabs(p - q) <= 1e-5 * std::fabs(p) + 1e-6);
    }
  }
  return r;
}

std::string sourcePath(const std::string &relative) {
  return std::string(QCC_SOURCE_DIR) + "/" + relative;
}

using qcc::test::RandomNet;

// Every threshold op has thresholds [C, levels] (or [1, levels]), sorted ascending in an
// increasing channel and descending in a decreasing one; returns the decreasing channels.
int checkThresholds(const Graph &g) {
  int descending = 0;
  for (const Op &op : g.ops) {
    if (op.kind != "threshold") continue;
    const Tensor *t = g.constantValue(op.inputs[1]);
    REQUIRE(t);
    const QuantInfo &q = *g.type(op.outputs[0]).quant;
    int64_t levels = q.encoding == QEncoding::bipolar ? 1 : q.maxCode() - q.minCode();
    CHECK(t->shape()[1] == levels);
    std::vector<int64_t> down = op.getInts("descending");
    for (int64_t c = 0; c < t->shape()[0]; ++c) {
      bool d = !down.empty() && down[static_cast<size_t>(c)] == 1;
      descending += d ? 1 : 0;
      for (int64_t j = 1; j < levels; ++j) {
        int64_t prev = t->getInt(c * levels + j - 1), cur = t->getInt(c * levels + j);
        CHECK((d ? prev >= cur : prev <= cur));
      }
    }
  }
  return descending;
}

} // namespace

TEST_CASE("streamline: the digits examples become integer-only and bit-exact",
          "[passes][streamline]") {
  Tensor images = readNpy(sourcePath("examples/digits/test_x.npy"));
  REQUIRE(images.shape() == Shape{360, 1, 8, 8});
  for (std::string model : {"digits_w1a1", "digits_ternary", "digits_w2a2"}) {
    DYNAMIC_SECTION(model) {
      Graph imported = importOnnxFile(sourcePath("examples/digits/" + model + ".onnx"));
      WarningCollector warnings;
      Graph quantizedGraph = quantized(imported, true);
      CHECK(warnings.warnings().empty());
      checkIntegerOnly(quantizedGraph);
      CHECK(countKind(quantizedGraph, "threshold") == 2);
      CHECK(countKind(quantizedGraph, "conv_integer") == 2);
      CHECK(countKind(quantizedGraph, "matmul_integer") == 1);
      ModelResult r = compareModel(imported, quantizedGraph, images, 1);
      CHECK(r.images == 360);
      CHECK(r.differingClasses == 0);
      // Every logit is bit-identical (measured on these models; see docs/passes.md).
      CHECK(r.differingLogits == 0);
      // The same through the standard pipeline (canonicalize and fold_batchnorm around).
      Graph pipeline = imported;
      PassManager pm;
      addPipeline(pm, kQuantizedLevel);
      pm.run(pipeline);
      checkIntegerOnly(pipeline);
      ModelResult p = compareModel(imported, pipeline, images, 1);
      CHECK(p.differingClasses == 0);
      CHECK(p.differingLogits == 0);
      // And lowered: every MAC on packed bits, the logits still bit-identical.
      Graph packed = lowered(pipeline);
      CHECK(countKind(packed, "conv_integer") + countKind(packed, "matmul_integer") == 0);
      ModelResult l = compareModel(imported, packed, images, 1);
      CHECK(l.differingClasses == 0);
      CHECK(l.differingLogits == 0);
    }
  }
}

TEST_CASE("streamline: the QONNX TFC models and FINN's streamlined TFC",
          "[passes][streamline][corpus]") {
  std::string corpus = std::string(QCC_CORPUS_DIR) + "/qonnx/";
  if (!std::filesystem::exists(corpus + "TFC_2W2A.onnx")) {
    WARN("corpus not found at " << corpus << ": skipped");
    return;
  }
  Tensor images = readNpy(corpus + "finn_tfc_w1a1_streamlined.input.npy");
  // And 32 images of random pixels 0..255.
  Tensor noise(DType::f32, {32, 1, 28, 28});
  std::mt19937 rng(11);
  for (int64_t i = 0; i < noise.numel(); ++i)
    noise.data<float>()[i] = static_cast<float>(std::uniform_int_distribution<int>(0, 255)(rng));
  for (std::string model : {"TFC_1W1A", "TFC_1W2A", "TFC_2W2A", "finn_tfc_w1a1_streamlined"}) {
    DYNAMIC_SECTION(model) {
      Graph imported = importOnnxFile(corpus + model + ".onnx");
      WarningCollector warnings;
      Graph quantizedGraph = quantized(imported, true);
      CHECK(warnings.warnings().empty());
      checkIntegerOnly(quantizedGraph);
      CHECK(countKind(quantizedGraph, "matmul_integer") == 4);
      CHECK(countKind(quantizedGraph, "threshold") == 3);
      bool finn = model.rfind("finn", 0) == 0;
      Graph packed = lowered(quantizedGraph);
      CHECK(countKind(packed, "matmul_integer") == 0);
      CHECK(countKind(packed, "threshold") == 0); // all fused into the kernels
      for (const Tensor *batch : {&images, &noise})
        for (const Graph *g : {&quantizedGraph, &packed}) {
          ModelResult r = compareModel(imported, *g, *batch, finn ? 1 : 255);
          CHECK(r.images == batch->shape()[0]);
          CHECK(r.differingClasses == 0);
          CHECK(r.differingLogits == 0);
        }
    }
  }
}

TEST_CASE("streamline: random quantized networks match the import level bit for bit",
          "[passes][streamline][random]") {
  int descending = 0;
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    INFO("seed " << seed);
    RandomNet net(seed);
    net.build();
    WarningCollector warnings;
    Graph lowered = quantized(net.graph, true);
    CHECK(warnings.warnings().empty());
    checkIntegerOnly(lowered);
    CHECK(countKind(lowered, "threshold") == net.hiddenQuantizers);
    descending += checkThresholds(lowered);
    for (int trial = 0; trial < 6; ++trial)
      CHECK(compareRuns(net.graph, lowered, net.inputs()) == 0);
  }
  CHECK(descending > 0); // negative slopes occurred and were handled
}

TEST_CASE("lowering: random quantized networks keep their outputs on packed kernels",
          "[passes][lowering][random]") {
  std::map<std::string, int> kernels;
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    INFO("seed " << seed);
    RandomNet net(seed);
    net.build();
    Graph quantizedGraph = quantized(net.graph, true);
    Graph packed = lowered(quantizedGraph);
    for (const Op &op : packed.ops)
      if (op.has("kernel")) ++kernels[op.getString("kernel")];
    for (int trial = 0; trial < 6; ++trial)
      CHECK(compareRuns(net.graph, packed, net.inputs()) == 0);
  }
  // Every popcount family was exercised.
  for (const char *family : {"binary", "ternary", "bitserial"}) {
    INFO(family);
    CHECK(kernels[family] > 0);
  }
}

namespace {

Tensor f32(Shape shape, std::vector<float> values) {
  return Tensor::fromVector(DType::f32, std::move(shape), values);
}

Attrs quantAttrs(int64_t bits, int64_t isSigned, int64_t narrow = 0) {
  return {{"bits", bits},
          {"signed", isSigned},
          {"narrow", narrow},
          {"rounding_mode", std::string("ROUND")}};
}

// x [1, 4] -> quant int4 (scale 0.5) -> matmul with int3 weights (scale 0.25) -> `middle` ->
// quant uint2 (scale 1) -> matmul -> output.
struct SmallNet {
  Graph graph;
  Builder b{graph};
  ValueId x = b.input("x", TensorType(DType::f32, {1, 4}));

  ValueId quant(ValueId v, float scale, Attrs attrs, const std::string &name) {
    return b.create1(
        "quant", name,
        {v, b.constant(f32({}, {scale}), name + "_s"), b.constant(f32({}, {0}), name + "_z")},
        std::move(attrs));
  }
  ValueId dense(ValueId v, std::vector<float> w, int64_t n, const std::string &name) {
    int64_t k = graph.type(v).shape[1];
    ValueId wq = quant(b.constant(f32({k, n}, std::move(w)), name + "_w"), 0.25f, quantAttrs(3, 1),
                       name + "_wq");
    return b.create1("matmul", name, {v, wq});
  }
  template <typename Middle> void build(Middle middle) {
    ValueId h = quant(x, 0.5f, quantAttrs(4, 1), "in");
    h = dense(h, {1, -2, 3, 0, 0.5f, 1, -1, 2, -3, 1, 0, -1}, 3, "fc1");
    h = middle(h);
    h = quant(h, 1.0f, quantAttrs(2, 0), "act");
    graph.outputs.push_back(dense(h, {1, -1, 2, 0, -2, 1}, 2, "fc2"));
  }
};

// Every input on the grid of the input quantizer and between its codes.
std::vector<std::vector<Tensor>> gridInputs() {
  std::vector<std::vector<Tensor>> out;
  for (int i = -20; i <= 20; ++i) {
    float v = 0.25f * static_cast<float>(i);
    out.push_back({f32({1, 4}, {v, -v, 0.5f * v, 1.5f - v})});
  }
  return out;
}

} // namespace

TEST_CASE("streamline: a non-monotone chain stays float with a warning", "[passes][streamline]") {
  SmallNet net;
  net.build([&](ValueId h) { return net.b.create1("abs", "fold_abs", {h}); });
  WarningCollector warnings;
  Graph lowered = quantized(net.graph);
  REQUIRE(warnings.warnings().size() == 1);
  CHECK_THAT(warnings.warnings()[0],
             Catch::Contains("op 'quantize' (act) stays float") && Catch::Contains("fold_abs"));
  CHECK(countKind(lowered, "threshold") == 0);
  CHECK(countKind(lowered, "matmul_integer") == 2); // the MACs are integer all the same
  for (const auto &in : gridInputs()) CHECK(compareRuns(net.graph, lowered, in) == 0);
  CHECK_THROWS_WITH(quantized(net.graph, true),
                    Catch::Contains("cannot be made integer") && Catch::Contains("fold_abs"));
}

TEST_CASE("streamline: zero and negative slopes per channel", "[passes][streamline]") {
  SmallNet net;
  net.build([&](ValueId h) {
    // gamma 0 makes channel 1 constant; -0.5 makes channel 2 decreasing.
    auto c = [&](std::vector<float> v, const std::string &n) {
      return net.b.constant(f32({3}, std::move(v)), n);
    };
    return net.b.create1("batch_normalization", "bn",
                         {h, c({1.5f, 0, -0.5f}, "g"), c({0.25f, 1.2f, 0.5f}, "beta"),
                          c({0.1f, 0, -0.3f}, "mean"), c({1, 2, 0.5f}, "var")},
                         {{"epsilon", 1e-5}});
  });
  WarningCollector warnings;
  Graph lowered = quantized(net.graph, true);
  CHECK(warnings.warnings().empty());
  REQUIRE(countKind(lowered, "threshold") == 1);
  for (const Op &op : lowered.ops)
    if (op.kind == "threshold") CHECK(op.getInts("descending") == std::vector<int64_t>{0, 0, 1});
  for (const auto &in : gridInputs()) CHECK(compareRuns(net.graph, lowered, in) == 0);
}

TEST_CASE("streamline: per-channel activation scales keep the MAC float", "[passes][streamline]") {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {1, 2}));
  ValueId q =
      b.create1("quant", "in",
                {x, b.constant(f32({1, 2}, {0.5f, 0.25f}), "s"), b.constant(f32({}, {0}), "z")},
                quantAttrs(4, 1));
  g.outputs.push_back(b.create1("matmul", "fc", {q, b.constant(f32({2, 2}, {1, 2, 3, 4}), "w")}));
  WarningCollector warnings;
  Graph lowered = quantized(g);
  REQUIRE(warnings.warnings().size() == 1);
  CHECK_THAT(warnings.warnings()[0],
             Catch::Contains("op 'matmul' (fc) stays float") && Catch::Contains("per channel"));
  CHECK(countKind(lowered, "matmul") == 1);
  CHECK(compareRuns(g, lowered, {f32({1, 2}, {0.7f, -1.3f})}) == 0);
  CHECK_THROWS_WITH(quantized(g, true), Catch::Contains("op 'matmul' (fc)"));
}

TEST_CASE("streamline: integer-valued float weights become codes (FINN)", "[passes][streamline]") {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {1, 3}));
  ValueId t = b.constant(f32({1, 1}, {0}), "t");
  Attrs bipolar{{"axis", int64_t{1}},
                {"out_scale", 2.0},
                {"out_bias", -1.0},
                {"out_dtype", std::string("BIPOLAR")}};
  ValueId h = b.create1("multi_threshold", "mt0", {x, t}, bipolar);
  h = b.create1("matmul", "fc", {h, b.constant(f32({3, 2}, {-1, 0, 2, 3, 1, -4}), "w")});
  h = b.create1("mul", "scale", {h, b.constant(f32({2}, {0.5f, -1.5f}), "k")});
  Tensor thresholds = f32({2, 3}, {-2, 0.5f, 3, -1, 0, 1});
  Attrs uint2{{"axis", int64_t{1}},
              {"out_scale", 1.0},
              {"out_bias", 0.0},
              {"out_dtype", std::string("UINT2")}};
  g.outputs.push_back(
      b.create1("multi_threshold", "mt1", {h, b.constant(thresholds, "t1")}, uint2));
  WarningCollector warnings;
  Graph lowered = quantized(g, true);
  CHECK(warnings.warnings().empty());
  CHECK(countKind(lowered, "multi_threshold") == 0);
  CHECK(countKind(lowered, "matmul_integer") == 1);
  REQUIRE(countKind(lowered, "threshold") == 1);
  for (const Op &op : lowered.ops)
    if (op.kind == "matmul_integer") {
      const TensorType &w = lowered.type(op.inputs[1]);
      REQUIRE(w.quant);
      CHECK(w.quant->encoding == QEncoding::sint);
      CHECK(w.quant->bits == 3); // -4..3
    }
  for (int i = 0; i < 8; ++i) {
    float v = static_cast<float>(i) - 3.5f;
    CHECK(compareRuns(g, lowered, {f32({1, 3}, {v, -v, v * v - 4})}) == 0);
  }
}

TEST_CASE("streamline: a QDQ conv with an int32 bias and 8-bit activations",
          "[passes][streamline]") {
  // x -> Q/DQ u8 (scale 1/16, zero point 128) -> conv (int8 weights per channel, int32 bias)
  // -> relu -> Q/DQ u8 (scale 1/4, zero point 0): 255 thresholds per channel.
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {1, 2, 3, 3}));
  auto qdq = [&](ValueId v, float scale, int64_t zero, const std::string &n) {
    ValueId s = b.constant(f32({}, {scale}), n + "_s");
    Tensor z(DType::u8, {});
    z.setInt(0, zero);
    ValueId zv = b.constant(z, n + "_z");
    ValueId q = b.create1("quantize_linear", n + "_q", {v, s, zv},
                          {{"dtype", std::string("u8")},
                           {"precision", std::string("f32")},
                           {"axis", int64_t{-1}},
                           {"block_size", int64_t{0}}});
    return b.create1(
        "dequantize_linear", n + "_dq", {q, s, zv},
        {{"dtype", std::string("f32")}, {"axis", int64_t{-1}}, {"block_size", int64_t{0}}});
  };
  Attrs perChannel{{"dtype", std::string("f32")}, {"axis", int64_t{0}}, {"block_size", int64_t{0}}};
  Tensor wc(DType::i8, {3, 2, 2, 2});
  for (int64_t i = 0; i < wc.numel(); ++i) wc.setInt(i, (i * 37) % 255 - 127);
  ValueId w = b.create1(
      "dequantize_linear", "w_dq",
      {b.constant(wc, "wc"), b.constant(f32({3}, {0.0625f, 0.125f, 0.03125f}), "ws")}, perChannel);
  Tensor bc(DType::i32, {3});
  for (int64_t i = 0; i < 3; ++i) bc.setInt(i, 1000 * (i - 1) + 7);
  ValueId bias = b.create1(
      "dequantize_linear", "b_dq",
      {b.constant(bc, "bc"), b.constant(f32({3}, {0.00390625f, 0.0078125f, 0.001953125f}), "bs")},
      perChannel);
  ValueId c = b.create1("conv", "conv", {qdq(x, 0.0625f, 128, "in"), w, bias},
                        {{"strides", std::vector<int64_t>{1, 1}},
                         {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                         {"dilations", std::vector<int64_t>{1, 1}},
                         {"group", int64_t{1}}});
  g.outputs.push_back(qdq(b.create1("relu", "relu", {c}), 0.25f, 0, "out"));
  WarningCollector warnings;
  Graph lowered = quantized(g, true);
  CHECK(warnings.warnings().empty());
  CHECK(countKind(lowered, "conv_integer") == 1);
  REQUIRE(countKind(lowered, "threshold") == 1);
  checkThresholds(lowered);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-9, 9);
  for (int trial = 0; trial < 40; ++trial) {
    Tensor in(DType::f32, {1, 2, 3, 3});
    for (int64_t i = 0; i < in.numel(); ++i) in.data<float>()[i] = u(rng);
    CHECK(compareRuns(g, lowered, {in}) == 0);
  }
}

TEST_CASE("streamline: requantizing codes", "[passes][streamline]") {
  // Q/DQ u8 -> max_pool -> Q/DQ u8 with the same parameters (the identity on the codes, dropped)
  // or with another scale (a threshold on the codes).
  for (float outScale : {0.5f, 1.25f}) {
    Graph g;
    Builder b(g);
    ValueId x = b.input("x", TensorType(DType::f32, {1, 2, 4, 4}));
    auto qdq = [&](ValueId v, float scale, const std::string &n) {
      ValueId s = b.constant(f32({}, {scale}), n + "_s");
      Tensor z(DType::u8, {});
      z.setInt(0, 10);
      ValueId zv = b.constant(z, n + "_z");
      ValueId q = b.create1("quantize_linear", n + "_q", {v, s, zv},
                            {{"dtype", std::string("u8")},
                             {"precision", std::string("f32")},
                             {"axis", int64_t{-1}},
                             {"block_size", int64_t{0}}});
      return b.create1(
          "dequantize_linear", n + "_dq", {q, s, zv},
          {{"dtype", std::string("f32")}, {"axis", int64_t{-1}}, {"block_size", int64_t{0}}});
    };
    ValueId p = b.create1("max_pool", "pool", {qdq(x, 0.5f, "in")},
                          {{"kernel_shape", std::vector<int64_t>{2, 2}},
                           {"strides", std::vector<int64_t>{2, 2}},
                           {"pads", std::vector<int64_t>{0, 0, 0, 0}},
                           {"dilations", std::vector<int64_t>{1, 1}},
                           {"ceil_mode", int64_t{0}}});
    g.outputs.push_back(qdq(p, outScale, "out"));
    WarningCollector warnings;
    Graph lowered = quantized(g, true);
    CHECK(warnings.warnings().empty());
    CHECK(countKind(lowered, "quantize") == 1);
    CHECK(countKind(lowered, "threshold") == (outScale == 0.5f ? 0 : 1));
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-10, 130);
    for (int trial = 0; trial < 20; ++trial) {
      Tensor in(DType::f32, {1, 2, 4, 4});
      for (int64_t i = 0; i < in.numel(); ++i) in.data<float>()[i] = u(rng);
      CHECK(compareRuns(g, lowered, {in}) == 0);
    }
  }
}
