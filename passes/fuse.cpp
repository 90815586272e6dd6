// fuse: folds the output transform of each packed MAC op into its kernel's epilogue
// (docs/kernels.md), in two steps:
// 1. <mac>(x, w) -> threshold(acc, T) becomes <mac>(x, w, T) with the threshold's attributes,
//    when the accumulator has no other use and the threshold works on the channel axis 1;
// 2. a fused op whose codes are used only by bitpacks gets packed = 1 and replaces them: the
//    next layer's packing happens in the same loop.
// Both are exactly the ops they replace (the epilogue is `threshold`, the packed result is
// `bitpack` of the codes).
// Before them, the float tail of a residual block, quantize(add(A, B)) of form "bipolar" where A
// and B are each dequantize(codes) or batch_normalization(dequantize(codes)) with constant
// statistics, becomes one residual_quantize(codes_A, codes_B) (ir/ops/residual.cpp): the same
// f32 operations per element, in one loop instead of five ops writing f32 tensors. Then a
// residual_quantize whose codes only bitpacks and the next residual_quantize read writes them
// packed, and one whose bipolar operand b is bitpacked anyway reads the packed form: the packed
// codes are the same codes, so both are exact too.
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

// Adds the attributes of one residual_quantize operand (prefix "a_" or "b_") for `v` when it is
// dequantize(codes), per tensor or along axis 1, or batch_normalization of such a dequantize
// with constant f32 statistics of one entry per channel; returns the codes, or kNoValue.
ValueId matchResidualBranch(const Graph &graph, ValueId v, const std::string &prefix,
                            Attrs &attrs) {
  const Op *op = graph.definingOp(v);
  if (!op) return kNoValue;
  const Shape &shape = graph.type(v).shape;
  int64_t channels = shape.at(1);
  const Op *dequantize = op;
  if (op->kind == "batch_normalization") {
    static const char *const kStatistics[] = {"gamma", "beta", "mean", "var"};
    for (size_t i = 0; i < 4; ++i) {
      const Tensor *t = graph.constantValue(op->inputs[i + 1]);
      if (!t || t->dtype() != DType::f32 || t->shape() != Shape{channels}) return kNoValue;
      std::vector<double> values;
      for (int64_t c = 0; c < channels; ++c) values.push_back(t->getDouble(c));
      attrs[prefix + kStatistics[i]] = std::move(values);
    }
    attrs[prefix + "epsilon"] = op->getFloat("epsilon");
    dequantize = graph.definingOp(op->inputs[0]);
  }
  if (!dequantize || dequantize->kind != "dequantize") return kNoValue;
  ValueId codes = dequantize->inputs[0];
  const TensorType &type = graph.type(codes);
  int64_t axis = dequantize->getInt("axis");
  if (!isInteger(type.dtype) || type.dtype == DType::boolean ||
      type.layout.kind == LayoutKind::packed || type.shape != shape || (axis != -1 && axis != 1))
    return kNoValue;
  attrs[prefix + "scale"] = dequantize->getFloats("scale");
  attrs[prefix + "zero_point"] = dequantize->getFloats("zero_point");
  return codes;
}

// Rewrites one residual tail into residual_quantize; returns whether it did.
bool fuseResidual(Graph &graph) {
  std::vector<int> uses = useCounts(graph);
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const Op &q = graph.ops[i];
    if (q.kind != "quantize" || q.getString("form") != "bipolar" || q.getInt("axis") != -1)
      continue;
    const Op *add = graph.definingOp(q.inputs[0]);
    if (!add || add->kind != "add" || uses[static_cast<size_t>(q.inputs[0])] != 1 ||
        isGraphOutput(graph, q.inputs[0]))
      continue;
    const TensorType &sum = graph.type(add->outputs[0]);
    if (sum.dtype != DType::f32 || sum.rank() < 2 || graph.type(add->inputs[0]) != sum ||
        graph.type(add->inputs[1]) != sum)
      continue;
    Attrs attrs;
    ValueId a = matchResidualBranch(graph, add->inputs[0], "a_", attrs);
    ValueId b = matchResidualBranch(graph, add->inputs[1], "b_", attrs);
    if (a == kNoValue || b == kNoValue) continue;
    attrs["scale"] = q.getFloats("scale");
    attrs["zero_point"] = q.getFloats("zero_point");
    std::string name = q.name;
    ValueId from = q.outputs[0];
    TensorType expected = graph.type(from);
    Builder builder(graph);
    ValueId codes = builder.create1("residual_quantize", name, {a, b}, std::move(attrs),
                                    graph.value(from).name);
    if (graph.type(codes) != expected || !replaceValue(graph, from, codes))
      fail("internal error: fuse cannot replace the residual quantize '{}'", name);
    sortOps(graph);
    removeDeadOps(graph);
    return true;
  }
  return false;
}

