// streamline: takes the float math between quantizers out of the graph, FINN-style, on the
// explicit codes that qdq_to_quantized makes. Three rewrites, in this order:
// 1. Layout ops on dequantized codes (max_pool with positive scales, reshape, transpose,
//    nearest resize) move to the codes: op(dequantize(q)) = dequantize(op(q)).
// 2. A conv / matmul / gemm whose activation is dequantize(codes) (per-tensor scale) and whose
//    weight is dequantize(constant codes) (per tensor or per output channel), or a constant
//    holding small integers, becomes conv_integer / matmul_integer on the codes and a dequantize
//    of the i32 accumulator with scale s_x * s_w[c]; conv and gemm biases, gemm's alpha and beta
//    follow as float ops. Equal to the float MAC when its double accumulation is exact.
// 3. A quantize fed from dequantize(integer) through a chain of per-channel monotone float ops
//    (add/sub/mul/div by constants, batch_normalization, relu, clip, neg, leaky_relu, max/min
//    with constants, multi_threshold, and reshape/transpose) becomes one threshold op on the
//    integer: per channel, the smallest (largest, for a decreasing chain) integer at which the
//    code reaches each level, found by binary search over the integer's reachable range while
//    evaluating the chain's own ops with the interpreter, then checked (over the whole range when
//    it has at most 2^16 values). A chain that maps codes to the same codes is dropped.
// What cannot be rewritten stays float with a warning naming the op, or fails under --strict.
// docs/passes.md describes the pass and where its results can differ from the float graph.
#include "ir/builder.h"
#include "ir/diagnostics.h"
#include "ir/error.h"
#include "ir/interpreter.h"
#include "passes/graph_rewrite.h"
#include "passes/pass_registry.h"
#include "passes/streamline_quant.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

namespace qcc {
namespace {

using streamline::codeAttrs;
using streamline::dequantizeAttrs;
using streamline::isCodeType;
using streamline::valuesAlongAxis;

// Why a rewrite does not apply, for the warning.
struct NotStreamlined {
  std::string reason;
};

[[noreturn]] void reject(std::string reason) {
  throw NotStreamlined{std::move(reason)};
}

// Where the channel axis `axis` of `from` lands in a reshape to `to`: the axis with the same
// extent and the same number of elements before it; -1 if there is none.
int64_t reshapedAxis(const Shape &from, const Shape &to, int64_t axis) {
  int64_t before = 1;
  for (int64_t d = 0; d < axis; ++d) before *= from[static_cast<size_t>(d)];
  int64_t prefix = 1;
  for (size_t d = 0; d < to.size(); ++d) {
    if (prefix == before && to[d] == from[static_cast<size_t>(axis)])
      return static_cast<int64_t>(d);
    prefix *= to[d];
  }
  return -1;
}

// Position of `axis` after a transpose by `perm`.
int64_t transposedAxis(const std::vector<int64_t> &perm, int64_t axis) {
  for (size_t d = 0; d < perm.size(); ++d)
    if (perm[d] == axis) return static_cast<int64_t>(d);
  return -1;
}

// The channel axis of a layout op's result for a dequantize along `axis` (-1: per tensor), or
// std::nullopt when the op cannot take the codes.
std::optional<int64_t> layoutAxis(const Op &op, const Shape &in, const Shape &out, int64_t axis) {
  if (axis < 0) return -1;
  int64_t moved = op.kind == "reshape"     ? reshapedAxis(in, out, axis)
                  : op.kind == "transpose" ? transposedAxis(op.getInts("perm"), axis)
                                           : axis;
  if (moved < 0) return std::nullopt;
  return moved;
}

// Code range of an integer value: its quantization's, else its dtype's.
std::pair<int64_t, int64_t> codeRange(const TensorType &t) {
  if (t.quant) return {t.quant->minCode(), t.quant->maxCode()};
  return {dtypeMin(t.dtype), dtypeMax(t.dtype)};
}

// An integer that integer type `t` holds.
bool isValueOf(double v, DType t) {
  return std::trunc(v) == v && v >= static_cast<double>(dtypeMin(t)) &&
         v <= static_cast<double>(dtypeMax(t));
}

Tensor int64Tensor(Shape shape, const std::vector<int64_t> &values) {
  Tensor t(DType::i64, std::move(shape));
  std::copy(values.begin(), values.end(), t.data<int64_t>());
  return t;
}

// Codes of a constant weight: the codes, their zero point and scale per output channel.
struct WeightCodes {
  Tensor codes;
  std::vector<int64_t> zeroPoint; // one, or one per output channel
  std::vector<double> scale;      // one, or one per output channel
};

// Codes of an activation: a per-tensor dequantize of integer codes.
struct ActivationCodes {
  ValueId codes = kNoValue;
  int64_t zeroPoint = 0;
  double scale = 1;
};

// The reachable range of an accumulator, per channel along `axis`.
struct AccRange {
  int64_t axis = 0;
  std::vector<int64_t> lo;
  std::vector<int64_t> hi;
};

// One op of a float chain, rewritten to act on a [B, C] tensor (channels on axis 1) with the
// same semantics per element; `operands` holds its constant operands and nullptr at `position`,
// where the chain value goes.
struct ChainStep {
  Op op;
  std::vector<std::optional<Tensor>> operands;
  size_t position = 0;
};

class StreamlinePass : public Pass {
public:
  explicit StreamlinePass(PassOptions options) : options_(std::move(options)) {}
  std::string name() const override { return "streamline"; }
  Level resultLevel(Level) const override { return kQuantizedLevel; }

