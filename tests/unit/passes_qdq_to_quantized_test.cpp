// qdq_to_quantized (passes/qdq_to_quantized.cpp): every quantizer kind becomes quantize +
// dequantize (or constant codes + dequantize), computing the same floats as before; quantizers
// it cannot convert stay with a warning, or fail under --strict.
#include "ir/builder.h"
#include "ir/diagnostics.h"
#include "ir/error.h"
#include "ir/interpreter.h"
#include "passes/pass_registry.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>

using namespace qcc;

namespace {

Graph convert(Graph graph, bool strict = false) {
  PassManager pm;
  PassOptions options;
  options.strict = strict;
  pm.add(PassRegistry::instance().create("qdq_to_quantized", options));
  pm.run(graph);
  return graph;
}

Tensor f32(Shape shape, std::vector<float> values) {
  return Tensor::fromVector(DType::f32, std::move(shape), values);
}

Tensor ints(DType t, Shape shape, const std::vector<int64_t> &v) {
  Tensor out(t, std::move(shape));
  for (size_t i = 0; i < v.size(); ++i) out.setInt(static_cast<int64_t>(i), v[i]);
  return out;
}

int countKind(const Graph &g, const std::string &kind) {
  int n = 0;
  for (const Op &op : g.ops) n += op.kind == kind ? 1 : 0;
  return n;
}

const Op &onlyOp(const Graph &g, const std::string &kind) {
  const Op *found = nullptr;
  for (const Op &op : g.ops)
    if (op.kind == kind) {
      REQUIRE(!found);
      found = &op;
    }
  REQUIRE(found);
  return *found;
}

// Random inputs (with values on and between the steps of `step`) give the same outputs before
// and after the pass: bit for bit, except that a quantizer's -0 may come back as +0 (codes have
// no negative zero).
void checkSameOutputs(const Graph &before, const Graph &after, float range, float step) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-range, range);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<Tensor> inputs;
    for (ValueId in : before.inputs) {
      Tensor t(TensorType(DType::f32, before.type(in).shape));
      for (int64_t i = 0; i < t.numel(); ++i) {
        float v = u(rng);
        t.data<float>()[i] = trial % 2 ? std::round(v / step * 2) * step / 2 : v;
      }
      inputs.push_back(t);
    }
    std::vector<Tensor> x = Interpreter(before).run(inputs), y = Interpreter(after).run(inputs);
    REQUIRE(x.size() == y.size());
    for (size_t o = 0; o < x.size(); ++o)
      for (int64_t i = 0; i < x[o].numel(); ++i) {
        float p = x[o].data<float>()[i], q = y[o].data<float>()[i];
        bool same = std::memcmp(&p, &q, sizeof p) == 0 || (p == 0 && q == 0);
        if (!same) FAIL_CHECK("output " << o << " element " << i << ": " << p << " vs " << q);
      }
  }
}

Attrs quantAttrs(int64_t bits, int64_t isSigned, int64_t narrow, std::string mode = "ROUND") {
  return {{"bits", bits}, {"signed", isSigned}, {"narrow", narrow}, {"rounding_mode", mode}};
}

} // namespace

