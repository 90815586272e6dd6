// bitpack / bitunpack kernels (layout in ir/ops/packing.h): codes [N, K] or [N, C, H, W] <->
// u64 bit planes [N, P, ceil(K/64)] or [N, H, W, P, ceil(C/64)]. Each output word is built in
// a register from its 64 codes (padding bits 0) and each code is decoded from its plane bits,
// exactly as packCodes / unpackCodes. Codes a packing cannot represent (which the interpreter
// refuses) pack to the bits codeBit gives them; they never cause undefined behaviour.
#include "codegen/kernel.h"
#include "codegen/loop_builder.h"
#include "ir/error.h"
#include "ir/ops/packing.h"

#include <algorithm>

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

// Positions of [N, C, H, W] codes packed per tile: a tile's words are built in a stack buffer
// [planes][tile], vectorized over the positions, then copied to their places.
constexpr int64_t kPackTile = 256;

void emitBitpack(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const TensorType &codes = request.operandType(0);
  if (!codes.quant) fail("{}: the codes have no quant info", op.describe());
  const QuantInfo &q = *codes.quant;
  int planes = bitPlaneCount(q);
  CodeGeometry g(codes.shape);
  int64_t words = packedWords(g.channels);
  int64_t full = g.channels / kPackWordBits, tail = g.channels % kPackWordBits;
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  // Element (n, c, s) of the codes as an i64.
  auto code = [&](Value *n, Value *c, Value *s) {
    Value *at = ir.CreateAdd(ir.CreateMul(ir.CreateAdd(ir.CreateMul(n, b.constI64(g.channels)), c),
                                          b.constI64(g.spatial)),
                             s);
    return b.toI64(codes.dtype, b.load(codes.dtype, b.operand(0), at));
  };
  // Index of word `word` of plane p at position (n, s) in the packed result.
  auto wordAt = [&](Value *n, Value *s, int p, Value *word) {
    Value *block = ir.CreateAdd(ir.CreateMul(n, b.constI64(g.spatial)), s);
    return ir.CreateAdd(ir.CreateMul(block, b.constI64(planes * words)),
                        ir.CreateAdd(b.constI64(p * words), word));
  };
  if (g.spatial == 1) {
    // [N, K]: each word is an OR-reduction over its 64 contiguous codes.
    b.loop(g.batch, [&](Value *n) {
      auto packWord = [&](int p, Value *word, int64_t count) {
        Value *first = ir.CreateMul(word, b.constI64(kPackWordBits));
        Value *bits = b.accumulate(count, b.constI64(0), [&](Value *bit, Value *acc) {
          Value *set = codeBit(b, q, code(n, ir.CreateAdd(first, bit), b.constI64(0)), p);
          return ir.CreateOr(acc, ir.CreateShl(ir.CreateZExt(set, b.i64()), bit));
        });
        b.store(bits, b.result(0), wordAt(n, b.constI64(0), p, word));
      };
      for (int p = 0; p < planes; ++p) {
        b.loop(full, [&](Value *word) { packWord(p, word, kPackWordBits); });
        if (tail > 0) packWord(p, b.constI64(full), tail);
      }
    });
    b.finish();
    return;
  }
  int64_t tile = std::min(g.spatial, kPackTile);
  Value *scratch = b.stackBuffer(b.i64(), planes * tile, op.describe());
  // The words `word` (of `count` codes) of positions first .. first + length - 1.
  auto packTile = [&](Value *n, Value *word, int64_t count, Value *first, int64_t length) {
    b.loop(planes * length, [&](Value *i) { b.store(b.constI64(0), scratch, i); });
    Value *channel0 = ir.CreateMul(word, b.constI64(kPackWordBits));
    b.loop(count, [&](Value *bit) {
      Value *c = ir.CreateAdd(channel0, bit);
      b.loop(length, [&](Value *i) {
        Value *v = code(n, c, ir.CreateAdd(first, i));
        for (int p = 0; p < planes; ++p) {
          Value *slot = ir.CreateAdd(b.constI64(p * length), i);
          Value *set = ir.CreateShl(ir.CreateZExt(codeBit(b, q, v, p), b.i64()), bit);
          b.store(ir.CreateOr(b.load(b.i64(), scratch, slot), set), scratch, slot);
        }
      });
    });
    b.loop(length, [&](Value *i) {
      for (int p = 0; p < planes; ++p)
        b.store(b.load(b.i64(), scratch, ir.CreateAdd(b.constI64(p * length), i)), b.result(0),
                wordAt(n, ir.CreateAdd(first, i), p, word));
    });
  };
  int64_t tiles = g.spatial / tile, rest = g.spatial % tile;
  b.loop(g.batch, [&](Value *n) {
    auto packWords = [&](Value *word, int64_t count) {
      b.loop(tiles,
             [&](Value *t) { packTile(n, word, count, ir.CreateMul(t, b.constI64(tile)), tile); });
      if (rest > 0) packTile(n, word, count, b.constI64(tiles * tile), rest);
    };
    b.loop(full, [&](Value *word) { packWords(word, kPackWordBits); });
    if (tail > 0) packWords(b.constI64(full), tail);
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
