// Transcendental functions emitted as LLVM IR (generated code may not call libm): exp, log,
// tanh, sigmoid and erf of a float or double value, branch-free so loops stay vectorizable.
// They compute in double (range reduction + polynomial) and round once to the operand type.
//
// Accuracy against the interpreter's libm (measured by tests/unit/codegen_plain_ops_test.cpp,
// which checks rtol 1e-6):
//   exp, log, tanh: a few double ulps before the final rounding, so float results equal
//     glibc's expf / logf / tanhf except where those are not correctly rounded (1 float ulp);
//   sigmoid: 1 / (1 + exp(-x)) in the operand type, as the interpreter computes it;
//   erf: Taylor series up to |x| = 4 (about 1e-11 relative), +-1 beyond (erfc(4) = 1.5e-8).
#pragma once

#include "codegen/loop_builder.h"

namespace qcc::codegen {

llvm::Value *emitExp(LoopBuilder &b, llvm::Value *x);
llvm::Value *emitLog(LoopBuilder &b, llvm::Value *x);
llvm::Value *emitTanh(LoopBuilder &b, llvm::Value *x);
llvm::Value *emitSigmoid(LoopBuilder &b, llvm::Value *x);
llvm::Value *emitErf(LoopBuilder &b, llvm::Value *x);

} // namespace qcc::codegen
