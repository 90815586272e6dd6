// Pooling and reduction kernels: max_pool (also with indices), average_pool, lp_pool (p = 1, 2),
// the global pools, packed_max_pool on bipolar bits, reduce_* and arg_max / arg_min. They visit
// window taps and reduced elements in the interpreter's order (ir/ops/pool.cpp, tensor.cpp,
// lowered.cpp) and accumulate in its types (floats in double, rounded once), so results are
// bit-exact.
#include "codegen/kernel.h"
#include "codegen/loop_builder.h"
#include "codegen/window_loops.h"
#include "ir/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <llvm/IR/Intrinsics.h>

namespace qcc::codegen {
namespace {

using llvm::Value;

// ---- windows ------------------------------------------------------------------------------

struct Window {
  WindowGeometry geometry;
  Shape inSpatial;
  Shape outSpatial;
  int64_t planes = 1;
};

Window poolWindow(const Op &op, const Shape &x, const Shape &kernel, bool withCeilMode) {
  Window w;
  w.planes = x.at(0) * x.at(1);
  w.inSpatial.assign(x.begin() + 2, x.end());
  w.geometry = readWindowGeometry(op, kernel, withCeilMode);
  w.outSpatial = w.geometry.outputShape(w.inSpatial, op.describe());
  return w;
}

// One tap of a window with its element's index in the whole tensor (row-major and, for
// max_pool_with_indices storage_order 1, column-major spatial part).
struct Tap {
  Value *valid;
  Value *notOutside;
  Value *index;
  Value *columnIndex;
};

struct WindowVisitor {
  std::function<void()> begin;          // before the taps of one output
  std::function<void(const Tap &)> tap; // every tap, kernel positions row-major
  std::function<void(Value *)> end;     // after them, with the output's linear index
};

// Visits every plane (N * C), output position and kernel tap in the interpreter's order.
void forEachWindow(LoopBuilder &b, const Window &w, const WindowVisitor &visit) {
  auto &ir = b.ir();
  int64_t inSize = checkedNumel(w.inSpatial);
  int64_t outSize = checkedNumel(w.outSpatial);
  if (inSize == 0) return;
  WindowLoops windows(b, w.geometry, w.inSpatial, w.outSpatial);
  b.loop(w.planes, [&](Value *plane) {
    Value *inBase = ir.CreateMul(plane, b.constI64(inSize));
    Value *outBase = ir.CreateMul(plane, b.constI64(outSize));
    windows.forEachOutput([&](Value *out) {
      visit.begin();
      windows.forEachTap([&](const WindowTap &tap) {
        visit.tap({tap.valid, tap.notOutside, ir.CreateAdd(inBase, tap.offset),
                   ir.CreateAdd(inBase, tap.columnOffset)});
      });
      visit.end(ir.CreateAdd(outBase, out));
    });
  });
}

// std::numeric_limits<T>::lowest() / max() of the storage type T of dtype t (sub-byte types
// have their 8-bit storage's limits).
Value *lowest(LoopBuilder &b, DType t) {
  llvm::Type *type = b.storageType(t);
  if (t == DType::f32) return b.constFloat(type, std::numeric_limits<float>::lowest());
  if (t == DType::f64) return b.constFloat(type, std::numeric_limits<double>::lowest());
  unsigned bits = type->getIntegerBitWidth();
  return llvm::ConstantInt::get(type, isSigned(t) ? llvm::APInt::getSignedMinValue(bits)
                                                  : llvm::APInt::getMinValue(bits));
}

Value *highest(LoopBuilder &b, DType t) {
  llvm::Type *type = b.storageType(t);
  unsigned bits = type->getIntegerBitWidth();
  return llvm::ConstantInt::get(type, isSigned(t) ? llvm::APInt::getSignedMaxValue(bits)
                                                  : llvm::APInt::getMaxValue(bits));
}

Value *greater(LoopBuilder &b, DType t, Value *x, Value *y) {
  auto &ir = b.ir();
  if (isFloat(t)) return ir.CreateFCmpOGT(x, y);
  return isSigned(t) ? ir.CreateICmpSGT(x, y) : ir.CreateICmpUGT(x, y);
}

// A stack slot for loop-carried state (promoted to registers by the optimiser).
struct Slot {
  LoopBuilder &b;
  llvm::Type *type;
  Value *ptr;
  Slot(LoopBuilder &builder, llvm::Type *t, const std::string &what)
      : b(builder), type(t), ptr(builder.stackBuffer(t, 1, what)) {}
  Value *get() { return b.load(type, ptr, b.constI64(0)); }
  void set(Value *v) { b.store(v, ptr, b.constI64(0)); }
};

// Integer max_pool without indices over 2-D windows: for integers the interpreter's rule is the
// maximum of the window's input elements (the lowest value when it has none). Rows are computed
// in segments of consecutive output columns as vectors; taps in rows of the padding read the
// lowest value; columns whose window crosses the left or right border take a scalar path.
constexpr int64_t kPoolLanes = 16;

bool rowSegmentsApply(const KernelRequest &request, const Window &w) {
  DType t = request.operandType(0).dtype;
  return request.op.kind == "max_pool" && isInteger(t) && t != DType::boolean &&
         w.inSpatial.size() == 2 && checkedNumel(w.outSpatial) > 0 && checkedNumel(w.inSpatial) > 0;
}

void emitMaxPoolRowSegments(const KernelRequest &request, llvm::Function &function,
                            const Window &w) {
  DType t = request.operandType(0).dtype;
  const WindowGeometry &g = w.geometry;
  int64_t height = w.inSpatial[0], width = w.inSpatial[1];
  int64_t outH = w.outSpatial[0], outW = w.outSpatial[1];
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *type = b.storageType(t);
  Value *low = lowest(b, t);
  auto larger = [&](Value *x, Value *y) { return ir.CreateSelect(greater(b, t, x, y), x, y); };
  RowSegments segments = rowSegments(g, width, outW, kPoolLanes);
  b.loop(w.planes, [&](Value *plane) {
    Value *inPlane = ir.CreateMul(plane, b.constI64(height * width));
    b.loop(outH, [&](Value *oh) {
      Value *outRow =
          ir.CreateMul(ir.CreateAdd(ir.CreateMul(plane, b.constI64(outH)), oh), b.constI64(outW));
      // Row i of the window: its start in x (row 0 when outside) and whether it is inside.
      auto windowRow = [&](int64_t i, Value *&inside) {
        Value *ih = ir.CreateAdd(ir.CreateMul(oh, b.constI64(g.strides[0])),
                                 b.constI64(i * g.dilations[0] - g.padsBegin[0]));
        inside = ir.CreateICmpULT(ih, b.constI64(height));
        return ir.CreateAdd(
            inPlane, ir.CreateMul(ir.CreateSelect(inside, ih, b.constI64(0)), b.constI64(width)));
      };
      b.loop(segments.count, [&](Value *s) {
        Value *ow0 = segments.start(b, s);
        Value *best = ir.CreateVectorSplat(static_cast<unsigned>(kPoolLanes), low);
        for (int64_t i = 0; i < g.kernel[0]; ++i) {
          Value *inside = nullptr;
          Value *row = windowRow(i, inside);
          for (int64_t j = 0; j < g.kernel[1]; ++j) {
            Value *start = ir.CreateAdd(ir.CreateMul(ow0, b.constI64(g.strides[1])),
                                        b.constI64(j * g.dilations[1] - g.padsBegin[1]));
            Value *v = b.loadStrided(type, b.operand(0), ir.CreateAdd(row, start), kPoolLanes,
                                     g.strides[1]);
            v = ir.CreateSelect(inside, v,
                                ir.CreateVectorSplat(static_cast<unsigned>(kPoolLanes), low));
            best = larger(v, best);
          }
        }
        ir.CreateAlignedStore(best, b.elementPtr(type, b.result(0), ir.CreateAdd(outRow, ow0)),
                              llvm::Align(1));
      });
      auto scalarColumns = [&](int64_t from, int64_t to) {
        b.loop(to - from, [&](Value *k) {
          Value *ow = ir.CreateAdd(k, b.constI64(from));
          Value *best = low;
          for (int64_t i = 0; i < g.kernel[0]; ++i) {
            Value *inside = nullptr;
            Value *row = windowRow(i, inside);
            for (int64_t j = 0; j < g.kernel[1]; ++j) {
              Value *iw = ir.CreateAdd(ir.CreateMul(ow, b.constI64(g.strides[1])),
                                       b.constI64(j * g.dilations[1] - g.padsBegin[1]));
              Value *valid = ir.CreateAnd(inside, ir.CreateICmpULT(iw, b.constI64(width)));
              Value *v = b.load(type, b.operand(0),
                                ir.CreateAdd(row, ir.CreateSelect(valid, iw, b.constI64(0))));
              best = larger(ir.CreateSelect(valid, v, low), best);
            }
          }
          b.store(best, b.result(0), ir.CreateAdd(outRow, ow));
        });
      };
      scalarColumns(0, segments.lo);
      scalarColumns(segments.hi, outW);
    });
  });
  b.finish();
}

void emitMaxPool(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  bool withIndices = op.kind == "max_pool_with_indices";
  bool columns = withIndices && op.getInt("storage_order") == 1;
  DType t = request.operandType(0).dtype;
  Window w = poolWindow(op, request.operandType(0).shape, op.getInts("kernel_shape"), true);
  if (rowSegmentsApply(request, w)) return emitMaxPoolRowSegments(request, function, w);
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *type = b.storageType(t);
  Slot best(b, type, op.describe()), where(b, b.i64(), op.describe());
  Value *zero = b.constI64(0);
  forEachWindow(
      b, w,
      {.begin =
           [&] {
             best.set(lowest(b, t));
             where.set(b.constI64(-1));
           },
       .tap =
           [&](const Tap &tap) {
             // The first non-NaN element, then strictly greater ones (pool.cpp).
             Value *v = b.load(type, b.operand(0), tap.index);
             Value *current = best.get();
             Value *none = ir.CreateICmpSLT(where.get(), zero);
             Value *isNumber = isFloat(t) ? ir.CreateFCmpOEQ(v, v) : ir.getTrue();
             Value *wins = ir.CreateSelect(none, isNumber, greater(b, t, v, current));
             wins = ir.CreateAnd(wins, tap.valid);
             best.set(ir.CreateSelect(wins, v, current));
             where.set(ir.CreateSelect(wins, columns ? tap.columnIndex : tap.index, where.get()));
           },
       .end =
           [&](Value *out) {
             b.store(best.get(), b.result(0), out);
             if (withIndices) b.store(where.get(), b.result(1), out);
           }});
  b.finish();
}

void emitAveragePool(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  bool includePad = op.getInt("count_include_pad") == 1;
  DType t = request.operandType(0).dtype;
  Window w = poolWindow(op, request.operandType(0).shape, op.getInts("kernel_shape"), true);
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *type = b.storageType(t);
  Slot sum(b, b.f64(), op.describe()), count(b, b.i64(), op.describe());
  forEachWindow(b, w,
                {.begin =
                     [&] {
                       sum.set(b.constFloat(b.f64(), 0.0));
                       count.set(b.constI64(0));
                     },
                 .tap =
                     [&](const Tap &tap) {
                       Value *v = b.convertFloat(b.load(type, b.operand(0), tap.index), b.f64());
                       Value *s = sum.get();
                       sum.set(ir.CreateSelect(tap.valid, ir.CreateFAdd(s, v), s));
                       Value *counted = includePad ? tap.notOutside : tap.valid;
                       count.set(ir.CreateAdd(count.get(), ir.CreateZExt(counted, b.i64())));
                     },
                 .end =
                     [&](Value *out) {
                       Value *n = count.get();
                       Value *mean = ir.CreateFDiv(sum.get(), ir.CreateSIToFP(n, b.f64()));
                       Value *y = ir.CreateSelect(ir.CreateICmpEQ(n, b.constI64(0)),
                                                  b.quietNaN(type), b.convertFloat(mean, type));
                       b.store(y, b.result(0), out);
                     }});
  b.finish();
}

void emitLpPool(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  int64_t p = op.getInt("p");
  if (p != 1 && p != 2)
    fail("{}: the code generator implements lp_pool for p = 1 and p = 2 only, got p = {}",
         op.describe(), p);
  DType t = request.operandType(0).dtype;
  Window w = poolWindow(op, request.operandType(0).shape, op.getInts("kernel_shape"), true);
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *type = b.storageType(t);
  Slot sum(b, b.f64(), op.describe());
  forEachWindow(b, w,
                {.begin = [&] { sum.set(b.constFloat(b.f64(), 0.0)); },
                 .tap =
                     [&](const Tap &tap) {
                       // pow(|x|, 1) and pow(|x|, 2) are exact in double.
                       Value *v = b.convertFloat(b.load(type, b.operand(0), tap.index), b.f64());
                       v = ir.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, v);
                       if (p == 2) v = ir.CreateFMul(v, v);
                       Value *s = sum.get();
                       sum.set(ir.CreateSelect(tap.valid, ir.CreateFAdd(s, v), s));
                     },
                 .end =
                     [&](Value *out) {
                       Value *s = sum.get();
                       if (p == 2) s = ir.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, s);
                       b.store(b.convertFloat(s, type), b.result(0), out);
                     }});
  b.finish();
}

