// The textual IR: printer and parser round trips, exact text, and parse errors with positions.
#include "ir/error.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

using namespace qcc;

namespace {

ValueId addOp(Graph &g, std::string kind, std::string name, std::vector<ValueId> inputs,
              Attrs attrs, std::vector<std::pair<std::string, TensorType>> results) {
  Op op{std::move(kind), std::move(name), std::move(inputs), {}, std::move(attrs)};
  for (auto &[resultName, type] : results) op.outputs.push_back(g.addValue(resultName, type));
  ValueId first = op.outputs.empty() ? kNoValue : op.outputs[0];
  g.addOp(std::move(op));
  return first;
}

ValueId addConstant(Graph &g, const std::string &name, Tensor value) {
  TensorType type = value.type();
  return addOp(g, "constant", "", {}, {{"value", std::move(value)}}, {{name, type}});
}

template <typename T> bool sameBits(const T &a, const T &b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

bool sameAttribute(const Attribute &a, const Attribute &b) {
  if (a.index() != b.index()) return false;
  if (const auto *d = std::get_if<double>(&a)) return sameBits(*d, std::get<double>(b));
  if (const auto *ds = std::get_if<std::vector<double>>(&a)) {
    const auto &other = std::get<std::vector<double>>(b);
    if (ds->size() != other.size()) return false;
    for (size_t i = 0; i < ds->size(); ++i)
      if (!sameBits((*ds)[i], other[i])) return false;
    return true;
  }
  return a == b;
}

std::string refName(const Graph &g, ValueId id) {
  return id == kNoValue ? "_" : g.value(id).name;
}

// Structural equality: values are matched by name, so value ids may differ.
void requireSameGraph(const Graph &a, const Graph &b) {
  REQUIRE(a.name == b.name);
  REQUIRE(a.values.size() == b.values.size());
  REQUIRE(a.inputs.size() == b.inputs.size());
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    CHECK(a.value(a.inputs[i]).name == b.value(b.inputs[i]).name);
    CHECK(a.type(a.inputs[i]) == b.type(b.inputs[i]));
  }
  REQUIRE(a.ops.size() == b.ops.size());
  for (size_t i = 0; i < a.ops.size(); ++i) {
    const Op &x = a.ops[i], &y = b.ops[i];
    INFO("op " << i << " " << x.kind);
    CHECK(x.kind == y.kind);
    CHECK(x.name == y.name);
    REQUIRE(x.inputs.size() == y.inputs.size());
    for (size_t j = 0; j < x.inputs.size(); ++j)
      CHECK(refName(a, x.inputs[j]) == refName(b, y.inputs[j]));
    REQUIRE(x.outputs.size() == y.outputs.size());
    for (size_t j = 0; j < x.outputs.size(); ++j) {
      CHECK(a.value(x.outputs[j]).name == b.value(y.outputs[j]).name);
      CHECK(a.type(x.outputs[j]) == b.type(y.outputs[j]));
      CHECK(b.value(y.outputs[j]).def == static_cast<int32_t>(i));
    }
    REQUIRE(x.attrs.size() == y.attrs.size());
    for (auto ix = x.attrs.begin(), iy = y.attrs.begin(); ix != x.attrs.end(); ++ix, ++iy) {
      INFO("attribute " << ix->first);
      CHECK(ix->first == iy->first);
      CHECK(sameAttribute(ix->second, iy->second));
    }
  }
  REQUIRE(a.outputs.size() == b.outputs.size());
  for (size_t i = 0; i < a.outputs.size(); ++i)
    CHECK(a.value(a.outputs[i]).name == b.value(b.outputs[i]).name);
}

void requireRoundTrip(const Graph &g, const PrintOptions &options = {}) {
  std::string text = printGraph(g, options);
  INFO(text);
  Graph back = parseGraph(text, "round-trip");
  CHECK(printGraph(back, options) == text);
  requireSameGraph(g, back);
}

// A tensor of `dtype` holding its extreme values and a few others.
Tensor extremes(DType dtype) {
  std::vector<double> values;
  if (isFloat(dtype)) {
    values = {0.0, -1.5, 3.25, 1e-3};
  } else {
    values = {static_cast<double>(dtypeMin(dtype)), 0.0, 1.0, static_cast<double>(dtypeMax(dtype))};
  }
  Tensor t(dtype, {2, 2});
  for (int64_t i = 0; i < 4; ++i) t.setDouble(i, values[static_cast<size_t>(i)]);
  if (dtype == DType::i64) t.data<int64_t>()[0] = std::numeric_limits<int64_t>::min();
  if (dtype == DType::u64) t.data<uint64_t>()[3] = std::numeric_limits<uint64_t>::max();
  return t;
}

const DType kAllDTypes[] = {DType::f32, DType::f64, DType::i2,  DType::u2,  DType::i4,
                            DType::u4,  DType::i8,  DType::u8,  DType::i16, DType::u16,
                            DType::i32, DType::u32, DType::i64, DType::u64, DType::boolean};

Graph kitchenSink() {
  Graph g;
  g.name = "kitchen sink";
  ValueId x = g.addInput("x", TensorType(DType::f32, {1, 3, 4, 4}));
  TensorType quantized(DType::i8, {3, 2});
  quantized.quant = QuantInfo{QEncoding::sint, 4, true, 0, {0.5, 0.25, 0.1}, {0.0, 1.0, -2.0}};
  ValueId odd = g.addInput("in put\"\\\n\x01\xc3\xa9", quantized);
  TensorType packed(DType::u8, {2, 8});
  packed.layout = Layout{LayoutKind::packed, 2, 512};
  packed.quant = QuantInfo{QEncoding::uint, 2, false, -1, {0.125}, {0.0}};
  ValueId dollar = g.addInput("$z.-9", packed);

  Tensor w(DType::f32, {3, 3, 1, 1});
  for (int64_t i = 0; i < w.numel(); ++i) w.setDouble(i, static_cast<double>(i) * 0.5 - 2.0);
  ValueId wv = addConstant(g, "w", w);
  Attrs convAttrs{{"group", int64_t{1}},
                  {"alpha", -0.0},
                  {"mode", std::string("tab\there \"quoted\" \\ \x7f")},
                  {"pads", std::vector<int64_t>{0, 0, -1, std::numeric_limits<int64_t>::max()}},
                  {"scales", std::vector<double>{1.0, 2.5, 1e-300, -1e300}},
                  {"labels", std::vector<std::string>{"a", "", "b c"}},
                  {"empty", std::vector<int64_t>{}},
                  {"weights", extremes(DType::i4)},
                  {"weird attr-name", int64_t{-7}}};
  ValueId conv = addOp(g, "conv", "conv/1", {x, wv, kNoValue}, convAttrs,
                       {{"conv", TensorType(DType::f32, {1, 3, 4, 4})}});
  addOp(g, "topk", "TopK_3", {conv}, {{"axis", int64_t{1}}, {"k", int64_t{1}}},
        {{"values", TensorType(DType::f32, {1, 1, 4, 4})},
         {"indices", TensorType(DType::i64, {1, 1, 4, 4})}});
  addOp(g, "observe", "", {odd, dollar}, {}, {});
  addOp(g, "return", "", {}, {}, {{"r", TensorType(DType::boolean, {})}});
  addOp(g, "odd kind!", "n", {kNoValue}, {{"value", std::string("not a tensor")}},
        {{"", TensorType(DType::u64, {0})}});
  addOp(g, "q", "", {kNoValue, kNoValue}, {}, {});
  for (DType t : kAllDTypes) addConstant(g, fmt::format("c_{}", dtypeName(t)), extremes(t));
  g.outputs = {conv, x, conv};
  return g;
}

} // namespace