  void run(Graph &graph) override {
    Builder builder(graph);
    g_ = &graph;
    b_ = &builder;
    ranges_.clear();
    folded_.clear();
    size_t count = graph.ops.size();
    for (size_t i = 0; i < count; ++i) {
      const std::string &kind = graph.ops[i].kind;
      if (kind == "max_pool" || kind == "reshape" || kind == "transpose" || kind == "resize")
        sinkDequantize(i);
    }
    count = graph.ops.size();
    for (size_t i = 0; i < count; ++i) {
      const std::string &kind = graph.ops[i].kind;
      if (kind == "conv" || kind == "matmul" || kind == "gemm")
        attempt(graph.ops[i], afterCodes(graph.ops[i].inputs[0]),
                [&](const Op &op) { makeIntegerMac(op); });
    }
    count = graph.ops.size();
    for (size_t i = 0; i < count; ++i)
      if (graph.ops[i].kind == "quantize")
        attempt(graph.ops[i], true, [&](const Op &op) { foldIntoThreshold(op); });
    sortOps(graph);
    removeDeadOps(graph);
  }

private:
  // Runs `rewrite` on a copy of `op` (creating ops reallocates graph.ops); a rejection is a
  // warning when `report` (or an error under --strict), else silent.
  template <typename F> void attempt(const Op &original, bool report, F &&rewrite) {
    Op op = original;
    try {
      rewrite(op);
    } catch (const NotStreamlined &n) {
      if (!report || n.reason.empty()) return;
      if (options_.strict)
        fail("streamline: {} cannot be made integer: {}", op.describe(), n.reason);
      warn("streamline: {} stays float: {}", op.describe(), n.reason);
    }
  }

  // Uses of `from` now read `to`, which takes over its name (`from` becomes dead).
  void replaceValue(ValueId from, ValueId to) {
    bool output = isGraphOutput(*g_, from);
    if (!replaceAllUses(*g_, from, to))
      fail("internal: streamline cannot replace value '{}'", g_->value(from).name);
    if (!output) std::swap(g_->value(from).name, g_->value(to).name);
  }

  // The value of `v` when it depends on constants only (a constant, the dequantize of constant
  // codes, a quantizer of a constant bias, ...), computed with the interpreter; else nullptr.
  const Tensor *constantOf(ValueId v) {
    if (v == kNoValue) return nullptr;
    if (const Tensor *c = g_->constantValue(v)) return c;
    if (auto it = folded_.find(v); it != folded_.end()) return it->second ? &*it->second : nullptr;
    folded_[v] = std::nullopt; // also ends cycles through unfinished ops
    const Op *op = g_->definingOp(v);
    if (!op || op->inputs.empty()) return nullptr;
    Op copy = *op;
    std::vector<const Tensor *> operands;
    for (ValueId in : copy.inputs) {
      const Tensor *c = in == kNoValue ? nullptr : constantOf(in);
      if (in != kNoValue && !c) return nullptr;
      operands.push_back(c);
    }
    std::vector<Tensor> results = evaluateOp(copy, operands);
    for (size_t i = 0; i < copy.outputs.size(); ++i)
      folded_[copy.outputs[i]] = std::move(results[i]);
    return &*folded_[v];
  }

  const Op *dequantizeOfCodes(ValueId v) const {
    const Op *d = g_->definingOp(v);
    if (!d || d->kind != "dequantize" || !isCodeType(g_->type(d->inputs[0]).dtype)) return nullptr;
    return d;
  }

  // ---- 1. layout ops move to the codes -----------------------------------------------------

  void sinkDequantize(size_t index) {
    Op op = g_->ops[index];
    if (op.outputs.size() != 1) return;
    const Op *dq = dequantizeOfCodes(op.inputs[0]);
    if (!dq) return;
    Op deq = *dq;
    int64_t axis = deq.getInt("axis");
    const std::vector<double> &scale = deq.getFloats("scale");
    // Nearest resizing picks elements; per channel it would need the channel axis kept.
    if (op.kind == "resize" && (op.getString("mode") != "nearest" || axis >= 0)) return;
    if (op.kind == "max_pool") {
      // The max of codes is the code of the max only where a larger code is a larger value.
      if (axis > 1) return;
      for (double s : scale)
        if (!(s > 0)) return;
    }
    ValueId codes = deq.inputs[0];
    std::optional<int64_t> moved =
        layoutAxis(op, g_->type(codes).shape, g_->type(op.outputs[0]).shape, axis);
    if (!moved) return;
    std::string name = g_->value(op.outputs[0]).name;
    ValueId movedCodes;
    if (const Tensor *c = constantOf(codes))
      movedCodes = b_->constant(streamline::evaluate1(op, {c}), name + "_codes");
    else
      movedCodes = b_->create1(op.kind, op.name, {codes}, op.attrs, name + "_codes");
    ValueId back = b_->create1("dequantize", deq.name, {movedCodes},
                               dequantizeAttrs(*moved, scale, deq.getFloats("zero_point")), name);
    replaceValue(op.outputs[0], back);
  }

