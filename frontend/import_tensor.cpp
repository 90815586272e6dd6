// Importers of the tensor-manipulation ONNX ops (ir/ops/tensor.cpp has their IR semantics).
// Shapes are static, so every shape, axis, pad, slice bound, split size, k and scale operand must
// be a constant; each becomes an attribute. Flatten/Squeeze/Unsqueeze become `reshape`; Shape,
// Size, Constant, ConstantOfShape and Range become constants.
#include "frontend/import_context.h"
#include "ir/error.h"
#include "ir/ops/broadcast.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

namespace qcc::frontend {
namespace {

std::vector<int64_t> intValues(const Tensor &t) {
  if (!isInteger(t.dtype()) || t.dtype() == DType::boolean)
    fail("expected integer values, got a {} tensor", dtypeName(t.dtype()));
  std::vector<int64_t> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.getInt(i);
  return v;
}

// Normalizes `axis` into [0, rank); fails naming the node when out of range.
int64_t nodeAxis(const NodeContext &ctx, int64_t axis, int64_t rank) {
  return normalizeAxis(axis, rank, ctx.where());
}

// Sorted, distinct, normalized axes.
std::vector<int64_t> nodeAxes(const NodeContext &ctx, std::vector<int64_t> axes, int64_t rank) {
  for (int64_t &a : axes) a = nodeAxis(ctx, a, rank);
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    ctx.unsupported("axes {} name an axis twice", shapeString(axes));
  return axes;
}

// Checked: an empty tensor's other dims may multiply to more than 64 bits hold.
int64_t product(const Shape &shape, size_t begin, size_t end) {
  return checkedNumel(Shape(shape.begin() + static_cast<std::ptrdiff_t>(begin),
                            shape.begin() + static_cast<std::ptrdiff_t>(end)),
                      "the flattened input");
}

// `x` itself when it already has `shape`, else a reshape.
ValueId reshapeTo(NodeContext &ctx, ValueId x, const Shape &shape) {
  if (ctx.graph().type(x).shape == shape) return x;
  return ctx.emit1("reshape", {x}, {{"shape", shape}});
}

void importReshape(NodeContext &ctx) {
  ctx.checkAttrs({"allowzero", "shape", "consumed_inputs"});
  std::vector<int64_t> target = ctx.opset() < 5
                                    ? ctx.attrInts("shape", {})
                                    : intValues(ctx.requireConstant(1, "the target shape"));
  bool allowzero = ctx.attrInt("allowzero", 0) != 0;
  const Shape &in = ctx.inputType(0).shape;
  int64_t inferred = -1;
  int64_t known = 1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && !allowzero) {
      if (i >= in.size())
        ctx.unsupported("shape {} copies dim {} of a rank-{} operand", shapeString(target), i,
                        in.size());
      target[i] = in[i];
    }
    if (target[i] == -1) {
      if (inferred >= 0) ctx.unsupported("shape {} has more than one -1", shapeString(target));
      inferred = static_cast<int64_t>(i);
      continue;
    }
    if (target[i] < 0) ctx.unsupported("shape {} has a negative dim", shapeString(target));
    known = known * target[i];
    checkedNumel({known}, ctx.where());
  }
  if (inferred >= 0) {
    int64_t total = checkedNumel(in);
    if (known == 0 || total % known != 0)
      ctx.unsupported("cannot reshape {} to {}", shapeString(in), shapeString(target));
    target[static_cast<size_t>(inferred)] = total / known;
  }
  ctx.setOutput(0, reshapeTo(ctx, ctx.input(0), target));
}

void importFlatten(NodeContext &ctx) {
  ctx.checkAttrs({"axis"});
  const Shape &in = ctx.inputType(0).shape;
  auto rank = static_cast<int64_t>(in.size());
  int64_t axis = ctx.attrInt("axis", 1);
  if (axis < -rank || axis > rank)
    ctx.unsupported("axis {} is out of range for rank {}", axis, rank);
  if (axis < 0) axis += rank;
  auto split = static_cast<size_t>(axis);
  Shape shape{product(in, 0, split), product(in, split, in.size())};
  ctx.setOutput(0, reshapeTo(ctx, ctx.input(0), shape));
}