TEST_CASE("printer writes the documented text form", "[ir][text]") {
  Graph g;
  g.name = "main";
  ValueId input = g.addInput("input", TensorType(DType::f32, {1, 2}));
  ValueId w =
      addConstant(g, "w", Tensor::fromVector(DType::f32, {2}, std::vector<double>{1.5, -2}));
  ValueId sum = addOp(g, "add", "Add_0", {input, w}, {}, {{"sum", TensorType(DType::f32, {1, 2})}});
  ValueId a =
      addOp(g, "topk", "TopK 3", {sum, kNoValue},
            {{"k", int64_t{1}}, {"axis", int64_t{-1}}, {"mode", std::string("max")}},
            {{"a", TensorType(DType::f32, {1, 1})}, {"b.1", TensorType(DType::i64, {1, 1})}});
  g.outputs = {a, sum};
  CHECK(printGraph(g) == R"(graph @main(%input: f32[1,2]) -> (f32[1,1], f32[1,2]) {
  %w = constant dense<f32[2] [1.5, -2.0]> : f32[2]
  %sum = add "Add_0" (%input, %w) : f32[1,2]
  %a, %b.1 = topk "TopK 3" (%sum, _) {axis = -1, k = 1, mode = "max"} : f32[1,1], i64[1,1]
  return %a, %sum
}
)");
}