void emitGlobalPool(const KernelRequest &request, llvm::Function &function) {
  bool average = request.op.kind == "global_average_pool";
  const TensorType &x = request.operandType(0);
  int64_t planes = x.shape.at(0) * x.shape.at(1);
  int64_t size = planes == 0 ? 0 : x.numel() / planes;
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *type = b.storageType(x.dtype);
  b.loop(planes, [&](Value *plane) {
    Value *base = ir.CreateMul(plane, b.constI64(size));
    Value *y = nullptr;
    if (average) {
      Value *sum = b.accumulate(size, b.constFloat(b.f64(), 0.0), [&](Value *i, Value *acc) {
        Value *v = b.load(type, b.operand(0), ir.CreateAdd(base, i));
        return ir.CreateFAdd(acc, b.convertFloat(v, b.f64()));
      });
      y = b.convertFloat(ir.CreateFDiv(sum, b.constFloat(b.f64(), static_cast<double>(size))),
                         type);
    } else {
      y = b.accumulate(size, lowest(b, x.dtype), [&](Value *i, Value *best) {
        Value *v = b.load(type, b.operand(0), ir.CreateAdd(base, i));
        return ir.CreateSelect(greater(b, x.dtype, v, best), v, best);
      });
    }
    b.store(y, b.result(0), plane);
  });
  b.finish();
}

