// ONNX linear quantization: quantize_linear, dequantize_linear, dynamic_quantize_linear, and the
// requantize step the QOperator importers (QLinearConv, QLinearMatMul) decompose into. The float
// arithmetic follows onnxruntime's CPU kernels step by step; docs/quantization.md lists it.
#include "ir/error.h"
#include "ir/ops/quant.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qcc {
namespace {

bool isQuantizedType(DType t) {
  switch (t) {
  case DType::i2:
  case DType::u2:
  case DType::i4:
  case DType::u4:
  case DType::i8:
  case DType::u8:
  case DType::i16:
  case DType::u16:
    return true;
  default:
    return false;
  }
}

DType dtypeAttr(const Op &op, const std::string &name) {
  const std::string &text = op.getString(name);
  std::optional<DType> t = parseDType(text);
  if (!t) fail("{}: attribute '{}'='{}' is not an element type", op.describe(), name, text);
  return *t;
}

DType quantizedTypeAttr(const Op &op) {
  DType t = dtypeAttr(op, "dtype");
  if (!isQuantizedType(t))
    fail("{}: quantized type {} is not one of i2, u2, i4, u4, i8, u8, i16, u16", op.describe(),
         dtypeName(t));
  return t;
}

void requireFloat(const Op &op, const TensorType &t, std::string_view what) {
  if (!isFloat(t.dtype))
    fail("{}: {} must be f32 or f64, got {}", op.describe(), what, dtypeName(t.dtype));
}

// The zero point, when present, has the scale's shape and the quantized type.
void checkZeroPoint(const Op &op, const TensorType *zp, const TensorType &scale, DType expected) {
  if (!zp) return;
  if (zp->dtype != expected)
    fail("{}: zero point is {}, expected {}", op.describe(), dtypeName(zp->dtype),
         dtypeName(expected));
  bool bothPerTensor = isPerTensorParam(zp->shape) && isPerTensorParam(scale.shape);
  if (!bothPerTensor && zp->shape != scale.shape)
    fail("{}: zero point shape {} differs from scale shape {}", op.describe(),
         shapeString(zp->shape), shapeString(scale.shape));
}

QParamMap paramMap(const Op &op, const Shape &data, const Shape &param) {
  return QParamMap(op, data, param, op.getInt("axis"), op.getInt("block_size", 0));
}

std::vector<int64_t> asInts(const Tensor *t, size_t size) {
  std::vector<int64_t> out(size, 0);
  if (t)
    for (size_t i = 0; i < size; ++i) out[i] = t->getInt(static_cast<int64_t>(i));
  return out;
}

template <typename P> std::vector<P> asVector(const Tensor &t) {
  std::vector<P> out(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<P>(t.getDouble(static_cast<int64_t>(i)));
  return out;
}

// ---- quantize_linear -----------------------------------------------------------------------

std::vector<TensorType> inferQuantizeLinear(const Op &op, TypeList in) {
  DType out = quantizedTypeAttr(op);
  DType precision = dtypeAttr(op, "precision");
  if (!isFloat(precision))
    fail("{}: precision {} is not f32 or f64", op.describe(), dtypeName(precision));
  const TensorType &x = *in[0], &scale = *in[1];
  if (x.dtype != DType::f32 && x.dtype != DType::f64 && x.dtype != DType::i32)
    fail("{}: input must be f32, f64 or i32, got {}", op.describe(), dtypeName(x.dtype));
  requireFloat(op, scale, "scale");
  checkZeroPoint(op, in.size() > 2 ? in[2] : nullptr, scale, out);
  paramMap(op, x.shape, scale.shape);
  return {TensorType(out, x.shape)};
}

template <typename P> void quantizeLinear(const Op &op, TensorList in, Tensor &y) {
  const Tensor &x = *in[0], &scaleT = *in[1];
  const Tensor *zpT = in.size() > 2 ? in[2] : nullptr;
  QParamMap map = paramMap(op, x.shape(), scaleT.shape());
  std::vector<P> scale = asVector<P>(scaleT);
  std::vector<int64_t> zp = asInts(zpT, scale.size());
  int64_t qmin = dtypeMin(y.dtype()), qmax = dtypeMax(y.dtype());
  visitDType(x.dtype(), [&]<typename X>(TypeTag<X>) {
    const X *xs = x.data<X>();
    visitDType(y.dtype(), [&]<typename Y>(TypeTag<Y>) {
      Y *ys = y.data<Y>();
      for (int64_t i = 0; i < x.numel(); ++i) {
        auto j = static_cast<size_t>(map(i));
        ys[i] = static_cast<Y>(linearQuantCode(static_cast<P>(xs[i]), scale[j], zp[j], qmin, qmax));
      }
    });
  });
}

void evalQuantizeLinear(const Op &op, TensorList in, std::span<Tensor> out) {
  if (dtypeAttr(op, "precision") == DType::f64)
    quantizeLinear<double>(op, in, out[0]);
  else
    quantizeLinear<float>(op, in, out[0]);
}

// ---- dequantize_linear ---------------------------------------------------------------------

std::vector<TensorType> inferDequantizeLinear(const Op &op, TypeList in) {
  DType out = dtypeAttr(op, "dtype");
  if (!isFloat(out)) fail("{}: output type {} is not f32 or f64", op.describe(), dtypeName(out));
  const TensorType &x = *in[0], &scale = *in[1];
  if (!isQuantizedType(x.dtype) && x.dtype != DType::i32)
    fail("{}: input type {} is not one of i2, u2, i4, u4, i8, u8, i16, u16, i32", op.describe(),
         dtypeName(x.dtype));
  requireFloat(op, scale, "scale");
  checkZeroPoint(op, in.size() > 2 ? in[2] : nullptr, scale, x.dtype);
  paramMap(op, x.shape, scale.shape);
  return {TensorType(out, x.shape)};
}

template <typename O> void dequantizeLinear(const Op &op, TensorList in, Tensor &y) {
  const Tensor &x = *in[0], &scaleT = *in[1];
  const Tensor *zpT = in.size() > 2 ? in[2] : nullptr;
  QParamMap map = paramMap(op, x.shape(), scaleT.shape());
  std::vector<O> scale = asVector<O>(scaleT);
  std::vector<int64_t> zp = asInts(zpT, scale.size());
  O *ys = y.data<O>();
  visitDType(x.dtype(), [&]<typename X>(TypeTag<X>) {
    const X *xs = x.data<X>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      auto j = static_cast<size_t>(map(i));
      ys[i] = static_cast<O>(static_cast<int64_t>(xs[i]) - zp[j]) * scale[j];
    }
  });
}

void evalDequantizeLinear(const Op &op, TensorList in, std::span<Tensor> out) {
  if (out[0].dtype() == DType::f64)
    dequantizeLinear<double>(op, in, out[0]);
  else
    dequantizeLinear<float>(op, in, out[0]);
}

// ---- dynamic_quantize_linear ---------------------------------------------------------------

std::vector<TensorType> inferDynamicQuantizeLinear(const Op &op, TypeList in) {
  if (in[0]->dtype != DType::f32)
    fail("{}: input must be f32, got {}", op.describe(), dtypeName(in[0]->dtype));
  return {TensorType(DType::u8, in[0]->shape), TensorType(DType::f32, {}),
          TensorType(DType::u8, {})};
}

void evalDynamicQuantizeLinear(const Op &, TensorList in, std::span<Tensor> out) {
  const Tensor &x = *in[0];
  const float *xs = x.data<float>();
  // The range always includes 0; NaNs do not take part in it.
  float lo = 0.0f, hi = 0.0f;
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (xs[i] < lo) lo = xs[i];
    if (xs[i] > hi) hi = xs[i];
  }
  // onnxruntime uses scale 1 for an all-zero input, where the ONNX formula divides by zero.
  float scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
  float initialZero = 0.0f - lo / scale;
  float zero = std::nearbyint(std::clamp(initialZero, 0.0f, 255.0f));
  auto zp = static_cast<int64_t>(zero);
  uint8_t *ys = out[0].data<uint8_t>();
  for (int64_t i = 0; i < x.numel(); ++i)
    ys[i] = static_cast<uint8_t>(saturateCode(std::nearbyint(xs[i] / scale), zp, 0, 255));
  out[1].data<float>()[0] = scale;
  out[2].data<uint8_t>()[0] = static_cast<uint8_t>(zp);
}