  // ---- 2. integer MACs ---------------------------------------------------------------------

  ActivationCodes activationCodes(ValueId x) const {
    const Op *dq = dequantizeOfCodes(x);
    if (!dq) reject("its input is not dequantized integer codes");
    if (dq->getInt("axis") != -1) reject("its input is quantized per channel");
    ActivationCodes a;
    a.codes = dq->inputs[0];
    a.scale = dq->getFloats("scale")[0];
    double zero = dq->getFloats("zero_point")[0];
    if (!isValueOf(zero, g_->type(a.codes).dtype))
      reject("its input's zero point does not fit the type of its codes");
    a.zeroPoint = static_cast<int64_t>(zero);
    return a;
  }

  // Codes of weight `w` whose output channels lie along `axis`.
  WeightCodes weightCodes(ValueId w, int64_t axis) {
    WeightCodes out;
    if (const Op *dq = dequantizeOfCodes(w)) {
      const Tensor *codes = constantOf(dq->inputs[0]);
      if (!codes) reject("its weight codes are not constant");
      int64_t dqAxis = dq->getInt("axis");
      if (dqAxis != -1 && dqAxis != axis) reject("its weight is not quantized per output channel");
      out.codes = *codes;
      out.scale = dq->getFloats("scale");
      for (double z : dq->getFloats("zero_point")) {
        if (!isValueOf(z, codes->dtype()))
          reject("its weight zero point does not fit the type of its codes");
        out.zeroPoint.push_back(static_cast<int64_t>(z));
      }
      return out;
    }
    const Tensor *c = constantOf(w);
    if (!c) reject("its weight is neither a constant nor dequantized constant codes");
    out.codes = smallIntegerCodes(*c);
    out.scale = {1.0};
    out.zeroPoint = {0};
    return out;
  }

  // A float constant holding small integers as codes with scale 1 (FINN's streamlined weights).
  static Tensor smallIntegerCodes(const Tensor &c) {
    double lo = 0, hi = 0;
    bool signs = true, ternary = true;
    for (int64_t i = 0; i < c.numel(); ++i) {
      double v = c.getDouble(i);
      if (std::trunc(v) != v || std::fabs(v) > 32767)
        reject("its weight is a float constant that is not integer-valued");
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      signs = signs && (v == 1 || v == -1);
      ternary = ternary && std::fabs(v) <= 1;
    }
    QuantInfo q;
    q.scale = {1.0};
    q.zeroPoint = {0.0};
    if (signs) {
      q.encoding = QEncoding::bipolar;
      q.bits = 1;
    } else if (ternary) {
      q.encoding = QEncoding::ternary;
      q.bits = 2;
      q.narrow = true;
    } else {
      q.encoding = lo < 0 ? QEncoding::sint : QEncoding::uint;
      q.bits = lo < 0 ? 2 : 1;
      auto fits = [&] {
        return lo < 0 ? -lo <= std::ldexp(1.0, q.bits - 1) && hi < std::ldexp(1.0, q.bits - 1)
                      : hi < std::ldexp(1.0, q.bits);
      };
      while (!fits()) ++q.bits;
    }
    bool wide = q.bits > 8;
    DType dtype = q.encoding == QEncoding::uint ? (wide ? DType::u16 : DType::u8)
                                                : (wide ? DType::i16 : DType::i8);
    Tensor codes(dtype, c.shape());
    for (int64_t i = 0; i < c.numel(); ++i) codes.setInt(i, static_cast<int64_t>(c.getDouble(i)));
    codes.type().quant = q;
    return codes;
  }

  // Range of sum over taps of (x - zx) * (w - zw) per output channel: `taps` lists, for each
  // output channel, the weight codes it multiplies. 0 is always in the activation's range
  // (padding contributes 0).
  AccRange accRange(const ActivationCodes &a, const WeightCodes &w, int64_t channels,
                    int64_t channelStride, int64_t tapStride, int64_t taps, int64_t axis) const {
    auto [xmin, xmax] = codeRange(g_->type(a.codes));
    int64_t ulo = std::min<int64_t>(0, xmin - a.zeroPoint);
    int64_t uhi = std::max<int64_t>(0, xmax - a.zeroPoint);
    AccRange r;
    r.axis = axis;
    for (int64_t c = 0; c < channels; ++c) {
      int64_t zw = w.zeroPoint.size() == 1 ? w.zeroPoint[0] : w.zeroPoint[static_cast<size_t>(c)];
      int64_t lo = 0, hi = 0;
      for (int64_t t = 0; t < taps; ++t) {
        int64_t v = w.codes.getInt(c * channelStride + t * tapStride) - zw;
        lo += std::min(ulo * v, uhi * v);
        hi += std::max(ulo * v, uhi * v);
      }
      if (lo < std::numeric_limits<int32_t>::min() || hi > std::numeric_limits<int32_t>::max())
        reject("its accumulator may overflow 32 bits");
      r.lo.push_back(lo);
      r.hi.push_back(hi);
    }
    return r;
  }

