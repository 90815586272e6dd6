// Tensor-manipulation ops: data movement (reshape, transpose, concat, pad, gather, slice, split,
// expand, tile), reductions, arg_max/arg_min, top_k and resize.
//
// Attributes are canonical (the importer resolves ONNX defaults, negative axes and opset
// differences): axes are non-negative, shapes are explicit, every list covers every axis.
//
// Quantization metadata: ops that only move elements carry the operand's quantization over. A
// per-channel quantization follows its channel axis (transpose moves it, reshape finds it again);
// an op that would mix, drop or duplicate channels of a per-channel operand is refused.
#include "ir/error.h"
#include "ir/op_registry.h"
#include "ir/ops/broadcast.h"
#include "ir/ops/resize_coordinates.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <type_traits>

namespace qcc {
namespace {

// ---- shared helpers -------------------------------------------------------------------------

// Result type of a data-movement op: the operand's dtype and quantization with `shape`. For a
// per-channel operand, `channelAxis` is where its channel axis ends up (-1: the op mixes
// channels).
TensorType movedType(const Op &op, const TensorType &in, Shape shape, int64_t channelAxis) {
  TensorType out(in.dtype, std::move(shape));
  out.quant = in.quant;
  if (out.quant && out.quant->axis >= 0) {
    if (channelAxis < 0)
      fail("{}: cannot apply to an operand quantized per channel along axis {}", op.describe(),
           in.quant->axis);
    out.quant->axis = static_cast<int>(channelAxis);
  }
  return out;
}

// Channel axis of `in` if the op keeps the extent of that axis (same-rank ops), else -1.
int64_t keptChannelAxis(const TensorType &in, const Shape &outShape) {
  if (!in.quant || in.quant->axis < 0) return -1;
  auto axis = static_cast<size_t>(in.quant->axis);
  return axis < outShape.size() && outShape[axis] == in.shape[axis] ? in.quant->axis : -1;
}

void checkRank(const Op &op, const std::vector<int64_t> &list, const char *attr, size_t expected) {
  if (list.size() != expected)
    fail("{}: attribute '{}' has {} entries, expected {}", op.describe(), attr, list.size(),
         expected);
}

int64_t checkAxis(const Op &op, int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= rank)
    fail("{}: axis {} is out of range for rank {}", op.describe(), axis, rank);
  return axis;
}

// Advances a row-major multi-index over `shape`; false after the last index.
bool nextIndex(std::vector<int64_t> &index, const Shape &shape) {
  for (size_t d = index.size(); d-- > 0;) {
    if (++index[d] < shape[d]) return true;
    index[d] = 0;
  }
  return false;
}

// Copies out[o] = in[base + sum_d o_d * strides[d]] for every multi-index o of out.
void stridedCopy(const Tensor &in, Tensor &out, int64_t base, const std::vector<int64_t> &strides) {
  if (out.numel() == 0) return;
  size_t eb = storageBytes(in.dtype());
  const uint8_t *src = in.bytes().data();
  uint8_t *dst = out.bytes().data();
  std::vector<int64_t> index(out.shape().size(), 0);
  int64_t offset = base;
  for (int64_t o = 0; o < out.numel(); ++o) {
    std::memcpy(dst + static_cast<size_t>(o) * eb, src + static_cast<size_t>(offset) * eb, eb);
    for (size_t d = index.size(); d-- > 0;) {
      offset += strides[d];
      if (++index[d] < out.shape()[d]) break;
      offset -= strides[d] * index[d];
      index[d] = 0;
    }
  }
}

// Splits `shape` around `axis` into (outer, extent, inner) element counts.
struct AxisSplit {
  int64_t outer = 1, extent = 1, inner = 1;
};
AxisSplit splitAt(const Shape &shape, int64_t axis) {
  AxisSplit s;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (d < axis)
      s.outer *= shape[static_cast<size_t>(d)];
    else if (d == axis)
      s.extent = shape[static_cast<size_t>(d)];
    else
      s.inner *= shape[static_cast<size_t>(d)];
  }
  return s;
}

