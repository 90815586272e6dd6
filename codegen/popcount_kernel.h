// The kernel builder shared by the packed MAC families (emit_binary.cpp, emit_bitserial.cpp,
// emit_ternary.cpp). A family describes its dot product as a sum of popcounts of bitwise
// expressions over the operands' bit-plane words (docs/kernels.md); this builder turns that
// description into a kernel specialised on the layer's shape, weights and thresholds: the
// loops of a direct convolution (a gemm is a 1x1 convolution), exact zero padding, register
// blocking, and the fused threshold / bit-packing epilogue.
//
// Kernel shape: eight output channels per vector of i64 lanes (one byte of a packed output
// word). The weights are re-laid out at compile time so that one vector load fetches the same
// word of eight channels; each activation word is broadcast to all lanes, so the lanes
// accumulate independent dot products and no horizontal reduction is needed.
#pragma once

#include "codegen/kernel.h"

#include <memory>
#include <vector>

namespace qcc::codegen {

// A bitwise expression over the words at one word index of the bit planes of the activations
// (x) and the weights (w).
class BitExpr {
public:
  enum class Kind : uint8_t { xPlane, wPlane, notOf, andOf, xorOf };
  struct Node {
    Kind kind;
    int plane = 0; // xPlane / wPlane
    std::shared_ptr<const Node> lhs, rhs;
  };

  static BitExpr x(int plane) { return BitExpr(Node{Kind::xPlane, plane, nullptr, nullptr}); }
  static BitExpr w(int plane) { return BitExpr(Node{Kind::wPlane, plane, nullptr, nullptr}); }
  BitExpr operator~() const { return BitExpr(Node{Kind::notOf, 0, node_, nullptr}); }
  friend BitExpr operator&(const BitExpr &a, const BitExpr &b) {
    return BitExpr(Node{Kind::andOf, 0, a.node_, b.node_});
  }
  friend BitExpr operator^(const BitExpr &a, const BitExpr &b) {
    return BitExpr(Node{Kind::xorOf, 0, a.node_, b.node_});
  }

  const Node &node() const { return *node_; }
  bool reads(Kind leaf) const;

private:
  explicit BitExpr(Node node) : node_(std::make_shared<const Node>(std::move(node))) {}
  std::shared_ptr<const Node> node_;
};

// coefficient * sum over the in-bounds words of popcount(bits).
struct PopcountTerm {
  int64_t coefficient;
  BitExpr bits;
};

// dot = sum of the terms + perCode * (number of in-bounds codes). Padding bits of both operands
// are 0, so an expression whose value is 0 where both operands are 0 needs no valid-bit mask.
struct PopcountFormula {
  std::vector<PopcountTerm> terms;
  int64_t perCode = 0;
};

// Fills `function` with the kernel of a binary_/bitserial_/ternary_ gemm or conv op computing
// `formula`. Fails naming the op when the weights or thresholds are not constants.
void emitPopcountMac(const KernelRequest &request, llvm::Function &function,
                     const PopcountFormula &formula);

// The slicing of such a kernel: units are (image, block of output channels, output row).
std::optional<KernelSlicing> popcountSlicing(const KernelRequest &request,
                                             const PopcountFormula &formula);

} // namespace qcc::codegen
