// The lowered level's ops on bit-packed codes (layout in ir/ops/packing.h, math in
// docs/kernels.md). Their eval is the scalar popcount reference the generated kernels must match
// bit for bit: it computes every dot product with the popcount formulas of DESIGN §5 on the
// packed words, not by decoding the codes.
//
// packed_max_pool(x) -> packed
//   x: packed bipolar codes [N, H, W, 1, ceil(C/64)]; attrs as max_pool (kernel_shape [2],
//   strides, pads, dilations, ceil_mode). The maximum of bipolar codes is the OR of their bits,
//   over the window's in-bounds taps (padding never wins, as in max_pool). A window with no
//   input element is refused: max_pool gives the dtype's lowest value there.
// bitpack(codes) -> packed
//   codes: integer [N, K] or [N, C, H, W] with quant info (bipolar, ternary, uint 1..16 bits,
//   int 2..16 bits). Result: u64 [N, P, ceil(K/64)] or [N, H, W, P, ceil(C/64)],
//   layout(packed, planes=P, word=64), the same quant info.
// bitunpack(packed) -> codes
//   packed: a packed u64 tensor of rank 3 or 5 with quant info. attrs: channels (K or C).
//   Result: codeDType(quant) [N, K] or [N, C, H, W] with the same quant info.
//
// binary_gemm | bitserial_gemm | ternary_gemm(x, w, thresholds?) -> acc or codes
//   x: packed [N, P, ceil(K/64)]; w: packed [M, Pw, ceil(K/64)] (one row per output).
//   attrs: k (the true K >= 1); kernel (optional string naming the variant, not read here).
//   acc: i32 [N, M], acc[n, m] = sum_k code_x[n, k] * code_w[m, k], accumulated in int64 and
//   wrapped to int32.
// binary_conv | bitserial_conv | ternary_conv(x, w, thresholds?) -> acc or codes
//   x: packed [N, H, W, P, ceil(C/64)]; w: packed [M, KH, KW, Pw, ceil(C/64)].
//   attrs: strides [2], pads [4] (begins then ends), dilations [2], group (only 1), k
//   (= C * KH * KW), kernel (optional). acc: i32 NCHW [N, M, OH, OW] (sizes as `conv`):
//   acc[n, m, oh, ow] = sum over in-bounds taps and c of code_x * code_w; a tap in the padding
//   contributes 0 (as in conv_integer), although bipolar codes have no zero.
// Encodings: binary_*: both bipolar. bitserial_*: each operand uint, int or bipolar, not both
// bipolar. ternary_*: each operand ternary or bipolar, at least one ternary.
// Fused threshold epilogue: with the optional operand thresholds (i64 [M, n] or [1, n]) and attrs
// descending (0/1 per output channel, or empty for all 0), encoding, bits, narrow, scale,
// zero_point (one entry, or one per output channel), the result is codes instead of acc, exactly
// `threshold` with axis 1 applied to acc: count = #{t : acc >= T[m, t]} (ascending) or
// #{t : acc <= T[m, t]} (descending); code = 2 * count - 1 for bipolar, count + minCode otherwise;
// dtype codeDType, quant info from the attrs (per channel along axis 1 if several scales).
// With the epilogue and attr packed = 1 the codes come out bit-packed (as `bitpack` of them):
// the next layer's packing happens in the same kernel.
#include "ir/error.h"
#include "ir/op_registry.h"
#include "ir/ops/codes.h"
#include "ir/ops/conv_geometry.h"
#include "ir/ops/packing.h"

#include <algorithm>
#include <bit>
#include <fmt/ranges.h>
#include <optional>

