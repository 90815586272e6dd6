// qdq_to_quantized: makes the integer codes of every quantizer explicit. Each quantizer becomes a
// `quantize` (float -> codes) and a `dequantize` (codes -> float) that together compute exactly
// what it computed, so the float ops after it see the same values while streamline can reach the
// codes:
// - QONNX quant / bipolar_quant with constant scale and zero point (per tensor or per channel);
// - a QDQ dequantize_linear of codes: of a quantize_linear (the pair), of constant codes, or of
//   any other integer value;
// - multi_threshold whose output is out_scale * count + out_bias with integer codes: it stays a
//   float compare (that is what it is on float input) followed by the quantize of its output;
//   one zero threshold with bipolar output is bipolar quantization itself and becomes a quantize.
// Quantizers of constants (weights) fold to constant codes, and to float constants where they
// cannot be codes (an int32 bias). A quantizer that cannot be converted (non-constant or blocked
// parameters, more than 16 bits, a zero scale, ...) stays as it is with a warning naming it, or
// fails under --strict. docs/passes.md describes the pass.
#include "ir/builder.h"
#include "ir/diagnostics.h"
#include "ir/error.h"
#include "ir/interpreter.h"
#include "passes/graph_rewrite.h"
#include "passes/pass_registry.h"
#include "passes/streamline_quant.h"

#include <cmath>
#include <map>
#include <optional>

namespace qcc {
namespace {

using streamline::ChannelValues;
using streamline::codeAttrs;
using streamline::dequantizeAttrs;

// A quantizer that cannot be converted: the reason, for the warning.
struct Unconvertible {
  std::string reason;
};

// The codes a quantizer produces: their quantization, and the quantize op's form and rounding.
struct CodeSpec {
  QuantInfo quant;
  std::string form;
  std::string rounding = "ROUND";
};

Attrs quantizeAttrs(const CodeSpec &spec) {
  Attrs attrs = codeAttrs(spec.quant);
  attrs["axis"] = int64_t{spec.quant.axis};
  attrs["form"] = spec.form;
  attrs["rounding_mode"] = spec.rounding;
  return attrs;
}

// Scale (finite, non-zero) and zero point (integral) lists as float32 values: the quantizer
// ops read their parameters as float32.
void checkParams(std::vector<double> &scale, std::vector<double> &zero) {
  for (double &s : scale) {
    s = static_cast<float>(s);
    if (!std::isfinite(s) || s == 0)
      throw Unconvertible{fmt::format("its scale {} is zero or not finite", s)};
  }
  for (double &z : zero) {
    z = static_cast<float>(z);
    if (std::trunc(z) != z || std::fabs(z) > 65536)
      throw Unconvertible{fmt::format("its zero point {} is not a small integer", z)};
  }
}

// QuantInfo of the `bits`-bit codes of an ONNX integer type.
QuantInfo linearCodes(DType t) {
  QuantInfo q;
  q.encoding = isSigned(t) ? QEncoding::sint : QEncoding::uint;
  q.bits = bitWidth(t);
  return q;
}

class QdqToQuantizedPass : public Pass {
public:
  explicit QdqToQuantizedPass(PassOptions options) : options_(std::move(options)) {}
  std::string name() const override { return "qdq_to_quantized"; }
  Level resultLevel(Level) const override { return kQuantizedLevel; }

  void run(Graph &graph) override {
    Builder builder(graph);
    g_ = &graph;
    b_ = &builder;
    codesOf_.clear();
    size_t count = graph.ops.size();
    for (size_t i = 0; i < count; ++i) {
      Op op = graph.ops[i]; // a copy: creating ops reallocates graph.ops
      try {
        std::optional<ValueId> replacement = convert(op);
        if (replacement) replaceValue(op.outputs[0], *replacement);
      } catch (const Unconvertible &u) {
        if (foldConstant(op)) continue;
        if (options_.strict)
          fail("qdq_to_quantized: {} cannot be made integer: {}", op.describe(), u.reason);
        warn("qdq_to_quantized: {} stays float: {}", op.describe(), u.reason);
      }
    }
    sortOps(graph);
    removeDeadOps(graph);
  }

private:
  std::optional<ValueId> convert(const Op &op) {
    if (op.kind == "quant") return convertQuant(op);
    if (op.kind == "bipolar_quant") return convertBipolarQuant(op);
    if (op.kind == "dequantize_linear") return convertDequantizeLinear(op);
    if (op.kind == "multi_threshold") return convertMultiThreshold(op);
    return std::nullopt;
  }

