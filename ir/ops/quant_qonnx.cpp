// QONNX / FINN / Brevitas quantizers: quant, bipolar_quant, multi_threshold, trunc, float_quant.
// Their reference semantics follow the QONNX reference implementation (numpy, float32 data):
// every step is a float32 operation in the reference's order, which docs/quantization.md lists.
// Scale, zero-point and threshold operands of any numeric type are read as float32, the type
// the reference computes in.
#include "ir/error.h"
#include "ir/ops/broadcast.h"
#include "ir/ops/quant.h"

#include <array>
#include <cfloat>
#include <cmath>
#include <limits>

namespace qcc {
namespace {

// Calls f(i, index) for every element i of the broadcast result `out`, where index[k] is the
// matching element of input k.
template <size_t N, typename F>
void forEachBroadcast(const Shape &out, const std::array<const Shape *, N> &inputs, F &&f) {
  std::vector<BroadcastIndex> maps;
  maps.reserve(N);
  for (const Shape *s : inputs) maps.emplace_back(*s, out);
  std::vector<BroadcastIndex::Walker> walkers;
  walkers.reserve(N);
  for (const BroadcastIndex &m : maps) walkers.emplace_back(m);
  std::array<int64_t, N> index{};
  int64_t n = checkedNumel(out);
  for (int64_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < N; ++k) index[k] = walkers[k].index();
    f(i, index);
    for (auto &w : walkers) w.next();
  }
}

std::vector<float> asFloats(const Tensor &t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  visitDType(t.dtype(), [&]<typename T>(TypeTag<T>) {
    const T *data = t.data<T>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(data[i]);
  });
  return out;
}

void requireF32(const Op &op, const TensorType &type, std::string_view what) {
  if (type.dtype != DType::f32)
    fail("{}: {} must be f32, got {}", op.describe(), what, dtypeName(type.dtype));
}

void requireNumeric(const Op &op, const TensorType &type, std::string_view what) {
  if (type.dtype == DType::boolean) fail("{}: {} must be numeric, got bool", op.describe(), what);
}

bool flagAttr(const Op &op, const std::string &name) {
  int64_t v = op.getInt(name);
  if (v != 0 && v != 1) fail("{}: attribute '{}' must be 0 or 1, got {}", op.describe(), name, v);
  return v == 1;
}

int bitsAttr(const Op &op, const std::string &name, int64_t min) {
  int64_t bits = op.getInt(name);
  if (bits < min || bits > 64)
    fail("{}: attribute '{}'={} is outside [{}, 64]", op.describe(), name, bits, min);
  return static_cast<int>(bits);
}

// Result type of an elementwise quantizer: f32 with the broadcast shape of all operands.
TensorType broadcastF32(const Op &op, TypeList inputs) {
  std::vector<Shape> shapes;
  for (const TensorType *t : inputs)
    if (t) shapes.push_back(t->shape);
  return TensorType(DType::f32, broadcastShapes(shapes, op.describe()));
}

// ---- quant ---------------------------------------------------------------------------------

struct QuantParams {
  int bits;
  bool isSigned;
  bool narrow;
  RoundingMode rounding;
};

QuantParams quantParams(const Op &op) {
  QuantParams p{bitsAttr(op, "bits", 1), flagAttr(op, "signed"), flagAttr(op, "narrow"),
                roundingModeOf(op)};
  // The QONNX reference treats this case as bipolar; the importer emits bipolar_quant for it.
  if (p.bits == 1 && p.isSigned)
    fail("{}: a 1-bit signed quant is bipolar; use bipolar_quant", op.describe());
  return p;
}

std::vector<TensorType> inferQuant(const Op &op, TypeList in) {
  quantParams(op);
  requireF32(op, *in[0], "the input");
  requireNumeric(op, *in[1], "the scale");
  requireNumeric(op, *in[2], "the zero point");
  return {broadcastF32(op, in)};
}

void evalQuant(const Op &op, TensorList in, std::span<Tensor> out) {
  QuantParams p = quantParams(op);
  auto qmin = static_cast<float>(qonnxMinInt(p.isSigned, p.narrow, p.bits));
  auto qmax = static_cast<float>(qonnxMaxInt(p.isSigned, p.narrow, p.bits));
  const float *x = in[0]->data<float>();
  std::vector<float> scale = asFloats(*in[1]), zero = asFloats(*in[2]);
  float *y = out[0].data<float>();
  forEachBroadcast<3>(out[0].shape(), {&in[0]->shape(), &in[1]->shape(), &in[2]->shape()},
                      [&](int64_t i, const std::array<int64_t, 3> &k) {
                        float s = scale[static_cast<size_t>(k[1])];
                        float z = zero[static_cast<size_t>(k[2])];
                        float v = qonnxQuantCode(x[k[0]], s, z, qmin, qmax, p.rounding);
                        y[i] = (v - z) * s;
                      });
}

// ---- bipolar_quant -------------------------------------------------------------------------

std::vector<TensorType> inferBipolarQuant(const Op &op, TypeList in) {
  requireF32(op, *in[0], "the input");
  requireNumeric(op, *in[1], "the scale");
  return {broadcastF32(op, in)};
}

void evalBipolarQuant(const Op &, TensorList in, std::span<Tensor> out) {
  const float *x = in[0]->data<float>();
  std::vector<float> scale = asFloats(*in[1]);
  float *y = out[0].data<float>();
  forEachBroadcast<2>(out[0].shape(), {&in[0]->shape(), &in[1]->shape()},
                      [&](int64_t i, const std::array<int64_t, 2> &k) {
                        y[i] = bipolarCode(x[k[0]]) * scale[static_cast<size_t>(k[1])];
                      });
}

// ---- multi_threshold -----------------------------------------------------------------------

std::vector<TensorType> inferMultiThreshold(const Op &op, TypeList in) {
  const TensorType &x = *in[0], &t = *in[1];
  requireNumeric(op, x, "the input");
  requireNumeric(op, t, "the thresholds");
  if (x.rank() == 0) fail("{}: the input must have at least one dimension", op.describe());
  int64_t axis = op.getInt("axis");
  if (axis < 0 || axis >= x.rank())
    fail("{}: channel axis {} is out of range for input {}", op.describe(), axis,
         shapeString(x.shape));
  int64_t channels = x.shape[static_cast<size_t>(axis)];
  if (t.rank() != 2 || (t.shape[0] != channels && t.shape[0] != 1))
    fail("{}: thresholds must have shape [{}, N] or [1, N] for input {}, got {}", op.describe(),
         channels, shapeString(x.shape), shapeString(t.shape));
  op.getFloat("out_scale");
  op.getFloat("out_bias");
  return {TensorType(DType::f32, x.shape)};
}

void evalMultiThreshold(const Op &op, TensorList in, std::span<Tensor> out) {
  const Tensor &x = *in[0], &t = *in[1];
  auto axis = static_cast<size_t>(op.getInt("axis"));
  double outScale = op.getFloat("out_scale"), outBias = op.getFloat("out_bias");
  int64_t channels = x.shape()[axis], perChannel = t.shape()[1];
  int64_t inner = 1;
  for (size_t d = axis + 1; d < x.shape().size(); ++d) inner *= x.shape()[d];
  // Thresholds and inputs compared as double: exact for every supported element type.
  std::vector<double> thresholds(static_cast<size_t>(t.numel()));
  for (size_t j = 0; j < thresholds.size(); ++j)
    thresholds[j] = t.getDouble(static_cast<int64_t>(j));
  float *y = out[0].data<float>();
  visitDType(x.dtype(), [&]<typename T>(TypeTag<T>) {
    const T *xs = x.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      int64_t c = t.shape()[0] == 1 ? 0 : (i / inner) % channels;
      const double *row = thresholds.data() + c * perChannel;
      auto v = static_cast<double>(xs[i]);
      int64_t count = 0;
      for (int64_t j = 0; j < perChannel; ++j) count += v >= row[j] ? 1 : 0;
      y[i] = static_cast<float>(outScale * static_cast<double>(count) + outBias);
    }
  });
}

