// Loops over sliding windows on the spatial dims of N C D1..Dk tensors, shared by the pooling
// and convolution kernels: output positions row-major, and for each the kernel taps row-major,
// in the order of windowTaps (ir/ops/conv_geometry.h).
#pragma once

#include "codegen/loop_builder.h"
#include "ir/ops/conv_geometry.h"

namespace qcc::codegen {

// One kernel tap of the current output position. Offsets are within one spatial plane and 0
// when the tap reads nothing.
struct WindowTap {
  llvm::Value *kernelIndex;  // row-major over the kernel
  llvm::Value *valid;        // reads an input element
  llvm::Value *notOutside;   // lies in the input or the explicit padding (not past it)
  llvm::Value *offset;       // row-major offset of the element in its plane
  llvm::Value *columnOffset; // column-major offset of the element in its plane
};

class WindowLoops {
public:
  WindowLoops(LoopBuilder &b, const WindowGeometry &geometry, const Shape &inSpatial,
              const Shape &outSpatial);

  // Loops over every output position; the body gets its row-major index within a plane.
  void forEachOutput(const std::function<void(llvm::Value *)> &body);
  // Inside forEachOutput's body: loops over the kernel taps of the current output.
  void forEachTap(const std::function<void(const WindowTap &)> &body);

private:
  LoopBuilder &b_;
  const WindowGeometry &geometry_;
  Shape inSpatial_, outSpatial_;
  std::vector<llvm::Value *> tables_;
  std::vector<llvm::Value *> outIndex_;
};

// Segments of `lanes` consecutive output columns (of a 2-D window) whose windows read only
// inside the row, for kernels that compute a segment as one vector: the interior [lo, hi) is
// covered by `count` segments, the last one ending at hi and overlapping the one before. When
// the interior is shorter than `lanes`, lo = hi = count = 0. Columns outside [lo, hi) are the
// caller's to compute one by one.
struct RowSegments {
  int64_t lo = 0, hi = 0, count = 0;
  int64_t lanes = 1;
  // The first output column of segment `s` (an i64).
  llvm::Value *start(LoopBuilder &b, llvm::Value *s) const;
};
RowSegments rowSegments(const WindowGeometry &g, int64_t width, int64_t outWidth, int64_t lanes);

} // namespace qcc::codegen
