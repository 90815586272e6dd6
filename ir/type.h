// Tensor types: element type, static shape, and for the quantized and lowered levels the
// quantization (encoding, bits, scale/zero-point) and memory layout of the value.
#pragma once

#include "ir/dtype.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qcc {

using Shape = std::vector<int64_t>;

// Limits on element counts; larger shapes are refused before anything is allocated.
constexpr int64_t kMaxElements = int64_t{1} << 40;

// Product of dims; fails (qcc::Error naming `what`) on a negative dim or on overflow.
int64_t checkedNumel(const Shape &shape, std::string_view what = "tensor");
std::string shapeString(const Shape &shape); // "[1,3,8,8]"

enum class QEncoding : uint8_t { bipolar, ternary, uint, sint };

// "bipolar", "ternary", "uint", "int": the names the text IR and op attributes use.
std::string_view encodingName(QEncoding encoding);

// How a quantized value's integer codes map to reals: real = (code - zeroPoint) * scale,
// per tensor (axis = -1, one scale) or per channel along `axis`.
struct QuantInfo {
  QEncoding encoding = QEncoding::sint;
  int bits = 8;
  bool narrow = false;
  int axis = -1;
  std::vector<double> scale;
  std::vector<double> zeroPoint;

  int64_t minCode() const;
  int64_t maxCode() const;
  bool operator==(const QuantInfo &) const = default;
};

enum class LayoutKind : uint8_t { plain, nchw, nhwc, packed };

struct Layout {
  LayoutKind kind = LayoutKind::plain;
  int planes = 0;   // packed: number of bit planes
  int wordBits = 0; // packed: bits per word (64 or 512)
  bool operator==(const Layout &) const = default;
};

struct TensorType {
  DType dtype = DType::f32;
  Shape shape;
  std::optional<QuantInfo> quant;
  Layout layout;

  TensorType() = default;
  TensorType(DType t, Shape s) : dtype(t), shape(std::move(s)) {}
  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t numel() const { return checkedNumel(shape); }
  bool operator==(const TensorType &) const = default;
};

// Text form, e.g. "f32[1,10]" or "i8[64,784] q(int2, narrow, axis=0, scale=[..], zp=[..])".
std::string typeString(const TensorType &type);
// Shortest text that reads back as exactly `v` (always has a "." or exponent).
std::string formatDouble(double v);

} // namespace qcc
