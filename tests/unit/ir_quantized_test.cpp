// The quantized level's ops (ir/ops/quantized.cpp): quantize, dequantize and threshold against
// hand-computed values, and their type rules.
#include "ir/error.h"
#include "ir/interpreter.h"
#include "tests/support/tensors.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace qcc;
using qcc::test::f32;
using qcc::test::ints;

namespace {

Tensor run1(const std::string &kind, Attrs attrs, std::vector<const Tensor *> in) {
  Op op{kind, "t", {}, {}, std::move(attrs)};
  for (size_t i = 0; i < in.size(); ++i) op.inputs.push_back(static_cast<ValueId>(i));
  return evaluateOp(op, in).at(0);
}

std::vector<int64_t> codes(const Tensor &t) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(t.getInt(i));
  return out;
}

std::vector<float> floats(const Tensor &t) {
  REQUIRE(t.dtype() == DType::f32);
  return {t.data<float>(), t.data<float>() + t.numel()};
}

Attrs quantizeAttrs(std::string encoding, int64_t bits, int64_t narrow, std::string form,
                    std::vector<double> scale = {1.0}, std::vector<double> zero = {0.0},
                    int64_t axis = -1, std::string mode = "ROUND") {
  return {{"encoding", std::move(encoding)},
          {"bits", bits},
          {"narrow", narrow},
          {"form", std::move(form)},
          {"scale", std::move(scale)},
          {"zero_point", std::move(zero)},
          {"axis", axis},
          {"rounding_mode", std::move(mode)}};
}

Attrs thresholdAttrs(std::string encoding, int64_t bits, int64_t narrow,
                     std::vector<int64_t> descending = {}, int64_t axis = 1,
                     std::vector<double> scale = {1.0}, std::vector<double> zero = {0.0}) {
  return {{"encoding", std::move(encoding)},
          {"bits", bits},
          {"narrow", narrow},
          {"axis", axis},
          {"descending", std::move(descending)},
          {"scale", std::move(scale)},
          {"zero_point", std::move(zero)}};
}

} // namespace

TEST_CASE("quantize form qonnx: clamp then round, per encoding", "[ir][quantized]") {
  Tensor x = f32({8}, {-9, -3, -1.2f, -0.5f, 0.5f, 1.5f, 2.5f, 20});
  auto q = [&](std::string enc, int64_t bits, int64_t narrow, std::string mode = "ROUND") {
    return codes(
        run1("quantize", quantizeAttrs(enc, bits, narrow, "qonnx", {1.0}, {0.0}, -1, mode), {&x}));
  };
  CHECK(q("ternary", 2, 1) == std::vector<int64_t>{-1, -1, -1, 0, 0, 1, 1, 1});
  CHECK(q("int", 2, 0) == std::vector<int64_t>{-2, -2, -1, 0, 0, 1, 1, 1});
  CHECK(q("uint", 2, 0) == std::vector<int64_t>{0, 0, 0, 0, 0, 2, 2, 3});
  CHECK(q("uint", 2, 1) == std::vector<int64_t>{0, 0, 0, 0, 0, 2, 2, 2});
  CHECK(q("int", 4, 1) == std::vector<int64_t>{-7, -3, -1, 0, 0, 2, 2, 7});
  CHECK(q("int", 4, 0, "FLOOR") == std::vector<int64_t>{-8, -3, -2, -1, 0, 1, 2, 7});
  Tensor y = run1("quantize", quantizeAttrs("int", 4, 0, "qonnx"), {&x});
  CHECK(y.dtype() == DType::i8);
  REQUIRE(y.type().quant);
  CHECK(y.type().quant->encoding == QEncoding::sint);
  CHECK(y.type().quant->bits == 4);
  CHECK(y.type().quant->scale == std::vector<double>{1.0});
}

TEST_CASE("quantize form qonnx divides in float32 and adds the zero point", "[ir][quantized]") {
  // 0.35f / 0.1f is exactly 3.5 in float32 (3.4999999 in float64): half to even gives 4.
  Tensor x = f32({3}, {0.35f, 0.85f, -0.1f});
  Attrs attrs = quantizeAttrs("uint", 8, 0, "qonnx", {static_cast<double>(0.1f)}, {2.0});
  Tensor y = run1("quantize", attrs, {&x});
  CHECK(y.dtype() == DType::u8);
  // 3.5 + 2 = 5.5 -> 6; 8.5 + 2 = 10.5 -> 10; -1 + 2 = 1.
  CHECK(codes(y) == std::vector<int64_t>{6, 10, 1});
}

TEST_CASE("quantize form qonnx per channel", "[ir][quantized]") {
  Tensor x = f32({2, 3}, {1, 2, 3, 1, 2, 3});
  Attrs attrs = quantizeAttrs("int", 8, 0, "qonnx", {0.5, 2.0}, {0.0, 1.0}, 0);
  Tensor y = run1("quantize", attrs, {&x});
  CHECK(codes(y) == std::vector<int64_t>{2, 4, 6, 2, 2, 2}); // 0.5 + 1, 1 + 1, 1.5 + 1 -> 2
  CHECK(y.type().quant->axis == 0);
}