  // A zero-point operand of `dtype` (one value, or one per channel), or kNoValue when all 0.
  ValueId zeroPointOperand(const std::vector<int64_t> &zp, DType dtype, const std::string &name) {
    if (std::all_of(zp.begin(), zp.end(), [](int64_t z) { return z == 0; })) return kNoValue;
    Tensor t(dtype, zp.size() == 1 ? Shape{} : Shape{static_cast<int64_t>(zp.size())});
    for (size_t i = 0; i < zp.size(); ++i) t.setInt(static_cast<int64_t>(i), zp[i]);
    return b_->constant(std::move(t), name);
  }

  void makeIntegerMac(const Op &mac) {
    const std::string &kind = mac.kind;
    if (kind == "gemm" && mac.getInt("trans_a") != 0) reject("its input is transposed (trans_a)");
    ActivationCodes a = activationCodes(mac.inputs[0]);
    const Shape &wShape = g_->type(mac.inputs[1]).shape;
    if (kind == "matmul" && wShape.size() != 2) reject("its weight is not a matrix");
    bool transB = kind == "gemm" && mac.getInt("trans_b") != 0;
    // Output channels of the weight: conv [M, C/g, k...] axis 0; matmul / gemm [K, N] axis 1.
    int64_t wAxis = kind == "conv" || transB ? 0 : 1;
    WeightCodes w = weightCodes(mac.inputs[1], wAxis);
    if (transB) {
      Op transpose{"transpose", mac.name, {0}, {}, {{"perm", std::vector<int64_t>{1, 0}}}};
      w.codes = streamline::evaluate1(transpose, {&w.codes});
    }
    std::string name = g_->value(mac.outputs[0]).name;
    ValueId wCodes = b_->constant(w.codes, name + "_weight_codes");
    DType xType = g_->type(a.codes).dtype;
    ValueId xZero = zeroPointOperand({a.zeroPoint}, xType, name + "_x_zero_point");
    ValueId wZero = zeroPointOperand(w.zeroPoint, w.codes.dtype(), name + "_w_zero_point");
    std::vector<ValueId> operands{a.codes, wCodes, xZero, wZero};
    while (operands.back() == kNoValue) operands.pop_back();

    AccRange range;
    ValueId acc;
    const Shape &ws = w.codes.shape();
    if (kind == "conv") {
      int64_t filter = w.codes.numel() / ws[0];
      range = accRange(a, w, ws[0], filter, 1, filter, 1);
      Attrs attrs = mac.attrs;
      acc = b_->create1("conv_integer", mac.name, std::move(operands), std::move(attrs),
                        name + "_acc");
    } else {
      range = accRange(a, w, ws[1], 1, ws[1], ws[0], g_->type(mac.outputs[0]).rank() - 1);
      acc = b_->create1("matmul_integer", mac.name, std::move(operands), {}, name + "_acc");
    }
    std::vector<double> scale;
    for (double sw : w.scale) scale.push_back(a.scale * sw);
    int64_t axis = scale.size() == 1 ? -1 : range.axis;
    ValueId y = b_->create1("dequantize", mac.name, {acc},
                            dequantizeAttrs(axis, scale, std::vector<double>(scale.size(), 0.0)),
                            name + "_real");
    y = addMacEpilogue(mac, y, name);
    ranges_[acc] = std::move(range);
    replaceValue(mac.outputs[0], y);
  }

  // An op, or the constant it computes when its operands are constants (so that the float
  // chain it starts has one non-constant operand per op).
  ValueId create(const std::string &kind, const std::string &opName, std::vector<ValueId> inputs,
                 Attrs attrs, const std::string &resultName) {
    std::vector<const Tensor *> constants;
    for (ValueId in : inputs) constants.push_back(constantOf(in));
    if (std::find(constants.begin(), constants.end(), nullptr) != constants.end())
      return b_->create1(kind, opName, std::move(inputs), std::move(attrs), resultName);
    Op op{kind, opName, std::move(inputs), {}, std::move(attrs)};
    return b_->constant(streamline::evaluate1(op, constants), resultName);
  }

  // The float steps after the product: conv bias; gemm's alpha and beta * c, each rounded like
  // the float op rounds them.
  ValueId addMacEpilogue(const Op &mac, ValueId y, const std::string &name) {
    ValueId extra = mac.inputs.size() > 2 ? mac.inputs[2] : kNoValue;
    if (mac.kind == "conv") {
      if (extra == kNoValue) return y;
      Shape shape(static_cast<size_t>(g_->type(y).rank()), 1);
      shape[1] = g_->type(extra).shape[0];
      ValueId bias = create("reshape", mac.name, {extra}, {{"shape", shape}}, name + "_bias");
      return b_->create1("add", mac.name, {y, bias}, {}, name + "_biased");
    }
    if (mac.kind != "gemm") return y;
    double alpha = mac.getFloat("alpha"), beta = mac.getFloat("beta");
    if (static_cast<float>(alpha) != 1.0f) {
      ValueId a = b_->constant(Tensor::scalar(DType::f32, alpha), name + "_alpha");
      y = b_->create1("mul", mac.name, {y, a}, {}, name + "_scaled");
    }
    if (extra == kNoValue) return y;
    if (static_cast<float>(beta) != 1.0f) {
      ValueId bt = b_->constant(Tensor::scalar(DType::f32, beta), name + "_beta");
      extra = create("mul", mac.name, {extra, bt}, {}, name + "_c");
    }
    return b_->create1("add", mac.name, {y, extra}, {}, name + "_biased");
  }

