// layout: keeps activations bit-packed between popcount layers so that packing happens only at
// the boundaries with unpacked code (the input quantizer, int8 layers, reshapes, dequantize).
// pack_weights left one `bitpack` in front of every packed MAC op; this pass
// - merges the bitpacks of the same value into one;
// - moves a bitpack above a max_pool of bipolar codes, which then runs on the packed bits as
//   packed_max_pool (the maximum of -1/+1 codes is the OR of their bits):
//     bitpack(max_pool(c))  ->  packed_max_pool(bitpack(c))
//   so that fuse can pack c in the kernel that produces it. Only when the max_pool result has
//   no other use and every window holds an input element (packed_max_pool's rule).
// Zero padding of convolutions is not a layout matter: the packed conv ops pad exactly.
#include "ir/builder.h"
#include "ir/error.h"
#include "ir/ops/conv_geometry.h"
#include "passes/graph_rewrite.h"
#include "passes/pass_registry.h"

#include <algorithm>
#include <map>

namespace qcc {
namespace {

// One bitpack per packed value: later bitpacks of the same operand use the first one's result.
bool mergeBitpacks(Graph &graph) {
  std::map<ValueId, ValueId> packedOf;
  bool changed = false;
  for (const Op &op : graph.ops) {
    if (op.kind != "bitpack") continue;
    auto [it, fresh] = packedOf.emplace(op.inputs[0], op.outputs[0]);
    if (!fresh && replaceAllUses(graph, op.outputs[0], it->second)) changed = true;
  }
  return changed;
}

bool isBipolarCodes(const TensorType &t) {
  return t.quant && t.quant->encoding == QEncoding::bipolar && t.rank() == 4;
}

// max_pool yields the dtype's lowest value for a window without input elements, which packed
// bipolar bits cannot hold.
bool everyWindowHoldsInput(const Op &pool, const Shape &x) {
  const std::vector<int64_t> &kernel = pool.getInts("kernel_shape");
  if (kernel.size() != 2) return false;
  WindowGeometry g = readWindowGeometry(pool, kernel, true);
  Shape in{x[2], x[3]};
  std::vector<int64_t> taps = windowTaps(g, in, g.outputShape(in, pool.describe()));
  auto window = static_cast<size_t>(kernel[0] * kernel[1]);
  for (size_t at = 0; at < taps.size(); at += window)
    if (std::none_of(taps.begin() + static_cast<ptrdiff_t>(at),
                     taps.begin() + static_cast<ptrdiff_t>(at + window),
                     [](int64_t t) { return t >= 0; }))
      return false;
  return true;
}

// Rewrites one bitpack(max_pool(c)); returns whether it did.
bool packBeforeMaxPool(Graph &graph) {
  std::vector<int> uses = useCounts(graph);
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const Op &pack = graph.ops[i];
    if (pack.kind != "bitpack") continue;
    const Op *pool = graph.definingOp(pack.inputs[0]);
    if (!pool || pool->kind != "max_pool" || uses[static_cast<size_t>(pool->outputs[0])] != 1 ||
        isGraphOutput(graph, pool->outputs[0]) || !isBipolarCodes(graph.type(pool->inputs[0])))
      continue;
    Attrs attrs;
    for (const char *a : {"kernel_shape", "strides", "pads", "dilations", "ceil_mode"})
      attrs[a] = pool->attrs.at(a);
    ValueId from = pack.outputs[0];
    std::string poolName = pool->name, packName = pack.name;
    ValueId codes = pool->inputs[0];
    if (!everyWindowHoldsInput(*pool, graph.type(codes).shape)) continue;
    Builder b(graph);
    ValueId packed =
        b.create1("bitpack", packName, {codes}, {}, graph.value(codes).name + "_packed");
    ValueId pooled =
        b.create1("packed_max_pool", poolName, {packed}, std::move(attrs), graph.value(from).name);
    if (!replaceValue(graph, from, pooled))
      fail("internal error: layout cannot replace the result of bitpack '{}'", packName);
    sortOps(graph);
    removeDeadOps(graph);
    return true;
  }
  return false;
}

class LayoutPass : public Pass {
public:
  std::string name() const override { return "layout"; }
  Level resultLevel(Level) const override { return kLoweredLevel; }

  void run(Graph &graph) override {
    bool changed = mergeBitpacks(graph);
    while (packBeforeMaxPool(graph)) changed = true;
    if (changed) {
      mergeBitpacks(graph);
      removeDeadOps(graph);
    }
  }
};

const PassRegistration registration{
    {"layout", "keep activations packed between popcount layers (merge bitpacks, pool on bits)",
     [](const PassOptions &) { return std::make_unique<LayoutPass>(); }}};

} // namespace
} // namespace qcc
