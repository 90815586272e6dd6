// residual_quantize (ir/ops/residual.cpp, codegen/emit_quant.cpp): the compiled kernel against
// the interpreter over random shapes, operand dtypes and parameters, with values chosen so that
// many sums are exactly 0 (the tie of the bipolar code) or -0.0, and some parameters that give
// infinities and NaNs; operand b unpacked or packed (the kernel's interval path, with
// accumulators up to the ends of their range), the result unpacked or packed. Codes (or packed
// words) must be equal bit for bit.
#include "codegen/jit.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "ir/ops/packing.h"
#include "tests/support/random.h"
#include "tests/unit/codegen_test_target.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace qcc;
using qcc::test::Rng;

namespace {

// Scales that keep products exact (many ties), one huge one (infinities) and a negative one.
double randomScale(Rng &rng) {
  static const double kScales[] = {0.5, 0.25, 1.0, 0.125, 0.047348238527774811, -0.5, 1e38};
  return kScales[rng.integer(0, 6)];
}

std::vector<double> perChannel(Rng &rng, int64_t channels, const std::function<double()> &draw) {
  std::vector<double> v;
  int64_t n = rng.coin() ? 1 : channels;
  for (int64_t c = 0; c < n; ++c) v.push_back(draw());
  return v;
}

void addBranch(Rng &rng, Attrs &attrs, const std::string &prefix, int64_t channels) {
  attrs[prefix + "scale"] = perChannel(rng, channels, [&] { return randomScale(rng); });
  attrs[prefix + "zero_point"] =
      perChannel(rng, channels, [&] { return static_cast<double>(rng.integer(-2, 2)); });
  if (!rng.coin()) return;
  auto draw = [&](const std::vector<double> &choices) {
    std::vector<double> v;
    for (int64_t c = 0; c < channels; ++c)
      v.push_back(choices[static_cast<size_t>(rng.integer(0, int64_t(choices.size()) - 1))]);
    return v;
  };
  attrs[prefix + "mean"] = draw({0.0, 0.5, -1.0, 0.1});
  // var + epsilon = 1 or 4 gives an exact root; a negative var gives NaN.
  attrs[prefix + "var"] = draw({1.0, 4.0, 0.3, -2.0});
  attrs[prefix + "gamma"] = draw({1.0, -1.0, 0.5, 0.0, 1.7});
  attrs[prefix + "beta"] = draw({0.0, 0.5, -0.25, 0.3});
  attrs[prefix + "epsilon"] = 0.0;
}

Tensor randomCodes(Rng &rng, DType t, const Shape &shape) {
  Tensor out(t, shape);
  int mode = static_cast<int>(rng.integer(0, 2));
  for (int64_t i = 0; i < out.numel(); ++i) {
    int64_t v = rng.integer(-4, 4);
    if (mode == 1 && t == DType::i32) v = rng.integer(-100000, 100000);
    if (mode == 2 && rng.integer(0, 3) == 0) v = rng.coin() ? dtypeMin(t) : dtypeMax(t);
    out.setInt(i, v);
  }
  return out;
}

Tensor bipolarCodes(Rng &rng, const Shape &shape) {
  TensorType type(DType::i8, shape);
  QuantInfo q;
  q.encoding = QEncoding::bipolar;
  q.bits = 1;
  q.scale = {1.0};
  q.zeroPoint = {0.0};
  type.quant = q;
  Tensor out(type);
  for (int64_t i = 0; i < out.numel(); ++i) out.setInt(i, rng.coin() ? 1 : -1);
  return packCodes(out, q);
}

} // namespace

TEST_CASE("compiled residual_quantize matches the interpreter", "[codegen][ops]") {
  Rng rng(20261123);
  for (int trial = 0; trial < 80; ++trial) {
    Shape shape{rng.integer(1, 2), rng.integer(1, 5), rng.integer(1, 4), rng.integer(1, 9)};
    if (trial % 4 == 3) shape = {rng.integer(1, 2), rng.integer(1, 6)};
    // Some with more than 64 channels: several packed words per position.
    if (trial % 5 == 4) shape = {1, rng.integer(60, 140), rng.integer(1, 3), rng.integer(1, 3)};
    int64_t channels = shape[1];
    static const DType kTypes[] = {DType::i32, DType::i8, DType::i16};
    DType a = kTypes[rng.integer(0, 2)];
    DType b = kTypes[rng.integer(0, 2)];
    bool packedB = rng.coin();
    Attrs attrs;
    if (rng.coin()) attrs["packed"] = int64_t{1};
    addBranch(rng, attrs, "a_", channels);
    addBranch(rng, attrs, "b_", channels);
    attrs["scale"] = std::vector<double>{1.0};
    attrs["zero_point"] = std::vector<double>{0.0};
    Graph graph;
    Builder builder(graph);
    std::vector<Tensor> inputs{randomCodes(rng, a, shape),
                               packedB ? bipolarCodes(rng, shape) : randomCodes(rng, b, shape)};
    ValueId x = builder.input("a", inputs[0].type());
    ValueId y = builder.input("b", inputs[1].type());
    graph.outputs = builder.create("residual_quantize", "op", {x, y}, attrs);
    Tensor expected = Interpreter(graph).run(inputs).at(0);
    Tensor actual = runCompiled(graph, inputs, testTarget()).at(0);
    REQUIRE(actual.type() == expected.type());
    for (int64_t i = 0; i < expected.numel(); ++i)
      if (actual.getInt(i) != expected.getInt(i))
        FAIL(fmt::format("trial {} element {}: interpreter {}, compiled {}", trial, i,
                         expected.getInt(i), actual.getInt(i)));
  }
}
