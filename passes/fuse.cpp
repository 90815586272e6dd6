// fuse: folds the output transform of each packed MAC op into its kernel's epilogue
// (docs/kernels.md), in two steps:
// 1. <mac>(x, w) -> threshold(acc, T) becomes <mac>(x, w, T) with the threshold's attributes,
//    when the accumulator has no other use and the threshold works on the channel axis 1;
// 2. a fused op whose codes are used only by bitpacks gets packed = 1 and replaces them: the
//    next layer's packing happens in the same loop.
// Both are exactly the ops they replace (the epilogue is `threshold`, the packed result is
// `bitpack` of the codes).
#include "ir/builder.h"
#include "ir/error.h"
#include "passes/graph_rewrite.h"
#include "passes/pass_registry.h"

namespace qcc {
namespace {

bool isPackedMac(const std::string &kind) {
  for (const char *family : {"binary", "bitserial", "ternary"})
    for (const char *shape : {"_gemm", "_conv"})
      if (kind == std::string(family) + shape) return true;
  return false;
}

const char *const kEpilogueAttrs[] = {"descending", "encoding", "bits",
                                      "narrow",     "scale",    "zero_point"};

// Rewrites one MAC + threshold pair; returns whether it did.
bool fuseThreshold(Graph &graph) {
  std::vector<int> uses = useCounts(graph);
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const Op &t = graph.ops[i];
    if (t.kind != "threshold" || t.getInt("axis") != 1) continue;
    const Op *mac = graph.definingOp(t.inputs[0]);
    if (!mac || !isPackedMac(mac->kind) || mac->inputs.size() != 2 ||
        uses[static_cast<size_t>(t.inputs[0])] != 1 || isGraphOutput(graph, t.inputs[0]))
      continue;
    Attrs attrs = mac->attrs;
    for (const char *a : kEpilogueAttrs) attrs[a] = t.attrs.at(a);
    std::vector<ValueId> operands{mac->inputs[0], mac->inputs[1], t.inputs[1]};
    std::string kind = mac->kind, name = mac->name, thresholdName = t.name;
    ValueId from = t.outputs[0];
    Builder b(graph);
    ValueId codes =
        b.create1(kind, name, std::move(operands), std::move(attrs), graph.value(from).name);
    if (!replaceValue(graph, from, codes))
      fail("internal error: fuse cannot replace the result of threshold '{}'", thresholdName);
    sortOps(graph);
    removeDeadOps(graph);
    return true;
  }
  return false;
}

// Rewrites one fused MAC whose codes only bitpacks read; returns whether it did.
bool fuseBitpack(Graph &graph) {
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const Op &mac = graph.ops[i];
    if (!isPackedMac(mac.kind) || mac.inputs.size() != 3 || mac.getInt("packed", 0) != 0 ||
        isGraphOutput(graph, mac.outputs[0]))
      continue;
    std::vector<ValueId> packs;
    bool onlyPacked = true;
    for (const Op &user : graph.ops)
      for (ValueId in : user.inputs)
        if (in == mac.outputs[0]) {
          if (user.kind == "bitpack")
            packs.push_back(user.outputs[0]);
          else
            onlyPacked = false;
        }
    if (!onlyPacked || packs.empty()) continue;
    Attrs attrs = mac.attrs;
    attrs["packed"] = int64_t{1};
    std::vector<ValueId> operands = mac.inputs;
    std::string kind = mac.kind, name = mac.name;
    Builder b(graph);
    ValueId packed =
        b.create1(kind, name, std::move(operands), std::move(attrs), graph.value(packs[0]).name);
    for (ValueId p : packs)
      if (!replaceValue(graph, p, packed))
        fail("internal error: fuse cannot replace a bitpack of the result of {}", kind);
    sortOps(graph);
    removeDeadOps(graph);
    return true;
  }
  return false;
}

class FusePass : public Pass {
public:
  std::string name() const override { return "fuse"; }
  Level resultLevel(Level) const override { return kLoweredLevel; }

  void run(Graph &graph) override {
    while (fuseThreshold(graph)) {
    }
    while (fuseBitpack(graph)) {
    }
  }
};

const PassRegistration registration{
    {"fuse", "fold thresholds and the next layer's bitpack into packed MAC kernels",
     [](const PassOptions &) { return std::make_unique<FusePass>(); }}};

} // namespace
} // namespace qcc