  // ---- 3. thresholds -----------------------------------------------------------------------

  // True when a dequantize of values that are not constants (weights do not count) is upstream
  // of `v`: `v` is between quantizers.
  bool afterCodes(ValueId v) {
    std::vector<ValueId> stack{v};
    std::vector<char> seen(g_->values.size(), 0);
    while (!stack.empty()) {
      ValueId id = stack.back();
      stack.pop_back();
      if (id == kNoValue || seen[static_cast<size_t>(id)]) continue;
      seen[static_cast<size_t>(id)] = 1;
      const Op *op = g_->definingOp(id);
      if (!op || constantOf(id)) continue;
      if (op->kind == "dequantize") return true;
      stack.insert(stack.end(), op->inputs.begin(), op->inputs.end());
    }
    return false;
  }

  // The ops from a dequantize of integers to `quantize`, in execution order, starting with the
  // dequantize; each has exactly one operand that is not a constant.
  std::vector<Op> chainTo(const Op &quantize) {
    std::vector<Op> chain;
    ValueId v = quantize.inputs[0];
    while (true) {
      const Op *op = g_->definingOp(v);
      if (!op || chain.size() > 64) break;
      chain.push_back(*op);
      if (op->kind == "dequantize") {
        if (!isInteger(g_->type(op->inputs[0]).dtype)) break;
        std::reverse(chain.begin(), chain.end());
        return chain;
      }
      ValueId next = kNoValue;
      int variable = 0;
      for (ValueId in : op->inputs)
        if (in != kNoValue && !constantOf(in)) {
          next = in;
          ++variable;
        }
      if (variable != 1) break;
      v = next;
    }
    if (!afterCodes(quantize.inputs[0])) reject(""); // the first quantizer: float before it
    const Op &last = chain.empty() ? quantize : chain.back();
    reject(fmt::format("{} between quantizers is not a chain of per-channel float ops",
                       last.describe()));
  }

  // The reachable range of the integer a chain starts from.
  AccRange rangeOf(ValueId q, const Op &dequantize) const {
    if (auto it = ranges_.find(q); it != ranges_.end()) return it->second;
    const TensorType &t = g_->type(q);
    if (!isCodeType(t.dtype) || t.rank() == 0) reject("its integer input is wider than 16 bits");
    int64_t axis = dequantize.getInt("axis");
    if (axis < 0) axis = t.rank() >= 2 ? 1 : 0;
    auto [lo, hi] = codeRange(t);
    auto channels = static_cast<size_t>(t.shape[static_cast<size_t>(axis)]);
    return AccRange{axis, std::vector<int64_t>(channels, lo), std::vector<int64_t>(channels, hi)};
  }

  // A constant operand as per-channel values along `axis` of `shape`, shaped [1, C].
  static Tensor channelConstant(const Op &op, const Tensor &c, const Shape &shape, int64_t axis) {
    std::optional<std::vector<double>> values = valuesAlongAxis(c, shape, axis);
    if (!values) reject(fmt::format("{} has an operand that is not per channel", op.describe()));
    Tensor t(c.dtype(), {1, static_cast<int64_t>(values->size())});
    for (size_t i = 0; i < values->size(); ++i) t.setDouble(static_cast<int64_t>(i), (*values)[i]);
    return t;
  }

  static void requireFinite(const Op &op, double v) {
    if (!std::isfinite(v))
      reject(fmt::format("{} has a constant {} that is not finite", op.describe(), v));
  }

