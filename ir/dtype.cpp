#include "ir/dtype.h"

#include <array>
#include <limits>

namespace qcc {
namespace {

struct DTypeInfo {
  DType type;
  std::string_view name;
  int bits;
  bool isSigned;
};

constexpr std::array<DTypeInfo, 15> kInfo = {{
    {DType::f32, "f32", 32, true},
    {DType::f64, "f64", 64, true},
    {DType::i2, "i2", 2, true},
    {DType::u2, "u2", 2, false},
    {DType::i4, "i4", 4, true},
    {DType::u4, "u4", 4, false},
    {DType::i8, "i8", 8, true},
    {DType::u8, "u8", 8, false},
    {DType::i16, "i16", 16, true},
    {DType::u16, "u16", 16, false},
    {DType::i32, "i32", 32, true},
    {DType::u32, "u32", 32, false},
    {DType::i64, "i64", 64, true},
    {DType::u64, "u64", 64, false},
    {DType::boolean, "bool", 1, false},
}};

const DTypeInfo &info(DType t) {
  return kInfo[static_cast<size_t>(t)];
}

} // namespace

std::string_view dtypeName(DType t) {
  return info(t).name;
}

std::optional<DType> parseDType(std::string_view name) {
  for (const DTypeInfo &i : kInfo)
    if (i.name == name) return i.type;
  return std::nullopt;
}

bool isFloat(DType t) {
  return t == DType::f32 || t == DType::f64;
}
bool isInteger(DType t) {
  return !isFloat(t);
}
bool isSigned(DType t) {
  return info(t).isSigned;
}
int bitWidth(DType t) {
  return info(t).bits;
}

size_t storageBytes(DType t) {
  return visitDType(t, []<typename T>(TypeTag<T>) { return sizeof(T); });
}

int64_t dtypeMin(DType t) {
  int bits = bitWidth(t);
  if (!isSigned(t)) return 0;
  return bits == 64 ? std::numeric_limits<int64_t>::min() : -(int64_t{1} << (bits - 1));
}

int64_t dtypeMax(DType t) {
  int bits = bitWidth(t);
  if (bits == 64) return std::numeric_limits<int64_t>::max();
  return isSigned(t) ? (int64_t{1} << (bits - 1)) - 1 : (int64_t{1} << bits) - 1;
}

} // namespace qcc