  // A quantizer of constants that cannot become codes (an i32 bias, a 32-bit quant of one)
  // becomes the float constant it computes.
  bool foldConstant(const Op &op) {
    std::vector<const Tensor *> operands;
    for (ValueId in : op.inputs) {
      const Tensor *c = in == kNoValue ? nullptr : g_->constantValue(in);
      if (in != kNoValue && !c) return false;
      operands.push_back(c);
    }
    Tensor value = streamline::evaluate1(op, operands);
    replaceValue(op.outputs[0], b_->constant(std::move(value), g_->value(op.outputs[0]).name));
    return true;
  }

  // Uses of `from` now read `to`, which takes over its name (`from` becomes dead).
  void replaceValue(ValueId from, ValueId to) {
    bool output = isGraphOutput(*g_, from);
    if (!replaceAllUses(*g_, from, to))
      fail("internal: qdq_to_quantized cannot replace value '{}'", g_->value(from).name);
    if (!output) std::swap(g_->value(from).name, g_->value(to).name);
  }

  const Tensor &requireConstant(ValueId id, const char *what) {
    const Tensor *t = id == kNoValue ? nullptr : g_->constantValue(id);
    if (!t) throw Unconvertible{fmt::format("its {} is not a constant", what)};
    return *t;
  }

  // Codes of `x` under `spec`: constant codes when x is a constant, else a quantize op.
  ValueId quantize(const Op &op, ValueId x, const CodeSpec &spec) {
    Attrs attrs = quantizeAttrs(spec);
    std::string codesName = g_->value(op.outputs[0]).name + "_codes";
    if (const Tensor *c = g_->constantValue(x)) {
      Op fold{"quantize", op.name, {x}, {}, attrs};
      return b_->constant(streamline::evaluate1(fold, {c}), codesName);
    }
    return b_->create1("quantize", op.name, {x}, std::move(attrs), codesName);
  }

  ValueId dequantize(const Op &op, ValueId codes, const QuantInfo &q) {
    return b_->create1("dequantize", op.name, {codes},
                       dequantizeAttrs(q.axis, q.scale, q.zeroPoint),
                       g_->value(op.outputs[0]).name);
  }

  // Scale and zero point operands of a QONNX quantizer as lists along one axis of its output.
  void readQonnxParams(const Op &op, QuantInfo &q, ValueId zero) {
    const Shape &shape = g_->type(op.inputs[0]).shape;
    if (g_->type(op.outputs[0]).shape != shape)
      throw Unconvertible{"its parameters broadcast its input to a larger shape"};
    std::optional<ChannelValues> s =
        streamline::channelValues(requireConstant(op.inputs[1], "scale"), shape);
    std::optional<ChannelValues> z =
        zero == kNoValue ? std::optional(ChannelValues{-1, {0.0}})
                         : streamline::channelValues(requireConstant(zero, "zero point"), shape);
    std::optional<int64_t> axis = s && z ? streamline::commonAxis(*s, *z) : std::nullopt;
    if (!axis)
      throw Unconvertible{
          "its scale and zero point are not per tensor or per channel along one axis"};
    checkParams(s->values, z->values);
    q.axis = static_cast<int>(*axis);
    q.scale = std::move(s->values);
    q.zeroPoint = std::move(z->values);
  }

  ValueId convertQuant(const Op &op) {
    CodeSpec spec;
    int64_t bits = op.getInt("bits");
    bool isSignedQuant = op.getInt("signed") == 1;
    spec.quant.narrow = op.getInt("narrow") == 1;
    if (bits > 16) throw Unconvertible{fmt::format("{}-bit codes are wider than 16 bits", bits)};
    spec.quant.bits = static_cast<int>(bits);
    if (!isSignedQuant)
      spec.quant.encoding = QEncoding::uint;
    else if (bits == 2 && spec.quant.narrow)
      spec.quant.encoding = QEncoding::ternary;
    else
      spec.quant.encoding = QEncoding::sint;
    spec.form = "qonnx";
    spec.rounding = op.getString("rounding_mode");
    readQonnxParams(op, spec.quant, op.inputs[2]);
    return dequantize(op, quantize(op, op.inputs[0], spec), spec.quant);
  }