namespace qcc {
namespace {

// ---- operand checks ------------------------------------------------------------------------

const QuantInfo &packedQuant(const Op &op, const TensorType &t, std::string_view what,
                             size_t rank) {
  if (t.dtype != DType::u64 || t.layout.kind != LayoutKind::packed || !t.quant)
    fail("{}: {} must be a packed u64 tensor with quant info, got {}", op.describe(), what,
         typeString(t));
  if (t.layout.wordBits != kPackWordBits)
    fail("{}: {} has {}-bit words; only {}-bit words are implemented", op.describe(), what,
         t.layout.wordBits, kPackWordBits);
  int planes = bitPlaneCount(*t.quant);
  if (t.shape.size() != rank || t.layout.planes != planes || t.shape[rank - 2] != planes)
    fail("{}: {} must have rank {} and {} planes for its encoding, got {}", op.describe(), what,
         rank, planes, typeString(t));
  return *t.quant;
}

enum class MacKind { binary, bitserial, ternary };

bool isPlanar(const QuantInfo &q) {
  return q.encoding == QEncoding::uint || q.encoding == QEncoding::sint;
}

void checkEncodings(const Op &op, MacKind kind, const QuantInfo &x, const QuantInfo &w) {
  auto bipolar = [](const QuantInfo &q) { return q.encoding == QEncoding::bipolar; };
  auto ternary = [](const QuantInfo &q) { return q.encoding == QEncoding::ternary; };
  bool ok = false;
  const char *rule = "";
  switch (kind) {
  case MacKind::binary:
    ok = bipolar(x) && bipolar(w);
    rule = "both operands bipolar";
    break;
  case MacKind::bitserial:
    ok = (isPlanar(x) || bipolar(x)) && (isPlanar(w) || bipolar(w)) && !(bipolar(x) && bipolar(w));
    rule = "each operand uint, int or bipolar, not both bipolar";
    break;
  case MacKind::ternary:
    ok = (ternary(x) || bipolar(x)) && (ternary(w) || bipolar(w)) && (ternary(x) || ternary(w));
    rule = "each operand ternary or bipolar, at least one ternary";
    break;
  }
  if (!ok) fail("{}: needs {}", op.describe(), rule);
}

int64_t reductionAttr(const Op &op) {
  int64_t k = op.getInt("k");
  if (k < 1) fail("{}: attribute 'k'={} must be >= 1", op.describe(), k);
  return k;
}

// ---- the popcount reference ----------------------------------------------------------------

// Bits of word `word` that hold one of the `bits` valid codes.
uint64_t validMask(int64_t word, int64_t bits) {
  int64_t rest = bits - word * kPackWordBits;
  return rest >= kPackWordBits ? ~uint64_t{0} : (uint64_t{1} << rest) - 1;
}

int64_t pc(uint64_t v) {
  return std::popcount(v);
}

// sum over c < bits of code_x[c] * code_w[c] for one plane block of each operand (planes
// contiguous, `words` words each).
int64_t blockDot(MacKind kind, const QuantInfo &qx, const uint64_t *x, const QuantInfo &qw,
                 const uint64_t *w, int64_t bits) {
  int64_t words = packedWords(bits);
  int64_t dot = 0;
  switch (kind) {
  case MacKind::binary: {
    // dot = K - 2 * pc(x xor w): each differing bit is a -1 product instead of +1.
    int64_t differ = 0;
    for (int64_t i = 0; i < words; ++i) differ += pc((x[i] ^ w[i]) & validMask(i, bits));
    return bits - 2 * differ;
  }
  case MacKind::ternary:
    // Mask M (nonzero) and sign S (-1) per operand; a bipolar operand is all-nonzero with the
    // sign the complement of its bit. dot = pc(M) - 2 pc(M & (S_x xor S_w)), M = M_x & M_w.
    for (int64_t i = 0; i < words; ++i) {
      uint64_t valid = validMask(i, bits);
      bool xt = qx.encoding == QEncoding::ternary, wt = qw.encoding == QEncoding::ternary;
      uint64_t mx = xt ? x[i] & valid : valid, sx = (xt ? x[words + i] : ~x[i]) & valid;
      uint64_t mw = wt ? w[i] & valid : valid, sw = (wt ? w[words + i] : ~w[i]) & valid;
      uint64_t m = mx & mw;
      dot += pc(m) - 2 * pc(m & (sx ^ sw));
    }
    return dot;
  case MacKind::bitserial:
    break;
  }
  if (qw.encoding == QEncoding::bipolar || qx.encoding == QEncoding::bipolar) {
    // k-bit x binary: sum_p weight_p (2 pc(A_p & B) - pc(A_p)), B the bipolar operand's bits
    // (code = 2 * bit - 1 on valid positions).
    bool wBipolar = qw.encoding == QEncoding::bipolar;
    const QuantInfo &qa = wBipolar ? qx : qw;
    const uint64_t *a = wBipolar ? x : w;
    const uint64_t *b = wBipolar ? w : x;
    for (int p = 0; p < qa.bits; ++p) {
      int64_t plane = 0;
      for (int64_t i = 0; i < words; ++i) {
        uint64_t ap = a[p * words + i] & validMask(i, bits);
        plane += 2 * pc(ap & b[i]) - pc(ap);
      }
      dot += planeWeight(qa, p) * plane;
    }
    return dot;
  }
  // k-bit x m-bit: sum_i sum_j weight_i weight_j pc(X_i & W_j); the sign plane of int codes has
  // a negative weight.
  for (int i = 0; i < qx.bits; ++i)
    for (int j = 0; j < qw.bits; ++j) {
      int64_t both = 0;
      for (int64_t t = 0; t < words; ++t)
        both += pc(x[i * words + t] & w[j * words + t] & validMask(t, bits));
      dot += planeWeight(qx, i) * planeWeight(qw, j) * both;
    }
  return dot;
}

// ---- fused threshold epilogue --------------------------------------------------------------

bool packedOutput(const Op &op) {
  int64_t packed = op.getInt("packed", 0);
  if (packed != 0 && packed != 1)
    fail("{}: attribute 'packed'={} must be 0 or 1", op.describe(), packed);
  return packed == 1;
}

// The result type: i32 accumulators, or codes when the thresholds operand is present.
TensorType macResult(const Op &op, TypeList in, Shape shape) {
  if (in.size() < 3 || !in[2]) {
    if (packedOutput(op)) fail("{}: packed = 1 needs the thresholds operand", op.describe());
    return TensorType(DType::i32, std::move(shape));
  }
  ThresholdSpec spec = thresholdSpec(op, shape[1], 1);
  checkThresholdTable(op, *in[2], spec, shape[1]);
  TensorType out(codeDType(spec.quant), std::move(shape));
  out.quant = spec.quant;
  return packedOutput(op) ? packedType(out, spec.quant) : out;
}

// Writes accumulator `acc` of output channel m at flat index i of the logical (unpacked) result;
// finish() packs the codes when the op's result is packed.
class ResultWriter {
public:
  ResultWriter(const Op &op, TensorList in, Tensor &out, Shape logical) : out_(out) {
    if (in.size() > 2 && in[2]) {
      epilogue_ = thresholdSpec(op, logical[1], 1);
      thresholds_ = in[2];
      if (packedOutput(op)) {
        TensorType codes(codeDType(epilogue_.quant), std::move(logical));
        codes.quant = epilogue_.quant;
        codes_ = Tensor(std::move(codes));
      }
    }
  }
  void operator()(int64_t i, int64_t m, int64_t acc) {
    auto wrapped = static_cast<int64_t>(static_cast<int32_t>(acc));
    if (!thresholds_) {
      out_.data<int32_t>()[i] = static_cast<int32_t>(wrapped);
      return;
    }
    (codes_ ? *codes_ : out_)
        .setInt(i, thresholdCode(epilogue_, *thresholds_, static_cast<size_t>(m), wrapped));
  }
  void finish() {
    if (codes_) out_ = packCodes(*codes_, epilogue_.quant);
  }

private:
  Tensor &out_;
  ThresholdSpec epilogue_;
  const Tensor *thresholds_ = nullptr;
  std::optional<Tensor> codes_;
};

// ---- gemm ----------------------------------------------------------------------------------

OpDef gemmDef(std::string name, MacKind kind) {
  auto infer = [kind](const Op &op, TypeList in) {
    const QuantInfo &qx = packedQuant(op, *in[0], "x", 3);
    const QuantInfo &qw = packedQuant(op, *in[1], "w", 3);
    checkEncodings(op, kind, qx, qw);
    int64_t k = reductionAttr(op);
    int64_t words = packedWords(k);
    if (in[0]->shape[2] != words || in[1]->shape[2] != words)
      fail("{}: k={} needs {} words per plane, got x {} and w {}", op.describe(), k, words,
           shapeString(in[0]->shape), shapeString(in[1]->shape));
    return std::vector{macResult(op, in, {in[0]->shape[0], in[1]->shape[0]})};
  };
  auto eval = [kind](const Op &op, TensorList in, std::span<Tensor> out) {
    const Tensor &x = *in[0], &w = *in[1];
    int64_t k = op.getInt("k");
    int64_t batch = x.shape()[0], outputs = w.shape()[0];
    int64_t xBlock = x.shape()[1] * x.shape()[2], wBlock = w.shape()[1] * w.shape()[2];
    ResultWriter write(op, in, out[0], {batch, outputs});
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t m = 0; m < outputs; ++m)
        write(n * outputs + m, m,
              blockDot(kind, *x.type().quant, x.data<uint64_t>() + n * xBlock, *w.type().quant,
                       w.data<uint64_t>() + m * wBlock, k));
    write.finish();
  };
  return OpDef{.name = std::move(name),
               .minInputs = 2,
               .maxInputs = 3,
               .levels = kLoweredLevel,
               .infer = infer,
               .eval = eval};
}

// ---- conv ----------------------------------------------------------------------------------

struct PackedConv {
  int64_t batch, height, width, outputs, channels;
  Shape kernel;
  WindowGeometry geometry;
  Shape outSpatial;
};

PackedConv packedConv(const Op &op, const TensorType &x, const TensorType &w) {
  int64_t group = op.getInt("group");
  if (group != 1)
    fail("{}: group={} is not supported: packed convolutions implement group=1 only", op.describe(),
         group);
  PackedConv c;
  c.batch = x.shape[0];
  c.height = x.shape[1];
  c.width = x.shape[2];
  c.outputs = w.shape[0];
  c.kernel = {w.shape[1], w.shape[2]};
  int64_t k = reductionAttr(op);
  int64_t taps = c.kernel[0] * c.kernel[1];
  if (taps < 1 || k % taps != 0)
    fail("{}: k={} is not C * KH * KW for the kernel {}", op.describe(), k, shapeString(c.kernel));
  c.channels = k / taps;
  int64_t words = packedWords(c.channels);
  if (x.shape[4] != words || w.shape[4] != words)
    fail("{}: k={} gives C={}, which needs {} words per plane, got x {} and w {}", op.describe(), k,
         c.channels, words, shapeString(x.shape), shapeString(w.shape));
  c.geometry = readWindowGeometry(op, c.kernel, false);
  c.outSpatial = c.geometry.outputShape({c.height, c.width}, op.describe());
  return c;
}

OpDef convDef(std::string name, MacKind kind) {
  auto infer = [kind](const Op &op, TypeList in) {
    const QuantInfo &qx = packedQuant(op, *in[0], "x", 5);
    const QuantInfo &qw = packedQuant(op, *in[1], "w", 5);
    checkEncodings(op, kind, qx, qw);
    PackedConv c = packedConv(op, *in[0], *in[1]);
    return std::vector{macResult(op, in, {c.batch, c.outputs, c.outSpatial[0], c.outSpatial[1]})};
  };
  auto eval = [kind](const Op &op, TensorList in, std::span<Tensor> out) {
    const Tensor &x = *in[0], &w = *in[1];
    PackedConv c = packedConv(op, x.type(), w.type());
    std::vector<int64_t> taps = windowTaps(c.geometry, {c.height, c.width}, c.outSpatial);
    int64_t kernelSize = c.kernel[0] * c.kernel[1];
    int64_t outSize = c.outSpatial[0] * c.outSpatial[1];
    int64_t xBlock = x.shape()[3] * x.shape()[4], wBlock = w.shape()[3] * w.shape()[4];
    const uint64_t *xs = x.data<uint64_t>(), *ws = w.data<uint64_t>();
    ResultWriter write(op, in, out[0], {c.batch, c.outputs, c.outSpatial[0], c.outSpatial[1]});
    for (int64_t n = 0; n < c.batch; ++n)
      for (int64_t m = 0; m < c.outputs; ++m)
        for (int64_t p = 0; p < outSize; ++p) {
          // Only in-bounds taps are summed: a padded tap contributes exactly 0.
          int64_t acc = 0;
          for (int64_t q = 0; q < kernelSize; ++q) {
            int64_t tap = taps[static_cast<size_t>(p * kernelSize + q)];
            if (tap < 0) continue;
            acc += blockDot(kind, *x.type().quant, xs + (n * c.height * c.width + tap) * xBlock,
                            *w.type().quant, ws + (m * kernelSize + q) * wBlock, c.channels);
          }
          write((n * c.outputs + m) * outSize + p, m, acc);
        }
    write.finish();
  };
  return OpDef{.name = std::move(name),
               .minInputs = 2,
               .maxInputs = 3,
               .levels = kLoweredLevel,
               .infer = infer,
               .eval = eval};
}

// ---- packed_max_pool ---------------------------------------------------------------------

struct PackedPool {
  WindowGeometry geometry;
  Shape inSpatial, outSpatial;
};

PackedPool packedPool(const Op &op, const TensorType &x) {
  const QuantInfo &q = packedQuant(op, x, "x", 5);
  if (q.encoding != QEncoding::bipolar)
    fail("{}: needs bipolar codes (the maximum is the OR of the bits), got {}", op.describe(),
         encodingName(q.encoding));
  const std::vector<int64_t> &kernel = op.getInts("kernel_shape");
  if (kernel.size() != 2)
    fail("{}: kernel_shape must have 2 dims, got {}", op.describe(), kernel.size());
  PackedPool p;
  p.geometry = readWindowGeometry(op, kernel, true);
  p.inSpatial = {x.shape[1], x.shape[2]};
  p.outSpatial = p.geometry.outputShape(p.inSpatial, op.describe());
  std::vector<int64_t> taps = windowTaps(p.geometry, p.inSpatial, p.outSpatial);
  int64_t window = kernel[0] * kernel[1];
  for (size_t at = 0; at < taps.size(); at += static_cast<size_t>(window))
    if (std::all_of(taps.begin() + static_cast<ptrdiff_t>(at),
                    taps.begin() + static_cast<ptrdiff_t>(at) + window,
                    [](int64_t t) { return t < 0; }))
      fail("{}: a window holds no input element; max_pool gives the dtype's lowest value there, "
           "which bipolar bits cannot hold",
           op.describe());
  return p;
}

OpDef packedMaxPoolDef() {
  auto infer = [](const Op &op, TypeList in) {
    PackedPool p = packedPool(op, *in[0]);
    TensorType out = *in[0];
    out.shape[1] = p.outSpatial[0];
    out.shape[2] = p.outSpatial[1];
    return std::vector{out};
  };
  auto eval = [](const Op &op, TensorList in, std::span<Tensor> out) {
    const Tensor &x = *in[0];
    PackedPool p = packedPool(op, x.type());
    std::vector<int64_t> taps = windowTaps(p.geometry, p.inSpatial, p.outSpatial);
    int64_t window = p.geometry.kernel[0] * p.geometry.kernel[1];
    int64_t words = x.shape()[4], inSize = p.inSpatial[0] * p.inSpatial[1];
    int64_t outSize = p.outSpatial[0] * p.outSpatial[1];
    const uint64_t *xs = x.data<uint64_t>();
    uint64_t *ys = out[0].data<uint64_t>();
    for (int64_t n = 0; n < x.shape()[0]; ++n)
      for (int64_t o = 0; o < outSize; ++o)
        for (int64_t i = 0; i < words; ++i) {
          uint64_t any = 0;
          for (int64_t q = 0; q < window; ++q) {
            int64_t tap = taps[static_cast<size_t>(o * window + q)];
            if (tap >= 0) any |= xs[(n * inSize + tap) * words + i];
          }
          ys[(n * outSize + o) * words + i] = any;
        }
  };
  return OpDef{.name = "packed_max_pool",
               .minInputs = 1,
               .maxInputs = 1,
               .levels = kLoweredLevel,
               .infer = infer,
               .eval = eval};
}

// ---- bitpack / bitunpack -------------------------------------------------------------------

OpDef bitpackDef() {
  return OpDef{
      .name = "bitpack",
      .minInputs = 1,
      .maxInputs = 1,
      .levels = kLoweredLevel,
      .infer =
          [](const Op &op, TypeList in) {
            const TensorType &codes = *in[0];
            if (!isInteger(codes.dtype) || codes.dtype == DType::boolean || !codes.quant)
              fail("{}: input must be integer codes with quant info, got {}", op.describe(),
                   typeString(codes));
            if (codes.rank() != 2 && codes.rank() != 4)
              fail("{}: input must have shape [N, K] or [N, C, H, W], got {}", op.describe(),
                   shapeString(codes.shape));
            return std::vector{packedType(codes, *codes.quant)};
          },
      .eval = [](const Op &, TensorList in,
                 std::span<Tensor> out) { out[0] = packCodes(*in[0], *in[0]->type().quant); }};
}

OpDef bitunpackDef() {
  return OpDef{
      .name = "bitunpack",
      .minInputs = 1,
      .maxInputs = 1,
      .levels = kLoweredLevel,
      .infer =
          [](const Op &op, TypeList in) {
            const TensorType &t = *in[0];
            packedQuant(op, t, "input", t.shape.size() == 5 ? 5 : 3);
            TensorType codes(codeDType(*t.quant), unpackedShape(t.shape, op.getInt("channels")));
            codes.quant = t.quant;
            return std::vector{codes};
          },
      .eval = [](const Op &op, TensorList in,
                 std::span<Tensor> out) { out[0] = unpackCodes(*in[0], op.getInt("channels")); }};
}

} // namespace

void registerLoweredOps(OpRegistry &registry) {
  registry.add(bitpackDef());
  registry.add(bitunpackDef());
  registry.add(gemmDef("binary_gemm", MacKind::binary));
  registry.add(gemmDef("bitserial_gemm", MacKind::bitserial));
  registry.add(gemmDef("ternary_gemm", MacKind::ternary));
  registry.add(convDef("binary_conv", MacKind::binary));
  registry.add(convDef("bitserial_conv", MacKind::bitserial));
  registry.add(convDef("ternary_conv", MacKind::ternary));
  registry.add(packedMaxPoolDef());
}

} // namespace qcc
