// Import of the quantization ops (frontend/import_qonnx.cpp, import_qdq.cpp): canonical IR
// attributes, the documented mappings and the unsupported cases. The test models are ONNX
// ModelProtos encoded here field by field (the tests cannot include the ONNX headers).
#include "frontend/onnx_import.h"
#include "ir/error.h"
#include "ir/interpreter.h"

#include <catch2/catch.hpp>
#include <cstring>

using namespace qcc;

namespace {

// ---- a minimal protobuf writer for the ONNX messages the tests need ------------------------

void varint(std::string &out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void tag(std::string &out, int field, int wireType) {
  varint(out, static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wireType));
}

void intField(std::string &out, int field, int64_t v) {
  tag(out, field, 0);
  varint(out, static_cast<uint64_t>(v));
}

void bytesField(std::string &out, int field, const std::string &bytes) {
  tag(out, field, 2);
  varint(out, bytes.size());
  out += bytes;
}

void floatField(std::string &out, int field, float v) {
  tag(out, field, 5);
  char raw[4];
  std::memcpy(raw, &v, 4);
  out.append(raw, 4);
}

// ONNX element types used below.
enum OnnxType : int { kFloat = 1, kUint8 = 2, kInt8 = 3, kInt32 = 6, kInt64 = 7, kFloat8 = 17 };

// TensorProto with raw little-endian data.
template <typename T>
std::string tensor(const std::string &name, int type, std::vector<int64_t> dims,
                   const std::vector<T> &values) {
  std::string t;
  for (int64_t d : dims) intField(t, 1, d);
  intField(t, 2, type);
  bytesField(t, 8, name);
  std::string raw(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(raw.data(), values.data(), raw.size());
  bytesField(t, 9, raw);
  return t;
}

std::string valueInfo(const std::string &name, int type, std::vector<int64_t> dims) {
  std::string shape;
  for (int64_t d : dims) {
    std::string dim;
    intField(dim, 1, d);
    bytesField(shape, 1, dim);
  }
  std::string tensorType;
  intField(tensorType, 1, type);
  bytesField(tensorType, 2, shape);
  std::string typeProto;
  bytesField(typeProto, 1, tensorType);
  std::string info;
  bytesField(info, 1, name);
  bytesField(info, 2, typeProto);
  return info;
}

struct Attr {
  std::string encoded;
};

Attr attrInt(const std::string &name, int64_t v) {
  Attr a;
  bytesField(a.encoded, 1, name);
  intField(a.encoded, 3, v);
  intField(a.encoded, 20, 2);
  return a;
}

Attr attrFloat(const std::string &name, float v) {
  Attr a;
  bytesField(a.encoded, 1, name);
  floatField(a.encoded, 2, v);
  intField(a.encoded, 20, 1);
  return a;
}

Attr attrString(const std::string &name, const std::string &v) {
  Attr a;
  bytesField(a.encoded, 1, name);
  bytesField(a.encoded, 4, v);
  intField(a.encoded, 20, 3);
  return a;
}

Attr attrInts(const std::string &name, const std::vector<int64_t> &v) {
  Attr a;
  bytesField(a.encoded, 1, name);
  for (int64_t x : v) intField(a.encoded, 8, x);
  intField(a.encoded, 20, 7);
  return a;
}

std::string node(const std::string &opType, const std::string &domain,
                 const std::vector<std::string> &inputs, const std::vector<std::string> &outputs,
                 const std::vector<Attr> &attrs = {}) {
  std::string n;
  for (const auto &i : inputs) bytesField(n, 1, i);
  for (const auto &o : outputs) bytesField(n, 2, o);
  bytesField(n, 3, opType + "_node");
  bytesField(n, 4, opType);
  for (const Attr &a : attrs) bytesField(n, 5, a.encoded);
  if (!domain.empty()) bytesField(n, 7, domain);
  return n;
}

struct ModelSpec {
  std::vector<std::string> nodes;
  std::vector<std::string> initializers;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<std::pair<std::string, int64_t>> opsets = {{"", 13}};
};

Graph import(const ModelSpec &spec) {
  std::string graph;
  for (const auto &n : spec.nodes) bytesField(graph, 1, n);
  bytesField(graph, 2, "g");
  for (const auto &t : spec.initializers) bytesField(graph, 5, t);
  for (const auto &i : spec.inputs) bytesField(graph, 11, i);
  for (const auto &o : spec.outputs) bytesField(graph, 12, o);
  std::string model;
  intField(model, 1, 8);
  for (const auto &[domain, version] : spec.opsets) {
    std::string opset;
    if (!domain.empty()) bytesField(opset, 1, domain);
    intField(opset, 2, version);
    bytesField(model, 8, opset);
  }
  bytesField(model, 7, graph);
  return importOnnxBytes(model, "test.onnx", "");
}

// ---- graph inspection ----------------------------------------------------------------------

const Op &onlyOp(const Graph &g, const std::string &kind) {
  const Op *found = nullptr;
  for (const Op &op : g.ops)
    if (op.kind == kind) {
      REQUIRE(found == nullptr);
      found = &op;
    }
  REQUIRE(found != nullptr);
  return *found;
}

std::vector<std::string> kinds(const Graph &g) {
  std::vector<std::string> out;
  for (const Op &op : g.ops)
    if (op.kind != "constant") out.push_back(op.kind);
  return out;
}

Tensor f32(Shape shape, const std::vector<float> &v) {
  return Tensor::fromVector(DType::f32, std::move(shape), v);
}

std::vector<float> floats(const Tensor &t) {
  REQUIRE(t.dtype() == DType::f32);
  return {t.data<float>(), t.data<float>() + t.numel()};
}

std::vector<int64_t> codes(const Tensor &t) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(t.getInt(i));
  return out;
}

// One QONNX quantizer node on input x [n] with scalar float operands.
ModelSpec quantModel(const std::string &opType, const std::string &domain,
                     const std::vector<float> &operands, const std::vector<Attr> &attrs,
                     int64_t n = 4) {
  ModelSpec m;
  std::vector<std::string> inputs{"x"};
  for (size_t i = 0; i < operands.size(); ++i) {
    std::string name = "p" + std::to_string(i);
    m.initializers.push_back(tensor<float>(name, kFloat, {}, {operands[i]}));
    inputs.push_back(name);
  }
  m.nodes.push_back(node(opType, domain, inputs, {"y"}, attrs));
  m.inputs.push_back(valueInfo("x", kFloat, {n}));
  m.outputs.push_back(valueInfo("y", kFloat, {n}));
  if (!domain.empty()) m.opsets.emplace_back(domain, 1);
  return m;
}

} // namespace

