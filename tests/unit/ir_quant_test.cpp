// Reference semantics of the quantization ops (ir/ops/quant*.cpp) against hand-computed values.
#include "ir/error.h"
#include "ir/interpreter.h"
#include "ir/ops/quant.h"
#include "tests/support/tensors.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace qcc;
using qcc::test::f32;
using qcc::test::ints;

namespace {

Tensor scalarF32(float v) {
  return f32({}, {v});
}

// Evaluates one op; absent optional operands are nullptr.
std::vector<Tensor> run(const std::string &kind, Attrs attrs, std::vector<const Tensor *> in) {
  Op op{kind, "t", {}, {}, std::move(attrs)};
  for (size_t i = 0; i < in.size(); ++i) op.inputs.push_back(static_cast<ValueId>(i));
  return evaluateOp(op, in);
}

Tensor run1(const std::string &kind, Attrs attrs, std::vector<const Tensor *> in) {
  return run(kind, std::move(attrs), std::move(in)).at(0);
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

Attrs quantAttrs(int64_t bits, int64_t isSigned, int64_t narrow, std::string mode = "ROUND") {
  return {{"bits", bits}, {"signed", isSigned}, {"narrow", narrow}, {"rounding_mode", mode}};
}

} // namespace

TEST_CASE("quant rounds half to even in float32 and saturates", "[ir][quant]") {
  Tensor x = f32({8}, {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 200.0f, -200.0f, 3.49f});
  Tensor one = scalarF32(1), zero = scalarF32(0);
  Tensor y = run1("quant", quantAttrs(8, 1, 0), {&x, &one, &zero});
  CHECK(floats(y) == std::vector<float>{0, 2, 2, -0.0f, -2, 127, -128, 3});
  // 0.35f / 0.1f is exactly 3.5 in float32 (3.4999999 in float64) and rounds to 4; 0.85f / 0.1f
  // is 8.5 in float32 (8.5000001 in float64) and rounds to 8.
  Tensor x2 = f32({2}, {0.35f, 0.85f});
  Tensor tenth = scalarF32(0.1f);
  Tensor y2 = run1("quant", quantAttrs(8, 1, 0), {&x2, &tenth, &zero});
  CHECK(floats(y2) == std::vector<float>{4 * 0.1f, 8 * 0.1f});
}

TEST_CASE("quant integer ranges: signed, unsigned and narrow", "[ir][quant]") {
  Tensor x = f32({7}, {-9, -3, -1.2f, 0.4f, 1.7f, 3, 20});
  Tensor one = scalarF32(1), zero = scalarF32(0);
  auto q = [&](int64_t bits, int64_t s, int64_t n) {
    return floats(run1("quant", quantAttrs(bits, s, n), {&x, &one, &zero}));
  };
  CHECK(q(2, 1, 1) == std::vector<float>{-1, -1, -1, 0, 1, 1, 1}); // ternary
  CHECK(q(2, 1, 0) == std::vector<float>{-2, -2, -1, 0, 1, 1, 1}); // int2
  CHECK(q(2, 0, 0) == std::vector<float>{0, 0, 0, 0, 2, 3, 3});    // uint2
  CHECK(q(2, 0, 1) == std::vector<float>{0, 0, 0, 0, 2, 2, 2});    // narrow uint2: [0, 2]
  CHECK(q(4, 1, 0) == std::vector<float>{-8, -3, -1, 0, 2, 3, 7}); // int4
  CHECK(q(4, 1, 1) == std::vector<float>{-7, -3, -1, 0, 2, 3, 7}); // narrow int4
  CHECK(q(1, 0, 0) == std::vector<float>{0, 0, 0, 0, 1, 1, 1});    // 1-bit unsigned
  CHECK(qonnxMaxInt(false, false, 32) == 4294967295);
  CHECK(qonnxMinInt(true, true, 8) == -127);
}

TEST_CASE("quant applies zero point and per-channel scales in order", "[ir][quant]") {
  // uint4, scale 0.5, zero point 3: q = round(clamp(x / 0.5 + 3, 0, 15)), y = (q - 3) * 0.5.
  // -1.25 -> 0.5 -> 0 (tie to even); 0.9 -> 4.8 -> 5; 10 -> 23 -> 15.
  Tensor x = f32({4}, {-2, -1.25f, 0.9f, 10});
  Tensor half = scalarF32(0.5f), three = scalarF32(3);
  CHECK(floats(run1("quant", quantAttrs(4, 0, 0), {&x, &half, &three})) ==
        std::vector<float>{-1.5f, -1.5f, 1.0f, 6.0f});
  // Per-channel scale [2, 1] broadcasts over x [2, 3]; row 1: 1 / 2 = 0.5 -> 0.
  Tensor x2 = f32({2, 3}, {1, 2, 3, 1, 2, 3});
  Tensor scales = f32({2, 1}, {1, 2});
  Tensor zero = scalarF32(0);
  CHECK(floats(run1("quant", quantAttrs(2, 1, 1), {&x2, &scales, &zero})) ==
        std::vector<float>{1, 1, 1, 0, 2, 2});
}

TEST_CASE("quant rounding modes follow the QONNX table", "[ir][quant]") {
  Tensor x = f32({10}, {5.5f, 2.5f, 1.6f, 1.1f, 1.0f, -1.0f, -1.1f, -1.6f, -2.5f, -5.5f});
  Tensor one = scalarF32(1), zero = scalarF32(0);
  auto q = [&](const char *mode) {
    return floats(run1("quant", quantAttrs(8, 1, 0, mode), {&x, &one, &zero}));
  };
  CHECK(q("ROUND") == std::vector<float>{6, 2, 2, 1, 1, -1, -1, -2, -2, -6});
  CHECK(q("CEIL") == std::vector<float>{6, 3, 2, 2, 1, -1, -1, -1, -2, -5});
  CHECK(q("FLOOR") == std::vector<float>{5, 2, 1, 1, 1, -1, -2, -2, -3, -6});
  CHECK(q("UP") == std::vector<float>{6, 3, 2, 2, 1, -1, -2, -2, -3, -6});
  CHECK(q("DOWN") == std::vector<float>{5, 2, 1, 1, 1, -1, -1, -1, -2, -5});
  CHECK(q("HALF_UP") == std::vector<float>{6, 3, 2, 1, 1, -1, -1, -2, -3, -6});
  CHECK(q("HALF_DOWN") == std::vector<float>{5, 2, 2, 1, 1, -1, -1, -2, -2, -5});
  CHECK(parseRoundingMode("round_to_zero") == RoundingMode::down);
  CHECK(parseRoundingMode("Half_Even") == RoundingMode::round);
  CHECK_FALSE(parseRoundingMode("STOCHASTIC").has_value());
  CHECK_THROWS_WITH(q("round"), Catch::Contains("rounding_mode 'round' is not one of"));
}

TEST_CASE("quant refuses a 1-bit signed range (that is bipolar_quant)", "[ir][quant]") {
  Tensor x = f32({1}, {1}), one = scalarF32(1), zero = scalarF32(0);
  CHECK_THROWS_WITH(run1("quant", quantAttrs(1, 1, 0), {&x, &one, &zero}),
                    Catch::Contains("1-bit signed quant is bipolar"));
  CHECK_THROWS_WITH(run1("quant", quantAttrs(0, 0, 0), {&x, &one, &zero}),
                    Catch::Contains("'bits'=0 is outside [1, 64]"));
}

TEST_CASE("bipolar_quant maps zero (and -0) to +1", "[ir][quant]") {
  Tensor x = f32({2, 3}, {0.0f, -0.0f, -1e-30f, 3, -4, 1e-30f});
  Tensor scale = f32({2, 1}, {0.5f, 2});
  CHECK(floats(run1("bipolar_quant", {}, {&x, &scale})) ==
        std::vector<float>{0.5f, 0.5f, -0.5f, 2, -2, 2});
}

TEST_CASE("multi_threshold counts thresholds per channel, NCHW and NHWC", "[ir][quant]") {
  // Two channels, three thresholds each; out = 2 * count - 3.
  Tensor t = f32({2, 3}, {0, 1, 2, -1, 5, 10});
  Attrs nchw{{"axis", int64_t{1}}, {"out_scale", 2.0}, {"out_bias", -3.0}, {"out_dtype", "INT4"}};
  // x [1, 2, 1, 2] (NCHW): channel 0 = {-0.5, 1}, channel 1 = {5, 11}.
  Tensor x = f32({1, 2, 1, 2}, {-0.5f, 1, 5, 11});
  CHECK(floats(run1("multi_threshold", nchw, {&x, &t})) == std::vector<float>{-3, 1, 1, 3});
  // The same values in NHWC [1, 1, 2, 2]: channel is the last axis.
  Attrs nhwc = nchw;
  nhwc["axis"] = int64_t{3};
  Tensor xh = f32({1, 1, 2, 2}, {-0.5f, 5, 1, 11});
  CHECK(floats(run1("multi_threshold", nhwc, {&xh, &t})) == std::vector<float>{-3, 1, 1, 3});
  // One threshold row shared by every channel; x >= t counts equality.
  Tensor shared = f32({1, 2}, {0, 0.5f});
  Attrs plain{{"axis", int64_t{1}}, {"out_scale", 1.0}, {"out_bias", 0.0}, {"out_dtype", ""}};
  Tensor x2 = f32({2, 2}, {0, 0.5f, -1, 7});
  CHECK(floats(run1("multi_threshold", plain, {&x2, &shared})) == std::vector<float>{1, 2, 0, 2});
  Tensor bad = f32({3, 2}, {0, 0, 0, 0, 0, 0});
  CHECK_THROWS_WITH(run1("multi_threshold", plain, {&x2, &bad}),
                    Catch::Contains("thresholds must have shape [2, N] or [1, N]"));
}

TEST_CASE("trunc v1 and v2", "[ir][quant]") {
  Tensor x = f32({5}, {7, 8, 9, -9, 100});
  Tensor one = scalarF32(1), zero = scalarF32(0);
  // v1: 8 -> 6 bits drops 2 bits: floor(x / 4), result keeps the input scale.
  Attrs v1{{"in_bits", int64_t{8}},
           {"out_bits", int64_t{6}},
           {"rounding_mode", "FLOOR"},
           {"signed", int64_t{1}},
           {"narrow", int64_t{0}}};
  CHECK(floats(run1("trunc", v1, {&x, &one, &zero})) == std::vector<float>{1, 2, 2, -3, 25});
  // v2: out_scale 4 / scale 1 -> step 4, clamp to signed 4 bits [-8, 7], output scale 4.
  Attrs v2 = v1;
  v2["out_bits"] = int64_t{4};
  Tensor four = scalarF32(4);
  CHECK(floats(run1("trunc", v2, {&x, &one, &zero, &four})) ==
        std::vector<float>{4, 8, 8, -12, 28});
}

TEST_CASE("float_quant to FP8 E4M3", "[ir][quant]") {
  Attrs e4m3{{"exponent_bits", int64_t{4}}, {"mantissa_bits", int64_t{3}},
             {"exponent_bias", 7.0},        {"max_val", 448.0},
             {"rounding_mode", "ROUND"},    {"has_inf", int64_t{0}},
             {"has_nan", int64_t{1}},       {"has_subnormal", int64_t{1}},
             {"saturation", int64_t{1}}};
  // 0.3 = 1.2 * 2^-2: step 2^-5, 9.6 steps -> 10 -> 0.3125. 500 saturates to 448. 1e-4 is below
  // half the smallest subnormal step 2^-9 -> 0. 1.5 * 2^-9 is a tie -> 2 steps. 13 = 1.625 * 8:
  // step 1, exact. -0.3 mirrors 0.3.
  Tensor x = f32({6}, {0.3f, 500, 1e-4f, 0.0029296875f, 13, -0.3f});
  Tensor one = scalarF32(1);
  CHECK(floats(run1("float_quant", e4m3, {&x, &one})) ==
        std::vector<float>{0.3125f, 448, 0, 0.00390625f, 13, -0.3125f});
  // With a scale of 0.5 the format applies to x / 0.5.
  Tensor half = scalarF32(0.5f);
  Tensor x2 = f32({1}, {0.15f});
  CHECK(floats(run1("float_quant", e4m3, {&x2, &half})) == std::vector<float>{0.15625f});
  // Without saturation and with NaN support, out-of-range values become NaN.
  Attrs nan = e4m3;
  nan["saturation"] = int64_t{0};
  Tensor big = f32({1}, {1000});
  CHECK(std::isnan(floats(run1("float_quant", nan, {&big, &one}))[0]));
}

TEST_CASE("quantize_linear: float32 ties, saturation, NaN", "[ir][qdq]") {
  Attrs attrs{
      {"axis", int64_t{-1}}, {"block_size", int64_t{0}}, {"dtype", "u8"}, {"precision", "f32"}};
  Tensor x = f32({10}, {0.5f, 1.5f, 2.5f, -0.5f, 0.35f, 0.85f, 1000, -1000,
                        std::numeric_limits<float>::quiet_NaN(), 12.6f});
  Tensor scale = scalarF32(0.1f);
  Tensor zp = ints(DType::u8, {}, {10});
  // x / 0.1 in float32: 5, 15, 25, -5, 3.5 -> 4, 8.5 -> 8, saturated, saturated, NaN -> 0, 126.
  CHECK(codes(run1("quantize_linear", attrs, {&x, &scale, &zp})) ==
        std::vector<int64_t>{15, 25, 35, 5, 14, 18, 255, 0, 0, 136});
  Tensor one = scalarF32(1);
  Tensor ties = f32({6}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f});
  attrs["dtype"] = "i8";
  CHECK(codes(run1("quantize_linear", attrs, {&ties, &one})) ==
        std::vector<int64_t>{0, 2, 2, 0, -2, -2});
}