// OR of the words of every tap holding an input element (lowered.cpp packed_max_pool).
void emitPackedMaxPool(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const TensorType &x = request.operandType(0);
  if (x.layout.planes != 1)
    fail("{}: the code generator pools packed tensors of one plane (bipolar), got {}",
         op.describe(), typeString(x));
  Shape logical{x.shape.at(0), 1, x.shape.at(1), x.shape.at(2)};
  Window w = poolWindow(op, logical, op.getInts("kernel_shape"), true);
  w.planes = x.shape[0];
  int64_t words = x.shape.at(4);
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  Value *acc = b.stackBuffer(b.i64(), words, op.describe());
  forEachWindow(b, w,
                {.begin = [&] { b.loop(words, [&](Value *i) { b.store(b.constI64(0), acc, i); }); },
                 .tap =
                     [&](const Tap &tap) {
                       b.ifThen(tap.valid, [&] {
                         Value *base = ir.CreateMul(tap.index, b.constI64(words));
                         b.loop(words, [&](Value *i) {
                           Value *v = b.load(b.i64(), b.operand(0), ir.CreateAdd(base, i));
                           b.store(ir.CreateOr(b.load(b.i64(), acc, i), v), acc, i);
                         });
                       });
                     },
                 .end =
                     [&](Value *out) {
                       Value *base = ir.CreateMul(out, b.constI64(words));
                       b.loop(words, [&](Value *i) {
                         b.store(b.load(b.i64(), acc, i), b.result(0), ir.CreateAdd(base, i));
                       });
                     }});
  b.finish();
}