TEST_CASE("quantize form onnx: rne(x / s) + zp, saturated", "[ir][quantized]") {
  Tensor x = f32({6}, {0.5f, 1.5f, -0.5f, 300, -300, 2.4f});
  Tensor u = run1("quantize", quantizeAttrs("uint", 8, 0, "onnx", {1.0}, {10.0}), {&x});
  // rne first, then the zero point: 0 + 10, 2 + 10, -0 + 10.
  CHECK(codes(u) == std::vector<int64_t>{10, 12, 10, 255, 0, 12});
  Tensor s = run1("quantize", quantizeAttrs("int", 4, 0, "onnx"), {&x});
  CHECK(codes(s) == std::vector<int64_t>{0, 2, 0, 7, -8, 2});
  CHECK_THROWS_WITH(run1("quantize", quantizeAttrs("int", 8, 0, "onnx", {1.0}, {0.5}), {&x}),
                    Catch::Contains("integral zero points"));
}

TEST_CASE("quantize form bipolar: zero and -0 map to +1", "[ir][quantized]") {
  Tensor x = f32({5}, {-2, -0.0f, 0, 1e-30f, -1e-30f});
  Tensor y = run1("quantize", quantizeAttrs("bipolar", 1, 0, "bipolar", {0.25}), {&x});
  CHECK(y.dtype() == DType::i8);
  CHECK(codes(y) == std::vector<int64_t>{-1, 1, 1, 1, -1});
  CHECK(y.type().quant->encoding == QEncoding::bipolar);
}

TEST_CASE("quantize: a NaN input gives the lowest code", "[ir][quantized]") {
  float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor x = f32({1}, {nan});
  CHECK(codes(run1("quantize", quantizeAttrs("int", 4, 0, "qonnx"), {&x})) ==
        std::vector<int64_t>{-8});
  CHECK(codes(run1("quantize", quantizeAttrs("uint", 4, 0, "onnx"), {&x})) ==
        std::vector<int64_t>{0});
}

TEST_CASE("quantize rejects inconsistent attributes", "[ir][quantized]") {
  Tensor x = f32({2}, {0, 1});
  auto bad = [&](Attrs attrs, const std::string &message) {
    CHECK_THROWS_WITH(run1("quantize", std::move(attrs), {&x}), Catch::Contains(message));
  };
  bad(quantizeAttrs("bipolar", 1, 0, "qonnx"), "go together");
  bad(quantizeAttrs("int", 8, 0, "bipolar"), "go together");
  bad(quantizeAttrs("ternary", 2, 0, "qonnx"), "not supported");
  bad(quantizeAttrs("int", 1, 0, "qonnx"), "not supported");
  bad(quantizeAttrs("uint", 17, 0, "qonnx"), "not supported");
  bad(quantizeAttrs("int", 8, 0, "onnx", {1.0}, {0.0}, -1, "FLOOR"), "must be ROUND");
  bad(quantizeAttrs("int", 8, 0, "qonnx", {1.0, 2.0}, {0.0, 0.0}), "expects 1 scale");
  bad(quantizeAttrs("int", 8, 0, "qonnx", {1.0}, {0.0}, 1), "out of range");
  bad(quantizeAttrs("int", 8, 0, "nearest"), "form 'nearest'");
  Tensor wrong = ints(DType::i32, {2}, {0, 1});
  CHECK_THROWS_WITH(run1("quantize", quantizeAttrs("int", 8, 0, "qonnx"), {&wrong}),
                    Catch::Contains("must be f32"));
}

TEST_CASE("dequantize: (q - zp) * scale, per tensor and per channel", "[ir][quantized]") {
  Tensor q = ints(DType::u8, {2, 2}, {0, 3, 255, 1});
  Attrs perTensor{{"axis", int64_t{-1}},
                  {"scale", std::vector<double>{0.5}},
                  {"zero_point", std::vector<double>{1.0}}};
  CHECK(floats(run1("dequantize", perTensor, {&q})) == std::vector<float>{-0.5f, 1, 127, 0});
  Attrs perRow{{"axis", int64_t{0}},
               {"scale", std::vector<double>{0.5, -2.0}},
               {"zero_point", std::vector<double>{0.0, 1.0}}};
  CHECK(floats(run1("dequantize", perRow, {&q})) == std::vector<float>{0, 1.5f, -508, 0});
}

