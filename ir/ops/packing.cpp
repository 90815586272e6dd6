#include "ir/ops/packing.h"

#include "ir/error.h"

namespace qcc {

int bitPlaneCount(const QuantInfo &q) {
  switch (q.encoding) {
  case QEncoding::bipolar:
    if (q.bits == 1) return 1;
    break;
  case QEncoding::ternary:
    if (q.bits == 2) return 2;
    break;
  case QEncoding::uint:
    if (q.bits >= 1 && q.bits <= 16) return q.bits;
    break;
  case QEncoding::sint:
    if (q.bits >= 2 && q.bits <= 16) return q.bits;
    break;
  }
  fail("cannot bit-pack codes with {} bits of this encoding (bipolar: 1 bit; ternary: 2 bits; "
       "uint: 1..16 bits; int: 2..16 bits)",
       q.bits);
}

int64_t planeWeight(const QuantInfo &q, int plane) {
  int64_t weight = int64_t{1} << (q.bits - 1 - plane);
  return q.encoding == QEncoding::sint && plane == 0 ? -weight : weight;
}

int64_t packedWords(int64_t bits) {
  return (bits + kPackWordBits - 1) / kPackWordBits;
}

Shape packedShape(const Shape &codes, int planes) {
  if (codes.size() == 2) return {codes[0], planes, packedWords(codes[1])};
  if (codes.size() == 4) return {codes[0], codes[2], codes[3], planes, packedWords(codes[1])};
  fail("bit packing needs codes of shape [N, K] or [N, C, H, W], got {}", shapeString(codes));
}

Shape unpackedShape(const Shape &packed, int64_t channels) {
  if (packed.size() != 3 && packed.size() != 5)
    fail("a packed tensor has shape [N, P, words] or [N, H, W, P, words], got {}",
         shapeString(packed));
  if (channels < 1 || packedWords(channels) != packed.back())
    fail("packed shape {} does not hold {} channels ({} words needed)", shapeString(packed),
         channels, channels < 1 ? 0 : packedWords(channels));
  if (packed.size() == 3) return {packed[0], channels};
  return {packed[0], channels, packed[1], packed[2]};
}

TensorType packedType(const TensorType &codes, const QuantInfo &q) {
  int planes = bitPlaneCount(q);
  TensorType t(DType::u64, packedShape(codes.shape, planes));
  t.quant = q;
  t.layout = Layout{LayoutKind::packed, planes, kPackWordBits};
  return t;
}

bool codeBit(const QuantInfo &q, int64_t code, int plane) {
  switch (q.encoding) {
  case QEncoding::bipolar:
    return code > 0;
  case QEncoding::ternary:
    return plane == 0 ? code != 0 : code < 0;
  case QEncoding::uint:
  case QEncoding::sint:
    break;
  }
  // Two's complement digits: the shift of a negative code is arithmetic, so the top plane is
  // the sign for int codes.
  return ((code >> (q.bits - 1 - plane)) & 1) != 0;
}

int64_t decodeCode(const QuantInfo &q, const bool *bits) {
  switch (q.encoding) {
  case QEncoding::bipolar:
    return bits[0] ? 1 : -1;
  case QEncoding::ternary:
    return bits[0] ? (bits[1] ? -1 : 1) : 0;
  case QEncoding::uint:
  case QEncoding::sint:
    break;
  }
  int64_t code = 0;
  for (int p = 0; p < q.bits; ++p)
    if (bits[p]) code += planeWeight(q, p);
  return code;
}

namespace {

// Codes viewed as [N, C, S] with S spatial positions (1 for [N, K]).
struct CodeGeometry {
  int64_t batch, channels, spatial;
  explicit CodeGeometry(const Shape &s)
      : batch(s[0]), channels(s[1]), spatial(s.size() == 4 ? s[2] * s[3] : 1) {}
};

} // namespace

Tensor packCodes(const Tensor &codes, const QuantInfo &q) {
  if (!isInteger(codes.dtype()) || codes.dtype() == DType::boolean)
    fail("bit packing needs integer codes, got {}", dtypeName(codes.dtype()));
  Tensor out(packedType(codes.type(), q));
  CodeGeometry g(codes.shape());
  int planes = bitPlaneCount(q);
  int64_t words = packedWords(g.channels);
  int64_t lo = q.minCode(), hi = q.maxCode();
  uint64_t *dst = out.data<uint64_t>();
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t c = 0; c < g.channels; ++c)
      for (int64_t s = 0; s < g.spatial; ++s) {
        int64_t code = codes.getInt((n * g.channels + c) * g.spatial + s);
        if (code < lo || code > hi || (q.encoding == QEncoding::bipolar && code == 0))
          fail("code {} is not a {}-bit code of this encoding (range {}..{})", code, q.bits, lo,
               hi);
        uint64_t *block = dst + ((n * g.spatial + s) * planes) * words + c / kPackWordBits;
        uint64_t bit = uint64_t{1} << (c % kPackWordBits);
        for (int p = 0; p < planes; ++p)
          if (codeBit(q, code, p)) block[p * words] |= bit;
      }
  return out;
}

Tensor unpackCodes(const Tensor &packed, int64_t channels) {
  const TensorType &t = packed.type();
  if (t.dtype != DType::u64 || t.layout.kind != LayoutKind::packed || !t.quant)
    fail("bit unpacking needs a u64 tensor with a packed layout and quant info, got {}",
         typeString(t));
  const QuantInfo &q = *t.quant;
  int planes = bitPlaneCount(q);
  if (t.layout.planes != planes || t.shape.size() < 3 || t.shape[t.shape.size() - 2] != planes)
    fail("packed type {} does not have the {} planes of its encoding", typeString(t), planes);
  TensorType codesType(codeDType(q), unpackedShape(t.shape, channels));
  codesType.quant = q;
  Tensor out(codesType);
  CodeGeometry g(codesType.shape);
  int64_t words = packedWords(channels);
  const uint64_t *src = packed.data<uint64_t>();
  bool bits[16];
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t c = 0; c < g.channels; ++c)
      for (int64_t s = 0; s < g.spatial; ++s) {
        const uint64_t *block = src + ((n * g.spatial + s) * planes) * words + c / kPackWordBits;
        for (int p = 0; p < planes; ++p)
          bits[p] = ((block[p * words] >> (c % kPackWordBits)) & 1) != 0;
        out.setInt((n * g.channels + c) * g.spatial + s, decodeCode(q, bits));
      }
  return out;
}

} // namespace qcc