TEST_CASE("quantize_linear: sub-byte and 16-bit ranges", "[ir][qdq]") {
  Tensor x = f32({6}, {-70000, -9, -2.6f, 1.4f, 17, 70000});
  Tensor one = scalarF32(1);
  auto q = [&](const char *dtype) {
    Attrs a{
        {"axis", int64_t{-1}}, {"block_size", int64_t{0}}, {"dtype", dtype}, {"precision", "f32"}};
    return codes(run1("quantize_linear", a, {&x, &one}));
  };
  CHECK(q("i4") == std::vector<int64_t>{-8, -8, -3, 1, 7, 7});
  CHECK(q("u4") == std::vector<int64_t>{0, 0, 0, 1, 15, 15});
  CHECK(q("i2") == std::vector<int64_t>{-2, -2, -2, 1, 1, 1});
  CHECK(q("u2") == std::vector<int64_t>{0, 0, 0, 1, 3, 3});
  CHECK(q("i16") == std::vector<int64_t>{-32768, -9, -3, 1, 17, 32767});
  CHECK(q("u16") == std::vector<int64_t>{0, 0, 0, 1, 17, 65535});
}

TEST_CASE("quantize_linear and dequantize_linear per axis and blocked", "[ir][qdq]") {
  // x [2, 4]; per axis 1: scales {1, 2, 4, 0.5}, zero points {0, 1, -1, 2}.
  Tensor x = f32({2, 4}, {3, 3, 3, 3, -3, -3, -3, -3});
  Tensor scale = f32({4}, {1, 2, 4, 0.5f});
  Tensor zp = ints(DType::i8, {4}, {0, 1, -1, 2});
  Attrs perAxis{
      {"axis", int64_t{1}}, {"block_size", int64_t{0}}, {"dtype", "i8"}, {"precision", "f32"}};
  Tensor q = run1("quantize_linear", perAxis, {&x, &scale, &zp});
  // 3/1=3, 3/2=1.5->2 +1, 3/4=0.75->1 -1, 3/0.5=6 +2; negatives: -3, -2+1, -1-1, -6+2.
  CHECK(codes(q) == std::vector<int64_t>{3, 3, 0, 8, -3, -1, -2, -4});
  Attrs deq{{"axis", int64_t{1}}, {"block_size", int64_t{0}}, {"dtype", "f32"}};
  CHECK(floats(run1("dequantize_linear", deq, {&q, &scale, &zp})) ==
        std::vector<float>{3, 4, 4, 3, -3, -4, -4, -3});

  // Blocked along axis 1 with block size 3: x [2, 4] uses scales [2, 2] (ceil(4 / 3) = 2).
  Tensor bscale = f32({2, 2}, {1, 10, 2, 0.25f});
  Attrs blocked{
      {"axis", int64_t{1}}, {"block_size", int64_t{3}}, {"dtype", "i8"}, {"precision", "f32"}};
  Tensor bx = f32({2, 4}, {1, 2, 3, 40, 4, 5, 6, 2});
  CHECK(codes(run1("quantize_linear", blocked, {&bx, &bscale})) ==
        std::vector<int64_t>{1, 2, 3, 4, 2, 2, 3, 8});
  Tensor wrong = f32({2, 3}, {1, 1, 1, 1, 1, 1});
  CHECK_THROWS_WITH(run1("quantize_linear", blocked, {&bx, &wrong}),
                    Catch::Contains("must have shape [2,2]"));
}