std::vector<int64_t> squeezeAxes(NodeContext &ctx) {
  if (ctx.opset() < 13) return ctx.attrInts("axes", {});
  return ctx.hasInput(1) ? intValues(ctx.requireConstant(1, "axes")) : std::vector<int64_t>{};
}

void importSqueeze(NodeContext &ctx) {
  ctx.checkAttrs({"axes"});
  const Shape &in = ctx.inputType(0).shape;
  auto rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> axes = nodeAxes(ctx, squeezeAxes(ctx), rank);
  bool given = !axes.empty(); // no axes: squeeze every axis of size 1
  Shape shape;
  for (int64_t d = 0; d < rank; ++d) {
    bool listed = std::binary_search(axes.begin(), axes.end(), d);
    int64_t dim = in[static_cast<size_t>(d)];
    if (listed && dim != 1) ctx.unsupported("cannot squeeze axis {} of size {}", d, dim);
    if (!(listed || (!given && dim == 1))) shape.push_back(dim);
  }
  ctx.setOutput(0, reshapeTo(ctx, ctx.input(0), shape));
}

void importUnsqueeze(NodeContext &ctx) {
  ctx.checkAttrs({"axes"});
  if (ctx.opset() < 13 ? !ctx.hasAttr("axes") : !ctx.hasInput(1))
    ctx.unsupported("axes are required");
  const Shape &in = ctx.inputType(0).shape;
  std::vector<int64_t> rawAxes = squeezeAxes(ctx);
  auto rank = static_cast<int64_t>(in.size() + rawAxes.size());
  std::vector<int64_t> axes = nodeAxes(ctx, rawAxes, rank);
  Shape shape;
  size_t next = 0;
  for (int64_t d = 0; d < rank; ++d)
    shape.push_back(std::binary_search(axes.begin(), axes.end(), d) ? 1 : in[next++]);
  ctx.setOutput(0, reshapeTo(ctx, ctx.input(0), shape));
}

void importTranspose(NodeContext &ctx) {
  ctx.checkAttrs({"perm"});
  auto rank = static_cast<int64_t>(ctx.inputType(0).shape.size());
  std::vector<int64_t> reversed;
  for (int64_t d = rank - 1; d >= 0; --d) reversed.push_back(d);
  std::vector<int64_t> perm = ctx.attrInts("perm", reversed);
  for (int64_t &p : perm) p = nodeAxis(ctx, p, rank);
  ctx.setOutput(0, ctx.emit1("transpose", {ctx.input(0)}, {{"perm", perm}}));
}

void importConcat(NodeContext &ctx) {
  ctx.checkAttrs({"axis"});
  if (ctx.opset() >= 4 && !ctx.hasAttr("axis")) ctx.unsupported("attribute 'axis' is required");
  std::vector<ValueId> inputs;
  for (size_t i = 0; i < ctx.numInputs(); ++i) inputs.push_back(ctx.input(i));
  if (inputs.empty()) ctx.unsupported("needs at least one operand");
  int64_t axis = nodeAxis(ctx, ctx.attrInt("axis", 1), ctx.inputType(0).rank());
  ctx.setOutput(0, ctx.emit1("concat", inputs, {{"axis", axis}}));
}

