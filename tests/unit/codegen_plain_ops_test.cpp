// The plain-op kernel families (codegen/emit_{quant,integer,elementwise,tensor,pool,bitpack,
// float}.cpp) against the interpreter: one op per graph over random shapes, attributes and
// values, interpreter vs runCompiled. Integer results and the float ops the interpreter computes
// with plain IEEE operations must be bit-exact (any NaN matches any NaN); the transcendental
// functions, which cannot call libm, are checked to rtol 1e-6.
#include "codegen/jit.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "ir/ops/packing.h"
#include "tests/support/random.h"
#include "tests/unit/codegen_test_target.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <optional>

using namespace qcc;
using qcc::test::Rng;

namespace {

// ---- operands and comparison ----------------------------------------------------------------

// Random values for dtype t: integers over the whole range of the (logical) type, floats mostly
// in [lo, hi) with some zeros, infinities, NaNs and huge and tiny values mixed in (`specials`).
Tensor randomTensor(Rng &rng, DType t, Shape shape, double lo = -8, double hi = 8,
                    bool specials = true) {
  Tensor out(t, std::move(shape));
  for (int64_t i = 0; i < out.numel(); ++i) {
    if (isFloat(t)) {
      double v = rng.uniform(lo, hi);
      if (specials && rng.integer(0, 30) == 0) {
        static const double kSpecial[] = {0.0,  -0.0,   INFINITY, -INFINITY, NAN,
                                          1e30, -1e-40, 0.5,      -2.5};
        v = kSpecial[rng.integer(0, 8)];
      }
      out.setDouble(i, v);
    } else if (t == DType::boolean) {
      out.setInt(i, rng.integer(0, 1));
    } else if (bitWidth(t) >= 32 && rng.coin()) {
      out.setInt(i, rng.integer(-1000, 1000));
    } else {
      int64_t lo64 = dtypeMin(t), hi64 = t == DType::u64 ? INT64_MAX : dtypeMax(t);
      out.setInt(i, bitWidth(t) == 64 ? static_cast<int64_t>(rng.next()) : rng.integer(lo64, hi64));
    }
  }
  return out;
}

Tensor intsIn(Rng &rng, DType t, Shape shape, int64_t lo, int64_t hi) {
  Tensor out(t, std::move(shape));
  for (int64_t i = 0; i < out.numel(); ++i) out.setInt(i, rng.integer(lo, hi));
  return out;
}

struct Operand {
  Tensor value;
  bool constant = false;
};

Operand input(Tensor t) {
  return {std::move(t), false};
}
Operand constant(Tensor t) {
  return {std::move(t), true};
}

// Equal bits, or both NaN; within rtol (and atol for values near 0) when rtol > 0.
bool sameElement(const Tensor &a, const Tensor &b, int64_t i, double rtol) {
  if (isFloat(a.dtype())) {
    double x = a.getDouble(i), y = b.getDouble(i);
    if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
    if (rtol > 0) return x == y || std::fabs(x - y) <= rtol * std::fabs(x) + 1e-30;
  }
  size_t bytes = storageBytes(a.dtype());
  return std::memcmp(a.bytes().data() + i * bytes, b.bytes().data() + i * bytes, bytes) == 0;
}

std::string describeElement(const Tensor &t, int64_t i) {
  return isFloat(t.dtype()) ? fmt::format("{}", t.getDouble(i)) : fmt::format("{}", t.getInt(i));
}

// Builds graph(operands) -> op(kind, attrs), runs interpreter and compiled code, compares every
// result (exactly, or to rtol). Returns the interpreter's results.
std::vector<Tensor> check(const std::string &kind,
                          const std::vector<std::optional<Operand>> &operands, Attrs attrs = {},
                          double rtol = 0) {
  Graph graph;
  Builder b(graph);
  std::vector<ValueId> ids;
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < operands.size(); ++i) {
    if (!operands[i]) {
      ids.push_back(kNoValue);
    } else if (operands[i]->constant) {
      ids.push_back(b.constant(operands[i]->value, "c" + std::to_string(i)));
    } else {
      ids.push_back(b.input("x" + std::to_string(i), operands[i]->value.type()));
      inputs.push_back(operands[i]->value);
    }
  }
  graph.outputs = b.create(kind, "op", ids, std::move(attrs));
  std::vector<Tensor> expected = Interpreter(graph).run(inputs);
  std::vector<Tensor> actual = runCompiled(graph, inputs, testTarget());
  REQUIRE(actual.size() == expected.size());
  for (size_t r = 0; r < expected.size(); ++r) {
    REQUIRE(actual[r].type() == expected[r].type());
    for (int64_t i = 0; i < expected[r].numel(); ++i)
      if (!sameElement(expected[r], actual[r], i, rtol)) {
        FAIL(fmt::format("{} result {} element {} of {}: interpreter {}, compiled {}", kind, r, i,
                         typeString(expected[r].type()), describeElement(expected[r], i),
                         describeElement(actual[r], i)));
      }
  }
  return expected;
}

Shape randomShape(Rng &rng, int rank, int64_t maxDim = 5) {
  Shape s;
  for (int d = 0; d < rank; ++d) s.push_back(rng.integer(1, maxDim));
  return s;
}

// A random shape that broadcasts to `out` (dims dropped from the front or set to 1).
Shape broadcastable(Rng &rng, const Shape &out) {
  Shape s(out.begin() + rng.integer(0, static_cast<int64_t>(out.size())), out.end());
  for (int64_t &d : s)
    if (rng.integer(0, 2) == 0) d = 1;
  return s;
}

template <typename T> T pick(Rng &rng, const std::vector<T> &v) {
  return v[static_cast<size_t>(rng.integer(0, static_cast<int64_t>(v.size()) - 1))];
}
template <typename T> T pick(Rng &rng, std::initializer_list<T> v) {
  return pick(rng, std::vector<T>(v));
}

const std::vector<DType> kAllTypes = {DType::f32, DType::f64, DType::i2,     DType::u2,
                                      DType::i4,  DType::u4,  DType::i8,     DType::u8,
                                      DType::i16, DType::u16, DType::i32,    DType::u32,
                                      DType::i64, DType::u64, DType::boolean};
const std::vector<DType> kNumericTypes(kAllTypes.begin(), kAllTypes.end() - 1);
const std::vector<DType> kIntegerTypes(kAllTypes.begin() + 2, kAllTypes.end() - 1);

Attrs windowAttrs(Rng &rng, size_t rank, const Shape &in, const Shape &kernel, bool ceil) {
  std::vector<int64_t> strides, dilations, pads(2 * rank);
  for (size_t d = 0; d < rank; ++d) {
    strides.push_back(rng.integer(1, 2));
    dilations.push_back(rng.integer(1, 2));
  }
  for (size_t d = 0; d < rank; ++d) {
    int64_t extent = (kernel[d] - 1) * dilations[d] + 1;
    pads[d] = rng.integer(0, kernel[d] - 1);
    pads[d + rank] = rng.integer(0, kernel[d] - 1);
    // Keep the window inside the padded input.
    while (in[d] + pads[d] + pads[d + rank] < extent) ++pads[d + rank];
  }
  Attrs attrs{{"strides", strides}, {"dilations", dilations}, {"pads", pads}};
  if (ceil) attrs["ceil_mode"] = rng.integer(0, 1);
  return attrs;
}

} // namespace