  // Rewrites chain op `op` (its input of shape `shape`, channels along `axis`) for [B, C]
  // evaluation and multiplies `direction` by its monotonicity per channel (+1 increasing, -1
  // decreasing, 0 constant). Returns false for layout ops, which need no evaluation.
  bool canonicalStep(const Op &op, const Shape &shape, int64_t axis, ChainStep &step,
                     std::vector<int> &direction) {
    const std::string &k = op.kind;
    step.op = op;
    step.operands.assign(op.inputs.size(), std::nullopt);
    step.position = 0;
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      if (op.inputs[i] == kNoValue) continue;
      if (const Tensor *c = constantOf(op.inputs[i]))
        step.operands[i] = *c;
      else
        step.position = i;
    }
    auto times = [&](size_t c, double sign) { direction[c] *= sign > 0 ? 1 : sign < 0 ? -1 : 0; };
    auto channels = static_cast<size_t>(shape[static_cast<size_t>(axis)]);
    if (g_->type(op.outputs[0]).shape != shape && k != "reshape" && k != "transpose")
      reject(fmt::format("{} changes the shape of the chain", op.describe()));
    if (k == "reshape" || k == "transpose") return false;
    if (k == "add" || k == "sub" || k == "mul" || k == "div" || k == "max" || k == "min") {
      if (op.inputs.size() != 2 || g_->type(op.outputs[0]).dtype != DType::f32)
        reject(fmt::format("{} is not a binary f32 op", op.describe()));
      size_t other = 1 - step.position;
      Tensor c = channelConstant(op, *step.operands[other], shape, axis);
      for (size_t ch = 0; ch < channels; ++ch) {
        double v = c.getDouble(static_cast<int64_t>(ch));
        requireFinite(op, v);
        if (k == "mul") times(ch, v);
        if (k == "div") {
          if (step.position != 0 || v == 0)
            reject(fmt::format("{} divides by the chain or by zero", op.describe()));
          times(ch, v);
        }
        if (k == "sub" && step.position == 1) times(ch, -1);
      }
      step.operands[other] = std::move(c);
      return true;
    }
    if (k == "batch_normalization") {
      if (axis != 1 || step.position != 0)
        reject(fmt::format("{} normalizes another axis than the chain's channels", op.describe()));
      Shape perActivation(shape.begin() + 1, shape.end());
      std::vector<std::vector<double>> params;
      for (size_t i = 1; i < 5; ++i) {
        const Tensor &p = *step.operands[i];
        std::optional<std::vector<double>> v;
        if (p.shape().size() == 1) {
          v.emplace();
          for (int64_t j = 0; j < p.numel(); ++j) v->push_back(p.getDouble(j));
        } else {
          v = valuesAlongAxis(p, perActivation, 0);
        }
        if (!v) reject(fmt::format("{} has statistics that vary inside a channel", op.describe()));
        Tensor t(p.dtype(), {static_cast<int64_t>(v->size())});
        for (size_t j = 0; j < v->size(); ++j) t.setDouble(static_cast<int64_t>(j), (*v)[j]);
        step.operands[i] = std::move(t);
        params.push_back(std::move(*v));
      }
      auto eps = static_cast<float>(op.getFloat("epsilon"));
      for (size_t ch = 0; ch < channels; ++ch) {
        for (const auto &p : params) requireFinite(op, p[ch]);
        float denominator = std::sqrt(static_cast<float>(params[3][ch]) + eps);
        if (!(denominator > 0) || !std::isfinite(denominator))
          reject(fmt::format("{} has a variance + epsilon that is not positive", op.describe()));
        times(ch, params[0][ch]);
      }
      return true;
    }
    if (k == "relu" || k == "neg") {
      if (k == "neg")
        for (size_t ch = 0; ch < channels; ++ch) times(ch, -1);
      return true;
    }
    if (k == "leaky_relu") {
      if (!(op.getFloat("alpha") >= 0))
        reject(fmt::format("{} has a negative slope", op.describe()));
      return true;
    }
    if (k == "clip") {
      for (size_t i = 1; i < op.inputs.size(); ++i)
        if (step.operands[i] && std::isnan(step.operands[i]->getDouble(0)))
          reject(fmt::format("{} has a NaN bound", op.describe()));
      return true;
    }
    if (k == "multi_threshold") {
      if (step.position != 0 || op.getInt("axis") != axis)
        reject(fmt::format("{} thresholds another axis than the chain's channels", op.describe()));
      step.op.attrs["axis"] = int64_t{1};
      return true;
    }
    reject(fmt::format("{} is not a per-channel monotone float op", op.describe()));
  }

  // The chain, rewritten for [B, C] evaluation: dequantize first, quantize last.
  struct Chain {
    ChainStep start;
    std::vector<ChainStep> steps;
    ChainStep end;
    std::vector<Op> layout; // reshape / transpose ops to replay on the codes
    std::vector<int> direction;
  };

  Chain canonicalChain(const std::vector<Op> &ops, const Op &quantize, const AccRange &range) {
    Chain chain;
    const Op &dq = ops.front();
    Shape shape = g_->type(dq.outputs[0]).shape;
    int64_t axis = range.axis;
    chain.direction.assign(range.lo.size(), 1);
    int64_t dqAxis = dq.getInt("axis");
    if (dqAxis != -1 && dqAxis != axis) reject("its dequantize is along another axis");
    // The dequantize's sign: a negative scale (s_x * s_w[c] < 0) reverses the order.
    const std::vector<double> &dqScale = dq.getFloats("scale");
    for (size_t c = 0; c < chain.direction.size(); ++c) {
      double s = dqScale[dqScale.size() == 1 ? 0 : c];
      requireFinite(dq, s);
      chain.direction[c] = s > 0 ? 1 : s < 0 ? -1 : 0;
    }
    chain.start.op = dq;
    chain.start.op.attrs["axis"] = int64_t{dqAxis < 0 ? -1 : 1};
    chain.start.operands.assign(1, std::nullopt);
    for (size_t i = 1; i < ops.size(); ++i) {
      ChainStep step;
      if (canonicalStep(ops[i], shape, axis, step, chain.direction)) {
        chain.steps.push_back(std::move(step));
      } else {
        const Shape &out = g_->type(ops[i].outputs[0]).shape;
        std::optional<int64_t> moved = layoutAxis(ops[i], shape, out, axis);
        if (!moved) reject(fmt::format("{} moves the channel axis away", ops[i].describe()));
        axis = *moved;
        shape = out;
        chain.layout.push_back(ops[i]);
      }
    }
    int64_t qAxis = quantize.getInt("axis");
    if (qAxis != -1 && qAxis != axis) reject("it quantizes along another axis than the channels");
    if (quantize.getString("form") != "bipolar")
      for (double s : quantize.getFloats("scale"))
        if (s == 0 || !std::isfinite(s)) reject("its scale is zero or not finite");
    chain.end.op = quantize;
    chain.end.op.attrs["axis"] = int64_t{qAxis < 0 ? -1 : 1};
    chain.end.operands.assign(1, std::nullopt);
    if (quantize.getString("form") != "bipolar") {
      const std::vector<double> &scale = quantize.getFloats("scale");
      for (size_t c = 0; c < chain.direction.size(); ++c)
        chain.direction[c] *= scale[scale.size() == 1 ? 0 : c] > 0 ? 1 : -1;
    }
    return chain;
  }

