// pack_weights: rewrites every MAC op that select_kernels gave a popcount kernel (binary,
// ternary, bitserial) into the lowered op on bit-packed operands (docs/kernels.md):
//   conv_integer(x, W[M,C,KH,KW])  ->  <kernel>_conv(bitpack(x), pack(W) [M,KH,KW,P,ceil(C/64)])
//   matmul_integer(x, W[K,M])      ->  <kernel>_gemm(bitpack(x), pack(W^T) [M,P,ceil(K/64)])
// The weights are packed here, once, as constants: bit planes most significant first, padded
// to whole words with zero bits that the kernels mask; ternary weights of a bitserial kernel
// (k-bit activations) are packed as int2. The activation is packed by a `bitpack`
// at the op; layout and fuse move that packing into the producing kernel where they can. The
// result (i32 accumulators) is unchanged, so the rest of the graph is untouched.
#include "ir/builder.h"
#include "ir/error.h"
#include "ir/ops/packing.h"
#include "passes/graph_rewrite.h"
#include "passes/pass_registry.h"

#include <map>

namespace qcc {
namespace {

bool isPopcountKernel(const std::string &kernel) {
  return kernel == "binary" || kernel == "ternary" || kernel == "bitserial";
}

// W [K, M] -> W^T [M, K], keeping the codes' quant info (the per-column axis becomes axis 0).
Tensor transposedWeights(const Tensor &w) {
  int64_t k = w.shape()[0], m = w.shape()[1];
  TensorType type(w.dtype(), {m, k});
  QuantInfo q = *w.type().quant;
  if (q.axis >= 0) q.axis = 1 - q.axis;
  type.quant = q;
  Tensor t(std::move(type));
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < m; ++c) t.setInt(c * k + r, w.getInt(r * m + c));
  return t;
}

// The codes' format in the packed weights: a bitserial kernel reads ternary weights as the int2
// codes -1, 0, +1 (two's complement planes), all other weights as they are.
QuantInfo packedFormat(QuantInfo q, const std::string &kernel) {
  if (kernel == "bitserial" && q.encoding == QEncoding::ternary) {
    q.encoding = QEncoding::sint;
    q.bits = 2;
    q.narrow = true;
  }
  return q;
}

class PackWeightsPass : public Pass {
public:
  std::string name() const override { return "pack_weights"; }
  Level resultLevel(Level) const override { return kLoweredLevel; }

  void run(Graph &graph) override {
    Builder b(graph);
    bool changed = false;
    std::map<ValueId, ValueId> packedWeights;
    for (size_t i = 0, end = graph.ops.size(); i < end; ++i) {
      Op op = graph.ops[i]; // copied: the builder appends to graph.ops
      bool conv = op.kind == "conv_integer";
      std::string kernel = op.getString("kernel", "");
      if ((!conv && op.kind != "matmul_integer") || !isPopcountKernel(kernel)) continue;
      const Shape ws = graph.type(op.inputs[1]).shape;
      ValueId x = b.create1("bitpack", op.name, {op.inputs[0]}, {},
                            graph.value(op.inputs[0]).name + "_packed");
      // Weights several ops share are packed once.
      auto [it, fresh] = packedWeights.emplace(op.inputs[1], kNoValue);
      if (fresh) {
        const Tensor &w = *graph.constantValue(op.inputs[1]);
        Tensor rows = conv ? w : transposedWeights(w);
        it->second = b.constant(packCodes(rows, packedFormat(*rows.type().quant, kernel)),
                                graph.value(op.inputs[1]).name + "_packed");
      }
      ValueId pw = it->second;
      Attrs attrs{{"kernel", kernel}, {"k", conv ? ws[1] * ws[2] * ws[3] : ws[0]}};
      if (conv)
        for (const char *a : {"strides", "pads", "dilations", "group"}) attrs[a] = op.attrs.at(a);
      ValueId acc = b.create1(kernel + (conv ? "_conv" : "_gemm"), op.name, {x, pw},
                              std::move(attrs), graph.value(op.outputs[0]).name);
      if (!replaceValue(graph, op.outputs[0], acc))
        fail("internal error: pack_weights cannot replace the result of {}", op.describe());
      changed = true;
    }
    if (!changed) return;
    sortOps(graph);
    removeDeadOps(graph);
  }
};

const PassRegistration registration{
    {"pack_weights", "bit-pack the weights of popcount-kernel MAC ops into lowered packed ops",
     [](const PassOptions &) { return std::make_unique<PackWeightsPass>(); }}};

} // namespace
} // namespace qcc