// ---- quantized-level quantizers ------------------------------------------------------------

TEST_CASE("compiled quantize matches the interpreter for every form and encoding",
          "[codegen][ops]") {
  Rng rng(1);
  struct Encoding {
    const char *name;
    int64_t bits, narrow;
  };
  const std::vector<Encoding> encodings = {{"uint", 1, 0},  {"uint", 2, 0}, {"uint", 8, 0},
                                           {"uint", 12, 1}, {"int", 2, 0},  {"int", 4, 1},
                                           {"int", 8, 0},   {"int", 16, 0}, {"ternary", 2, 1}};
  const std::vector<std::string> modes = {"ROUND", "CEIL",    "FLOOR",    "UP",
                                          "DOWN",  "HALF_UP", "HALF_DOWN"};
  for (int trial = 0; trial < 40; ++trial) {
    Shape shape = randomShape(rng, static_cast<int>(rng.integer(1, 4)));
    Encoding e = pick(rng, encodings);
    bool perChannel = rng.coin();
    int64_t axis = perChannel ? rng.integer(0, static_cast<int64_t>(shape.size()) - 1) : -1;
    int64_t channels = perChannel ? shape[static_cast<size_t>(axis)] : 1;
    std::string form = rng.coin() ? "qonnx" : "onnx";
    std::vector<double> scale, zero;
    for (int64_t c = 0; c < channels; ++c) {
      scale.push_back(static_cast<float>(rng.uniform(0.05, 2.0)));
      zero.push_back(form == "onnx" || rng.coin() ? static_cast<double>(rng.integer(-2, 3))
                                                  : static_cast<float>(rng.uniform(-2, 2)));
    }
    std::string mode = form == "onnx" ? "ROUND" : pick(rng, modes);
    // Values near code boundaries and halfway points exercise the rounding.
    Tensor x = randomTensor(rng, DType::f32, shape, -70, 70);
    for (int64_t i = 0; i < x.numel(); ++i)
      if (rng.coin()) x.setDouble(i, static_cast<double>(rng.integer(-40, 40)) * 0.25);
    Attrs attrs{{"encoding", std::string(e.name)},
                {"bits", e.bits},
                {"narrow", e.narrow},
                {"axis", axis},
                {"scale", scale},
                {"zero_point", zero},
                {"rounding_mode", mode},
                {"form", form}};
    INFO(form << " " << e.name << e.bits << " " << mode << " " << shapeString(shape));
    check("quantize", {input(x)}, attrs);
  }
  Tensor x = randomTensor(rng, DType::f32, {3, 7});
  x.setDouble(0, -0.0);
  check("quantize", {input(x)},
        {{"encoding", std::string("bipolar")},
         {"bits", int64_t{1}},
         {"narrow", int64_t{0}},
         {"axis", int64_t{-1}},
         {"scale", std::vector<double>{1.0}},
         {"zero_point", std::vector<double>{0.0}},
         {"rounding_mode", std::string("ROUND")},
         {"form", std::string("bipolar")}});
}

TEST_CASE("compiled dequantize and threshold match the interpreter", "[codegen][ops]") {
  Rng rng(2);
  for (int trial = 0; trial < 30; ++trial) {
    Shape shape = randomShape(rng, static_cast<int>(rng.integer(1, 4)));
    DType t = pick(rng, {DType::i8, DType::u8, DType::i16, DType::i32, DType::i64, DType::u64});
    bool perChannel = rng.coin();
    int64_t axis = perChannel ? rng.integer(0, static_cast<int64_t>(shape.size()) - 1) : -1;
    int64_t channels = perChannel ? shape[static_cast<size_t>(axis)] : 1;
    std::vector<double> scale, zero;
    for (int64_t c = 0; c < channels; ++c) {
      scale.push_back(rng.uniform(0.001, 3.0));
      zero.push_back(static_cast<double>(rng.integer(-3, 3)));
    }
    check("dequantize", {input(randomTensor(rng, t, shape))},
          {{"axis", axis}, {"scale", scale}, {"zero_point", zero}});
  }
  struct Encoding {
    const char *name;
    int64_t bits, narrow;
  };
  const std::vector<Encoding> encodings = {{"bipolar", 1, 0}, {"ternary", 2, 1}, {"uint", 2, 0},
                                           {"int", 3, 0},     {"uint", 8, 0},    {"int", 10, 1}};
  for (int trial = 0; trial < 30; ++trial) {
    // Channel planes of 16 elements or more are counted plane-wise, shorter ones per element.
    Shape shape = trial % 3 == 0 ? Shape{2, rng.integer(1, 4), rng.integer(4, 7), rng.integer(4, 7)}
                                 : randomShape(rng, static_cast<int>(rng.integer(2, 4)));
    Encoding e = pick(rng, encodings);
    int64_t axis = trial % 3 == 0 ? 1 : rng.integer(0, static_cast<int64_t>(shape.size()) - 1);
    int64_t channels = shape[static_cast<size_t>(axis)];
    int64_t levels = std::string(e.name) == "bipolar"   ? 1
                     : std::string(e.name) == "ternary" ? 2
                     : std::string(e.name) == "uint"    ? (int64_t{1} << e.bits) - 1 - e.narrow
                                                        : (int64_t{1} << e.bits) - 1 - e.narrow;
    int64_t n = rng.integer(1, std::min<int64_t>(levels, 40));
    int64_t rows = rng.coin() ? channels : 1;
    Tensor table = intsIn(rng, DType::i64, {rows, n}, -60, 60);
    // Sorted rows (as streamline makes them, with repeats) take the binary search.
    if (rng.coin())
      for (int64_t r = 0; r < rows; ++r) {
        std::vector<int64_t> row;
        for (int64_t t = 0; t < n; ++t) row.push_back(table.getInt(r * n + t));
        std::sort(row.begin(), row.end());
        for (int64_t t = 0; t < n; ++t)
          table.setInt(r * n + t, t > 0 && rng.integer(0, 4) == 0 ? row[static_cast<size_t>(t - 1)]
                                                                  : row[static_cast<size_t>(t)]);
      }
    std::vector<int64_t> descending;
    if (rng.coin())
      for (int64_t c = 0; c < channels; ++c) descending.push_back(rng.integer(0, 1));
    DType accType = pick(rng, {DType::i32, DType::i64, DType::i16, DType::u8});
    Tensor acc = intsIn(rng, accType, shape, accType == DType::u8 ? 0 : -70, 70);
    check("threshold", {input(acc), constant(table)},
          {{"axis", axis},
           {"descending", descending},
           {"encoding", std::string(e.name)},
           {"bits", e.bits},
           {"narrow", e.narrow},
           {"scale", std::vector<double>{0.5}},
           {"zero_point", std::vector<double>{0.0}}});
  }
}

