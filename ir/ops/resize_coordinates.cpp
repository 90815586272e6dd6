#include "ir/ops/resize_coordinates.h"

#include <algorithm>
#include <cmath>

namespace qcc {

float originalCoordinate(const std::string &mode, int64_t outIndex, float scale, int64_t inLength,
                         int64_t outLength) {
  auto x = static_cast<float>(outIndex);
  auto in = static_cast<float>(inLength);
  auto out = static_cast<float>(outLength);
  if (mode == "asymmetric") return x / scale;
  if (mode == "half_pixel") return (x + 0.5f) / scale - 0.5f;
  if (mode == "pytorch_half_pixel") return outLength > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
  if (mode == "align_corners") return outLength == 1 ? 0.0f : x * (in - 1) / (out - 1);
  if (mode == "tf_half_pixel_for_nn") return (x + 0.5f) / scale;
  // half_pixel_symmetric
  float adjustment = out / (scale * in);
  float offset = in / 2 * (1 - adjustment);
  return offset + (x + 0.5f) / scale - 0.5f;
}

int64_t nearestIndex(const std::string &mode, float x, float scale) {
  float r = 0;
  if (mode == "simple")
    r = scale < 1 ? std::ceil(x) : std::trunc(x);
  else if (mode == "floor")
    r = std::floor(x);
  else if (mode == "ceil")
    r = std::ceil(x);
  else if (mode == "round_prefer_ceil")
    r = std::round(x);
  else
    r = x == std::floor(x) + 0.5f ? std::floor(x) : std::round(x); // round_prefer_floor
  if (!std::isfinite(r)) return 0;
  return static_cast<int64_t>(std::clamp(r, -1.0f, 0x1p62f));
}

} // namespace qcc
