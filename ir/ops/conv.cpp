// Convolution ops. Spatial dims: k >= 1 (1-D, 2-D, 3-D, ...), layout N C D1..Dk.
//
// conv(x, w, bias?) -> y
//   x: f32|f64 [N, C, D1..Dk]; w: same dtype [M, C/group, K1..Kk]; bias: same dtype [M].
//   attrs: strides [k] (>= 1), pads [2k] (>= 0; all begins, then all ends), dilations [k] (>= 1),
//          group (>= 1, divides C and M). The kernel shape is w's spatial shape.
//   y: x's dtype [N, M, O1..Ok], Oi = floor((Di + pad_begin + pad_end - ((Ki-1)*dil+1)) / s) + 1.
//   y[n,m,o] = sum over c in m's group, kernel position kk of x[n,c,o*s - pad_begin + kk*dil] *
//   w[m,c,kk] (taps in the padding read 0), accumulated in double and rounded once, then + bias[m]
//   in the dtype. This matches the backend tests; onnxruntime's blocked float32 GEMM differs from
//   it by its own rounding (about 1e-5 relative on near-cancelling sums of a few hundred terms).
//
// conv_integer(x, w, x_zero_point?, w_zero_point?) -> y        (ONNX ConvInteger)
//   x: any integer dtype of at most 16 bits (ONNX: u8 or i8) [N, C, D1..Dk];
//   w: any integer dtype of at most 16 bits (ONNX: u8 or i8) [M, C/group, K1..Kk];
//   x_zero_point: x's dtype, exactly one element (scalar or [1]): per tensor;
//   w_zero_point: w's dtype, one element (per tensor) or shape [M] (per output channel);
//   absent zero points are 0.
//   attrs: exactly as conv (strides, pads, dilations, group).
//   y: i32 [N, M, O1..Ok] (same output shape as conv),
//   y[n,m,o] = sum over c, kk of (x[n,c,i] - x_zero_point) * (w[m,c,kk] - w_zero_point[m]), where
//   taps in the padding contribute 0 (ONNX pads x with x_zero_point). Exact: accumulated in int64,
//   then wrapped to int32 (two's complement).
#include "ir/ops/conv_geometry.h"
#include "ir/ops/nn_ops.h"

#include <algorithm>
#include <type_traits>

namespace qcc {
namespace {

struct ConvShape {
  int64_t batch = 0;
  int64_t inChannels = 0;
  int64_t outChannels = 0;
  int64_t group = 1;
  Shape inSpatial;
  Shape outSpatial;
  WindowGeometry geometry;