TEST_CASE("value names print bare or quoted", "[ir][text]") {
  CHECK(printValueName("conv1.w_0-$") == "%conv1.w_0-$");
  CHECK(printValueName("a b") == "%\"a b\"");
  CHECK(printValueName("") == "%\"\"");
  CHECK(printValueName("q\"\\\n\t\x01\xff") == "%\"q\\\"\\\\\\n\\t\\x01\\xFF\"");
}

TEST_CASE("every attribute kind, dtype, quant type and layout round trips", "[ir][text]") {
  Graph g = kitchenSink();
  requireRoundTrip(g);
  PrintOptions hex;
  hex.maxListedElements = 0;
  requireRoundTrip(g, hex);
  PrintOptions negative;
  negative.maxListedElements = -1;
  requireRoundTrip(g, negative);
}

TEST_CASE("kitchen sink text has the expected pieces", "[ir][text]") {
  std::string text = printGraph(kitchenSink());
  CHECK_THAT(text, Catch::StartsWith("graph @\"kitchen sink\"(%x: f32[1,3,4,4], "
                                     "%\"in put\\\"\\\\\\n\\x01\\xC3\\xA9\": i8[3,2] q(int4, "
                                     "narrow, axis=0, scale=[0.5,0.25,0.1], zp=[0.0,1.0,-2.0]), "
                                     "%$z.-9: u8[2,8] q(uint2, scale=[0.125], zp=[0.0]) "
                                     "layout(packed, planes=2, word=512))"));
  CHECK_THAT(text, Catch::Contains(
                       "{alpha = -0.0, empty = [], group = 1, labels = [\"a\", \"\", \"b c\"], "
                       "mode = \"tab\\there \\\"quoted\\\" \\\\ \\x7F\", "
                       "pads = [0, 0, -1, 9223372036854775807], "
                       "scales = [1.0, 2.5, 1e-300, -1e+300], "
                       "weights = dense<i4[2,2] [-8, 0, 1, 7]>, \"weird attr-name\" = -7}"));
  CHECK_THAT(text, Catch::Contains("  %values, %indices = topk \"TopK_3\" (%conv) {axis = 1, k = "
                                   "1} : f32[1,1,4,4], i64[1,1,4,4]\n"));
  CHECK_THAT(text, Catch::Contains("  \"observe\" (%\"in put"));
  CHECK_THAT(text, Catch::Contains("  %r = return : bool[]\n"));
  CHECK_THAT(text, Catch::Contains("  %\"\" = \"odd kind!\" \"n\" (_) {value = \"not a tensor\"} : "
                                   "u64[0]\n"));
  CHECK_THAT(text, Catch::Contains("  \"q\" (_, _) : ()\n"));
  CHECK_THAT(text, Catch::Contains("dense<u64[2,2] [0, 0, 1, 18446744073709551615]>"));
  CHECK_THAT(text, Catch::Contains("dense<i64[2,2] [-9223372036854775808, 0, 1, "));
  CHECK_THAT(text, Catch::Contains("dense<bool[2,2] [0, 0, 1, 1]>"));
  CHECK_THAT(text, Catch::Contains("dense<u2[2,2] [0, 0, 1, 3]>"));
  CHECK_THAT(text, Catch::EndsWith("  return %conv, %x, %conv\n}\n"));
}