// Total order for sorting values: NaN ranks above every number (as numpy sorts it last).
template <typename T> bool lessWithNaN(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

// ---- data movement --------------------------------------------------------------------------

// Where the channel axis of `in` lands in a reshape to `outShape`: the axis with the same extent
// and the same number of elements before it; -1 if there is none.
int64_t reshapedChannelAxis(const TensorType &in, const Shape &outShape) {
  if (!in.quant || in.quant->axis < 0) return -1;
  auto axis = static_cast<size_t>(in.quant->axis);
  int64_t before = 1;
  for (size_t d = 0; d < axis; ++d) before *= in.shape[d];
  int64_t prefix = 1;
  for (size_t d = 0; d < outShape.size(); ++d) {
    if (prefix == before && outShape[d] == in.shape[axis]) return static_cast<int64_t>(d);
    prefix *= outShape[d];
  }
  return -1;
}

OpDef reshapeOp() {
  return OpDef{
      .name = "reshape",
      .infer =
          [](const Op &op, TypeList in) {
            const Shape &shape = op.getInts("shape");
            int64_t n = checkedNumel(shape, op.describe());
            if (n != checkedNumel(in[0]->shape))
              fail("{}: cannot reshape {} ({} elements) to {} ({} elements)", op.describe(),
                   shapeString(in[0]->shape), checkedNumel(in[0]->shape), shapeString(shape), n);
            return std::vector{movedType(op, *in[0], shape, reshapedChannelAxis(*in[0], shape))};
          },
      .eval =
          [](const Op &, TensorList in, std::span<Tensor> out) {
            std::copy(in[0]->bytes().begin(), in[0]->bytes().end(), out[0].bytes().begin());
          },
  };
}

OpDef transposeOp() {
  return OpDef{
      .name = "transpose",
      .infer =
          [](const Op &op, TypeList in) {
            const std::vector<int64_t> &perm = op.getInts("perm");
            size_t rank = in[0]->shape.size();
            checkRank(op, perm, "perm", rank);
            std::vector<char> seen(rank, 0);
            Shape shape(rank);
            int64_t channel = -1;
            for (size_t d = 0; d < rank; ++d) {
              if (perm[d] < 0 || perm[d] >= static_cast<int64_t>(rank) || seen[perm[d]])
                fail("{}: perm {} is not a permutation of 0..{}", op.describe(), shapeString(perm),
                     rank - 1);
              seen[static_cast<size_t>(perm[d])] = 1;
              shape[d] = in[0]->shape[static_cast<size_t>(perm[d])];
              if (in[0]->quant && perm[d] == in[0]->quant->axis) channel = static_cast<int64_t>(d);
            }
            return std::vector{movedType(op, *in[0], shape, channel)};
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            const std::vector<int64_t> &perm = op.getInts("perm");
            std::vector<int64_t> inStrides = rowMajorStrides(in[0]->shape());
            std::vector<int64_t> strides(perm.size());
            for (size_t d = 0; d < perm.size(); ++d)
              strides[d] = inStrides[static_cast<size_t>(perm[d])];
            stridedCopy(*in[0], out[0], 0, strides);
          },
  };
}

OpDef concatOp() {
  return OpDef{
      .name = "concat",
      .minInputs = 1,
      .maxInputs = -1,
      .infer =
          [](const Op &op, TypeList in) {
            for (size_t i = 0; i < in.size(); ++i)
              if (!in[i]) fail("{}: operand {} is missing", op.describe(), i);
            const TensorType &first = *in[0];
            int64_t axis = checkAxis(op, op.getInt("axis"), first.rank());
            Shape shape = first.shape;
            shape[static_cast<size_t>(axis)] = 0;
            for (size_t i = 0; i < in.size(); ++i) {
              const TensorType &t = *in[i];
              if (t.dtype != first.dtype || t.quant != first.quant)
                fail("{}: operand {} has type {}, but operand 0 has type {}", op.describe(), i,
                     typeString(t), typeString(first));
              bool same = t.rank() == first.rank();
              for (size_t d = 0; same && d < first.shape.size(); ++d)
                same = static_cast<int64_t>(d) == axis || t.shape[d] == first.shape[d];
              if (!same)
                fail("{}: operand {} has shape {}, which does not match {} outside axis {}",
                     op.describe(), i, shapeString(t.shape), shapeString(first.shape), axis);
              shape[static_cast<size_t>(axis)] += t.shape[static_cast<size_t>(axis)];
            }
            int64_t channel = first.quant && first.quant->axis != axis ? first.quant->axis : -1;
            return std::vector{movedType(op, first, shape, channel)};
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            int64_t axis = op.getInt("axis");
            size_t eb = storageBytes(out[0].dtype());
            AxisSplit whole = splitAt(out[0].shape(), axis);
            uint8_t *dst = out[0].bytes().data();
            int64_t offset = 0; // position along the axis
            for (const Tensor *t : in) {
              AxisSplit part = splitAt(t->shape(), axis);
              size_t chunk = static_cast<size_t>(part.extent * part.inner) * eb;
              for (int64_t o = 0; o < part.outer; ++o)
                if (chunk != 0)
                  std::memcpy(dst + static_cast<size_t>((o * whole.extent + offset) * whole.inner) *
                                        eb,
                              t->bytes().data() + static_cast<size_t>(o) * chunk, chunk);
              offset += part.extent;
            }
          },
  };
}

// pad: `pads` = [begin_0, ..., begin_{r-1}, end_0, ..., end_{r-1}] (negative pads crop),
// `mode` = constant | reflect | edge | wrap, `value` for constant mode (converted to the dtype).
// An optional second operand (one element of the operand's dtype) is the value when it is only
// known at run time; it replaces the attribute.
OpDef padOp() {
  return OpDef{
      .name = "pad",
      .minInputs = 1,
      .maxInputs = 2,
      .infer =
          [](const Op &op, TypeList in) {
            if (in.size() > 1 && in[1] &&
                (in[1]->dtype != in[0]->dtype || checkedNumel(in[1]->shape) != 1))
              fail("{}: the pad value operand must be one {} element, got {}", op.describe(),
                   dtypeName(in[0]->dtype), typeString(*in[1]));
            const std::vector<int64_t> &pads = op.getInts("pads");
            size_t rank = in[0]->shape.size();
            checkRank(op, pads, "pads", 2 * rank);
            const std::string &mode = op.getString("mode");
            if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap")
              fail("{}: unknown pad mode '{}'", op.describe(), mode);
            Shape shape(rank);
            for (size_t d = 0; d < rank; ++d) {
              int64_t dim = in[0]->shape[d];
              shape[d] = dim + pads[d] + pads[d + rank];
              if (shape[d] < 0)
                fail("{}: pads {} crop more than the {} elements of axis {}", op.describe(),
                     shapeString(pads), dim, d);
              bool grows = pads[d] > 0 || pads[d + rank] > 0;
              if (grows && mode != "constant" &&
                  dim + std::min<int64_t>(pads[d], 0) + std::min<int64_t>(pads[d + rank], 0) <= 0)
                fail("{}: {} padding of axis {} needs at least one element to copy", op.describe(),
                     mode, d);
            }
            int64_t channel = keptChannelAxis(*in[0], shape);
            if (channel >= 0 && (pads[channel] != 0 || pads[channel + rank] != 0)) channel = -1;
            return std::vector{movedType(op, *in[0], shape, channel)};
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            const std::vector<int64_t> &pads = op.getInts("pads");
            const std::string &mode = op.getString("mode");
            const Tensor &x = *in[0];
            size_t rank = x.shape().size();
            Tensor fill = Tensor::scalar(x.dtype(), 0);
            if (in.size() > 1 && in[1]) {
              std::copy_n(in[1]->bytes().begin(), fill.bytes().size(), fill.bytes().begin());
            } else if (mode == "constant") {
              // For integer operands the value is truncated and saturated (as cast does).
              double v = op.getFloat("value");
              if (isInteger(x.dtype()) && !std::isfinite(v))
                fail("{}: pad value {} does not fit {}", op.describe(), v, dtypeName(x.dtype()));
              if (isInteger(x.dtype()))
                v = std::clamp(std::trunc(v), static_cast<double>(dtypeMin(x.dtype())),
                               static_cast<double>(dtypeMax(x.dtype())));
              fill.setDouble(0, v);
            }
            if (out[0].numel() == 0) return;
            size_t eb = storageBytes(x.dtype());
            std::vector<int64_t> strides = rowMajorStrides(x.shape());
            // Per axis and output coordinate: the source index, or -1 for the constant value.
            // Negative pads first crop the axis to its n elements from lo.
            std::vector<std::vector<int64_t>> sources(rank);
            for (size_t d = 0; d < rank; ++d) {
              int64_t lo = std::max<int64_t>(0, -pads[d]);
              int64_t n = x.shape()[d] - lo - std::max<int64_t>(0, -pads[d + rank]);
              for (int64_t o = 0; o < out[0].shape()[d]; ++o) {
                int64_t k = o - std::max<int64_t>(0, pads[d]); // position in the kept range
                if (k < 0 || k >= n) {
                  if (mode == "constant") {
                    sources[d].push_back(-1);
                    continue;
                  }
                  if (mode == "edge") {
                    k = std::clamp<int64_t>(k, 0, n - 1);
                  } else if (mode == "wrap") {
                    k = ((k % n) + n) % n;
                  } else if (n == 1) {
                    k = 0;
                  } else { // reflect, repeatedly for pads longer than the axis
                    int64_t period = 2 * (n - 1);
                    k = std::abs(k) % period;
                    if (k >= n) k = period - k;
                  }
                }
                sources[d].push_back(k + lo);
              }
            }
            std::vector<int64_t> index(rank, 0);
            uint8_t *dst = out[0].bytes().data();
            int64_t o = 0;
            do {
              int64_t src = 0;
              bool inside = true;
              for (size_t d = 0; d < rank && inside; ++d) {
                int64_t k = sources[d][static_cast<size_t>(index[d])];
                inside = k >= 0;
                src += k * strides[d];
              }
              const uint8_t *from =
                  inside ? x.bytes().data() + static_cast<size_t>(src) * eb : fill.bytes().data();
              std::memcpy(dst + static_cast<size_t>(o++) * eb, from, eb);
            } while (nextIndex(index, out[0].shape()));
          },
  };
}

// gather(data, indices): indices (i32/i64) along `axis`; negative indices count from the end.
OpDef gatherOp() {
  return OpDef{
      .name = "gather",
      .minInputs = 2,
      .maxInputs = 2,
      .infer =
          [](const Op &op, TypeList in) {
            const TensorType &data = *in[0];
            int64_t axis = checkAxis(op, op.getInt("axis"), data.rank());
            if (in[1]->dtype != DType::i32 && in[1]->dtype != DType::i64)
              fail("{}: indices have type {}, expected i32 or i64", op.describe(),
                   dtypeName(in[1]->dtype));
            Shape shape(data.shape.begin(), data.shape.begin() + axis);
            shape.insert(shape.end(), in[1]->shape.begin(), in[1]->shape.end());
            shape.insert(shape.end(), data.shape.begin() + axis + 1, data.shape.end());
            int64_t channel = -1;
            if (data.quant && data.quant->axis >= 0 && data.quant->axis != axis)
              channel =
                  data.quant->axis < axis ? data.quant->axis : data.quant->axis + in[1]->rank() - 1;
            return std::vector{movedType(op, data, shape, channel)};
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            const Tensor &data = *in[0];
            const Tensor &indices = *in[1];
            int64_t axis = op.getInt("axis");
            AxisSplit s = splitAt(data.shape(), axis);
            size_t block = static_cast<size_t>(s.inner) * storageBytes(data.dtype());
            uint8_t *dst = out[0].bytes().data();
            for (int64_t o = 0; o < s.outer; ++o)
              for (int64_t j = 0; j < indices.numel(); ++j) {
                int64_t k = indices.getInt(j);
                if (k < -s.extent || k >= s.extent)
                  fail("{}: index {} is out of range for axis {} of size {}", op.describe(), k,
                       axis, s.extent);
                if (k < 0) k += s.extent;
                if (block != 0)
                  std::memcpy(dst,
                              data.bytes().data() + static_cast<size_t>(o * s.extent + k) * block,
                              block);
                dst += block;
              }
          },
  };
}

// slice: per axis, elements start, start+step, ... before end. Canonical `starts`/`ends` are
// clamped positions (for a negative step, end -1 means "through element 0").
int64_t sliceLength(int64_t start, int64_t end, int64_t step) {
  if (step > 0) return end > start ? (end - start + step - 1) / step : 0;
  return start > end ? (start - end - step - 1) / -step : 0;
}

OpDef sliceOp() {
  return OpDef{
      .name = "slice",
      .infer =
          [](const Op &op, TypeList in) {
            const std::vector<int64_t> &starts = op.getInts("starts");
            const std::vector<int64_t> &ends = op.getInts("ends");
            const std::vector<int64_t> &steps = op.getInts("steps");
            size_t rank = in[0]->shape.size();
            checkRank(op, starts, "starts", rank);
            checkRank(op, ends, "ends", rank);
            checkRank(op, steps, "steps", rank);
            Shape shape(rank);
            for (size_t d = 0; d < rank; ++d) {
              if (steps[d] == 0) fail("{}: step of axis {} is 0", op.describe(), d);
              int64_t n = sliceLength(starts[d], ends[d], steps[d]);
              int64_t last = starts[d] + (n - 1) * steps[d];
              if (n > 0 && (starts[d] < 0 || starts[d] >= in[0]->shape[d] || last < 0 ||
                            last >= in[0]->shape[d]))
                fail("{}: slice {}:{}:{} of axis {} leaves its {} elements", op.describe(),
                     starts[d], ends[d], steps[d], d, in[0]->shape[d]);
              shape[d] = n;
            }
            int64_t channel = keptChannelAxis(*in[0], shape);
            if (channel >= 0 && (starts[channel] != 0 || steps[channel] != 1)) channel = -1;
            return std::vector{movedType(op, *in[0], shape, channel)};
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            const std::vector<int64_t> &starts = op.getInts("starts");
            const std::vector<int64_t> &steps = op.getInts("steps");
            std::vector<int64_t> inStrides = rowMajorStrides(in[0]->shape());
            std::vector<int64_t> strides(inStrides.size());
            int64_t base = 0;
            for (size_t d = 0; d < inStrides.size(); ++d) {
              strides[d] = inStrides[d] * steps[d];
              base += starts[d] * inStrides[d];
            }
            stridedCopy(*in[0], out[0], base, strides);
          },
  };
}

// split: consecutive pieces of `split` elements along `axis`, one result each.
OpDef splitOp() {
  return OpDef{
      .name = "split",
      .numOutputs = -1,
      .infer =
          [](const Op &op, TypeList in) {
            int64_t axis = checkAxis(op, op.getInt("axis"), in[0]->rank());
            const std::vector<int64_t> &split = op.getInts("split");
            if (split.empty()) fail("{}: attribute 'split' is empty", op.describe());
            int64_t total = 0;
            std::vector<TensorType> out;
            for (int64_t n : split) {
              if (n < 0) fail("{}: negative split size {}", op.describe(), n);
              total += n;
              Shape shape = in[0]->shape;
              shape[static_cast<size_t>(axis)] = n;
              int64_t channel =
                  in[0]->quant && in[0]->quant->axis != axis ? in[0]->quant->axis : -1;
              out.push_back(movedType(op, *in[0], shape, channel));
            }
            if (total != in[0]->shape[static_cast<size_t>(axis)])
              fail("{}: split sizes {} do not add up to {}, the size of axis {}", op.describe(),
                   shapeString(split), in[0]->shape[static_cast<size_t>(axis)], axis);
            return out;
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            int64_t axis = op.getInt("axis");
            std::vector<int64_t> strides = rowMajorStrides(in[0]->shape());
            int64_t offset = 0;
            for (Tensor &piece : out) {
              stridedCopy(*in[0], piece, offset * strides[static_cast<size_t>(axis)], strides);
              offset += piece.shape()[static_cast<size_t>(axis)];
            }
          },
  };
}

// expand: broadcasts the operand to `shape` (the full result shape).
OpDef expandOp() {
  return OpDef{
      .name = "expand",
      .infer =
          [](const Op &op, TypeList in) {
            const Shape &shape = op.getInts("shape");
            checkedNumel(shape, op.describe());
            if (broadcastShapes(in[0]->shape, shape, op.describe()) != shape)
              fail("{}: operand of shape {} does not broadcast to {}", op.describe(),
                   shapeString(in[0]->shape), shapeString(shape));
            int64_t channel = -1;
            if (in[0]->quant && in[0]->quant->axis >= 0) {
              int64_t axis =
                  in[0]->quant->axis + static_cast<int64_t>(shape.size()) - in[0]->rank();
              if (shape[static_cast<size_t>(axis)] ==
                  in[0]->shape[static_cast<size_t>(in[0]->quant->axis)])
                channel = axis;
            }
            return std::vector{movedType(op, *in[0], shape, channel)};
          },
      .eval =
          [](const Op &, TensorList in, std::span<Tensor> out) {
            BroadcastIndex map(in[0]->shape(), out[0].shape());
            std::vector<int64_t> strides(out[0].shape().size());
            // Input stride of each output axis: probe the index map one step along the axis.
            std::vector<int64_t> outStrides = rowMajorStrides(out[0].shape());
            for (size_t d = 0; d < strides.size(); ++d)
              strides[d] = out[0].shape()[d] > 1 ? map(outStrides[d]) : 0;
            stridedCopy(*in[0], out[0], 0, strides);
          },
  };
}

OpDef tileOp() {
  return OpDef{
      .name = "tile",
      .infer =
          [](const Op &op, TypeList in) {
            const std::vector<int64_t> &repeats = op.getInts("repeats");
            checkRank(op, repeats, "repeats", in[0]->shape.size());
            Shape shape = in[0]->shape;
            for (size_t d = 0; d < shape.size(); ++d) {
              if (repeats[d] < 0) fail("{}: negative repeat count {}", op.describe(), repeats[d]);
              if (shape[d] != 0 && repeats[d] > kMaxElements / shape[d])
                fail("{}: result is too large", op.describe());
              shape[d] *= repeats[d];
            }
            checkedNumel(shape, op.describe());
            return std::vector{movedType(op, *in[0], shape, keptChannelAxis(*in[0], shape))};
          },
      .eval =
          [](const Op &, TensorList in, std::span<Tensor> out) {
            if (out[0].numel() == 0) return;
            const Shape &inShape = in[0]->shape();
            std::vector<int64_t> strides = rowMajorStrides(inShape);
            size_t eb = storageBytes(in[0]->dtype());
            std::vector<int64_t> index(inShape.size(), 0);
            int64_t o = 0;
            do {
              int64_t src = 0;
              for (size_t d = 0; d < index.size(); ++d) src += (index[d] % inShape[d]) * strides[d];
              std::memcpy(out[0].bytes().data() + static_cast<size_t>(o++) * eb,
                          in[0]->bytes().data() + static_cast<size_t>(src) * eb, eb);
            } while (nextIndex(index, out[0].shape()));
          },
  };
}

// ---- reductions -----------------------------------------------------------------------------

enum class Reduce { max, min, sum, mean, prod };

// Shape after reducing `axes` (keepdims: reduced axes become 1).
Shape reducedShape(const Shape &shape, const std::vector<int64_t> &axes, bool keepdims) {
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d) {
    bool reduced = std::find(axes.begin(), axes.end(), static_cast<int64_t>(d)) != axes.end();
    if (!reduced)
      out.push_back(shape[d]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}

// Accumulation: floats in double (then rounded once to the element type; within the ONNX test
// tolerances of numpy's pairwise float32 sums), integers wrap in 64 bits and then in the element
// type. max/min propagate NaN. An empty reduction gives the identity (sum 0, prod 1, max the
// lowest value, min the highest); mean of nothing is NaN for floats and refused for integers.
template <typename T> void reduceKernel(const Op &op, Reduce kind, const Tensor &x, Tensor &out) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double,
                                 std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>;
  int64_t n = out.numel();
  int64_t count = n == 0 ? 0 : x.numel() / n;
  std::vector<Acc> acc(static_cast<size_t>(n));
  std::vector<T> best(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    acc[static_cast<size_t>(i)] = kind == Reduce::prod ? Acc{1} : Acc{0};
    if constexpr (std::is_floating_point_v<T>)
      best[static_cast<size_t>(i)] = kind == Reduce::max ? -std::numeric_limits<T>::infinity()
                                                         : std::numeric_limits<T>::infinity();
    else
      best[static_cast<size_t>(i)] =
          kind == Reduce::max ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
  const T *px = x.data<T>();
  // The kept-dims result shape broadcasts to the operand: it maps operand index -> result index.
  const std::vector<int64_t> &axes = op.getInts("axes");
  BroadcastIndex map(reducedShape(x.shape(), axes, true), x.shape());
  BroadcastIndex::Walker w(map);
  for (int64_t i = 0; i < x.numel(); ++i, w.next()) {
    auto o = static_cast<size_t>(w.index());
    T v = px[i];
    switch (kind) {
    case Reduce::max:
    case Reduce::min:
      if constexpr (std::is_floating_point_v<T>)
        if (std::isnan(v) || std::isnan(best[o])) {
          best[o] = std::numeric_limits<T>::quiet_NaN();
          break;
        }
      best[o] = kind == Reduce::max ? std::max(best[o], v) : std::min(best[o], v);
      break;
    case Reduce::sum:
    case Reduce::mean:
      if constexpr (std::is_floating_point_v<T>)
        acc[o] += v;
      else
        acc[o] = static_cast<Acc>(static_cast<uint64_t>(acc[o]) + static_cast<uint64_t>(v));
      break;
    case Reduce::prod:
      if constexpr (std::is_floating_point_v<T>)
        acc[o] *= v;
      else
        acc[o] = static_cast<Acc>(static_cast<uint64_t>(acc[o]) * static_cast<uint64_t>(v));
      break;
    }
  }
  T *po = out.data<T>();
  for (int64_t i = 0; i < n; ++i) {
    auto o = static_cast<size_t>(i);
    if (kind == Reduce::max || kind == Reduce::min) {
      po[i] = best[o];
    } else if (kind == Reduce::mean) {
      if constexpr (std::is_floating_point_v<T>) {
        po[i] = static_cast<T>(acc[o] / static_cast<double>(count));
      } else {
        if (count == 0) fail("{}: mean of an empty set of integers", op.describe());
        po[i] = static_cast<T>(acc[o] / static_cast<Acc>(count));
      }
    } else {
      po[i] = static_cast<T>(acc[o]);
    }
  }
}

OpDef reduceOp(std::string name, Reduce kind) {
  return OpDef{
      .name = std::move(name),
      .infer =
          [kind](const Op &op, TypeList in) {
            const std::vector<int64_t> &axes = op.getInts("axes");
            int64_t keepdims = op.getInt("keepdims");
            for (size_t i = 0; i < axes.size(); ++i) {
              checkAxis(op, axes[i], in[0]->rank());
              if (i > 0 && axes[i] <= axes[i - 1])
                fail("{}: axes {} are not sorted and distinct", op.describe(), shapeString(axes));
            }
            if (in[0]->dtype == DType::boolean)
              fail("{}: operand has type bool, expected a numeric type", op.describe());
            Shape shape = reducedShape(in[0]->shape, axes, keepdims != 0);
            TensorType out(in[0]->dtype, shape);
            // max/min select an element; per-tensor quantization stays meaningful.
            if ((kind == Reduce::max || kind == Reduce::min) && in[0]->quant &&
                in[0]->quant->axis < 0)
              out.quant = in[0]->quant;
            return std::vector{out};
          },
      .eval =
          [kind](const Op &op, TensorList in, std::span<Tensor> out) {
            visitDType(in[0]->dtype(),
                       [&]<typename T>(TypeTag<T>) { reduceKernel<T>(op, kind, *in[0], out[0]); });
          },
  };
}

// arg_max / arg_min along `axis` (i64 result); ties give the first index, or the last with
// select_last_index=1. A NaN wins over every number (the first NaN, as numpy).
OpDef argOp(std::string name, bool isMax) {
  return OpDef{
      .name = std::move(name),
      .infer =
          [](const Op &op, TypeList in) {
            int64_t axis = checkAxis(op, op.getInt("axis"), in[0]->rank());
            if (in[0]->dtype == DType::boolean)
              fail("{}: operand has type bool, expected a numeric type", op.describe());
            if (in[0]->shape[static_cast<size_t>(axis)] == 0)
              fail("{}: axis {} is empty", op.describe(), axis);
            Shape shape = reducedShape(in[0]->shape, {axis}, op.getInt("keepdims") != 0);
            return std::vector{TensorType(DType::i64, shape)};
          },
      .eval =
          [isMax](const Op &op, TensorList in, std::span<Tensor> out) {
            bool last = op.getInt("select_last_index") != 0;
            AxisSplit s = splitAt(in[0]->shape(), op.getInt("axis"));
            int64_t *po = out[0].data<int64_t>();
            visitDType(in[0]->dtype(), [&]<typename T>(TypeTag<T>) {
              const T *px = in[0]->data<T>();
              for (int64_t o = 0; o < s.outer; ++o)
                for (int64_t i = 0; i < s.inner; ++i) {
                  const T *row = px + o * s.extent * s.inner + i;
                  int64_t bestIndex = 0;
                  for (int64_t k = 1; k < s.extent; ++k) {
                    T v = row[k * s.inner];
                    T b = row[bestIndex * s.inner];
                    bool better = isMax ? lessWithNaN(b, v) : lessWithNaN(v, b);
                    if constexpr (std::is_floating_point_v<T>)
                      if (std::isnan(b)) better = false; // the first NaN stays
                    bool tie = !lessWithNaN(b, v) && !lessWithNaN(v, b);
                    if (better || (last && tie)) bestIndex = k;
                  }
                  po[o * s.inner + i] = bestIndex;
                }
            });
          },
  };
}

// top_k: the k largest (largest=1) or smallest elements along `axis`, in order, with their
// indices; equal values keep increasing index order. NaN counts as the largest value.
OpDef topKOp() {
  return OpDef{
      .name = "top_k",
      .numOutputs = 2,
      .infer =
          [](const Op &op, TypeList in) {
            int64_t axis = checkAxis(op, op.getInt("axis"), in[0]->rank());
            int64_t k = op.getInt("k");
            int64_t extent = in[0]->shape[static_cast<size_t>(axis)];
            if (k < 0 || k > extent)
              fail("{}: k={} is out of range for axis {} of size {}", op.describe(), k, axis,
                   extent);
            if (in[0]->dtype == DType::boolean)
              fail("{}: operand has type bool, expected a numeric type", op.describe());
            Shape shape = in[0]->shape;
            shape[static_cast<size_t>(axis)] = k;
            TensorType values(in[0]->dtype, shape);
            if (in[0]->quant && in[0]->quant->axis < 0) values.quant = in[0]->quant;
            return std::vector{values, TensorType(DType::i64, shape)};
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            bool largest = op.getInt("largest") != 0;
            int64_t k = op.getInt("k");
            AxisSplit s = splitAt(in[0]->shape(), op.getInt("axis"));
            int64_t *indicesOut = out[1].data<int64_t>();
            visitDType(in[0]->dtype(), [&]<typename T>(TypeTag<T>) {
              const T *px = in[0]->data<T>();
              T *valuesOut = out[0].data<T>();
              std::vector<int64_t> order(static_cast<size_t>(s.extent));
              for (int64_t o = 0; o < s.outer; ++o)
                for (int64_t i = 0; i < s.inner; ++i) {
                  const T *row = px + o * s.extent * s.inner + i;
                  auto at = [&](int64_t j) { return row[j * s.inner]; };
                  std::iota(order.begin(), order.end(), int64_t{0});
                  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
                    return largest ? lessWithNaN(at(b), at(a)) : lessWithNaN(at(a), at(b));
                  });
                  for (int64_t j = 0; j < k; ++j) {
                    int64_t dst = (o * k + j) * s.inner + i;
                    valuesOut[dst] = at(order[static_cast<size_t>(j)]);
                    indicesOut[dst] = order[static_cast<size_t>(j)];
                  }
                }
            });
          },
  };
}

