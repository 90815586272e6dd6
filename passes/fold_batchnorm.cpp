// fold_batchnorm: removes inference batch normalizations with constant parameters. Written as
// the affine map y = x * a + b with a = scale / sqrt(var + epsilon) and b = bias - mean * a
// (each step rounded to the dtype, in this order), a batch normalization
// - after a conv, gemm or matmul with constant float weights whose result it alone uses, is
//   folded into them: the weights are multiplied by a along their output-channel axis and the
//   bias becomes bias * a + b (a matmul, which has no bias, gets an `add` of b);
// - after a conv, gemm or matmul whose weight comes from a quantizer, stays as it is: streamline
//   absorbs it into integer thresholds, evaluating it exactly as the import level does;
// - anywhere else (a shared or per-activation result, after a non-linear op, on an input)
//   becomes `mul` by a and `add` of b with constants shaped to broadcast over x.
// The folded results are float math rounded differently from the batch normalization: equal
// within rtol 1e-5, not bit for bit (docs/passes.md).
#include "ir/builder.h"
#include "ir/op_registry.h"
#include "ir/ops/broadcast.h"
#include "passes/graph_rewrite.h"
#include "passes/pass_registry.h"

#include <cmath>
#include <optional>
#include <type_traits>

namespace qcc {
namespace {

// Calls f(TypeTag<T>) for a float dtype's C++ type.
template <typename F> void visitFloat(DType t, F &&f) {
  visitDType(t, [&]<typename T>(TypeTag<T> tag) {
    if constexpr (std::is_floating_point_v<T>) f(tag);
  });
}

// a and b of the affine form, shaped like the statistics ([C] or [C, D1..Dk]).
struct Affine {
  Tensor a;
  Tensor b;

