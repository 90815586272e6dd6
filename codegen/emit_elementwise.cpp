// Elementwise kernels: binary ops with numpy broadcasting, variadic min/max, where, unary math,
// clip and cast. Each computes exactly what ir/ops/elementwise.cpp computes: integer ops wrap
// in the storage type and sub-byte results are re-wrapped to their width; float ops are single
// IEEE operations in the element type (same order, no contraction), min/max/clip propagate
// NaN as the canonical quiet NaN, and std::max / std::min tie-breaking is kept (it decides the
// sign of a zero result). Integer division or modulo by zero, which the interpreter refuses,
// yields the dividend (resp. 0) instead of undefined behaviour.
#include "codegen/float_math.h"
#include "codegen/kernel.h"
#include "codegen/loop_builder.h"
#include "ir/error.h"

#include <llvm/IR/Intrinsics.h>

namespace qcc::codegen {
namespace {

using llvm::Value;

bool isSubByte(DType t) {
  return t == DType::i2 || t == DType::u2 || t == DType::i4 || t == DType::u4;
}

// std::max(a, b) = a < b ? b : a and std::min(a, b) = b < a ? b : a in dtype `t`.
Value *stdMax(LoopBuilder &b, DType t, Value *x, Value *y) {
  auto &ir = b.ir();
  Value *less = isFloat(t)    ? ir.CreateFCmpOLT(x, y)
                : isSigned(t) ? ir.CreateICmpSLT(x, y)
                              : ir.CreateICmpULT(x, y);
  return ir.CreateSelect(less, y, x);
}

Value *stdMin(LoopBuilder &b, DType t, Value *x, Value *y) {
  auto &ir = b.ir();
  Value *less = isFloat(t)    ? ir.CreateFCmpOLT(y, x)
                : isSigned(t) ? ir.CreateICmpSLT(y, x)
                              : ir.CreateICmpULT(y, x);
  return ir.CreateSelect(less, y, x);
}

// floatMax / floatMin of elementwise.cpp: NaN if either is NaN, else std::max / std::min.
Value *minMax(LoopBuilder &b, DType t, bool isMax, Value *x, Value *y) {
  Value *r = isMax ? stdMax(b, t, x, y) : stdMin(b, t, x, y);
  if (!isFloat(t)) return r;
  auto &ir = b.ir();
  Value *nan = ir.CreateOr(b.isNaN(x), b.isNaN(y));
  return ir.CreateSelect(nan, b.quietNaN(x->getType()), r);
}

// ---- binary ops ----------------------------------------------------------------------------

using BinaryFn = std::function<Value *(LoopBuilder &, const Op &, DType, Value *, Value *)>;

Value *integerDivide(LoopBuilder &b, DType t, Value *x, Value *y) {
  auto &ir = b.ir();
  llvm::Type *type = x->getType();
  Value *zero = b.constInt(type, 0);
  Value *byZero = ir.CreateICmpEQ(y, zero);
  if (!isSigned(t)) return ir.CreateUDiv(x, ir.CreateSelect(byZero, b.constInt(type, 1), y));
  // MIN / -1 overflows: the interpreter wraps it (x / -1 = -x).
  Value *byMinusOne = ir.CreateICmpEQ(y, b.constInt(type, -1));
  Value *safe = ir.CreateSelect(ir.CreateOr(byZero, byMinusOne), b.constInt(type, 1), y);
  return ir.CreateSelect(byMinusOne, ir.CreateSub(zero, x), ir.CreateSDiv(x, safe));
}

Value *integerModulo(LoopBuilder &b, DType t, Value *x, Value *y, bool signOfDividend) {
  auto &ir = b.ir();
  llvm::Type *type = x->getType();
  Value *zero = b.constInt(type, 0);
  Value *byZero = ir.CreateICmpEQ(y, zero);
  if (!isSigned(t)) {
    Value *r = ir.CreateURem(x, ir.CreateSelect(byZero, b.constInt(type, 1), y));
    return ir.CreateSelect(byZero, zero, r);
  }
  Value *byMinusOne = ir.CreateICmpEQ(y, b.constInt(type, -1));
  Value *bad = ir.CreateOr(byZero, byMinusOne);
  Value *r = ir.CreateSRem(x, ir.CreateSelect(bad, b.constInt(type, 1), y));
  if (!signOfDividend) {
    Value *differ = ir.CreateICmpNE(ir.CreateICmpSLT(r, zero), ir.CreateICmpSLT(y, zero));
    r = ir.CreateSelect(ir.CreateAnd(ir.CreateICmpNE(r, zero), differ), ir.CreateAdd(r, y), r);
  }
  return ir.CreateSelect(bad, zero, r);
}

// Integer x^e by squaring in the base's storage type; negative exponents as intPow.
Value *integerPower(LoopBuilder &b, DType t, Value *x, Value *e) {
  auto &ir = b.ir();
  llvm::Type *type = x->getType();
  Value *one = b.constInt(type, 1);
  Value *zero = b.constInt(type, 0);
  // result and base over the 64 bits of the exponent.
  Value *result = one, *base = x;
  for (int bit = 0; bit < 64; ++bit) {
    Value *set = ir.CreateICmpNE(ir.CreateAnd(ir.CreateLShr(e, uint64_t(bit)), b.constI64(1)),
                                 b.constI64(0));
    result = ir.CreateSelect(set, ir.CreateMul(result, base), result);
    base = ir.CreateMul(base, base);
  }
  Value *negative = ir.CreateICmpSLT(e, b.constI64(0));
  Value *reciprocal = ir.CreateSelect(ir.CreateICmpEQ(x, one), one, zero);
  if (isSigned(t)) {
    Value *odd = ir.CreateICmpNE(ir.CreateAnd(e, b.constI64(1)), b.constI64(0));
    Value *minusOne = b.constInt(type, -1);
    reciprocal = ir.CreateSelect(ir.CreateICmpEQ(x, minusOne), ir.CreateSelect(odd, minusOne, one),
                                 reciprocal);
  }
  return ir.CreateSelect(negative, reciprocal, result);
}

Value *shift(LoopBuilder &b, Value *x, Value *y, bool left) {
  auto &ir = b.ir();
  llvm::Type *type = x->getType();
  Value *tooFar = ir.CreateICmpUGE(y, b.constInt(type, type->getIntegerBitWidth()));
  Value *shifted = left ? ir.CreateShl(x, y) : ir.CreateLShr(x, y);
  return ir.CreateSelect(tooFar, b.constInt(type, 0), shifted);
}

BinaryFn arithmetic(unsigned floatOp, unsigned intOp) {
  return [floatOp, intOp](LoopBuilder &b, const Op &, DType t, Value *x, Value *y) -> Value * {
    auto opcode = static_cast<llvm::Instruction::BinaryOps>(isFloat(t) ? floatOp : intOp);
    return b.ir().CreateBinOp(opcode, x, y);
  };
}

BinaryFn comparison(llvm::CmpInst::Predicate floatPred, llvm::CmpInst::Predicate signedPred,
                    llvm::CmpInst::Predicate unsignedPred) {
  return [=](LoopBuilder &b, const Op &, DType t, Value *x, Value *y) -> Value * {
    auto pred = isFloat(t) ? floatPred : isSigned(t) ? signedPred : unsignedPred;
    return b.ir().CreateZExt(b.ir().CreateCmp(pred, x, y), b.i8());
  };
}

BinaryFn logical(llvm::Instruction::BinaryOps opcode) {
  return [opcode](LoopBuilder &b, const Op &, DType, Value *x, Value *y) -> Value * {
    auto &ir = b.ir();
    Value *bx = ir.CreateICmpNE(x, b.constInt(x->getType(), 0));
    Value *by = ir.CreateICmpNE(y, b.constInt(y->getType(), 0));
    return ir.CreateZExt(ir.CreateBinOp(opcode, bx, by), b.i8());
  };
}

const std::map<std::string, BinaryFn> &binaryOps() {
  using P = llvm::CmpInst::Predicate;
  using I = llvm::Instruction;
  static const std::map<std::string, BinaryFn> ops = {
      {"add", arithmetic(I::FAdd, I::Add)},
      {"sub", arithmetic(I::FSub, I::Sub)},
      {"mul", arithmetic(I::FMul, I::Mul)},
      {"div",
       [](LoopBuilder &b, const Op &, DType t, Value *x, Value *y) -> Value * {
         return isFloat(t) ? b.ir().CreateFDiv(x, y) : integerDivide(b, t, x, y);
       }},
      {"mod",
       [](LoopBuilder &b, const Op &op, DType t, Value *x, Value *y) -> Value * {
         if (isFloat(t))
           fail("{}: float mod (fmod) is not supported by the code generator", op.describe());
         return integerModulo(b, t, x, y, op.getInt("fmod") != 0);
       }},
      {"shift_left",
       [](LoopBuilder &b, const Op &, DType, Value *x, Value *y) { return shift(b, x, y, true); }},
      {"shift_right",
       [](LoopBuilder &b, const Op &, DType, Value *x, Value *y) { return shift(b, x, y, false); }},
      {"bitwise_and", arithmetic(I::And, I::And)},
      {"bitwise_or", arithmetic(I::Or, I::Or)},
      {"bitwise_xor", arithmetic(I::Xor, I::Xor)},
      {"and", logical(I::And)},
      {"or", logical(I::Or)},
      {"xor", logical(I::Xor)},
      {"equal", comparison(P::FCMP_OEQ, P::ICMP_EQ, P::ICMP_EQ)},
      {"less", comparison(P::FCMP_OLT, P::ICMP_SLT, P::ICMP_ULT)},
      {"less_equal", comparison(P::FCMP_OLE, P::ICMP_SLE, P::ICMP_ULE)},
      {"greater", comparison(P::FCMP_OGT, P::ICMP_SGT, P::ICMP_UGT)},
      {"greater_equal", comparison(P::FCMP_OGE, P::ICMP_SGE, P::ICMP_UGE)},
  };
  return ops;
}

void emitBinary(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const BinaryFn &f = binaryOps().at(op.kind);
  DType t = request.operandType(0).dtype;
  DType out = request.resultType(0).dtype;
  LoopBuilder b(request, function);
  b.forEachBroadcast(2, [&](const std::vector<Value *> &at) {
    Value *x = b.load(t, b.operand(0), at[1]);
    Value *y = b.load(t, b.operand(1), at[2]);
    Value *r = f(b, op, t, x, y);
    if (isSubByte(out)) r = b.wrapToDType(out, r);
    b.store(r, b.result(0), at[0]);
  });
  b.finish();
}

void emitPow(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  DType base = request.operandType(0).dtype;
  DType exponent = request.operandType(1).dtype;
  if (isFloat(base) || isFloat(exponent))
    fail("{}: pow with a float base or exponent is not supported by the code generator (it "
         "needs libm's pow)",
         op.describe());
  LoopBuilder b(request, function);
  b.forEachBroadcast(2, [&](const std::vector<Value *> &at) {
    Value *x = b.load(base, b.operand(0), at[1]);
    Value *e = b.toI64(exponent, b.load(exponent, b.operand(1), at[2]));
    Value *r = integerPower(b, base, x, e);
    if (isSubByte(base)) r = b.wrapToDType(base, r);
    b.store(r, b.result(0), at[0]);
  });
  b.finish();
}

// ---- variadic min / max and where ----------------------------------------------------------

void emitMinMax(const KernelRequest &request, llvm::Function &function) {
  bool isMax = request.op.kind == "max";
  DType t = request.resultType(0).dtype;
  size_t n = request.op.inputs.size();
  LoopBuilder b(request, function);
  b.forEachBroadcast(n, [&](const std::vector<Value *> &at) {
    Value *r = b.load(t, b.operand(0), at[1]);
    for (size_t k = 1; k < n; ++k) r = minMax(b, t, isMax, r, b.load(t, b.operand(k), at[k + 1]));
    b.store(r, b.result(0), at[0]);
  });
  b.finish();
}

void emitWhere(const KernelRequest &request, llvm::Function &function) {
  DType t = request.resultType(0).dtype;
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  b.forEachBroadcast(3, [&](const std::vector<Value *> &at) {
    Value *c = ir.CreateICmpNE(b.load(b.i8(), b.operand(0), at[1]), b.constInt(b.i8(), 0));
    Value *x = b.load(t, b.operand(1), at[2]);
    Value *y = b.load(t, b.operand(2), at[3]);
    b.store(ir.CreateSelect(c, x, y), b.result(0), at[0]);
  });
  b.finish();
}

// ---- unary ops -----------------------------------------------------------------------------

using UnaryFn = std::function<Value *(LoopBuilder &, const Op &, DType, Value *)>;

Value *zeroOf(LoopBuilder &b, DType t, llvm::Type *type) {
  return isFloat(t) ? b.constFloat(type, 0.0) : b.constInt(type, 0);
}

Value *oneOf(LoopBuilder &b, DType t, llvm::Type *type, int64_t v) {
  return isFloat(t) ? b.constFloat(type, static_cast<double>(v)) : b.constInt(type, v);
}

const std::map<std::string, UnaryFn> &unaryOps() {
  static const std::map<std::string, UnaryFn> ops = {
      {"neg",
       [](LoopBuilder &b, const Op &, DType t, Value *x) -> Value * {
         return isFloat(t) ? b.ir().CreateFNeg(x) : b.ir().CreateSub(zeroOf(b, t, x->getType()), x);
       }},
      {"abs",
       [](LoopBuilder &b, const Op &, DType t, Value *x) -> Value * {
         auto &ir = b.ir();
         if (isFloat(t)) return ir.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
         if (!isSigned(t)) return x;
         Value *zero = zeroOf(b, t, x->getType());
         return ir.CreateSelect(ir.CreateICmpSLT(x, zero), ir.CreateSub(zero, x), x);
       }},
      {"relu",
       [](LoopBuilder &b, const Op &, DType t, Value *x) -> Value * {
         // std::max(x, 0) keeps x unless x < 0 (so -0.0 and NaN stay).
         return stdMax(b, t, x, zeroOf(b, t, x->getType()));
       }},
      {"sign",
       [](LoopBuilder &b, const Op &, DType t, Value *x) -> Value * {
         auto &ir = b.ir();
         llvm::Type *type = x->getType();
         Value *zero = zeroOf(b, t, type);
         Value *positive = isFloat(t)    ? ir.CreateFCmpOGT(x, zero)
                           : isSigned(t) ? ir.CreateICmpSGT(x, zero)
                                         : ir.CreateICmpUGT(x, zero);
         Value *negative = isFloat(t)    ? ir.CreateFCmpOLT(x, zero)
                           : isSigned(t) ? ir.CreateICmpSLT(x, zero)
                                         : ir.getFalse();
         Value *r = ir.CreateSelect(positive, oneOf(b, t, type, 1),
                                    ir.CreateSelect(negative, oneOf(b, t, type, -1), zero));
         return isFloat(t) ? ir.CreateSelect(b.isNaN(x), x, r) : r;
       }},
      {"not",
       [](LoopBuilder &b, const Op &, DType, Value *x) -> Value * {
         auto &ir = b.ir();
         return ir.CreateZExt(ir.CreateICmpEQ(x, b.constInt(x->getType(), 0)), b.i8());
       }},
      {"bitwise_not",
       [](LoopBuilder &b, const Op &, DType, Value *x) { return b.ir().CreateNot(x); }},
      {"sqrt", [](LoopBuilder &b, const Op &, DType,
                  Value *x) { return b.ir().CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, x); }},
      {"reciprocal",
       [](LoopBuilder &b, const Op &, DType, Value *x) {
         return b.ir().CreateFDiv(b.constFloat(x->getType(), 1.0), x);
       }},
      {"floor", [](LoopBuilder &b, const Op &, DType,
                   Value *x) { return b.roundFloat(RoundingMode::floor, x); }},
      {"ceil", [](LoopBuilder &b, const Op &, DType,
                  Value *x) { return b.roundFloat(RoundingMode::ceil, x); }},
      {"round", [](LoopBuilder &b, const Op &, DType,
                   Value *x) { return b.roundFloat(RoundingMode::round, x); }},
      {"leaky_relu",
       [](LoopBuilder &b, const Op &op, DType, Value *x) -> Value * {
         auto &ir = b.ir();
         llvm::Type *type = x->getType();
         Value *alpha = b.constFloat(type, op.getFloat("alpha"));
         if (type->isFloatTy())
           alpha = b.constFloat(type, static_cast<float>(op.getFloat("alpha")));
         Value *negative = ir.CreateFCmpOLT(x, b.constFloat(type, 0.0));
         return ir.CreateSelect(negative, ir.CreateFMul(alpha, x), x);
       }},
      {"hard_sigmoid",
       [](LoopBuilder &b, const Op &op, DType, Value *x) -> Value * {
         auto &ir = b.ir();
         llvm::Type *type = x->getType();
         bool single = type->isFloatTy();
         double alpha = op.getFloat("alpha"), beta = op.getFloat("beta");
         if (single) {
           alpha = static_cast<float>(alpha);
           beta = static_cast<float>(beta);
         }
         Value *y =
             ir.CreateFAdd(ir.CreateFMul(b.constFloat(type, alpha), x), b.constFloat(type, beta));
         // std::clamp(y, 0, 1) = y < 0 ? 0 : (1 < y ? 1 : y); NaN stays.
         Value *zero = b.constFloat(type, 0.0), *one = b.constFloat(type, 1.0);
         Value *clamped = ir.CreateSelect(ir.CreateFCmpOLT(y, zero), zero,
                                          ir.CreateSelect(ir.CreateFCmpOLT(one, y), one, y));
         return ir.CreateSelect(b.isNaN(y), y, clamped);
       }},
      {"exp", [](LoopBuilder &b, const Op &, DType, Value *x) { return emitExp(b, x); }},
      {"log", [](LoopBuilder &b, const Op &, DType, Value *x) { return emitLog(b, x); }},
      {"tanh", [](LoopBuilder &b, const Op &, DType, Value *x) { return emitTanh(b, x); }},
      {"sigmoid", [](LoopBuilder &b, const Op &, DType, Value *x) { return emitSigmoid(b, x); }},
      {"erf", [](LoopBuilder &b, const Op &, DType, Value *x) { return emitErf(b, x); }},
  };
  return ops;
}

void emitUnary(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const UnaryFn &f = unaryOps().at(op.kind);
  DType t = request.operandType(0).dtype;
  const Shape &shape = request.resultType(0).shape;
  LoopBuilder b(request, function);
  b.forEachIndex(shape, {rowMajor(shape)}, [&](const std::vector<Value *> &at) {
    Value *r = f(b, op, t, b.load(t, b.operand(0), at[0]));
    if (isSubByte(t)) r = b.wrapToDType(t, r);
    b.store(r, b.result(0), at[0]);
  });
  b.finish();
}

// ---- clip and cast -------------------------------------------------------------------------

void emitClip(const KernelRequest &request, llvm::Function &function) {
  DType t = request.operandType(0).dtype;
  const Shape &shape = request.resultType(0).shape;
  LoopBuilder b(request, function);
  Value *lo = request.hasOperand(1) ? b.load(t, b.operand(1), b.constI64(0)) : nullptr;
  Value *hi = request.hasOperand(2) ? b.load(t, b.operand(2), b.constI64(0)) : nullptr;
  b.forEachIndex(shape, {rowMajor(shape)}, [&](const std::vector<Value *> &at) {
    Value *x = b.load(t, b.operand(0), at[0]);
    if (lo) x = minMax(b, t, true, x, lo);
    if (hi) x = minMax(b, t, false, x, hi);
    b.store(x, b.result(0), at[0]);
  });
  b.finish();
}

void emitCast(const KernelRequest &request, llvm::Function &function) {
  DType from = request.operandType(0).dtype;
  DType to = request.resultType(0).dtype;
  const Shape &shape = request.resultType(0).shape;
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *toType = b.storageType(to);
  b.forEachIndex(shape, {rowMajor(shape)}, [&](const std::vector<Value *> &at) {
    Value *x = b.load(from, b.operand(0), at[0]);
    Value *r = nullptr;
    if (to == DType::boolean) {
      Value *nonzero = isFloat(from) ? ir.CreateFCmpUNE(x, b.constFloat(x->getType(), 0.0))
                                     : ir.CreateICmpNE(x, b.constInt(x->getType(), 0));
      r = ir.CreateZExt(nonzero, b.i8());
    } else if (isFloat(to)) {
      r = b.toFloat(from, x, toType);
    } else if (isFloat(from)) {
      r = b.floatToIntSaturated(x, toType, dtypeMin(to), dtypeMax(to), !isSigned(to));
    } else {
      r = b.wrapToDType(to, b.intToType(from, x, toType));
    }
    b.store(r, b.result(0), at[0]);
  });
  b.finish();
}

} // namespace

void registerElementwiseKernels(KernelRegistry &registry) {
  for (const auto &[name, f] : binaryOps()) registry.add(name, emitBinary);
  registry.add("pow", emitPow);
  registry.add("min", emitMinMax);
  registry.add("max", emitMinMax);
  registry.add("where", emitWhere);
  for (const auto &[name, f] : unaryOps()) registry.add(name, emitUnary);
  registry.add("clip", emitClip);
  registry.add("cast", emitCast);
}

} // namespace qcc::codegen
