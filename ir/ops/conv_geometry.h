// Sliding-window geometry shared by the convolution and pooling ops (ir/ops/conv.cpp,
// ir/ops/pool.cpp) and their importers: attribute checks, output sizes, auto_pad resolution and
// the table of input positions every window reads.
#pragma once

#include "ir/graph.h"

#include <optional>
#include <string_view>

namespace qcc {

// Window attributes over the spatial dims of an NC<spatial> tensor.
struct WindowGeometry {
  Shape kernel; // undilated kernel size per spatial dim
  Shape strides;
  Shape padsBegin;
  Shape padsEnd;
  Shape dilations;
  bool ceilMode = false;

  size_t rank() const { return kernel.size(); }
  // Span of the dilated kernel along spatial dim `d`.
  int64_t extent(size_t d) const { return (kernel[d] - 1) * dilations[d] + 1; }
  // Output spatial shape for the input spatial shape `input`. With ceil_mode the last window is
  // kept only if it starts inside the input or the leading padding (as onnxruntime and PyTorch
  // do). Fails naming `what` when a window does not fit.
  Shape outputShape(const Shape &input, std::string_view what) const;
};

// Reads and checks the canonical attributes "strides", "pads" (all begins, then all ends) and
// "dilations", and "ceil_mode" when `withCeilMode`, of `op` for a window of size `kernel`.
WindowGeometry readWindowGeometry(const Op &op, Shape kernel, bool withCeilMode);

// Entries of the tap table that do not read an input element.
constexpr int64_t kPaddingTap = -1; // the tap is in the explicit padding
constexpr int64_t kOutsideTap = -2; // the tap is past the end padding (reached through ceil_mode)

// For every output position (row-major over `output`) and every kernel position (row-major over
// the kernel): the row-major offset into the spatial plane `input` of the element the tap reads,
// or kPaddingTap / kOutsideTap. Size: numel(output) * numel(kernel).
std::vector<int64_t> windowTaps(const WindowGeometry &g, const Shape &input, const Shape &output);

// Explicit pads (all begins, then all ends) for auto_pad "SAME_UPPER", "SAME_LOWER" (extra
// padding at the end / at the start) or "VALID" over the spatial shape `input`; std::nullopt for
// any other value. SAME pads make the output size ceil(input / stride).
std::optional<std::vector<int64_t>> autoPads(std::string_view autoPad, const Shape &input,
                                             const Shape &kernel, const Shape &strides,
                                             const Shape &dilations);

} // namespace qcc
