#include "codegen/float_math.h"

#include <cmath>
#include <llvm/IR/Intrinsics.h>
#include <vector>

namespace qcc::codegen {
namespace {

using llvm::Value;

// ln 2 split so that k * kLn2High is exact for |k| < 2^11 (the fdlibm constants).
constexpr double kLn2High = 6.93147180369123816490e-01;
constexpr double kLn2Low = 1.90821492927058770002e-10;

Value *constant(LoopBuilder &b, double v) {
  return b.constFloat(b.f64(), v);
}

// c[0] + x * (c[1] + x * (c[2] + ...)).
Value *horner(LoopBuilder &b, Value *x, const std::vector<double> &c) {
  auto &ir = b.ir();
  Value *acc = constant(b, c.back());
  for (size_t i = c.size() - 1; i-- > 0;)
    acc = ir.CreateFAdd(ir.CreateFMul(acc, x), constant(b, c[i]));
  return acc;
}

// 1/i! for i = first..last.
std::vector<double> inverseFactorials(int first, int last) {
  std::vector<double> c;
  long double f = 1;
  for (int i = 1; i < first; ++i) f *= i;
  for (int i = first; i <= last; ++i) {
    if (i > 0) f *= i;
    c.push_back(static_cast<double>(1.0L / f));
  }
  return c;
}

Value *selectAbove(LoopBuilder &b, Value *v, double limit) {
  auto &ir = b.ir();
  Value *l = constant(b, limit);
  return ir.CreateSelect(ir.CreateFCmpOGT(v, l), l, v);
}

Value *selectBelow(LoopBuilder &b, Value *v, double limit) {
  auto &ir = b.ir();
  Value *l = constant(b, limit);
  return ir.CreateSelect(ir.CreateFCmpOLT(v, l), l, v);
}

// 2^k for an i64 k in [-1022, 1023].
Value *powerOfTwo(LoopBuilder &b, Value *k) {
  auto &ir = b.ir();
  Value *bits = ir.CreateShl(ir.CreateAdd(k, b.constI64(1023)), 52);
  return ir.CreateBitCast(bits, b.f64());
}

// exp of a double.
Value *expDouble(LoopBuilder &b, Value *y) {
  auto &ir = b.ir();
  // Clamping keeps the scale exponents in range; results beyond the limits are fixed below.
  Value *yc = selectBelow(b, selectAbove(b, y, 710.0), -746.0);
  Value *k = b.roundFloat(RoundingMode::round, ir.CreateFMul(yc, constant(b, 1.0 / std::log(2.0))));
  Value *r = ir.CreateFSub(ir.CreateFSub(yc, ir.CreateFMul(k, constant(b, kLn2High))),
                           ir.CreateFMul(k, constant(b, kLn2Low)));
  Value *p = horner(b, r, inverseFactorials(0, 13));
  Value *ki = ir.CreateFPToSI(k, b.i64());
  Value *k1 = ir.CreateAShr(ki, 1);
  Value *k2 = ir.CreateSub(ki, k1);
  Value *result = ir.CreateFMul(ir.CreateFMul(p, powerOfTwo(b, k1)), powerOfTwo(b, k2));
  result = ir.CreateSelect(ir.CreateFCmpOGT(y, constant(b, 709.782712893384)),
                           constant(b, HUGE_VAL), result);
  result = ir.CreateSelect(ir.CreateFCmpOLT(y, constant(b, -745.1332191019412)), constant(b, 0.0),
                           result);
  return ir.CreateSelect(b.isNaN(y), y, result);
}

// exp(y) - 1 for |y| <= 1, without cancellation.
Value *expm1Small(LoopBuilder &b, Value *y) {
  return b.ir().CreateFMul(y, horner(b, y, inverseFactorials(1, 19)));
}

// log of a double.
Value *logDouble(LoopBuilder &b, Value *x) {
  auto &ir = b.ir();
  // Subnormals are scaled into the normal range first.
  Value *subnormal = ir.CreateFCmpOLT(x, constant(b, 0x1p-1022));
  Value *xs = ir.CreateSelect(subnormal, ir.CreateFMul(x, constant(b, 0x1p54)), x);
  Value *bits = ir.CreateBitCast(xs, b.i64());
  Value *exponent =
      ir.CreateSub(ir.CreateAnd(ir.CreateLShr(bits, 52), b.constI64(0x7ff)), b.constI64(1023));
  exponent = ir.CreateSub(exponent, ir.CreateSelect(subnormal, b.constI64(54), b.constI64(0)));
  Value *mantissaBits = ir.CreateOr(ir.CreateAnd(bits, b.constI64((int64_t{1} << 52) - 1)),
                                    b.constI64(int64_t{1023} << 52));
  Value *m = ir.CreateBitCast(mantissaBits, b.f64());
  // m in [1, 2); fold [sqrt 2, 2) down to [sqrt 2 / 2, 1) so |s| <= 0.172.
  Value *high = ir.CreateFCmpOGT(m, constant(b, std::sqrt(2.0)));
  m = ir.CreateSelect(high, ir.CreateFMul(m, constant(b, 0.5)), m);
  exponent = ir.CreateAdd(exponent, ir.CreateZExt(high, b.i64()));
  Value *s = ir.CreateFDiv(ir.CreateFSub(m, constant(b, 1.0)), ir.CreateFAdd(m, constant(b, 1.0)));
  Value *z = ir.CreateFMul(s, s);
  std::vector<double> c;
  for (int i = 0; i <= 11; ++i) c.push_back(2.0 / (2 * i + 1));
  Value *series = ir.CreateFMul(s, horner(b, z, c));
  Value *e = ir.CreateSIToFP(exponent, b.f64());
  Value *result = ir.CreateFAdd(ir.CreateFMul(e, constant(b, kLn2High)),
                                ir.CreateFAdd(ir.CreateFMul(e, constant(b, kLn2Low)), series));
  result = ir.CreateSelect(ir.CreateFCmpOEQ(x, constant(b, 0.0)), constant(b, -HUGE_VAL), result);
  result = ir.CreateSelect(ir.CreateFCmpOLT(x, constant(b, 0.0)), b.quietNaN(b.f64()), result);
  result = ir.CreateSelect(ir.CreateFCmpOEQ(x, constant(b, HUGE_VAL)), x, result);
  return ir.CreateSelect(b.isNaN(x), x, result);
}

Value *tanhDouble(LoopBuilder &b, Value *x) {
  auto &ir = b.ir();
  Value *a = ir.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
  // Beyond 20, tanh is 1 in double; clamping keeps exp finite.
  Value *ac = selectAbove(b, a, 20.0);
  Value *twice = ir.CreateFMul(ac, constant(b, 2.0));
  Value *em1Small = expm1Small(b, selectAbove(b, twice, 1.0));
  Value *small = ir.CreateFDiv(em1Small, ir.CreateFAdd(em1Small, constant(b, 2.0)));
  Value *e = expDouble(b, twice);
  Value *large =
      ir.CreateFDiv(ir.CreateFSub(e, constant(b, 1.0)), ir.CreateFAdd(e, constant(b, 1.0)));
  Value *magnitude = ir.CreateSelect(ir.CreateFCmpOLE(twice, constant(b, 1.0)), small, large);
  Value *result = ir.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, magnitude, x);
  return ir.CreateSelect(b.isNaN(x), x, result);
}

Value *erfDouble(LoopBuilder &b, Value *x) {
  auto &ir = b.ir();
  // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)), 70 terms cover |x| <= 4.
  Value *xc = selectBelow(b, selectAbove(b, x, 4.0), -4.0);
  std::vector<double> c;
  long double factorial = 1;
  for (int n = 0; n < 70; ++n) {
    if (n > 0) factorial *= n;
    long double term =
        2.0L / std::sqrt(3.14159265358979323846264338327950288L) / factorial / (2 * n + 1);
    c.push_back(static_cast<double>(n % 2 == 0 ? term : -term));
  }
  Value *series = ir.CreateFMul(xc, horner(b, ir.CreateFMul(xc, xc), c));
  Value *a = ir.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
  Value *one = ir.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, constant(b, 1.0), x);
  Value *result = ir.CreateSelect(ir.CreateFCmpOGT(a, constant(b, 4.0)), one, series);
  return ir.CreateSelect(b.isNaN(x), x, result);
}

// Applies a double function to a float or double value.
Value *inDouble(LoopBuilder &b, Value *x, Value *(*f)(LoopBuilder &, Value *)) {
  llvm::Type *type = x->getType();
  return b.convertFloat(f(b, b.convertFloat(x, b.f64())), type);
}

} // namespace

Value *emitExp(LoopBuilder &b, Value *x) {
  return inDouble(b, x, expDouble);
}

Value *emitLog(LoopBuilder &b, Value *x) {
  return inDouble(b, x, logDouble);
}

Value *emitTanh(LoopBuilder &b, Value *x) {
  return inDouble(b, x, tanhDouble);
}

Value *emitErf(LoopBuilder &b, Value *x) {
  return inDouble(b, x, erfDouble);
}

Value *emitSigmoid(LoopBuilder &b, Value *x) {
  // T{1} / (T{1} + exp(-x)) in the operand type T.
  auto &ir = b.ir();
  llvm::Type *type = x->getType();
  Value *one = b.constFloat(type, 1.0);
  return ir.CreateFDiv(one, ir.CreateFAdd(one, emitExp(b, ir.CreateFNeg(x))));
}

} // namespace qcc::codegen