void importPad(NodeContext &ctx) {
  int64_t rank = ctx.inputType(0).rank();
  std::string mode = ctx.attrString("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" &&
      !(mode == "wrap" && ctx.opset() >= 19))
    ctx.unsupported("attribute 'mode'='{}' is not supported", mode);
  std::vector<int64_t> pads;
  double value = 0;
  ValueId valueOperand = kNoValue; // a pad value known only at run time
  std::vector<int64_t> axes;
  if (ctx.opset() < 11) {
    ctx.checkAttrs({"mode", "pads", "paddings", "value"});
    pads = ctx.attrInts(ctx.opset() < 2 ? "paddings" : "pads", {});
    value = ctx.attrFloat("value", 0);
  } else {
    ctx.checkAttrs({"mode"});
    pads = intValues(ctx.requireConstant(1, "pads"));
    if (const Tensor *v = ctx.constantInput(2)) {
      if (v->numel() != 1) ctx.unsupported("the pad value must be one element");
      value = v->getDouble(0);
    } else if (ctx.hasInput(2)) {
      valueOperand = ctx.input(2);
    }
    if (ctx.hasInput(3)) {
      for (int64_t a : intValues(ctx.requireConstant(3, "axes")))
        axes.push_back(nodeAxis(ctx, a, rank));
    }
  }
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  if (pads.size() != 2 * axes.size())
    ctx.unsupported("{} pads for {} axes; expected two per axis", pads.size(), axes.size());
  std::vector<int64_t> full(static_cast<size_t>(2 * rank), 0);
  std::vector<char> seen(static_cast<size_t>(rank), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    auto a = static_cast<size_t>(axes[i]);
    if (seen[a]) ctx.unsupported("axis {} is listed twice", axes[i]);
    seen[a] = 1;
    full[a] = pads[i];
    full[a + static_cast<size_t>(rank)] = pads[i + axes.size()];
  }
  if (std::all_of(full.begin(), full.end(), [](int64_t p) { return p == 0; })) {
    ctx.setOutput(0, ctx.input(0));
    return;
  }
  std::vector<ValueId> operands{ctx.input(0)};
  if (valueOperand != kNoValue && mode == "constant") operands.push_back(valueOperand);
  ctx.setOutput(0, ctx.emit1("pad", operands, {{"pads", full}, {"mode", mode}, {"value", value}}));
}

void importGather(NodeContext &ctx) {
  ctx.checkAttrs({"axis"});
  int64_t axis = nodeAxis(ctx, ctx.attrInt("axis", 0), ctx.inputType(0).rank());
  // Constant indices are checked here so that a bad model fails at import, not at run time.
  if (const Tensor *indices = ctx.constantInput(1)) {
    int64_t extent = ctx.inputType(0).shape[static_cast<size_t>(axis)];
    for (int64_t i = 0; i < indices->numel(); ++i)
      if (int64_t k = indices->getInt(i); k < -extent || k >= extent)
        ctx.unsupported("index {} is out of range for axis {} of size {}", k, axis, extent);
  }
  ctx.setOutput(0, ctx.emit1("gather", {ctx.input(0), ctx.input(1)}, {{"axis", axis}}));
}

void importSlice(NodeContext &ctx) {
  const Shape &in = ctx.inputType(0).shape;
  auto rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (ctx.opset() < 10) {
    ctx.checkAttrs({"starts", "ends", "axes"});
    starts = ctx.attrInts("starts", {});
    ends = ctx.attrInts("ends", {});
    axes = ctx.attrInts("axes", {});
  } else {
    ctx.checkAttrs({});
    starts = intValues(ctx.requireConstant(1, "starts"));
    ends = intValues(ctx.requireConstant(2, "ends"));
    if (ctx.hasInput(3)) axes = intValues(ctx.requireConstant(3, "axes"));
    if (ctx.hasInput(4)) steps = intValues(ctx.requireConstant(4, "steps"));
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    ctx.unsupported("starts, ends, axes and steps have different lengths");

  std::vector<int64_t> cStarts(static_cast<size_t>(rank), 0), cSteps(static_cast<size_t>(rank), 1);
  std::vector<int64_t> cEnds(in.begin(), in.end());
  std::vector<char> seen(static_cast<size_t>(rank), 0);
  for (size_t i = 0; i < starts.size(); ++i) {
    auto d = static_cast<size_t>(nodeAxis(ctx, axes[i], rank));
    if (seen[d]) ctx.unsupported("axis {} is sliced twice", d);
    seen[d] = 1;
    int64_t dim = in[d];
    int64_t step = steps[i];
    if (step == 0) ctx.unsupported("step of axis {} is 0", d);
    int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (dim == 0) {
      start = end = 0;
    } else if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
    }
    cStarts[d] = start;
    cEnds[d] = end;
    cSteps[d] = step;
  }
  ctx.setOutput(0, ctx.emit1("slice", {ctx.input(0)},
                             {{"starts", cStarts}, {"ends", cEnds}, {"steps", cSteps}}));
}