// ---- trunc ---------------------------------------------------------------------------------

std::vector<TensorType> inferTrunc(const Op &op, TypeList in) {
  bitsAttr(op, "in_bits", 1);
  bitsAttr(op, "out_bits", 1);
  flagAttr(op, "signed");
  flagAttr(op, "narrow");
  roundingModeOf(op);
  requireF32(op, *in[0], "the input");
  for (size_t k = 1; k < in.size(); ++k)
    if (in[k]) requireNumeric(op, *in[k], "a scale or zero point");
  return {broadcastF32(op, in)};
}

void evalTrunc(const Op &op, TensorList in, std::span<Tensor> out) {
  int inBits = bitsAttr(op, "in_bits", 1), outBits = bitsAttr(op, "out_bits", 1);
  bool isSigned = flagAttr(op, "signed"), narrow = flagAttr(op, "narrow");
  RoundingMode rounding = roundingModeOf(op);
  const float *x = in[0]->data<float>();
  std::vector<float> scale = asFloats(*in[1]), zero = asFloats(*in[2]);
  float *y = out[0].data<float>();
  if (in.size() < 4 || !in[3]) {
    // Trunc v1: drop in_bits - out_bits low bits; the result keeps the input's scale.
    float truncScale = std::ldexp(1.0f, inBits - outBits);
    forEachBroadcast<3>(out[0].shape(), {&in[0]->shape(), &in[1]->shape(), &in[2]->shape()},
                        [&](int64_t i, const std::array<int64_t, 3> &k) {
                          float s = scale[static_cast<size_t>(k[1])];
                          float z = zero[static_cast<size_t>(k[2])];
                          float v = std::nearbyint(x[k[0]] / s + z);
                          v = applyRounding(v / truncScale, rounding);
                          y[i] = (v - z) * s;
                        });
    return;
  }
  // Trunc v2: the power-of-two step is out_scale / scale; clamp to the out_bits range.
  auto qmin = static_cast<float>(qonnxMinInt(isSigned, narrow, outBits));
  auto qmax = static_cast<float>(qonnxMaxInt(isSigned, narrow, outBits));
  std::vector<float> outScale = asFloats(*in[3]);
  forEachBroadcast<4>(out[0].shape(),
                      {&in[0]->shape(), &in[1]->shape(), &in[2]->shape(), &in[3]->shape()},
                      [&](int64_t i, const std::array<int64_t, 4> &k) {
                        float s = scale[static_cast<size_t>(k[1])];
                        float z = zero[static_cast<size_t>(k[2])];
                        float os = outScale[static_cast<size_t>(k[3])];
                        float v = std::nearbyint(x[k[0]] / s + z);
                        auto log2Step = static_cast<float>(std::log2(static_cast<double>(os / s)));
                        float truncScale = std::exp2(std::nearbyint(log2Step));
                        v = v / truncScale;
                        if (v > qmax) v = qmax;
                        if (v < qmin) v = qmin;
                        v = applyRounding(v, rounding);
                        y[i] = (v - z / truncScale) * os;
                      });
}