TEST_CASE("dequantize of an accumulator rounds the exact product once", "[ir][quantized]") {
  // scale = 0.1f * 0.3f as an exact double; acc * scale rounded to float32 once.
  double sx = 0.1f, sw = 0.3f;
  Tensor acc = ints(DType::i32, {3}, {7, -1000003, 0});
  Attrs attrs{{"axis", int64_t{-1}},
              {"scale", std::vector<double>{sx * sw}},
              {"zero_point", std::vector<double>{0.0}}};
  std::vector<float> y = floats(run1("dequantize", attrs, {&acc}));
  CHECK(y[0] == static_cast<float>(7.0 * sx * sw));
  CHECK(y[1] == static_cast<float>(-1000003.0 * (sx * sw)));
  CHECK(y[2] == 0.0f);
  Tensor f = f32({1}, {1});
  CHECK_THROWS_WITH(run1("dequantize", attrs, {&f}), Catch::Contains("integer tensor"));
}

TEST_CASE("threshold ascending: count of thresholds reached", "[ir][quantized]") {
  // acc [1, 2, 3]: channel axis 1 (2 channels); uint2 codes with 3 thresholds per channel.
  Tensor acc = ints(DType::i32, {1, 2, 3}, {-5, 0, 7, -5, 0, 7});
  Tensor t = ints(DType::i64, {2, 3}, {-5, 0, 6, 1, 2, 3});
  Tensor y = run1("threshold", thresholdAttrs("uint", 2, 0), {&acc, &t});
  CHECK(y.dtype() == DType::u8);
  CHECK(codes(y) == std::vector<int64_t>{1, 2, 3, 0, 0, 3});
  // Shared thresholds [1, n], signed int2 codes start at -2.
  Tensor shared = ints(DType::i64, {1, 3}, {-5, 0, 6});
  Tensor s = run1("threshold", thresholdAttrs("int", 2, 0), {&acc, &shared});
  CHECK(codes(s) == std::vector<int64_t>{-1, 0, 1, -1, 0, 1});
}

TEST_CASE("threshold descending channels and bipolar codes", "[ir][quantized]") {
  Tensor acc = ints(DType::i32, {2, 2}, {-3, -3, 4, 4});
  Tensor t = ints(DType::i64, {2, 1}, {0, 0});
  // Channel 0 ascending (acc >= 0 -> +1), channel 1 descending (acc <= 0 -> +1).
  Tensor y = run1("threshold", thresholdAttrs("bipolar", 1, 0, {0, 1}), {&acc, &t});
  CHECK(codes(y) == std::vector<int64_t>{-1, 1, 1, -1});
  // Ternary with two descending thresholds per channel.
  Tensor t2 = ints(DType::i64, {2, 2}, {5, -4, 3, 3});
  Tensor z = run1("threshold", thresholdAttrs("ternary", 2, 1, {1, 1}), {&acc, &t2});
  CHECK(codes(z) == std::vector<int64_t>{0, 1, 0, -1});
  CHECK(z.type().quant->encoding == QEncoding::ternary);
}

TEST_CASE("threshold per-channel result scale sets the quant axis", "[ir][quantized]") {
  Tensor acc = ints(DType::i32, {1, 2}, {1, 2});
  Tensor t = ints(DType::i64, {1, 1}, {2});
  Tensor y =
      run1("threshold", thresholdAttrs("uint", 1, 0, {}, 1, {0.5, 0.25}, {0.0, 0.0}), {&acc, &t});
  CHECK(codes(y) == std::vector<int64_t>{0, 1});
  REQUIRE(y.type().quant);
  CHECK(y.type().quant->axis == 1);
  CHECK(y.type().quant->scale == std::vector<double>{0.5, 0.25});
}

TEST_CASE("threshold type rules", "[ir][quantized]") {
  Tensor acc = ints(DType::i32, {1, 2}, {1, 2});
  Tensor tooMany = ints(DType::i64, {2, 2}, {0, 1, 2, 3});
  CHECK_THROWS_WITH(run1("threshold", thresholdAttrs("bipolar", 1, 0), {&acc, &tooMany}),
                    Catch::Contains("1 <= n <= 1"));
  Tensor wrongRows = ints(DType::i64, {3, 1}, {0, 1, 2});
  CHECK_THROWS_WITH(run1("threshold", thresholdAttrs("uint", 2, 0), {&acc, &wrongRows}),
                    Catch::Contains("[2, n] or [1, n]"));
  Tensor i32t = ints(DType::i32, {2, 1}, {0, 1});
  CHECK_THROWS_WITH(run1("threshold", thresholdAttrs("uint", 2, 0), {&acc, &i32t}),
                    Catch::Contains("must be i64"));
  Tensor t = ints(DType::i64, {2, 1}, {0, 1});
  CHECK_THROWS_WITH(run1("threshold", thresholdAttrs("uint", 2, 0, {0, 2}), {&acc, &t}),
                    Catch::Contains("0 or 1"));
  CHECK_THROWS_WITH(run1("threshold", thresholdAttrs("uint", 2, 0, {0}), {&acc, &t}),
                    Catch::Contains("1 entries for 2 channels"));
  CHECK_THROWS_WITH(run1("threshold", thresholdAttrs("uint", 2, 0, {}, -1), {&acc, &t}),
                    Catch::Contains("out of range"));
}