TEST_CASE("large constants print as little-endian hex", "[ir][text]") {
  Graph g;
  Tensor t = Tensor::fromVector(DType::i16, {3}, std::vector<int>{1, -2, 0x1234});
  g.outputs = {addConstant(g, "c", t)};
  PrintOptions options;
  options.maxListedElements = 2;
  CHECK_THAT(printGraph(g, options),
             Catch::Contains("%c = constant dense<i16[3] 0x0100FEFF3412> : i16[3]"));
  options.maxListedElements = 3;
  CHECK_THAT(printGraph(g, options), Catch::Contains("dense<i16[3] [1, -2, 4660]>"));
  Graph parsed = parseGraph("graph @g() -> (i16[3]) {\n"
                            "  %c = constant dense<i16[3] 0x0100feFF3412> : i16[3]\n"
                            "  return %c\n}\n");
  CHECK(*parsed.constantValue(parsed.outputs[0]) == t);
}

TEST_CASE("special floats round trip bit-exactly in f32 and f64", "[ir][text]") {
  using F = std::numeric_limits<float>;
  using D = std::numeric_limits<double>;
  std::vector<float> floats = {-0.0f,         0.0f,           F::quiet_NaN(),  -F::quiet_NaN(),
                               F::infinity(), -F::infinity(), F::denorm_min(), -F::denorm_min(),
                               F::min(),      F::max(),       F::lowest(),     0.1f,
                               1e-40f,        16777217.0f,    3.4028235e38f,   1.17549435e-38f};
  std::vector<double> doubles = {-0.0,
                                 0.0,
                                 D::quiet_NaN(),
                                 -D::quiet_NaN(),
                                 D::infinity(),
                                 -D::infinity(),
                                 D::denorm_min(),
                                 -D::denorm_min(),
                                 D::min(),
                                 D::max(),
                                 D::lowest(),
                                 0.1,
                                 1e-310,
                                 9007199254740993.0,
                                 1.0 / 3.0,
                                 5e-324};
  Tensor tf(DType::f32, {static_cast<int64_t>(floats.size())});
  std::memcpy(tf.bytes().data(), floats.data(), floats.size() * sizeof(float));
  Tensor td(DType::f64, {static_cast<int64_t>(doubles.size())});
  std::memcpy(td.bytes().data(), doubles.data(), doubles.size() * sizeof(double));
  Graph g;
  ValueId a = addConstant(g, "f", tf);
  ValueId b = addConstant(g, "d", td);
  g.outputs = {a, b};
  std::string text = printGraph(g);
  // Every value here has exact decimal text, so both print as lists.
  CHECK_THAT(text, Catch::Contains("dense<f32[16] [-0.0, 0.0, nan, -nan, inf, -inf, 1e-45, -1e-45, "
                                   "1.1754944e-38, 3.4028235e+38, -3.4028235e+38, 0.1, 1e-40, "
                                   "16777216.0, 3.4028235e+38, 1.1754944e-38]>"));
  Graph back = parseGraph(text);
  CHECK(*back.constantValue(back.outputs[0]) == tf);
  CHECK(*back.constantValue(back.outputs[1]) == td);

  SECTION("attribute doubles keep sign of zero, infinities and NaN") {
    Graph h;
    h.outputs = {addOp(h, "k", "", {},
                       {{"nz", -0.0},
                        {"inf", D::infinity()},
                        {"nan", D::quiet_NaN()},
                        {"list", std::vector<double>{-D::infinity(), -0.0, D::denorm_min()}}},
                       {{"v", TensorType(DType::f32, {})}})};
    requireRoundTrip(h);
  }
}