void importSplit(NodeContext &ctx) {
  ctx.checkAttrs({"axis", "split", "num_outputs"});
  const Shape &in = ctx.inputType(0).shape;
  int64_t axis = nodeAxis(ctx, ctx.attrInt("axis", 0), static_cast<int64_t>(in.size()));
  int64_t dim = in[static_cast<size_t>(axis)];
  std::vector<int64_t> sizes;
  if (ctx.opset() < 13)
    sizes = ctx.attrInts("split", {});
  else if (ctx.hasInput(1))
    sizes = intValues(ctx.requireConstant(1, "split sizes"));
  if (sizes.empty()) {
    auto n = static_cast<int64_t>(ctx.numOutputs());
    if (ctx.opset() >= 18) {
      if (!ctx.hasAttr("num_outputs")) ctx.unsupported("needs 'split' or 'num_outputs'");
      n = ctx.attrInt("num_outputs");
    }
    if (n <= 0) ctx.unsupported("cannot split into {} pieces", n);
    // Opset 18+: pieces of ceil(dim / n), the last one smaller.
    int64_t chunk = ctx.opset() >= 18 ? (dim + n - 1) / n : dim / n;
    if (ctx.opset() < 18 && dim % n != 0)
      ctx.unsupported("axis {} of size {} does not split evenly into {} pieces", axis, dim, n);
    for (int64_t i = 0; i < n; ++i) sizes.push_back(std::clamp<int64_t>(dim - i * chunk, 0, chunk));
  }
  if (sizes.size() != ctx.numOutputs())
    ctx.unsupported("{} split sizes for {} outputs", sizes.size(), ctx.numOutputs());
  std::vector<ValueId> pieces =
      ctx.emit("split", {ctx.input(0)}, {{"axis", axis}, {"split", sizes}});
  for (size_t i = 0; i < pieces.size(); ++i) ctx.setOutput(i, pieces[i]);
}

void importShape(NodeContext &ctx) {
  ctx.checkAttrs({"start", "end"});
  const Shape &in = ctx.inputType(0).shape;
  auto rank = static_cast<int64_t>(in.size());
  auto clampIndex = [rank](int64_t i) {
    return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank);
  };
  int64_t start = clampIndex(ctx.attrInt("start", 0));
  int64_t end = clampIndex(ctx.attrInt("end", rank));
  std::vector<int64_t> dims;
  for (int64_t d = start; d < end; ++d) dims.push_back(in[static_cast<size_t>(d)]);
  ctx.setOutput(
      0, ctx.constant(Tensor::fromVector(DType::i64, {static_cast<int64_t>(dims.size())}, dims)));
}

void importSize(NodeContext &ctx) {
  ctx.checkAttrs({});
  Tensor t(DType::i64, {});
  t.setInt(0, checkedNumel(ctx.inputType(0).shape));
  ctx.setOutput(0, ctx.constant(std::move(t)));
}

Tensor listTensor(DType dtype, const std::vector<double> &values) {
  return Tensor::fromVector(dtype, {static_cast<int64_t>(values.size())}, values);
}

