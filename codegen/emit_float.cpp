// Float fallback kernels: conv, gemm, matmul (float and integer), batch_normalization and
// softmax / log_softmax / hardmax (ir/ops/conv.cpp, matmul.cpp, nn.cpp). Products are summed in
// double in the interpreter's order and rounded once, so conv, gemm, matmul and
// batch_normalization are bit-exact; softmax and log_softmax use the exp / log of
// codegen/float_math.h (within rtol 1e-6 of libm), hardmax is exact.
#include "codegen/float_math.h"
#include "codegen/kernel.h"
#include "codegen/loop_builder.h"
#include "codegen/window_loops.h"
#include "ir/error.h"
#include "ir/ops/broadcast.h"

namespace qcc::codegen {
namespace {

using llvm::Value;

// ---- conv ----------------------------------------------------------------------------------

// y[n, m, p] = T(sum over c in m's group, taps q of x * w) (+ bias[m]); padding taps are
// skipped, products and sums in double.
void emitConv(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const TensorType &xType = request.operandType(0);
  const TensorType &wType = request.operandType(1);
  DType t = xType.dtype;
  int64_t batch = xType.shape.at(0), channels = xType.shape.at(1), outputs = wType.shape.at(0);
  int64_t group = op.getInt("group");
  Shape inSpatial(xType.shape.begin() + 2, xType.shape.end());
  Shape kernel(wType.shape.begin() + 2, wType.shape.end());
  WindowGeometry geometry = readWindowGeometry(op, kernel, false);
  Shape outSpatial = geometry.outputShape(inSpatial, op.describe());
  int64_t groupIn = channels / group, groupOut = outputs / group;
  int64_t taps = checkedNumel(kernel), inSize = checkedNumel(inSpatial);
  int64_t outSize = checkedNumel(outSpatial);
  bool hasBias = request.hasOperand(2);
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  if (request.resultType(0).numel() == 0 || inSize == 0) {
    b.finish();
    return;
  }
  llvm::Type *type = b.storageType(t);
  WindowLoops windows(b, geometry, inSpatial, outSpatial);
  b.loop(batch, [&](Value *n) {
    b.loop(outputs, [&](Value *m) {
      Value *g = ir.CreateUDiv(m, b.constI64(groupOut));
      Value *xGroup = ir.CreateMul(
          ir.CreateAdd(ir.CreateMul(n, b.constI64(channels)), ir.CreateMul(g, b.constI64(groupIn))),
          b.constI64(inSize));
      Value *wFilter = ir.CreateMul(m, b.constI64(groupIn * taps));
      Value *yPlane =
          ir.CreateMul(ir.CreateAdd(ir.CreateMul(n, b.constI64(outputs)), m), b.constI64(outSize));
      Value *bias = hasBias ? b.load(type, b.operand(2), m) : nullptr;
      windows.forEachOutput([&](Value *p) {
        Value *acc = b.accumulate(groupIn, b.constFloat(b.f64(), 0.0), [&](Value *c, Value *sum) {
          Value *xc = ir.CreateAdd(xGroup, ir.CreateMul(c, b.constI64(inSize)));
          Value *wc = ir.CreateAdd(wFilter, ir.CreateMul(c, b.constI64(taps)));
          Value *slot = b.stackBuffer(b.f64(), 1, op.describe());
          b.store(sum, slot, b.constI64(0));
          windows.forEachTap([&](const WindowTap &tap) {
            Value *xv = b.load(type, b.operand(0), ir.CreateAdd(xc, tap.offset));
            Value *wv = b.load(type, b.operand(1), ir.CreateAdd(wc, tap.kernelIndex));
            Value *product =
                ir.CreateFMul(b.convertFloat(xv, b.f64()), b.convertFloat(wv, b.f64()));
            Value *s = b.load(b.f64(), slot, b.constI64(0));
            b.store(ir.CreateSelect(tap.valid, ir.CreateFAdd(s, product), s), slot, b.constI64(0));
          });
          return b.load(b.f64(), slot, b.constI64(0));
        });
        Value *y = b.convertFloat(acc, type);
        if (bias) y = ir.CreateFAdd(y, bias);
        b.store(y, b.result(0), ir.CreateAdd(yPlane, p));
      });
    });
  });
  b.finish();
}

// ---- matmul and gemm -----------------------------------------------------------------------

// Per output row, `acc` (n accumulators: double for floats, i64 for integers) gets
// acc[j] += a(k) * b(k, j) for k = 0.., the interpreter's order per element, vectorized over j.
struct RowProduct {
  LoopBuilder &b;
  llvm::Type *accType;
  Value *acc;
  int64_t n;

