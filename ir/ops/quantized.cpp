// The quantized level's own ops: quantize (float -> integer codes), dequantize (codes or an
// accumulator -> float) and threshold (accumulator -> codes). docs/passes.md ("quantized level")
// describes them; passes/qdq_to_quantized.cpp and passes/streamline.cpp produce them.
//
// quantize(x) -> codes
//   x: f32. attrs: encoding ("bipolar" | "ternary" | "uint" | "int"), bits, narrow (0|1), axis
//   (-1: per tensor, else the channel axis of x), scale and zero_point (float lists with one
//   entry, or one per channel), rounding_mode (QONNX name), form:
//     "qonnx":   code = rmode(clamp(x / s + zp, minCode, maxCode)), float32 steps exactly like
//                `quant` (the same function); a NaN gives minCode.
//     "onnx":    code = saturate(rne(x / s) + zp) to [minCode, maxCode], exactly like
//                `quantize_linear` with precision f32 (the same function); zp must be integral
//                and rounding_mode "ROUND".
//     "bipolar": code = x >= 0 ? +1 : -1 like `bipolar_quant` (the same function); encoding
//                bipolar, rounding_mode "ROUND".
//   Encodings: bipolar (bits 1, codes -1/+1), ternary (bits 2, narrow 1, codes -1/0/+1), uint
//   (bits 1..16), int (bits 2..16, two's complement, narrow drops the most negative code).
//   Result: i8 for bipolar, ternary and int <= 8 bits, u8 for uint <= 8 bits, i16 / u16 above;
//   its quant info is filled from the attributes (real = (code - zp) * scale).
//
// dequantize(q) -> f32
//   q: any integer dtype (codes or an accumulator). attrs axis, scale, zero_point as above.
//   y = float32((q - zp) * scale), the product taken in double and rounded once. For codes of
//   at most 16 bits with float32 scales and integral zero points this is the float32 product
//   that `quant`, `bipolar_quant` and `dequantize_linear` compute; for an accumulator whose
//   scale is the exact product s_x * s_w of two float32 scales it is the float32 rounding of
//   acc * s_x * s_w, which is what a float MAC on dequantized operands gives when its double
//   accumulation is exact.
//
// threshold(acc, thresholds) -> codes
//   acc: any integer dtype; thresholds: i64 [C, n] (C = acc.shape[axis]) or [1, n] (shared),
//   1 <= n <= maxCode - minCode. attrs: axis (the channel axis of acc), descending (0/1 per
//   channel of acc, or empty for all 0), and the result's encoding, bits, narrow, scale and
//   zero_point (one entry, or one per channel along `axis`).
//   count = #{t : acc >= T[c, t]} (ascending) or #{t : acc <= T[c, t]} (descending);
//   code = 2 * count - 1 for bipolar, count + minCode otherwise. Result dtype as for quantize.
#include "ir/error.h"
#include "ir/ops/codes.h"
#include "ir/ops/quant.h"

#include <cmath>
#include <fmt/ranges.h>

namespace qcc {
namespace {

// Channel axis attribute: -1 (per tensor) when `allowPerTensor`, else an axis of `rank`.
int64_t axisAttr(const Op &op, int64_t rank, bool allowPerTensor) {
  int64_t axis = op.getInt("axis");
  if ((axis == -1 && allowPerTensor) || (axis >= 0 && axis < rank)) return axis;
  fail("{}: axis {} is out of range for rank {}{}", op.describe(), axis, rank,
       allowPerTensor ? " (-1: per tensor)" : "");
}

// Scale and zero-point lists with one entry (per tensor) or `channels` entries.
void readScaleZero(const Op &op, int64_t channels, QuantInfo &q) {
  q.scale = op.getFloats("scale");
  q.zeroPoint = op.getFloats("zero_point");
  auto expected = static_cast<size_t>(channels);
  if (q.scale.size() != expected || q.zeroPoint.size() != expected)
    fail("{}: expects {} scale and zero point entries, got {} and {}", op.describe(), expected,
         q.scale.size(), q.zeroPoint.size());
}

// Channel index of element i for a per-channel axis with `channels` entries and `inner`
// elements after it; 0 per tensor.
struct ChannelMap {
  int64_t channels = 1;
  int64_t inner = 1;
  bool perTensor = true;

