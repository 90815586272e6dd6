// bitpack / bitunpack kernels (layout in ir/ops/packing.h): codes [N, K] or [N, C, H, W] <->
// u64 bit planes [N, P, ceil(K/64)] or [N, H, W, P, ceil(C/64)]. Each output word is built in
// a register from its 64 codes (padding bits 0) and each code is decoded from its plane bits,
// exactly as packCodes / unpackCodes. Codes a packing cannot represent (which the interpreter
// refuses) pack to the bits codeBit gives them; they never cause undefined behaviour.
#include "codegen/kernel.h"
#include "codegen/loop_builder.h"
#include "ir/error.h"
#include "ir/ops/packing.h"

namespace qcc::codegen {
namespace {

using llvm::Value;

// Codes viewed as [N, C, S] with S spatial positions (1 for [N, K]).
struct CodeGeometry {
  int64_t batch, channels, spatial;
  explicit CodeGeometry(const Shape &s)
      : batch(s.at(0)), channels(s.at(1)), spatial(s.size() == 4 ? s[2] * s[3] : 1) {}
};

// Bit `plane` of an i64 code (packing.cpp codeBit), as an i1.
Value *codeBit(LoopBuilder &b, const QuantInfo &q, Value *code, int plane) {
  auto &ir = b.ir();
  switch (q.encoding) {
  case QEncoding::bipolar:
    return ir.CreateICmpSGT(code, b.constI64(0));
  case QEncoding::ternary:
    return plane == 0 ? ir.CreateICmpNE(code, b.constI64(0))
                      : ir.CreateICmpSLT(code, b.constI64(0));
  case QEncoding::uint:
  case QEncoding::sint:
    break;
  }
  Value *digit = ir.CreateAShr(code, b.constI64(q.bits - 1 - plane));
  return ir.CreateTrunc(digit, b.i1());
}

void emitBitpack(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const TensorType &codes = request.operandType(0);
  if (!codes.quant) fail("{}: the codes have no quant info", op.describe());
  const QuantInfo &q = *codes.quant;
  int planes = bitPlaneCount(q);
  CodeGeometry g(codes.shape);
  int64_t words = packedWords(g.channels);
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  b.loop(g.batch, [&](Value *n) {
    b.loop(g.spatial, [&](Value *s) {
      Value *block = ir.CreateMul(ir.CreateAdd(ir.CreateMul(n, b.constI64(g.spatial)), s),
                                  b.constI64(planes * words));
      // Word `word` of plane p from its `count` codes (channels word * 64 ..).
      auto packWord = [&](int p, Value *word, int64_t count) {
        Value *first = ir.CreateMul(word, b.constI64(kPackWordBits));
        Value *bits = b.accumulate(count, b.constI64(0), [&](Value *bit, Value *acc) {
          Value *c = ir.CreateAdd(first, bit);
          Value *at =
              ir.CreateAdd(ir.CreateMul(ir.CreateAdd(ir.CreateMul(n, b.constI64(g.channels)), c),
                                        b.constI64(g.spatial)),
                           s);
          Value *code = b.toI64(codes.dtype, b.load(codes.dtype, b.operand(0), at));
          Value *set = ir.CreateZExt(codeBit(b, q, code, p), b.i64());
          return ir.CreateOr(acc, ir.CreateShl(set, bit));
        });
        b.store(bits, b.result(0), ir.CreateAdd(block, ir.CreateAdd(b.constI64(p * words), word)));
      };
      int64_t full = g.channels / kPackWordBits, tail = g.channels % kPackWordBits;
      for (int p = 0; p < planes; ++p) {
        b.loop(full, [&](Value *word) { packWord(p, word, kPackWordBits); });
        if (tail > 0) packWord(p, b.constI64(full), tail);
      }
    });
  });
  b.finish();
}

void emitBitunpack(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const TensorType &packed = request.operandType(0);
  const TensorType &codes = request.resultType(0);
  if (!packed.quant) fail("{}: the packed operand has no quant info", op.describe());
  const QuantInfo &q = *packed.quant;
  int planes = bitPlaneCount(q);
  CodeGeometry g(codes.shape);
  int64_t words = packedWords(g.channels);
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *type = b.storageType(codes.dtype);
  b.forEachIndex(
      {g.batch, g.channels, g.spatial}, {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
      [&](const std::vector<Value *> &at) {
        Value *n = at[0], *c = at[1], *s = at[2];
        Value *block = ir.CreateMul(ir.CreateAdd(ir.CreateMul(n, b.constI64(g.spatial)), s),
                                    b.constI64(planes * words));
        Value *word = ir.CreateUDiv(c, b.constI64(kPackWordBits));
        Value *shift = ir.CreateURem(c, b.constI64(kPackWordBits));
        std::vector<Value *> bits;
        for (int p = 0; p < planes; ++p) {
          Value *w = b.load(b.i64(), b.operand(0),
                            ir.CreateAdd(block, ir.CreateAdd(b.constI64(p * words), word)));
          bits.push_back(ir.CreateTrunc(ir.CreateLShr(w, shift), b.i1()));
        }
        Value *code = nullptr;
        switch (q.encoding) {
        case QEncoding::bipolar:
          code = ir.CreateSelect(bits[0], b.constI64(1), b.constI64(-1));
          break;
        case QEncoding::ternary:
          code = ir.CreateSelect(bits[0], ir.CreateSelect(bits[1], b.constI64(-1), b.constI64(1)),
                                 b.constI64(0));
          break;
        case QEncoding::uint:
        case QEncoding::sint:
          code = b.constI64(0);
          for (int p = 0; p < planes; ++p)
            code =
                ir.CreateAdd(code, ir.CreateSelect(bits[static_cast<size_t>(p)],
                                                   b.constI64(planeWeight(q, p)), b.constI64(0)));
          break;
        }
        Value *to =
            ir.CreateAdd(ir.CreateMul(ir.CreateAdd(ir.CreateMul(n, b.constI64(g.channels)), c),
                                      b.constI64(g.spatial)),
                         s);
        b.store(ir.CreateTrunc(code, type), b.result(0), to);
      });
  b.finish();
}

} // namespace

void registerBitpackKernels(KernelRegistry &registry) {
  registry.add("bitpack", emitBitpack);
  registry.add("bitunpack", emitBitunpack);
}

} // namespace qcc::codegen