TEST_CASE("dequantize_linear: int4, int32 bias and zero points", "[ir][qdq]") {
  Attrs attrs{{"axis", int64_t{-1}}, {"block_size", int64_t{0}}, {"dtype", "f32"}};
  Tensor q = ints(DType::i4, {4}, {-8, -1, 0, 7});
  Tensor scale = scalarF32(0.5f);
  Tensor zp = ints(DType::i4, {}, {-1});
  CHECK(floats(run1("dequantize_linear", attrs, {&q, &scale, &zp})) ==
        std::vector<float>{-3.5f, 0, 0.5f, 4});
  Tensor bias = ints(DType::i32, {2}, {-100000, 123});
  Tensor s2 = scalarF32(0.25f);
  CHECK(floats(run1("dequantize_linear", attrs, {&bias, &s2})) ==
        std::vector<float>{-25000, 30.75f});
  Tensor zpWrong = ints(DType::u8, {}, {1});
  CHECK_THROWS_WITH(run1("dequantize_linear", attrs, {&q, &scale, &zpWrong}),
                    Catch::Contains("zero point is u8, expected i4"));
}

TEST_CASE("dynamic_quantize_linear", "[ir][qdq]") {
  // min -1, max 3: scale 4/255, zero point round(63.749996) = 64.
  Tensor x = f32({4}, {-1, 0, 3, 1.5f});
  std::vector<Tensor> out = run("dynamic_quantize_linear", {}, {&x});
  CHECK(codes(out[0]) == std::vector<int64_t>{0, 64, 255, 160});
  CHECK(out[1].data<float>()[0] == 4.0f / 255.0f);
  CHECK(out[2].getInt(0) == 64);
  // Only positive values: the range is [0, 255] and the scale 1.
  Tensor pos = f32({3}, {0.4f, 254.5f, 255});
  out = run("dynamic_quantize_linear", {}, {&pos});
  CHECK(codes(out[0]) == std::vector<int64_t>{0, 254, 255});
  CHECK(out[1].data<float>()[0] == 1.0f);
  CHECK(out[2].getInt(0) == 0);
  // All zeros: onnxruntime's scale 1, zero point 0.
  Tensor zeros = f32({2}, {0, 0});
  out = run("dynamic_quantize_linear", {}, {&zeros});
  CHECK(out[1].data<float>()[0] == 1.0f);
  CHECK(codes(out[0]) == std::vector<int64_t>{0, 0});
}