void importConstant(NodeContext &ctx) {
  ctx.checkAttrs({"value", "value_float", "value_floats", "value_int", "value_ints", "sparse_value",
                  "value_string", "value_strings"});
  if (ctx.node().attribute_size() != 1) ctx.unsupported("needs exactly one value attribute");
  const std::string &which = ctx.node().attribute(0).name();
  Tensor value;
  if (which == "value") {
    value = ctx.attrTensor("value");
  } else if (which == "value_float") {
    value = Tensor::scalar(DType::f32, ctx.attrFloat("value_float", 0));
  } else if (which == "value_floats") {
    value = listTensor(DType::f32, ctx.attrFloats("value_floats", {}));
  } else if (which == "value_int") {
    value = Tensor(DType::i64, {});
    value.setInt(0, ctx.attrInt("value_int"));
  } else if (which == "value_ints") {
    std::vector<int64_t> ints = ctx.attrInts("value_ints", {});
    value = Tensor(DType::i64, {static_cast<int64_t>(ints.size())});
    for (size_t i = 0; i < ints.size(); ++i) value.setInt(static_cast<int64_t>(i), ints[i]);
  } else {
    ctx.unsupported("attribute '{}' (sparse or string constants) is not supported", which);
  }
  ctx.setOutput(0, ctx.constant(std::move(value)));
}

void importConstantOfShape(NodeContext &ctx) {
  ctx.checkAttrs({"value"});
  Shape shape = intValues(ctx.requireConstant(0, "the shape"));
  for (int64_t d : shape)
    if (d < 0) ctx.unsupported("shape {} has a negative dim", shapeString(shape));
  checkedNumel(shape, ctx.where());
  Tensor fill = ctx.hasAttr("value") ? ctx.attrTensor("value") : Tensor::scalar(DType::f32, 0);
  if (fill.numel() != 1) ctx.unsupported("attribute 'value' must hold one element");
  ctx.checkSize(TensorType(fill.dtype(), shape));
  Tensor out(fill.dtype(), shape);
  size_t eb = storageBytes(fill.dtype());
  for (int64_t i = 0; i < out.numel(); ++i)
    std::copy_n(fill.bytes().begin(), eb,
                out.bytes().begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(i) * eb));
  ctx.setOutput(0, ctx.constant(std::move(out)));
}

void importExpand(NodeContext &ctx) {
  ctx.checkAttrs({});
  Shape target = intValues(ctx.requireConstant(1, "the target shape"));
  const Shape &in = ctx.inputType(0).shape;
  Shape shape = broadcastShapes(in, target, ctx.where());
  if (shape == in) {
    ctx.setOutput(0, ctx.input(0));
    return;
  }
  ctx.setOutput(0, ctx.emit1("expand", {ctx.input(0)}, {{"shape", shape}}));
}

void importTile(NodeContext &ctx) {
  ctx.checkAttrs({});
  if (ctx.opset() < 6) ctx.unsupported("Tile before opset 6 is not supported");
  std::vector<int64_t> repeats = intValues(ctx.requireConstant(1, "repeats"));
  ctx.setOutput(0, ctx.emit1("tile", {ctx.input(0)}, {{"repeats", repeats}}));
}

