// Private to the neural-network op family: registerNNOps (ir/ops/nn.cpp) calls the registration
// functions of the family's other files, which share these operand checks.
#pragma once

#include "ir/error.h"
#include "ir/op_registry.h"

#include <string_view>

namespace qcc {

void registerConvOps(OpRegistry &registry);   // ir/ops/conv.cpp
void registerMatMulOps(OpRegistry &registry); // ir/ops/matmul.cpp
void registerPoolOps(OpRegistry &registry);   // ir/ops/pool.cpp

inline void requireFloat(const Op &op, const TensorType &t, std::string_view operand) {
  if (!isFloat(t.dtype))
    fail("{}: {} must be f32 or f64, got {}", op.describe(), operand, dtypeName(t.dtype));
}

inline void requireDType(const Op &op, const TensorType &t, DType dtype, std::string_view operand) {
  if (t.dtype != dtype)
    fail("{}: {} must be {}, got {}", op.describe(), operand, dtypeName(dtype), dtypeName(t.dtype));
}

// Numeric types (every dtype but bool).
inline void requireNumeric(const Op &op, const TensorType &t, std::string_view operand) {
  if (t.dtype == DType::boolean) fail("{}: {} must be numeric, got bool", op.describe(), operand);
}

// Operand types of the integer MAC ops (conv_integer, matmul_integer): signed or unsigned
// integers of at most 16 bits (ONNX uses u8 and i8).
inline void requireNarrowInteger(const Op &op, const TensorType &t, std::string_view operand) {
  if (t.dtype == DType::boolean || !isInteger(t.dtype) || bitWidth(t.dtype) > 16)
    fail("{}: {} must be an integer type of at most 16 bits (e.g. u8, i8), got {}", op.describe(),
         operand, dtypeName(t.dtype));
}

} // namespace qcc
