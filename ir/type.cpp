#include "ir/type.h"

#include "ir/error.h"

#include <fmt/ranges.h>

namespace qcc {

int64_t checkedNumel(const Shape &shape, std::string_view what) {
  // The product of the non-zero dims is bounded too: an empty tensor of shape [0, 2^62] would
  // overflow the strides and partial products that code computes from its shape.
  int64_t n = 1;
  bool empty = false;
  for (int64_t d : shape) {
    if (d < 0) fail("{} has a negative dimension in shape {}", what, shapeString(shape));
    if (d == 0) {
      empty = true;
      continue;
    }
    if (n > kMaxElements / d)
      fail("{} shape {} has more than 2^40 elements", what, shapeString(shape));
    n *= d;
  }
  return empty ? 0 : n;
}

std::string shapeString(const Shape &shape) {
  return fmt::format("[{}]", fmt::join(shape, ","));
}

int64_t QuantInfo::minCode() const {
  switch (encoding) {
  case QEncoding::bipolar:
  case QEncoding::ternary:
    return -1;
  case QEncoding::uint:
    return 0;
  case QEncoding::sint:
    return -(int64_t{1} << (bits - 1)) + (narrow ? 1 : 0);
  }
  return 0;
}

int64_t QuantInfo::maxCode() const {
  switch (encoding) {
  case QEncoding::bipolar:
  case QEncoding::ternary:
    return 1;
  case QEncoding::uint:
    return (int64_t{1} << bits) - 1 - (narrow ? 1 : 0);
  case QEncoding::sint:
    return (int64_t{1} << (bits - 1)) - 1;
  }
  return 0;
}

std::string_view encodingName(QEncoding e) {
  switch (e) {
  case QEncoding::bipolar:
    return "bipolar";
  case QEncoding::ternary:
    return "ternary";
  case QEncoding::uint:
    return "uint";
  case QEncoding::sint:
    return "int";
  }
  return "?";
}

namespace {

std::string_view layoutName(LayoutKind k) {
  switch (k) {
  case LayoutKind::plain:
    return "plain";
  case LayoutKind::nchw:
    return "nchw";
  case LayoutKind::nhwc:
    return "nhwc";
  case LayoutKind::packed:
    return "packed";
  }
  return "?";
}

} // namespace

std::string formatDouble(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string typeString(const TensorType &type) {
  std::string s = fmt::format("{}{}", dtypeName(type.dtype), shapeString(type.shape));
  if (type.quant) {
    const QuantInfo &q = *type.quant;
    s += fmt::format(" q({}{}", encodingName(q.encoding), q.bits);
    if (q.narrow) s += ", narrow";
    if (q.axis >= 0) s += fmt::format(", axis={}", q.axis);
    auto list = [](const std::vector<double> &v) {
      std::string out = "[";
      for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + formatDouble(v[i]);
      return out + "]";
    };
    s += fmt::format(", scale={}, zp={})", list(q.scale), list(q.zeroPoint));
  }
  if (type.layout.kind != LayoutKind::plain) {
    s += fmt::format(" layout({}", layoutName(type.layout.kind));
    if (type.layout.kind == LayoutKind::packed)
      s += fmt::format(", planes={}, word={}", type.layout.planes, type.layout.wordBits);
    s += ")";
  }
  return s;
}

} // namespace qcc