TEST_CASE("qdq_to_quantized: quant on activations and on constant weights", "[passes][qdq]") {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {2, 3}));
  ValueId q = b.create1("quant", "act",
                        {x, b.constant(f32({}, {0.5f}), "s"), b.constant(f32({}, {1}), "z")},
                        quantAttrs(3, 0, 0, "FLOOR"));
  // Weights [3, 2] quantized per column (scale shape [1, 2]): ternary codes.
  ValueId w =
      b.create1("quant", "wq",
                {b.constant(f32({3, 2}, {0.3f, -0.9f, -0.2f, 0.1f, 0.8f, -0.05f}), "w"),
                 b.constant(f32({1, 2}, {0.25f, 0.5f}), "ws"), b.constant(f32({}, {0}), "wz")},
                quantAttrs(2, 1, 1));
  g.outputs = {b.create1("matmul", "fc", {q, w}), q};
  Graph out = convert(g);
  CHECK(countKind(out, "quant") == 0);
  const Op &quantize = onlyOp(out, "quantize");
  CHECK(quantize.getString("form") == "qonnx");
  CHECK(quantize.getString("encoding") == "uint");
  CHECK(quantize.getString("rounding_mode") == "FLOOR");
  CHECK(quantize.getFloats("zero_point") == std::vector<double>{1.0});
  CHECK(out.type(quantize.outputs[0]).dtype == DType::u8);
  CHECK(countKind(out, "dequantize") == 2);
  // The weight codes are a constant: round(w / s) clamped to [-1, 1].
  bool foundCodes = false;
  for (const Op &op : out.ops)
    if (op.kind == "dequantize" && out.constantValue(op.inputs[0])) {
      const Tensor &codes = *out.constantValue(op.inputs[0]);
      CHECK(codes.dtype() == DType::i8);
      std::vector<int64_t> values;
      for (int64_t i = 0; i < codes.numel(); ++i) values.push_back(codes.getInt(i));
      CHECK(values == std::vector<int64_t>{1, -1, -1, 0, 1, 0});
      REQUIRE(codes.type().quant);
      CHECK(codes.type().quant->encoding == QEncoding::ternary);
      CHECK(codes.type().quant->axis == 1);
      CHECK(op.getInt("axis") == 1);
      CHECK(op.getFloats("scale") == std::vector<double>{0.25, 0.5});
      foundCodes = true;
    }
  CHECK(foundCodes);
  checkSameOutputs(g, out, 3, 0.5f);
}

TEST_CASE("qdq_to_quantized: bipolar_quant", "[passes][qdq]") {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {1, 4}));
  ValueId q = b.create1("bipolar_quant", "act", {x, b.constant(f32({1, 4}, {1, 2, 0.5f, 3}), "s")});
  g.outputs = {q};
  Graph out = convert(g);
  const Op &quantize = onlyOp(out, "quantize");
  CHECK(quantize.getString("form") == "bipolar");
  CHECK(quantize.getInt("axis") == 1);
  CHECK(out.type(quantize.outputs[0]).quant->encoding == QEncoding::bipolar);
  checkSameOutputs(g, out, 2, 1);
}

TEST_CASE("qdq_to_quantized: QDQ pairs, int8 weights and integer inputs", "[passes][qdq]") {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {1, 3}));
  Attrs qAttrs{{"dtype", std::string("u8")},
               {"precision", std::string("f32")},
               {"axis", int64_t{-1}},
               {"block_size", int64_t{0}}};
  Attrs dqAttrs{{"dtype", std::string("f32")}, {"axis", int64_t{-1}}, {"block_size", int64_t{0}}};
  ValueId s = b.constant(f32({}, {0.125f}), "s");
  ValueId z = b.constant(ints(DType::u8, {}, {128}), "z");
  ValueId q = b.create1("quantize_linear", "q", {x, s, z}, qAttrs);
  ValueId dq = b.create1("dequantize_linear", "dq", {q, s, z}, dqAttrs);
  // Weights: int8 codes dequantized per output column (axis 1).
  Attrs wAttrs = dqAttrs;
  wAttrs["axis"] = int64_t{1};
  ValueId w = b.create1("dequantize_linear", "wdq",
                        {b.constant(ints(DType::i8, {3, 2}, {1, -2, 127, -128, 0, 5}), "wc"),
                         b.constant(f32({2}, {0.5f, 0.25f}), "ws"),
                         b.constant(ints(DType::i8, {2}, {0, 1}), "wz")},
                        wAttrs);
  g.outputs = {b.create1("matmul", "fc", {dq, w})};
  Graph out = convert(g);
  CHECK(countKind(out, "quantize_linear") == 0);
  CHECK(countKind(out, "dequantize_linear") == 0);
  const Op &quantize = onlyOp(out, "quantize");
  CHECK(quantize.getString("form") == "onnx");
  CHECK(quantize.getFloats("zero_point") == std::vector<double>{128.0});
  CHECK(out.type(quantize.outputs[0]).quant->encoding == QEncoding::uint);
  CHECK(out.type(quantize.outputs[0]).quant->bits == 8);
  for (const Op &op : out.ops)
    if (op.kind == "dequantize" && out.constantValue(op.inputs[0])) {
      const TensorType &codes = out.type(op.inputs[0]);
      CHECK(codes.dtype == DType::i8);
      REQUIRE(codes.quant);
      CHECK(codes.quant->zeroPoint == std::vector<double>{0.0, 1.0});
      CHECK(op.getFloats("scale") == std::vector<double>{0.5, 0.25});
    }
  checkSameOutputs(g, out, 20, 0.125f);
}

