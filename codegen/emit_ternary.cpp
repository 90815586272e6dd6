// ternary_gemm / ternary_conv: the two-popcount mask/sign form of the ternary inner product
// (FATNN; DESIGN §5): plane 0 of a ternary operand is the mask M (code != 0), plane 1 the sign S
// (code == -1).
#include "codegen/popcount_kernel.h"
#include "ir/error.h"

namespace qcc::codegen {
namespace {

PopcountFormula ternaryFormula(const KernelRequest &request) {
  const TensorType &x = request.operandType(0), &w = request.operandType(1);
  auto ternary = [](const TensorType &t) {
    return t.quant && t.quant->encoding == QEncoding::ternary;
  };
  auto bipolar = [](const TensorType &t) {
    return t.quant && t.quant->encoding == QEncoding::bipolar;
  };
  if (!(ternary(x) || bipolar(x)) || !(ternary(w) || bipolar(w)) || !(ternary(x) || ternary(w)))
    fail("{}: cannot compile: needs packed ternary or bipolar operands, at least one ternary; "
         "got {} and {}",
         request.op.describe(), typeString(x), typeString(w));
  PopcountFormula formula;
  if (ternary(x) && ternary(w)) {
    // M = M_x & M_w: dot = pc(M) - 2 pc(M & (S_x xor S_w)).
    BitExpr both = BitExpr::x(0) & BitExpr::w(0);
    formula.terms.push_back({1, both});
    formula.terms.push_back({-2, both & (BitExpr::x(1) ^ BitExpr::w(1))});
  } else {
    // Ternary t against bipolar bits b (code 2b - 1): on the mask the product is +1 where
    // S_t xor b, else -1, so dot = 2 pc(M_t & (S_t xor b)) - pc(M_t). pc(M_t) reads one operand
    // only: once per position for activations, folded at compile time for weights.
    bool xTernary = ternary(x);
    BitExpr mask = xTernary ? BitExpr::x(0) : BitExpr::w(0);
    BitExpr sign = xTernary ? BitExpr::x(1) : BitExpr::w(1);
    BitExpr bits = xTernary ? BitExpr::w(0) : BitExpr::x(0);
    formula.terms.push_back({2, mask & (sign ^ bits)});
    formula.terms.push_back({-1, mask});
  }
  return formula;
}

void emitTernary(const KernelRequest &request, llvm::Function &function) {
  emitPopcountMac(request, function, ternaryFormula(request));
}

std::optional<KernelSlicing> sliceTernary(const KernelRequest &request) {
  return popcountSlicing(request, ternaryFormula(request));
}

} // namespace

void registerTernaryKernels(KernelRegistry &registry) {
  registry.add("ternary_gemm", emitTernary, sliceTernary);
  registry.add("ternary_conv", emitTernary, sliceTernary);
}

} // namespace qcc::codegen