  // With var + epsilon <= 0 (or infinite statistics) the batch normalization computes infinities
  // and NaNs that the affine form does not reproduce: such an op is left alone.
  bool finite() const {
    for (int64_t i = 0; i < a.numel(); ++i)
      if (!std::isfinite(a.getDouble(i)) || !std::isfinite(b.getDouble(i))) return false;
    return true;
  }
};

Affine affineOf(const Op &bn, const Tensor &scale, const Tensor &bias, const Tensor &mean,
                const Tensor &var) {
  Affine f{Tensor(scale.type()), Tensor(scale.type())};
  visitFloat(scale.dtype(), [&]<typename T>(TypeTag<T>) {
    auto eps = static_cast<T>(bn.getFloat("epsilon"));
    for (int64_t i = 0; i < scale.numel(); ++i) {
      T a = scale.data<T>()[i] / std::sqrt(var.data<T>()[i] + eps);
      f.a.data<T>()[i] = a;
      f.b.data<T>()[i] = bias.data<T>()[i] - mean.data<T>()[i] * a;
    }
  });
  return f;
}

// w with every element multiplied by a[c], c its index along `axis`.
Tensor scaleAlongAxis(const Tensor &w, size_t axis, const Tensor &a) {
  Tensor out(w.type());
  int64_t inner = 1;
  for (size_t d = axis + 1; d < w.shape().size(); ++d) inner *= w.shape()[d];
  int64_t channels = w.shape()[axis];
  visitFloat(w.dtype(), [&]<typename T>(TypeTag<T>) {
    for (int64_t i = 0; i < w.numel(); ++i)
      out.data<T>()[i] = w.data<T>()[i] * a.data<T>()[i / inner % channels];
  });
  return out;
}

// The folded bias (shape: `bias` broadcast with [C], or [C] without a bias):
// (biasScale * bias) * a[c] + b[c] per element, c the index along the last axis.
Tensor foldedBias(const Tensor *bias, double biasScale, const Affine &f) {
  Shape shape = bias ? broadcastShapes(bias->shape(), f.a.shape()) : f.a.shape();
  Tensor out(f.a.dtype(), shape);
  int64_t channels = f.a.numel();
  visitFloat(f.a.dtype(), [&]<typename T>(TypeTag<T>) {
    const T *a = f.a.data<T>();
    const T *b = f.b.data<T>();
    std::optional<BroadcastIndex> map;
    if (bias) map.emplace(bias->shape(), shape);
    auto factor = static_cast<T>(biasScale);
    for (int64_t i = 0; i < out.numel(); ++i) {
      int64_t c = i % channels;
      out.data<T>()[i] = bias ? factor * bias->data<T>()[(*map)(i)] * a[c] + b[c] : b[c];
    }
  });
  return out;
}

bool isMacOp(const std::string &kind) {
  return kind == "conv" || kind == "gemm" || kind == "matmul";
}

// Whether `weight` is computed by a quantizer, possibly through ops that only move elements.
bool comesFromQuantizer(const Graph &g, ValueId weight) {
  for (const Op *op = g.definingOp(weight); op; op = g.definingOp(op->inputs[0])) {
    if (isQuantizerKind(op->kind)) return true;
    if (op->kind != "reshape" && op->kind != "transpose" && op->kind != "slice" &&
        op->kind != "expand")
      return false;
  }
  return false;
}

// Where a batch normalization can be folded into the weights of the op producing its operand.
struct FoldTarget {
  int32_t op = -1;
  size_t weightAxis = 0;        // output-channel axis of the weight (operand 1)
  bool hasBiasOperand = false;  // conv and gemm take the bias as operand 2; matmul has none
  const Tensor *bias = nullptr; // constant bias (operand 2), nullptr when absent
};

std::optional<FoldTarget> foldTarget(const Graph &g, ValueId x, const std::vector<int> &uses) {
  int32_t def = g.value(x).def;
  if (def < 0 || uses[static_cast<size_t>(x)] != 1 || isGraphOutput(g, x)) return std::nullopt;
  const Op &op = g.ops[static_cast<size_t>(def)];
  if (!isMacOp(op.kind)) return std::nullopt;
  if (!g.constantValue(op.inputs[1])) return std::nullopt;
  FoldTarget t;
  t.op = def;
  if (op.kind == "matmul") {
    // Only a 2-D product [M, K] x [K, N] has its output channels (N) on axis 1.
    if (g.type(op.inputs[0]).rank() != 2 || g.type(op.inputs[1]).rank() != 2) return std::nullopt;
    t.weightAxis = 1;
    return t;
  }
  t.hasBiasOperand = true;
  t.weightAxis = op.kind == "gemm" && op.getInt("trans_b") == 0 ? 1 : 0;
  if (op.inputs.size() > 2 && op.inputs[2] != kNoValue) {
    t.bias = g.constantValue(op.inputs[2]);
    if (!t.bias) return std::nullopt;
  }
  return t;
}

class FoldBatchNormPass : public Pass {
public:
  std::string name() const override { return "fold_batchnorm"; }
  Level resultLevel(Level input) const override { return input; }
  void run(Graph &g) override {
    Builder builder(g);
    std::vector<int> uses = useCounts(g);
    bool changed = false;
    for (size_t i = 0; i < g.ops.size(); ++i) {
      if (g.ops[i].kind != "batch_normalization") continue;
      const Op &bn = g.ops[i];
      const Tensor *stats[4];
      bool constant = true;
      for (size_t k = 0; k < 4; ++k) {
        stats[k] = g.constantValue(bn.inputs[k + 1]);
        constant = constant && stats[k];
      }
      if (!constant) continue;
      ValueId x = bn.inputs[0];
      ValueId y = bn.outputs[0];
      const Op *producer = g.definingOp(x);
      if (producer && isMacOp(producer->kind) && comesFromQuantizer(g, producer->inputs[1]))
        continue;
      Affine f = affineOf(bn, *stats[0], *stats[1], *stats[2], *stats[3]);
      if (!f.finite()) continue;
      std::optional<FoldTarget> target;
      if (stats[0]->shape().size() == 1) target = foldTarget(g, x, uses);
      if (target) {
        if (foldIntoWeights(g, builder, i, *target, f)) {
          uses[static_cast<size_t>(x)] = uses[static_cast<size_t>(y)];
          uses[static_cast<size_t>(y)] = 0;
        }
      } else if (!toMulAdd(g, builder, i, f)) {
        continue;
      }
      changed = true;
    }
    if (!changed) return;
    sortOps(g);
    removeDeadOps(g);
  }

private:
  // conv/gemm: new weight and bias operands, and the uses of the batch normalization's result
  // move to the product (returns true). matmul: new weight, and the batch normalization becomes
  // `add` of b (returns false).
  static bool foldIntoWeights(Graph &g, Builder &builder, size_t bnIndex, const FoldTarget &t,
                              const Affine &f) {
    // Everything read from the graph is computed before the builder appends ops and values.
    auto producer = static_cast<size_t>(t.op);
    const Op &product = g.ops[producer];
    ValueId weight = product.inputs[1];
    Tensor scaled = scaleAlongAxis(*g.constantValue(weight), t.weightAxis, f.a);
    std::string weightName = g.value(weight).name + "_folded";
    ValueId y = g.ops[bnIndex].outputs[0];
    if (!t.hasBiasOperand) {
      std::string shiftName = g.value(y).name + "_shift";
      ValueId newWeight = builder.constant(std::move(scaled), weightName);
      ValueId shift = builder.constant(f.b, shiftName);
      g.ops[producer].inputs[1] = newWeight;
      Op &bn = g.ops[bnIndex];
      bn.kind = "add";
      bn.inputs = {bn.inputs[0], shift};
      bn.attrs.clear();
      return false;
    }
    double biasScale = product.kind == "gemm" ? product.getFloat("beta") : 1.0;
    Tensor bias = foldedBias(t.bias, biasScale, f);
    std::string biasName = g.value(product.outputs[0]).name + "_bias";
    ValueId newWeight = builder.constant(std::move(scaled), weightName);
    ValueId newBias = builder.constant(std::move(bias), biasName);
    Op &folded = g.ops[producer];
    folded.inputs.resize(3);
    folded.inputs[1] = newWeight;
    folded.inputs[2] = newBias;
    if (folded.kind == "gemm") folded.attrs["beta"] = 1.0;
    replaceAllUses(g, y, folded.outputs[0]);
    return true;
  }

