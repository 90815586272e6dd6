// canonicalize: constant folding, removal of ops that do not change their operand, and dead-code
// elimination, repeated until nothing changes. The graph stays at its level and its outputs keep
// their values bit for bit (see docs/passes.md).
#include "ir/interpreter.h"
#include "ir/op_registry.h"
#include "passes/graph_rewrite.h"
#include "passes/pass_registry.h"

#include <cmath>

namespace qcc {
namespace {

bool allElementsAre(const Tensor &t, double v) {
  for (int64_t i = 0; i < t.numel(); ++i)
    if (t.getDouble(i) != v) return false;
  return true;
}

// True when `x op c` (or `c op x` with `constantFirst`) equals x bit for bit for every x. Float
// zeros are signed: x + (-0) and x - (+0) are identities, x + (+0) is not (it turns -0 into +0);
// integer zeros have no sign.
bool isNeutralConstant(const std::string &kind, const Tensor &c, bool constantFirst) {
  bool isFloatType = isFloat(c.dtype());
  auto zeroWithSign = [&](bool negative) {
    for (int64_t i = 0; i < c.numel(); ++i) {
      double v = c.getDouble(i);
      if (v != 0 || (isFloatType && std::signbit(v) != negative)) return false;
    }
    return true;
  };
  if (kind == "mul") return allElementsAre(c, 1);
  if (kind == "div") return !constantFirst && allElementsAre(c, 1);
  if (kind == "add") return zeroWithSign(true);
  if (kind == "sub") return !constantFirst && zeroWithSign(false);
  return false;
}

// The operand an op passes through unchanged, or kNoValue. Every candidate must also have a
// result type equal to the operand's type (shape, dtype, quantization and layout).
ValueId passedThrough(const Graph &g, const Op &op) {
  if (op.outputs.size() != 1 || op.inputs.empty() || op.inputs[0] == kNoValue) return kNoValue;
  const TensorType &resultType = g.type(op.outputs[0]);
  auto same = [&](ValueId v) { return v != kNoValue && g.type(v) == resultType; };
  const std::string &k = op.kind;
  ValueId x = op.inputs[0];

  if (k == "add" || k == "sub" || k == "mul" || k == "div") {
    ValueId y = op.inputs.size() > 1 ? op.inputs[1] : kNoValue;
    if (y == kNoValue) return kNoValue;
    if (const Tensor *c = g.constantValue(y); c && same(x) && isNeutralConstant(k, *c, false))
      return x;
    if (const Tensor *c = g.constantValue(x); c && same(y) && isNeutralConstant(k, *c, true))
      return y;
    return kNoValue;
  }
  if (!same(x)) return kNoValue;
  if (k == "reshape" || k == "cast" || k == "expand" || k == "tile") return x;
  if (k == "concat" || k == "min" || k == "max") return op.inputs.size() == 1 ? x : kNoValue;
  if (k == "split") return x; // one result of the operand's type: a single piece
  if (k == "clip") {
    for (size_t i = 1; i < op.inputs.size(); ++i)
      if (op.inputs[i] != kNoValue) return kNoValue;
    return x;
  }
  if (k == "pad") {
    for (int64_t p : op.getInts("pads"))
      if (p != 0) return kNoValue;
    return x;
  }
  if (k == "transpose") {
    // Axes of extent 1 may move freely; the others must keep their order.
    const Shape &shape = g.type(x).shape;
    int64_t last = -1;
    for (int64_t axis : op.getInts("perm")) {
      if (shape[static_cast<size_t>(axis)] == 1) continue;
      if (axis < last) return kNoValue;
      last = axis;
    }
    return x;
  }
  if (k == "slice") {
    const Shape &shape = g.type(x).shape;
    const std::vector<int64_t> &starts = op.getInts("starts");
    const std::vector<int64_t> &steps = op.getInts("steps");
    for (size_t d = 0; d < shape.size(); ++d)
      if (shape[d] > 1 && (starts[d] != 0 || steps[d] != 1)) return kNoValue;
    return x;
  }
  return kNoValue;
}

// Replaces ops whose operands are all constants by constants holding their results. Each result
// keeps its value (id, name, type); returns whether anything was folded.
bool foldConstants(Graph &g) {
  bool changed = false;
  bool appended = false;
  size_t count = g.ops.size();
  for (size_t i = 0; i < count; ++i) {
    Op &op = g.ops[i];
    // Quantizers stay explicit (see isQuantizerKind).
    if (op.kind == "constant" || isQuantizerKind(op.kind)) continue;
    std::vector<const Tensor *> operands;
    bool allConstant = true;
    bool anyOperand = false;
    for (ValueId in : op.inputs) {
      const Tensor *c = in == kNoValue ? nullptr : g.constantValue(in);
      allConstant = allConstant && (in == kNoValue || c != nullptr);
      anyOperand = anyOperand || in != kNoValue;
      operands.push_back(c);
    }
    if (!allConstant || !anyOperand) continue;
    std::vector<Tensor> results = evaluateOp(op, operands);
    std::vector<ValueId> outputs = std::move(op.outputs);
    std::string name = op.name;
    op = Op{"constant", name, {}, {outputs[0]}, {{"value", std::move(results[0])}}};
    for (size_t r = 1; r < outputs.size(); ++r) {
      g.addOp(Op{"constant", name, {}, {outputs[r]}, {{"value", std::move(results[r])}}});
      appended = true;
    }
    changed = true;
  }
  if (appended) sortOps(g);
  return changed;
}

// Points the uses of every pass-through op's result at its operand; the ops become dead.
bool removeIdentities(Graph &g) {
  bool changed = false;
  std::vector<int> uses = useCounts(g);
  for (const Op &op : g.ops) {
    ValueId result = op.outputs.size() == 1 ? op.outputs[0] : kNoValue;
    if (result == kNoValue || uses[static_cast<size_t>(result)] == 0) continue;
    ValueId source = passedThrough(g, op);
    if (source == kNoValue || !replaceAllUses(g, result, source)) continue;
    uses[static_cast<size_t>(source)] += uses[static_cast<size_t>(result)];
    uses[static_cast<size_t>(result)] = 0;
    changed = true;
  }
  return changed;
}

class CanonicalizePass : public Pass {
public:
  std::string name() const override { return "canonicalize"; }
  Level resultLevel(Level input) const override { return input; }
  void run(Graph &graph) override {
    // Each round that changes something turns a computing op into a constant or makes an op dead,
    // so this terminates.
    bool changed = true;
    while (changed) {
      changed = foldConstants(graph);
      changed = removeIdentities(graph) || changed;
      removeDeadOps(graph);
    }
  }
};

const PassRegistration registration{
    {"canonicalize", "fold constants, remove ops that pass their operand through, remove dead ops",
     [](const PassOptions &) { return std::make_unique<CanonicalizePass>(); }}};

} // namespace
} // namespace qcc