TEST_CASE("compiled QDQ and QONNX quantizers match the interpreter", "[codegen][ops]") {
  Rng rng(3);
  for (int trial = 0; trial < 30; ++trial) {
    Shape shape = randomShape(rng, static_cast<int>(rng.integer(1, 4)));
    DType q = pick(rng, {DType::u8, DType::i8, DType::i4, DType::u4, DType::i16, DType::u16});
    DType xType = pick(rng, {DType::f32, DType::f64, DType::i32});
    std::string precision = xType == DType::f64 || rng.coin() ? "f64" : "f32";
    int64_t mode = rng.integer(0, 2); // per tensor, per axis, blocked
    int64_t axis = rng.integer(0, static_cast<int64_t>(shape.size()) - 1);
    int64_t dim = shape[static_cast<size_t>(axis)];
    int64_t block = mode == 2 ? rng.integer(1, dim) : 0;
    Shape param = mode == 0 ? Shape{} : mode == 1 ? Shape{dim} : shape;
    if (mode == 2) param[static_cast<size_t>(axis)] = (dim + block - 1) / block;
    Tensor scale = randomTensor(rng, pick(rng, {DType::f32, DType::f64}), param, 0.01, 2, false);
    Tensor zero = randomTensor(rng, q, param);
    Tensor x = randomTensor(rng, xType, shape, -300, 300);
    Attrs attrs{{"axis", axis}, {"block_size", block}, {"dtype", std::string(dtypeName(q))}};
    attrs["precision"] = precision;
    check("quantize_linear", {input(x), constant(scale), input(zero)}, attrs);
    Attrs dq{
        {"axis", axis}, {"block_size", block}, {"dtype", std::string(rng.coin() ? "f32" : "f64")}};
    Tensor codes = randomTensor(rng, q, shape);
    check("dequantize_linear", {input(codes), constant(scale), constant(zero)}, dq);
    check("dequantize_linear", {input(codes), input(scale)}, dq);
  }
  for (int trial = 0; trial < 20; ++trial) {
    Shape shape = randomShape(rng, static_cast<int>(rng.integer(1, 3)));
    int64_t axis = rng.integer(0, static_cast<int64_t>(shape.size()) - 1);
    bool perAxis = rng.coin();
    Shape param = perAxis ? Shape{shape[static_cast<size_t>(axis)]} : Shape{1};
    DType out = pick(rng, {DType::u8, DType::i8, DType::i16});
    Tensor acc = intsIn(rng, DType::i32, shape, -100000, 100000);
    Tensor multiplier = randomTensor(rng, DType::f32, param, 0.0001, 0.01, false);
    std::optional<Operand> zero;
    if (rng.coin()) zero = constant(randomTensor(rng, out, {}));
    std::optional<Operand> bias;
    if (rng.coin()) bias = constant(intsIn(rng, DType::i32, param, -500, 500));
    check("requantize", {input(acc), constant(multiplier), zero, bias},
          {{"axis", axis}, {"dtype", std::string(dtypeName(out))}});
  }
  const std::vector<std::string> modes = {"ROUND", "CEIL",    "FLOOR",    "UP",
                                          "DOWN",  "HALF_UP", "HALF_DOWN"};
  for (int trial = 0; trial < 20; ++trial) {
    Shape shape = randomShape(rng, 3);
    Tensor x = randomTensor(rng, DType::f32, shape, -20, 20);
    Tensor scale = randomTensor(rng, DType::f32, broadcastable(rng, shape), 0.1, 1.5, false);
    Tensor zero = intsIn(rng, pick(rng, {DType::f32, DType::i8}), broadcastable(rng, shape), -2, 2);
    int64_t bits = pick(rng, std::vector<int64_t>{2, 4, 8, 33});
    int64_t isSignedQuant = rng.integer(0, 1);
    check("quant", {input(x), input(scale), constant(zero)},
          {{"bits", bits},
           {"signed", isSignedQuant},
           {"narrow", rng.integer(0, 1)},
           {"rounding_mode", pick(rng, modes)}});
    check("bipolar_quant", {input(x), input(scale)});
    int64_t axis = rng.integer(0, 2);
    int64_t rows = rng.coin() ? shape[static_cast<size_t>(axis)] : 1;
    Tensor thresholds = randomTensor(rng, DType::f32, {rows, rng.integer(1, 6)}, -20, 20, false);
    check("multi_threshold", {input(x), constant(thresholds)},
          {{"axis", axis}, {"out_scale", 0.5}, {"out_bias", -1.0}});
  }
}

TEST_CASE("compiled dynamic_quantize_linear and float_quant match the interpreter",
          "[codegen][ops]") {
  Rng rng(17);
  for (int trial = 0; trial < 10; ++trial) {
    Tensor x = randomTensor(rng, DType::f32, randomShape(rng, 2, 7), rng.uniform(-10, 0),
                            rng.uniform(0, 10), false);
    if (trial == 0) x = Tensor(DType::f32, {3, 2});
    if (trial == 1) x.setDouble(0, NAN);
    check("dynamic_quantize_linear", {input(x)});
  }
  struct Format {
    int64_t exponentBits, mantissaBits;
    double bias;
  };
  for (Format f : {Format{4, 3, 7}, Format{5, 2, 15}, Format{8, 7, 127}, Format{3, 0, 1}})
    for (int trial = 0; trial < 4; ++trial) {
      Shape shape = randomShape(rng, 2, 6);
      Tensor x = randomTensor(rng, DType::f32, shape, -500, 500);
      for (int64_t i = 0; i < x.numel(); i += 3)
        x.setDouble(i, std::ldexp(rng.uniform(-2, 2), static_cast<int>(rng.integer(-140, 127))));
      Tensor scale = randomTensor(rng, DType::f32, broadcastable(rng, shape), 0.5, 2, false);
      int64_t saturation = trial % 2, hasInf = trial / 2 % 2;
      check("float_quant", {input(x), constant(scale)},
            {{"exponent_bits", f.exponentBits},
             {"mantissa_bits", f.mantissaBits},
             {"exponent_bias", f.bias},
             {"max_val", rng.coin() ? 1e30 : 200.0},
             {"rounding_mode", std::string(trial == 3 ? "FLOOR" : "ROUND")},
             {"saturation", saturation},
             {"has_inf", hasInf},
             {"has_nan", int64_t{saturation == 0 && hasInf == 0 ? 1 : rng.integer(0, 1)}},
             {"has_subnormal", int64_t{1}}});
    }
  // Magnitudes just below a power of two, where float32 log2 rounds up to the next exponent.
  Tensor edges(DType::f32, {2 * 250});
  for (int e = -125; e < 125; ++e) {
    edges.setDouble(2 * (e + 125), std::nextafter(std::ldexp(1.0f, e), 0.0f));
    edges.setDouble(2 * (e + 125) + 1, -std::ldexp(1.0f, e) * (1.0f - 3e-6f));
  }
  check("float_quant", {input(edges), constant(Tensor::scalar(DType::f32, 1.0))},
        {{"exponent_bits", int64_t{8}},
         {"mantissa_bits", int64_t{23}},
         {"exponent_bias", 127.0},
         {"max_val", 1e38},
         {"rounding_mode", std::string("ROUND")},
         {"saturation", int64_t{1}},
         {"has_inf", int64_t{0}},
         {"has_nan", int64_t{0}},
         {"has_subnormal", int64_t{1}}});
}