// ---- reductions (tensor.cpp) --------------------------------------------------------------

// Iterates the kept dims (outer loops, the result's linear index) and for each the reduced dims
// row-major: the order in which the interpreter adds each result's elements.
void forEachReduction(LoopBuilder &b, const Shape &shape, const std::vector<int64_t> &axes,
                      const std::function<void()> &begin,
                      const std::function<void(Value *)> &element,
                      const std::function<void(Value *)> &end) {
  std::vector<int64_t> strides = rowMajor(shape);
  Shape kept, reduced;
  std::vector<int64_t> keptStrides, reducedStrides;
  for (size_t d = 0; d < shape.size(); ++d) {
    bool isReduced = std::find(axes.begin(), axes.end(), static_cast<int64_t>(d)) != axes.end();
    (isReduced ? reduced : kept).push_back(shape[d]);
    (isReduced ? reducedStrides : keptStrides).push_back(strides[d]);
  }
  b.forEachIndex(kept, {rowMajor(kept), keptStrides}, [&](const std::vector<Value *> &out) {
    begin();
    b.forEachIndex(reduced, {reducedStrides}, [&](const std::vector<Value *> &in) {
      element(b.ir().CreateAdd(out[1], in[0]));
    });
    end(out[0]);
  });
}

void emitReduce(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const std::string &kind = op.kind;
  const TensorType &x = request.operandType(0);
  DType t = x.dtype;
  const std::vector<int64_t> &axes = op.getInts("axes");
  int64_t outCount = request.resultType(0).numel();
  int64_t count = outCount == 0 ? 0 : x.numel() / outCount;
  bool isMax = kind == "reduce_max", isMin = kind == "reduce_min";
  bool isMean = kind == "reduce_mean", isProd = kind == "reduce_prod";
  if (isMean && !isFloat(t) && count == 0 && outCount > 0)
    fail("{}: mean of an empty set of integers", op.describe());
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *type = b.storageType(t);
  // Floats accumulate in double, integers in 64 bits (wrapping); max / min in the dtype.
  llvm::Type *accType = isMax || isMin ? type : isFloat(t) ? b.f64() : b.i64();
  Slot acc(b, accType, op.describe());
  Value *init = nullptr;
  if (isMax || isMin) {
    if (isFloat(t))
      init = b.constFloat(type, isMax ? -HUGE_VAL : HUGE_VAL);
    else
      init = isMax ? lowest(b, t) : highest(b, t);
  } else {
    init = isFloat(t) ? b.constFloat(accType, isProd ? 1.0 : 0.0) : b.constI64(isProd ? 1 : 0);
  }
  forEachReduction(
      b, x.shape, axes, [&] { acc.set(init); },
      [&](Value *at) {
        Value *v = b.load(type, b.operand(0), at);
        Value *a = acc.get();
        Value *next = nullptr;
        if (isMax || isMin) {
          Value *better = isFloat(t)    ? (isMax ? ir.CreateFCmpOLT(a, v) : ir.CreateFCmpOLT(v, a))
                          : isSigned(t) ? (isMax ? ir.CreateICmpSLT(a, v) : ir.CreateICmpSLT(v, a))
                                        : (isMax ? ir.CreateICmpULT(a, v) : ir.CreateICmpULT(v, a));
          next = ir.CreateSelect(better, v, a);
          if (isFloat(t))
            next = ir.CreateSelect(ir.CreateOr(b.isNaN(v), b.isNaN(a)), b.quietNaN(type), next);
        } else if (isFloat(t)) {
          Value *wide = b.convertFloat(v, b.f64());
          next = isProd ? ir.CreateFMul(a, wide) : ir.CreateFAdd(a, wide);
        } else {
          Value *wide = b.toI64(t, v);
          next = isProd ? ir.CreateMul(a, wide) : ir.CreateAdd(a, wide);
        }
        acc.set(next);
      },
      [&](Value *out) {
        Value *a = acc.get();
        Value *y = nullptr;
        if (isMax || isMin) {
          y = a;
        } else if (isFloat(t)) {
          if (isMean) a = ir.CreateFDiv(a, b.constFloat(b.f64(), static_cast<double>(count)));
          y = b.convertFloat(a, type);
        } else {
          if (isMean)
            a = isSigned(t) ? ir.CreateSDiv(a, b.constI64(count))
                            : ir.CreateUDiv(a, b.constI64(count));
          y = ir.CreateTrunc(a, type);
        }
        b.store(y, b.result(0), out);
      });
  b.finish();
}

