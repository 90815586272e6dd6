#include "codegen/window_loops.h"

#include <algorithm>

namespace qcc::codegen {

using llvm::Value;

WindowLoops::WindowLoops(LoopBuilder &b, const WindowGeometry &geometry, const Shape &inSpatial,
                         const Shape &outSpatial)
    : b_(b), geometry_(geometry), inSpatial_(inSpatial), outSpatial_(outSpatial),
      outIndex_(geometry.rank()) {
  // coord[d][o * kernel[d] + k]: the input coordinate kernel index k of output index o reads
  // along dim d, or kPaddingTap / kOutsideTap.
  const WindowGeometry &g = geometry_;
  for (size_t d = 0; d < g.rank(); ++d) {
    std::vector<int64_t> coord;
    for (int64_t o = 0; o < outSpatial_[d]; ++o)
      for (int64_t k = 0; k < g.kernel[d]; ++k) {
        int64_t i = o * g.strides[d] - g.padsBegin[d] + k * g.dilations[d];
        coord.push_back(i >= inSpatial_[d] + g.padsEnd[d] ? kOutsideTap
                        : i < 0 || i >= inSpatial_[d]     ? kPaddingTap
                                                          : i);
      }
    tables_.push_back(b_.constantTable(coord, "window" + std::to_string(d)));
  }
}

void WindowLoops::forEachOutput(const std::function<void(Value *)> &body) {
  auto &ir = b_.ir();
  std::vector<int64_t> strides = rowMajor(outSpatial_);
  std::function<void(size_t, Value *)> level = [&](size_t d, Value *out) {
    if (d == outSpatial_.size()) {
      body(out);
      return;
    }
    b_.loop(outSpatial_[d], [&](Value *o) {
      outIndex_[d] = o;
      level(d + 1, ir.CreateAdd(out, ir.CreateMul(o, b_.constI64(strides[d]))));
    });
  };
  level(0, b_.constI64(0));
}

void WindowLoops::forEachTap(const std::function<void(const WindowTap &)> &body) {
  auto &ir = b_.ir();
  const WindowGeometry &g = geometry_;
  size_t rank = g.rank();
  std::vector<int64_t> inStrides = rowMajor(inSpatial_);
  std::vector<int64_t> kernelStrides = rowMajor(g.kernel);
  std::vector<int64_t> columnStrides(rank, 1);
  for (size_t d = 1; d < rank; ++d) columnStrides[d] = columnStrides[d - 1] * inSpatial_[d - 1];
  std::function<void(size_t, WindowTap)> level = [&](size_t d, WindowTap tap) {
    if (d == rank) {
      body(tap);
      return;
    }
    b_.loop(g.kernel[d], [&](Value *k) {
      Value *at = ir.CreateAdd(ir.CreateMul(outIndex_[d], b_.constI64(g.kernel[d])), k);
      Value *c = b_.load(b_.i64(), tables_[d], at);
      Value *reads = ir.CreateICmpSGE(c, b_.constI64(0));
      Value *safe = ir.CreateSelect(reads, c, b_.constI64(0));
      level(d + 1,
            {ir.CreateAdd(tap.kernelIndex, ir.CreateMul(k, b_.constI64(kernelStrides[d]))),
             ir.CreateAnd(tap.valid, reads),
             ir.CreateAnd(tap.notOutside, ir.CreateICmpNE(c, b_.constI64(kOutsideTap))),
             ir.CreateAdd(tap.offset, ir.CreateMul(safe, b_.constI64(inStrides[d]))),
             ir.CreateAdd(tap.columnOffset, ir.CreateMul(safe, b_.constI64(columnStrides[d])))});
    });
  };
  level(0, {b_.constI64(0), ir.getTrue(), ir.getTrue(), b_.constI64(0), b_.constI64(0)});
}

RowSegments rowSegments(const WindowGeometry &g, int64_t width, int64_t outWidth, int64_t lanes) {
  RowSegments r;
  r.lanes = lanes;
  int64_t lo = 0, hi = outWidth;
  for (int64_t j = 0; j < g.kernel[1]; ++j) {
    int64_t offset = j * g.dilations[1] - g.padsBegin[1];
    lo = std::max(lo, offset >= 0 ? 0 : (-offset + g.strides[1] - 1) / g.strides[1]);
    hi = std::min(hi, width - 1 - offset < 0 ? 0 : (width - 1 - offset) / g.strides[1] + 1);
  }
  if (hi - lo < lanes) return r;
  r.lo = lo;
  r.hi = hi;
  r.count = (hi - lo + lanes - 1) / lanes;
  return r;
}

llvm::Value *RowSegments::start(LoopBuilder &b, llvm::Value *s) const {
  auto &ir = b.ir();
  return b.smin(ir.CreateAdd(b.constI64(lo), ir.CreateMul(s, b.constI64(lanes))),
                b.constI64(hi - lanes));
}

} // namespace qcc::codegen
