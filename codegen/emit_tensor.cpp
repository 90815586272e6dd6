// Data-movement kernels: transpose, concat, pad, gather, slice, split, expand, tile and resize
// (ir/ops/tensor.cpp). Byte views (reshape and its aliases) are not kernels: the module builder
// shares or copies their bytes. Elements move as their storage bytes, so every dtype is exact;
// linear resize repeats the interpreter's float32 weights and corner order.
#include "codegen/kernel.h"
#include "codegen/loop_builder.h"
#include "ir/error.h"
#include "ir/ops/resize_coordinates.h"

#include <algorithm>
#include <cmath>

namespace qcc::codegen {
namespace {

using llvm::Value;

// out[o] = in[base + sum_d o_d * strides[d]] over every index o of result `result`.
void stridedCopy(LoopBuilder &b, size_t result, int64_t base, const std::vector<int64_t> &strides) {
  const TensorType &out = b.request().resultType(result);
  llvm::Type *type = b.storageType(out.dtype);
  b.forEachIndex(out.shape, {rowMajor(out.shape), strides}, [&](const std::vector<Value *> &at) {
    Value *from = b.ir().CreateAdd(at[1], b.constI64(base));
    b.store(b.load(type, b.operand(0), from), b.result(result), at[0]);
  });
}

void emitTranspose(const KernelRequest &request, llvm::Function &function) {
  const std::vector<int64_t> &perm = request.op.getInts("perm");
  std::vector<int64_t> inStrides = rowMajor(request.operandType(0).shape);
  std::vector<int64_t> strides(perm.size());
  for (size_t d = 0; d < perm.size(); ++d) strides[d] = inStrides.at(static_cast<size_t>(perm[d]));
  LoopBuilder b(request, function);
  stridedCopy(b, 0, 0, strides);
  b.finish();
}

void emitSlice(const KernelRequest &request, llvm::Function &function) {
  const std::vector<int64_t> &starts = request.op.getInts("starts");
  const std::vector<int64_t> &steps = request.op.getInts("steps");
  std::vector<int64_t> inStrides = rowMajor(request.operandType(0).shape);
  std::vector<int64_t> strides(inStrides.size());
  int64_t base = 0;
  for (size_t d = 0; d < inStrides.size(); ++d) {
    strides[d] = inStrides[d] * steps.at(d);
    base += starts.at(d) * inStrides[d];
  }
  LoopBuilder b(request, function);
  // An empty result reads nothing (its start may lie outside the operand).
  if (request.resultType(0).numel() > 0) stridedCopy(b, 0, base, strides);
  b.finish();
}

void emitSplit(const KernelRequest &request, llvm::Function &function) {
  auto axis = static_cast<size_t>(request.op.getInt("axis"));
  std::vector<int64_t> strides = rowMajor(request.operandType(0).shape);
  LoopBuilder b(request, function);
  int64_t offset = 0;
  for (size_t j = 0; j < request.op.outputs.size(); ++j) {
    stridedCopy(b, j, offset * strides[axis], strides);
    offset += request.resultType(j).shape[axis];
  }
  b.finish();
}

void emitExpand(const KernelRequest &request, llvm::Function &function) {
  LoopBuilder b(request, function);
  stridedCopy(b, 0, 0, broadcastStrides(request.operandType(0).shape, request.resultType(0).shape));
  b.finish();
}

void emitTile(const KernelRequest &request, llvm::Function &function) {
  const Shape &in = request.operandType(0).shape;
  const Shape &out = request.resultType(0).shape;
  const std::vector<int64_t> &repeats = request.op.getInts("repeats");
  std::vector<int64_t> inStrides = rowMajor(in), outStrides = rowMajor(out);
  // Output dim d = (repeat r, position k): offset r * in_d * outStride_d + k * outStride_d.
  Shape shape;
  std::vector<int64_t> outStep, inStep;
  for (size_t d = 0; d < in.size(); ++d) {
    shape.insert(shape.end(), {repeats.at(d), in[d]});
    outStep.insert(outStep.end(), {in[d] * outStrides[d], outStrides[d]});
    inStep.insert(inStep.end(), {0, inStrides[d]});
  }
  LoopBuilder b(request, function);
  llvm::Type *type = b.storageType(request.resultType(0).dtype);
  b.forEachIndex(shape, {outStep, inStep}, [&](const std::vector<Value *> &at) {
    b.store(b.load(type, b.operand(0), at[1]), b.result(0), at[0]);
  });
  b.finish();
}

void emitConcat(const KernelRequest &request, llvm::Function &function) {
  auto axis = static_cast<size_t>(request.op.getInt("axis"));
  const Shape &out = request.resultType(0).shape;
  std::vector<int64_t> outStrides = rowMajor(out);
  LoopBuilder b(request, function);
  llvm::Type *type = b.storageType(request.resultType(0).dtype);
  int64_t position = 0;
  for (size_t i = 0; i < request.op.inputs.size(); ++i) {
    const Shape &in = request.operandType(i).shape;
    int64_t base = position * outStrides[axis];
    b.forEachIndex(in, {rowMajor(in), outStrides}, [&](const std::vector<Value *> &at) {
      Value *to = b.ir().CreateAdd(at[1], b.constI64(base));
      b.store(b.load(type, b.operand(i), at[0]), b.result(0), to);
    });
    position += in[axis];
  }
  b.finish();
}

// Nested loops over `shape` where dim d reads operand position tables[d][o_d] (-1: the element
// is `fill`, not read). Used by pad and resize (nearest).
void tableGather(LoopBuilder &b, const std::vector<std::vector<int64_t>> &tables, Value *fill) {
  const KernelRequest &request = b.request();
  const Shape &out = request.resultType(0).shape;
  std::vector<int64_t> inStrides = rowMajor(request.operandType(0).shape);
  std::vector<int64_t> outStrides = rowMajor(out);
  llvm::Type *type = b.storageType(request.resultType(0).dtype);
  auto &ir = b.ir();
  std::vector<Value *> tableGlobals;
  bool anyFill = false;
  for (size_t d = 0; d < tables.size(); ++d) {
    // A table of consecutive positions is the index itself: no lookup.
    bool identity = true;
    for (size_t o = 0; o < tables[d].size(); ++o)
      identity = identity && tables[d][o] == static_cast<int64_t>(o);
    for (int64_t v : tables[d]) anyFill = anyFill || v < 0;
    tableGlobals.push_back(identity ? nullptr
                                    : b.constantTable(tables[d], "positions" + std::to_string(d)));
  }
  for (int64_t d : out)
    if (d <= 0) return;
  std::function<void(size_t, Value *, Value *, Value *)> level = [&](size_t d, Value *to,
                                                                     Value *from, Value *inside) {
    if (d == out.size()) {
      Value *v = b.load(type, b.operand(0), from);
      if (anyFill) v = ir.CreateSelect(inside, v, fill);
      b.store(v, b.result(0), to);
      return;
    }
    b.loop(out[d], [&](Value *o) {
      Value *position = tableGlobals[d] ? b.load(b.i64(), tableGlobals[d], o) : o;
      Value *valid = ir.CreateICmpSGE(position, b.constI64(0));
      Value *safe = ir.CreateSelect(valid, position, b.constI64(0));
      level(d + 1, ir.CreateAdd(to, ir.CreateMul(o, b.constI64(outStrides[d]))),
            ir.CreateAdd(from, ir.CreateMul(safe, b.constI64(inStrides[d]))),
            ir.CreateAnd(inside, valid));
    });
  };
  level(0, b.constI64(0), b.constI64(0), ir.getTrue());
}

void emitPad(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const std::vector<int64_t> &pads = op.getInts("pads");
  const std::string &mode = op.getString("mode");
  const TensorType &x = request.operandType(0);
  const Shape &out = request.resultType(0).shape;
  size_t rank = x.shape.size();
  // Per axis and output coordinate: the source index, or -1 for the constant (tensor.cpp).
  std::vector<std::vector<int64_t>> sources(rank);
  for (size_t d = 0; d < rank; ++d) {
    int64_t lo = std::max<int64_t>(0, -pads[d]);
    int64_t n = x.shape[d] - lo - std::max<int64_t>(0, -pads[d + rank]);
    for (int64_t o = 0; o < out[d]; ++o) {
      int64_t k = o - std::max<int64_t>(0, pads[d]);
      if (k < 0 || k >= n) {
        if (mode == "constant") {
          sources[d].push_back(-1);
          continue;
        }
        if (mode == "edge") {
          k = std::clamp<int64_t>(k, 0, n - 1);
        } else if (mode == "wrap") {
          k = ((k % n) + n) % n;
        } else if (n == 1) {
          k = 0;
        } else {
          int64_t period = 2 * (n - 1);
          k = std::abs(k) % period;
          if (k >= n) k = period - k;
        }
      }
      sources[d].push_back(k + lo);
    }
  }
  LoopBuilder b(request, function);
  llvm::Type *type = b.storageType(x.dtype);
  Value *fill = nullptr;
  if (request.hasOperand(1)) {
    fill = b.load(type, b.operand(1), b.constI64(0));
  } else {
    // The attribute value converted as the interpreter converts it.
    Tensor value = Tensor::scalar(x.dtype, 0);
    if (mode == "constant") {
      double v = op.getFloat("value");
      if (isInteger(x.dtype) && !std::isfinite(v))
        fail("{}: pad value {} does not fit {}", op.describe(), v, dtypeName(x.dtype));
      if (isInteger(x.dtype))
        v = std::clamp(std::trunc(v), static_cast<double>(dtypeMin(x.dtype)),
                       static_cast<double>(dtypeMax(x.dtype)));
      value.setDouble(0, v);
    }
    fill = b.ir().CreateLoad(type, b.constantTable(type, value.bytes(), "fill"));
  }
  tableGather(b, sources, fill);
  b.finish();
}

void emitGather(const KernelRequest &request, llvm::Function &function) {
  auto axis = static_cast<size_t>(request.op.getInt("axis"));
  const TensorType &data = request.operandType(0);
  const TensorType &indices = request.operandType(1);
  int64_t outer = 1, inner = 1, extent = data.shape[axis];
  for (size_t d = 0; d < data.shape.size(); ++d) {
    if (d < axis) outer *= data.shape[d];
    if (d > axis) inner *= data.shape[d];
  }
  int64_t count = indices.numel();
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *type = b.storageType(data.dtype);
  int64_t elementBytes = static_cast<int64_t>(storageBytes(data.dtype));
  if (extent > 0 && inner > 0)
    b.loop(outer, [&](Value *o) {
      b.loop(count, [&](Value *j) {
        Value *k = b.toI64(indices.dtype, b.load(indices.dtype, b.operand(1), j));
        k = ir.CreateSelect(ir.CreateICmpSLT(k, b.constI64(0)), ir.CreateAdd(k, b.constI64(extent)),
                            k);
        // The interpreter refuses indices out of range; they read the nearest row here.
        k = b.smax(b.smin(k, b.constI64(extent - 1)), b.constI64(0));
        Value *from =
            ir.CreateMul(ir.CreateAdd(ir.CreateMul(o, b.constI64(extent)), k), b.constI64(inner));
        Value *to =
            ir.CreateMul(ir.CreateAdd(ir.CreateMul(o, b.constI64(count)), j), b.constI64(inner));
        b.copyBytes(b.elementPtr(type, b.result(0), to), b.elementPtr(type, b.operand(0), from),
                    inner * elementBytes);
      });
    });
  b.finish();
}

// ---- resize ---------------------------------------------------------------------------------

void emitResize(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const Shape &in = request.operandType(0).shape;
  const Shape &out = request.resultType(0).shape;
  const std::string &ctm = op.getString("coordinate_transformation_mode");
  const std::string &nearest = op.getString("nearest_mode");
  bool linear = op.getString("mode") == "linear";
  const std::vector<double> &scales = op.getFloats("scales");
  size_t rank = in.size();
  // Per axis and output index: the two source indices and the weight of the second (the
  // interpreter's tap table, computed by the same float32 code).
  std::vector<std::vector<int64_t>> first(rank), second(rank);
  std::vector<std::vector<float>> weight(rank);
  for (size_t d = 0; d < rank; ++d) {
    auto scale = static_cast<float>(scales[d]);
    for (int64_t o = 0; o < out[d]; ++o) {
      float c =
          scale == 1.0f ? static_cast<float>(o) : originalCoordinate(ctm, o, scale, in[d], out[d]);
      if (linear) {
        c = std::clamp(c, 0.0f, static_cast<float>(in[d] - 1));
        auto i0 = static_cast<int64_t>(c);
        first[d].push_back(i0);
        second[d].push_back(std::min(i0 + 1, in[d] - 1));
        weight[d].push_back(c - static_cast<float>(i0));
      } else {
        first[d].push_back(std::clamp<int64_t>(nearestIndex(nearest, c, scale), 0, in[d] - 1));
      }
    }
  }
  LoopBuilder b(request, function);
  if (!linear) {
    tableGather(b, first, nullptr);
    b.finish();
    return;
  }
  auto &ir = b.ir();
  llvm::Type *type = b.storageType(request.resultType(0).dtype);
  std::vector<int64_t> inStrides = rowMajor(in), outStrides = rowMajor(out);
  // Axes whose second weight is 0 everywhere contribute weight 1 from their first corner and
  // skip the second; the others interpolate.
  std::vector<bool> interpolates(rank);
  std::vector<Value *> firstTable(rank), secondTable(rank), weightTable(rank), restTable(rank);
  for (size_t d = 0; d < rank; ++d) {
    interpolates[d] =
        std::any_of(weight[d].begin(), weight[d].end(), [](float w) { return w != 0.0f; });
    std::string n = std::to_string(d);
    firstTable[d] = b.constantTable(first[d], "first" + n);
    if (!interpolates[d]) continue;
    secondTable[d] = b.constantTable(second[d], "second" + n);
    std::vector<float> rest;
    for (float w : weight[d]) rest.push_back(1.0f - w);
    weightTable[d] = b.constantTable(weight[d], "weight" + n);
    restTable[d] = b.constantTable(rest, "rest" + n);
  }
  for (int64_t d : out)
    if (d <= 0) {
      b.finish();
      return;
    }
  // Per dim: the index and, for interpolating dims, both taps and weights.
  struct Taps {
    Value *i0, *i1, *w1, *w0;
  };
  std::vector<Taps> taps(rank);
  std::function<void(size_t, Value *)> level = [&](size_t d, Value *to) {
    if (d == rank) {
      Value *sum = b.constFloat(type, 0.0);
      for (uint64_t corner = 0; corner < (uint64_t{1} << rank); ++corner) {
        bool skip = false;
        for (size_t k = 0; k < rank; ++k) skip = skip || (((corner >> k) & 1) && !interpolates[k]);
        if (skip) continue;
        Value *w = b.constFloat(type, 1.0);
        Value *from = b.constI64(0);
        for (size_t k = 0; k < rank; ++k) {
          bool useSecond = (corner >> k) & 1;
          Value *index = useSecond ? taps[k].i1 : taps[k].i0;
          from = ir.CreateAdd(from, ir.CreateMul(index, b.constI64(inStrides[k])));
          if (interpolates[k])
            w = ir.CreateFMul(w, b.convertFloat(useSecond ? taps[k].w1 : taps[k].w0, type));
        }
        // Corners of weight 0 are skipped (they would turn an infinite operand into NaN).
        Value *added = ir.CreateFAdd(sum, ir.CreateFMul(w, b.load(type, b.operand(0), from)));
        sum = ir.CreateSelect(ir.CreateFCmpUNE(w, b.constFloat(type, 0.0)), added, sum);
      }
      b.store(sum, b.result(0), to);
      return;
    }
    b.loop(out[d], [&](Value *o) {
      taps[d].i0 = b.load(b.i64(), firstTable[d], o);
      if (interpolates[d]) {
        taps[d].i1 = b.load(b.i64(), secondTable[d], o);
        taps[d].w1 = b.load(b.f32(), weightTable[d], o);
        taps[d].w0 = b.load(b.f32(), restTable[d], o);
      }
      level(d + 1, ir.CreateAdd(to, ir.CreateMul(o, b.constI64(outStrides[d]))));
    });
  };
  level(0, b.constI64(0));
  b.finish();
}

} // namespace

void registerTensorKernels(KernelRegistry &registry) {
  registry.add("transpose", emitTranspose);
  registry.add("slice", emitSlice);
  registry.add("split", emitSplit);
  registry.add("expand", emitExpand);
  registry.add("tile", emitTile);
  registry.add("concat", emitConcat);
  registry.add("pad", emitPad);
  registry.add("gather", emitGather);
  registry.add("resize", emitResize);
}

} // namespace qcc::codegen
