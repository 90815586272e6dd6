// Small tensor literals for tests.
#pragma once

#include "ir/tensor.h"

#include <vector>

namespace qcc::test {

inline Tensor f32(Shape shape, const std::vector<float> &values) {
  return Tensor::fromVector(DType::f32, std::move(shape), values);
}

// Integer tensor of element type `t`; values are stored exactly (no conversion through double).
inline Tensor ints(DType t, Shape shape, const std::vector<int64_t> &values) {
  Tensor out(t, std::move(shape));
  for (size_t i = 0; i < values.size(); ++i) out.setInt(static_cast<int64_t>(i), values[i]);
  return out;
}

} // namespace qcc::test
