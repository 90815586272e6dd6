// Importers of ONNX linear quantization: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear
// (one IR op each) and the QOperator ops QLinearConv and QLinearMatMul, which decompose into an
// integer MAC op (conv_integer / matmul_integer), the multiplier x_scale * w_scale / y_scale and
// a requantize. docs/quantization.md has the mapping and the arithmetic.
#include "frontend/import_context.h"
#include "ir/ops/quant.h"

#include <fmt/ranges.h>

namespace qcc::frontend {
namespace {

// Canonical "axis" and "block_size" of a QDQ node whose scale is operand 1: the axis is
// normalized for per-axis and blocked parameters and -1 for per-tensor ones.
void granularityAttrs(NodeContext &ctx, Attrs &attrs) {
  const TensorType &x = ctx.inputType(0);
  const TensorType &scale = ctx.inputType(1);
  int64_t blockSize = ctx.attrInt("block_size", 0);
  if (blockSize < 0) ctx.unsupported("attribute 'block_size'={} must be >= 0", blockSize);
  int64_t axis = -1;
  if (blockSize > 0 || !isPerTensorParam(scale.shape)) {
    if (ctx.opset() < 13)
      ctx.unsupported("a scale of shape {} needs opset 13 (per-axis quantization)",
                      shapeString(scale.shape));
    axis = ctx.attrInt("axis", 1);
    if (axis < -x.rank() || axis >= x.rank())
      ctx.unsupported("attribute 'axis'={} is out of range for input {}", axis,
                      shapeString(x.shape));
    if (axis < 0) axis += x.rank();
  }
  attrs["axis"] = axis;
  attrs["block_size"] = blockSize;
}

// An optional ONNX element-type attribute (0 or absent: std::nullopt).
std::optional<DType> typeAttr(NodeContext &ctx, const std::string &name) {
  int64_t onnxType = ctx.attrInt(name, 0);
  if (onnxType == 0) return std::nullopt;
  return dtypeFromOnnx(static_cast<int32_t>(onnxType), ctx.where() + ": attribute '" + name + "'");
}

std::string dtypeString(DType t) {
  return std::string(dtypeName(t));
}

void importQuantizeLinear(NodeContext &ctx) {
  // `saturate` only applies to float8 outputs, which are not supported.
  ctx.checkAttrs({"axis", "block_size", "output_dtype", "saturate", "precision"});
  bool hasZeroPoint = ctx.hasInput(2);
  std::optional<DType> requested = typeAttr(ctx, "output_dtype");
  DType out = hasZeroPoint ? ctx.inputType(2).dtype : requested.value_or(DType::u8);
  if (requested && *requested != out)
    ctx.unsupported("attribute 'output_dtype' ({}) differs from the zero point type ({})",
                    dtypeName(*requested), dtypeName(out));
  DType precision = typeAttr(ctx, "precision").value_or(ctx.inputType(1).dtype);
  Attrs attrs{{"dtype", dtypeString(out)}, {"precision", dtypeString(precision)}};
  granularityAttrs(ctx, attrs);
  std::vector<ValueId> operands{ctx.input(0), ctx.input(1)};
  if (hasZeroPoint) operands.push_back(ctx.input(2));
  ctx.setOutput(0, ctx.emit1("quantize_linear", std::move(operands), std::move(attrs)));
}

void importDequantizeLinear(NodeContext &ctx) {
  ctx.checkAttrs({"axis", "block_size", "output_dtype"});
  DType out = typeAttr(ctx, "output_dtype").value_or(ctx.inputType(1).dtype);
  Attrs attrs{{"dtype", dtypeString(out)}};
  granularityAttrs(ctx, attrs);
  std::vector<ValueId> operands{ctx.input(0), ctx.input(1)};
  if (ctx.hasInput(2)) operands.push_back(ctx.input(2));
  ctx.setOutput(0, ctx.emit1("dequantize_linear", std::move(operands), std::move(attrs)));
}

void importDynamicQuantizeLinear(NodeContext &ctx) {
  ctx.checkAttrs({});
  std::vector<ValueId> out = ctx.emit("dynamic_quantize_linear", {ctx.input(0)});
  for (size_t i = 0; i < out.size(); ++i) ctx.setOutput(i, out[i]);
}

// requantize(acc, x_scale * w_scale / y_scale, y_zero_point, bias?) with the multiplier in
// onnxruntime's float32 order; `channelAxis` is where a per-channel w_scale / bias applies.
ValueId requantize(NodeContext &ctx, ValueId acc, size_t xScale, size_t wScale,
                   std::optional<size_t> bias, int64_t channelAxis) {
  for (size_t i : {xScale, wScale, size_t{6}})
    if (ctx.inputType(i).dtype != DType::f32)
      ctx.unsupported("scale (operand {}) must be float32, got {}", i,
                      dtypeName(ctx.inputType(i).dtype));
  ValueId product = ctx.emit1("mul", {ctx.input(xScale), ctx.input(wScale)});
  ValueId multiplier = ctx.emit1("div", {product, ctx.input(6)});
  bool perTensor = isPerTensorParam(ctx.graph().type(multiplier).shape) &&
                   (!bias || isPerTensorParam(ctx.inputType(*bias).shape));
  Attrs attrs{{"axis", perTensor ? int64_t{-1} : channelAxis},
              {"dtype", dtypeString(ctx.inputType(7).dtype)}};
  std::vector<ValueId> operands{acc, multiplier, ctx.input(7)};
  if (bias) operands.push_back(ctx.input(*bias));
  return ctx.emit1("requantize", std::move(operands), std::move(attrs));
}

// QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B?).
void importQLinearConv(NodeContext &ctx) {
  Attrs attrs = convAttrs(ctx, ctx.inputType(0), ctx.inputType(3));
  ValueId acc = ctx.emit1("conv_integer", {ctx.input(0), ctx.input(3), ctx.input(2), ctx.input(5)},
                          std::move(attrs));
  std::optional<size_t> bias;
  if (ctx.hasInput(8)) bias = 8;
  ctx.setOutput(0, requantize(ctx, acc, 1, 4, bias, 1));
}

// QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp); b_scale is per tensor or
// per column of b ([N]).
void importQLinearMatMul(NodeContext &ctx) {
  ctx.checkAttrs({});
  ValueId acc =
      ctx.emit1("matmul_integer", {ctx.input(0), ctx.input(3), ctx.input(2), ctx.input(5)});
  int64_t rank = ctx.graph().type(acc).rank();
  const Shape &bScale = ctx.inputType(4).shape;
  if (!isPerTensorParam(bScale) && bScale.size() != 1)
    ctx.unsupported("b_scale of shape {} is not supported (one value or one per column)",
                    shapeString(bScale));
  ctx.setOutput(0, requantize(ctx, acc, 1, 4, std::nullopt, rank - 1));
}

} // namespace

void registerQdqImporters(ImporterTable &table) {
  table.add("ai.onnx", "QuantizeLinear", importQuantizeLinear);
  table.add("ai.onnx", "DequantizeLinear", importDequantizeLinear);
  table.add("ai.onnx", "DynamicQuantizeLinear", importDynamicQuantizeLinear);
  table.add("ai.onnx", "QLinearConv", importQLinearConv);
  table.add("ai.onnx", "QLinearMatMul", importQLinearMatMul);
}

} // namespace qcc::frontend
