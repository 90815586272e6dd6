// select_kernels: picks the kernel family of every integer MAC op (conv_integer, matmul_integer)
// and records it as attr `kernel`; pack_weights then rewrites the popcount families into the
// lowered ops on bit-packed operands. The cost model (docs/passes.md) counts the word operations
// per 64 MACs: a popcount kernel needs one AND/XOR + popcount + add per pair of bit planes, so it
// pays when both operands have few planes; int8 kernels do 64 MACs in a handful of vector
// instructions whatever the bits, so they win from 5 bits on (DESIGN §5):
//   binary     both operands bipolar                                1 plane pair
//   ternary    ternary x ternary / bipolar (either side)            2 popcounts per word pair
//   bitserial  uint/int (<= 4 bits) or bipolar, not both bipolar,   a_planes * w_planes pairs
//              also with ternary weights (packed as int2)
//   int8       both operands hold 8-bit values                      (everything else up to 8 bits)
//   int32      wider values                                         (exact, no vector shortcut)
// A popcount family also needs what packing needs: a constant weight with quant info, no zero
// point operands (the codes are multiplied as they are), group 1 and a rank-2 matmul.
#include "ir/ops/packing.h"
#include "passes/pass_registry.h"

namespace qcc {
namespace {

constexpr int kMaxBitserialBits = 4;

bool isBipolar(const QuantInfo &q) {
  return q.encoding == QEncoding::bipolar;
}
bool isTernary(const QuantInfo &q) {
  return q.encoding == QEncoding::ternary;
}
bool isPlanar(const QuantInfo &q) {
  return (q.encoding == QEncoding::uint || q.encoding == QEncoding::sint) &&
         q.bits <= kMaxBitserialBits;
}

// Bits of the values an operand holds: its codes' bits, else its dtype's.
int valueBits(const TensorType &t) {
  return t.quant ? t.quant->bits : bitWidth(t.dtype);
}

bool hasZeroPointOperand(const Graph &g, const Op &op) {
  for (size_t i = 2; i < op.inputs.size(); ++i) {
    if (op.inputs[i] == kNoValue) continue;
    const Tensor *zp = g.constantValue(op.inputs[i]);
    if (!zp) return true;
    for (int64_t j = 0; j < zp->numel(); ++j)
      if (zp->getInt(j) != 0) return true;
  }
  return false;
}

bool packable(const Graph &g, const Op &op) {
  const TensorType &x = g.type(op.inputs[0]), &w = g.type(op.inputs[1]);
  if (!x.quant || !w.quant || !g.constantValue(op.inputs[1]) || hasZeroPointOperand(g, op))
    return false;
  if (op.kind == "conv_integer") return op.getInt("group") == 1 && x.rank() == 4 && w.rank() == 4;
  return x.rank() == 2 && w.rank() == 2;
}

std::string selectKernel(const Graph &g, const Op &op) {
  const TensorType &x = g.type(op.inputs[0]), &w = g.type(op.inputs[1]);
  if (packable(g, op)) {
    const QuantInfo &qx = *x.quant, &qw = *w.quant;
    if (isBipolar(qx) && isBipolar(qw)) return "binary";
    if ((isTernary(qx) || isTernary(qw)) && (isTernary(qx) || isBipolar(qx)) &&
        (isTernary(qw) || isBipolar(qw)))
      return "ternary";
    // Constant ternary weights are int2 codes too (-1, 0, +1): pack_weights packs them so.
    if ((isPlanar(qx) || isBipolar(qx)) && (isPlanar(qw) || isBipolar(qw) || isTernary(qw)))
      return "bitserial";
  }
  return valueBits(x) <= 8 && valueBits(w) <= 8 ? "int8" : "int32";
}

class SelectKernelsPass : public Pass {
public:
  std::string name() const override { return "select_kernels"; }
  Level resultLevel(Level) const override { return kLoweredLevel; }

  void run(Graph &graph) override {
    for (Op &op : graph.ops)
      if (op.kind == "conv_integer" || op.kind == "matmul_integer")
        op.attrs["kernel"] = selectKernel(graph, op);
  }
};

const PassRegistration registration{
    {"select_kernels",
     "pick binary / ternary / bitserial / int8 / int32 per integer MAC op (attr kernel)",
     [](const PassOptions &) { return std::make_unique<SelectKernelsPass>(); }}};

} // namespace
} // namespace qcc
