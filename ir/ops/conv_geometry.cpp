#include "ir/ops/conv_geometry.h"

#include "ir/error.h"

#include <algorithm>
#include <fmt/ranges.h>

namespace qcc {

Shape WindowGeometry::outputShape(const Shape &input, std::string_view what) const {
  if (input.size() != rank())
    fail("{}: input has {} spatial dims, the window has {}", what, input.size(), rank());
  Shape out(rank());
  for (size_t d = 0; d < rank(); ++d) {
    int64_t span = input[d] + padsBegin[d] + padsEnd[d] - extent(d);
    if (span < 0)
      fail("{}: window of extent {} does not fit the padded input size {} along spatial dim {}",
           what, extent(d), input[d] + padsBegin[d] + padsEnd[d], d);
    int64_t n = (ceilMode ? (span + strides[d] - 1) / strides[d] : span / strides[d]) + 1;
    if (ceilMode && (n - 1) * strides[d] >= input[d] + padsBegin[d]) --n;
    out[d] = n;
  }
  return out;
}

WindowGeometry readWindowGeometry(const Op &op, Shape kernel, bool withCeilMode) {
  size_t rank = kernel.size();
  WindowGeometry g;
  for (int64_t k : kernel)
    if (k < 1 || k > kMaxElements)
      fail("{}: kernel shape {} has a dim outside 1..2^40", op.describe(), shapeString(kernel));
  g.kernel = std::move(kernel);
  auto list = [&](const char *name, size_t size, int64_t min) {
    const std::vector<int64_t> &v = op.getInts(name);
    if (v.size() != size)
      fail("{}: attribute '{}' has {} values, expected {}", op.describe(), name, v.size(), size);
    for (int64_t x : v)
      if (x < min || x > kMaxElements)
        fail("{}: attribute '{}'=[{}] has a value outside {}..2^40", op.describe(), name,
             fmt::join(v, ","), min);
    return v;
  };
  g.strides = list("strides", rank, 1);
  g.dilations = list("dilations", rank, 1);
  std::vector<int64_t> pads = list("pads", 2 * rank, 0);
  g.padsBegin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(rank));
  g.padsEnd.assign(pads.begin() + static_cast<std::ptrdiff_t>(rank), pads.end());
  for (size_t d = 0; d < rank; ++d)
    if (g.kernel[d] - 1 > kMaxElements / g.dilations[d])
      fail("{}: kernel shape {} dilated by [{}] spans more than 2^40 elements", op.describe(),
           shapeString(g.kernel), fmt::join(g.dilations, ","));
  if (withCeilMode) {
    int64_t c = op.getInt("ceil_mode");
    if (c != 0 && c != 1) fail("{}: attribute 'ceil_mode'={} must be 0 or 1", op.describe(), c);
    g.ceilMode = c == 1;
  }
  return g;
}

std::vector<int64_t> windowTaps(const WindowGeometry &g, const Shape &input, const Shape &output) {
  size_t rank = g.rank();
  // coord[first[d] + o * kernel[d] + k]: the input coordinate (or tap code) that kernel index k
  // of output index o reads along spatial dim d.
  std::vector<int64_t> first(rank + 1, 0);
  for (size_t d = 0; d < rank; ++d) first[d + 1] = first[d] + output[d] * g.kernel[d];
  std::vector<int64_t> coord(static_cast<size_t>(first[rank]));
  for (size_t d = 0; d < rank; ++d)
    for (int64_t o = 0; o < output[d]; ++o)
      for (int64_t k = 0; k < g.kernel[d]; ++k) {
        int64_t i = o * g.strides[d] - g.padsBegin[d] + k * g.dilations[d];
        int64_t code = i >= input[d] + g.padsEnd[d] ? kOutsideTap
                       : i < 0 || i >= input[d]     ? kPaddingTap
                                                    : i;
        coord[static_cast<size_t>(first[d] + o * g.kernel[d] + k)] = code;
      }
  int64_t outCount = checkedNumel(output);
  int64_t kernelCount = checkedNumel(g.kernel);
  if (kernelCount != 0 && outCount > kMaxElements / kernelCount)
    fail("window table of {} outputs x {} kernel taps is too large", outCount, kernelCount);
  std::vector<int64_t> taps;
  taps.reserve(static_cast<size_t>(outCount * kernelCount));
  // Odometers over the output position (o) and the kernel position (k), last dim fastest.
  std::vector<int64_t> o(rank, 0);
  std::vector<int64_t> k(rank, 0);
  auto advance = [](std::vector<int64_t> &counter, const Shape &limit) {
    for (size_t d = counter.size(); d-- > 0;) {
      if (++counter[d] < limit[d]) return;
      counter[d] = 0;
    }
  };
  for (int64_t p = 0; p < outCount; ++p) {
    for (int64_t q = 0; q < kernelCount; ++q) {
      int64_t offset = 0;
      int64_t code = 0;
      for (size_t d = 0; d < rank; ++d) {
        int64_t c = coord[static_cast<size_t>(first[d] + o[d] * g.kernel[d] + k[d])];
        // A tap past the end padding in any dim is outside, else one in the padding is padding.
        code = std::min(code, c);
        offset = offset * input[d] + c;
      }
      taps.push_back(code < 0 ? code : offset);
      advance(k, g.kernel);
    }
    advance(o, output);
  }
  return taps;
}

std::optional<std::vector<int64_t>> autoPads(std::string_view autoPad, const Shape &input,
                                             const Shape &kernel, const Shape &strides,
                                             const Shape &dilations) {
  size_t rank = input.size();
  std::vector<int64_t> pads(2 * rank, 0);
  if (autoPad == "VALID") return pads;
  bool upper = autoPad == "SAME_UPPER";
  if (!upper && autoPad != "SAME_LOWER") return std::nullopt;
  for (size_t d = 0; d < rank; ++d) {
    int64_t out = (input[d] + strides[d] - 1) / strides[d];
    int64_t extent = (kernel[d] - 1) * dilations[d] + 1;
    int64_t total = std::max<int64_t>(0, (out - 1) * strides[d] + extent - input[d]);
    int64_t small = total / 2;
    pads[d] = upper ? small : total - small;
    pads[d + rank] = total - pads[d];
  }
  return pads;
}

} // namespace qcc