// ---- requantize ----------------------------------------------------------------------------

// requantize(acc, multiplier, zero_point?, bias?): saturate(round(float(acc + bias) *
// multiplier) + zero_point), per tensor or per channel along `axis`.
std::vector<TensorType> inferRequantize(const Op &op, TypeList in) {
  DType out = quantizedTypeAttr(op);
  const TensorType &acc = *in[0], &multiplier = *in[1];
  if (!isInteger(acc.dtype) || acc.dtype == DType::boolean)
    fail("{}: accumulator must be an integer tensor, got {}", op.describe(), dtypeName(acc.dtype));
  if (multiplier.dtype != DType::f32)
    fail("{}: multiplier must be f32, got {}", op.describe(), dtypeName(multiplier.dtype));
  paramMap(op, acc.shape, multiplier.shape);
  const TensorType *zp = in.size() > 2 ? in[2] : nullptr;
  if (zp && (zp->dtype != out || !isPerTensorParam(zp->shape)))
    fail("{}: zero point must be a single {} value, got {}", op.describe(), dtypeName(out),
         typeString(*zp));
  const TensorType *bias = in.size() > 3 ? in[3] : nullptr;
  if (bias) {
    if (bias->dtype != DType::i32)
      fail("{}: bias must be i32, got {}", op.describe(), dtypeName(bias->dtype));
    paramMap(op, acc.shape, bias->shape);
  }
  return {TensorType(out, acc.shape)};
}