// Range(start, limit, delta) = start + i * delta for i < max(ceil((limit - start) / delta), 0),
// computed in the operand type.
void importRange(NodeContext &ctx) {
  ctx.checkAttrs({});
  const Tensor &start = ctx.requireConstant(0, "start");
  const Tensor &limit = ctx.requireConstant(1, "limit");
  const Tensor &delta = ctx.requireConstant(2, "delta");
  if (start.numel() != 1 || limit.numel() != 1 || delta.numel() != 1)
    ctx.unsupported("start, limit and delta must be scalars");
  DType t = start.dtype();
  if (limit.dtype() != t || delta.dtype() != t || t == DType::boolean)
    ctx.unsupported("start, limit and delta must have one numeric type");
  Tensor out = visitDType(t, [&]<typename T>(TypeTag<T>) {
    T s = start.data<T>()[0], l = limit.data<T>()[0], d = delta.data<T>()[0];
    if (d == T{0}) ctx.unsupported("delta is 0");
    // Float spans are computed in the operand type (as onnxruntime does), integer ones exactly.
    double span = std::is_floating_point_v<T> ? static_cast<double>(static_cast<T>(l - s))
                                              : static_cast<double>(l) - static_cast<double>(s);
    double count = std::ceil(span / static_cast<double>(d));
    if (!(count > 0)) count = 0;
    if (count > static_cast<double>(kMaxElements)) ctx.unsupported("the range is too long");
    ctx.checkSize(TensorType(t, {static_cast<int64_t>(count)}));
    Tensor r(t, {static_cast<int64_t>(count)});
    for (int64_t i = 0; i < r.numel(); ++i) {
      if constexpr (std::is_integral_v<T>)
        // In wrapping 64-bit arithmetic: the elements lie between start and limit, so the sum is
        // exact even where i * delta alone does not fit.
        r.data<T>()[i] = static_cast<T>(static_cast<uint64_t>(s) +
                                        static_cast<uint64_t>(i) * static_cast<uint64_t>(d));
      else
        r.data<T>()[i] = static_cast<T>(s + static_cast<T>(i) * d);
    }
    return r;
  });
  ctx.setOutput(0, ctx.constant(std::move(out)));
}

void importReduce(NodeContext &ctx, const std::string &kind, int64_t axesOperandSince) {
  ctx.checkAttrs({"axes", "keepdims", "noop_with_empty_axes"});
  int64_t rank = ctx.inputType(0).rank();
  std::vector<int64_t> axes;
  if (ctx.opset() < axesOperandSince)
    axes = ctx.attrInts("axes", {});
  else if (ctx.hasInput(1))
    axes = intValues(ctx.requireConstant(1, "axes"));
  if (axes.empty()) {
    if (ctx.attrInt("noop_with_empty_axes", 0) != 0) {
      ctx.setOutput(0, ctx.input(0));
      return;
    }
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  }
  axes = nodeAxes(ctx, axes, rank);
  int64_t keepdims = ctx.attrInt("keepdims", 1) != 0 ? 1 : 0;
  ctx.setOutput(0, ctx.emit1(kind, {ctx.input(0)}, {{"axes", axes}, {"keepdims", keepdims}}));
}

void importArg(NodeContext &ctx, const std::string &kind) {
  ctx.checkAttrs({"axis", "keepdims", "select_last_index"});
  int64_t axis = nodeAxis(ctx, ctx.attrInt("axis", 0), ctx.inputType(0).rank());
  ctx.setOutput(0, ctx.emit1(kind, {ctx.input(0)},
                             {{"axis", axis},
                              {"keepdims", ctx.attrInt("keepdims", 1) != 0 ? int64_t{1} : 0},
                              {"select_last_index",
                               ctx.attrInt("select_last_index", 0) != 0 ? int64_t{1} : 0}}));
}

void importTopK(NodeContext &ctx) {
  ctx.checkAttrs({"axis", "k", "largest", "sorted"});
  int64_t k = 0;
  if (ctx.opset() < 10) {
    k = ctx.attrInt("k");
  } else {
    std::vector<int64_t> kv = intValues(ctx.requireConstant(1, "k"));
    if (kv.size() != 1) ctx.unsupported("k must hold one value");
    k = kv[0];
  }
  int64_t axis = nodeAxis(ctx, ctx.attrInt("axis", -1), ctx.inputType(0).rank());
  // sorted=0 leaves the order to the implementation; the sorted order is one valid choice.
  std::vector<ValueId> results =
      ctx.emit("top_k", {ctx.input(0)},
               {{"axis", axis},
                {"k", k},
                {"largest", ctx.attrInt("largest", 1) != 0 ? int64_t{1} : 0},
                {"sorted", int64_t{1}}});
  ctx.setOutput(0, results[0]);
  ctx.setOutput(1, results[1]);
}