  ValueId convertBipolarQuant(const Op &op) {
    CodeSpec spec;
    spec.quant.encoding = QEncoding::bipolar;
    spec.quant.bits = 1;
    spec.form = "bipolar";
    readQonnxParams(op, spec.quant, kNoValue);
    return dequantize(op, quantize(op, op.inputs[0], spec), spec.quant);
  }

  // Scale and zero point of a QDQ op (operands 1 and 2) as lists along its canonical axis.
  QuantInfo readLinearParams(const Op &op) {
    if (op.getInt("block_size", 0) != 0)
      throw Unconvertible{"blocked quantization is not supported"};
    QuantInfo q;
    const Tensor &scale = requireConstant(op.inputs[1], "scale");
    if (scale.dtype() != DType::f32) throw Unconvertible{"its scale is not f32"};
    ValueId zeroId = op.inputs.size() > 2 ? op.inputs[2] : kNoValue;
    const Tensor *zero = zeroId == kNoValue ? nullptr : &requireConstant(zeroId, "zero point");
    q.axis = scale.numel() == 1 ? -1 : static_cast<int>(op.getInt("axis"));
    for (int64_t i = 0; i < scale.numel(); ++i) {
      q.scale.push_back(scale.getDouble(i));
      q.zeroPoint.push_back(zero ? zero->getDouble(zero->numel() == 1 ? 0 : i) : 0.0);
    }
    checkParams(q.scale, q.zeroPoint);
    return q;
  }

  // The explicit codes behind the operand of a dequantize_linear, described by `q`.
  ValueId linearCodesOf(const Op &dq, const QuantInfo &q) {
    ValueId src = dq.inputs[0];
    if (auto it = codesOf_.find(src); it != codesOf_.end()) return it->second;
    const Op *defining = g_->definingOp(src);
    std::optional<Op> producer; // a copy: creating ops reallocates graph.ops
    if (defining) producer = *defining;
    ValueId codes = src;
    if (const Tensor *c = g_->constantValue(src)) {
      Tensor withQuant = *c;
      QuantInfo info = linearCodes(c->dtype());
      info.axis = q.axis;
      info.scale = q.scale;
      info.zeroPoint = q.zeroPoint;
      withQuant.type().quant = info;
      codes = b_->constant(std::move(withQuant), g_->value(src).name + "_codes");
    } else if (producer && producer->kind == "quantize_linear" &&
               g_->type(producer->inputs[0]).dtype == DType::f32 &&
               producer->getString("precision") == "f32") {
      CodeSpec spec;
      spec.quant = linearCodes(g_->type(src).dtype);
      QuantInfo params = readLinearParams(*producer);
      spec.quant.axis = params.axis;
      spec.quant.scale = params.scale;
      spec.quant.zeroPoint = params.zeroPoint;
      spec.form = "onnx";
      codes = quantize(*producer, producer->inputs[0], spec);
    }
    codesOf_[src] = codes;
    return codes;
  }

  ValueId convertDequantizeLinear(const Op &op) {
    if (!streamline::isCodeType(g_->type(op.inputs[0]).dtype))
      throw Unconvertible{"its input is not an integer of at most 16 bits"};
    if (g_->type(op.outputs[0]).dtype != DType::f32) throw Unconvertible{"its result is not f32"};
    QuantInfo q = readLinearParams(op);
    return dequantize(op, linearCodesOf(op, q), q);
  }