// lessWithNaN of tensor.cpp: NaN ranks above every number.
Value *lessWithNaN(LoopBuilder &b, DType t, Value *x, Value *y) {
  auto &ir = b.ir();
  if (!isFloat(t)) return isSigned(t) ? ir.CreateICmpSLT(x, y) : ir.CreateICmpULT(x, y);
  Value *r = ir.CreateSelect(b.isNaN(y), ir.getTrue(), ir.CreateFCmpOLT(x, y));
  return ir.CreateSelect(b.isNaN(x), ir.getFalse(), r);
}

void emitArg(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  bool isMax = op.kind == "arg_max";
  bool last = op.getInt("select_last_index") != 0;
  const TensorType &x = request.operandType(0);
  DType t = x.dtype;
  auto axis = static_cast<size_t>(op.getInt("axis"));
  int64_t outer = 1, inner = 1, extent = x.shape.at(axis);
  for (size_t d = 0; d < x.shape.size(); ++d) {
    if (d < axis) outer *= x.shape[d];
    if (d > axis) inner *= x.shape[d];
  }
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *type = b.storageType(t);
  Slot bestIndex(b, b.i64(), op.describe()), bestValue(b, type, op.describe());
  b.forEachIndex(
      {outer, inner}, {{extent * inner, 1}, {inner, 1}}, [&](const std::vector<Value *> &at) {
        Value *row = at[0];
        bestIndex.set(b.constI64(0));
        bestValue.set(b.load(type, b.operand(0), row));
        b.loop(extent - 1, [&](Value *i) {
          Value *k = ir.CreateAdd(i, b.constI64(1));
          Value *v =
              b.load(type, b.operand(0), ir.CreateAdd(row, ir.CreateMul(k, b.constI64(inner))));
          Value *current = bestValue.get();
          Value *better = isMax ? lessWithNaN(b, t, current, v) : lessWithNaN(b, t, v, current);
          if (isFloat(t)) better = ir.CreateAnd(better, ir.CreateNot(b.isNaN(current)));
          Value *tie = ir.CreateAnd(ir.CreateNot(lessWithNaN(b, t, current, v)),
                                    ir.CreateNot(lessWithNaN(b, t, v, current)));
          Value *take = last ? ir.CreateOr(better, tie) : better;
          bestIndex.set(ir.CreateSelect(take, k, bestIndex.get()));
          bestValue.set(ir.CreateSelect(take, v, current));
        });
        b.store(bestIndex.get(), b.result(0), at[1]);
      });
  b.finish();
}