TEST_CASE("compiled trunc matches the interpreter", "[codegen][ops]") {
  Rng rng(19);
  const std::vector<std::string> modes = {"ROUND", "CEIL",    "FLOOR",    "UP",
                                          "DOWN",  "HALF_UP", "HALF_DOWN"};
  for (int trial = 0; trial < 20; ++trial) {
    Shape shape = randomShape(rng, 3);
    Tensor x = randomTensor(rng, DType::f32, shape, -300, 300);
    Tensor scale = randomTensor(rng, DType::f32, broadcastable(rng, shape), 0.1, 2, false);
    Tensor zero = intsIn(rng, DType::f32, broadcastable(rng, shape), -2, 2);
    Attrs attrs{{"in_bits", int64_t{8}},
                {"out_bits", rng.integer(2, 7)},
                {"rounding_mode", pick(rng, modes)},
                {"signed", rng.integer(0, 1)},
                {"narrow", rng.integer(0, 1)}};
    check("trunc", {input(x), input(scale), input(zero)}, attrs);
    Tensor outScale = randomTensor(rng, DType::f32, broadcastable(rng, shape), 0.1, 20, false);
    check("trunc", {input(x), constant(scale), constant(zero), constant(outScale)}, attrs);
  }
}

// ---- integer MACs --------------------------------------------------------------------------

TEST_CASE("compiled conv_integer matches the interpreter", "[codegen][ops]") {
  Rng rng(4);
  for (int trial = 0; trial < 60; ++trial) {
    size_t rank = static_cast<size_t>(pick(rng, std::vector<int64_t>{1, 2, 2, 2, 3}));
    int64_t group = rng.integer(1, 3);
    // Few output channels per group take direct row accumulation, more take window dots.
    int64_t channels = group * rng.integer(1, 4), outputs = group * rng.integer(1, 11);
    Shape in = randomShape(rng, static_cast<int>(rank), rank == 3 ? 4 : 9);
    Shape kernel = randomShape(rng, static_cast<int>(rank), 3);
    Attrs attrs = windowAttrs(rng, rank, in, kernel, false);
    attrs["group"] = group;
    Shape xShape{rng.integer(1, 2), channels};
    xShape.insert(xShape.end(), in.begin(), in.end());
    Shape wShape{outputs, channels / group};
    wShape.insert(wShape.end(), kernel.begin(), kernel.end());
    DType xt = pick(rng, {DType::u8, DType::i8, DType::u8, DType::i16, DType::u16, DType::i4});
    DType wt = pick(rng, {DType::i8, DType::u8, DType::i8, DType::i16, DType::u2});
    Tensor x = randomTensor(rng, xt, xShape);
    Tensor w = randomTensor(rng, wt, wShape);
    std::optional<Operand> xZero, wZero;
    if (rng.coin()) xZero = Operand{randomTensor(rng, xt, {}), rng.coin()};
    if (rng.coin())
      wZero = Operand{randomTensor(rng, wt, rng.coin() ? Shape{outputs} : Shape{1}), rng.coin()};
    bool constantWeights = rng.integer(0, 3) != 0;
    INFO("x " << shapeString(xShape) << " w " << shapeString(wShape) << " group " << group);
    check("conv_integer", {input(x), Operand{w, constantWeights}, xZero, wZero}, attrs);
  }
}

TEST_CASE("compiled conv_integer: first layers, few input channels and long rows",
          "[codegen][ops]") {
  // Output channels blocked over row segments (emit_integer.cpp): segments overlapping at the
  // row's end, border columns, rows in the padding, channel counts off the block size.
  Rng rng(41);
  for (int trial = 0; trial < 24; ++trial) {
    int64_t channels = pick(rng, std::vector<int64_t>{1, 3, 3, 4});
    int64_t outputs = pick(rng, std::vector<int64_t>{8, 16, 19, 32, 40});
    int64_t k = pick(rng, std::vector<int64_t>{1, 3, 5, 7});
    Shape in{rng.integer(k + 12, 40), rng.integer(k + 18, 48)};
    Shape kernel{k, k};
    Attrs attrs = windowAttrs(rng, 2, in, kernel, false);
    attrs["group"] = int64_t{1};
    Shape xShape{rng.integer(1, 2), channels, in[0], in[1]};
    Shape wShape{outputs, channels, k, k};
    DType xt = pick(rng, {DType::u8, DType::i8, DType::u4, DType::i4});
    DType wt = pick(rng, {DType::i8, DType::u8, DType::i4});
    Tensor x = randomTensor(rng, xt, xShape);
    Tensor w = randomTensor(rng, wt, wShape);
    std::optional<Operand> xZero, wZero;
    if (rng.coin()) xZero = Operand{randomTensor(rng, xt, {}), true};
    if (rng.coin())
      wZero = Operand{randomTensor(rng, wt, rng.coin() ? Shape{outputs} : Shape{1}), true};
    INFO("x " << shapeString(xShape) << " w " << shapeString(wShape));
    check("conv_integer", {input(x), Operand{w, true}, xZero, wZero}, attrs);
  }
}

TEST_CASE("compiled matmul_integer matches the interpreter", "[codegen][ops]") {
  Rng rng(5);
  for (int trial = 0; trial < 60; ++trial) {
    int64_t m = rng.integer(1, 6), k = rng.integer(1, 70), n = rng.integer(1, 9);
    Shape batch = randomShape(rng, static_cast<int>(rng.integer(0, 2)), 3);
    Shape aShape = broadcastable(rng, batch), bShape = broadcastable(rng, batch);
    aShape.insert(aShape.end(), {m, k});
    bShape.insert(bShape.end(), {k, n});
    if (rng.integer(0, 5) == 0) aShape = {k};
    if (rng.integer(0, 5) == 0) bShape = {k};
    DType at = pick(rng, {DType::u8, DType::i8, DType::i16, DType::u4});
    DType bt = pick(rng, {DType::i8, DType::u8, DType::u16, DType::i2});
    Tensor a = randomTensor(rng, at, aShape), b = randomTensor(rng, bt, bShape);
    std::optional<Operand> aZero, bZero;
    if (rng.coin()) {
      Shape zs{1};
      if (aShape.size() >= 2 && rng.coin()) zs = Shape{m};
      aZero = Operand{randomTensor(rng, at, zs), rng.coin()};
    }
    if (rng.coin()) {
      Shape zs{1};
      if (bShape.size() >= 2 && rng.coin()) zs = Shape{n};
      bZero = Operand{randomTensor(rng, bt, zs), rng.coin()};
    }
    INFO("a " << shapeString(aShape) << " b " << shapeString(bShape));
    check("matmul_integer", {input(a), Operand{b, rng.integer(0, 3) != 0}, aZero, bZero});
  }
}

TEST_CASE("compiled int8 dot products are exact for every sign combination", "[codegen][ops]") {
  // Reductions of 64 bytes and more take the target's dot instruction (VNNI, sdot / udot) where
  // there is one, with sign corrections for the operand signs it lacks.
  Rng rng(18);
  for (DType at : {DType::u8, DType::i8})
    for (DType bt : {DType::u8, DType::i8})
      for (int64_t k : {64, 65, 130, 300}) {
        // Without and with an input zero point (folded out of the dot product).
        std::optional<Operand> zero;
        if (k % 2 == 1) zero = Operand{randomTensor(rng, at, {}), k > 100};
        Tensor a = randomTensor(rng, at, {3, k}), b = randomTensor(rng, bt, {k, 5});
        INFO(dtypeName(at) << " x " << dtypeName(bt) << " k " << k);
        check("matmul_integer", {input(a), constant(b), zero});
        Attrs conv{{"strides", std::vector<int64_t>{1, 1}},
                   {"dilations", std::vector<int64_t>{1, 1}},
                   {"pads", std::vector<int64_t>{1, 0, 1, 2}},
                   {"group", int64_t{1}}};
        Tensor x = randomTensor(rng, at, {1, k / 8, 5, 4});
        Tensor w = randomTensor(rng, bt, {k % 2 == 0 ? 9 : 3, k / 8, 3, 3});
        check("conv_integer", {input(x), constant(w), zero}, conv);
      }
}

