// NumPy .npy files (format 1.0-3.0, little-endian, C order) <-> tensors.
#pragma once

#include "ir/tensor.h"

#include <string>
#include <string_view>

namespace qcc {

// Element types: f4 f8 i1 u1 i2 u2 i4 u4 i8 u8 b1. Fails naming `sourceName` on bad input.
Tensor parseNpy(std::string_view bytes, const std::string &sourceName);
Tensor readNpy(const std::string &path);
std::string serializeNpy(const Tensor &tensor);
// Writes atomically: to a temporary file in the same folder, renamed on success.
void writeNpy(const std::string &path, const Tensor &tensor);

} // namespace qcc