TEST_CASE("requantize: per tensor and per channel, bias, ties, saturation", "[ir][qdq]") {
  Tensor acc = ints(DType::i32, {2, 3}, {5, 7, -5, 1000, -1000, 3});
  Tensor half = scalarF32(0.5f);
  Tensor zp = ints(DType::i8, {}, {1});
  Attrs perTensor{{"axis", int64_t{-1}}, {"dtype", "i8"}};
  // 2.5 -> 2, 3.5 -> 4, -2.5 -> -2, then + 1; 500 / -500 saturate.
  CHECK(codes(run1("requantize", perTensor, {&acc, &half, &zp})) ==
        std::vector<int64_t>{3, 5, -1, 127, -128, 3});
  // Per channel along axis 1 (3 channels), bias per channel added before scaling.
  Tensor mult = f32({3}, {1, 0.25f, 2});
  Tensor bias = ints(DType::i32, {3}, {1, -1, 0});
  Attrs perChannel{{"axis", int64_t{1}}, {"dtype", "u8"}};
  Tensor zpu = ints(DType::u8, {}, {100});
  // (5+1)*1=6, (7-1)/4=1.5->2, -5*2=-10; (1000+1)=1001, (-1001)/4=-250.25->-250, 3*2=6; +100.
  CHECK(codes(run1("requantize", perChannel, {&acc, &mult, &zpu, &bias})) ==
        std::vector<int64_t>{106, 102, 90, 255, 0, 106});
}