  static Tensor evalStep(const ChainStep &step, const Tensor &value) {
    std::vector<const Tensor *> in;
    for (size_t i = 0; i < step.operands.size(); ++i)
      in.push_back(i == step.position ? &value : step.operands[i] ? &*step.operands[i] : nullptr);
    return evaluateOp(step.op, in).at(0);
  }

  // Codes the chain gives for the integers `acc` ([B, C], channels on axis 1).
  static Tensor evalChain(const Chain &chain, const Tensor &acc) {
    Tensor v = evalStep(chain.start, acc);
    for (const ChainStep &step : chain.steps) v = evalStep(step, v);
    return evalStep(chain.end, v);
  }

  // Level index of a code: its count of thresholds reached.
  static int64_t levelOf(const QuantInfo &q, int64_t code) {
    return q.encoding == QEncoding::bipolar ? (code + 1) / 2 : code - q.minCode();
  }

  // thresholds[c][j]: for an increasing channel the smallest integer in range at which the code
  // reaches level j + 1 (hi + 1 if none), for a decreasing one the largest (lo - 1 if none).
  static std::vector<std::vector<int64_t>>
  searchThresholds(const Chain &chain, const AccRange &range, const QuantInfo &q, int64_t levels) {
    size_t channels = range.lo.size();
    auto rows = static_cast<size_t>(levels);
    std::vector<std::vector<int64_t>> low(rows), high(rows);
    for (size_t j = 0; j < rows; ++j)
      for (size_t c = 0; c < channels; ++c) {
        bool down = chain.direction[c] < 0;
        low[j].push_back(down ? range.lo[c] - 1 : range.lo[c]);
        high[j].push_back(down ? range.hi[c] : range.hi[c] + 1);
      }
    Tensor probe(DType::i32, {levels, static_cast<int64_t>(channels)});
    while (true) {
      bool open = false;
      for (size_t j = 0; j < rows; ++j)
        for (size_t c = 0; c < channels; ++c) {
          int64_t l = low[j][c], h = high[j][c];
          bool down = chain.direction[c] < 0;
          int64_t mid = l == h ? std::clamp(l, range.lo[c], range.hi[c])
                        : down ? l + (h - l + 1) / 2
                               : l + (h - l) / 2;
          open = open || l != h;
          probe.data<int32_t>()[j * channels + c] = static_cast<int32_t>(mid);
        }
      if (!open) break;
      Tensor codes = evalChain(chain, probe);
      for (size_t j = 0; j < rows; ++j)
        for (size_t c = 0; c < channels; ++c) {
          int64_t &l = low[j][c], &h = high[j][c];
          if (l == h) continue;
          size_t at = j * channels + c;
          int64_t mid = probe.data<int32_t>()[at];
          bool reached =
              levelOf(q, codes.getInt(static_cast<int64_t>(at))) >= static_cast<int64_t>(j) + 1;
          if (chain.direction[c] < 0) {
            if (reached)
              l = mid;
            else
              h = mid - 1;
          } else {
            if (reached)
              h = mid;
            else
              l = mid + 1;
          }
        }
    }
    return low;
  }

  // Evaluates the chain and the threshold op on the same integers and compares the codes:
  // every integer in range when the widest range has at most 2^16 values, else the ends of the
  // range and both sides of every threshold.
  static bool thresholdsMatch(const Chain &chain, const AccRange &range, const Op &threshold,
                              const Tensor &thresholds,
                              const std::vector<std::vector<int64_t>> &byLevel) {
    size_t channels = range.lo.size();
    if (channels == 0) return true;
    int64_t widest = 0;
    for (size_t c = 0; c < channels; ++c) widest = std::max(widest, range.hi[c] - range.lo[c] + 1);
    bool exhaustive = widest <= (int64_t{1} << 16);
    std::vector<std::vector<int64_t>> samples(channels);
    auto count = static_cast<size_t>(widest);
    if (!exhaustive) {
      for (size_t c = 0; c < channels; ++c) {
        samples[c] = {range.lo[c], range.hi[c]};
        for (const auto &level : byLevel)
          for (int64_t d = -1; d <= 1; ++d)
            samples[c].push_back(std::clamp(level[c] + d, range.lo[c], range.hi[c]));
      }
      count = samples[0].size();
    }
    // Sample r of channel c (the last one again where a channel has fewer).
    auto sample = [&](size_t c, size_t r) {
      if (exhaustive) return std::min(range.lo[c] + static_cast<int64_t>(r), range.hi[c]);
      return samples[c][std::min(r, samples[c].size() - 1)];
    };
    const size_t chunk = 4096;
    for (size_t first = 0; first < count; first += chunk) {
      size_t rows = std::min(chunk, count - first);
      Tensor probe(DType::i32, {static_cast<int64_t>(rows), static_cast<int64_t>(channels)});
      for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < channels; ++c)
          probe.data<int32_t>()[r * channels + c] = static_cast<int32_t>(sample(c, first + r));
      Tensor expected = evalChain(chain, probe);
      Tensor actual = streamline::evaluate1(threshold, {&probe, &thresholds});
      for (int64_t i = 0; i < expected.numel(); ++i)
        if (expected.getInt(i) != actual.getInt(i)) return false;
    }
    return true;
  }

