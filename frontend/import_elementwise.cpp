// Importers of the elementwise ONNX ops (ir/ops/elementwise.cpp has their IR semantics):
// arithmetic, logic, comparison and bitwise ops with broadcasting, Min/Max, Where, the unary math
// and activation functions, Clip, Cast/CastLike and Identity.
#include "frontend/import_context.h"
#include "ir/error.h"

namespace qcc::frontend {
namespace {

// Opset 1..6 arithmetic broadcast only with broadcast=1, aligning B at `axis` of A; numpy
// broadcasting (opset 7+) gives the same result once B has trailing 1s appended.
ValueId legacyBroadcastOperand(NodeContext &ctx) {
  ValueId b = ctx.input(1);
  if (ctx.opset() >= 7) return b;
  ctx.checkAttrs({"broadcast", "axis", "consumed_inputs"});
  const Shape &shapeA = ctx.inputType(0).shape;
  const Shape &shapeB = ctx.inputType(1).shape;
  if (ctx.attrInt("broadcast", 0) == 0) {
    if (shapeA != shapeB)
      ctx.unsupported("operands of shapes {} and {} need broadcast=1", shapeString(shapeA),
                      shapeString(shapeB));
    return b;
  }
  auto rankA = static_cast<int64_t>(shapeA.size());
  auto rankB = static_cast<int64_t>(shapeB.size());
  int64_t axis = ctx.attrInt("axis", rankA - rankB);
  if (axis < 0) axis += rankA;
  if (axis < 0 || axis + rankB > rankA)
    ctx.unsupported("axis {} does not place B of shape {} inside A of shape {}", axis,
                    shapeString(shapeB), shapeString(shapeA));
  if (axis + rankB == rankA) return b;
  Shape aligned = shapeB;
  aligned.resize(static_cast<size_t>(rankA - axis), 1);
  return ctx.emit1("reshape", {b}, {{"shape", aligned}});
}

void importBinary(ImporterTable &table, const std::string &onnxName, const std::string &kind) {
  table.add("ai.onnx", onnxName, [kind](NodeContext &ctx) {
    ValueId b = legacyBroadcastOperand(ctx);
    if (ctx.opset() >= 7) ctx.checkAttrs({});
    ctx.setOutput(0, ctx.emit1(kind, {ctx.input(0), b}));
  });
}

// Ops without attributes whose operands map one to one.
void importPlain(ImporterTable &table, const std::string &onnxName, const std::string &kind) {
  table.add("ai.onnx", onnxName, [kind](NodeContext &ctx) {
    ctx.checkAttrs({"consumed_inputs"}); // opset-1 memory hint, no effect on results
    std::vector<ValueId> inputs;
    for (size_t i = 0; i < ctx.numInputs(); ++i) inputs.push_back(ctx.input(i));
    ctx.setOutput(0, ctx.emit1(kind, inputs));
  });
}

void importClip(NodeContext &ctx) {
  ValueId x = ctx.input(0);
  DType dtype = ctx.inputType(0).dtype;
  std::vector<ValueId> operands{x};
  if (ctx.opset() < 11) {
    ctx.checkAttrs({"min", "max", "consumed_inputs"});
    if (!isFloat(dtype)) ctx.unsupported("Clip before opset 11 takes float operands only");
    // Absent bounds are the float range limits, which clamp nothing.
    operands.push_back(ctx.hasAttr("min")
                           ? ctx.constant(Tensor::scalar(dtype, ctx.attrFloat("min", 0)))
                           : kNoValue);
    operands.push_back(ctx.hasAttr("max")
                           ? ctx.constant(Tensor::scalar(dtype, ctx.attrFloat("max", 0)))
                           : kNoValue);
  } else {
    ctx.checkAttrs({});
    operands.push_back(ctx.optionalInput(1));
    operands.push_back(ctx.optionalInput(2));
  }
  while (operands.size() > 1 && operands.back() == kNoValue) operands.pop_back();
  if (operands.size() == 1) {
    ctx.setOutput(0, x);
    return;
  }
  ctx.setOutput(0, ctx.emit1("clip", operands));
}

void importCast(NodeContext &ctx, DType to) {
  ctx.setOutput(0, ctx.emit1("cast", {ctx.input(0)}, {{"to", std::string(dtypeName(to))}}));
}

} // namespace

void registerElementwiseImporters(ImporterTable &table) {
  importBinary(table, "Add", "add");
  importBinary(table, "Sub", "sub");
  importBinary(table, "Mul", "mul");
  importBinary(table, "Div", "div");

  importPlain(table, "Pow", "pow");
  importPlain(table, "BitwiseAnd", "bitwise_and");
  importPlain(table, "BitwiseOr", "bitwise_or");
  importPlain(table, "BitwiseXor", "bitwise_xor");
  importPlain(table, "BitwiseNot", "bitwise_not");
  importPlain(table, "And", "and");
  importPlain(table, "Or", "or");
  importPlain(table, "Xor", "xor");
  importPlain(table, "Not", "not");
  importPlain(table, "Equal", "equal");
  importPlain(table, "Less", "less");
  importPlain(table, "LessOrEqual", "less_equal");
  importPlain(table, "Greater", "greater");
  importPlain(table, "GreaterOrEqual", "greater_equal");
  importPlain(table, "Where", "where");
  importPlain(table, "Min", "min");
  importPlain(table, "Max", "max");

  importPlain(table, "Neg", "neg");
  importPlain(table, "Abs", "abs");
  importPlain(table, "Relu", "relu");
  importPlain(table, "Sigmoid", "sigmoid");
  importPlain(table, "Tanh", "tanh");
  importPlain(table, "Exp", "exp");
  importPlain(table, "Log", "log");
  importPlain(table, "Sqrt", "sqrt");
  importPlain(table, "Reciprocal", "reciprocal");
  importPlain(table, "Floor", "floor");
  importPlain(table, "Ceil", "ceil");
  importPlain(table, "Round", "round");
  importPlain(table, "Sign", "sign");
  importPlain(table, "Erf", "erf");

  table.add("ai.onnx", "Mod", [](NodeContext &ctx) {
    ctx.checkAttrs({"fmod"});
    int64_t fmod = ctx.attrInt("fmod", 0);
    if (fmod != 0 && fmod != 1) ctx.unsupported("attribute 'fmod'={} must be 0 or 1", fmod);
    ctx.setOutput(0, ctx.emit1("mod", {ctx.input(0), ctx.input(1)}, {{"fmod", fmod}}));
  });
  table.add("ai.onnx", "BitShift", [](NodeContext &ctx) {
    ctx.checkAttrs({"direction"});
    std::string direction = ctx.attrString("direction", "");
    if (direction != "LEFT" && direction != "RIGHT")
      ctx.unsupported("attribute 'direction'='{}' must be LEFT or RIGHT", direction);
    std::string kind = direction == "LEFT" ? "shift_left" : "shift_right";
    ctx.setOutput(0, ctx.emit1(kind, {ctx.input(0), ctx.input(1)}));
  });
  table.add("ai.onnx", "LeakyRelu", [](NodeContext &ctx) {
    ctx.checkAttrs({"alpha", "consumed_inputs"});
    ctx.setOutput(
        0, ctx.emit1("leaky_relu", {ctx.input(0)}, {{"alpha", ctx.attrFloat("alpha", 0.01)}}));
  });
  table.add("ai.onnx", "HardSigmoid", [](NodeContext &ctx) {
    ctx.checkAttrs({"alpha", "beta", "consumed_inputs"});
    ctx.setOutput(0, ctx.emit1("hard_sigmoid", {ctx.input(0)},
                               {{"alpha", ctx.attrFloat("alpha", 0.2)},
                                {"beta", ctx.attrFloat("beta", 0.5)}}));
  });
  table.add("ai.onnx", "Clip", importClip);
  table.add("ai.onnx", "Cast", [](NodeContext &ctx) {
    // `saturate` and `round_mode` only affect float8 targets, which qcc does not have.
    ctx.checkAttrs({"to", "saturate", "round_mode"});
    if (ctx.opset() < 6)
      ctx.unsupported("Cast before opset 6 (type names as strings) is not supported");
    int64_t to = ctx.attrInt("to");
    importCast(ctx, dtypeFromOnnx(static_cast<int32_t>(to), ctx.where()));
  });
  table.add("ai.onnx", "CastLike", [](NodeContext &ctx) {
    ctx.checkAttrs({"saturate", "round_mode"});
    importCast(ctx, ctx.inputType(1).dtype);
  });
  table.add("ai.onnx", "Identity", [](NodeContext &ctx) {
    ctx.checkAttrs({});
    ctx.setOutput(0, ctx.input(0));
  });
}

} // namespace qcc::frontend