  // multi_threshold: y = out_scale * count + out_bias, count in [0, n].
  std::optional<ValueId> convertMultiThreshold(const Op &op) {
    double s = op.getFloat("out_scale"), bias = op.getFloat("out_bias");
    int64_t n = g_->type(op.inputs[1]).shape[1];
    CodeSpec spec;
    spec.quant.axis = -1;
    spec.quant.scale = {s};
    spec.quant.zeroPoint = {0.0};
    bool bipolar = n == 1 && s == 2 && bias == -1;
    if (bipolar) {
      spec.quant.encoding = QEncoding::bipolar;
      spec.quant.bits = 1;
      spec.quant.scale = {1.0};
      spec.form = "bipolar";
      if (const Tensor *t = g_->constantValue(op.inputs[1]);
          t && g_->type(op.inputs[0]).dtype == DType::f32 && allZero(*t)) {
        // count(x >= 0) * 2 - 1 is bipolar quantization of x.
        return dequantize(op, quantize(op, op.inputs[0], spec), spec.quant);
      }
    } else {
      if (!std::isfinite(s) || s == 0 || !std::isfinite(bias))
        throw Unconvertible{"out_scale is zero or not finite"};
      double m = bias / s;
      if (m * s != bias || std::trunc(m) != m || std::fabs(m) > 65536 || n > 65535)
        throw Unconvertible{"its outputs out_scale * count + out_bias are not integer codes"};
      int bits = 1;
      while ((int64_t{1} << bits) - 1 < n) ++bits;
      int64_t half = int64_t{1} << (bits - 1);
      spec.quant.bits = bits;
      spec.form = "qonnx";
      if (n == 2 && m == -1) {
        spec.quant.encoding = QEncoding::ternary;
        spec.quant.narrow = true;
      } else if (bits >= 2 && n == 2 * half - 1 && m == static_cast<double>(-half)) {
        spec.quant.encoding = QEncoding::sint;
      } else if (bits >= 2 && n == 2 * half - 2 && m == static_cast<double>(1 - half)) {
        spec.quant.encoding = QEncoding::sint;
        spec.quant.narrow = true;
      } else {
        spec.quant.encoding = QEncoding::uint;
        spec.quant.zeroPoint = {0.0 - m}; // +0 for m = 0
      }
    }
    checkRoundTrip(op, spec, n);
    // The quantize reads the multi_threshold's result; every other use reads the dequantize.
    ValueId result = op.outputs[0];
    ValueId codes = quantize(op, result, spec);
    ValueId back = b_->create1("dequantize", op.name, {codes},
                               dequantizeAttrs(-1, spec.quant.scale, spec.quant.zeroPoint),
                               g_->value(result).name + "_levels");
    replaceValue(result, back);
    g_->ops[static_cast<size_t>(g_->value(codes).def)].inputs[0] = result;
    return std::nullopt;
  }

  static bool allZero(const Tensor &t) {
    for (int64_t i = 0; i < t.numel(); ++i)
      if (t.getDouble(i) != 0) return false;
    return true;
  }

  // Every output level of the multi_threshold must quantize to its code and dequantize back to
  // the same float.
  static void checkRoundTrip(const Op &op, const CodeSpec &spec, int64_t n) {
    Tensor levels(DType::f32, {n + 1});
    double s = op.getFloat("out_scale"), bias = op.getFloat("out_bias");
    for (int64_t c = 0; c <= n; ++c)
      levels.data<float>()[c] = static_cast<float>(s * static_cast<double>(c) + bias);
    Op q{"quantize", op.name, {0}, {}, quantizeAttrs(spec)};
    Tensor codes = streamline::evaluate1(q, {&levels});
    Op dq{"dequantize",
          op.name,
          {0},
          {},
          dequantizeAttrs(-1, spec.quant.scale, spec.quant.zeroPoint)};
    Tensor back = streamline::evaluate1(dq, {&codes});
    bool bipolar = spec.quant.encoding == QEncoding::bipolar;
    for (int64_t c = 0; c <= n; ++c) {
      int64_t expected = bipolar ? 2 * c - 1 : c + codes.type().quant->minCode();
      if (codes.getInt(c) != expected || back.data<float>()[c] != levels.data<float>()[c])
        throw Unconvertible{"its output levels do not round-trip through integer codes"};
    }
  }

  PassOptions options_;
  Graph *g_ = nullptr;
  Builder *b_ = nullptr;
  std::map<ValueId, ValueId> codesOf_; // dequantize_linear operand -> its explicit codes
};

const PassRegistration registration{
    {"qdq_to_quantized",
     "make quantizer codes explicit: quantize (float -> codes) + dequantize (codes -> float)",
     [](const PassOptions &o) { return std::make_unique<QdqToQuantizedPass>(o); }}};

} // namespace
} // namespace qcc
