// binary_gemm / binary_conv: bipolar x bipolar, dot = K - 2 pc(x xor w) (DESIGN §5).
#include "codegen/popcount_kernel.h"
#include "ir/error.h"

namespace qcc::codegen {
namespace {

PopcountFormula binaryFormula(const KernelRequest &request) {
  for (size_t i = 0; i < 2; ++i) {
    const TensorType &t = request.operandType(i);
    if (!t.quant || t.quant->encoding != QEncoding::bipolar)
      fail("{}: cannot compile: both operands must be packed bipolar codes, got {}",
           request.op.describe(), typeString(t));
  }
  // Every in-bounds code contributes +1, each differing bit -1 instead.
  PopcountFormula formula;
  formula.terms.push_back({-2, BitExpr::x(0) ^ BitExpr::w(0)});
  formula.perCode = 1;
  return formula;
}

void emitBinary(const KernelRequest &request, llvm::Function &function) {
  emitPopcountMac(request, function, binaryFormula(request));
}

std::optional<KernelSlicing> sliceBinary(const KernelRequest &request) {
  return popcountSlicing(request, binaryFormula(request));
}

} // namespace

void registerBinaryKernels(KernelRegistry &registry) {
  registry.add("binary_gemm", emitBinary, sliceBinary);
  registry.add("binary_conv", emitBinary, sliceBinary);
}

} // namespace qcc::codegen