// ---- pooling and reductions ----------------------------------------------------------------

TEST_CASE("compiled pooling matches the interpreter", "[codegen][ops]") {
  Rng rng(6);
  for (int trial = 0; trial < 40; ++trial) {
    size_t rank = static_cast<size_t>(rng.integer(1, 3));
    Shape in = randomShape(rng, static_cast<int>(rank), 7);
    Shape kernel = randomShape(rng, static_cast<int>(rank), 3);
    Attrs attrs = windowAttrs(rng, rank, in, kernel, true);
    attrs["kernel_shape"] = kernel;
    Shape xShape{rng.integer(1, 2), rng.integer(1, 3)};
    xShape.insert(xShape.end(), in.begin(), in.end());
    INFO(shapeString(xShape) << " kernel " << shapeString(kernel));
    check("max_pool", {input(randomTensor(rng, pick(rng, kNumericTypes), xShape))}, attrs);
    Attrs withIndices = attrs;
    withIndices["storage_order"] = rng.integer(0, 1);
    check("max_pool_with_indices", {input(randomTensor(rng, DType::f32, xShape))}, withIndices);
    Attrs average = attrs;
    average["count_include_pad"] = rng.integer(0, 1);
    check("average_pool", {input(randomTensor(rng, pick(rng, {DType::f32, DType::f64}), xShape))},
          average);
    Attrs lp = attrs;
    lp.erase("ceil_mode");
    lp["ceil_mode"] = int64_t{0};
    lp["p"] = rng.integer(1, 2);
    check("lp_pool", {input(randomTensor(rng, DType::f32, xShape, -4, 4, false))}, lp);
    check("global_average_pool", {input(randomTensor(rng, DType::f32, xShape))});
    check("global_max_pool", {input(randomTensor(rng, pick(rng, kNumericTypes), xShape))});
  }
}

TEST_CASE("compiled max_pool: integer rows in vector segments", "[codegen][ops]") {
  // Rows long enough for the vector segments of emit_pool.cpp, with border columns, padding
  // rows, strides, dilations and ceil_mode.
  Rng rng(61);
  for (int trial = 0; trial < 30; ++trial) {
    Shape kernel{rng.integer(1, 4), rng.integer(1, 4)};
    Shape in{rng.integer(6, 20), rng.integer(20, 70)};
    Attrs attrs = windowAttrs(rng, 2, in, kernel, true);
    attrs["kernel_shape"] = kernel;
    Shape xShape{rng.integer(1, 2), rng.integer(1, 3), in[0], in[1]};
    DType t =
        pick(rng, {DType::i8, DType::u8, DType::i4, DType::u4, DType::i16, DType::i32, DType::i64});
    INFO(shapeString(xShape) << " kernel " << shapeString(kernel));
    check("max_pool", {input(randomTensor(rng, t, xShape))}, attrs);
  }
}

TEST_CASE("compiled reductions and arg_max / arg_min match the interpreter", "[codegen][ops]") {
  Rng rng(7);
  const std::vector<std::string> kinds = {"reduce_max", "reduce_min", "reduce_sum", "reduce_mean",
                                          "reduce_prod"};
  for (int trial = 0; trial < 60; ++trial) {
    Shape shape = randomShape(rng, static_cast<int>(rng.integer(1, 4)));
    std::vector<int64_t> axes;
    for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
      if (rng.coin()) axes.push_back(d);
    DType t = pick(rng, kNumericTypes);
    std::string kind = pick(rng, kinds);
    Tensor x = kind == "reduce_prod" && isFloat(t) ? randomTensor(rng, t, shape, 0.5, 1.5)
                                                   : randomTensor(rng, t, shape);
    check(kind, {input(x)}, {{"axes", axes}, {"keepdims", rng.integer(0, 1)}});
    int64_t axis = rng.integer(0, static_cast<int64_t>(shape.size()) - 1);
    Tensor y = intsIn(rng, t == DType::boolean ? DType::i8 : t, shape, 0, 3);
    if (isFloat(t) && rng.coin()) y = randomTensor(rng, t, shape);
    check(rng.coin() ? "arg_max" : "arg_min", {input(y)},
          {{"axis", axis},
           {"keepdims", rng.integer(0, 1)},
           {"select_last_index", rng.integer(0, 1)}});
    if (t != DType::boolean)
      check("top_k", {input(y)},
            {{"axis", axis},
             {"k", rng.integer(0, shape[static_cast<size_t>(axis)])},
             {"largest", rng.integer(0, 1)}});
  }
}

// ---- elementwise -----------------------------------------------------------------------------

TEST_CASE("compiled binary elementwise ops match the interpreter with broadcasting",
          "[codegen][ops]") {
  Rng rng(8);
  const std::vector<std::string> numeric = {
      "add", "sub", "mul", "div", "equal", "less", "less_equal", "greater", "greater_equal"};
  const std::vector<std::string> integer = {"bitwise_and", "bitwise_or", "bitwise_xor", "mod"};
  const std::vector<std::string> unsignedOnly = {"shift_left", "shift_right"};
  const std::vector<std::string> logical = {"and", "or", "xor", "equal"};
  for (int trial = 0; trial < 150; ++trial) {
    Shape out = randomShape(rng, static_cast<int>(rng.integer(0, 4)));
    Shape sa = broadcastable(rng, out), sb = broadcastable(rng, out);
    if (rng.coin()) sa = out;
    int which = static_cast<int>(rng.integer(0, 3));
    std::string kind;
    DType t;
    if (which == 0) {
      kind = pick(rng, numeric);
      t = pick(rng, kNumericTypes);
    } else if (which == 1) {
      kind = pick(rng, integer);
      t = pick(rng, kIntegerTypes);
    } else if (which == 2) {
      kind = pick(rng, unsignedOnly);
      t = pick(rng, {DType::u2, DType::u4, DType::u8, DType::u16, DType::u32, DType::u64});
    } else {
      kind = pick(rng, logical);
      t = DType::boolean;
    }
    Tensor a = randomTensor(rng, t, sa), b = randomTensor(rng, t, sb);
    if ((kind == "div" || kind == "mod") && !isFloat(t))
      for (int64_t i = 0; i < b.numel(); ++i)
        if (b.getInt(i) == 0) b.setInt(i, 1);
    if (kind.rfind("shift", 0) == 0)
      for (int64_t i = 0; i < b.numel(); ++i) b.setInt(i, rng.integer(0, bitWidth(t) + 2));
    Attrs attrs;
    if (kind == "mod") attrs["fmod"] = rng.integer(0, 1);
    INFO(kind << " " << dtypeName(t) << " " << shapeString(sa) << " " << shapeString(sb));
    check(kind, {Operand{a, rng.integer(0, 4) == 0}, input(b)}, attrs);
  }
  for (int trial = 0; trial < 20; ++trial) {
    Shape out = randomShape(rng, 3);
    DType t = pick(rng, kIntegerTypes);
    Tensor e =
        intsIn(rng, pick(rng, {DType::i64, DType::i8, DType::u8}), broadcastable(rng, out), 0, 9);
    check("pow", {input(randomTensor(rng, t, out)), input(e)});
  }
  // Negative exponents: 1/x^|e| truncated (the interpreter refuses 0 to a negative power).
  Tensor base = intsIn(rng, DType::i16, {6}, 0, 0);
  Tensor exponent = intsIn(rng, DType::i64, {6}, 0, 0);
  const int64_t bases[] = {1, -1, -1, 2, -3, 7}, exponents[] = {-3, -3, -4, -1, -2, -70};
  for (int64_t i = 0; i < 6; ++i) {
    base.setInt(i, bases[i]);
    exponent.setInt(i, exponents[i]);
  }
  check("pow", {input(base), input(exponent)});
}

