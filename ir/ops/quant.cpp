// The quantization op families and the helpers they share (see ir/ops/quant.h).
#include "ir/ops/quant.h"

#include "ir/error.h"
#include "ir/ops/broadcast.h"

#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>

namespace qcc {
namespace {

struct RoundingName {
  std::string_view name;
  RoundingMode mode;
};

// Canonical names first: roundingModeName() returns the first match.
constexpr std::array<RoundingName, 9> kRoundingNames = {{
    {"ROUND", RoundingMode::round},
    {"CEIL", RoundingMode::ceil},
    {"FLOOR", RoundingMode::floor},
    {"UP", RoundingMode::up},
    {"DOWN", RoundingMode::down},
    {"HALF_UP", RoundingMode::halfUp},
    {"HALF_DOWN", RoundingMode::halfDown},
    {"HALF_EVEN", RoundingMode::round},
    {"ROUND_TO_ZERO", RoundingMode::down},
}};

} // namespace

std::optional<RoundingMode> parseRoundingMode(std::string_view name) {
  std::string upper(name);
  for (char &c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const RoundingName &r : kRoundingNames)
    if (r.name == upper) return r.mode;
  return std::nullopt;
}

std::string_view roundingModeName(RoundingMode mode) {
  for (const RoundingName &r : kRoundingNames)
    if (r.mode == mode) return r.name;
  return "?";
}

float applyRounding(float value, RoundingMode mode) {
  switch (mode) {
  case RoundingMode::round:
    return std::nearbyint(value);
  case RoundingMode::ceil:
    return std::ceil(value);
  case RoundingMode::floor:
    return std::floor(value);
  case RoundingMode::up:
    return value < 0 ? std::floor(value) : std::ceil(value);
  case RoundingMode::down:
    return std::trunc(value);
  case RoundingMode::halfUp:
    return std::round(value);
  case RoundingMode::halfDown: {
    // value - trunc(value) is exact in float, so the tie test is exact.
    float whole = std::trunc(value);
    return std::fabs(value - whole) == 0.5f ? whole : std::round(value);
  }
  }
  return value;
}

RoundingMode roundingModeOf(const Op &op) {
  const std::string &name = op.getString("rounding_mode");
  std::optional<RoundingMode> mode = parseRoundingMode(name);
  if (!mode || roundingModeName(*mode) != name)
    fail("{}: rounding_mode '{}' is not one of ROUND, CEIL, FLOOR, UP, DOWN, HALF_UP, HALF_DOWN",
         op.describe(), name);
  return *mode;
}

int64_t qonnxMinInt(bool isSigned, bool narrow, int bits) {
  if (!isSigned) return 0;
  int64_t min = bits == 64 ? std::numeric_limits<int64_t>::min() : -(int64_t{1} << (bits - 1));
  return narrow ? min + 1 : min;
}

int64_t qonnxMaxInt(bool isSigned, bool narrow, int bits) {
  if (isSigned)
    return bits == 64 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << (bits - 1)) - 1;
  int64_t max = bits >= 63 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << bits) - 1;
  return narrow ? max - 1 : max;
}

bool isPerTensorParam(const Shape &param) {
  return param.empty() || (param.size() == 1 && param[0] == 1);
}

QParamMap::QParamMap(const Op &op, const Shape &data, const Shape &param, int64_t axis,
                     int64_t blockSize) {
  auto rank = static_cast<int64_t>(data.size());
  if (blockSize < 0) fail("{}: block_size {} is negative", op.describe(), blockSize);
  if (blockSize == 0 && isPerTensorParam(param)) return;
  perTensor_ = false;
  axis = normalizeAxis(axis, rank, op.describe());
  dim_ = data[static_cast<size_t>(axis)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < data.size(); ++d) inner_ *= data[d];
  if (blockSize == 0) {
    if (param.size() != 1 || param[0] != dim_)
      fail("{}: a per-axis scale / zero point must have shape [{}] (dim {} of {}), got {}",
           op.describe(), dim_, axis, shapeString(data), shapeString(param));
    return;
  }
  blockSize_ = blockSize;
  paramDim_ = dim_ / blockSize + (dim_ % blockSize != 0 ? 1 : 0); // no overflow at huge sizes
  Shape expected = data;
  expected[static_cast<size_t>(axis)] = paramDim_;
  if (param != expected)
    fail("{}: a blocked scale / zero point for input {} with block_size {} on axis {} must have "
         "shape {}, got {}",
         op.describe(), shapeString(data), blockSize, axis, shapeString(expected),
         shapeString(param));
}

void registerQuantOps(OpRegistry &registry) {
  registerQonnxOps(registry);
  registerLinearQuantOps(registry);
}

} // namespace qcc
