// The contract between the module builder (codegen/module_builder.cpp) and the kernel emitters,
// one file per kernel family (codegen/emit_<family>.cpp). Only codegen includes this header.
//
// The builder gives every op of a lowered graph its own LLVM function with internal linkage and
// the fixed signature
//   void (ptr operand_0, ..., ptr operand_{n-1}, ptr result_0, ..., ptr result_{m-1})
// one pointer per operand in op order (null for an absent optional operand) and one per result.
// Each points to the tensor's storage exactly as ir/tensor.h lays it out: row-major over the
// type's shape, elements of the storage type (packed tensors are u64 words, sub-byte codes one
// byte each). Operand buffers are read-only, result buffers are written completely, and no
// result buffer overlaps an operand buffer. Arena buffers are 64-byte aligned; constants are
// 64-byte aligned globals. The emitter fills the function body; it must compute exactly what the
// op's `eval` in ir/ops computes (the interpreter is the oracle), and may specialise on shapes,
// attributes and constant operands (weights, thresholds) as it likes.
//
// Sliced kernels (the parallel entry point, docs/codegen.md): a family may also report that an
// op's work divides into independent units (e.g. output rows). Its kernel is then built, when
// the builder asks for it (KernelRequest::sliced), with two more i64 parameters after the
// results, [first, end) of those units, and computes exactly the result bytes of those units;
// units write disjoint bytes, so slices may run at the same time on different threads.
#pragma once

#include "codegen/target.h"
#include "ir/graph.h"

#include <llvm/IR/Function.h>
#include <map>
#include <optional>
#include <string>

namespace qcc::codegen {

// What an emitter may read about the op it compiles.
struct KernelRequest {
  const Graph &graph;
  const Op &op;
  const CodegenTarget &target;
  // The function has the two extra i64 parameters [first unit, end unit) (KernelSlicing).
  bool sliced = false;

  const TensorType &operandType(size_t i) const { return graph.type(op.inputs.at(i)); }
  const TensorType &resultType(size_t i) const { return graph.type(op.outputs.at(i)); }
  bool hasOperand(size_t i) const { return i < op.inputs.size() && op.inputs[i] != kNoValue; }
  // The data of operand `i` if it is a constant, else nullptr.
  const Tensor *constant(size_t i) const {
    return hasOperand(i) ? graph.constantValue(op.inputs[i]) : nullptr;
  }
};

// Fills the body of `function` (already declared with the signature above, entry block empty).
// Fails with qcc::fail for an op configuration it cannot compile, naming the op.
using KernelEmitter = void (*)(const KernelRequest &request, llvm::Function &function);

// How an op's kernel divides into slices.
struct KernelSlicing {
  int64_t units = 0; // independent units of the result, e.g. output rows x channel blocks
  int64_t work = 0;  // bit operations of the whole op: MACs x operand bits x operand bits
};
// The slicing of the op of `request`, or nullopt when its kernel computes it in one piece.
using KernelSlicer = std::optional<KernelSlicing> (*)(const KernelRequest &request);

class KernelRegistry {
public:
  // The registry with every family's emitters (registered by the functions below).
  static const KernelRegistry &instance();

  void add(const std::string &kind, KernelEmitter emitter, KernelSlicer slicer = nullptr);
  // nullptr when no emitter compiles ops of `kind`.
  KernelEmitter find(const std::string &kind) const;
  // nullptr when kernels of `kind` are not sliced.
  KernelSlicer findSlicer(const std::string &kind) const;

private:
  std::map<std::string, KernelEmitter> emitters_;
  std::map<std::string, KernelSlicer> slicers_;
};

// One function per kernel family file.
void registerBinaryKernels(KernelRegistry &registry);      // emit_binary.cpp
void registerBitserialKernels(KernelRegistry &registry);   // emit_bitserial.cpp
void registerTernaryKernels(KernelRegistry &registry);     // emit_ternary.cpp
void registerBitpackKernels(KernelRegistry &registry);     // emit_bitpack.cpp
void registerIntegerKernels(KernelRegistry &registry);     // emit_integer.cpp (conv/matmul_integer)
void registerQuantKernels(KernelRegistry &registry);       // emit_quant.cpp
void registerElementwiseKernels(KernelRegistry &registry); // emit_elementwise.cpp
void registerTensorKernels(KernelRegistry &registry);      // emit_tensor.cpp
void registerPoolKernels(KernelRegistry &registry);        // emit_pool.cpp
void registerFloatKernels(KernelRegistry &registry);       // emit_float.cpp (float fallback)

} // namespace qcc::codegen