TEST_CASE("Quant imports with canonical attributes in every QONNX domain", "[frontend][quant]") {
  for (const char *domain :
       {"qonnx.custom_op.general", "finn.custom_op.general", "finn", "onnx.brevitas", ""}) {
    CAPTURE(domain);
    Graph g = import(quantModel("Quant", domain, {0.5f, 0, 4},
                                {attrInt("signed", 0), attrString("rounding_mode", "ceil")}));
    const Op &q = onlyOp(g, "quant");
    CHECK(q.getInt("bits") == 4);
    CHECK(q.getInt("signed") == 0);
    CHECK(q.getInt("narrow") == 0);
    CHECK(q.getString("rounding_mode") == "CEIL");
    Tensor x = f32({4}, {0.1f, 1.3f, -1, 100});
    // ceil(x / 0.5) clamped to [0, 15] (clamp before rounding), times 0.5.
    CHECK(floats(Interpreter(g).run(std::vector<Tensor>{x})[0]) ==
          std::vector<float>{0.5f, 1.5f, 0, 7.5f});
  }
}

TEST_CASE("Quant needs a constant integer bit width", "[frontend][quant]") {
  ModelSpec m = quantModel("Quant", "qonnx.custom_op.general", {1, 0}, {});
  m.nodes[0] = node("Quant", "qonnx.custom_op.general", {"x", "p0", "p1", "bits"}, {"y"});
  m.inputs.push_back(valueInfo("bits", kFloat, {}));
  CHECK_THROWS_WITH(import(m), Catch::Contains("bitwidth (operand 3) must be a constant"));
  CHECK_THROWS_WITH(import(quantModel("Quant", "qonnx.custom_op.general", {1, 0, 2.5f}, {})),
                    Catch::Contains("must be an integer in [1, 64], got 2.5"));
  CHECK_THROWS_WITH(import(quantModel("Quant", "qonnx.custom_op.general", {1, 0, 4},
                                      {attrString("rounding_mode", "STOCHASTIC")})),
                    Catch::Contains("'rounding_mode'='STOCHASTIC' not supported"));
  CHECK_THROWS_WITH(
      import(quantModel("Quant", "qonnx.custom_op.general", {1, 0, 4}, {attrInt("foo", 1)})),
      Catch::Contains("node 'Quant_node' (Quant, qonnx.custom_op.general v1): attribute 'foo' "
                      "is not supported"));
}