void evalRequantize(const Op &op, TensorList in, std::span<Tensor> out) {
  const Tensor &acc = *in[0], &multiplierT = *in[1];
  const Tensor *zpT = in.size() > 2 ? in[2] : nullptr;
  const Tensor *biasT = in.size() > 3 ? in[3] : nullptr;
  QParamMap scaleMap = paramMap(op, acc.shape(), multiplierT.shape());
  std::vector<float> multiplier = asVector<float>(multiplierT);
  int64_t zp = zpT ? zpT->getInt(0) : 0;
  std::vector<int64_t> bias;
  std::optional<QParamMap> biasMap;
  if (biasT) {
    biasMap.emplace(paramMap(op, acc.shape(), biasT->shape()));
    bias = asInts(biasT, static_cast<size_t>(biasT->numel()));
  }
  Tensor &y = out[0];
  int64_t qmin = dtypeMin(y.dtype()), qmax = dtypeMax(y.dtype());
  visitDType(acc.dtype(), [&]<typename A>(TypeTag<A>) {
    const A *as = acc.data<A>();
    visitDType(y.dtype(), [&]<typename Y>(TypeTag<Y>) {
      Y *ys = y.data<Y>();
      for (int64_t i = 0; i < acc.numel(); ++i) {
        auto sum = static_cast<int64_t>(as[i]);
        if (biasMap) sum += bias[static_cast<size_t>((*biasMap)(i))];
        float v = static_cast<float>(sum) * multiplier[static_cast<size_t>(scaleMap(i))];
        ys[i] = static_cast<Y>(saturateCode(std::nearbyint(v), zp, qmin, qmax));
      }
    });
  });
}

} // namespace

int64_t saturateCode(double rounded, int64_t zeroPoint, int64_t qmin, int64_t qmax) {
  if (std::isnan(rounded)) return qmin;
  double v = rounded + static_cast<double>(zeroPoint);
  if (v <= static_cast<double>(qmin)) return qmin;
  if (v >= static_cast<double>(qmax)) return qmax;
  return static_cast<int64_t>(v);
}

void registerLinearQuantOps(OpRegistry &registry) {
  registry.add(OpDef{.name = "quantize_linear",
                     .minInputs = 2,
                     .maxInputs = 3,
                     .infer = inferQuantizeLinear,
                     .eval = evalQuantizeLinear});
  registry.add(OpDef{.name = "dequantize_linear",
                     .minInputs = 2,
                     .maxInputs = 3,
                     .infer = inferDequantizeLinear,
                     .eval = evalDequantizeLinear});
  registry.add(OpDef{.name = "dynamic_quantize_linear",
                     .minInputs = 1,
                     .maxInputs = 1,
                     .numOutputs = 3,
                     .infer = inferDynamicQuantizeLinear,
                     .eval = evalDynamicQuantizeLinear});
  registry.add(OpDef{.name = "requantize",
                     .minInputs = 2,
                     .maxInputs = 4,
                     .infer = inferRequantize,
                     .eval = evalRequantize});
}

} // namespace qcc
