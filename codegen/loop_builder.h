// IR-building helpers shared by the plain kernel families (elementwise, tensor, pool, quant,
// integer, float, bitpack): counted loops, loads and stores by IR dtype, constant tables,
// stack scratch buffers, integer width conversions and the exact float rounding functions.
// Only codegen includes this header.
#pragma once

#include "codegen/kernel.h"
#include "ir/ops/quant.h"

#include <functional>
#include <llvm/IR/IRBuilder.h>
#include <span>
#include <string>
#include <vector>

namespace qcc::codegen {

// Builds the body of one kernel function (entry block empty on construction).
class LoopBuilder {
public:
  LoopBuilder(const KernelRequest &request, llvm::Function &function);

  llvm::IRBuilder<> &ir() { return ir_; }
  llvm::LLVMContext &context() { return function_.getContext(); }
  const KernelRequest &request() const { return request_; }
  // The buffers of operand i (null when absent) and result j.
  llvm::Value *operand(size_t i) const { return function_.getArg(static_cast<unsigned>(i)); }
  llvm::Value *result(size_t j) const {
    return function_.getArg(static_cast<unsigned>(request_.op.inputs.size() + j));
  }

  // ---- types and constants ----
  // The in-memory element type of `t` (sub-byte integers and bool: i8).
  llvm::Type *storageType(DType t);
  llvm::IntegerType *i1() { return ir_.getInt1Ty(); }
  llvm::IntegerType *i8() { return ir_.getInt8Ty(); }
  llvm::IntegerType *i32() { return ir_.getInt32Ty(); }
  llvm::IntegerType *i64() { return ir_.getInt64Ty(); }
  llvm::Type *f32() { return ir_.getFloatTy(); }
  llvm::Type *f64() { return ir_.getDoubleTy(); }
  llvm::ConstantInt *constI64(int64_t v) { return ir_.getInt64(static_cast<uint64_t>(v)); }
  llvm::ConstantInt *constInt(llvm::Type *type, int64_t v);
  llvm::Constant *constFloat(llvm::Type *type, double v);

  // ---- loops ----
  using Body = std::function<void(llvm::Value *)>;
  // for (i = 0; i < count; ++i) body(i), i an i64; nothing for count <= 0.
  void loop(int64_t count, const Body &body);
  // acc = init; for (i = 0; i < count; ++i) acc = step(i, acc); returns acc (init for count <= 0).
  using Step = std::function<llvm::Value *(llvm::Value *, llvm::Value *)>;
  llvm::Value *accumulate(int64_t count, llvm::Value *init, const Step &step);
  // if (condition) then();
  void ifThen(llvm::Value *condition, const std::function<void()> &then);

  // Nested loops over every index of `shape` (row-major, last dim innermost). For each stride
  // list in `strides` (one stride per dim of `shape`), the body receives the i64 offset
  // sum_d index_d * stride_d; dims are merged where every list allows it, so the innermost loop
  // is as long as possible. Nothing for an empty shape product.
  using OffsetsBody = std::function<void(const std::vector<llvm::Value *> &)>;
  void forEachIndex(const Shape &shape, const std::vector<std::vector<int64_t>> &strides,
                    const OffsetsBody &body);

  // Iterates every element of result 0 with numpy broadcasting of operands 0 .. operands - 1:
  // the body gets the result's offset, then one offset per operand.
  void forEachBroadcast(size_t operands, const OffsetsBody &body);

  // ---- memory ----
  llvm::Value *elementPtr(llvm::Type *type, llvm::Value *base, llvm::Value *index);
  llvm::Value *load(llvm::Type *type, llvm::Value *base, llvm::Value *index);
  void store(llvm::Value *value, llvm::Value *base, llvm::Value *index);
  llvm::Value *load(DType t, llvm::Value *base, llvm::Value *index) {
    return load(storageType(t), base, index);
  }
  // A private, 64-byte aligned constant global holding `bytes` as elements of `type` (one of
  // i8, i16, i32, i64, float, double).
  llvm::Value *constantTable(llvm::Type *type, std::span<const uint8_t> bytes,
                             const std::string &name);
  llvm::Value *constantTable(const std::vector<int64_t> &values, const std::string &name);
  llvm::Value *constantTable(const std::vector<float> &values, const std::string &name);
  llvm::Value *constantTable(const std::vector<double> &values, const std::string &name);
  // `count` elements of `type` on the stack (one alloca in the entry block). Fails naming
  // `what` when the buffer would exceed kMaxStackBytes.
  llvm::Value *stackBuffer(llvm::Type *type, int64_t count, const std::string &what);
  static constexpr int64_t kMaxStackBytes = int64_t{256} << 10;
  void copyBytes(llvm::Value *dst, llvm::Value *src, int64_t bytes);
  // The vector <lanes x type> of base[index + l * stride], l < lanes, reading only the elements
  // from base[index] to base[index + (lanes - 1) * stride] (nothing past the last one): loads of
  // power-of-two width, then one shuffle.
  llvm::Value *loadStrided(llvm::Type *type, llvm::Value *base, llvm::Value *index, int64_t lanes,
                           int64_t stride);

  // ---- integer values ----
  // Sign- or zero-extends (or truncates) a value stored as `from` to the integer `type`.
  llvm::Value *intToType(DType from, llvm::Value *v, llvm::Type *type);
  llvm::Value *toI64(DType from, llvm::Value *v) { return intToType(from, v, i64()); }
  // Truncates an integer to the storage type of `to` and wraps sub-byte types to their width.
  llvm::Value *wrapToDType(DType to, llvm::Value *v);
  llvm::Value *smin(llvm::Value *a, llvm::Value *b);
  llvm::Value *smax(llvm::Value *a, llvm::Value *b);

  // ---- float values ----
  // Rounds a float or double to an integral value in the float type exactly like
  // applyRounding (ir/ops/quant.cpp) for every input, NaN and infinities included; no calls.
  llvm::Value *roundFloat(RoundingMode mode, llvm::Value *v);
  llvm::Value *isNaN(llvm::Value *v) { return ir_.CreateFCmpUNO(v, v); }
  // A quiet NaN with the bits of C++'s NAN (0x7fc00000 / 0x7ff8000000000000).
  llvm::Constant *quietNaN(llvm::Type *type);
  // Float -> integer as the interpreter's saturating cast: truncates toward zero, saturates to
  // [lo, hi], NaN -> 0. The result has the integer `type`.
  llvm::Value *floatToIntSaturated(llvm::Value *v, llvm::Type *type, int64_t lo, int64_t hi,
                                   bool isUnsigned);
  llvm::Value *convertFloat(llvm::Value *v, llvm::Type *type);
  // Converts a value stored as `from` (any dtype) to the float `type` as static_cast does.
  llvm::Value *toFloat(DType from, llvm::Value *v, llvm::Type *type);

  // Ends the function (ret void).
  void finish();

private:
  const KernelRequest &request_;
  llvm::Function &function_;
  llvm::IRBuilder<> ir_;
  llvm::BasicBlock *entry_;
};

// Row-major strides of `shape`.
std::vector<int64_t> rowMajor(const Shape &shape);
// Strides of an operand of shape `in` broadcast to `out`: 0 along broadcast dims.
std::vector<int64_t> broadcastStrides(const Shape &in, const Shape &out);

} // namespace qcc::codegen
