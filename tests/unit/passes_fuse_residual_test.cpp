// fuse, residual tails: quantize(add(A, B)) of form "bipolar", with A and B each a dequantize of
// integer codes, optionally batch-normalized, becomes one residual_quantize. The interpreter's
// outputs of the unfused chain (dequantize, batch_normalization, add, quantize: the oracle) and
// of the fused op must be equal bit for bit, over random shapes, parameters and codes chosen so
// that many sums are exactly 0.
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "ir/verifier.h"
#include "passes/pass_registry.h"
#include "tests/support/random.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace qcc;
using qcc::test::Rng;

namespace {

TensorType bipolarType(const Shape &shape) {
  TensorType t(DType::i8, shape);
  QuantInfo q;
  q.encoding = QEncoding::bipolar;
  q.bits = 1;
  q.scale = {1.0};
  q.zeroPoint = {0.0};
  t.quant = q;
  return t;
}

Tensor floats(Rng &rng, int64_t n, const std::vector<double> &choices) {
  Tensor t(DType::f32, {n});
  for (int64_t i = 0; i < n; ++i)
    t.setDouble(i, choices[static_cast<size_t>(rng.integer(0, int64_t(choices.size()) - 1))]);
  return t;
}

// dequantize(x) per channel, then batch normalization when `batchNorm`.
ValueId branch(Rng &rng, Builder &b, ValueId x, int64_t channels, bool batchNorm,
               const std::string &name) {
  std::vector<double> scale;
  for (int64_t c = 0; c < channels; ++c) scale.push_back(rng.coin() ? 0.5 : 0.047348238527774811);
  ValueId f = b.create1("dequantize", name + ".dq", {x},
                        {{"axis", int64_t{1}},
                         {"scale", scale},
                         {"zero_point", std::vector<double>(size_t(channels), 0.0)}});
  if (!batchNorm) return f;
  std::vector<ValueId> operands{f};
  operands.push_back(b.constant(floats(rng, channels, {1.0, -1.0, 1.7}), name + ".gamma"));
  operands.push_back(b.constant(floats(rng, channels, {0.0, 0.5, 0.3}), name + ".beta"));
  operands.push_back(b.constant(floats(rng, channels, {0.0, -1.0, 0.1}), name + ".mean"));
  operands.push_back(b.constant(floats(rng, channels, {1.0, 4.0, 0.3}), name + ".var"));
  return b.create1("batch_normalization", name + ".bn", operands, {{"epsilon", 0.0}});
}

} // namespace

TEST_CASE("fuse makes residual tails one residual_quantize, bit-exact", "[passes][fuse]") {
  Rng rng(97);
  for (int trial = 0; trial < 60; ++trial) {
    Shape shape{1, rng.integer(1, 4), rng.integer(1, 4), rng.integer(1, 5)};
    int64_t channels = shape[1];
    bool codesResidual = rng.coin(); // B = dequantize(bipolar codes), else bn(dequantize(acc))
    Graph graph;
    Builder b(graph);
    ValueId acc = b.input("acc", TensorType(DType::i32, shape));
    ValueId other = codesResidual ? b.input("r", bipolarType(shape))
                                  : b.input("acc2", TensorType(DType::i32, shape));
    ValueId fa = branch(rng, b, acc, channels, rng.integer(0, 3) != 0, "a");
    ValueId fb = codesResidual ? b.create1("dequantize", "r.dq", {other},
                                           {{"axis", int64_t{-1}},
                                            {"scale", std::vector<double>{1.0}},
                                            {"zero_point", std::vector<double>{0.0}}})
                               : branch(rng, b, other, channels, true, "b");
    bool swap = rng.coin();
    ValueId sum = b.create1("add", "add", {swap ? fb : fa, swap ? fa : fb});
    graph.outputs = {b.create1("quantize", "act", {sum},
                               {{"axis", int64_t{-1}},
                                {"bits", int64_t{1}},
                                {"encoding", std::string("bipolar")},
                                {"form", std::string("bipolar")},
                                {"narrow", int64_t{0}},
                                {"rounding_mode", std::string("ROUND")},
                                {"scale", std::vector<double>{1.0}},
                                {"zero_point", std::vector<double>{0.0}}})};
    Graph fused = graph;
    PassRegistry::instance().create("fuse")->run(fused);
    verify(fused, kLoweredLevel);
    REQUIRE(fused.ops.size() == 1);
    REQUIRE(fused.ops[0].kind == "residual_quantize");
    for (int sample = 0; sample < 4; ++sample) {
      std::vector<Tensor> inputs;
      for (ValueId v : graph.inputs) {
        Tensor t(graph.type(v));
        for (int64_t i = 0; i < t.numel(); ++i)
          t.setInt(i, t.dtype() == DType::i8 ? (rng.coin() ? 1 : -1) : rng.integer(-6, 6));
        inputs.push_back(std::move(t));
      }
      Tensor expected = Interpreter(graph).run(inputs).at(0);
      Tensor actual = Interpreter(fused).run(inputs).at(0);
      REQUIRE(actual.type() == expected.type());
      for (int64_t i = 0; i < expected.numel(); ++i)
        if (actual.getInt(i) != expected.getInt(i))
          FAIL(fmt::format("trial {} element {}: chain {}, fused {}", trial, i, expected.getInt(i),
                           actual.getInt(i)));
    }
  }
}