  void clear() {
    Value *zero = accType->isDoubleTy() ? b.constFloat(accType, 0.0) : b.constI64(0);
    b.loop(n, [&](Value *j) { b.store(zero, acc, j); });
  }
  // Adds av * (element j of the row read by `bAt`).
  void add(Value *av, const std::function<Value *(Value *)> &bAt) {
    auto &ir = b.ir();
    b.loop(n, [&](Value *j) {
      Value *bv = bAt(j);
      Value *product = accType->isDoubleTy() ? ir.CreateFMul(av, bv) : ir.CreateMul(av, bv);
      Value *sum = b.load(accType, acc, j);
      b.store(accType->isDoubleTy() ? ir.CreateFAdd(sum, product) : ir.CreateAdd(sum, product), acc,
              j);
    });
  }
};

// An element of dtype t widened to the accumulator type (double, or i64 through int64 like
// matmul.cpp's widen).
Value *widen(LoopBuilder &b, DType t, Value *v) {
  return isFloat(t) ? b.convertFloat(v, b.f64()) : b.toI64(t, v);
}

void emitMatMul(const KernelRequest &request, llvm::Function &function) {
  const Shape &aShape = request.operandType(0).shape;
  const Shape &bShape = request.operandType(1).shape;
  DType t = request.operandType(0).dtype;
  Shape aBatch, bBatch;
  int64_t m = 1, k = aShape.back(), n = 1;
  if (aShape.size() >= 2) {
    m = aShape[aShape.size() - 2];
    aBatch.assign(aShape.begin(), aShape.end() - 2);
  }
  if (bShape.size() >= 2) {
    n = bShape.back();
    bBatch.assign(bShape.begin(), bShape.end() - 2);
  }
  Shape batch = broadcastShapes(aBatch, bBatch);
  int64_t batchCount = checkedNumel(batch);
  std::vector<int64_t> aOf, bOf;
  BroadcastIndex aMap(aBatch, batch), bMap(bBatch, batch);
  for (int64_t i = 0; i < batchCount; ++i) {
    aOf.push_back(aMap(i));
    bOf.push_back(bMap(i));
  }
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  if (request.resultType(0).numel() == 0) {
    b.finish();
    return;
  }
  llvm::Type *type = b.storageType(t);
  llvm::Type *accType = isFloat(t) ? b.f64() : b.i64();
  RowProduct row{b, accType, b.stackBuffer(accType, n, request.op.describe()), n};
  Value *aTable = b.constantTable(aOf, "a_batch"), *bTable = b.constantTable(bOf, "b_batch");
  b.loop(batchCount, [&](Value *bt) {
    Value *aMat = ir.CreateMul(b.load(b.i64(), aTable, bt), b.constI64(m * k));
    Value *bMat = ir.CreateMul(b.load(b.i64(), bTable, bt), b.constI64(k * n));
    b.loop(m, [&](Value *i) {
      row.clear();
      b.loop(k, [&](Value *kk) {
        Value *aAt = ir.CreateAdd(aMat, ir.CreateAdd(ir.CreateMul(i, b.constI64(k)), kk));
        Value *av = widen(b, t, b.load(type, b.operand(0), aAt));
        Value *bRow = ir.CreateAdd(bMat, ir.CreateMul(kk, b.constI64(n)));
        row.add(av, [&](Value *j) {
          return widen(b, t, b.load(type, b.operand(1), ir.CreateAdd(bRow, j)));
        });
      });
      Value *yRow = ir.CreateMul(ir.CreateAdd(ir.CreateMul(bt, b.constI64(m)), i), b.constI64(n));
      b.loop(n, [&](Value *j) {
        Value *sum = b.load(accType, row.acc, j);
        Value *y = isFloat(t) ? b.convertFloat(sum, type) : ir.CreateTrunc(sum, type);
        b.store(y, b.result(0), ir.CreateAdd(yRow, j));
      });
    });
  });
  b.finish();
}

void emitGemm(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const Shape &aShape = request.operandType(0).shape;
  const Shape &bShape = request.operandType(1).shape;
  DType t = request.operandType(0).dtype;
  bool transA = op.getInt("trans_a") == 1, transB = op.getInt("trans_b") == 1;
  int64_t m = transA ? aShape[1] : aShape[0];
  int64_t k = transA ? aShape[0] : aShape[1];
  int64_t n = transB ? bShape[0] : bShape[1];
  bool hasC = request.hasOperand(2);
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  if (m * n == 0) {
    b.finish();
    return;
  }
  llvm::Type *type = b.storageType(t);
  auto param = [&](const char *name) {
    double v = op.getFloat(name);
    return b.constFloat(type, type->isFloatTy() ? static_cast<double>(static_cast<float>(v)) : v);
  };
  Value *alpha = param("alpha"), *beta = param("beta");
  std::vector<int64_t> cStrides =
      hasC ? broadcastStrides(request.operandType(2).shape, {m, n}) : std::vector<int64_t>{0, 0};
  RowProduct row{b, b.f64(), b.stackBuffer(b.f64(), n, op.describe()), n};
  b.loop(m, [&](Value *i) {
    row.clear();
    b.loop(k, [&](Value *kk) {
      Value *aAt = transA ? ir.CreateAdd(ir.CreateMul(kk, b.constI64(m)), i)
                          : ir.CreateAdd(ir.CreateMul(i, b.constI64(k)), kk);
      Value *av = b.convertFloat(b.load(type, b.operand(0), aAt), b.f64());
      row.add(av, [&](Value *j) {
        Value *bAt = transB ? ir.CreateAdd(ir.CreateMul(j, b.constI64(k)), kk)
                            : ir.CreateAdd(ir.CreateMul(kk, b.constI64(n)), j);
        return b.convertFloat(b.load(type, b.operand(1), bAt), b.f64());
      });
    });
    b.loop(n, [&](Value *j) {
      Value *r = ir.CreateFMul(alpha, b.convertFloat(b.load(b.f64(), row.acc, j), type));
      if (hasC) {
        Value *cAt = ir.CreateAdd(ir.CreateMul(i, b.constI64(cStrides[0])),
                                  ir.CreateMul(j, b.constI64(cStrides[1])));
        r = ir.CreateFAdd(r, ir.CreateFMul(beta, b.load(type, b.operand(2), cAt)));
      }
      b.store(r, b.result(0), ir.CreateAdd(ir.CreateMul(i, b.constI64(n)), j));
    });
  });
  b.finish();
}

// ---- batch normalization and softmax -------------------------------------------------------

void emitBatchNorm(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const Shape &shape = request.operandType(0).shape;
  DType t = request.operandType(0).dtype;
  bool activation = request.operandType(1).shape.size() > 1;
  int64_t channels = shape.at(1);
  int64_t inner = checkedNumel(Shape(shape.begin() + 2, shape.end()));
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *type = b.storageType(t);
  double epsilon = op.getFloat("epsilon");
  if (type->isFloatTy()) epsilon = static_cast<float>(epsilon);
  Value *eps = b.constFloat(type, epsilon);
  Shape view{shape.at(0), channels, inner};
  std::vector<int64_t> statistic =
      activation ? std::vector<int64_t>{0, inner, 1} : std::vector<int64_t>{0, 1, 0};
  b.forEachIndex(view, {rowMajor(view), statistic}, [&](const std::vector<Value *> &at) {
    auto stat = [&](size_t i) { return b.load(type, b.operand(i), at[1]); };
    Value *x = b.load(type, b.operand(0), at[0]);
    Value *root = ir.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, ir.CreateFAdd(stat(4), eps));
    Value *y = ir.CreateFDiv(ir.CreateFSub(x, stat(3)), root);
    y = ir.CreateFAdd(ir.CreateFMul(y, stat(1)), stat(2));
    b.store(y, b.result(0), at[0]);
  });
  b.finish();
}

// Training-mode batch normalization (nn.cpp): batch statistics per channel summed in double,
// then normalization and the running statistics in the dtype.
void emitBatchNormTraining(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const Shape &shape = request.operandType(0).shape;
  DType t = request.operandType(0).dtype;
  int64_t batch = shape.at(0), channels = shape.at(1);
  int64_t inner = checkedNumel(Shape(shape.begin() + 2, shape.end()));
  auto count = static_cast<double>(batch * inner);
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *type = b.storageType(t);
  auto inType = [&](double v) {
    return b.constFloat(type, type->isFloatTy() ? static_cast<double>(static_cast<float>(v)) : v);
  };
  Value *eps = inType(op.getFloat("epsilon"));
  Value *momentum = inType(op.getFloat("momentum"));
  Value *keep = inType(1.0 - op.getFloat("momentum"));
  b.loop(channels, [&](Value *c) {
    // Elements (n, i) of channel c, n outer.
    auto overChannel = [&](Value *init, const LoopBuilder::Step &step) {
      return b.accumulate(batch, init, [&](Value *n, Value *acc) {
        Value *base =
            ir.CreateMul(ir.CreateAdd(ir.CreateMul(n, b.constI64(channels)), c), b.constI64(inner));
        return b.accumulate(inner, acc,
                            [&](Value *i, Value *a) { return step(ir.CreateAdd(base, i), a); });
      });
    };
    Value *sum = overChannel(b.constFloat(b.f64(), 0.0), [&](Value *at, Value *acc) {
      return ir.CreateFAdd(acc, b.convertFloat(b.load(type, b.operand(0), at), b.f64()));
    });
    Value *meanD = ir.CreateFDiv(sum, b.constFloat(b.f64(), count));
    Value *squares = overChannel(b.constFloat(b.f64(), 0.0), [&](Value *at, Value *acc) {
      Value *d = ir.CreateFSub(b.convertFloat(b.load(type, b.operand(0), at), b.f64()), meanD);
      return ir.CreateFAdd(acc, ir.CreateFMul(d, d));
    });
    Value *mean = b.convertFloat(meanD, type);
    Value *var = b.convertFloat(ir.CreateFDiv(squares, b.constFloat(b.f64(), count)), type);
    Value *denominator = ir.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, ir.CreateFAdd(var, eps));
    Value *scale = b.load(type, b.operand(1), c), *bias = b.load(type, b.operand(2), c);
    overChannel(b.constI64(0), [&](Value *at, Value *acc) {
      Value *x = b.load(type, b.operand(0), at);
      Value *y = ir.CreateFDiv(ir.CreateFSub(x, mean), denominator);
      b.store(ir.CreateFAdd(ir.CreateFMul(y, scale), bias), b.result(0), at);
      return acc;
    });
    Value *runningMean = ir.CreateFAdd(ir.CreateFMul(b.load(type, b.operand(3), c), momentum),
                                       ir.CreateFMul(mean, keep));
    Value *runningVar = ir.CreateFAdd(ir.CreateFMul(b.load(type, b.operand(4), c), momentum),
                                      ir.CreateFMul(var, keep));
    b.store(runningMean, b.result(1), c);
    b.store(runningVar, b.result(2), c);
  });
  b.finish();
}