  ChannelMap(const Shape &shape, int64_t axis) {
    if (axis < 0) return;
    perTensor = false;
    channels = shape[static_cast<size_t>(axis)];
    for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  }
  size_t operator()(int64_t i) const {
    return perTensor ? 0 : static_cast<size_t>((i / inner) % channels);
  }
};

// ---- quantize ------------------------------------------------------------------------------

enum class QuantizeForm { qonnx, onnx, bipolar };

struct QuantizeParams {
  QuantInfo quant;
  QuantizeForm form = QuantizeForm::qonnx;
  RoundingMode rounding = RoundingMode::round;
};

QuantizeParams quantizeParams(const Op &op, const TensorType &x) {
  QuantizeParams p;
  p.quant = codeFormat(op);
  int64_t axis = axisAttr(op, x.rank(), true);
  p.quant.axis = static_cast<int>(axis);
  readScaleZero(op, axis < 0 ? 1 : x.shape[static_cast<size_t>(axis)], p.quant);
  p.rounding = roundingModeOf(op);
  const std::string &form = op.getString("form");
  bool isBipolar = p.quant.encoding == QEncoding::bipolar;
  if (form == "qonnx") {
    p.form = QuantizeForm::qonnx;
  } else if (form == "onnx") {
    p.form = QuantizeForm::onnx;
    for (double z : p.quant.zeroPoint)
      if (std::trunc(z) != z)
        fail("{}: form \"onnx\" needs integral zero points, got {}", op.describe(), z);
  } else if (form == "bipolar") {
    p.form = QuantizeForm::bipolar;
    for (double z : p.quant.zeroPoint)
      if (z != 0.0) fail("{}: form \"bipolar\" needs zero points of 0, got {}", op.describe(), z);
  } else {
    fail("{}: form '{}' is not one of qonnx, onnx, bipolar", op.describe(), form);
  }
  if (isBipolar != (p.form == QuantizeForm::bipolar))
    fail("{}: form \"bipolar\" and encoding bipolar go together (form \"{}\", encoding {})",
         op.describe(), form, op.getString("encoding"));
  if (p.form != QuantizeForm::qonnx && p.rounding != RoundingMode::round)
    fail("{}: form \"{}\" rounds half to even: rounding_mode must be ROUND", op.describe(), form);
  return p;
}

std::vector<TensorType> inferQuantize(const Op &op, TypeList in) {
  const TensorType &x = *in[0];
  if (x.dtype != DType::f32)
    fail("{}: input must be f32, got {}", op.describe(), dtypeName(x.dtype));
  QuantizeParams p = quantizeParams(op, x);
  TensorType out(codeDType(p.quant), x.shape);
  out.quant = std::move(p.quant);
  return {out};
}

void evalQuantize(const Op &op, TensorList in, std::span<Tensor> out) {
  const Tensor &x = *in[0];
  QuantizeParams p = quantizeParams(op, x.type());
  const QuantInfo &q = p.quant;
  ChannelMap channel(x.shape(), q.axis);
  int64_t qmin = q.minCode(), qmax = q.maxCode();
  std::vector<float> scale(q.scale.begin(), q.scale.end());
  std::vector<float> zero(q.zeroPoint.begin(), q.zeroPoint.end());
  const float *xs = x.data<float>();
  Tensor &y = out[0];
  for (int64_t i = 0; i < x.numel(); ++i) {
    size_t c = channel(i);
    int64_t code = 0;
    switch (p.form) {
    case QuantizeForm::qonnx: {
      float v = qonnxQuantCode(xs[i], scale[c], zero[c], static_cast<float>(qmin),
                               static_cast<float>(qmax), p.rounding);
      code = std::isnan(v) ? qmin : static_cast<int64_t>(v);
      break;
    }
    case QuantizeForm::onnx:
      code = linearQuantCode(xs[i], scale[c], static_cast<int64_t>(q.zeroPoint[c]), qmin, qmax);
      break;
    case QuantizeForm::bipolar:
      code = static_cast<int64_t>(bipolarCode(xs[i]));
      break;
    }
    y.setInt(i, code);
  }
}

// ---- dequantize ----------------------------------------------------------------------------

void requireInteger(const Op &op, const TensorType &t, std::string_view what) {
  if (!isInteger(t.dtype) || t.dtype == DType::boolean)
    fail("{}: {} must be an integer tensor, got {}", op.describe(), what, dtypeName(t.dtype));
}

QuantInfo dequantizeParams(const Op &op, const TensorType &q) {
  QuantInfo info;
  int64_t axis = axisAttr(op, q.rank(), true);
  info.axis = static_cast<int>(axis);
  readScaleZero(op, axis < 0 ? 1 : q.shape[static_cast<size_t>(axis)], info);
  return info;
}

std::vector<TensorType> inferDequantize(const Op &op, TypeList in) {
  requireInteger(op, *in[0], "the input");
  dequantizeParams(op, *in[0]);
  return {TensorType(DType::f32, in[0]->shape)};
}

void evalDequantize(const Op &op, TensorList in, std::span<Tensor> out) {
  const Tensor &q = *in[0];
  QuantInfo info = dequantizeParams(op, q.type());
  ChannelMap channel(q.shape(), info.axis);
  float *y = out[0].data<float>();
  visitDType(q.dtype(), [&]<typename T>(TypeTag<T>) {
    const T *qs = q.data<T>();
    for (int64_t i = 0; i < q.numel(); ++i) {
      size_t c = channel(i);
      double centered = static_cast<double>(qs[i]) - info.zeroPoint[c];
      y[i] = static_cast<float>(centered * info.scale[c]);
    }
  });
}

// ---- threshold -----------------------------------------------------------------------------

std::vector<TensorType> inferThreshold(const Op &op, TypeList in) {
  const TensorType &acc = *in[0];
  requireInteger(op, acc, "the accumulator");
  if (acc.rank() == 0) fail("{}: the accumulator must have a channel axis", op.describe());
  int64_t axis = axisAttr(op, acc.rank(), false);
  int64_t channels = acc.shape[static_cast<size_t>(axis)];
  ThresholdSpec spec = thresholdSpec(op, channels, axis);
  checkThresholdTable(op, *in[1], spec, channels);
  TensorType out(codeDType(spec.quant), acc.shape);
  out.quant = std::move(spec.quant);
  return {out};
}

void evalThreshold(const Op &op, TensorList in, std::span<Tensor> out) {
  const Tensor &acc = *in[0], &table = *in[1];
  int64_t axis = axisAttr(op, acc.type().rank(), false);
  ThresholdSpec spec = thresholdSpec(op, acc.shape()[static_cast<size_t>(axis)], axis);
  ChannelMap channel(acc.shape(), axis);
  Tensor &y = out[0];
  visitDType(acc.dtype(), [&]<typename A>(TypeTag<A>) {
    const A *as = acc.data<A>();
    for (int64_t i = 0; i < acc.numel(); ++i)
      y.setInt(i, thresholdCode(spec, table, channel(i), static_cast<int64_t>(as[i])));
  });
}

} // namespace

void registerQuantizedOps(OpRegistry &registry) {
  registry.add(OpDef{.name = "quantize",
                     .minInputs = 1,
                     .maxInputs = 1,
                     .levels = kQuantizedLevel | kLoweredLevel,
                     .infer = inferQuantize,
                     .eval = evalQuantize});
  registry.add(OpDef{.name = "dequantize",
                     .minInputs = 1,
                     .maxInputs = 1,
                     .levels = kQuantizedLevel | kLoweredLevel,
                     .infer = inferDequantize,
                     .eval = evalDequantize});
  registry.add(OpDef{.name = "threshold",
                     .minInputs = 2,
                     .maxInputs = 2,
                     .levels = kQuantizedLevel | kLoweredLevel,
                     .infer = inferThreshold,
                     .eval = evalThreshold});
}

} // namespace qcc
