#include "ir/ops/codes.h"

#include "ir/error.h"

#include <fmt/ranges.h>

namespace qcc {
namespace {

QEncoding encodingAttr(const Op &op) {
  const std::string &name = op.getString("encoding");
  if (name == "bipolar") return QEncoding::bipolar;
  if (name == "ternary") return QEncoding::ternary;
  if (name == "uint") return QEncoding::uint;
  if (name == "int") return QEncoding::sint;
  fail("{}: encoding '{}' is not one of bipolar, ternary, uint, int", op.describe(), name);
}

bool flagAttr(const Op &op, const std::string &name) {
  int64_t v = op.getInt(name);
  if (v != 0 && v != 1) fail("{}: attribute '{}' must be 0 or 1, got {}", op.describe(), name, v);
  return v == 1;
}

} // namespace

DType codeDType(const QuantInfo &q) {
  bool isUnsigned = q.encoding == QEncoding::uint;
  if (q.bits <= 8) return isUnsigned ? DType::u8 : DType::i8;
  return isUnsigned ? DType::u16 : DType::i16;
}

QuantInfo codeFormat(const Op &op) {
  QuantInfo q;
  q.encoding = encodingAttr(op);
  int64_t bits = op.getInt("bits");
  q.narrow = flagAttr(op, "narrow");
  bool valid = false;
  switch (q.encoding) {
  case QEncoding::bipolar:
    valid = bits == 1 && !q.narrow;
    break;
  case QEncoding::ternary:
    valid = bits == 2 && q.narrow;
    break;
  case QEncoding::uint:
    valid = bits >= 1 && bits <= 16;
    break;
  case QEncoding::sint:
    valid = bits >= 2 && bits <= 16;
    break;
  }
  if (!valid)
    fail("{}: {} codes with bits={} narrow={} are not supported (bipolar: 1 bit; ternary: 2 "
         "bits, narrow; uint: 1..16 bits; int: 2..16 bits)",
         op.describe(), op.getString("encoding"), bits, int{q.narrow});
  q.bits = static_cast<int>(bits);
  return q;
}

ThresholdSpec thresholdSpec(const Op &op, int64_t channels, int64_t axis) {
  ThresholdSpec spec;
  spec.quant = codeFormat(op);
  spec.quant.scale = op.getFloats("scale");
  spec.quant.zeroPoint = op.getFloats("zero_point");
  size_t entries = spec.quant.scale.size();
  if ((entries != 1 && entries != static_cast<size_t>(channels)) ||
      spec.quant.zeroPoint.size() != entries)
    fail("{}: expects 1 or {} scale and zero point entries, got {} and {}", op.describe(), channels,
         entries, spec.quant.zeroPoint.size());
  spec.quant.axis = entries > 1 ? static_cast<int>(axis) : -1;
  spec.descending = op.getInts("descending", {});
  if (!spec.descending.empty() && spec.descending.size() != static_cast<size_t>(channels))
    fail("{}: 'descending' has {} entries for {} channels", op.describe(), spec.descending.size(),
         channels);
  for (int64_t d : spec.descending)
    if (d != 0 && d != 1)
      fail("{}: 'descending' entries must be 0 or 1, got [{}]", op.describe(),
           fmt::join(spec.descending, ", "));
  return spec;
}

void checkThresholdTable(const Op &op, const TensorType &table, const ThresholdSpec &spec,
                         int64_t channels) {
  const QuantInfo &q = spec.quant;
  int64_t levels = q.encoding == QEncoding::bipolar ? 1 : q.maxCode() - q.minCode();
  if (table.dtype != DType::i64 || table.rank() != 2 ||
      (table.shape[0] != channels && table.shape[0] != 1) || table.shape[1] < 1 ||
      table.shape[1] > levels)
    fail("{}: thresholds must be i64 [{}, n] or [1, n] with 1 <= n <= {}, got {}", op.describe(),
         channels, levels, typeString(table));
}

int64_t thresholdCode(const ThresholdSpec &spec, const Tensor &table, size_t c, int64_t acc) {
  int64_t perChannel = table.shape()[1];
  const int64_t *row =
      table.data<int64_t>() + (table.shape()[0] == 1 ? 0 : static_cast<int64_t>(c) * perChannel);
  bool down = !spec.descending.empty() && spec.descending[c] == 1;
  int64_t count = 0;
  for (int64_t t = 0; t < perChannel; ++t) count += (down ? acc <= row[t] : acc >= row[t]) ? 1 : 0;
  return spec.quant.encoding == QEncoding::bipolar ? 2 * count - 1 : count + spec.quant.minCode();
}

} // namespace qcc