void emitSoftmax(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const std::string &kind = op.kind;
  const Shape &shape = request.operandType(0).shape;
  DType t = request.operandType(0).dtype;
  const std::vector<int64_t> &axes = op.getInts("axes");
  int64_t outer = 1, length = 1, inner = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    auto sd = static_cast<int64_t>(d);
    int64_t &part = sd < axes.front() ? outer : sd <= axes.back() ? length : inner;
    part *= shape[d];
  }
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  if (outer * length * inner == 0) {
    b.finish();
    return;
  }
  llvm::Type *type = b.storageType(t);
  Value *best = b.stackBuffer(type, 1, op.describe());
  Value *bestAt = b.stackBuffer(b.i64(), 1, op.describe());
  Value *zero = b.constI64(0);
  b.forEachIndex({outer, inner}, {{length * inner, 1}}, [&](const std::vector<Value *> &base) {
    auto at = [&](Value *kk) { return ir.CreateAdd(base[0], ir.CreateMul(kk, b.constI64(inner))); };
    // The first maximum (nn.cpp: strictly greater replaces it).
    b.store(b.load(type, b.operand(0), base[0]), best, zero);
    b.store(zero, bestAt, zero);
    b.loop(length - 1, [&](Value *i) {
      Value *kk = ir.CreateAdd(i, b.constI64(1));
      Value *v = b.load(type, b.operand(0), at(kk));
      Value *current = b.load(type, best, zero);
      Value *wins = ir.CreateFCmpOGT(v, current);
      b.store(ir.CreateSelect(wins, v, current), best, zero);
      b.store(ir.CreateSelect(wins, kk, b.load(b.i64(), bestAt, zero)), bestAt, zero);
    });
    if (kind == "hardmax") {
      Value *winner = b.load(b.i64(), bestAt, zero);
      b.loop(length, [&](Value *kk) {
        Value *y = ir.CreateSelect(ir.CreateICmpEQ(kk, winner), b.constFloat(type, 1.0),
                                   b.constFloat(type, 0.0));
        b.store(y, b.result(0), at(kk));
      });
      return;
    }
    Value *max = b.load(type, best, zero);
    Value *sum = b.accumulate(length, b.constFloat(b.f64(), 0.0), [&](Value *kk, Value *acc) {
      Value *e = emitExp(b, ir.CreateFSub(b.load(type, b.operand(0), at(kk)), max));
      return ir.CreateFAdd(acc, b.convertFloat(e, b.f64()));
    });
    Value *total = b.convertFloat(sum, type);
    Value *logTotal = kind == "log_softmax" ? emitLog(b, total) : nullptr;
    b.loop(length, [&](Value *kk) {
      Value *shifted = ir.CreateFSub(b.load(type, b.operand(0), at(kk)), max);
      Value *y = kind == "softmax" ? ir.CreateFDiv(emitExp(b, shifted), total)
                                   : ir.CreateFSub(shifted, logTotal);
      b.store(y, b.result(0), at(kk));
    });
  });
  b.finish();
}

} // namespace

void registerFloatKernels(KernelRegistry &registry) {
  registry.add("conv", emitConv);
  registry.add("matmul", emitMatMul);
  registry.add("gemm", emitGemm);
  registry.add("batch_normalization", emitBatchNorm);
  registry.add("batch_normalization_training", emitBatchNormTraining);
  registry.add("softmax", emitSoftmax);
  registry.add("log_softmax", emitSoftmax);
  registry.add("hardmax", emitSoftmax);
}

} // namespace qcc::codegen
