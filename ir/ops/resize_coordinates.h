// The coordinate rules of `resize`, shared by its reference (ir/ops/tensor.cpp) and the code
// generator, which evaluates them at compile time into index tables. float32 like onnxruntime.
#pragma once

#include <cstdint>
#include <string>

namespace qcc {

// The input coordinate of output index `outIndex` along one axis under
// coordinate_transformation_mode `mode` (half_pixel_symmetric for any other name).
float originalCoordinate(const std::string &mode, int64_t outIndex, float scale, int64_t inLength,
                         int64_t outLength);

// The input index nearest_mode `mode` picks for coordinate `x` (round_prefer_floor for any other
// name); "simple" truncates when upsampling and takes the ceiling when downsampling.
int64_t nearestIndex(const std::string &mode, float x, float scale);

} // namespace qcc