  Shape outputShape() const {
    Shape s{batch, outChannels};
    s.insert(s.end(), outSpatial.begin(), outSpatial.end());
    return s;
  }
};

ConvShape convShape(const Op &op, const TensorType &x, const TensorType &w) {
  if (x.rank() < 3)
    fail("{}: input must have shape [N, C, spatial...], got {}", op.describe(),
         shapeString(x.shape));
  if (w.rank() != x.rank())
    fail("{}: weight shape {} must have the rank of the input {}", op.describe(),
         shapeString(w.shape), shapeString(x.shape));
  ConvShape s;
  s.batch = x.shape[0];
  s.inChannels = x.shape[1];
  s.outChannels = w.shape[0];
  s.group = op.getInt("group");
  if (s.group < 1 || s.group > std::max<int64_t>(s.inChannels, 1))
    fail("{}: attribute 'group'={} must be from 1 to the {} input channels", op.describe(), s.group,
         s.inChannels);
  // Compared by division: w.shape[1] * group may not fit in 64 bits.
  if (s.inChannels % s.group != 0 || s.inChannels / s.group != w.shape[1])
    fail("{}: input has {} channels, but weight {} with group={} expects {} x {}", op.describe(),
         s.inChannels, shapeString(w.shape), s.group, w.shape[1], s.group);
  if (s.outChannels % s.group != 0)
    fail("{}: {} output channels are not divisible by group={}", op.describe(), s.outChannels,
         s.group);
  s.inSpatial.assign(x.shape.begin() + 2, x.shape.end());
  s.geometry = readWindowGeometry(op, Shape(w.shape.begin() + 2, w.shape.end()), false);
  s.outSpatial = s.geometry.outputShape(s.inSpatial, op.describe());
  return s;
}

// y[n, m, p] = finish(m, sum over c, q of x[n, c, tap] * w[m, c, q]), accumulated in Acc.
template <typename Acc, typename In, typename Out, typename Finish>
void convolve(const ConvShape &s, const In *x, const In *w, Out *y, Finish finish) {
  std::vector<int64_t> taps = windowTaps(s.geometry, s.inSpatial, s.outSpatial);
  int64_t outSize = checkedNumel(s.outSpatial);
  int64_t kernelSize = checkedNumel(s.geometry.kernel);
  int64_t inSize = checkedNumel(s.inSpatial);
  int64_t groupIn = s.inChannels / s.group;
  int64_t groupOut = s.outChannels / s.group;
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t m = 0; m < s.outChannels; ++m) {
      const In *xGroup = x + (n * s.inChannels + m / groupOut * groupIn) * inSize;
      const In *wFilter = w + m * groupIn * kernelSize;
      Out *yPlane = y + (n * s.outChannels + m) * outSize;
      for (int64_t p = 0; p < outSize; ++p) {
        const int64_t *window = taps.data() + p * kernelSize;
        Acc acc = 0;
        for (int64_t c = 0; c < groupIn; ++c) {
          const In *xc = xGroup + c * inSize;
          const In *wc = wFilter + c * kernelSize;
          for (int64_t q = 0; q < kernelSize; ++q)
            if (window[q] >= 0) acc += static_cast<Acc>(xc[window[q]]) * static_cast<Acc>(wc[q]);
        }
        yPlane[p] = finish(m, acc);
      }
    }
}

OpDef convDef() {
  return OpDef{
      .name = "conv",
      .minInputs = 2,
      .maxInputs = 3,
      .infer =
          [](const Op &op, TypeList in) {
            const TensorType &x = *in[0];
            const TensorType &w = *in[1];
            requireFloat(op, x, "input");
            requireDType(op, w, x.dtype, "weight");
            ConvShape s = convShape(op, x, w);
            if (in.size() > 2 && in[2]) {
              requireDType(op, *in[2], x.dtype, "bias");
              if (in[2]->shape != Shape{s.outChannels})
                fail("{}: bias shape {} must be [{}]", op.describe(), shapeString(in[2]->shape),
                     s.outChannels);
            }
            return std::vector{TensorType(x.dtype, s.outputShape())};
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            ConvShape s = convShape(op, in[0]->type(), in[1]->type());
            const Tensor *bias = in.size() > 2 ? in[2] : nullptr;
            visitDType(in[0]->dtype(), [&]<typename T>(TypeTag<T>) {
              if constexpr (std::is_floating_point_v<T>) {
                const T *b = bias ? bias->data<T>() : nullptr;
                convolve<double>(s, in[0]->data<T>(), in[1]->data<T>(), out[0].data<T>(),
                                 [&](int64_t m, double acc) {
                                   auto sum = static_cast<T>(acc);
                                   return b ? sum + b[m] : sum;
                                 });
              }
            });
          },
  };
}

// The operand minus its zero point, as int32 (exact for inputs of at most 16 bits).
// `perChannel` > 0 subtracts zeroPoint[i / perChannel] (per output channel of a weight).
std::vector<int32_t> centered(const Tensor &t, const Tensor *zeroPoint, int64_t perChannel) {
  std::vector<int32_t> out(static_cast<size_t>(t.numel()));
  bool perTensor = !zeroPoint || zeroPoint->numel() == 1;
  int64_t zp0 = zeroPoint ? zeroPoint->getInt(0) : 0;
  for (int64_t i = 0; i < t.numel(); ++i) {
    int64_t zp = perTensor ? zp0 : zeroPoint->getInt(i / perChannel);
    out[static_cast<size_t>(i)] = static_cast<int32_t>(t.getInt(i) - zp);
  }
  return out;
}

OpDef convIntegerDef() {
  return OpDef{
      .name = "conv_integer",
      .minInputs = 2,
      .maxInputs = 4,
      .infer =
          [](const Op &op, TypeList in) {
            const TensorType &x = *in[0];
            const TensorType &w = *in[1];
            requireNarrowInteger(op, x, "input");
            requireNarrowInteger(op, w, "weight");
            ConvShape s = convShape(op, x, w);
            if (in.size() > 2 && in[2]) {
              requireDType(op, *in[2], x.dtype, "input zero point");
              if (in[2]->numel() != 1)
                fail("{}: input zero point must have one element, got shape {}", op.describe(),
                     shapeString(in[2]->shape));
            }
            if (in.size() > 3 && in[3]) {
              requireDType(op, *in[3], w.dtype, "weight zero point");
              if (in[3]->numel() != 1 && in[3]->shape != Shape{s.outChannels})
                fail("{}: weight zero point must have one element or shape [{}], got {}",
                     op.describe(), s.outChannels, shapeString(in[3]->shape));
            }
            return std::vector{TensorType(DType::i32, s.outputShape())};
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            ConvShape s = convShape(op, in[0]->type(), in[1]->type());
            const Tensor *xZero = in.size() > 2 ? in[2] : nullptr;
            const Tensor *wZero = in.size() > 3 ? in[3] : nullptr;
            int64_t filterSize = in[1]->numel() / std::max<int64_t>(1, s.outChannels);
            std::vector<int32_t> x = centered(*in[0], xZero, 1);
            std::vector<int32_t> w = centered(*in[1], wZero, std::max<int64_t>(1, filterSize));
            convolve<int64_t>(s, x.data(), w.data(), out[0].data<int32_t>(),
                              [](int64_t, int64_t acc) { return static_cast<int32_t>(acc); });
          },
  };
}

} // namespace

void registerConvOps(OpRegistry &registry) {
  registry.add(convDef());
  registry.add(convIntegerDef());
}

} // namespace qcc