TEST_CASE("a 1-bit signed Quant imports as bipolar_quant", "[frontend][quant]") {
  Graph g = import(quantModel("Quant", "onnx.brevitas", {0.25f, 0, 1},
                              {attrInt("signed", 1), attrInt("narrow", 1)}));
  CHECK(kinds(g) == std::vector<std::string>{"bipolar_quant"});
  Tensor x = f32({4}, {0, -0.1f, 3, -0.0f});
  CHECK(floats(Interpreter(g).run(std::vector<Tensor>{x})[0]) ==
        std::vector<float>{0.25f, -0.25f, 0.25f, 0.25f});
  CHECK_THROWS_WITH(
      import(quantModel("Quant", "onnx.brevitas", {0.25f, 1, 1}, {attrInt("signed", 1)})),
      Catch::Contains("a 1-bit signed Quant is bipolar; it needs a constant zero point of 0"));
}

TEST_CASE("BipolarQuant, Trunc and FloatQuant import", "[frontend][quant]") {
  Graph b = import(quantModel("BipolarQuant", "qonnx.custom_op.general", {2}, {}));
  CHECK(kinds(b) == std::vector<std::string>{"bipolar_quant"});

  // Trunc v1: scale 1, zero point 0, 8 -> 5 bits, default FLOOR.
  Graph t1 = import(quantModel("Trunc", "qonnx.custom_op.general", {1, 0, 8, 5}, {}));
  const Op &trunc1 = onlyOp(t1, "trunc");
  CHECK(trunc1.getString("rounding_mode") == "FLOOR");
  CHECK(trunc1.inputs.size() == 3);
  CHECK(floats(Interpreter(t1).run(std::vector<Tensor>{f32({4}, {7, 8, 17, -1})})[0]) ==
        std::vector<float>{0, 1, 2, -1});
  // Trunc v2: (X, scale, zeropt, in_bits, out_scale, out_zeropt, out_bits).
  Graph t2 = import(quantModel("Trunc", "qonnx.custom_op.general", {1, 0, 8, 2, 0, 3},
                               {attrString("rounding_mode", "ROUND")}));
  CHECK(onlyOp(t2, "trunc").inputs.size() == 4);
  // step 2, 3-bit signed range [-4, 3]: 7 -> 3.5 -> 3 (clamped) -> 6; -3 -> -1.5 -> -2 -> -4.
  CHECK(floats(Interpreter(t2).run(std::vector<Tensor>{f32({4}, {7, -3, 2, -20})})[0]) ==
        std::vector<float>{6, -4, 2, -8});
  CHECK_THROWS_WITH(import(quantModel("Trunc", "qonnx.custom_op.general", {1, 0, 8, 2, 1, 3}, {})),
                    Catch::Contains("out_zeropt (operand 5) other than 0 is not supported"));
  CHECK_THROWS_WITH(import(quantModel("Trunc", "qonnx.custom_op.general", {1, 0, 8, 2, 3}, {})),
                    Catch::Contains("expects 5 operands (Trunc v1) or 7 (Trunc v2), got 6"));

  Graph f = import(quantModel("FloatQuant", "onnx.brevitas", {1, 4, 3, 7, 448},
                              {attrString("rounding_mode", "round"), attrInt("has_nan", 1)}));
  const Op &fq = onlyOp(f, "float_quant");
  CHECK(fq.getInt("exponent_bits") == 4);
  CHECK(fq.getInt("mantissa_bits") == 3);
  CHECK(fq.getFloat("max_val") == 448.0);
  CHECK(floats(Interpreter(f).run(std::vector<Tensor>{f32({4}, {0.3f, 1000, -13, 0})})[0]) ==
        std::vector<float>{0.3125f, 448, -13, 0});
}

