// Importers of the QONNX / FINN / Brevitas custom ops (registered in the "qonnx" group, which
// the driver uses for their domains): Quant (alias IntQuant), BipolarQuant, MultiThreshold,
// Trunc, FloatQuant. Operands that set bit widths or the float format must be constants and
// become attributes; scales and zero points stay operands. docs/quantization.md has the mapping.
#include "frontend/import_context.h"
#include "ir/diagnostics.h"
#include "ir/ops/broadcast.h"
#include "ir/ops/quant.h"

#include <cmath>

namespace qcc::frontend {
namespace {

// A constant operand holding one number.
double scalarConstant(NodeContext &ctx, size_t i, std::string_view what) {
  const Tensor &t = ctx.requireConstant(i, what);
  if (t.numel() != 1)
    ctx.unsupported("{} (operand {}) must hold one value, got shape {}", what, i,
                    shapeString(t.shape()));
  return t.getDouble(0);
}

// A constant bit width: a positive integer (QONNX allows it as a float).
int64_t bitWidthOperand(NodeContext &ctx, size_t i, std::string_view what) {
  double bits = scalarConstant(ctx, i, what);
  if (!(bits >= 1 && bits <= 64) || std::floor(bits) != bits)
    ctx.unsupported("{} (operand {}) must be an integer in [1, 64], got {}", what, i, bits);
  return static_cast<int64_t>(bits);
}

int64_t flag(NodeContext &ctx, const std::string &name, int64_t fallback) {
  int64_t v = ctx.attrInt(name, fallback);
  if (v != 0 && v != 1) ctx.unsupported("attribute '{}'={} must be 0 or 1", name, v);
  return v;
}

std::string roundingMode(NodeContext &ctx, const std::string &fallback) {
  std::string name = ctx.attrString("rounding_mode", fallback);
  std::optional<RoundingMode> mode = parseRoundingMode(name);
  if (!mode) ctx.unsupported("attribute 'rounding_mode'='{}' not supported", name);
  return std::string(roundingModeName(*mode));
}

bool allConstant(const Tensor *t, bool (*pred)(double)) {
  if (!t) return false;
  for (int64_t i = 0; i < t->numel(); ++i)
    if (!pred(t->getDouble(i))) return false;
  return true;
}

// A 1-bit signed Quant is bipolar in the QONNX reference: sign(x / scale + zeropt). With a
// zero zero point and positive scales that is bipolar_quant(x, scale).
void importBipolarQuantAsQuant(NodeContext &ctx) {
  bool zeroZeroPoint = allConstant(ctx.constantInput(2), [](double v) { return v == 0.0; });
  bool positiveScale = allConstant(ctx.constantInput(1), [](double v) { return v > 0.0; });
  if (!zeroZeroPoint || !positiveScale)
    ctx.unsupported("a 1-bit signed Quant is bipolar; it needs a constant zero point of 0 and "
                    "constant positive scales");
  Shape withZero = broadcastShapes(
      std::vector<Shape>{ctx.inputType(0).shape, ctx.inputType(1).shape, ctx.inputType(2).shape});
  Shape withoutZero = broadcastShapes(ctx.inputType(0).shape, ctx.inputType(1).shape);
  if (withZero != withoutZero)
    ctx.unsupported("the zero point of a 1-bit signed Quant must not broaden its shape");
  // The spec's range for it is empty ([0, 0] when narrow); say which reading qcc takes.
  warn("{}: 1-bit signed Quant imported as bipolar {{-1, +1}}, as the QONNX reference computes it",
       ctx.where());
  ctx.setOutput(0, ctx.emit1("bipolar_quant", {ctx.input(0), ctx.input(1)}));
}

void importQuant(NodeContext &ctx) {
  ctx.checkAttrs({"signed", "narrow", "rounding_mode"});
  if (ctx.numInputs() != 4) ctx.unsupported("expects 4 operands, got {}", ctx.numInputs());
  int64_t isSigned = flag(ctx, "signed", 1);
  int64_t narrow = flag(ctx, "narrow", 0);
  std::string rounding = roundingMode(ctx, "ROUND");
  int64_t bits = bitWidthOperand(ctx, 3, "bitwidth");
  if (bits == 1 && isSigned == 1) {
    importBipolarQuantAsQuant(ctx);
    return;
  }
  Attrs attrs{
      {"bits", bits}, {"signed", isSigned}, {"narrow", narrow}, {"rounding_mode", rounding}};
  ctx.setOutput(0, ctx.emit1("quant", {ctx.input(0), ctx.input(1), ctx.input(2)}, attrs));
}

void importBipolarQuant(NodeContext &ctx) {
  ctx.checkAttrs({});
  if (ctx.numInputs() != 2) ctx.unsupported("expects 2 operands, got {}", ctx.numInputs());
  ctx.setOutput(0, ctx.emit1("bipolar_quant", {ctx.input(0), ctx.input(1)}));
}

// The channel axis of the QONNX reference: the last axis for a channels-last layout, axis 1
// for 2-D and 4-D channels-first inputs, and the last axis for any other rank.
int64_t thresholdAxis(NodeContext &ctx) {
  std::string layout = ctx.attrString("data_layout", "NCHW");
  int64_t rank = ctx.inputType(0).rank();
  if (rank == 0) ctx.unsupported("the input must have at least one dimension");
  bool channelsLast = !layout.empty() && layout.back() == 'C';
  if (!channelsLast && (rank == 2 || rank == 4)) return 1;
  return rank - 1;
}

void importMultiThreshold(NodeContext &ctx) {
  ctx.checkAttrs({"out_dtype", "out_scale", "out_bias", "data_layout"});
  if (ctx.numInputs() != 2) ctx.unsupported("expects 2 operands, got {}", ctx.numInputs());
  Attrs attrs{{"axis", thresholdAxis(ctx)},
              {"out_scale", ctx.attrFloat("out_scale", 1.0)},
              {"out_bias", ctx.attrFloat("out_bias", 0.0)},
              {"out_dtype", ctx.attrString("out_dtype", "")}};
  ctx.setOutput(0, ctx.emit1("multi_threshold", {ctx.input(0), ctx.input(1)}, attrs));
}

// Trunc v1: (X, scale, zeropt, in_bitwidth, out_bitwidth). Trunc v2: (X, scale, zeropt,
// in_bitwidth, out_scale, out_zeropt, out_bitwidth) with signed / narrow; the v2 reference
// ignores out_zeropt, so only 0 is accepted.
void importTrunc(NodeContext &ctx) {
  ctx.checkAttrs({"rounding_mode", "signed", "narrow"});
  size_t n = ctx.numInputs();
  if (n != 5 && n != 7) ctx.unsupported("expects 5 operands (Trunc v1) or 7 (Trunc v2), got {}", n);
  Attrs attrs{{"in_bits", bitWidthOperand(ctx, 3, "in_bitwidth")},
              {"out_bits", bitWidthOperand(ctx, n == 5 ? 4 : 6, "out_bitwidth")},
              {"rounding_mode", roundingMode(ctx, "FLOOR")},
              {"signed", flag(ctx, "signed", 1)},
              {"narrow", flag(ctx, "narrow", 0)}};
  std::vector<ValueId> operands{ctx.input(0), ctx.input(1), ctx.input(2)};
  if (n == 7) {
    if (scalarConstant(ctx, 5, "out_zeropt") != 0.0)
      ctx.unsupported("out_zeropt (operand 5) other than 0 is not supported");
    operands.push_back(ctx.input(4));
  }
  ctx.setOutput(0, ctx.emit1("trunc", std::move(operands), attrs));
}

void importFloatQuant(NodeContext &ctx) {
  ctx.checkAttrs({"has_inf", "has_nan", "has_subnormal", "saturation", "rounding_mode", "signed"});
  if (ctx.numInputs() != 6) ctx.unsupported("expects 6 operands, got {}", ctx.numInputs());
  // The reference quantizes signed whatever `signed` says.
  if (flag(ctx, "signed", 1) != 1) ctx.unsupported("attribute 'signed'=0 not supported");
  int64_t exponentBits = bitWidthOperand(ctx, 2, "exponent_bitwidth");
  double mantissa = scalarConstant(ctx, 3, "mantissa_bitwidth");
  if (!(mantissa >= 0 && mantissa <= 23) || std::floor(mantissa) != mantissa)
    ctx.unsupported("mantissa_bitwidth (operand 3) must be an integer in [0, 23], got {}",
                    mantissa);
  Attrs attrs{{"exponent_bits", exponentBits},
              {"mantissa_bits", static_cast<int64_t>(mantissa)},
              {"exponent_bias", scalarConstant(ctx, 4, "exponent_bias")},
              {"max_val", scalarConstant(ctx, 5, "max_val")},
              {"rounding_mode", roundingMode(ctx, "ROUND")},
              {"has_inf", flag(ctx, "has_inf", 0)},
              {"has_nan", flag(ctx, "has_nan", 0)},
              {"has_subnormal", flag(ctx, "has_subnormal", 0)},
              {"saturation", flag(ctx, "saturation", 1)}};
  ctx.setOutput(0, ctx.emit1("float_quant", {ctx.input(0), ctx.input(1)}, attrs));
}

} // namespace

void registerQonnxImporters(ImporterTable &table) {
  table.add("qonnx", "Quant", importQuant);
  table.add("qonnx", "IntQuant", importQuant);
  table.add("qonnx", "BipolarQuant", importBipolarQuant);
  table.add("qonnx", "MultiThreshold", importMultiThreshold);
  table.add("qonnx", "Trunc", importTrunc);
  table.add("qonnx", "FloatQuant", importFloatQuant);
}

} // namespace qcc::frontend
