// Element types of IR tensors. Sub-byte integers (i2/u2/i4/u4) are stored one element per byte
// in memory; only packed layouts of the lowered level store them densely.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace qcc {

enum class DType : uint8_t {
  f32,
  f64,
  i2,
  u2,
  i4,
  u4,
  i8,
  u8,
  i16,
  u16,
  i32,
  u32,
  i64,
  u64,
  boolean
};

std::string_view dtypeName(DType t);
std::optional<DType> parseDType(std::string_view name);
bool isFloat(DType t);
bool isInteger(DType t); // includes boolean
bool isSigned(DType t);
int bitWidth(DType t);        // logical width: 2 for i2, 1 for boolean
size_t storageBytes(DType t); // bytes per element in memory
int64_t dtypeMin(DType t);    // integer types only
int64_t dtypeMax(DType t);    // integer types only; u64 reports INT64_MAX

template <typename T> struct TypeTag { using type = T; };

// Calls f(TypeTag<C>{}) where C is the C++ storage type of t.
template <typename F> decltype(auto) visitDType(DType t, F &&f) {
  switch (t) {
  case DType::f32:
    return f(TypeTag<float>{});
  case DType::f64:
    return f(TypeTag<double>{});
  case DType::i2:
  case DType::i4:
  case DType::i8:
    return f(TypeTag<int8_t>{});
  case DType::u2:
  case DType::u4:
  case DType::u8:
  case DType::boolean:
    return f(TypeTag<uint8_t>{});
  case DType::i16:
    return f(TypeTag<int16_t>{});
  case DType::u16:
    return f(TypeTag<uint16_t>{});
  case DType::i32:
    return f(TypeTag<int32_t>{});
  case DType::u32:
    return f(TypeTag<uint32_t>{});
  case DType::i64:
    return f(TypeTag<int64_t>{});
  case DType::u64:
    return f(TypeTag<uint64_t>{});
  }
  return f(TypeTag<float>{});
}

} // namespace qcc
