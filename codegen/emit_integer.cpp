// Integer MAC kernels (the int8 family): conv_integer and matmul_integer (ir/ops/conv.cpp,
// matmul.cpp). Results are exact: products and sums are taken in i32, which wraps exactly like
// the interpreter's int64 sum wrapped to int32.
//
// Both kernels reduce over two contiguous vectors in the innermost loop:
// - conv_integer gathers, per output position, the C/group * K window elements (centered by
//   the input zero point, 0 in the padding) into a stack buffer laid out like one filter, then
//   takes one dot product per output channel with the filter's centered weights.
// - matmul_integer with a constant b keeps b transposed ([batch][N][K]) and centered as a
//   constant table and dots it with each (centered) row of a; with a run-time b it accumulates
//   rows of b into the result row (vectorized over the columns).
// Constant weights are centered at compile time and stored in the narrowest of i8, u8, i16, i32
// that holds them; operands without a zero point keep their own element type. Dot products of
// two byte vectors use the target's int8 dot instruction (AVX-512 VNNI vpdpbusd, AArch64
// sdot / udot); other dot products are scalar loops that LLVM vectorizes (pmaddwd / vpdpwssd on
// x86, widening multiply-adds on AArch64).
#include "codegen/kernel.h"
#include "codegen/loop_builder.h"
#include "codegen/window_loops.h"
#include "ir/error.h"
#include "ir/ops/broadcast.h"

#include <algorithm>
#include <llvm/IR/Constants.h>
#include <llvm/IR/IntrinsicsAArch64.h>
#include <llvm/IR/IntrinsicsX86.h>
#include <llvm/TargetParser/Triple.h>
#include <optional>

