// A dense tensor value: constant data in the graph and the interpreter's runtime values.
#pragma once

#include "ir/type.h"

#include <cstring>
#include <span>
#include <vector>

namespace qcc {

class Tensor {
public:
  Tensor() = default;
  // Zero-filled tensor of the given type (quantization/layout kept as metadata).
  explicit Tensor(TensorType type);
  Tensor(DType dtype, Shape shape) : Tensor(TensorType(dtype, std::move(shape))) {}

  template <typename T> static Tensor fromVector(DType dtype, Shape shape, const std::vector<T> &v);
  static Tensor scalar(DType dtype, double value);

  const TensorType &type() const { return type_; }
  TensorType &type() { return type_; }
  DType dtype() const { return type_.dtype; }
  const Shape &shape() const { return type_.shape; }
  int64_t numel() const { return numel_; }

  template <typename T> T *data() { return reinterpret_cast<T *>(bytes_.data()); }
  template <typename T> const T *data() const { return reinterpret_cast<const T *>(bytes_.data()); }
  std::span<const uint8_t> bytes() const { return bytes_; }
  std::span<uint8_t> bytes() { return bytes_; }

  // Element access through double / int64 (converting from the storage type; setDouble
  // saturates to the range of an integer storage type, NaN -> 0).
  double getDouble(int64_t i) const;
  int64_t getInt(int64_t i) const;
  void setDouble(int64_t i, double v);
  void setInt(int64_t i, int64_t v);

  // Same type and same bytes.
  bool operator==(const Tensor &other) const {
    return type_ == other.type_ && bytes_ == other.bytes_;
  }

private:
  TensorType type_;
  int64_t numel_ = 0;
  std::vector<uint8_t> bytes_;
};

template <typename T> Tensor Tensor::fromVector(DType dtype, Shape shape, const std::vector<T> &v) {
  Tensor t(dtype, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.setDouble(i, static_cast<double>(v.at(i)));
  return t;
}

} // namespace qcc
