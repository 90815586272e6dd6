#include "ir/tensor.h"

#include "ir/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

namespace qcc {

Tensor::Tensor(TensorType type) : type_(std::move(type)) {
  numel_ = checkedNumel(type_.shape);
  size_t elem = storageBytes(type_.dtype);
  if (static_cast<uint64_t>(numel_) > (uint64_t{1} << 36) / elem)
    fail("tensor of shape {} is too large to hold in memory", shapeString(type_.shape));
  bytes_.assign(static_cast<size_t>(numel_) * elem, 0);
}

Tensor Tensor::scalar(DType dtype, double value) {
  Tensor t(dtype, {});
  t.setDouble(0, value);
  return t;
}

double Tensor::getDouble(int64_t i) const {
  return visitDType(dtype(),
                    [&]<typename T>(TypeTag<T>) { return static_cast<double>(data<T>()[i]); });
}

int64_t Tensor::getInt(int64_t i) const {
  return visitDType(dtype(),
                    [&]<typename T>(TypeTag<T>) { return static_cast<int64_t>(data<T>()[i]); });
}

void Tensor::setDouble(int64_t i, double v) {
  visitDType(dtype(), [&]<typename T>(TypeTag<T>) {
    if constexpr (std::is_integral_v<T>) {
      // Out-of-range conversion is undefined behaviour in C++: saturate (NaN -> 0) instead.
      if (std::isnan(v)) v = 0;
      v = std::clamp(v, static_cast<double>(std::numeric_limits<T>::lowest()),
                     static_cast<double>(std::numeric_limits<T>::max()));
      if (v >= static_cast<double>(std::numeric_limits<T>::max())) {
        data<T>()[i] = std::numeric_limits<T>::max();
        return;
      }
    }
    data<T>()[i] = static_cast<T>(v);
  });
}

void Tensor::setInt(int64_t i, int64_t v) {
  visitDType(dtype(), [&]<typename T>(TypeTag<T>) { data<T>()[i] = static_cast<T>(v); });
}

} // namespace qcc