TEST_CASE("NaN payloads fall back to hex and keep their bits", "[ir][text]") {
  uint32_t payload = 0x7fa00001; // signalling NaN with a payload
  uint64_t payload64 = 0xfff0000000000123;
  Tensor tf(DType::f32, {1});
  std::memcpy(tf.bytes().data(), &payload, 4);
  Tensor td(DType::f64, {1});
  std::memcpy(td.bytes().data(), &payload64, 8);
  Graph g;
  ValueId a = addConstant(g, "f", tf);
  ValueId b = addConstant(g, "d", td);
  g.outputs = {a, b};
  std::string text = printGraph(g);
  CHECK_THAT(text, Catch::Contains("dense<f32[1] 0x0100A07F>"));
  CHECK_THAT(text, Catch::Contains("dense<f64[1] 0x230100000000F0FF>"));
  Graph back = parseGraph(text);
  CHECK(*back.constantValue(back.outputs[0]) == tf);
  CHECK(*back.constantValue(back.outputs[1]) == td);
}

TEST_CASE("every dtype round trips as a list and as hex", "[ir][text]") {
  for (DType t : kAllDTypes) {
    INFO(dtypeName(t));
    Graph g;
    g.outputs = {addConstant(g, "c", extremes(t))};
    requireRoundTrip(g);
    PrintOptions hex;
    hex.maxListedElements = 3;
    CHECK_THAT(printGraph(g, hex), Catch::Contains(" 0x"));
    requireRoundTrip(g, hex);
  }
}

TEST_CASE("parsed graphs of constants verify; result types are the verifier's job", "[ir][text]") {
  Graph g = parseGraph(R"(
// comments and blank lines are allowed
graph @g(%x: f32[2]) -> (f32[2], i8[]) {
  %a = constant "A" dense<f32[2] [1, 2.5]> : f32[2]   // ints are accepted for floats
  %b = constant dense<i8[] [-128]> : i8[]
  return %a, %b
}
)",
                       "g.qir");
  verify(g, kImportLevel);
  CHECK(g.ops[0].name == "A");
  CHECK(g.constantValue(g.outputs[0])->getDouble(0) == 1.0);
  CHECK(g.constantValue(g.outputs[1])->getInt(0) == -128);
  Graph wrong = parseGraph("graph @g() -> (f32[3]) {\n"
                           "  %a = constant dense<f32[2] [1.0, 2.0]> : f32[3]\n  return %a\n}");
  CHECK_THROWS_WITH(verify(wrong, kImportLevel), Catch::Contains("has type f32[3]"));
}

TEST_CASE("an empty list parses as an empty int list", "[ir][text]") {
  Graph g = parseGraph("graph @g() -> (f32[]) {\n"
                       "  %a = k {x = []} : f32[]\n  return %a\n}");
  CHECK(std::get<std::vector<int64_t>>(g.ops[0].attrs.at("x")).empty());
}