TEST_CASE("MultiThreshold channel axis from data_layout and rank", "[frontend][quant]") {
  auto model = [](std::vector<int64_t> shape, std::vector<Attr> attrs) {
    ModelSpec m;
    m.initializers.push_back(tensor<float>("t", kFloat, {1, 2}, {0, 1}));
    m.nodes.push_back(node("MultiThreshold", "finn.custom_op.general", {"x", "t"}, {"y"}, attrs));
    m.inputs.push_back(valueInfo("x", kFloat, shape));
    m.outputs.push_back(valueInfo("y", kFloat, shape));
    m.opsets.emplace_back("finn.custom_op.general", 1);
    return import(m);
  };
  Attr bipolar = attrString("out_dtype", "BIPOLAR");
  CHECK(onlyOp(model({1, 3, 2, 2}, {bipolar}), "multi_threshold").getInt("axis") == 1);
  CHECK(onlyOp(model({1, 2, 2, 3}, {bipolar, attrString("data_layout", "NHWC")}), "multi_threshold")
            .getInt("axis") == 3);
  CHECK(onlyOp(model({1, 5}, {bipolar}), "multi_threshold").getInt("axis") == 1);
  CHECK(onlyOp(model({2, 3, 5}, {bipolar}), "multi_threshold").getInt("axis") == 2);
  Graph g = model({1, 3}, {bipolar, attrFloat("out_scale", 2), attrFloat("out_bias", -1)});
  const Op &mt = onlyOp(g, "multi_threshold");
  CHECK(mt.getFloat("out_scale") == 2.0);
  CHECK(mt.getFloat("out_bias") == -1.0);
  CHECK(mt.getString("out_dtype") == "BIPOLAR");
  CHECK(floats(Interpreter(g).run(std::vector<Tensor>{f32({1, 3}, {-1, 0.5f, 1})})[0]) ==
        std::vector<float>{-1, 1, 3});
}

TEST_CASE("QuantizeLinear / DequantizeLinear canonical attributes", "[frontend][qdq]") {
  ModelSpec m;
  m.initializers.push_back(tensor<float>("s", kFloat, {3}, {0.5f, 1, 2}));
  m.initializers.push_back(tensor<int8_t>("z", kInt8, {3}, {0, 1, -1}));
  m.nodes.push_back(node("QuantizeLinear", "", {"x", "s", "z"}, {"q"}, {attrInt("axis", -2)}));
  m.nodes.push_back(node("DequantizeLinear", "", {"q", "s", "z"}, {"y"}, {attrInt("axis", 1)}));
  m.inputs.push_back(valueInfo("x", kFloat, {2, 3, 1}));
  m.outputs.push_back(valueInfo("y", kFloat, {2, 3, 1}));
  Graph g = import(m);
  const Op &q = onlyOp(g, "quantize_linear");
  CHECK(q.getInt("axis") == 1);
  CHECK(q.getInt("block_size") == 0);
  CHECK(q.getString("dtype") == "i8");
  CHECK(q.getString("precision") == "f32");
  CHECK(onlyOp(g, "dequantize_linear").getString("dtype") == "f32");
  Tensor x = f32({2, 3, 1}, {1.25f, 1.5f, 5, -100, 0.5f, -3});
  // Codes: 1.25/0.5 = 2.5 -> 2; 1.5 -> 2, +1; 5/2 = 2.5 -> 2, -1; -200 -> -128; 0.5 -> 0, +1;
  // -3/2 = -1.5 -> -2, -1.
  CHECK(floats(Interpreter(g).run(std::vector<Tensor>{x})[0]) ==
        std::vector<float>{1, 2, 4, -64, 0, -4});

  // Per-tensor parameters: axis -1, and the default output type uint8.
  ModelSpec p;
  p.initializers.push_back(tensor<float>("s", kFloat, {1}, {0.25f}));
  p.nodes.push_back(node("QuantizeLinear", "", {"x", "s"}, {"q"}));
  p.inputs.push_back(valueInfo("x", kFloat, {3}));
  p.outputs.push_back(valueInfo("q", kUint8, {3}));
  p.opsets = {{"", 10}};
  Graph pg = import(p);
  CHECK(onlyOp(pg, "quantize_linear").getInt("axis") == -1);
  CHECK(codes(Interpreter(pg).run(std::vector<Tensor>{f32({3}, {0.125f, -1, 100})})[0]) ==
        std::vector<int64_t>{0, 0, 255});
}

