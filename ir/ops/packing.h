// Bit-plane packing of integer codes, shared by the lowered-level ops (ir/ops/lowered.cpp), the
// passes that pack weights and the code generator. docs/kernels.md describes the layout.
//
// Layout: codes [N, C, H, W] are stored as u64 [N, H, W, P, ceil(C/64)] (channels innermost; code
// c sits in bit c % 64 of word c / 64); codes [N, K] as u64 [N, P, ceil(K/64)]. Conv weights
// [M, C, KH, KW] and gemm weights [M, K] (one row per output) use the same rule with N = M.
// Padding bits are 0. Planes P per encoding:
//   bipolar: 1 plane, bit set = code +1 (clear = -1);
//   ternary: 2 planes, plane 0 = nonzero mask, plane 1 = sign (set = code -1);
//   uint k:  k planes of the code's binary digits, most significant first (weight 2^(k-1-p));
//   int k:   k planes of the two's complement digits, most significant first; the first plane
//            has weight -2^(k-1).
#pragma once

#include "ir/ops/codes.h"
#include "ir/tensor.h"

namespace qcc {

constexpr int kPackWordBits = 64;

// Number of bit planes of `q`'s codes; fails for encodings/bit widths that cannot be packed
// (bipolar 1 bit, ternary 2 bits, uint 1..16, int 2..16).
int bitPlaneCount(const QuantInfo &q);

// Weight of plane p for uint/int codes: 2^(bits-1-p), negated for the sign plane of int codes.
int64_t planeWeight(const QuantInfo &q, int plane);

// ceil(bits / 64).
int64_t packedWords(int64_t bits);

// Packed shape of a code tensor of shape `codes` (rank 2 or 4) with `planes` planes.
Shape packedShape(const Shape &codes, int planes);

// The logical code shape of a packed shape (rank 3 or 5) whose channel/reduction count is
// `channels`; fails when the word count does not match.
Shape unpackedShape(const Shape &packed, int64_t channels);

// The packed type of codes of type `codes` quantized as `q`: u64, layout(packed, P, 64), quant q.
TensorType packedType(const TensorType &codes, const QuantInfo &q);

// One code's bit in plane `plane`.
bool codeBit(const QuantInfo &q, int64_t code, int plane);

// Decodes one code from its plane bits (bits[p] for p < bitPlaneCount(q)).
int64_t decodeCode(const QuantInfo &q, const bool *bits);

// Packs `codes` (any integer dtype, rank 2 or 4, values in [q.minCode(), q.maxCode()]) into bit
// planes. The result carries quant info `q`. Fails on a code `q` cannot represent.
Tensor packCodes(const Tensor &codes, const QuantInfo &q);

// Unpacks a packed tensor (quant info in its type) with `channels` true channels (C or K) into
// codes of dtype codeDType(quant), keeping the quant info. Padding bits are ignored.
Tensor unpackCodes(const Tensor &packed, int64_t channels);

} // namespace qcc