TEST_CASE("compiled variadic min / max, where, clip and cast match the interpreter",
          "[codegen][ops]") {
  Rng rng(9);
  for (int trial = 0; trial < 40; ++trial) {
    Shape out = randomShape(rng, static_cast<int>(rng.integer(0, 3)));
    DType t = pick(rng, kNumericTypes);
    std::vector<std::optional<Operand>> operands;
    int64_t count = rng.integer(1, 4);
    for (int64_t k = 0; k < count; ++k)
      operands.push_back(input(randomTensor(rng, t, broadcastable(rng, out))));
    check(rng.coin() ? "min" : "max", operands);
    check("where",
          {input(randomTensor(rng, DType::boolean, broadcastable(rng, out))),
           input(randomTensor(rng, t, broadcastable(rng, out))), input(randomTensor(rng, t, out))});
    std::optional<Operand> lo, hi;
    if (rng.coin()) lo = input(randomTensor(rng, t, {}));
    if (rng.coin()) hi = constant(randomTensor(rng, t, {1}));
    check("clip", {input(randomTensor(rng, t, out)), lo, hi});
  }
  for (DType from : kAllTypes)
    for (DType to : kAllTypes) {
      INFO(dtypeName(from) << " -> " << dtypeName(to));
      Tensor x =
          isFloat(from) ? randomTensor(rng, from, {40}, -1e5, 1e5) : randomTensor(rng, from, {40});
      if (isFloat(from))
        for (double v : {3e9, -3e9, 1e19, 2e19, -1e19, 255.9, -128.7, 65535.5})
          x.setDouble(rng.integer(0, 39), v);
      check("cast", {input(x)}, {{"to", std::string(dtypeName(to))}});
    }
}

TEST_CASE("compiled unary ops match the interpreter", "[codegen][ops]") {
  Rng rng(10);
  const std::vector<std::string> exact = {"neg",   "abs",        "relu",        "sign",
                                          "sqrt",  "reciprocal", "floor",       "ceil",
                                          "round", "leaky_relu", "hard_sigmoid"};
  for (const std::string &kind : exact)
    for (DType t : kNumericTypes) {
      bool floatOnly = kind == "sqrt" || kind == "reciprocal" || kind == "floor" ||
                       kind == "ceil" || kind == "round" || kind == "leaky_relu" ||
                       kind == "hard_sigmoid";
      if (floatOnly && !isFloat(t)) continue;
      INFO(kind << " " << dtypeName(t));
      Tensor x = randomTensor(rng, t, randomShape(rng, 3, 6), -1e8, 1e8);
      if (isFloat(t))
        for (int64_t i = 0; i < x.numel(); i += 2)
          x.setDouble(i,
                      static_cast<double>(rng.integer(-20, 20)) * 0.25 + (rng.coin() ? 0.0 : 1e-3));
      Attrs attrs;
      if (kind == "leaky_relu") attrs["alpha"] = 0.1;
      if (kind == "hard_sigmoid") attrs = {{"alpha", 0.2}, {"beta", 0.5}};
      check(kind, {input(x)}, attrs);
    }
  for (DType t : kIntegerTypes) check("bitwise_not", {input(randomTensor(rng, t, {3, 5}))});
  check("not", {input(randomTensor(rng, DType::boolean, {4, 4}))});
  // Halfway points, magnitudes around 2^23 and the specials exercise the rounding functions.
  Tensor edges(DType::f32, {16});
  const float values[] = {1e10f,     -3e9f, 8388607.5f, -8388608.0f, 4194303.5f, 0.49999997f,
                          -0.5f,     -0.0f, 2.5f,       -2.5f,       1.5f,       INFINITY,
                          -INFINITY, NAN,   0.5f,       -1.5f};
  std::memcpy(edges.bytes().data(), values, sizeof(values));
  for (const char *kind : {"floor", "ceil", "round"}) check(kind, {input(edges)});
  Tensor wide = randomTensor(rng, DType::f64, {64}, -1e17, 1e17);
  for (int64_t i = 0; i < 32; ++i) wide.setDouble(i, static_cast<double>(rng.integer(-9, 9)) * 0.5);
  for (const char *kind : {"floor", "ceil", "round"}) check(kind, {input(wide)});
}

TEST_CASE("compiled transcendental functions are within rtol 1e-6 of libm", "[codegen][ops]") {
  Rng rng(11);
  for (DType t : {DType::f32, DType::f64}) {
    Tensor x = randomTensor(rng, t, {2000}, -30, 30);
    for (int64_t i = 0; i < 400; ++i)
      x.setDouble(i, rng.uniform(-1, 1) * std::pow(10.0, rng.integer(-8, 2)));
    for (double v : {88.7, 89.0, -87.0, -104.0, 709.0, 710.0, -745.0, 0.0, -0.0})
      x.setDouble(rng.integer(400, 1999), v);
    for (const char *kind : {"exp", "tanh", "sigmoid", "erf"}) {
      INFO(kind << " " << dtypeName(t));
      check(kind, {input(x)}, {}, 1e-6);
    }
    Tensor positive = randomTensor(rng, t, {2000}, 0, 1000);
    for (int64_t i = 0; i < 500; ++i) positive.setDouble(i, std::pow(10.0, rng.uniform(-40, 30)));
    for (double v : {0.0, -1.0, 1.0, 2.0, 0.5, 1e-45, 1e-310})
      positive.setDouble(rng.integer(500, 1999), v);
    INFO("log " << dtypeName(t));
    check("log", {input(positive)}, {}, 1e-6);
  }
}

// ---- data movement -------------------------------------------------------------------------

