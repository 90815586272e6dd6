// Shape helpers shared by the op families: numpy-style (multidirectional) broadcasting, axis
// normalization and row-major index arithmetic. Header-only; depends only on ir/type.h.
//
// Broadcasting follows numpy / ONNX: shapes are right-aligned, missing leading dims count as 1,
// and each pair of dims must be equal or contain a 1 (the result takes the other one). A dim of 0
// broadcasts only against 0 or 1.
#pragma once

#include "ir/error.h"
#include "ir/type.h"

#include <algorithm>
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace qcc {

// Broadcast result of `a` and `b`; fails with a message naming `what` (e.g. op.describe()) when
// the shapes are incompatible.
inline Shape broadcastShapes(const Shape &a, const Shape &b, std::string_view what = "broadcast") {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      fail("{}: shapes {} and {} cannot be broadcast together", what, shapeString(a),
           shapeString(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// Broadcast result of all `shapes` (at least one), left to right.
inline Shape broadcastShapes(std::span<const Shape> shapes, std::string_view what = "broadcast") {
  if (shapes.empty()) fail("{}: nothing to broadcast", what);
  Shape out = shapes[0];
  for (size_t i = 1; i < shapes.size(); ++i) out = broadcastShapes(out, shapes[i], what);
  return out;
}

// Row-major strides of `shape` (element units).
inline std::vector<int64_t> rowMajorStrides(const Shape &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

// Normalizes a possibly negative `axis` of a tensor of rank `rank` into [0, rank); fails naming
// `what` when it is out of range. For ops whose axis may equal rank (Unsqueeze, Concat output
// positions), pass the rank of the result.
inline int64_t normalizeAxis(int64_t axis, int64_t rank, std::string_view what = "axis") {
  if (axis < -rank || axis >= rank)
    fail("{}: axis {} is out of range for rank {}", what, axis, rank);
  return axis < 0 ? axis + rank : axis;
}

// Maps linear indices of a broadcast result to linear indices of one of its inputs.
//
//   BroadcastIndex map(inputShape, outputShape);   // inputShape broadcasts to outputShape
//   for (int64_t i = 0; i < numel(outputShape); ++i) out[i] = in[map(i)];
//
// map(i) is a pure function of i; for sequential loops, `Walker` avoids the per-element
// division cost.
class BroadcastIndex {
public:
  // Precondition: `input` broadcasts to `output` (checked; fails with a qcc::Error otherwise).
  BroadcastIndex(const Shape &input, const Shape &output) : outShape_(output) {
    if (input.size() > output.size())
      fail("shape {} cannot be broadcast to {}", shapeString(input), shapeString(output));
    size_t offset = output.size() - input.size();
    std::vector<int64_t> inStrides = rowMajorStrides(input);
    strides_.assign(output.size(), 0);
    for (size_t i = 0; i < input.size(); ++i) {
      if (input[i] != output[offset + i] && input[i] != 1)
        fail("shape {} cannot be broadcast to {}", shapeString(input), shapeString(output));
      strides_[offset + i] = input[i] == 1 ? 0 : inStrides[i];
    }
  }

  // Input linear index of output linear index `outIndex`.
  int64_t operator()(int64_t outIndex) const {
    int64_t in = 0;
    for (size_t d = outShape_.size(); d-- > 0;) {
      int64_t dim = outShape_[d];
      in += (outIndex % dim) * strides_[d];
      outIndex /= dim;
    }
    return in;
  }

  // Iterates output indices 0, 1, 2, ... in order; index() is the current input index.
  class Walker {
  public:
    explicit Walker(const BroadcastIndex &map) : map_(map), counter_(map.outShape_.size(), 0) {}
    int64_t index() const { return index_; }
    void next() {
      for (size_t d = counter_.size(); d-- > 0;) {
        index_ += map_.strides_[d];
        if (++counter_[d] < map_.outShape_[d]) return;
        index_ -= map_.strides_[d] * counter_[d];
        counter_[d] = 0;
      }
    }

  private:
    const BroadcastIndex &map_;
    std::vector<int64_t> counter_;
    int64_t index_ = 0;
  };

private:
  Shape outShape_;
  std::vector<int64_t> strides_; // per output dim; 0 where the input is broadcast
};

} // namespace qcc