// ---- resize ---------------------------------------------------------------------------------

// resize: attributes mode (nearest | linear), coordinate_transformation_mode (half_pixel,
// half_pixel_symmetric, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn),
// nearest_mode (round_prefer_floor, round_prefer_ceil, floor, ceil, simple), scales (one per
// axis, float32 values) and sizes (the result shape). Coordinates are computed in float32 like
// onnxruntime. nearest_mode "simple" is the opset-10/Upsample rule: truncate when upsampling,
// ceil when downsampling.

OpDef resizeOp() {
  return OpDef{
      .name = "resize",
      .infer =
          [](const Op &op, TypeList in) {
            const std::string &mode = op.getString("mode");
            const std::string &ctm = op.getString("coordinate_transformation_mode");
            const std::string &nearest = op.getString("nearest_mode");
            const std::vector<double> &scales = op.getFloats("scales");
            const Shape &sizes = op.getInts("sizes");
            size_t rank = in[0]->shape.size();
            if (mode != "nearest" && mode != "linear")
              fail("{}: unknown mode '{}'", op.describe(), mode);
            static const std::vector<std::string> ctms = {
                "half_pixel",    "half_pixel_symmetric", "pytorch_half_pixel",
                "align_corners", "asymmetric",           "tf_half_pixel_for_nn"};
            if (std::find(ctms.begin(), ctms.end(), ctm) == ctms.end())
              fail("{}: unknown coordinate_transformation_mode '{}'", op.describe(), ctm);
            static const std::vector<std::string> nearests = {
                "round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple"};
            if (std::find(nearests.begin(), nearests.end(), nearest) == nearests.end())
              fail("{}: unknown nearest_mode '{}'", op.describe(), nearest);
            if (scales.size() != rank)
              fail("{}: attribute 'scales' has {} entries, expected {}", op.describe(),
                   scales.size(), rank);
            checkRank(op, sizes, "sizes", rank);
            for (size_t d = 0; d < rank; ++d)
              if (!(scales[d] > 0) || !std::isfinite(scales[d]))
                fail("{}: scale {} of axis {} is not positive", op.describe(), scales[d], d);
            checkedNumel(sizes, op.describe());
            for (size_t d = 0; d < rank; ++d)
              if (sizes[d] > 0 && in[0]->shape[d] == 0)
                fail("{}: cannot resize empty axis {} to {}", op.describe(), d, sizes[d]);
            if (mode == "linear" && !isFloat(in[0]->dtype))
              fail("{}: linear mode needs a float operand, got {}", op.describe(),
                   dtypeName(in[0]->dtype));
            TensorType out(in[0]->dtype, sizes);
            if (mode == "nearest" && in[0]->quant && in[0]->quant->axis < 0)
              out.quant = in[0]->quant;
            else if (in[0]->quant)
              fail("{}: resizing a quantized operand needs nearest mode and one scale",
                   op.describe());
            return std::vector{out};
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            const Tensor &x = *in[0];
            Tensor &y = out[0];
            if (y.numel() == 0) return;
            const std::string &ctm = op.getString("coordinate_transformation_mode");
            const std::string &nearest = op.getString("nearest_mode");
            bool linear = op.getString("mode") == "linear";
            const std::vector<double> &scales = op.getFloats("scales");
            size_t rank = x.shape().size();
            std::vector<int64_t> strides = rowMajorStrides(x.shape());
            // Per axis and output coordinate: the two source indices and the weight of the
            // second (nearest: both the same, weight 0).
            struct Tap {
              int64_t i0, i1;
              float w1;
            };
            std::vector<std::vector<Tap>> taps(rank);
            for (size_t d = 0; d < rank; ++d) {
              int64_t inLen = x.shape()[d];
              auto scale = static_cast<float>(scales[d]);
              for (int64_t o = 0; o < y.shape()[d]; ++o) {
                // An axis with scale 1 is not resized: every index maps to itself (as in
                // onnxruntime; only tf_half_pixel_for_nn would otherwise shift it).
                float c = scale == 1.0f ? static_cast<float>(o)
                                        : originalCoordinate(ctm, o, scale, inLen, y.shape()[d]);
                if (linear) {
                  c = std::clamp(c, 0.0f, static_cast<float>(inLen - 1));
                  auto i0 = static_cast<int64_t>(c);
                  int64_t i1 = std::min(i0 + 1, inLen - 1);
                  taps[d].push_back({i0, i1, c - static_cast<float>(i0)});
                } else {
                  int64_t i = std::clamp<int64_t>(nearestIndex(nearest, c, scale), 0, inLen - 1);
                  taps[d].push_back({i, i, 0.0f});
                }
              }
            }
            std::vector<int64_t> index(rank, 0);
            int64_t o = 0;
            if (!linear) {
              size_t eb = storageBytes(x.dtype());
              do {
                int64_t src = 0;
                for (size_t d = 0; d < rank; ++d)
                  src += taps[d][static_cast<size_t>(index[d])].i0 * strides[d];
                std::memcpy(y.bytes().data() + static_cast<size_t>(o++) * eb,
                            x.bytes().data() + static_cast<size_t>(src) * eb, eb);
              } while (nextIndex(index, y.shape()));
              return;
            }
            visitDType(x.dtype(), [&]<typename T>(TypeTag<T>) {
              const T *px = x.data<T>();
              T *py = y.data<T>();
              do {
                // Sum over the 2^rank corners; corners of zero weight are skipped.
                T sum = 0;
                for (uint64_t corner = 0; corner < (uint64_t{1} << rank); ++corner) {
                  T weight = 1;
                  int64_t src = 0;
                  for (size_t d = 0; d < rank && weight != T{0}; ++d) {
                    const Tap &t = taps[d][static_cast<size_t>(index[d])];
                    bool second = (corner >> d) & 1;
                    weight *= static_cast<T>(second ? t.w1 : 1.0f - t.w1);
                    src += (second ? t.i1 : t.i0) * strides[d];
                  }
                  if (weight != T{0}) sum += weight * px[src];
                }
                py[o++] = sum;
              } while (nextIndex(index, y.shape()));
            });
          },
  };
}

} // namespace

void registerTensorOps(OpRegistry &registry) {
  registry.add(reshapeOp());
  registry.add(transposeOp());
  registry.add(concatOp());
  registry.add(padOp());
  registry.add(gatherOp());
  registry.add(sliceOp());
  registry.add(splitOp());
  registry.add(expandOp());
  registry.add(tileOp());
  registry.add(reduceOp("reduce_max", Reduce::max));
  registry.add(reduceOp("reduce_min", Reduce::min));
  registry.add(reduceOp("reduce_sum", Reduce::sum));
  registry.add(reduceOp("reduce_mean", Reduce::mean));
  registry.add(reduceOp("reduce_prod", Reduce::prod));
  registry.add(argOp("arg_max", true));
  registry.add(argOp("arg_min", false));
  registry.add(topKOp());
  registry.add(resizeOp());
}

} // namespace qcc