  // The batch normalization becomes x * a + b with a and b shaped to broadcast over x: [1, C, 1,
  // ..., 1] per channel, [1, C, D1..Dk] per activation. False (nothing changed) when x carries
  // quantization or layout metadata that a float `add` result would not.
  static bool toMulAdd(Graph &g, Builder &builder, size_t bnIndex, const Affine &f) {
    ValueId x = g.ops[bnIndex].inputs[0];
    ValueId y = g.ops[bnIndex].outputs[0];
    const TensorType &xType = g.type(x);
    if (!(xType == TensorType(xType.dtype, xType.shape))) return false;
    Shape shape{1};
    shape.insert(shape.end(), f.a.shape().begin(), f.a.shape().end());
    shape.resize(xType.shape.size(), 1);
    Tensor a = f.a;
    Tensor b = f.b;
    a.type().shape = shape;
    b.type().shape = shape;
    std::string yName = g.value(y).name;
    std::string opName = g.ops[bnIndex].name;
    ValueId scale = builder.constant(std::move(a), yName + "_scale");
    ValueId shift = builder.constant(std::move(b), yName + "_shift");
    ValueId scaled = builder.create1("mul", opName, {x, scale}, {}, yName + "_scaled");
    Op &bn = g.ops[bnIndex];
    bn.kind = "add";
    bn.inputs = {scaled, shift};
    bn.attrs.clear();
    return true;
  }
};

const PassRegistration registration{
    {"fold_batchnorm",
     "fold batch normalizations into constant float conv/gemm/matmul weights, else into mul + add",
     [](const PassOptions &) { return std::make_unique<FoldBatchNormPass>(); }}};

} // namespace
} // namespace qcc
