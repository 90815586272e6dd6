// Private to passes/qdq_to_quantized.cpp and passes/streamline.cpp: the attributes of the
// quantized level's ops (quantize, dequantize, threshold) and how constant parameter tensors
// map onto the channels of the tensor they apply to.
#pragma once

#include "ir/graph.h"
#include "ir/interpreter.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace qcc::streamline {

// The first result of `op` evaluated on `inputs` with the interpreter's semantics.
inline Tensor evaluate1(const Op &op, std::vector<const Tensor *> inputs) {
  return evaluateOp(op, inputs).at(0);
}

// Integer types codes can have: at most 16 bits (what conv_integer / matmul_integer take).
inline bool isCodeType(DType t) {
  return isInteger(t) && t != DType::boolean && bitWidth(t) <= 16;
}

// encoding, bits, narrow, scale and zero_point of codes described by `q` (quantize, threshold).
inline Attrs codeAttrs(const QuantInfo &q) {
  return {{"encoding", std::string(encodingName(q.encoding))},
          {"bits", int64_t{q.bits}},
          {"narrow", int64_t{q.narrow ? 1 : 0}},
          {"scale", q.scale},
          {"zero_point", q.zeroPoint}};
}

inline Attrs dequantizeAttrs(int64_t axis, std::vector<double> scale,
                             std::vector<double> zeroPoint) {
  return {{"axis", axis}, {"scale", std::move(scale)}, {"zero_point", std::move(zeroPoint)}};
}

// The values of `param`, which broadcasts to `data` without changing its shape, per index along
// `axis` of `data` (one value for axis -1). std::nullopt when the broadcast does not fit or
// when the values differ (bit for bit, so +0 and -0 differ) anywhere but along `axis`.
inline std::optional<std::vector<double>> valuesAlongAxis(const Tensor &param, const Shape &data,
                                                          int64_t axis) {
  const Shape &shape = param.shape();
  if (shape.size() > data.size()) return std::nullopt;
  size_t offset = data.size() - shape.size();
  for (size_t d = 0; d < shape.size(); ++d)
    if (shape[d] != 1 && shape[d] != data[offset + d]) return std::nullopt;
  // Position of `axis` in param's shape, or none when param does not span it.
  int64_t paramAxis = -1;
  if (axis >= 0 && static_cast<size_t>(axis) >= offset &&
      shape[static_cast<size_t>(axis) - offset] != 1)
    paramAxis = axis - static_cast<int64_t>(offset);
  int64_t channels = axis < 0 ? 1 : data[static_cast<size_t>(axis)];
  int64_t inner = 1;
  if (paramAxis >= 0)
    for (size_t d = static_cast<size_t>(paramAxis) + 1; d < shape.size(); ++d) inner *= shape[d];
  std::vector<double> values(static_cast<size_t>(channels));
  std::vector<char> seen(values.size(), 0);
  for (int64_t i = 0; i < param.numel(); ++i) {
    double v = param.getDouble(i);
    int64_t first = 0, last = channels; // the channels element i applies to
    if (paramAxis >= 0) {
      first = (i / inner) % shape[static_cast<size_t>(paramAxis)];
      last = first + 1;
    }
    for (int64_t c = first; c < last; ++c) {
      auto k = static_cast<size_t>(c);
      bool same = std::isnan(v) ? std::isnan(values[k])
                                : v == values[k] && std::signbit(v) == std::signbit(values[k]);
      if (seen[k] && !same) return std::nullopt;
      values[k] = v;
      seen[k] = 1;
    }
  }
  if (param.numel() == 0) return std::nullopt;
  return values;
}

// A parameter that is per tensor or per channel along exactly one axis of `data`.
struct ChannelValues {
  int64_t axis = -1;
  std::vector<double> values;
};

inline std::optional<ChannelValues> channelValues(const Tensor &param, const Shape &data) {
  if (auto v = valuesAlongAxis(param, data, -1)) return ChannelValues{-1, std::move(*v)};
  for (size_t d = 0; d < data.size(); ++d)
    if (auto v = valuesAlongAxis(param, data, static_cast<int64_t>(d)))
      return ChannelValues{static_cast<int64_t>(d), std::move(*v)};
  return std::nullopt;
}

// Brings a quantizer's scale and zero point to one axis (a per-tensor one is repeated per
// channel) and returns it: -1 when both are per tensor, std::nullopt when their axes differ.
inline std::optional<int64_t> commonAxis(ChannelValues &scale, ChannelValues &zero) {
  if (scale.axis >= 0 && zero.axis >= 0 && scale.axis != zero.axis) return std::nullopt;
  if (scale.axis < 0 && zero.axis >= 0) scale.values.assign(zero.values.size(), scale.values[0]);
  if (zero.axis < 0 && scale.axis >= 0) zero.values.assign(scale.values.size(), zero.values[0]);
  return std::max(scale.axis, zero.axis);
}

} // namespace qcc::streamline