// Gives one residual_quantize whose codes only bitpacks and other residual_quantize ops (as their
// operand b) read packed = 1: the bitpacks are replaced by its result, and those readers take the
// packed codes. Returns whether it did.
bool packResidual(Graph &graph) {
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const Op &r = graph.ops[i];
    ValueId codes = r.outputs[0];
    size_t rank = graph.type(codes).rank();
    if (r.kind != "residual_quantize" || r.getInt("packed", 0) != 0 ||
        isGraphOutput(graph, codes) || (rank != 2 && rank != 4))
      continue;
    std::vector<size_t> readers;
    bool packable = true;
    for (size_t u = 0; u < graph.ops.size(); ++u) {
      const Op &user = graph.ops[u];
      for (size_t k = 0; k < user.inputs.size(); ++k)
        if (user.inputs[k] == codes) {
          packable =
              packable && (user.kind == "bitpack" || (user.kind == "residual_quantize" && k == 1));
          readers.push_back(u);
        }
    }
    if (!packable || readers.empty()) continue;
    Attrs attrs = r.attrs;
    attrs["packed"] = int64_t{1};
    std::vector<ValueId> operands = r.inputs;
    std::string name = r.name;
    Builder builder(graph);
    ValueId packed = builder.create1("residual_quantize", name, std::move(operands),
                                     std::move(attrs), graph.value(codes).name + "_packed");
    for (size_t u : readers) {
      const Op user = graph.ops[u];
      ValueId to = packed;
      if (user.kind == "residual_quantize")
        to = builder.create1("residual_quantize", user.name, {user.inputs[0], packed}, user.attrs,
                             graph.value(user.outputs[0]).name);
      if (!replaceValue(graph, user.outputs[0], to))
        fail("internal error: fuse cannot give residual_quantize '{}' packed codes", name);
    }
    sortOps(graph);
    removeDeadOps(graph);
    return true;
  }
  return false;
}

// Points operand b of one residual_quantize at the packed form of its bipolar codes where a
// bitpack of them exists already (the kernel then reads one bit per code and, when a is an
// accumulator, compares it with a per-channel interval). Returns whether it did.
bool readPackedResidual(Graph &graph) {
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const Op &r = graph.ops[i];
    if (r.kind != "residual_quantize") continue;
    const TensorType &b = graph.type(r.inputs[1]);
    if (b.layout.kind == LayoutKind::packed || !b.quant || b.quant->encoding != QEncoding::bipolar)
      continue;
    for (const Op &pack : graph.ops)
      if (pack.kind == "bitpack" && pack.inputs[0] == r.inputs[1]) {
        std::vector<ValueId> operands{r.inputs[0], pack.outputs[0]};
        Attrs attrs = r.attrs;
        std::string name = r.name;
        ValueId from = r.outputs[0];
        Builder builder(graph);
        ValueId to = builder.create1("residual_quantize", name, std::move(operands),
                                     std::move(attrs), graph.value(from).name);
        if (!replaceValue(graph, from, to))
          fail("internal error: fuse cannot give residual_quantize '{}' packed codes", name);
        sortOps(graph);
        removeDeadOps(graph);
        return true;
      }
  }
  return false;
}

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
    while (fuseResidual(graph)) {
    }
    while (packResidual(graph)) {
    }
    while (readPackedResidual(graph)) {
    }
    while (fuseThreshold(graph)) {
    }
    while (fuseBitpack(graph)) {
    }
  }
};

const PassRegistration registration{
    {"fuse",
     "fold thresholds and the next layer's bitpack into packed MAC kernels, residual tails into "
     "one op",
     [](const PassOptions &) { return std::make_unique<FusePass>(); }}};

} // namespace
} // namespace qcc