// ---- float_quant ---------------------------------------------------------------------------

struct FloatQuantParams {
  int64_t exponentBits;
  int64_t mantissaBits;
  double exponentBias;
  double maxValue; // the smaller of the format's largest value and the max_val operand
  RoundingMode rounding;
  bool saturate;
  bool hasInf;
  bool hasNan;
};

FloatQuantParams floatQuantParams(const Op &op) {
  FloatQuantParams p{};
  p.exponentBits = op.getInt("exponent_bits");
  p.mantissaBits = op.getInt("mantissa_bits");
  if (p.exponentBits < 1 || p.exponentBits > 8 || p.mantissaBits < 0 || p.mantissaBits > 23)
    fail("{}: exponent_bits={} / mantissa_bits={} are outside [1, 8] / [0, 23]", op.describe(),
         p.exponentBits, p.mantissaBits);
  p.exponentBias = op.getFloat("exponent_bias");
  double maxExponent = std::ldexp(1.0, static_cast<int>(p.exponentBits)) - 1.0 - p.exponentBias;
  double maxMantissa = 2.0 - std::ldexp(1.0, -static_cast<int>(p.mantissaBits));
  p.maxValue = std::min(maxMantissa * std::exp2(maxExponent), op.getFloat("max_val"));
  p.rounding = roundingModeOf(op);
  p.saturate = flagAttr(op, "saturation");
  p.hasInf = flagAttr(op, "has_inf");
  p.hasNan = flagAttr(op, "has_nan");
  flagAttr(op, "has_subnormal");
  if (!p.saturate && !p.hasInf && !p.hasNan)
    fail("{}: saturation=0 needs has_inf or has_nan", op.describe());
  return p;
}