TEST_CASE("parse errors name the source, line and column", "[ir][text]") {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::string head = "graph @g() -> () {\n";
  std::vector<Case> cases = {
      {"", "t.qir:1:1: expected 'graph', found end of input"},
      {"graph @g() -> () {\n  return %x\n}", "t.qir:2:10: use of undefined value %x"},
      {"graph @g(%a: f32[1], %a: f32[1]) -> () {",
       "t.qir:1:22: value %a is already defined at 1:10"},
      {head + "  %a = k : f32[1]\n  %a = k : f32[1]\n",
       "t.qir:3:3: value %a is already defined at 2:3"},
      {head + "  %a, %a = k : f32[1], f32[1]\n", "t.qir:2:7: value %a is already defined at 2:3"},
      {head + "  %a = k (%a) : f32[1]\n", "t.qir:2:11: use of undefined value %a"},
      {head + "  %a = k \"unterminated\n", "t.qir:2:10: unterminated string"},
      {head + "  %a = k \"bad \\q\" : f32[1]\n", "t.qir:2:15: unknown escape sequence"},
      {head + "  %a = k : f16[1]\n", "t.qir:2:12: unknown element type 'f16'"},
      {head + "  %a, %b = k : f32[1]\n",
       "t.qir:2:14: expected 2 result types (one per result), found 1"},
      {head + "  %a = k : f32[-1]\n", "t.qir:2:16: dimension -1 is negative"},
      {head + "  %a = k : f32[1048576,1048576,2]\n", "t.qir:2:12: type shape [1048576,1048576,2] "
                                                     "has more than 2^40 elements"},
      {head + "  %a = k : f32[99999999999999999999]\n",
       "t.qir:2:16: integer 99999999999999999999 does not fit in 64 bits"},
      {head + "  %a = constant dense<i2[1] [2]> : i2[1]\n",
       "t.qir:2:30: value 2 is out of range for i2"},
      {head + "  %a = constant dense<u8[1] [-1]> : u8[1]\n",
       "t.qir:2:30: value -1 is out of range for u8"},
      {head + "  %a = constant dense<f32[1] [1e39]> : f32[1]\n",
       "t.qir:2:31: value 1e39 is out of range for f32"},
      {head + "  %a = constant dense<bool[2] 0x0102> : bool[2]\n",
       "t.qir:2:31: element 1 of the hex data is 2, out of range for bool"},
      {head + "  %a = constant dense<f32[2] 0x0000803F> : f32[2]\n",
       "t.qir:2:30: hex data has 4 bytes, but f32[2] needs 8"},
      {head + "  %a = constant dense<f32[1] 0x000> : f32[1]\n",
       "t.qir:2:30: hex data has an odd number of digits"},
      {head + "  %a = constant dense<f32[3] [1.0, 2.0]> : f32[3]\n",
       "t.qir:2:17: tensor has 2 values, but f32[3] has 3 elements"},
      {head + "  %a = constant dense<f32[1] [1.0, 2.0]> : f32[1]\n",
       "t.qir:2:36: more values than the 1 elements of f32[1]"},
      {head + "  %a = constant dense<i8[1] [1.5]> : i8[1]\n",
       "t.qir:2:30: expected an integer (i8), found '1.5'"},
      {head + "  %a = k {x = 1, x = 2} : f32[1]\n", "t.qir:2:18: attribute 'x' is given twice"},
      {head + "  %a = k dense<f32[] [1.0]> {value = 2} : f32[1]\n",
       "t.qir:2:30: attribute 'value' is given twice"},
      {head + "  %a = k {x = [1, 2.5]} : f32[1]\n", "t.qir:2:19: expected an integer, found '2.5'"},
      {head + "  %a = k {x = [1.5, 2]} : f32[1]\n",
       "t.qir:2:21: expected a float (with '.' or an exponent), found '2'"},
      {head + "  %a = k {x = [\"s\", 2]} : f32[1]\n", "t.qir:2:21: expected a string, found '2'"},
      {head + "  %a = k {x = } : f32[1]\n", "t.qir:2:15: expected an attribute value, found '}'"},
      {head + "  %a = k : i8[4] q(int0, scale=[1.0], zp=[0.0])\n",
       "t.qir:2:20: quantization 'int0' needs a bit width from 1 to 32"},
      {head + "  %a = k : i8[4] q(int33, scale=[1.0], zp=[0.0])\n",
       "t.qir:2:20: quantization 'int33' needs a bit width from 1 to 32"},
      {head + "  %a = k : i8[4] q(float8, scale=[1.0], zp=[0.0])\n",
       "t.qir:2:20: unknown quantization encoding 'float'"},
      {head + "  %a = k : i8[4] q(int8, axis=1, scale=[1.0], zp=[0.0])\n",
       "t.qir:2:31: quantization axis 1 is out of range for rank 1"},
      {head + "  %a = k : u8[4] layout(packed, planes=0, word=64)\n",
       "t.qir:2:40: layout planes must be a positive 32-bit integer"},
      {head + "  %a = k : u8[4] layout(tiled)\n",
       "t.qir:2:25: expected a layout (nchw, nhwc or packed), found 'tiled'"},
      {head + "  %a = k (%b, %c) : f32[1]\n", "t.qir:2:11: use of undefined value %b"},
      {head + "  %a = k (1) : f32[1]\n",
       "t.qir:2:11: expected an operand ('%name' or '_'), found '1'"},
      {head + "  \"k\" : f32[1]\n", "t.qir:2:9: expected '(', found 'f32'"},
      {head + "  k : f32[1]\n", "t.qir:2:3: expected an op or 'return', found 'k'"},
      {head + "  %a = k : f32[1]\n", "t.qir:3:1: expected an op or 'return', found end of input"},
      {head + "  return\n}\n}", "t.qir:4:1: expected end of input, found '}'"},
      {"graph @g() -> (f32[1]) {\n  return\n}", "t.qir:2:3: 'return' has 0 values, but the graph "
                                                "signature lists 1 result types"},
      {"graph @g(%x: f32[2]) -> (f32[1]) {\n  return %x\n}",
       "t.qir:2:10: %x has type f32[2], but the graph signature says f32[1]"},
      {head + "  %a = k # : f32[1]\n", "t.qir:2:10: unexpected character '#'"},
      {head + "  %a = k \x01", "t.qir:2:10: unexpected character '\\x01'"},
      {head + "  % = k : f32[1]\n", "t.qir:2:3: expected a name after '%'"},
      {head + "  %a = k {x = 1abc} : f32[1]\n", "t.qir:2:15: malformed number"},
      {head + "  %a = k {x = 1e} : f32[1]\n", "t.qir:2:15: malformed number"},
      {head + "  %a = k {x = 9223372036854775808} : f32[1]\n",
       "t.qir:2:15: integer 9223372036854775808 does not fit in 64 bits"},
      {head + "  %a = k {x = 1e999} : f32[1]\n",
       "t.qir:2:15: number 1e999 is out of range for f64"},
      {head + "  %a = k {x = \"a\x02\"} : f32[1]\n",
       "t.qir:2:17: control character \\x02 in string"},
  };
  for (const Case &c : cases) {
    INFO(c.text);
    CHECK_THROWS_WITH(parseGraph(c.text, "t.qir"), Catch::StartsWith(c.message));
  }
}

TEST_CASE("mutated and truncated text parses or fails with qcc::Error", "[ir][text]") {
  const std::string text = printGraph(kitchenSink());
  auto check = [](const std::string &input) {
    try {
      Graph g = parseGraph(input, "fuzz");
      // Whatever parses must itself round trip.
      std::string printed = printGraph(g);
      CHECK(printGraph(parseGraph(printed, "reprint")) == printed);
    } catch (const Error &) {
    }
  };
  for (size_t n = 0; n < text.size(); n += 7) check(text.substr(0, n));
  const char replacements[] = {'%', '"', '[', ']', '\0', '\xff', '-', '9', ',', '\n', '<', 'e'};
  uint32_t seed = 12345;
  for (int i = 0; i < 3000; ++i) {
    seed = seed * 1103515245 + 12345;
    std::string mutated = text;
    mutated[(seed >> 8) % mutated.size()] = replacements[(seed >> 4) % sizeof replacements];
    check(mutated);
  }
}