TEST_CASE("QDQ unsupported cases give one clear error", "[frontend][qdq]") {
  ModelSpec perAxisOld;
  perAxisOld.initializers.push_back(tensor<float>("s", kFloat, {2}, {1, 2}));
  perAxisOld.nodes.push_back(node("QuantizeLinear", "", {"x", "s"}, {"q"}));
  perAxisOld.inputs.push_back(valueInfo("x", kFloat, {2, 2}));
  perAxisOld.outputs.push_back(valueInfo("q", kUint8, {2, 2}));
  perAxisOld.opsets = {{"", 10}};
  CHECK_THROWS_WITH(import(perAxisOld),
                    Catch::Contains("a scale of shape [2] needs opset 13 (per-axis quantization)"));

  ModelSpec mismatch = perAxisOld;
  mismatch.opsets = {{"", 21}};
  mismatch.initializers.push_back(tensor<uint8_t>("z", kUint8, {2}, {0, 0}));
  mismatch.nodes[0] =
      node("QuantizeLinear", "", {"x", "s", "z"}, {"q"}, {attrInt("output_dtype", kInt8)});
  CHECK_THROWS_WITH(import(mismatch),
                    Catch::Contains("'output_dtype' (i8) differs from the zero point type (u8)"));

  ModelSpec float8;
  float8.initializers.push_back(tensor<float>("s", kFloat, {}, {1}));
  float8.nodes.push_back(
      node("QuantizeLinear", "", {"x", "s"}, {"q"}, {attrInt("output_dtype", kFloat8)}));
  float8.inputs.push_back(valueInfo("x", kFloat, {2}));
  float8.outputs.push_back(valueInfo("q", kFloat8, {2}));
  float8.opsets = {{"", 21}};
  CHECK_THROWS_WITH(import(float8), Catch::Contains("FLOAT8E4M3FN (17) is not supported"));
}

TEST_CASE("DynamicQuantizeLinear binds three results", "[frontend][qdq]") {
  ModelSpec m;
  m.nodes.push_back(node("DynamicQuantizeLinear", "", {"x"}, {"y", "s", "z"}));
  m.inputs.push_back(valueInfo("x", kFloat, {3}));
  m.outputs.push_back(valueInfo("y", kUint8, {3}));
  m.outputs.push_back(valueInfo("s", kFloat, {}));
  m.outputs.push_back(valueInfo("z", kUint8, {}));
  m.opsets = {{"", 11}};
  Graph g = import(m);
  // min -51, max 204: scale 1, zero point 51.
  std::vector<Tensor> out = Interpreter(g).run(std::vector<Tensor>{f32({3}, {-51, 0, 204})});
  CHECK(codes(out[0]) == std::vector<int64_t>{0, 51, 255});
  CHECK(out[1].data<float>()[0] == 1.0f);
  CHECK(out[2].getInt(0) == 51);
}

