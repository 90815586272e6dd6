// Random quantized networks at the import level, as exporters write them, for tests that check a
// pipeline stage against the import level or the compiled code against the interpreter: "models
// nobody has seen". The same seed gives the same network with the same standard library.
#pragma once

#include "ir/builder.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace qcc::test {

// Builds random quantized networks at the import level, as exporters write them: an input
// quantizer, hidden conv / matmul / gemm layers with quantized weights, a chain of per-channel
// float ops and an activation quantizer each, and a last MAC with a float bias. Activation
// scales and the scales of weights wider than ternary are powers of two, so that the float MACs
// of the import level are exact and the quantized level must match them bit for bit.
// `wideCodes` adds 16-bit quantize_linear activations (int32 MAC kernels); without it the same
// seed gives the same network as before that option existed.
class RandomNet {
public:
  explicit RandomNet(uint32_t seed, bool wideCodes = false)
      : wideCodes_(wideCodes), rng_(seed), b_(graph) {}

  Graph graph;
  int hiddenQuantizers = 0;
  int descendingChannels = 0; // channels whose chain decreases (negative gamma, scale, ...)

  void build() {
    bool conv = coin();
    Shape shape =
        conv ? Shape{1, pick(1, 3), pick(3, 6), pick(3, 6)} : Shape{pick(1, 2), pick(2, 12)};
    ValueId x = b_.input("x", TensorType(DType::f32, shape));
    inputRange_ = 0;
    x = activationQuantizer(x, "in", true);
    int layers = pick(1, 2);
    for (int l = 0; l < layers; ++l) {
      std::string n = "l" + std::to_string(l);
      x = conv ? convLayer(x, n) : denseLayer(x, n);
      x = floatChain(x, n);
      x = activationQuantizer(x, n + "_act", false);
      ++hiddenQuantizers;
      if (conv && coin() && g().type(x).shape[2] >= 2 && g().type(x).shape[3] >= 2)
        x = b_.create1("max_pool", n + "_pool", {x},
                       {{"kernel_shape", std::vector<int64_t>{2, 2}},
                        {"strides", std::vector<int64_t>{2, 2}},
                        {"pads", std::vector<int64_t>{0, 0, 0, 0}},
                        {"dilations", std::vector<int64_t>{1, 1}},
                        {"ceil_mode", int64_t{0}}});
      if (l == layers - 1) graph.outputs.push_back(x);
    }
    if (conv) {
      const Shape &s = g().type(x).shape;
      x = b_.create1("reshape", "flatten", {x}, {{"shape", Shape{1, s[1] * s[2] * s[3]}}});
    }
    x = denseLayer(x, "last");
    if (coin()) x = floatChain(x, "tail");
    graph.outputs.insert(graph.outputs.begin(), x);
  }