// Emits `resize` from per-axis float32 scales or output sizes (one of them non-empty).
void emitResize(NodeContext &ctx, std::string mode, std::string ctm, std::string nearestMode,
                std::vector<double> scales, Shape sizes) {
  const Shape &in = ctx.inputType(0).shape;
  size_t rank = in.size();
  if (!scales.empty()) {
    if (scales.size() != rank)
      ctx.unsupported("{} scales for a rank-{} operand", scales.size(), rank);
    sizes.clear();
    for (size_t d = 0; d < rank; ++d) {
      if (!(scales[d] > 0) || !std::isfinite(scales[d]))
        ctx.unsupported("scale {} of axis {} is not positive", scales[d], d);
      // The output size as onnxruntime computes it: floor of a float32 product.
      float size = static_cast<float>(in[d]) * static_cast<float>(scales[d]);
      if (!(size < static_cast<float>(kMaxElements))) ctx.unsupported("the result is too large");
      sizes.push_back(static_cast<int64_t>(size));
    }
  } else {
    if (sizes.size() != rank) ctx.unsupported("{} sizes for a rank-{} operand", sizes.size(), rank);
    for (size_t d = 0; d < rank; ++d) {
      if (in[d] == 0 || sizes[d] < 0)
        ctx.unsupported("cannot resize axis {} of size {} to {}", d, in[d], sizes[d]);
      scales.push_back(static_cast<float>(sizes[d]) / static_cast<float>(in[d]));
    }
  }
  ctx.setOutput(0, ctx.emit1("resize", {ctx.input(0)},
                             {{"mode", std::move(mode)},
                              {"coordinate_transformation_mode", std::move(ctm)},
                              {"nearest_mode", std::move(nearestMode)},
                              {"scales", scales},
                              {"sizes", sizes}}));
}

std::string resizeMode(NodeContext &ctx) {
  std::string mode = ctx.attrString("mode", "nearest");
  if (mode == "bilinear") mode = "linear";
  if (mode != "nearest" && mode != "linear")
    ctx.unsupported("attribute 'mode'='{}' is not supported", mode);
  return mode;
}

std::vector<double> floatValues(const Tensor &t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.getDouble(i);
  return v;
}

void importResize(NodeContext &ctx) {
  ctx.checkAttrs({"mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a",
                  "exclude_outside", "extrapolation_value", "antialias", "axes",
                  "keep_aspect_ratio_policy"});
  std::string mode = resizeMode(ctx);
  if (ctx.opset() < 11) {
    // Opset 10: asymmetric coordinates; nearest truncates (onnxruntime's rule).
    std::vector<double> scales = floatValues(ctx.requireConstant(1, "scales"));
    emitResize(ctx, mode, "asymmetric", "simple", scales, {});
    return;
  }
  std::string ctm = ctx.attrString("coordinate_transformation_mode", "half_pixel");
  if (ctm == "tf_crop_and_resize")
    ctx.unsupported("coordinate_transformation_mode 'tf_crop_and_resize' is not supported");
  std::string nearestMode = ctx.attrString("nearest_mode", "round_prefer_floor");
  if (ctx.attrInt("exclude_outside", 0) != 0)
    ctx.unsupported("attribute 'exclude_outside'=1 is not supported");
  if (ctx.attrInt("antialias", 0) != 0) ctx.unsupported("attribute 'antialias'=1 is not supported");
  std::string policy = ctx.attrString("keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch")
    ctx.unsupported("keep_aspect_ratio_policy '{}' is not supported", policy);

  const Shape &in = ctx.inputType(0).shape;
  auto rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> axes;
  for (int64_t a : ctx.attrInts("axes", {})) axes.push_back(nodeAxis(ctx, a, rank));
  std::vector<double> scales;
  Shape sizes;
  if (ctx.hasInput(2)) scales = floatValues(ctx.requireConstant(2, "scales"));
  if (ctx.hasInput(3)) sizes = intValues(ctx.requireConstant(3, "sizes"));
  if (scales.empty() == sizes.empty()) ctx.unsupported("needs exactly one of scales and sizes");
  if (!axes.empty()) {
    // Scales/sizes for the listed axes only; the others keep their size.
    size_t given = scales.empty() ? sizes.size() : scales.size();
    if (given != axes.size()) ctx.unsupported("{} values for {} axes", given, axes.size());
    std::vector<double> fullScales(static_cast<size_t>(rank), 1.0);
    Shape fullSizes = in;
    for (size_t i = 0; i < axes.size(); ++i) {
      auto a = static_cast<size_t>(axes[i]);
      if (scales.empty())
        fullSizes[a] = sizes[i];
      else
        fullScales[a] = scales[i];
    }
    if (scales.empty())
      sizes = fullSizes;
    else
      scales = fullScales;
  }
  emitResize(ctx, mode, ctm, nearestMode, scales, sizes);
}

