// Importers of the neural-network ops: Conv, ConvInteger, MatMul, MatMulInteger, Gemm,
// BatchNormalization, MaxPool, AveragePool, LpPool, GlobalAveragePool, GlobalMaxPool, Softmax,
// LogSoftmax, Hardmax, Dropout. The IR ops and their canonical attributes are documented in
// ir/ops/conv.cpp, matmul.cpp, pool.cpp and nn.cpp.
#include "frontend/import_context.h"
#include "ir/ops/conv_geometry.h"

#include <cmath>
#include <fmt/ranges.h>

namespace qcc::frontend {
namespace {

std::vector<int64_t> spatialList(NodeContext &ctx, const char *name, size_t size, int64_t fill) {
  std::vector<int64_t> v = ctx.attrInts(name, std::vector<int64_t>(size, fill));
  if (v.size() != size)
    ctx.unsupported("attribute '{}'=[{}] must have {} values", name, fmt::join(v, ","), size);
  return v;
}

// Canonical strides, pads and dilations of a conv or pool node over the input's spatial shape,
// with auto_pad resolved into explicit pads. Returns whether auto_pad was set.
bool windowAttrs(NodeContext &ctx, const Shape &input, const Shape &kernel, Attrs &attrs) {
  size_t rank = input.size();
  std::vector<int64_t> strides = spatialList(ctx, "strides", rank, 1);
  std::vector<int64_t> dilations = spatialList(ctx, "dilations", rank, 1);
  std::vector<int64_t> pads = spatialList(ctx, "pads", 2 * rank, 0);
  std::string autoPad = ctx.attrString("auto_pad", "NOTSET");
  // Some old exporters write an empty string for NOTSET.
  bool automatic = autoPad != "NOTSET" && !autoPad.empty();
  // Bounded so that the window arithmetic (extents, output sizes, auto pads) cannot overflow.
  auto bounded = [&](const char *what, const std::vector<int64_t> &v, int64_t min) {
    for (int64_t x : v)
      if (x < min || x > kMaxElements)
        ctx.unsupported("{}[{}] must have values from {} to 2^40", what, fmt::join(v, ","), min);
  };
  bounded("kernel shape ", kernel, 1);
  bounded("attribute 'strides'=", strides, 1);
  bounded("attribute 'dilations'=", dilations, 1);
  bounded("attribute 'pads'=", pads, 0);
  for (size_t d = 0; d < rank && d < kernel.size(); ++d)
    if (kernel[d] - 1 > kMaxElements / dilations[d])
      ctx.unsupported("kernel shape [{}] dilated by [{}] spans more than 2^40 elements",
                      fmt::join(kernel, ","), fmt::join(dilations, ","));
  if (automatic) {
    for (int64_t p : pads)
      if (p != 0)
        ctx.unsupported("attributes 'auto_pad'={} and 'pads'=[{}] cannot be combined", autoPad,
                        fmt::join(pads, ","));
    std::optional<std::vector<int64_t>> resolved =
        autoPads(autoPad, input, kernel, strides, dilations);
    if (!resolved) ctx.unsupported("attribute 'auto_pad'={} not supported", autoPad);
    pads = *resolved;
  }
  attrs["strides"] = strides;
  attrs["pads"] = pads;
  attrs["dilations"] = dilations;
  return automatic;
}

const TensorType &spatialInput(NodeContext &ctx) {
  const TensorType &x = ctx.inputType(0);
  if (x.rank() < 3)
    ctx.unsupported("input shape {} must be [N, C, spatial...]", shapeString(x.shape));
  return x;
}

// Operands up to the last present one (absent optional operands in between stay kNoValue).
std::vector<ValueId> operands(NodeContext &ctx, size_t count) {
  std::vector<ValueId> in;
  for (size_t i = 0; i < count; ++i) in.push_back(ctx.optionalInput(i));
  while (!in.empty() && in.back() == kNoValue) in.pop_back();
  return in;
}

void importConv(NodeContext &ctx, bool integer) {
  Attrs attrs = convAttrs(ctx, ctx.inputType(0), ctx.inputType(1));
  ValueId y = ctx.emit1(integer ? "conv_integer" : "conv", operands(ctx, integer ? 4 : 3),
                        std::move(attrs));
  ctx.setOutput(0, y);
}

// Window attributes of a MaxPool / AveragePool node.
Attrs poolAttrs(NodeContext &ctx) {
  const TensorType &x = spatialInput(ctx);
  if (!ctx.hasAttr("kernel_shape")) ctx.unsupported("attribute 'kernel_shape' is required");
  Shape kernel = spatialList(ctx, "kernel_shape", x.shape.size() - 2, 1);
  Attrs attrs;
  attrs["kernel_shape"] = kernel;
  bool automatic = windowAttrs(ctx, Shape(x.shape.begin() + 2, x.shape.end()), kernel, attrs);
  // auto_pad defines the output size (ceil(input / stride) or the VALID size) on its own.
  attrs["ceil_mode"] = automatic ? int64_t{0} : ctx.attrInt("ceil_mode", 0);
  return attrs;
}

void importMaxPool(NodeContext &ctx) {
  ctx.checkAttrs(
      {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"});
  Attrs attrs = poolAttrs(ctx);
  if (!ctx.hasOutput(1)) {
    ctx.setOutput(0, ctx.emit1("max_pool", {ctx.input(0)}, std::move(attrs)));
    return;
  }
  attrs["storage_order"] = ctx.attrInt("storage_order", 0);
  std::vector<ValueId> out = ctx.emit("max_pool_with_indices", {ctx.input(0)}, std::move(attrs));
  ctx.setOutput(0, out[0]);
  ctx.setOutput(1, out[1]);
}

void importAveragePool(NodeContext &ctx) {
  ctx.checkAttrs({"auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads",
                  "strides"});
  Attrs attrs = poolAttrs(ctx);
  attrs["count_include_pad"] = ctx.attrInt("count_include_pad", 0);
  ctx.setOutput(0, ctx.emit1("average_pool", {ctx.input(0)}, std::move(attrs)));
}

void importLpPool(NodeContext &ctx) {
  ctx.checkAttrs({"auto_pad", "ceil_mode", "dilations", "kernel_shape", "p", "pads", "strides"});
  Attrs attrs = poolAttrs(ctx);
  // Opset 1 has a float p; later opsets an int.
  double p = ctx.attrFloat("p", 2.0);
  if (p < 1 || p != std::floor(p) || p > 64) ctx.unsupported("attribute 'p'={} not supported", p);
  attrs["p"] = static_cast<int64_t>(p);
  ctx.setOutput(0, ctx.emit1("lp_pool", {ctx.input(0)}, std::move(attrs)));
}

void importGemm(NodeContext &ctx) {
  // `broadcast` (opset < 7) only allowed what unidirectional broadcasting of C allows anyway.
  ctx.checkAttrs({"alpha", "beta", "broadcast", "transA", "transB"});
  Attrs attrs;
  attrs["alpha"] = ctx.attrFloat("alpha", 1.0);
  attrs["beta"] = ctx.attrFloat("beta", 1.0);
  attrs["trans_a"] = ctx.attrInt("transA", 0);
  attrs["trans_b"] = ctx.attrInt("transB", 0);
  ctx.setOutput(0, ctx.emit1("gemm", operands(ctx, 3), std::move(attrs)));
}

void importBatchNorm(NodeContext &ctx) {
  // consumed_inputs (opset < 6) is a buffer-reuse hint without effect on results.
  ctx.checkAttrs({"consumed_inputs", "epsilon", "is_test", "momentum", "spatial", "training_mode"});
  // Training mode: opset >= 14 says so in training_mode, opset <= 6 in is_test, and opsets 7-13
  // by asking for the statistics outputs.
  bool training = ctx.opset() >= 14  ? ctx.attrInt("training_mode", 0) != 0
                  : ctx.opset() <= 6 ? ctx.attrInt("is_test", 0) == 0
                                     : ctx.hasOutput(1) || ctx.hasOutput(2);
  int64_t spatial = ctx.attrInt("spatial", 1);
  if (spatial != 0 && spatial != 1)
    ctx.unsupported("attribute 'spatial'={} not supported", spatial);
  const TensorType &scale = ctx.inputType(1);
  if (spatial == 1 && scale.rank() != 1)
    ctx.unsupported("scale shape {} must be 1-D with spatial=1", shapeString(scale.shape));
  if (spatial == 0 && training)
    ctx.unsupported("training mode with attribute 'spatial'=0 is not supported");
  for (size_t i = 3; i < ctx.numOutputs(); ++i)
    if (ctx.hasOutput(i))
      ctx.unsupported("output {} (saved mean/variance of training mode) is not supported", i);
  Attrs attrs;
  attrs["epsilon"] = ctx.attrFloat("epsilon", 1e-5);
  std::vector<ValueId> in = operands(ctx, 5);
  if (!training) {
    ctx.setOutput(0, ctx.emit1("batch_normalization", std::move(in), std::move(attrs)));
    return;
  }
  attrs["momentum"] = ctx.attrFloat("momentum", 0.9);
  std::vector<ValueId> out =
      ctx.emit("batch_normalization_training", std::move(in), std::move(attrs));
  for (size_t i = 0; i < 3; ++i) ctx.setOutput(i, out[i]);
}

// Softmax, LogSoftmax, Hardmax: opset >= 13 normalizes over one axis (default -1); before, over
// the input flattened to 2-D at `axis` (default 1), i.e. every dim from `axis` on.
void importSoftmax(NodeContext &ctx, const std::string &kind) {
  ctx.checkAttrs({"axis"});
  const TensorType &x = ctx.inputType(0);
  int64_t rank = x.rank();
  bool single = ctx.opset() >= 13;
  int64_t axis = ctx.attrInt("axis", single ? -1 : 1);
  if (axis < -rank || axis >= rank)
    ctx.unsupported("attribute 'axis'={} is out of range for input shape {}", axis,
                    shapeString(x.shape));
  if (axis < 0) axis += rank;
  std::vector<int64_t> axes;
  for (int64_t d = axis; d < (single ? axis + 1 : rank); ++d) axes.push_back(d);
  Attrs attrs;
  attrs["axes"] = axes;
  ctx.setOutput(0, ctx.emit1(kind, {ctx.input(0)}, std::move(attrs)));
}

// Inference-mode Dropout is the identity.
void importDropout(NodeContext &ctx) {
  ctx.checkAttrs({"consumed_inputs", "is_test", "ratio", "seed"});
  if (ctx.opset() <= 6 && ctx.attrInt("is_test", 0) == 0)
    ctx.unsupported("attribute 'is_test'=0 (training-mode dropout) not supported");
  if (ctx.hasInput(2)) {
    const Tensor &training = ctx.requireConstant(2, "training_mode");
    if (training.numel() != 1 || training.getInt(0) != 0)
      ctx.unsupported("training_mode other than false (training-mode dropout) not supported");
  }
  if (ctx.hasOutput(1)) ctx.unsupported("output 1 (mask) is not supported");
  ctx.setOutput(0, ctx.input(0));
}

} // namespace

Attrs convAttrs(NodeContext &ctx, const TensorType &x, const TensorType &w) {
  ctx.checkAttrs({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
  if (x.rank() < 3)
    ctx.unsupported("input shape {} must be [N, C, spatial...]", shapeString(x.shape));
  if (w.rank() != x.rank())
    ctx.unsupported("weight shape {} must have the rank of the input {}", shapeString(w.shape),
                    shapeString(x.shape));
  Shape kernel(w.shape.begin() + 2, w.shape.end());
  if (ctx.hasAttr("kernel_shape") && ctx.attrInts("kernel_shape", {}) != kernel)
    ctx.unsupported("attribute 'kernel_shape'=[{}] does not match the weight shape {}",
                    fmt::join(ctx.attrInts("kernel_shape", {}), ","), shapeString(w.shape));
  Attrs attrs;
  windowAttrs(ctx, Shape(x.shape.begin() + 2, x.shape.end()), kernel, attrs);
  attrs["group"] = ctx.attrInt("group", 1);
  return attrs;
}

void registerNNImporters(ImporterTable &table) {
  table.add("ai.onnx", "Conv", [](NodeContext &ctx) { importConv(ctx, false); });
  table.add("ai.onnx", "ConvInteger", [](NodeContext &ctx) { importConv(ctx, true); });
  table.add("ai.onnx", "MatMul", [](NodeContext &ctx) {
    ctx.checkAttrs({});
    ctx.setOutput(0, ctx.emit1("matmul", {ctx.input(0), ctx.input(1)}));
  });
  table.add("ai.onnx", "MatMulInteger", [](NodeContext &ctx) {
    ctx.checkAttrs({});
    ctx.setOutput(0, ctx.emit1("matmul_integer", operands(ctx, 4)));
  });
  table.add("ai.onnx", "Gemm", importGemm);
  table.add("ai.onnx", "BatchNormalization", importBatchNorm);
  table.add("ai.onnx", "MaxPool", importMaxPool);
  table.add("ai.onnx", "AveragePool", importAveragePool);
  table.add("ai.onnx", "LpPool", importLpPool);
  using Names = std::pair<std::string, std::string>; // ONNX op type, IR op kind
  for (const Names &names : {Names{"GlobalAveragePool", "global_average_pool"},
                             Names{"GlobalMaxPool", "global_max_pool"}})
    table.add("ai.onnx", names.first, [kind = names.second](NodeContext &ctx) {
      ctx.checkAttrs({});
      ctx.setOutput(0, ctx.emit1(kind, {ctx.input(0)}));
    });
  for (const Names &names : {Names{"Softmax", "softmax"}, Names{"LogSoftmax", "log_softmax"},
                             Names{"Hardmax", "hardmax"}})
    table.add("ai.onnx", names.first,
              [kind = names.second](NodeContext &ctx) { importSoftmax(ctx, kind); });
  table.add("ai.onnx", "Dropout", importDropout);
}

} // namespace qcc::frontend
