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

} // namespace qcc::codegen