void importUpsample(NodeContext &ctx) {
  ctx.checkAttrs({"mode", "scales"});
  if (ctx.opset() < 7) ctx.unsupported("Upsample before opset 7 is not supported");
  std::string mode = resizeMode(ctx);
  std::vector<double> scales = ctx.opset() < 9 ? ctx.attrFloats("scales", {})
                                               : floatValues(ctx.requireConstant(1, "scales"));
  emitResize(ctx, mode, "asymmetric", "simple", scales, {});
}

} // namespace

void registerTensorImporters(ImporterTable &table) {
  table.add("ai.onnx", "Reshape", importReshape);
  table.add("ai.onnx", "Flatten", importFlatten);
  table.add("ai.onnx", "Squeeze", importSqueeze);
  table.add("ai.onnx", "Unsqueeze", importUnsqueeze);
  table.add("ai.onnx", "Transpose", importTranspose);
  table.add("ai.onnx", "Concat", importConcat);
  table.add("ai.onnx", "Pad", importPad);
  table.add("ai.onnx", "Gather", importGather);
  table.add("ai.onnx", "Slice", importSlice);
  table.add("ai.onnx", "Split", importSplit);
  table.add("ai.onnx", "Shape", importShape);
  table.add("ai.onnx", "Size", importSize);
  table.add("ai.onnx", "Constant", importConstant);
  table.add("ai.onnx", "ConstantOfShape", importConstantOfShape);
  table.add("ai.onnx", "Expand", importExpand);
  table.add("ai.onnx", "Tile", importTile);
  table.add("ai.onnx", "Range", importRange);
  table.add("ai.onnx", "ReduceMax", [](NodeContext &ctx) { importReduce(ctx, "reduce_max", 18); });
  table.add("ai.onnx", "ReduceMin", [](NodeContext &ctx) { importReduce(ctx, "reduce_min", 18); });
  table.add("ai.onnx", "ReduceSum", [](NodeContext &ctx) { importReduce(ctx, "reduce_sum", 13); });
  table.add("ai.onnx", "ReduceMean",
            [](NodeContext &ctx) { importReduce(ctx, "reduce_mean", 18); });
  table.add("ai.onnx", "ReduceProd",
            [](NodeContext &ctx) { importReduce(ctx, "reduce_prod", 18); });
  table.add("ai.onnx", "ArgMax", [](NodeContext &ctx) { importArg(ctx, "arg_max"); });
  table.add("ai.onnx", "ArgMin", [](NodeContext &ctx) { importArg(ctx, "arg_min"); });
  table.add("ai.onnx", "TopK", importTopK);
  table.add("ai.onnx", "Resize", importResize);
  table.add("ai.onnx", "Upsample", importUpsample);
}

} // namespace qcc::frontend
