// bitserial_gemm / bitserial_conv: uint/int codes as weighted bit planes (the sign plane of int
// codes weighted -2^(k-1)) against uint/int or bipolar codes (DESIGN §5, docs/kernels.md).
#include "codegen/popcount_kernel.h"
#include "ir/error.h"
#include "ir/ops/packing.h"

namespace qcc::codegen {
namespace {

bool isPlanar(const QuantInfo &q) {
  return q.encoding == QEncoding::uint || q.encoding == QEncoding::sint;
}

// The k-bit operand's planes `a` against the bipolar operand's bits `b`:
// sum_p weight_p (2 pc(A_p & B) - pc(A_p)), since a * (2b - 1) = 2ab - a.
void addPlanesTimesBipolar(PopcountFormula &formula, const QuantInfo &planar, BitExpr (*plane)(int),
                           BitExpr bipolar) {
  for (int p = 0; p < planar.bits; ++p) {
    int64_t weight = planeWeight(planar, p);
    formula.terms.push_back({2 * weight, plane(p) & bipolar});
    formula.terms.push_back({-weight, plane(p)});
  }
}

PopcountFormula bitserialFormula(const KernelRequest &request) {
  const TensorType &x = request.operandType(0), &w = request.operandType(1);
  auto bipolar = [](const QuantInfo &q) { return q.encoding == QEncoding::bipolar; };
  if (!x.quant || !w.quant || !(isPlanar(*x.quant) || bipolar(*x.quant)) ||
      !(isPlanar(*w.quant) || bipolar(*w.quant)) || (bipolar(*x.quant) && bipolar(*w.quant)))
    fail("{}: cannot compile: needs packed uint, int or bipolar operands, not both bipolar; got "
         "{} and {}",
         request.op.describe(), typeString(x), typeString(w));
  const QuantInfo &qx = *x.quant, &qw = *w.quant;
  PopcountFormula formula;
  if (bipolar(qw)) {
    addPlanesTimesBipolar(formula, qx, BitExpr::x, BitExpr::w(0));
  } else if (bipolar(qx)) {
    addPlanesTimesBipolar(formula, qw, BitExpr::w, BitExpr::x(0));
  } else {
    // sum_i sum_j weight_i weight_j pc(X_i & W_j).
    for (int i = 0; i < qx.bits; ++i)
      for (int j = 0; j < qw.bits; ++j)
        formula.terms.push_back(
            {planeWeight(qx, i) * planeWeight(qw, j), BitExpr::x(i) & BitExpr::w(j)});
  }
  return formula;
}

void emitBitserial(const KernelRequest &request, llvm::Function &function) {
  emitPopcountMac(request, function, bitserialFormula(request));
}

std::optional<KernelSlicing> sliceBitserial(const KernelRequest &request) {
  return popcountSlicing(request, bitserialFormula(request));
}

} // namespace

void registerBitserialKernels(KernelRegistry &registry) {
  registry.add("bitserial_gemm", emitBitserial, sliceBitserial);
  registry.add("bitserial_conv", emitBitserial, sliceBitserial);
}

} // namespace qcc::codegen