TEST_CASE("compiled data-movement ops match the interpreter", "[codegen][ops]") {
  Rng rng(12);
  for (int trial = 0; trial < 40; ++trial) {
    int rank = static_cast<int>(rng.integer(1, 4));
    Shape shape = randomShape(rng, rank);
    DType t = pick(rng, kAllTypes);
    Tensor x = randomTensor(rng, t, shape);
    std::vector<int64_t> perm(static_cast<size_t>(rank));
    for (int d = 0; d < rank; ++d) perm[static_cast<size_t>(d)] = d;
    for (int d = rank - 1; d > 0; --d)
      std::swap(perm[static_cast<size_t>(d)], perm[static_cast<size_t>(rng.integer(0, d))]);
    check("transpose", {input(x)}, {{"perm", perm}});

    int64_t axis = rng.integer(0, rank - 1);
    std::vector<std::optional<Operand>> parts;
    for (int64_t k = rng.integer(1, 3); k > 0; --k) {
      Shape s = shape;
      s[static_cast<size_t>(axis)] = rng.integer(1, 3);
      parts.push_back(Operand{randomTensor(rng, t, s), rng.coin()});
    }
    check("concat", parts, {{"axis", axis}});

    std::vector<int64_t> split;
    for (int64_t left = shape[static_cast<size_t>(axis)]; left > 0;) {
      int64_t n = rng.integer(1, left);
      split.push_back(n);
      left -= n;
    }
    check("split", {input(x)}, {{"axis", axis}, {"split", split}});

    std::vector<int64_t> starts, ends, steps;
    for (int64_t d : shape) {
      int64_t step = pick(rng, std::vector<int64_t>{1, 1, 2, -1, -2});
      int64_t a = rng.integer(0, d - 1), e = rng.integer(0, d);
      if (step < 0) {
        a = rng.integer(0, d - 1);
        e = rng.integer(-1, a);
      } else if (e < a) {
        std::swap(a, e);
      }
      starts.push_back(a);
      ends.push_back(e);
      steps.push_back(step);
    }
    check("slice", {input(x)}, {{"starts", starts}, {"ends", ends}, {"steps", steps}});

    Shape big = shape;
    Shape small = broadcastable(rng, big);
    check("expand", {input(randomTensor(rng, t, small))}, {{"shape", big}});
    std::vector<int64_t> repeats;
    for (int d = 0; d < rank; ++d) repeats.push_back(rng.integer(0, 3));
    check("tile", {input(x)}, {{"repeats", repeats}});

    Tensor indices =
        intsIn(rng, pick(rng, {DType::i32, DType::i64}),
               randomShape(rng, static_cast<int>(rng.integer(0, 2)), 4),
               -shape[static_cast<size_t>(axis)], shape[static_cast<size_t>(axis)] - 1);
    check("gather", {input(x), Operand{indices, rng.coin()}}, {{"axis", axis}});

    std::string mode = pick(rng, std::vector<std::string>{"constant", "reflect", "edge", "wrap"});
    std::vector<int64_t> pads(static_cast<size_t>(2 * rank));
    for (int d = 0; d < rank; ++d) {
      int64_t dim = shape[static_cast<size_t>(d)];
      pads[static_cast<size_t>(d)] = rng.integer(mode == "constant" ? -dim + 1 : 0, 3);
      pads[static_cast<size_t>(d + rank)] = rng.integer(mode == "constant" ? -1 : 0, 3);
      if (dim + pads[static_cast<size_t>(d)] + pads[static_cast<size_t>(d + rank)] < 0)
        pads[static_cast<size_t>(d + rank)] = 0;
    }
    Attrs padAttrs{{"pads", pads}, {"mode", mode}, {"value", 1.5}};
    if (t != DType::boolean) {
      INFO("pad " << mode << " " << shapeString(shape) << " " << shapeString(pads));
      check("pad", {input(x)}, padAttrs);
      if (mode == "constant") check("pad", {input(x), input(randomTensor(rng, t, {}))}, padAttrs);
    }
  }
}

TEST_CASE("compiled resize matches the interpreter", "[codegen][ops]") {
  Rng rng(13);
  const std::vector<std::string> ctms = {"half_pixel",         "half_pixel_symmetric",
                                         "pytorch_half_pixel", "align_corners",
                                         "asymmetric",         "tf_half_pixel_for_nn"};
  const std::vector<std::string> nearest = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                            "ceil", "simple"};
  for (int trial = 0; trial < 30; ++trial) {
    Shape shape = {1, rng.integer(1, 2), rng.integer(1, 5), rng.integer(1, 5)};
    std::vector<double> scales{1.0, 1.0};
    Shape sizes{shape[0], shape[1]};
    for (size_t d = 2; d < 4; ++d) {
      double s = pick(rng, std::vector<double>{0.5, 1.0, 1.5, 2.0, 3.0, 0.75});
      scales.push_back(s);
      sizes.push_back(std::max<int64_t>(1, static_cast<int64_t>(std::floor(shape[d] * s))));
    }
    bool linear = rng.coin();
    DType t = linear ? pick(rng, {DType::f32, DType::f64})
                     : pick(rng, {DType::f32, DType::u8, DType::i64});
    check("resize", {input(randomTensor(rng, t, shape, -8, 8, false))},
          {{"mode", std::string(linear ? "linear" : "nearest")},
           {"coordinate_transformation_mode", pick(rng, ctms)},
           {"nearest_mode", pick(rng, nearest)},
           {"scales", scales},
           {"sizes", sizes}});
  }
}

// ---- packing -------------------------------------------------------------------------------

TEST_CASE("compiled bitpack and bitunpack match the interpreter", "[codegen][ops]") {
  Rng rng(14);
  struct Encoding {
    QEncoding encoding;
    int bits;
  };
  const std::vector<Encoding> encodings = {
      {QEncoding::bipolar, 1}, {QEncoding::ternary, 2}, {QEncoding::uint, 1}, {QEncoding::uint, 3},
      {QEncoding::sint, 2},    {QEncoding::sint, 8},    {QEncoding::uint, 12}};
  for (int trial = 0; trial < 30; ++trial) {
    Encoding e = pick(rng, encodings);
    QuantInfo q;
    q.encoding = e.encoding;
    q.bits = e.bits;
    q.narrow = e.encoding == QEncoding::ternary;
    q.scale = {1.0};
    q.zeroPoint = {0.0};
    int64_t channels = pick(rng, std::vector<int64_t>{1, 5, 63, 64, 65, 130});
    // Images of more than 256 positions are packed in tiles.
    int64_t kind = rng.integer(0, 2);
    Shape shape = kind == 0 ? Shape{rng.integer(1, 3), channels}
                  : kind == 1
                      ? Shape{rng.integer(1, 2), channels, rng.integer(1, 3), rng.integer(1, 3)}
                      : Shape{1, channels, 17, rng.integer(15, 31)};
    TensorType type(codeDType(q), shape);
    type.quant = q;
    Tensor codes(type);
    for (int64_t i = 0; i < codes.numel(); ++i) {
      int64_t c = rng.integer(q.minCode(), q.maxCode());
      if (e.encoding == QEncoding::bipolar) c = rng.coin() ? 1 : -1;
      codes.setInt(i, c);
    }
    INFO(encodingName(e.encoding) << e.bits << " " << shapeString(shape));
    check("bitpack", {input(codes)});
    check("bitunpack", {input(packCodes(codes, q))}, {{"channels", channels}});
  }
}

// ---- float fallback ------------------------------------------------------------------------