  // Inputs that reach every code of the input quantizer, ties included.
  std::vector<Tensor> inputs() {
    Tensor t(TensorType(DType::f32, g().type(g().inputs[0]).shape));
    std::uniform_real_distribution<double> u(-1.3 * inputRange_, 1.3 * inputRange_);
    for (int64_t i = 0; i < t.numel(); ++i) {
      double v = u(rng_);
      if (coin()) v = std::round(v / inputStep_ * 2) * inputStep_ / 2; // on a half step
      t.data<float>()[i] = static_cast<float>(v);
    }
    return {t};
  }

private:
  const Graph &g() const { return graph; }
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool coin() { return pick(0, 1) == 1; }
  double uniform(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng_);
  }
  float pow2(int lo, int hi) { return std::ldexp(1.0f, pick(lo, hi)); }

  ValueId constant(Shape shape, const std::vector<float> &values, const std::string &name) {
    return b_.constant(Tensor::fromVector(DType::f32, std::move(shape), values), name);
  }
  ValueId scalar(float v, const std::string &name) { return constant({}, {v}, name); }

  // quant / bipolar_quant of x with a power-of-two scale and a random encoding.
  ValueId activationQuantizer(ValueId x, const std::string &n, bool isInput) {
    float s = pow2(-3, 1);
    int kind = pick(0, 5);
    double levels = 1;
    ValueId out;
    if (kind == 0) {
      out = b_.create1("bipolar_quant", n, {x, scalar(s, n + "_s")});
    } else if (kind == 4) {
      out = multiThreshold(x, n, s);
      levels = 3 / s; // thresholds lie in [-3, 3]
    } else if (kind == 5) {
      DType dtype =
          std::array{DType::u8, DType::i8, DType::u4, DType::i4, DType::u16, DType::i16}[pick(
              0, wideCodes_ ? 5 : 3)];
      int64_t zero = pick(0, 3) - (isSigned(dtype) ? 2 : 0);
      Tensor z(dtype, {});
      z.setInt(0, zero);
      ValueId zv = b_.constant(z, n + "_z"), sv = scalar(s, n + "_s");
      std::string name(dtypeName(dtype));
      ValueId q = b_.create1("quantize_linear", n, {x, sv, zv},
                             {{"dtype", name},
                              {"precision", std::string("f32")},
                              {"axis", int64_t{-1}},
                              {"block_size", int64_t{0}}});
      out = b_.create1(
          "dequantize_linear", n + "_dq", {q, sv, zv},
          {{"dtype", std::string("f32")}, {"axis", int64_t{-1}}, {"block_size", int64_t{0}}});
      levels = std::ldexp(1.0, bitWidth(dtype));
    } else {
      int64_t bits = kind == 1 ? 2 : kind == 2 ? pick(1, 8) : pick(2, 8);
      int64_t isSigned = kind == 2 ? 0 : 1;
      // (A narrow 1-bit uint has the single code 0.)
      int64_t narrow = kind == 1 ? 1 : bits == 1 ? 0 : pick(0, 1);
      float zero = static_cast<float>(kind == 2 ? pick(0, 1) : 0);
      levels = std::ldexp(1.0, static_cast<int>(bits));
      out = b_.create1("quant", n, {x, scalar(s, n + "_s"), scalar(zero, n + "_z")},
                       {{"bits", bits},
                        {"signed", isSigned},
                        {"narrow", narrow},
                        {"rounding_mode", std::string(coin() ? "ROUND" : "FLOOR")}});
    }
    if (isInput) {
      inputRange_ = s * levels;
      inputStep_ = s;
    }
    return out;
  }

  // multi_threshold with random sorted thresholds in [-3, 3] (per channel or shared) and an
  // output out_scale * count + out_bias that is integer codes times `s`.
  ValueId multiThreshold(ValueId x, const std::string &n, float s) {
    int64_t channels = g().type(x).shape[1];
    bool bipolar = pick(0, 3) == 0;
    int64_t count = bipolar ? 1 : pick(1, 7);
    int64_t rows = coin() ? channels : 1;
    std::vector<float> t;
    for (int64_t r = 0; r < rows; ++r) {
      std::vector<float> row = randomValues(count, -3, 3);
      std::sort(row.begin(), row.end());
      t.insert(t.end(), row.begin(), row.end());
    }
    double outScale = bipolar ? 2.0 : s;
    double m = std::array{0.0, -1.0, -std::floor((static_cast<double>(count) + 1) / 2)}[pick(0, 2)];
    double outBias = bipolar ? -1.0 : m * s;
    return b_.create1("multi_threshold", n, {x, constant({rows, count}, t, n + "_t")},
                      {{"axis", int64_t{1}},
                       {"out_scale", outScale},
                       {"out_bias", outBias},
                       {"out_dtype", std::string("")}});
  }

  // Weight [rows, cols] (conv: [rows, cols...]) through a random weight quantizer whose
  // per-channel scale has shape `scaleShape` with `channels` entries, along `axis`.
  ValueId weight(Shape shape, Shape scaleShape, int64_t channels, int64_t axis,
                 const std::string &n) {
    int64_t count = checkedNumel(shape);
    std::vector<float> w;
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (int64_t i = 0; i < count; ++i) w.push_back(normal(rng_));
    int kind = pick(0, 4);
    if (kind == 4) {
      // QDQ: int8 codes and a per-axis dequantize_linear.
      Tensor codes(DType::i8, shape);
      for (int64_t i = 0; i < count; ++i) codes.setInt(i, pick(-128, 127));
      std::vector<float> scale;
      for (int64_t c = 0; c < channels; ++c) scale.push_back(pow2(-8, -5));
      Tensor zero(DType::i8, {channels});
      return b_.create1(
          "dequantize_linear", n + "_wdq",
          {b_.constant(codes, n + "_wc"), constant({channels}, scale, n + "_ws"),
           b_.constant(zero, n + "_wz")},
          {{"dtype", std::string("f32")}, {"axis", axis}, {"block_size", int64_t{0}}});
    }
    ValueId wv = constant(shape, w, n + "_w");
    std::vector<float> scale;
    for (int64_t c = 0; c < channels; ++c)
      scale.push_back(kind <= 1 ? static_cast<float>(uniform(0.05, 0.9)) : pow2(-3, 0));
    ValueId s = constant(scaleShape, scale, n + "_ws");
    if (kind == 0) return b_.create1("bipolar_quant", n + "_wq", {wv, s});
    int64_t bits = kind == 1 ? 2 : pick(2, 6);
    return b_.create1("quant", n + "_wq", {wv, s, scalar(0, n + "_wz")},
                      {{"bits", bits},
                       {"signed", int64_t{kind == 3 ? 0 : 1}},
                       {"narrow", int64_t{kind == 1 ? 1 : pick(0, 1)}},
                       {"rounding_mode", std::string("ROUND")}});
  }

  ValueId convLayer(ValueId x, const std::string &n) {
    const Shape &in = g().type(x).shape;
    int64_t m = pick(1, 5), k = pick(1, 3);
    int64_t pad = pick(0, 1), stride = pick(1, 2);
    int64_t fit = std::min(in[2], in[3]) + 2 * pad;
    if (k > fit) k = fit;
    ValueId w = weight({m, in[1], k, k}, {m, 1, 1, 1}, m, 0, n);
    std::vector<ValueId> operands{x, w};
    if (coin()) operands.push_back(constant({m}, randomValues(m, -2, 2), n + "_b"));
    return b_.create1("conv", n, operands,
                      {{"strides", std::vector<int64_t>{stride, stride}},
                       {"pads", std::vector<int64_t>{pad, pad, pad, pad}},
                       {"dilations", std::vector<int64_t>{1, 1}},
                       {"group", int64_t{1}}});
  }

  ValueId denseLayer(ValueId x, const std::string &n) {
    int64_t k = g().type(x).shape[1], m = pick(1, 6);
    if (coin()) {
      ValueId w = weight({k, m}, {1, m}, m, 1, n);
      return b_.create1("matmul", n, {x, w});
    }
    bool transB = coin();
    ValueId w = transB ? weight({m, k}, {m, 1}, m, 0, n) : weight({k, m}, {1, m}, m, 1, n);
    std::vector<ValueId> operands{x, w};
    if (coin()) operands.push_back(constant({m}, randomValues(m, -2, 2), n + "_c"));
    return b_.create1("gemm", n, operands,
                      {{"alpha", coin() ? 1.0 : 0.75},
                       {"beta", coin() ? 1.0 : -0.5},
                       {"trans_a", int64_t{0}},
                       {"trans_b", int64_t{transB ? 1 : 0}}});
  }

  std::vector<float> randomValues(int64_t n, double lo, double hi) {
    std::vector<float> v;
    for (int64_t i = 0; i < n; ++i) v.push_back(static_cast<float>(uniform(lo, hi)));
    return v;
  }

  // Per-channel constant for a value of `shape` (channels on axis 1): [C], [1, C, 1, ...] or
  // one scalar.
  ValueId channelConstant(const Shape &shape, std::vector<float> values, const std::string &n) {
    int64_t c = shape[1];
    if (coin()) return scalar(values[0], n);
    Shape s(shape.size(), 1);
    s[1] = c;
    if (shape.size() == 2 && coin()) s = {c};
    return constant(s, values, n);
  }

  // 0-3 per-channel monotone float ops.
  ValueId floatChain(ValueId x, const std::string &n) {
    int steps = pick(0, 3);
    for (int i = 0; i < steps; ++i) {
      const Shape shape = g().type(x).shape;
      int64_t c = shape[1];
      std::string id = n + "_f" + std::to_string(i);
      switch (pick(0, 5)) {
      case 0: {
        std::vector<float> gamma = randomValues(c, -1.5, 1.5), var = randomValues(c, 0.1, 3);
        for (float gm : gamma) descendingChannels += gm < 0 ? 1 : 0;
        x = b_.create1(
            "batch_normalization", id,
            {x, constant({c}, gamma, id + "_g"), constant({c}, randomValues(c, -1, 1), id + "_b"),
             constant({c}, randomValues(c, -1, 1), id + "_m"), constant({c}, var, id + "_v")},
            {{"epsilon", 1e-5}});
        break;
      }
      case 1:
        x = b_.create1("mul", id, {x, channelConstant(shape, randomValues(c, -2, 2), id + "_k")});
        break;
      case 2:
        x = b_.create1("add", id, {x, channelConstant(shape, randomValues(c, -2, 2), id + "_k")});
        break;
      case 3:
        x = b_.create1("sub", id, {channelConstant(shape, randomValues(c, -1, 1), id + "_k"), x});
        break;
      case 4:
        x = b_.create1("div", id, {x, channelConstant(shape, randomValues(c, 0.25, 3), id + "_k")});
        break;
      default:
        x = b_.create1("relu", id, {x});
        break;
      }
    }
    return x;
  }

  bool wideCodes_;
  std::mt19937 rng_;
  Builder b_;
  double inputRange_ = 1;
  double inputStep_ = 1;
};

} // namespace qcc::test