std::vector<TensorType> inferFloatQuant(const Op &op, TypeList in) {
  floatQuantParams(op);
  requireF32(op, *in[0], "the input");
  requireNumeric(op, *in[1], "the scale");
  return {broadcastF32(op, in)};
}

// One element of the QONNX float_quant reference, on x already divided by the scale.
float floatQuantize(float x, const FloatQuantParams &p) {
  auto mantissa = static_cast<float>(p.mantissaBits);
  auto minExponent = 1.0f - static_cast<float>(p.exponentBias) - mantissa;
  // floor(log2(|x| + tiny)) with log2 rounded to float32 like numpy's float32 log2.
  float magnitude = std::fabs(x) + FLT_MIN;
  auto log2Magnitude = static_cast<float>(std::log2(static_cast<double>(magnitude)));
  float exponent = std::max(std::floor(log2Magnitude) - mantissa, minExponent);
  float step = std::exp2(exponent);
  float q = step * applyRounding(x / step, p.rounding);
  bool isInf = std::isinf(q);
  bool above = q > p.maxValue, below = q < -p.maxValue;
  if (above) q = static_cast<float>(p.maxValue);
  if (below) q = static_cast<float>(-p.maxValue);
  if (p.saturate) return q;
  if (p.hasInf) {
    if (above) return std::numeric_limits<float>::infinity();
    if (below) return -std::numeric_limits<float>::infinity();
    return q;
  }
  return above || below || isInf ? std::numeric_limits<float>::quiet_NaN() : q;
}

void evalFloatQuant(const Op &op, TensorList in, std::span<Tensor> out) {
  FloatQuantParams p = floatQuantParams(op);
  const float *x = in[0]->data<float>();
  std::vector<float> scale = asFloats(*in[1]);
  float *y = out[0].data<float>();
  forEachBroadcast<2>(out[0].shape(), {&in[0]->shape(), &in[1]->shape()},
                      [&](int64_t i, const std::array<int64_t, 2> &k) {
                        float s = scale[static_cast<size_t>(k[1])];
                        y[i] = floatQuantize(x[k[0]] / s, p) * s;
                      });
}

} // namespace

float qonnxQuantCode(float x, float scale, float zeroPoint, float qmin, float qmax,
                     RoundingMode mode) {
  float v = x / scale;
  v = v + zeroPoint;
  if (v > qmax) v = qmax;
  if (v < qmin) v = qmin;
  return applyRounding(v, mode);
}

float bipolarCode(float x) {
  return x >= 0.0f ? 1.0f : -1.0f;
}

void registerQonnxOps(OpRegistry &registry) {
  registry.add(OpDef{.name = "quant",
                     .minInputs = 3,
                     .maxInputs = 3,
                     .infer = inferQuant,
                     .eval = evalQuant});
  registry.add(OpDef{.name = "bipolar_quant",
                     .minInputs = 2,
                     .maxInputs = 2,
                     .infer = inferBipolarQuant,
                     .eval = evalBipolarQuant});
  registry.add(OpDef{.name = "multi_threshold",
                     .minInputs = 2,
                     .maxInputs = 2,
                     .infer = inferMultiThreshold,
                     .eval = evalMultiThreshold});
  registry.add(OpDef{.name = "trunc",
                     .minInputs = 3,
                     .maxInputs = 4,
                     .infer = inferTrunc,
                     .eval = evalTrunc});
  registry.add(OpDef{.name = "float_quant",
                     .minInputs = 2,
                     .maxInputs = 2,
                     .infer = inferFloatQuant,
                     .eval = evalFloatQuant});
}

} // namespace qcc