// top_k: the k first elements of each row in the order of a stable sort (largest: descending,
// NaN largest). The j-th is the first element, in that order, after the (j-1)-th: k scans of
// the row and no scratch memory.
void emitTopK(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  bool largest = op.getInt("largest") != 0;
  int64_t k = op.getInt("k");
  const TensorType &x = request.operandType(0);
  DType t = x.dtype;
  auto axis = static_cast<size_t>(op.getInt("axis"));
  int64_t outer = 1, inner = 1, extent = x.shape.at(axis);
  for (size_t d = 0; d < x.shape.size(); ++d) {
    if (d < axis) outer *= x.shape[d];
    if (d > axis) inner *= x.shape[d];
  }
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *type = b.storageType(t);
  Slot previous(b, b.i64(), op.describe()), previousValue(b, type, op.describe());
  Slot best(b, b.i64(), op.describe()), bestValue(b, type, op.describe());
  // Whether (value a, index ia) comes before (value c, index ic) in the sorted order.
  auto before = [&](Value *a, Value *ia, Value *c, Value *ic) {
    Value *ahead = largest ? lessWithNaN(b, t, c, a) : lessWithNaN(b, t, a, c);
    Value *tie =
        ir.CreateAnd(ir.CreateNot(lessWithNaN(b, t, a, c)), ir.CreateNot(lessWithNaN(b, t, c, a)));
    return ir.CreateOr(ahead, ir.CreateAnd(tie, ir.CreateICmpSLT(ia, ic)));
  };
  b.forEachIndex(
      {outer, inner}, {{extent * inner, 1}, {k * inner, 1}}, [&](const std::vector<Value *> &at) {
        Value *row = at[0];
        b.loop(k, [&](Value *j) {
          best.set(b.constI64(-1));
          bestValue.set(b.load(type, b.operand(0), row));
          b.loop(extent, [&](Value *e) {
            Value *v =
                b.load(type, b.operand(0), ir.CreateAdd(row, ir.CreateMul(e, b.constI64(inner))));
            Value *eligible = ir.CreateOr(ir.CreateICmpEQ(j, b.constI64(0)),
                                          before(previousValue.get(), previous.get(), v, e));
            Value *first = ir.CreateICmpSLT(best.get(), b.constI64(0));
            Value *better = ir.CreateOr(first, before(v, e, bestValue.get(), best.get()));
            Value *take = ir.CreateAnd(eligible, better);
            best.set(ir.CreateSelect(take, e, best.get()));
            bestValue.set(ir.CreateSelect(take, v, bestValue.get()));
          });
          previous.set(best.get());
          previousValue.set(bestValue.get());
          Value *to = ir.CreateAdd(at[1], ir.CreateMul(j, b.constI64(inner)));
          b.store(bestValue.get(), b.result(0), to);
          b.store(best.get(), b.result(1), to);
        });
      });
  b.finish();
}

} // namespace

void registerPoolKernels(KernelRegistry &registry) {
  registry.add("max_pool", emitMaxPool);
  registry.add("max_pool_with_indices", emitMaxPool);
  registry.add("average_pool", emitAveragePool);
  registry.add("lp_pool", emitLpPool);
  registry.add("global_average_pool", emitGlobalPool);
  registry.add("global_max_pool", emitGlobalPool);
  registry.add("packed_max_pool", emitPackedMaxPool);
  for (const char *kind : {"reduce_max", "reduce_min", "reduce_sum", "reduce_mean", "reduce_prod"})
    registry.add(kind, emitReduce);
  registry.add("arg_max", emitArg);
  registry.add("arg_min", emitArg);
  registry.add("top_k", emitTopK);
}

} // namespace qcc::codegen