TEST_CASE("compiled float conv, gemm, matmul and batch normalization match the interpreter",
          "[codegen][ops]") {
  Rng rng(15);
  for (int trial = 0; trial < 25; ++trial) {
    size_t rank = static_cast<size_t>(rng.integer(1, 2));
    int64_t group = rng.integer(1, 2);
    int64_t channels = group * rng.integer(1, 3), outputs = group * rng.integer(1, 3);
    Shape in = randomShape(rng, static_cast<int>(rank), 7);
    Shape kernel = randomShape(rng, static_cast<int>(rank), 3);
    Attrs attrs = windowAttrs(rng, rank, in, kernel, false);
    attrs["group"] = group;
    Shape xShape{rng.integer(1, 2), channels};
    xShape.insert(xShape.end(), in.begin(), in.end());
    Shape wShape{outputs, channels / group};
    wShape.insert(wShape.end(), kernel.begin(), kernel.end());
    DType t = pick(rng, {DType::f32, DType::f64});
    std::optional<Operand> bias;
    if (rng.coin()) bias = constant(randomTensor(rng, t, {outputs}, -1, 1, false));
    check("conv",
          {input(randomTensor(rng, t, xShape, -2, 2)),
           constant(randomTensor(rng, t, wShape, -1, 1, false)), bias},
          attrs);
  }
  for (int trial = 0; trial < 25; ++trial) {
    int64_t m = rng.integer(1, 5), k = rng.integer(1, 40), n = rng.integer(1, 7);
    DType t = pick(rng, {DType::f32, DType::f64});
    bool ta = rng.coin(), tb = rng.coin();
    Shape aShape = ta ? Shape{k, m} : Shape{m, k}, bShape = tb ? Shape{n, k} : Shape{k, n};
    std::optional<Operand> c;
    if (rng.coin()) c = constant(randomTensor(rng, t, broadcastable(rng, {m, n}), -1, 1, false));
    check("gemm", {input(randomTensor(rng, t, aShape)), constant(randomTensor(rng, t, bShape)), c},
          {{"alpha", rng.uniform(-2, 2)},
           {"beta", rng.uniform(-2, 2)},
           {"trans_a", int64_t{ta}},
           {"trans_b", int64_t{tb}}});
    Shape batch = randomShape(rng, static_cast<int>(rng.integer(0, 2)), 3);
    Shape a2 = broadcastable(rng, batch), b2 = broadcastable(rng, batch);
    a2.insert(a2.end(), {m, k});
    b2.insert(b2.end(), {k, n});
    DType mt = pick(rng, {DType::f32, DType::f64, DType::i32, DType::u8, DType::i64, DType::i4});
    check("matmul", {input(randomTensor(rng, mt, a2)), input(randomTensor(rng, mt, b2))});
  }
  for (int trial = 0; trial < 10; ++trial) {
    Shape shape = randomShape(rng, static_cast<int>(rng.integer(2, 4)));
    DType t = pick(rng, {DType::f32, DType::f64});
    Shape stat = rng.coin() ? Shape{shape[1]} : Shape(shape.begin() + 1, shape.end());
    check("batch_normalization",
          {input(randomTensor(rng, t, shape)), constant(randomTensor(rng, t, stat, -2, 2, false)),
           constant(randomTensor(rng, t, stat, -2, 2, false)),
           constant(randomTensor(rng, t, stat, -2, 2, false)),
           constant(randomTensor(rng, t, stat, 0.1, 2, false))},
          {{"epsilon", 1e-5}});
    Shape perChannel{shape[1]};
    check("batch_normalization_training",
          {input(randomTensor(rng, t, shape, -3, 3, false)),
           constant(randomTensor(rng, t, perChannel, -2, 2, false)),
           constant(randomTensor(rng, t, perChannel, -2, 2, false)),
           constant(randomTensor(rng, t, perChannel, -2, 2, false)),
           constant(randomTensor(rng, t, perChannel, 0.1, 2, false))},
          {{"epsilon", 1e-5}, {"momentum", 0.9}});
  }
}

TEST_CASE("compiled softmax family matches the interpreter", "[codegen][ops]") {
  Rng rng(16);
  for (int trial = 0; trial < 20; ++trial) {
    Shape shape = randomShape(rng, static_cast<int>(rng.integer(1, 4)), 6);
    auto rank = static_cast<int64_t>(shape.size());
    int64_t first = rng.integer(0, rank - 1), last = rng.integer(first, rank - 1);
    std::vector<int64_t> axes;
    for (int64_t d = first; d <= last; ++d) axes.push_back(d);
    DType t = pick(rng, {DType::f32, DType::f64});
    Tensor x = randomTensor(rng, t, shape, -20, 20, false);
    check("softmax", {input(x)}, {{"axes", axes}}, 1e-6);
    check("log_softmax", {input(x)}, {{"axes", axes}}, 1e-6);
    check("hardmax", {input(x)}, {{"axes", axes}});
  }
}

// ---- what the emitters refuse ----------------------------------------------------------------

TEST_CASE("plain kernels refuse configurations they cannot compile, naming the op",
          "[codegen][ops]") {
  // Operands are graph inputs, except those given as constants.
  auto compile = [](const std::string &kind, std::vector<Tensor> in, Attrs attrs,
                    std::vector<Tensor> constants = {}) {
    Graph graph;
    Builder b(graph);
    std::vector<ValueId> ids;
    for (size_t i = 0; i < in.size(); ++i)
      ids.push_back(b.input("x" + std::to_string(i), in[i].type()));
    for (size_t i = 0; i < constants.size(); ++i)
      ids.push_back(b.constant(constants[i], "c" + std::to_string(i)));
    graph.outputs = b.create(kind, "refused", ids, std::move(attrs));
    runCompiled(graph, in, testTarget());
  };
  Tensor x(DType::f32, {2, 3});
  CHECK_THROWS_WITH(compile("mod", {x, x}, {{"fmod", int64_t{1}}}),
                    Catch::Contains("'mod' (refused)") && Catch::Contains("fmod"));
  CHECK_THROWS_WITH(compile("pow", {x, x}, {}),
                    Catch::Contains("'pow' (refused)") && Catch::Contains("libm"));
  Tensor image(DType::f32, {1, 1, 4, 4});
  CHECK_THROWS_WITH(compile("lp_pool", {image},
                            {{"kernel_shape", std::vector<int64_t>{2, 2}},
                             {"strides", std::vector<int64_t>{1, 1}},
                             {"dilations", std::vector<int64_t>{1, 1}},
                             {"pads", std::vector<int64_t>{0, 0, 0, 0}},
                             {"ceil_mode", int64_t{0}},
                             {"p", int64_t{3}}}),
                    Catch::Contains("'lp_pool' (refused)") && Catch::Contains("p = 3"));
  Tensor scale = Tensor::scalar(DType::f32, 0.5);
  CHECK_THROWS_WITH(compile("trunc", {x, scale, Tensor::scalar(DType::f32, 0), scale},
                            {{"in_bits", int64_t{8}},
                             {"out_bits", int64_t{4}},
                             {"rounding_mode", std::string("FLOOR")},
                             {"signed", int64_t{1}},
                             {"narrow", int64_t{0}}}),
                    Catch::Contains("'trunc' (refused)") && Catch::Contains("constant scale"));
  // A window of 16384 channels x 9 taps of 2 bytes (gathered for 8 output channels) needs more
  // stack than a kernel may use.
  CHECK_THROWS_WITH(compile("conv_integer", {Tensor(DType::u16, {1, 16384, 1, 1})},
                            {{"strides", std::vector<int64_t>{1, 1}},
                             {"dilations", std::vector<int64_t>{1, 1}},
                             {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                             {"group", int64_t{1}}},
                            {Tensor(DType::i8, {8, 16384, 3, 3})}),
                    Catch::Contains("'conv_integer' (refused)") && Catch::Contains("stack"));
}
