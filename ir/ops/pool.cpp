// Pooling ops over x [N, C, D1..Dk] (k >= 1). Window attributes (all required):
//   kernel_shape [k] (>= 1), strides [k] (>= 1), pads [2k] (>= 0; all begins, then all ends),
//   dilations [k] (>= 1), ceil_mode (0|1: the output size rounds up; the last window is kept only
//   if it starts inside the input or the leading padding).
//
// max_pool(x) -> y: x any numeric dtype; y[n,c,o] = max of the window's input elements (padding
//   never wins; NaN is never selected, as in onnxruntime). A window holding no input element
//   yields the dtype's lowest value.
// max_pool_with_indices(x) -> (y, indices): as max_pool, plus attr storage_order (0|1) and
//   indices: i64, the flat index into x of the first maximum, the spatial part row-major
//   (storage_order 0) or column-major (1): (n*C + c) * D1*..*Dk + spatial offset.
// average_pool(x) -> y: x f32|f64, attr count_include_pad (0|1). y = sum / count over the window,
//   summed in double, rounded once. count: the window's input elements, plus with
//   count_include_pad its taps in the explicit padding, but never the taps past the end padding
//   that ceil_mode reaches (onnxruntime's rule). An empty count yields NaN.
// lp_pool(x) -> y: x f32|f64, attr p (>= 1). y = (sum over the window's input elements of
//   |x|^p)^(1/p), summed in double, rounded once (padding contributes 0).
// global_average_pool(x), global_max_pool(x) -> y [N, C, 1..1]: over all spatial positions
//   (average: f32|f64, summed in double; max: any numeric dtype).
#include "ir/ops/conv_geometry.h"
#include "ir/ops/nn_ops.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace qcc {
namespace {

struct PoolShape {
  int64_t planes = 0; // N * C
  Shape inSpatial;
  Shape outSpatial;
  Shape out;
  WindowGeometry geometry;
};

PoolShape poolShape(const Op &op, const Shape &x) {
  if (x.size() < 3)
    fail("{}: input must have shape [N, C, spatial...], got {}", op.describe(), shapeString(x));
  const std::vector<int64_t> &kernel = op.getInts("kernel_shape");
  if (kernel.size() != x.size() - 2)
    fail("{}: kernel_shape has {} dims, the input {} has {} spatial dims", op.describe(),
         kernel.size(), shapeString(x), x.size() - 2);
  PoolShape s;
  s.planes = checkedNumel({x[0], x[1]});
  s.inSpatial.assign(x.begin() + 2, x.end());
  s.geometry = readWindowGeometry(op, kernel, true);
  s.outSpatial = s.geometry.outputShape(s.inSpatial, op.describe());
  s.out = {x[0], x[1]};
  s.out.insert(s.out.end(), s.outSpatial.begin(), s.outSpatial.end());
  return s;
}

bool readFlag(const Op &op, const char *name) {
  int64_t v = op.getInt(name);
  if (v != 0 && v != 1) fail("{}: attribute '{}'={} must be 0 or 1", op.describe(), name, v);
  return v == 1;
}

// Max over each window; onIndex(output index, plane, offset) receives the offset of the winning
// input element in its plane, or -1 when the window holds none.
template <typename T, typename OnIndex>
void maxPoolKernel(const PoolShape &s, const T *x, T *y, OnIndex onIndex) {
  std::vector<int64_t> taps = windowTaps(s.geometry, s.inSpatial, s.outSpatial);
  int64_t inSize = checkedNumel(s.inSpatial);
  int64_t outSize = checkedNumel(s.outSpatial);
  int64_t kernelSize = checkedNumel(s.geometry.kernel);
  for (int64_t plane = 0; plane < s.planes; ++plane) {
    const T *xp = x + plane * inSize;
    for (int64_t p = 0; p < outSize; ++p) {
      const int64_t *window = taps.data() + p * kernelSize;
      T best = std::numeric_limits<T>::lowest();
      int64_t where = -1;
      for (int64_t q = 0; q < kernelSize; ++q) {
        if (window[q] < 0) continue;
        T v = xp[window[q]];
        // The first non-NaN element, then strictly greater ones: the first maximum wins.
        if (where < 0 ? v == v : v > best) {
          best = v;
          where = window[q];
        }
      }
      y[plane * outSize + p] = best;
      onIndex(plane * outSize + p, plane, where);
    }
  }
}

std::vector<TensorType> inferMaxPool(const Op &op, TypeList in, bool withIndices) {
  requireNumeric(op, *in[0], "input");
  PoolShape s = poolShape(op, in[0]->shape);
  std::vector<TensorType> out{TensorType(in[0]->dtype, s.out)};
  // Codes keep their quantization (per tensor, or per batch or channel index, which pooling
  // keeps); the passes pool codes only where that is the pooled value's code (scales > 0).
  if (in[0]->quant && in[0]->quant->axis < 2) out[0].quant = in[0]->quant;
  if (withIndices) {
    int64_t order = op.getInt("storage_order");
    if (order != 0 && order != 1)
      fail("{}: attribute 'storage_order'={} must be 0 or 1", op.describe(), order);
    out.emplace_back(DType::i64, s.out);
  }
  return out;
}

// Column-major position of the row-major offset `offset` within `shape`.
int64_t columnMajor(int64_t offset, const Shape &shape) {
  int64_t result = 0;
  int64_t scale = 1;
  std::vector<int64_t> coord(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    coord[d] = offset % shape[d];
    offset /= shape[d];
  }
  for (size_t d = 0; d < shape.size(); ++d) {
    result += coord[d] * scale;
    scale *= shape[d];
  }
  return result;
}

OpDef maxPoolDef(bool withIndices) {
  return OpDef{
      .name = withIndices ? "max_pool_with_indices" : "max_pool",
      .numOutputs = withIndices ? 2 : 1,
      .infer = [withIndices](const Op &op,
                             TypeList in) { return inferMaxPool(op, in, withIndices); },
      .eval =
          [withIndices](const Op &op, TensorList in, std::span<Tensor> out) {
            PoolShape s = poolShape(op, in[0]->shape());
            bool columns = withIndices && op.getInt("storage_order") == 1;
            int64_t inSize = checkedNumel(s.inSpatial);
            int64_t *indices = withIndices ? out[1].data<int64_t>() : nullptr;
            visitDType(in[0]->dtype(), [&]<typename T>(TypeTag<T>) {
              maxPoolKernel<T>(s, in[0]->data<T>(), out[0].data<T>(),
                               [&](int64_t at, int64_t plane, int64_t offset) {
                                 if (!indices) return;
                                 if (offset < 0) {
                                   indices[at] = -1;
                                   return;
                                 }
                                 int64_t spatial =
                                     columns ? columnMajor(offset, s.inSpatial) : offset;
                                 indices[at] = plane * inSize + spatial;
                               });
            });
          },
  };
}

OpDef averagePoolDef() {
  return OpDef{
      .name = "average_pool",
      .infer =
          [](const Op &op, TypeList in) {
            requireFloat(op, *in[0], "input");
            readFlag(op, "count_include_pad");
            return std::vector{TensorType(in[0]->dtype, poolShape(op, in[0]->shape).out)};
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            PoolShape s = poolShape(op, in[0]->shape());
            bool includePad = readFlag(op, "count_include_pad");
            std::vector<int64_t> taps = windowTaps(s.geometry, s.inSpatial, s.outSpatial);
            int64_t inSize = checkedNumel(s.inSpatial);
            int64_t outSize = checkedNumel(s.outSpatial);
            int64_t kernelSize = checkedNumel(s.geometry.kernel);
            visitDType(in[0]->dtype(), [&]<typename T>(TypeTag<T>) {
              if constexpr (std::is_floating_point_v<T>) {
                const T *x = in[0]->data<T>();
                T *y = out[0].data<T>();
                for (int64_t plane = 0; plane < s.planes; ++plane)
                  for (int64_t p = 0; p < outSize; ++p) {
                    const int64_t *window = taps.data() + p * kernelSize;
                    double sum = 0;
                    int64_t count = 0;
                    for (int64_t q = 0; q < kernelSize; ++q) {
                      if (window[q] >= 0) {
                        sum += static_cast<double>(x[plane * inSize + window[q]]);
                        ++count;
                      } else if (includePad && window[q] == kPaddingTap) {
                        ++count;
                      }
                    }
                    y[plane * outSize + p] = count == 0
                                                 ? std::numeric_limits<T>::quiet_NaN()
                                                 : static_cast<T>(sum / static_cast<double>(count));
                  }
              }
            });
          },
  };
}

OpDef lpPoolDef() {
  return OpDef{
      .name = "lp_pool",
      .infer =
          [](const Op &op, TypeList in) {
            requireFloat(op, *in[0], "input");
            if (op.getInt("p") < 1)
              fail("{}: attribute 'p'={} must be >= 1", op.describe(), op.getInt("p"));
            return std::vector{TensorType(in[0]->dtype, poolShape(op, in[0]->shape).out)};
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            PoolShape s = poolShape(op, in[0]->shape());
            auto power = static_cast<double>(op.getInt("p"));
            std::vector<int64_t> taps = windowTaps(s.geometry, s.inSpatial, s.outSpatial);
            int64_t inSize = checkedNumel(s.inSpatial);
            int64_t outSize = checkedNumel(s.outSpatial);
            int64_t kernelSize = checkedNumel(s.geometry.kernel);
            visitDType(in[0]->dtype(), [&]<typename T>(TypeTag<T>) {
              if constexpr (std::is_floating_point_v<T>) {
                const T *x = in[0]->data<T>();
                T *y = out[0].data<T>();
                for (int64_t plane = 0; plane < s.planes; ++plane)
                  for (int64_t o = 0; o < outSize; ++o) {
                    const int64_t *window = taps.data() + o * kernelSize;
                    double sum = 0;
                    for (int64_t q = 0; q < kernelSize; ++q)
                      if (window[q] >= 0)
                        sum += std::pow(
                            std::fabs(static_cast<double>(x[plane * inSize + window[q]])), power);
                    y[plane * outSize + o] = static_cast<T>(std::pow(sum, 1.0 / power));
                  }
              }
            });
          },
  };
}

Shape globalPoolShape(const Op &op, const Shape &x) {
  if (x.size() < 3)
    fail("{}: input must have shape [N, C, spatial...], got {}", op.describe(), shapeString(x));
  Shape out(x.size(), 1);
  out[0] = x[0];
  out[1] = x[1];
  return out;
}

OpDef globalPoolDef(bool average) {
  return OpDef{
      .name = average ? "global_average_pool" : "global_max_pool",
      .infer =
          [average](const Op &op, TypeList in) {
            if (average)
              requireFloat(op, *in[0], "input");
            else
              requireNumeric(op, *in[0], "input");
            return std::vector{TensorType(in[0]->dtype, globalPoolShape(op, in[0]->shape))};
          },
      .eval =
          [average](const Op &, TensorList in, std::span<Tensor> out) {
            const Shape &shape = in[0]->shape();
            int64_t planes = shape[0] * shape[1];
            int64_t size = planes == 0 ? 0 : in[0]->numel() / planes;
            visitDType(in[0]->dtype(), [&]<typename T>(TypeTag<T>) {
              const T *x = in[0]->data<T>();
              T *y = out[0].data<T>();
              for (int64_t plane = 0; plane < planes; ++plane) {
                const T *xp = x + plane * size;
                if (average) {
                  double sum = 0;
                  for (int64_t i = 0; i < size; ++i) sum += static_cast<double>(xp[i]);
                  y[plane] = static_cast<T>(sum / static_cast<double>(size));
                } else {
                  T best = std::numeric_limits<T>::lowest();
                  for (int64_t i = 0; i < size; ++i)
                    if (xp[i] > best) best = xp[i];
                  y[plane] = best;
                }
              }
            });
          },
  };
}

} // namespace

void registerPoolOps(OpRegistry &registry) {
  registry.add(maxPoolDef(false));
  registry.add(maxPoolDef(true));
  registry.add(averagePoolDef());
  registry.add(lpPoolDef());
  registry.add(globalPoolDef(true));
  registry.add(globalPoolDef(false));
}

} // namespace qcc