TEST_CASE("QLinearConv and QLinearMatMul decompose into integer MAC + requantize",
          "[frontend][qdq]") {
  // QLinearConv: 1x1 kernel, two output channels with per-channel weight scales and a bias.
  ModelSpec c;
  c.initializers.push_back(tensor<float>("xs", kFloat, {}, {0.5f}));
  c.initializers.push_back(tensor<uint8_t>("xz", kUint8, {}, {10}));
  c.initializers.push_back(tensor<int8_t>("w", kInt8, {2, 1, 1, 1}, {2, -3}));
  c.initializers.push_back(tensor<float>("ws", kFloat, {2}, {0.25f, 1}));
  c.initializers.push_back(tensor<int8_t>("wz", kInt8, {2}, {0, 0}));
  c.initializers.push_back(tensor<float>("ys", kFloat, {}, {0.5f}));
  c.initializers.push_back(tensor<uint8_t>("yz", kUint8, {}, {100}));
  c.initializers.push_back(tensor<int32_t>("b", kInt32, {2}, {1, -4}));
  c.nodes.push_back(node("QLinearConv", "", {"x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"},
                         {"y"}, {attrInts("pads", {0, 0, 0, 0})}));
  c.inputs.push_back(valueInfo("x", kUint8, {1, 1, 1, 2}));
  c.outputs.push_back(valueInfo("y", kUint8, {1, 2, 1, 2}));
  c.opsets = {{"", 10}};
  Graph cg = import(c);
  CHECK(kinds(cg) == std::vector<std::string>{"conv_integer", "requantize"});
  const Op &rq = onlyOp(cg, "requantize");
  CHECK(rq.getInt("axis") == 1);
  CHECK(rq.getString("dtype") == "u8");
  // The multiplier x_scale * w_scale / y_scale folds to the constant [0.25, 1].
  const Tensor *multiplier = cg.constantValue(rq.inputs[1]);
  REQUIRE(multiplier != nullptr);
  CHECK(floats(*multiplier) == std::vector<float>{0.25f, 1});
  Tensor x(DType::u8, {1, 1, 1, 2});
  x.setInt(0, 16);
  x.setInt(1, 3);
  // acc = (x - 10) * w + b: ch0 {13, -13} * 0.25 = {3.25, -3.25} -> {3, -3}; ch1 {-22, 17}.
  CHECK(codes(Interpreter(cg).run(std::vector<Tensor>{x})[0]) ==
        std::vector<int64_t>{103, 97, 78, 117});

  // QLinearMatMul with a per-column b scale.
  ModelSpec mm;
  mm.initializers.push_back(tensor<float>("as", kFloat, {}, {1}));
  mm.initializers.push_back(tensor<int8_t>("az", kInt8, {}, {0}));
  mm.initializers.push_back(tensor<int8_t>("b", kInt8, {2, 2}, {1, 2, 3, 4}));
  mm.initializers.push_back(tensor<float>("bs", kFloat, {2}, {0.5f, 2}));
  mm.initializers.push_back(tensor<int8_t>("bz", kInt8, {}, {0}));
  mm.initializers.push_back(tensor<float>("ys", kFloat, {}, {1}));
  mm.initializers.push_back(tensor<int8_t>("yz", kInt8, {}, {-1}));
  mm.nodes.push_back(
      node("QLinearMatMul", "", {"a", "as", "az", "b", "bs", "bz", "ys", "yz"}, {"y"}));
  mm.inputs.push_back(valueInfo("a", kInt8, {1, 2}));
  mm.outputs.push_back(valueInfo("y", kInt8, {1, 2}));
  mm.opsets = {{"", 10}};
  Graph mg = import(mm);
  CHECK(kinds(mg) == std::vector<std::string>{"matmul_integer", "requantize"});
  Tensor a(DType::i8, {1, 2});
  a.setInt(0, 1);
  a.setInt(1, 2);
  // a * b = {7, 10}; * {0.5, 2} = {3.5 -> 4, 20}; - 1.
  CHECK(codes(Interpreter(mg).run(std::vector<Tensor>{a})[0]) == std::vector<int64_t>{3, 19});
}