TEST_CASE("qdq_to_quantized: QDQ of a constant and of an integer input", "[passes][qdq]") {
  Graph g;
  Builder b(g);
  ValueId codesIn = b.input("c", TensorType(DType::i8, {1, 2}));
  Attrs dqAttrs{{"dtype", std::string("f32")}, {"axis", int64_t{-1}}, {"block_size", int64_t{0}}};
  ValueId s = b.constant(f32({}, {0.5f}), "s");
  ValueId dq = b.create1("dequantize_linear", "dq", {codesIn, s}, dqAttrs);
  Attrs qAttrs{{"dtype", std::string("i4")},
               {"precision", std::string("f32")},
               {"axis", int64_t{-1}},
               {"block_size", int64_t{0}}};
  ValueId wq = b.create1("quantize_linear", "wq",
                         {b.constant(f32({2, 2}, {1.3f, -0.2f, 9, -9}), "w"), s}, qAttrs);
  ValueId w = b.create1("dequantize_linear", "wdq", {wq, s}, dqAttrs);
  g.outputs = {b.create1("matmul", "fc", {dq, w})};
  Graph out = convert(g);
  CHECK(countKind(out, "quantize_linear") == 0);
  CHECK(countKind(out, "quantize") == 0);
  REQUIRE(countKind(out, "dequantize") == 2);
  for (const Op &op : out.ops)
    if (op.kind == "dequantize" && out.constantValue(op.inputs[0])) {
      const Tensor &codes = *out.constantValue(op.inputs[0]);
      // rne(w / 0.5) saturated to int4: 2.6 -> 3, -0.4 -> 0, 18 -> 7, -18 -> -8.
      std::vector<int64_t> values;
      for (int64_t i = 0; i < codes.numel(); ++i) values.push_back(codes.getInt(i));
      CHECK(values == std::vector<int64_t>{3, 0, 7, -8});
    }
  std::vector<Tensor> in{ints(DType::i8, {1, 2}, {-7, 100})};
  CHECK(Interpreter(g).run(in).at(0) == Interpreter(out).run(in).at(0));
}

TEST_CASE("qdq_to_quantized: multi_threshold", "[passes][qdq]") {
  auto build = [](double outScale, double outBias, Tensor thresholds) {
    Graph g;
    Builder b(g);
    ValueId x = b.input("x", TensorType(DType::f32, {1, 2}));
    Attrs attrs{{"axis", int64_t{1}},
                {"out_scale", outScale},
                {"out_bias", outBias},
                {"out_dtype", std::string("")}};
    g.outputs = {
        b.create1("multi_threshold", "mt", {x, b.constant(std::move(thresholds), "t")}, attrs)};
    return g;
  };
  SECTION("one zero threshold with bipolar output is bipolar quantization") {
    Graph g = build(2, -1, f32({1, 1}, {0}));
    Graph out = convert(g);
    CHECK(countKind(out, "multi_threshold") == 0);
    CHECK(onlyOp(out, "quantize").getString("form") == "bipolar");
    checkSameOutputs(g, out, 2, 1);
  }
  SECTION("other integer outputs: the compare stays, its output is quantized") {
    struct Case {
      double scale, bias;
      int64_t n;
      QEncoding encoding;
      double zero;
    };
    for (Case c : {Case{1, 0, 3, QEncoding::uint, 0}, Case{0.5, -0.5, 2, QEncoding::ternary, 0},
                   Case{2, -8, 7, QEncoding::sint, 0}, Case{1, 2, 3, QEncoding::uint, -2},
                   Case{2, -1, 1, QEncoding::bipolar, 0}}) {
      std::vector<float> t;
      for (int64_t r = 0; r < 2; ++r)
        for (int64_t j = 0; j < c.n; ++j) t.push_back(static_cast<float>(j) - 1.5f + 0.5f * r);
      Graph g = build(c.scale, c.bias, f32({2, c.n}, t));
      Graph out = convert(g);
      CHECK(countKind(out, "multi_threshold") == 1);
      const Op &quantize = onlyOp(out, "quantize");
      CHECK(out.type(quantize.outputs[0]).quant->encoding == c.encoding);
      CHECK(quantize.getFloats("zero_point") == std::vector<double>{c.zero});
      checkSameOutputs(g, out, 4, 0.5f);
    }
  }
  SECTION("outputs that are not integer codes stay float") {
    Graph g = build(0.5, 0.25, f32({1, 2}, {0, 1}));
    WarningCollector warnings;
    Graph out = convert(g);
    REQUIRE(warnings.warnings().size() == 1);
    CHECK_THAT(warnings.warnings()[0], Catch::Contains("op 'multi_threshold' (mt) stays float"));
    CHECK(countKind(out, "quantize") == 0);
    CHECK_THROWS_WITH(convert(g, true), Catch::Contains("op 'multi_threshold' (mt)"));
  }
}