namespace qcc::codegen {
namespace {

using llvm::Value;

// The element type of a vector in a dot product: storage and signedness.
struct IntType {
  llvm::Type *type;
  bool isSigned;
};

// The narrowest element type holding every value of a vector, and the vector in that type.
struct Narrowed {
  DType dtype;
  std::vector<uint8_t> bytes;
};

Narrowed narrowest(const std::vector<int64_t> &values) {
  int64_t lo = 0, hi = 0;
  for (int64_t v : values) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  DType t = lo >= -128 && hi <= 127       ? DType::i8
            : lo >= 0 && hi <= 255        ? DType::u8
            : lo >= -32768 && hi <= 32767 ? DType::i16
                                          : DType::i32;
  Tensor packed(t, {static_cast<int64_t>(values.size())});
  for (size_t i = 0; i < values.size(); ++i) packed.setInt(static_cast<int64_t>(i), values[i]);
  return {t, std::vector<uint8_t>(packed.bytes().begin(), packed.bytes().end())};
}

// sum_r ext(x[xBase + r]) * ext(w[wBase + r]) for r < length, in i32, as a scalar loop: the
// loop vectorizer makes it pmaddwd / vpdpwssd on x86 and widening multiply-adds on AArch64.
Value *scalarDot(LoopBuilder &b, IntType xt, Value *x, Value *xBase, IntType wt, Value *w,
                 Value *wBase, int64_t length) {
  auto &ir = b.ir();
  auto widen = [&](IntType t, Value *v) {
    return t.isSigned ? ir.CreateSExtOrTrunc(v, b.i32()) : ir.CreateZExtOrTrunc(v, b.i32());
  };
  return b.accumulate(length, b.constInt(b.i32(), 0), [&](Value *r, Value *acc) {
    Value *xv = widen(xt, b.load(xt.type, x, ir.CreateAdd(xBase, r)));
    Value *wv = widen(wt, b.load(wt.type, w, ir.CreateAdd(wBase, r)));
    return ir.CreateAdd(acc, ir.CreateMul(xv, wv));
  });
}

// The target's 8-bit dot product instruction: NEON sdot / udot (16 bytes, 4 sums of 4
// products) or AVX-512 VNNI vpdpbusd (64 bytes, unsigned x signed bytes, 16 sums).
struct DotInstruction {
  bool neon = false;
  int64_t lanes = 0; // bytes per instruction
};

std::optional<DotInstruction> int8DotInstruction(const CodegenTarget &target) {
  if (!target.int8DotProduct) return std::nullopt;
  llvm::Triple triple(target.triple);
  if (triple.isAArch64()) return DotInstruction{true, 16};
  if (triple.isX86() && target.vectorBits >= 512) return DotInstruction{false, 64};
  return std::nullopt;
}

// The dot product of two byte vectors with the dot instruction, in chunks of `lanes` bytes
// (the rest as a scalar loop). An operand sign the instruction lacks is made by flipping the
// top bit (unsigned u = signed s + 128) and corrected with a second dot product against ones:
// exact, since every step is an i32 sum of products.
Value *int8Dot(LoopBuilder &b, DotInstruction unit, IntType xt, Value *x, Value *xBase, IntType wt,
               Value *w, Value *wBase, int64_t length) {
  auto &ir = b.ir();
  auto *bytes = llvm::FixedVectorType::get(b.i8(), static_cast<unsigned>(unit.lanes));
  auto *sums = llvm::FixedVectorType::get(b.i32(), static_cast<unsigned>(unit.lanes / 4));
  Value *flip = llvm::ConstantInt::get(bytes, 0x80);
  Value *ones = llvm::ConstantInt::get(bytes, 1);
  // acc + the products of byte vectors p and q: NEON with both signed or both unsigned,
  // VNNI with p unsigned and q signed.
  auto instruction = [&](Value *acc, Value *p, Value *q, bool bothSigned) -> Value * {
    if (unit.neon) {
      auto id =
          bothSigned ? llvm::Intrinsic::aarch64_neon_sdot : llvm::Intrinsic::aarch64_neon_udot;
      return ir.CreateIntrinsic(id, {sums, bytes}, {acc, p, q});
    }
    return ir.CreateIntrinsic(llvm::Intrinsic::x86_avx512_vpdpbusd_512, {},
                              {acc, ir.CreateBitCast(p, sums), ir.CreateBitCast(q, sums)});
  };
  // Per chunk: main += products(p(x, w)), correction += products(c(x, w)); the dot is
  // main + scale * correction.
  std::function<Value *(Value *, Value *, Value *)> main, correction;
  int64_t scale = 0;
  bool mixed = xt.isSigned != wt.isSigned;
  if (unit.neon && !mixed) {
    main = [&](Value *acc, Value *xv, Value *wv) { return instruction(acc, xv, wv, xt.isSigned); };
  } else if (unit.neon) {
    // sum u * s = sum (u - 128) * s + 128 * sum s.
    bool xUnsigned = !xt.isSigned;
    main = [&, xUnsigned](Value *acc, Value *xv, Value *wv) {
      Value *u = xUnsigned ? xv : wv, *sv = xUnsigned ? wv : xv;
      return instruction(acc, ir.CreateXor(u, flip), sv, true);
    };
    correction = [&, xUnsigned](Value *acc, Value *xv, Value *wv) {
      return instruction(acc, xUnsigned ? wv : xv, ones, true);
    };
    scale = 128;
  } else if (mixed) {
    main = [&](Value *acc, Value *xv, Value *wv) {
      return xt.isSigned ? instruction(acc, wv, xv, false) : instruction(acc, xv, wv, false);
    };
  } else if (xt.isSigned) {
    // Both signed: sum x * w = sum (x + 128) * w - 128 * sum w.
    main = [&](Value *acc, Value *xv, Value *wv) {
      return instruction(acc, ir.CreateXor(xv, flip), wv, false);
    };
    correction = [&](Value *acc, Value *, Value *wv) { return instruction(acc, ones, wv, false); };
    scale = -128;
  } else {
    // Both unsigned: sum x * w = sum x * (w - 128) + 128 * sum x.
    main = [&](Value *acc, Value *xv, Value *wv) {
      return instruction(acc, xv, ir.CreateXor(wv, flip), false);
    };
    correction = [&](Value *acc, Value *xv, Value *) { return instruction(acc, xv, ones, false); };
    scale = 128;
  }
  Value *zero = llvm::Constant::getNullValue(sums);
  Value *mainSlot = b.stackBuffer(sums, 1, "dot");
  Value *correctionSlot = b.stackBuffer(sums, 1, "dot");
  b.store(zero, mainSlot, b.constI64(0));
  b.store(zero, correctionSlot, b.constI64(0));
  int64_t chunks = length / unit.lanes;
  b.loop(chunks, [&](Value *c) {
    Value *offset = ir.CreateMul(c, b.constI64(unit.lanes));
    auto chunk = [&](Value *ptr, Value *base) {
      Value *at = b.elementPtr(b.i8(), ptr, ir.CreateAdd(base, offset));
      return ir.CreateAlignedLoad(bytes, at, llvm::Align(1));
    };
    Value *xv = chunk(x, xBase), *wv = chunk(w, wBase);
    b.store(main(b.load(sums, mainSlot, b.constI64(0)), xv, wv), mainSlot, b.constI64(0));
    if (correction)
      b.store(correction(b.load(sums, correctionSlot, b.constI64(0)), xv, wv), correctionSlot,
              b.constI64(0));
  });
  Value *total = ir.CreateAddReduce(b.load(sums, mainSlot, b.constI64(0)));
  if (correction) {
    Value *sum = ir.CreateAddReduce(b.load(sums, correctionSlot, b.constI64(0)));
    total = ir.CreateAdd(total, ir.CreateMul(sum, b.constInt(b.i32(), scale)));
  }
  int64_t done = chunks * unit.lanes;
  Value *rest = scalarDot(b, xt, x, ir.CreateAdd(xBase, b.constI64(done)), wt, w,
                          ir.CreateAdd(wBase, b.constI64(done)), length - done);
  return ir.CreateAdd(total, rest);
}

// sum_r x[xBase + r] * w[wBase + r] in i32 (exact modulo 2^32, as the interpreter's result).
Value *dot(LoopBuilder &b, IntType xt, Value *x, Value *xBase, IntType wt, Value *w, Value *wBase,
           int64_t length) {
  std::optional<DotInstruction> unit = int8DotInstruction(b.request().target);
  bool bytes = xt.type->getIntegerBitWidth() == 8 && wt.type->getIntegerBitWidth() == 8;
  if (unit && bytes && length >= unit->lanes)
    return int8Dot(b, *unit, xt, x, xBase, wt, w, wBase, length);
  return scalarDot(b, xt, x, xBase, wt, w, wBase, length);
}

// The zero point of an operand as an i64 value: element `index` of operand `i`, or 0 when the
// operand is absent.
Value *zeroPoint(LoopBuilder &b, size_t i, Value *index) {
  if (!b.request().hasOperand(i)) return b.constI64(0);
  DType t = b.request().operandType(i).dtype;
  return b.toI64(t, b.load(t, b.operand(i), index));
}

// True when operand i is absent or a constant of zeros.
bool isZeroOrAbsent(const KernelRequest &request, size_t i) {
  if (!request.hasOperand(i)) return true;
  const Tensor *t = request.constant(i);
  if (!t) return false;
  for (int64_t k = 0; k < t->numel(); ++k)
    if (t->getInt(k) != 0) return false;
  return true;
}

// The element type a centered operand of dtype t is held in: its own type when it needs no
// centering, else i16 for up to 8 bits and i32 above.
IntType centeredType(LoopBuilder &b, DType t, bool centered) {
  if (!centered) return {b.storageType(t), isSigned(t)};
  return {bitWidth(t) <= 8 ? b.ir().getInt16Ty() : b.i32(), true};
}

// ---- conv_integer --------------------------------------------------------------------------

// Direct 2-D convolution for a few output channels per group, where gathering windows would
// cost more than the dot products: each output row accumulates (x - zx) * (w - zw) over the
// group's channels and the kernel rows, vectorized along the row (the columns each kernel
// column can reach are known at compile time, so padding needs no tests in the inner loop).
void emitConvIntegerRows(const KernelRequest &request, llvm::Function &function,
                         const WindowGeometry &g, int64_t group) {
  const TensorType &xType = request.operandType(0);
  const TensorType &wType = request.operandType(1);
  int64_t batch = xType.shape[0], channels = xType.shape[1], outputs = wType.shape[0];
  int64_t height = xType.shape[2], width = xType.shape[3];
  int64_t kh = g.kernel[0], kw = g.kernel[1];
  Shape out = g.outputShape({height, width}, request.op.describe());
  int64_t groupIn = channels / group, groupOut = outputs / group;
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  bool perChannelZero = request.hasOperand(3) && request.operandType(3).numel() != 1;
  Value *xZero = ir.CreateTrunc(zeroPoint(b, 2, b.constI64(0)), b.i32());
  b.loop(batch, [&](Value *n) {
    b.loop(outputs, [&](Value *m) {
      Value *xGroup =
          ir.CreateAdd(ir.CreateMul(n, b.constI64(channels)),
                       ir.CreateMul(ir.CreateUDiv(m, b.constI64(groupOut)), b.constI64(groupIn)));
      Value *wZero = ir.CreateTrunc(zeroPoint(b, 3, perChannelZero ? m : b.constI64(0)), b.i32());
      b.loop(out[0], [&](Value *oh) {
        Value *yRow = ir.CreateMul(
            ir.CreateAdd(ir.CreateMul(ir.CreateAdd(ir.CreateMul(n, b.constI64(outputs)), m),
                                      b.constI64(out[0])),
                         oh),
            b.constI64(out[1]));
        b.loop(out[1], [&](Value *ow) {
          b.store(b.constInt(b.i32(), 0), b.result(0), ir.CreateAdd(yRow, ow));
        });
        b.loop(groupIn, [&](Value *c) {
          Value *wc = ir.CreateMul(ir.CreateAdd(ir.CreateMul(m, b.constI64(groupIn)), c),
                                   b.constI64(kh * kw));
          b.loop(kh, [&](Value *i) {
            Value *ih = ir.CreateAdd(ir.CreateMul(oh, b.constI64(g.strides[0])),
                                     b.constI64(-g.padsBegin[0]));
            ih = ir.CreateAdd(ih, ir.CreateMul(i, b.constI64(g.dilations[0])));
            Value *inside = ir.CreateICmpULT(ih, b.constI64(height));
            b.ifThen(inside, [&] {
              Value *xRow = ir.CreateMul(
                  ir.CreateAdd(ir.CreateMul(ir.CreateAdd(xGroup, c), b.constI64(height)), ih),
                  b.constI64(width));
              for (int64_t j = 0; j < kw; ++j) {
                // Output columns ow whose input column ow * stride + offset is inside the row.
                int64_t offset = j * g.dilations[1] - g.padsBegin[1];
                int64_t lo = offset >= 0 ? 0 : (-offset + g.strides[1] - 1) / g.strides[1];
                int64_t hi = width - 1 - offset < 0
                                 ? 0
                                 : std::min(out[1], (width - 1 - offset) / g.strides[1] + 1);
                if (lo >= hi) continue;
                Value *wAt =
                    ir.CreateAdd(wc, ir.CreateAdd(ir.CreateMul(i, b.constI64(kw)), b.constI64(j)));
                Value *wv = ir.CreateSub(
                    ir.CreateSExtOrTrunc(
                        b.toI64(wType.dtype, b.load(wType.dtype, b.operand(1), wAt)), b.i32()),
                    wZero);
                b.loop(hi - lo, [&](Value *k) {
                  Value *ow = ir.CreateAdd(k, b.constI64(lo));
                  Value *xAt =
                      ir.CreateAdd(xRow, ir.CreateAdd(ir.CreateMul(ow, b.constI64(g.strides[1])),
                                                      b.constI64(offset)));
                  Value *xv = ir.CreateSub(
                      ir.CreateTrunc(b.toI64(xType.dtype, b.load(xType.dtype, b.operand(0), xAt)),
                                     b.i32()),
                      xZero);
                  Value *yAt = ir.CreateAdd(yRow, ow);
                  Value *sum =
                      ir.CreateAdd(b.load(b.i32(), b.result(0), yAt), ir.CreateMul(xv, wv));
                  b.store(sum, b.result(0), yAt);
                });
              }
            });
          });
        });
      });
    });
  });
  b.finish();
}

// ---- conv_integer: output channels blocked over row segments ---------------------------------

// Convolutions with a short reduction (few input channels, e.g. a first layer over RGB) and
// long output rows: per output row, segments of `lanes` consecutive positions are computed for
// a block of output channels at once. The segment's window values are first centered into i16
// vectors, two taps interleaved per vector, so that one multiply-add of pairs (x86 pmaddwd)
// gives two taps of `lanes` positions for one output channel; the weights are constants of the
// same pair layout. Positions whose window crosses the left or right border take a scalar path;
// rows above and below the input read zeros (centered padding).
struct BlockedConv {
  int64_t lanes = 0;         // i32 lanes per accumulator vector
  int64_t channels = 0;      // output channels accumulated together
  bool pairMultiply = false; // x86: pmaddwd; otherwise widening multiplies
  // AVX-512 VNNI with unsigned 8-bit inputs and weights in [-128, 127]: four taps per i32 word
  // (vpdpbusd, 64 products per instruction); taps in padding rows hold the input zero point,
  // which a per-channel sum of the weights removes at the end.
  bool byteQuads = false;
};

constexpr int64_t kBlockedMaxReduction = 160;

std::optional<BlockedConv> blockedConvPlan(const KernelRequest &request, const WindowGeometry &g,
                                           int64_t group, const std::vector<int64_t> &centered) {
  const TensorType &xType = request.operandType(0);
  const TensorType &wType = request.operandType(1);
  if (g.rank() != 2 || group != 1 || request.resultType(0).numel() == 0) return std::nullopt;
  if (!isInteger(xType.dtype) || storageBytes(xType.dtype) != 1 || xType.dtype == DType::boolean ||
      centered.empty())
    return std::nullopt;
  for (int64_t v : centered)
    if (v < -32768 || v > 32767) return std::nullopt;
  int64_t reduction = xType.shape[1] * g.kernel[0] * g.kernel[1];
  if (reduction > kBlockedMaxReduction || wType.shape[0] < 4) return std::nullopt;
  const CodegenTarget &t = request.target;
  BlockedConv plan;
  llvm::Triple triple(t.triple);
  if (triple.isX86()) {
    plan.pairMultiply = true;
    plan.lanes = t.vectorBits >= 512 ? 16 : t.vectorBits >= 256 ? 8 : 4; // SSE2 at least
    plan.channels = t.vectorBits >= 512 ? 16 : 8;
  } else if (triple.isAArch64()) {
    plan.lanes = 4;
    plan.channels = 16;
  } else {
    return std::nullopt;
  }
  Shape out = g.outputShape({xType.shape[2], xType.shape[3]}, request.op.describe());
  if (out[1] < plan.lanes) return std::nullopt;
  plan.byteQuads = plan.pairMultiply && plan.lanes == 16 && t.int8DotProduct &&
                   !isSigned(xType.dtype) &&
                   std::all_of(centered.begin(), centered.end(),
                               [](int64_t v) { return v >= -128 && v <= 127; });
  return plan;
}

void emitConvIntegerBlocked(const KernelRequest &request, llvm::Function &function,
                            const WindowGeometry &g, const std::vector<int64_t> &centered,
                            const BlockedConv &plan) {
  const TensorType &xType = request.operandType(0);
  int64_t batch = xType.shape[0], channels = xType.shape[1];
  int64_t height = xType.shape[2], width = xType.shape[3];
  int64_t outputs = request.operandType(1).shape[0];
  int64_t kh = g.kernel[0], kw = g.kernel[1];
  Shape out = g.outputShape({height, width}, request.op.describe());
  // Taps per i32 word of the window and of the weights: 2 (i16 pairs) or 4 (u8 / s8 quads).
  int64_t perWord = plan.byteQuads ? 4 : 2;
  int64_t taps = channels * kh * kw, words = (taps + perWord - 1) / perWord;
  int64_t lanes = plan.lanes, block = plan.channels;
  int64_t blocks = (outputs + block - 1) / block;
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *i16 = ir.getInt16Ty();
  llvm::Type *element = plan.byteQuads ? b.i8() : i16;
  auto *x16 = llvm::FixedVectorType::get(element, static_cast<unsigned>(lanes));
  auto *pair16 = llvm::FixedVectorType::get(element, static_cast<unsigned>(perWord * lanes));
  auto *acc32 = llvm::FixedVectorType::get(b.i32(), static_cast<unsigned>(lanes));
  bool xSigned = isSigned(xType.dtype);
  llvm::Type *xStorage = b.storageType(xType.dtype);

  // Weight words [block][word][channel in block] as i32 (first tap in the low bits), zero for
  // channels past the last and for the taps that complete the last word.
  std::vector<int32_t> packedPairs(static_cast<size_t>(blocks * words * block), 0);
  std::vector<int64_t> filterSums(static_cast<size_t>(blocks * block), 0);
  unsigned tapBits = plan.byteQuads ? 8 : 16;
  for (int64_t m = 0; m < outputs; ++m)
    for (int64_t p = 0; p < words; ++p) {
      uint32_t word = 0;
      for (int64_t k = 0; k < perWord; ++k) {
        int64_t r = p * perWord + k;
        int64_t v = r < taps ? centered[static_cast<size_t>(m * taps + r)] : 0;
        filterSums[static_cast<size_t>(m)] += v;
        word |= (static_cast<uint32_t>(v) & ((1u << tapBits) - 1)) << (tapBits * k);
      }
      packedPairs[static_cast<size_t>(((m / block) * words + p) * block + m % block)] =
          static_cast<int32_t>(word);
    }
  Value *pairTable = b.constantTable(
      b.i32(), {reinterpret_cast<const uint8_t *>(packedPairs.data()), packedPairs.size() * 4},
      "weight_pairs");
  // The border columns' weights, [tap][output channel]: the loop over channels reads them in
  // order.
  std::vector<int32_t> plain(centered.size());
  for (int64_t m = 0; m < outputs; ++m)
    for (int64_t r = 0; r < taps; ++r)
      plain[static_cast<size_t>(r * outputs + m)] =
          static_cast<int32_t>(centered[static_cast<size_t>(m * taps + r)]);
  Value *weights = b.constantTable(
      b.i32(), {reinterpret_cast<const uint8_t *>(plain.data()), plain.size() * 4}, "weights");
  Value *xZero16 = ir.CreateTrunc(zeroPoint(b, 2, b.constI64(0)), i16);
  Value *xZero32 = ir.CreateSExt(xZero16, b.i32());
  Value *sumsTable = plan.byteQuads ? b.constantTable(filterSums, "filter_sums") : nullptr;
  // The segment's centered window: [pair][2 * lanes] i16 (x86: taps interleaved per position;
  // otherwise the first tap's lanes, then the second's).
  Value *window = b.stackBuffer(element, words * perWord * lanes, request.op.describe());

  RowSegments segments = rowSegments(g, width, out[1], lanes);

  auto rowOf = [&](Value *n, Value *oh, int64_t c, int64_t i, Value *&inside) {
    Value *ih = ir.CreateAdd(ir.CreateMul(oh, b.constI64(g.strides[0])),
                             b.constI64(i * g.dilations[0] - g.padsBegin[0]));
    inside = ir.CreateICmpULT(ih, b.constI64(height));
    Value *clamped = ir.CreateSelect(inside, ih, b.constI64(0));
    return ir.CreateMul(
        ir.CreateAdd(
            ir.CreateMul(ir.CreateAdd(ir.CreateMul(n, b.constI64(channels)), b.constI64(c)),
                         b.constI64(height)),
            clamped),
        b.constI64(width));
  };
  auto outputAt = [&](Value *n, Value *m, Value *oh, Value *ow) {
    return ir.CreateAdd(
        ir.CreateMul(
            ir.CreateAdd(ir.CreateMul(ir.CreateAdd(ir.CreateMul(n, b.constI64(outputs)), m),
                                      b.constI64(out[0])),
                         oh),
            b.constI64(out[1])),
        ow);
  };

  // The window of tap r for the positions ow0 .. ow0 + lanes - 1, centered, as i16 lanes.
  auto tapVector = [&](Value *n, Value *oh, Value *ow0, int64_t r) -> Value * {
    if (r >= taps) return llvm::Constant::getNullValue(x16);
    int64_t c = r / (kh * kw), i = r / kw % kh, j = r % kw;
    Value *inside = nullptr;
    Value *row = rowOf(n, oh, c, i, inside);
    Value *start = ir.CreateAdd(ir.CreateMul(ow0, b.constI64(g.strides[1])),
                                b.constI64(j * g.dilations[1] - g.padsBegin[1]));
    Value *raw =
        b.loadStrided(xStorage, b.operand(0), ir.CreateAdd(row, start), lanes, g.strides[1]);
    if (plan.byteQuads) {
      Value *zero =
          ir.CreateVectorSplat(static_cast<unsigned>(lanes), ir.CreateTrunc(xZero16, b.i8()));
      return ir.CreateSelect(inside, raw, zero);
    }
    Value *wide = xSigned ? ir.CreateSExt(raw, x16) : ir.CreateZExt(raw, x16);
    Value *centeredX =
        ir.CreateSub(wide, ir.CreateVectorSplat(static_cast<unsigned>(lanes), xZero16));
    return ir.CreateSelect(inside, centeredX, llvm::Constant::getNullValue(x16));
  };

  auto outputRow = [&](Value *n, Value *oh) {
    b.loop(segments.count, [&](Value *s) {
      Value *ow0 = segments.start(b, s);
      for (int64_t p = 0; p < words; ++p) {
        std::vector<Value *> tapsOfWord;
        for (int64_t k = 0; k < perWord; ++k)
          tapsOfWord.push_back(tapVector(n, oh, ow0, p * perWord + k));
        // The word's taps side by side: [tap][lane] (k * lanes + l).
        Value *joined = ir.CreateShuffleVector(tapsOfWord[0], tapsOfWord[1], [&] {
          std::vector<int> all;
          for (int64_t e = 0; e < 2 * lanes; ++e) all.push_back(static_cast<int>(e));
          return all;
        }());
        if (perWord == 4) {
          std::vector<int> all;
          for (int64_t e = 0; e < 2 * lanes; ++e) all.push_back(static_cast<int>(e));
          Value *rest = ir.CreateShuffleVector(tapsOfWord[2], tapsOfWord[3], all);
          all.clear();
          for (int64_t e = 0; e < 4 * lanes; ++e) all.push_back(static_cast<int>(e));
          joined = ir.CreateShuffleVector(joined, rest, all);
        }
        // x86 interleaves the taps per position ([lane][tap]); widening multiplies read the
        // taps' lanes as they are.
        std::vector<int> order;
        for (int64_t l = 0; l < lanes; ++l)
          for (int64_t k = 0; k < perWord; ++k)
            order.push_back(static_cast<int>(plan.pairMultiply ? k * lanes + l : l * perWord + k));
        Value *interleaved = ir.CreateShuffleVector(joined, order);
        ir.CreateAlignedStore(interleaved,
                              b.elementPtr(element, window, b.constI64(p * perWord * lanes)),
                              llvm::Align(1));
      }
      b.loop(blocks, [&](Value *blk) {
        std::vector<Value *> acc(static_cast<size_t>(block), llvm::Constant::getNullValue(acc32));
        for (int64_t p = 0; p < words; ++p) {
          Value *xs = ir.CreateAlignedLoad(
              pair16, b.elementPtr(element, window, b.constI64(p * perWord * lanes)),
              llvm::Align(1));
          Value *xa = nullptr, *xb = nullptr;
          if (!plan.pairMultiply) {
            std::vector<int> low, high;
            for (int64_t l = 0; l < lanes; ++l) {
              low.push_back(static_cast<int>(l));
              high.push_back(static_cast<int>(lanes + l));
            }
            xa = ir.CreateSExt(ir.CreateShuffleVector(xs, low), acc32);
            xb = ir.CreateSExt(ir.CreateShuffleVector(xs, high), acc32);
          }
          for (int64_t j = 0; j < block; ++j) {
            Value *at = ir.CreateAdd(ir.CreateMul(blk, b.constI64(words * block)),
                                     b.constI64(p * block + j));
            Value *wp = b.load(b.i32(), pairTable, at);
            Value *splat = ir.CreateVectorSplat(static_cast<unsigned>(lanes), wp);
            Value *sum = nullptr;
            if (plan.byteQuads) {
              acc[static_cast<size_t>(j)] = ir.CreateIntrinsic(
                  llvm::Intrinsic::x86_avx512_vpdpbusd_512, {},
                  {acc[static_cast<size_t>(j)], ir.CreateBitCast(xs, acc32), splat});
              continue;
            } else if (plan.pairMultiply) {
              llvm::Intrinsic::ID id = lanes == 16  ? llvm::Intrinsic::x86_avx512_pmaddw_d_512
                                       : lanes == 8 ? llvm::Intrinsic::x86_avx2_pmadd_wd
                                                    : llvm::Intrinsic::x86_sse2_pmadd_wd;
              sum = ir.CreateIntrinsic(id, {}, {xs, ir.CreateBitCast(splat, pair16)});
            } else {
              Value *wa = ir.CreateAShr(ir.CreateShl(splat, 16), 16);
              Value *wb = ir.CreateAShr(splat, 16);
              sum = ir.CreateAdd(ir.CreateMul(xa, wa), ir.CreateMul(xb, wb));
            }
            acc[static_cast<size_t>(j)] = ir.CreateAdd(acc[static_cast<size_t>(j)], sum);
          }
        }
        for (int64_t j = 0; j < block; ++j) {
          Value *m = ir.CreateAdd(ir.CreateMul(blk, b.constI64(block)), b.constI64(j));
          if (plan.byteQuads) {
            // sum (x' - zx) w = sum x' w - zx sum w, x' the window with zx in padding rows.
            Value *sum = ir.CreateTrunc(b.load(b.i64(), sumsTable, m), b.i32());
            Value *correction = ir.CreateMul(xZero32, sum);
            acc[static_cast<size_t>(j)] =
                ir.CreateSub(acc[static_cast<size_t>(j)],
                             ir.CreateVectorSplat(static_cast<unsigned>(lanes), correction));
          }
          auto store = [&] {
            ir.CreateAlignedStore(acc[static_cast<size_t>(j)],
                                  b.elementPtr(b.i32(), b.result(0), outputAt(n, m, oh, ow0)),
                                  llvm::Align(4));
          };
          if (outputs % block == 0)
            store();
          else
            b.ifThen(ir.CreateICmpULT(m, b.constI64(outputs)), store);
        }
      });
    });
    // Positions whose window crosses the left or right border: one output at a time.
    auto scalarColumns = [&](int64_t from, int64_t to) {
      b.loop(to - from, [&](Value *k) {
        Value *ow = ir.CreateAdd(k, b.constI64(from));
        b.loop(outputs, [&](Value *m) {
          Value *total = llvm::Constant::getNullValue(b.i32());
          for (int64_t r = 0; r < taps; ++r) {
            int64_t c = r / (kh * kw), i = r / kw % kh, j = r % kw;
            Value *insideRow = nullptr;
            Value *row = rowOf(n, oh, c, i, insideRow);
            Value *iw = ir.CreateAdd(ir.CreateMul(ow, b.constI64(g.strides[1])),
                                     b.constI64(j * g.dilations[1] - g.padsBegin[1]));
            Value *inside = ir.CreateAnd(insideRow, ir.CreateICmpULT(iw, b.constI64(width)));
            Value *x = b.load(xStorage, b.operand(0),
                              ir.CreateAdd(row, ir.CreateSelect(inside, iw, b.constI64(0))));
            Value *xv = ir.CreateSub(
                xSigned ? ir.CreateSExt(x, b.i32()) : ir.CreateZExt(x, b.i32()), xZero32);
            xv = ir.CreateSelect(inside, xv, llvm::Constant::getNullValue(b.i32()));
            Value *w = b.load(b.i32(), weights, ir.CreateAdd(m, b.constI64(r * outputs)));
            total = ir.CreateAdd(total, ir.CreateMul(xv, w));
          }
          b.store(total, b.result(0), outputAt(n, m, oh, ow));
        });
      });
    };
    scalarColumns(0, segments.lo);
    scalarColumns(segments.hi, out[1]);
  };
  if (request.sliced) {
    // Units are output rows n * OH + oh; the slice is [first, end).
    auto slice = static_cast<unsigned>(request.op.inputs.size() + 1);
    Value *first = function.getArg(slice), *end = function.getArg(slice + 1);
    b.loop(batch * out[0], [&](Value *unit) {
      b.ifThen(ir.CreateAnd(ir.CreateICmpSGE(unit, first), ir.CreateICmpSLT(unit, end)), [&] {
        outputRow(ir.CreateUDiv(unit, b.constI64(out[0])), ir.CreateURem(unit, b.constI64(out[0])));
      });
    });
  } else {
    b.loop(batch, [&](Value *n) { b.loop(out[0], [&](Value *oh) { outputRow(n, oh); }); });
  }
  b.finish();
}

// The weights minus their zero point, when both are constants.
std::optional<std::vector<int64_t>> centeredWeights(const KernelRequest &request, int64_t filter) {
  const Tensor *weights = request.constant(1);
  if (!weights || (request.hasOperand(3) && !request.constant(3))) return std::nullopt;
  const Tensor *zero = request.hasOperand(3) ? request.constant(3) : nullptr;
  std::vector<int64_t> centered(static_cast<size_t>(weights->numel()));
  for (int64_t i = 0; i < weights->numel(); ++i) {
    int64_t zp = !zero ? 0 : zero->numel() == 1 ? zero->getInt(0) : zero->getInt(i / filter);
    centered[static_cast<size_t>(i)] = weights->getInt(i) - zp;
  }
  return centered;
}

void emitConvInteger(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const TensorType &xType = request.operandType(0);
  const TensorType &wType = request.operandType(1);
  int64_t batch = xType.shape.at(0), channels = xType.shape.at(1), outputs = wType.shape.at(0);
  int64_t group = op.getInt("group");
  Shape inSpatial(xType.shape.begin() + 2, xType.shape.end());
  Shape kernel(wType.shape.begin() + 2, wType.shape.end());
  WindowGeometry geometry = readWindowGeometry(op, kernel, false);
  Shape outSpatial = geometry.outputShape(inSpatial, op.describe());
  int64_t groupIn = channels / group, groupOut = outputs / group;
  int64_t taps = checkedNumel(kernel), inSize = checkedNumel(inSpatial);
  int64_t outSize = checkedNumel(outSpatial);
  int64_t filter = groupIn * taps; // reduction length
  std::optional<std::vector<int64_t>> centered = centeredWeights(request, filter);
  std::optional<BlockedConv> plan;
  if (centered) plan = blockedConvPlan(request, geometry, group, *centered);
  // sliceConvInteger slices the blocked form only.
  if (request.sliced && (!plan || (groupOut < 8 && kernel[1] <= 16)))
    fail("internal error: {}: this form of the kernel is not sliced", op.describe());
  if (kernel.size() == 2 && groupOut < 8 && kernel[1] <= 16 && request.resultType(0).numel() > 0)
    return emitConvIntegerRows(request, function, geometry, group);
  if (plan) return emitConvIntegerBlocked(request, function, geometry, *centered, *plan);
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  if (request.resultType(0).numel() == 0) {
    b.finish();
    return;
  }

  // Weights: centered at compile time when they and their zero point are constants.
  bool constantWeights = centered.has_value();
  IntType wt{};
  Value *w = nullptr;
  std::vector<int64_t> filterSums; // per output channel, of the centered weights (wrapped)
  if (constantWeights) {
    Narrowed narrowed = narrowest(*centered);
    wt = {b.storageType(narrowed.dtype), isSigned(narrowed.dtype)};
    w = b.constantTable(wt.type, narrowed.bytes, "weights");
    for (int64_t m = 0; m < outputs; ++m) {
      int64_t sum = 0;
      for (int64_t r = 0; r < filter; ++r) sum += (*centered)[static_cast<size_t>(m * filter + r)];
      filterSums.push_back(static_cast<int32_t>(sum));
    }
  } else {
    wt = {b.i32(), true};
    w = b.stackBuffer(b.i32(), filter, op.describe());
  }

  // An input zero point zx is folded out of the window when the weights are constant: padding
  // taps hold zx and sum (x - zx) w = sum x w - zx * sum w, so the window keeps x's own (often
  // byte) type. Otherwise the window holds x - zx.
  bool hasXZero = !isZeroOrAbsent(request, 2);
  bool foldX = hasXZero && constantWeights;
  bool centerX = hasXZero && !foldX;
  IntType xt = centeredType(b, xType.dtype, centerX);
  Value *patch = b.stackBuffer(xt.type, filter, op.describe());
  Value *xZero = hasXZero ? zeroPoint(b, 2, b.constI64(0)) : nullptr;
  Value *padding = foldX ? ir.CreateTrunc(xZero, xt.type) : b.constInt(xt.type, 0);
  Value *sumsTable = foldX ? b.constantTable(filterSums, "filter_sums") : nullptr;
  bool perChannelZero = request.hasOperand(3) && request.operandType(3).numel() != 1;
  WindowLoops windows(b, geometry, inSpatial, outSpatial);
  b.loop(batch, [&](Value *n) {
    b.loop(group, [&](Value *g) {
      Value *xGroup = ir.CreateMul(
          ir.CreateAdd(ir.CreateMul(n, b.constI64(channels)), ir.CreateMul(g, b.constI64(groupIn))),
          b.constI64(inSize));
      windows.forEachOutput([&](Value *p) {
        // The window, laid out like a filter [C/group, K].
        windows.forEachTap([&](const WindowTap &tap) {
          b.loop(groupIn, [&](Value *c) {
            Value *at =
                ir.CreateAdd(xGroup, ir.CreateAdd(ir.CreateMul(c, b.constI64(inSize)), tap.offset));
            Value *v = b.load(xType.dtype, b.operand(0), at);
            if (centerX) v = ir.CreateSub(b.toI64(xType.dtype, v), xZero);
            v = ir.CreateTrunc(v, xt.type);
            Value *slot = ir.CreateAdd(ir.CreateMul(c, b.constI64(taps)), tap.kernelIndex);
            b.store(ir.CreateSelect(tap.valid, v, padding), patch, slot);
          });
        });
        b.loop(groupOut, [&](Value *mInGroup) {
          Value *m = ir.CreateAdd(ir.CreateMul(g, b.constI64(groupOut)), mInGroup);
          Value *wBase = ir.CreateMul(m, b.constI64(filter));
          if (!constantWeights) {
            // Run-time weights: center this filter into the scratch row first.
            Value *zp = zeroPoint(b, 3, perChannelZero ? m : b.constI64(0));
            b.loop(filter, [&](Value *r) {
              Value *v =
                  b.toI64(wType.dtype, b.load(wType.dtype, b.operand(1), ir.CreateAdd(wBase, r)));
              b.store(ir.CreateTrunc(ir.CreateSub(v, zp), b.i32()), w, r);
            });
          }
          Value *acc = dot(b, xt, patch, b.constI64(0), wt, w,
                           constantWeights ? wBase : b.constI64(0), filter);
          if (foldX) {
            Value *sum = ir.CreateTrunc(b.load(b.i64(), sumsTable, m), b.i32());
            acc = ir.CreateSub(acc, ir.CreateMul(ir.CreateTrunc(xZero, b.i32()), sum));
          }
          Value *out =
              ir.CreateAdd(ir.CreateMul(ir.CreateAdd(ir.CreateMul(n, b.constI64(outputs)), m),
                                        b.constI64(outSize)),
                           p);
          b.store(acc, b.result(0), out);
        });
      });
    });
  });
  b.finish();
}

// Only the blocked convolution (e.g. a first layer over RGB, most of a binarized ResNet's
// integer work) is sliced, by output rows.
std::optional<KernelSlicing> sliceConvInteger(const KernelRequest &request) {
  const Op &op = request.op;
  const TensorType &xType = request.operandType(0);
  const TensorType &wType = request.operandType(1);
  if (xType.rank() != 4 || wType.rank() != 4) return std::nullopt;
  int64_t group = op.getInt("group");
  Shape kernel(wType.shape.begin() + 2, wType.shape.end());
  WindowGeometry geometry = readWindowGeometry(op, kernel, false);
  Shape out = geometry.outputShape({xType.shape[2], xType.shape[3]}, op.describe());
  int64_t outputs = wType.shape[0], filter = xType.shape[1] / group * kernel[0] * kernel[1];
  if (outputs / group < 8 && kernel[1] <= 16) return std::nullopt; // emitConvIntegerRows
  std::optional<std::vector<int64_t>> centered = centeredWeights(request, filter);
  if (!centered || !blockedConvPlan(request, geometry, group, *centered)) return std::nullopt;
  int64_t macs = xType.shape[0] * outputs * out[0] * out[1] * filter;
  int64_t bits = storageBytes(xType.dtype) * storageBytes(wType.dtype) * 64;
  return KernelSlicing{xType.shape[0] * out[0], macs * bits};
}

// ---- matmul_integer ------------------------------------------------------------------------

struct MatMulShape {
  Shape aBatch, bBatch, batch;
  int64_t m = 1, k = 1, n = 1;
};

MatMulShape matmulShape(const Shape &a, const Shape &b) {
  MatMulShape s;
  if (a.size() >= 2) {
    s.m = a[a.size() - 2];
    s.aBatch.assign(a.begin(), a.end() - 2);
  }
  s.k = a.back();
  if (b.size() >= 2) {
    s.n = b.back();
    s.bBatch.assign(b.begin(), b.end() - 2);
  }
  s.batch = broadcastShapes(s.aBatch, s.bBatch);
  return s;
}

// For every line of an operand (a row of a, or a column of b: batch * N + column), the index
// of its zero point (matmul.cpp ZeroPointLayout).
std::vector<int64_t> zeroPointIndex(const TensorType &zp, const TensorType &operand, bool isA,
                                    int64_t lines) {
  std::vector<int64_t> index(static_cast<size_t>(lines), 0);
  if (zp.numel() == 1) return index;
  Shape lineShape = operand.shape;
  lineShape[operand.shape.size() - (isA ? 1 : 2)] = 1;
  Shape zpShape = zp.shape;
  if (isA && zp.rank() == 1) zpShape.push_back(1);
  // Lines are numbered like the elements of the line shape (a: batch * M + row, b: batch * N
  // + column).
  BroadcastIndex map(zpShape, lineShape);
  for (int64_t line = 0; line < lines; ++line) index[static_cast<size_t>(line)] = map(line);
  return index;
}

void emitMatMulInteger(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const TensorType &aType = request.operandType(0);
  const TensorType &bType = request.operandType(1);
  MatMulShape s = matmulShape(aType.shape, bType.shape);
  int64_t batchCount = checkedNumel(s.batch);
  int64_t aLines = aType.numel() / std::max<int64_t>(s.k, 1);
  int64_t bLines = checkedNumel(s.bBatch) * s.n;
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  if (request.resultType(0).numel() == 0) {
    b.finish();
    return;
  }
  // Batch offsets of a and b for every result batch (numpy broadcasting of the batch dims).
  std::vector<int64_t> aBatchOf, bBatchOf;
  BroadcastIndex aMap(s.aBatch, s.batch), bMap(s.bBatch, s.batch);
  for (int64_t t = 0; t < batchCount; ++t) {
    aBatchOf.push_back(aMap(t));
    bBatchOf.push_back(bMap(t));
  }
  Value *aBatchTable = b.constantTable(aBatchOf, "a_batch");
  Value *bBatchTable = b.constantTable(bBatchOf, "b_batch");
  bool centerA = !isZeroOrAbsent(request, 2);
  bool centerB = !isZeroOrAbsent(request, 3);
  Value *aZeroIndex =
      centerA ? b.constantTable(zeroPointIndex(request.operandType(2), aType, true, aLines),
                                "a_zero_index")
              : nullptr;
  std::vector<int64_t> bZeroIndex =
      centerB ? zeroPointIndex(request.operandType(3), bType, false, bLines)
              : std::vector<int64_t>(static_cast<size_t>(bLines), 0);
  const Tensor *bConst = request.constant(1);
  bool constantB = bConst && (!request.hasOperand(3) || request.constant(3));
  // With a constant b, a's zero point za is folded out: sum (a - za) b = sum a b - za * sum b.
  bool foldA = centerA && constantB;
  IntType at = centeredType(b, aType.dtype, centerA && !foldA);
  Value *row = centerA && !foldA ? b.stackBuffer(at.type, s.k, op.describe()) : nullptr;

  // The zero point of a's row `line` (an i64).
  auto aZero = [&](Value *line) { return zeroPoint(b, 2, b.load(b.i64(), aZeroIndex, line)); };
  // The row of a for (batch t, row i): a pointer and base index into a, or the centered copy.
  auto aRow = [&](Value *aBatch, Value *i) -> std::pair<Value *, Value *> {
    Value *line = ir.CreateAdd(ir.CreateMul(aBatch, b.constI64(s.m)), i);
    Value *base = ir.CreateMul(line, b.constI64(s.k));
    if (!centerA || foldA) return {b.operand(0), base};
    Value *zp = aZero(line);
    b.loop(s.k, [&](Value *kk) {
      Value *v = b.toI64(aType.dtype, b.load(aType.dtype, b.operand(0), ir.CreateAdd(base, kk)));
      b.store(ir.CreateTrunc(ir.CreateSub(v, zp), at.type), row, kk);
    });
    return {row, b.constI64(0)};
  };

  if (constantB) {
    // b transposed and centered: table[bBatch][column][k].
    const Tensor *zero = request.hasOperand(3) ? request.constant(3) : nullptr;
    int64_t bBatches = checkedNumel(s.bBatch);
    std::vector<int64_t> transposed(static_cast<size_t>(bBatches * s.n * s.k));
    for (int64_t bb = 0; bb < bBatches; ++bb)
      for (int64_t j = 0; j < s.n; ++j)
        for (int64_t kk = 0; kk < s.k; ++kk) {
          int64_t zp = zero ? zero->getInt(bZeroIndex[static_cast<size_t>(bb * s.n + j)]) : 0;
          transposed[static_cast<size_t>((bb * s.n + j) * s.k + kk)] =
              bConst->getInt((bb * s.k + kk) * s.n + j) - zp;
        }
    Narrowed narrowed = narrowest(transposed);
    IntType bt{b.storageType(narrowed.dtype), isSigned(narrowed.dtype)};
    Value *table = b.constantTable(bt.type, narrowed.bytes, "b_transposed");
    Value *sumsTable = nullptr;
    if (foldA) {
      std::vector<int64_t> columnSums;
      for (int64_t column = 0; column < bBatches * s.n; ++column) {
        int64_t sum = 0;
        for (int64_t kk = 0; kk < s.k; ++kk)
          sum += transposed[static_cast<size_t>(column * s.k + kk)];
        columnSums.push_back(static_cast<int32_t>(sum));
      }
      sumsTable = b.constantTable(columnSums, "column_sums");
    }
    b.loop(batchCount, [&](Value *t) {
      Value *aBatch = b.load(b.i64(), aBatchTable, t);
      Value *bBatch = b.load(b.i64(), bBatchTable, t);
      b.loop(s.m, [&](Value *i) {
        auto [aPtr, aBase] = aRow(aBatch, i);
        b.loop(s.n, [&](Value *j) {
          Value *column = ir.CreateAdd(ir.CreateMul(bBatch, b.constI64(s.n)), j);
          Value *acc =
              dot(b, at, aPtr, aBase, bt, table, ir.CreateMul(column, b.constI64(s.k)), s.k);
          if (foldA) {
            Value *za = ir.CreateTrunc(
                aZero(ir.CreateAdd(ir.CreateMul(aBatch, b.constI64(s.m)), i)), b.i32());
            Value *sum = ir.CreateTrunc(b.load(b.i64(), sumsTable, column), b.i32());
            acc = ir.CreateSub(acc, ir.CreateMul(za, sum));
          }
          Value *out = ir.CreateAdd(
              ir.CreateMul(ir.CreateAdd(ir.CreateMul(t, b.constI64(s.m)), i), b.constI64(s.n)), j);
          b.store(acc, b.result(0), out);
        });
      });
    });
    b.finish();
    return;
  }

  // Run-time b: y[i, :] = sum_k a[i, k] * (b[k, :] - b_zp[:]), vectorized over the columns.
  Value *bZeroTable = centerB ? b.constantTable(bZeroIndex, "b_zero_index") : nullptr;
  b.loop(batchCount, [&](Value *t) {
    Value *aBatch = b.load(b.i64(), aBatchTable, t);
    Value *bBatch = b.load(b.i64(), bBatchTable, t);
    b.loop(s.m, [&](Value *i) {
      auto [aPtr, aBase] = aRow(aBatch, i);
      Value *outRow =
          ir.CreateMul(ir.CreateAdd(ir.CreateMul(t, b.constI64(s.m)), i), b.constI64(s.n));
      b.loop(s.n, [&](Value *j) {
        b.store(b.constInt(b.i32(), 0), b.result(0), ir.CreateAdd(outRow, j));
      });
      b.loop(s.k, [&](Value *kk) {
        Value *av = b.load(at.type, aPtr, ir.CreateAdd(aBase, kk));
        av = at.isSigned ? ir.CreateSExtOrTrunc(av, b.i32()) : ir.CreateZExtOrTrunc(av, b.i32());
        Value *bRow =
            ir.CreateMul(ir.CreateAdd(ir.CreateMul(bBatch, b.constI64(s.k)), kk), b.constI64(s.n));
        b.loop(s.n, [&](Value *j) {
          Value *bv =
              b.toI64(bType.dtype, b.load(bType.dtype, b.operand(1), ir.CreateAdd(bRow, j)));
          if (centerB) {
            Value *line = ir.CreateAdd(ir.CreateMul(bBatch, b.constI64(s.n)), j);
            bv = ir.CreateSub(bv, zeroPoint(b, 3, b.load(b.i64(), bZeroTable, line)));
          }
          Value *product = ir.CreateMul(av, ir.CreateTrunc(bv, b.i32()));
          Value *out = ir.CreateAdd(outRow, j);
          b.store(ir.CreateAdd(b.load(b.i32(), b.result(0), out), product), b.result(0), out);
        });
      });
    });
  });
  b.finish();
}

} // namespace

void registerIntegerKernels(KernelRegistry &registry) {
  registry.add("conv_integer", emitConvInteger, sliceConvInteger);
  registry.add("matmul_integer", emitMatMulInteger);
}

} // namespace qcc::codegen