  void foldIntoThreshold(const Op &quantize) {
    std::vector<Op> ops = chainTo(quantize);
    ValueId source = ops.front().inputs[0];
    AccRange range = rangeOf(source, ops.front());
    QuantInfo q = *g_->type(quantize.outputs[0]).quant;
    int64_t levels = q.encoding == QEncoding::bipolar ? 1 : q.maxCode() - q.minCode();
    if (levels > 255) reject("its codes have more than 8 bits (too many thresholds)");
    if (levels < 1) reject("its codes have a single value");
    Chain chain = canonicalChain(ops, quantize, range);
    std::vector<std::vector<int64_t>> byLevel = searchThresholds(chain, range, q, levels);

    auto channels = static_cast<int64_t>(range.lo.size());
    std::vector<int64_t> values, descending;
    bool anyDescending = false;
    for (int64_t c = 0; c < channels; ++c) {
      bool down = chain.direction[static_cast<size_t>(c)] < 0;
      anyDescending = anyDescending || down;
      descending.push_back(down ? 1 : 0);
      for (int64_t j = 0; j < levels; ++j)
        values.push_back(byLevel[static_cast<size_t>(j)][static_cast<size_t>(c)]);
    }
    if (!anyDescending) descending.clear();
    Tensor thresholds = int64Tensor({channels, levels}, values);
    Attrs attrs = codeAttrs(q);
    attrs["descending"] = descending;
    attrs["axis"] = int64_t{1};
    Op check{"threshold", quantize.name, {0, 1}, {}, attrs};
    if (!thresholdsMatch(chain, range, check, thresholds, byLevel))
      reject("its float ops are not monotone per channel over the integer range");

    if (isIdentity(source, quantize, chain, check, thresholds)) {
      replaceValue(quantize.outputs[0], source);
      return;
    }
    std::string name = g_->value(quantize.outputs[0]).name;
    attrs["axis"] = range.axis;
    ValueId t = b_->constant(std::move(thresholds), name + "_thresholds");
    ValueId codes = b_->create1("threshold", quantize.name, {source, t}, attrs, name);
    codes = replayLayout(chain.layout, codes, name);
    if (!(g_->type(codes) == g_->type(quantize.outputs[0])))
      reject("the codes of the threshold do not have the quantizer's type");
    replaceValue(quantize.outputs[0], codes);
  }

  // True when the chain requantizes codes to themselves (a QDQ pair around a max_pool, say):
  // `source` has the quantizer's type and every code it can hold maps to itself.
  bool isIdentity(ValueId source, const Op &quantize, const Chain &chain, const Op &threshold,
                  const Tensor &thresholds) const {
    const TensorType &type = g_->type(source);
    if (ranges_.count(source) || !chain.layout.empty() || !(type == g_->type(quantize.outputs[0])))
      return false;
    const QuantInfo &q = *type.quant;
    auto channels = static_cast<int64_t>(chain.direction.size());
    int64_t count = q.maxCode() - q.minCode() + 1;
    Tensor probe(DType::i32, {count, channels});
    for (int64_t v = 0; v < count; ++v)
      for (int64_t c = 0; c < channels; ++c)
        probe.data<int32_t>()[v * channels + c] = static_cast<int32_t>(q.minCode() + v);
    Tensor codes = streamline::evaluate1(threshold, {&probe, &thresholds});
    for (int64_t i = 0; i < codes.numel(); ++i) {
      int64_t code = probe.data<int32_t>()[i];
      bool holdable = q.encoding != QEncoding::bipolar || code != 0;
      if (holdable && codes.getInt(i) != code) return false;
    }
    return true;
  }

  // Applies the chain's reshapes and transposes to `codes`; consecutive reshapes become one,
  // and none when it would not change the shape.
  ValueId replayLayout(const std::vector<Op> &layout, ValueId codes, const std::string &name) {
    const Op *reshape = nullptr; // the last of a run of reshapes not yet applied
    auto flush = [&] {
      if (reshape && g_->type(codes).shape != reshape->getInts("shape"))
        codes = b_->create1("reshape", reshape->name, {codes}, reshape->attrs, name);
      reshape = nullptr;
    };
    for (const Op &op : layout) {
      if (op.kind == "reshape") {
        reshape = &op;
        continue;
      }
      flush();
      codes = b_->create1(op.kind, op.name, {codes}, op.attrs, name);
    }
    flush();
    return codes;
  }

  PassOptions options_;
  Graph *g_ = nullptr;
  Builder *b_ = nullptr;
  std::map<ValueId, AccRange> ranges_;              // accumulators made by step 2
  std::map<ValueId, std::optional<Tensor>> folded_; // constantOf() of values that are not constants
};

const PassRegistration registration{
    {"streamline",
     "integer MACs on the codes, and the float ops between an accumulator and the next "
     "quantizer folded into per-channel integer thresholds",
     [](const PassOptions &o) { return std::make_unique<StreamlinePass>(o); }}};

} // namespace
} // namespace qcc