TEST_CASE("qdq_to_quantized: quantizers it cannot convert", "[passes][qdq]") {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {1, 2}));
  ValueId s = b.input("s", TensorType(DType::f32, {}));
  ValueId zero = b.constant(f32({}, {0}), "z");
  ValueId half = b.constant(f32({}, {0.5f}), "half");
  ValueId dynamic = b.create1("quant", "dynamic", {x, s, zero}, quantAttrs(4, 1, 0));
  ValueId wide = b.create1("quant", "wide", {x, half, zero}, quantAttrs(20, 1, 0));
  ValueId fractional = b.create1("quant", "fractional", {x, half, half}, quantAttrs(4, 1, 0));
  ValueId zeroScale = b.create1("bipolar_quant", "zero_scale", {x, b.constant(f32({}, {0}), "s0")});
  g.outputs = {dynamic, wide, fractional, zeroScale};
  WarningCollector warnings;
  Graph out = convert(g);
  const std::vector<std::string> &w = warnings.warnings();
  REQUIRE(w.size() == 4);
  CHECK_THAT(w[0], Catch::Contains("(dynamic) stays float") && Catch::Contains("not a constant"));
  CHECK_THAT(w[1], Catch::Contains("(wide) stays float") && Catch::Contains("wider than 16"));
  CHECK_THAT(w[2], Catch::Contains("(fractional) stays float") && Catch::Contains("zero point"));
  CHECK_THAT(w[3], Catch::Contains("(zero_scale) stays float") && Catch::Contains("scale"));
  CHECK(countKind(out, "quantize") == 0);
  CHECK_THROWS_WITH(convert(g, true),
                    Catch::Contains("op 'quant' (dynamic) cannot be made integer"));
}

TEST_CASE("qdq_to_quantized: quantizers of constants that cannot be codes fold to floats",
          "[passes][qdq]") {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {1, 2}));
  // A 24-bit bias quantizer (too wide for codes) and an int32 bias dequantize_linear.
  ValueId wide = b.create1("quant", "bias_quant",
                           {b.constant(f32({2}, {0.3f, -1.7f}), "bias"),
                            b.constant(f32({}, {0.001f}), "bs"), b.constant(f32({}, {0}), "bz")},
                           quantAttrs(24, 1, 0));
  ValueId i32 =
      b.create1("dequantize_linear", "bias_dq",
                {b.constant(ints(DType::i32, {2}, {70000, -3}), "bias32"),
                 b.constant(f32({}, {0.5f}), "bs32")},
                {{"dtype", std::string("f32")}, {"axis", int64_t{-1}}, {"block_size", int64_t{0}}});
  g.outputs = {b.create1("add", "a", {x, wide}), b.create1("add", "b", {x, i32})};
  WarningCollector warnings;
  Graph out = convert(g, true);
  CHECK(warnings.warnings().empty());
  CHECK(countKind(out, "quant") + countKind(out, "dequantize_linear") == 0);
  CHECK(countKind(out, "constant") == 2);
  checkSameOutputs(g, out, 4, 1);
}
