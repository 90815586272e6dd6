// The lowered level (ir/ops/packing.h, ir/ops/lowered.cpp): the bit-plane layout against
// hand-packed words, and the popcount reference of every packed MAC op against plain integer
// dot products of the codes (gemm) and conv_integer on the unpacked codes (conv).
#include "ir/error.h"
#include "ir/interpreter.h"
#include "ir/ops/packing.h"

#include <catch2/catch.hpp>
#include <random>

using namespace qcc;

namespace {

QuantInfo quant(QEncoding encoding, int bits, bool narrow = false) {
  QuantInfo q;
  q.encoding = encoding;
  q.bits = bits;
  q.narrow = narrow;
  q.scale = {1.0};
  q.zeroPoint = {0.0};
  return q;
}
QuantInfo bipolar() {
  return quant(QEncoding::bipolar, 1);
}
QuantInfo ternary() {
  return quant(QEncoding::ternary, 2, true);
}

Tensor codeTensor(const QuantInfo &q, Shape shape, const std::vector<int64_t> &v) {
  TensorType t(codeDType(q), std::move(shape));
  t.quant = q;
  Tensor out(t);
  for (size_t i = 0; i < v.size(); ++i) out.setInt(static_cast<int64_t>(i), v[i]);
  return out;
}

Tensor randomCodes(std::mt19937 &rng, const QuantInfo &q, Shape shape) {
  TensorType t(codeDType(q), std::move(shape));
  t.quant = q;
  Tensor out(t);
  std::uniform_int_distribution<int64_t> dist(q.minCode(), q.maxCode());
  for (int64_t i = 0; i < out.numel(); ++i) {
    int64_t c = dist(rng);
    if (q.encoding == QEncoding::bipolar) c = c == 0 ? 1 : c;
    out.setInt(i, c);
  }
  return out;
}

std::vector<uint64_t> words(const Tensor &t) {
  REQUIRE(t.dtype() == DType::u64);
  return {t.data<uint64_t>(), t.data<uint64_t>() + t.numel()};
}

std::vector<int64_t> ints(const Tensor &t) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(t.getInt(i));
  return out;
}

Tensor run1(const std::string &kind, Attrs attrs, std::vector<const Tensor *> in) {
  Op op{kind, "t", {}, {}, std::move(attrs)};
  for (size_t i = 0; i < in.size(); ++i) op.inputs.push_back(static_cast<ValueId>(i));
  return evaluateOp(op, in).at(0);
}

// Every operand format the packed MAC ops take, 1..8 bits.
std::vector<QuantInfo> allFormats() {
  std::vector<QuantInfo> out{bipolar(), ternary()};
  for (int b = 1; b <= 8; ++b) out.push_back(quant(QEncoding::uint, b));
  for (int b = 2; b <= 8; ++b) out.push_back(quant(QEncoding::sint, b));
  out.push_back(quant(QEncoding::sint, 4, true));
  return out;
}

// The op family that takes x and w, or "" when none does.
std::string macFamily(const QuantInfo &x, const QuantInfo &w) {
  auto is = [](const QuantInfo &q, QEncoding e) { return q.encoding == e; };
  if (is(x, QEncoding::bipolar) && is(w, QEncoding::bipolar)) return "binary";
  if (is(x, QEncoding::ternary) || is(w, QEncoding::ternary))
    return (is(x, QEncoding::ternary) || is(x, QEncoding::bipolar)) &&
                   (is(w, QEncoding::ternary) || is(w, QEncoding::bipolar))
               ? "ternary"
               : "";
  return "bitserial";
}

} // namespace

TEST_CASE("packing: hand-packed words of every encoding", "[lowered]") {
  // bipolar: bit set = +1.
  CHECK(words(packCodes(codeTensor(bipolar(), {1, 3}, {1, -1, 1}), bipolar())) ==
        std::vector<uint64_t>{0b101});
  // ternary: plane 0 nonzero mask, plane 1 sign.
  CHECK(words(packCodes(codeTensor(ternary(), {1, 3}, {-1, 0, 1}), ternary())) ==
        std::vector<uint64_t>{0b101, 0b001});
  // uint2 codes 2, 1: MSB plane first.
  QuantInfo u2 = quant(QEncoding::uint, 2);
  CHECK(words(packCodes(codeTensor(u2, {1, 2}, {2, 1}), u2)) == std::vector<uint64_t>{0b01, 0b10});
  // int2 codes -2 (10), 1 (01), -1 (11).
  QuantInfo i2 = quant(QEncoding::sint, 2);
  CHECK(words(packCodes(codeTensor(i2, {1, 3}, {-2, 1, -1}), i2)) ==
        std::vector<uint64_t>{0b101, 0b110});
  // K = 70 crosses a word: code 65 lands in bit 1 of word 1; padding bits stay 0.
  std::vector<int64_t> v(70, -1);
  v[65] = 1;
  v[0] = 1;
  CHECK(words(packCodes(codeTensor(bipolar(), {1, 70}, v), bipolar())) ==
        std::vector<uint64_t>{1, 2});
  // NCHW [1, 2, 1, 2] -> [1, 1, 2, 1, 1]: channels innermost per position.
  Tensor nchw = packCodes(codeTensor(bipolar(), {1, 2, 1, 2}, {1, -1, -1, 1}), bipolar());
  CHECK(nchw.shape() == Shape{1, 1, 2, 1, 1});
  CHECK(words(nchw) == std::vector<uint64_t>{0b01, 0b10});
  CHECK(nchw.type().layout == Layout{LayoutKind::packed, 1, 64});
  CHECK(nchw.type().quant == bipolar());
  // Planes of [N, K] sit between the batch and the words: [2, P=2, 2].
  Tensor two = packCodes(codeTensor(u2, {2, 65}, std::vector<int64_t>(130, 3)), u2);
  CHECK(two.shape() == Shape{2, 2, 2});
  CHECK(words(two) ==
        std::vector<uint64_t>{~uint64_t{0}, 1, ~uint64_t{0}, 1, ~uint64_t{0}, 1, ~uint64_t{0}, 1});
}

TEST_CASE("packing: pack then unpack gives the codes back", "[lowered]") {
  std::mt19937 rng(7);
  for (const QuantInfo &q : allFormats())
    for (Shape shape :
         {Shape{3, 1}, Shape{2, 64}, Shape{1, 130}, Shape{2, 70, 3, 2}, Shape{1, 5, 2, 3}}) {
      Tensor codes = randomCodes(rng, q, shape);
      Tensor packed = packCodes(codes, q);
      CHECK(packed.shape() == packedShape(shape, bitPlaneCount(q)));
      Tensor back = unpackCodes(packed, shape[1]);
      CHECK(back.type() == codes.type());
      CHECK(ints(back) == ints(codes));
      Tensor viaPack = run1("bitpack", {}, {&codes});
      Tensor viaOps = run1("bitunpack", {{"channels", shape[1]}}, {&viaPack});
      CHECK(ints(viaOps) == ints(codes));
    }
}

TEST_CASE("packing: rejects codes the encoding cannot hold", "[lowered]") {
  CHECK_THROWS_WITH(packCodes(codeTensor(bipolar(), {1, 2}, {1, 0}), bipolar()),
                    Catch::Contains("code 0"));
  QuantInfo u3 = quant(QEncoding::uint, 3);
  CHECK_THROWS_WITH(packCodes(codeTensor(ternary(), {1, 1}, {-1}), u3), Catch::Contains("code -1"));
  CHECK_THROWS_WITH(packCodes(codeTensor(u3, {1, 2, 3}, {0, 0, 0, 0, 0, 0}), u3),
                    Catch::Contains("[N, K] or [N, C, H, W]"));
  Tensor packed = packCodes(codeTensor(u3, {1, 3}, {1, 2, 3}), u3);
  CHECK_THROWS_WITH(unpackCodes(packed, 65), Catch::Contains("does not hold 65 channels"));
}

TEST_CASE("packed gemm: popcount reference equals the integer dot product", "[lowered]") {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int64_t> kDist(1, 200), nDist(1, 3);
  int checked = 0;
  for (const QuantInfo &qx : allFormats())
    for (const QuantInfo &qw : allFormats()) {
      std::string family = macFamily(qx, qw);
      if (family.empty()) continue;
      for (int rep = 0; rep < 3; ++rep) {
        int64_t k = rep == 0 ? 64 : kDist(rng), n = nDist(rng), m = nDist(rng);
        Tensor x = randomCodes(rng, qx, {n, k}), w = randomCodes(rng, qw, {m, k});
        Tensor px = packCodes(x, qx), pw = packCodes(w, qw);
        Tensor acc = run1(family + "_gemm", {{"k", k}, {"kernel", family}}, {&px, &pw});
        REQUIRE(acc.type() == TensorType(DType::i32, {n, m}));
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < m; ++j) {
            int64_t dot = 0;
            for (int64_t t = 0; t < k; ++t) dot += x.getInt(i * k + t) * w.getInt(j * k + t);
            INFO(family << " x=" << typeString(x.type()) << " w=" << typeString(w.type()));
            REQUIRE(acc.getInt(i * m + j) == dot);
          }
        ++checked;
      }
    }
  CHECK(checked > 500);
}

TEST_CASE("packed conv: popcount reference equals conv_integer with zero padding", "[lowered]") {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int64_t> cDist(1, 140), sDist(1, 3), hDist(2, 6);
  std::vector<std::pair<QuantInfo, QuantInfo>> pairs{
      {bipolar(), bipolar()},
      {ternary(), ternary()},
      {ternary(), bipolar()},
      {bipolar(), ternary()},
      {quant(QEncoding::uint, 2), bipolar()},
      {quant(QEncoding::uint, 3), quant(QEncoding::sint, 2)},
      {quant(QEncoding::sint, 4), quant(QEncoding::uint, 1)},
      {bipolar(), quant(QEncoding::sint, 3)},
      {quant(QEncoding::uint, 8), quant(QEncoding::sint, 8)}};
  for (const auto &[qx, qw] : pairs)
    for (int rep = 0; rep < 4; ++rep) {
      int64_t c = rep == 0 ? 64 : cDist(rng), m = sDist(rng);
      int64_t kh = sDist(rng), kw = sDist(rng), stride = sDist(rng) % 2 + 1;
      int64_t dil = rep == 3 ? 2 : 1;
      // At least one full window in the input, whatever the padding.
      int64_t h = hDist(rng) + (kh - 1) * dil, wd = hDist(rng) + kw - 1;
      std::vector<int64_t> pads{rep % 3, (rep + 1) % 3, rep % 2, 2 - rep % 3};
      Tensor x = randomCodes(rng, qx, {2, c, h, wd}), w = randomCodes(rng, qw, {m, c, kh, kw});
      Attrs geometry{{"strides", std::vector<int64_t>{stride, 1}},
                     {"pads", pads},
                     {"dilations", std::vector<int64_t>{dil, 1}},
                     {"group", int64_t{1}}};
      Tensor expected = run1("conv_integer", geometry, {&x, &w});
      Tensor px = packCodes(x, qx), pw = packCodes(w, qw);
      Attrs attrs = geometry;
      attrs["k"] = c * kh * kw;
      std::string family = macFamily(qx, qw);
      INFO(family << " x=" << typeString(x.type()) << " w=" << typeString(w.type()));
      Tensor acc = run1(family + "_conv", attrs, {&px, &pw});
      REQUIRE(acc.type() == expected.type());
      CHECK(ints(acc) == ints(expected));
    }
}

TEST_CASE("packed MAC ops: fused threshold epilogue equals threshold on the accumulator",
          "[lowered]") {
  std::mt19937 rng(3);
  Tensor x = randomCodes(rng, bipolar(), {2, 5, 4, 4}),
         w = randomCodes(rng, bipolar(), {3, 5, 3, 3});
  Tensor px = packCodes(x, bipolar()), pw = packCodes(w, bipolar());
  Attrs attrs{{"strides", std::vector<int64_t>{1, 1}},
              {"pads", std::vector<int64_t>{1, 1, 1, 1}},
              {"dilations", std::vector<int64_t>{1, 1}},
              {"group", int64_t{1}},
              {"k", int64_t{45}}};
  Tensor acc = run1("binary_conv", attrs, {&px, &pw});
  TensorType tt(DType::i64, {3, 3});
  Tensor thresholds(tt);
  std::vector<int64_t> t{-5, 0, 7, -20, -3, 2, 1, 4, 9};
  for (int64_t i = 0; i < 9; ++i) thresholds.setInt(i, t[static_cast<size_t>(i)]);
  Attrs epilogue{{"encoding", std::string("uint")},
                 {"bits", int64_t{2}},
                 {"narrow", int64_t{0}},
                 {"descending", std::vector<int64_t>{0, 1, 0}},
                 {"scale", std::vector<double>{0.5}},
                 {"zero_point", std::vector<double>{0.0}}};
  Attrs thresholdAttrs = epilogue;
  thresholdAttrs["axis"] = int64_t{1};
  Tensor expected = run1("threshold", thresholdAttrs, {&acc, &thresholds});
  for (auto &[key, value] : epilogue) attrs[key] = value;
  Tensor fused = run1("binary_conv", attrs, {&px, &pw, &thresholds});
  CHECK(fused.type() == expected.type());
  CHECK(ints(fused) == ints(expected));

  // packed = 1: the same codes, bit-packed.
  attrs["packed"] = int64_t{1};
  Tensor packedFused = run1("binary_conv", attrs, {&px, &pw, &thresholds});
  Tensor packedExpected = packCodes(expected, *expected.type().quant);
  CHECK(packedFused.type() == packedExpected.type());
  CHECK(words(packedFused) == words(packedExpected));
  attrs["packed"] = int64_t{2};
  CHECK_THROWS_WITH(run1("binary_conv", attrs, {&px, &pw, &thresholds}),
                    Catch::Contains("'packed'=2 must be 0 or 1"));
  attrs["packed"] = int64_t{1};
  CHECK_THROWS_WITH(run1("binary_conv", attrs, {&px, &pw}),
                    Catch::Contains("packed = 1 needs the thresholds operand"));

  // gemm with a shared row of one threshold to bipolar codes.
  Tensor gx = randomCodes(rng, quant(QEncoding::uint, 2), {3, 100});
  Tensor gw = randomCodes(rng, bipolar(), {4, 100});
  Tensor pgx = packCodes(gx, *gx.type().quant), pgw = packCodes(gw, bipolar());
  Tensor gacc = run1("bitserial_gemm", {{"k", int64_t{100}}}, {&pgx, &pgw});
  Tensor shared(TensorType(DType::i64, {1, 1}));
  shared.setInt(0, 3);
  Attrs bip{{"encoding", std::string("bipolar")},
            {"bits", int64_t{1}},
            {"narrow", int64_t{0}},
            {"scale", std::vector<double>{1.0}},
            {"zero_point", std::vector<double>{0.0}},
            {"descending", std::vector<int64_t>{}}};
  Attrs bipThreshold = bip;
  bipThreshold["axis"] = int64_t{1};
  Tensor gexpected = run1("threshold", bipThreshold, {&gacc, &shared});
  bip["k"] = int64_t{100};
  Tensor gfused = run1("bitserial_gemm", bip, {&pgx, &pgw, &shared});
  CHECK(gfused.type() == gexpected.type());
  CHECK(ints(gfused) == ints(gexpected));
}

TEST_CASE("packed MAC ops: type errors", "[lowered]") {
  Tensor b = packCodes(codeTensor(bipolar(), {1, 3}, {1, -1, 1}), bipolar());
  QuantInfo u2 = quant(QEncoding::uint, 2);
  Tensor u = packCodes(codeTensor(u2, {1, 3}, {1, 2, 3}), u2);
  Tensor t = packCodes(codeTensor(ternary(), {1, 3}, {1, 0, -1}), ternary());
  CHECK_THROWS_WITH(run1("binary_gemm", {{"k", int64_t{3}}}, {&u, &b}),
                    Catch::Contains("both operands bipolar"));
  CHECK_THROWS_WITH(run1("bitserial_gemm", {{"k", int64_t{3}}}, {&b, &b}),
                    Catch::Contains("not both bipolar"));
  CHECK_THROWS_WITH(run1("ternary_gemm", {{"k", int64_t{3}}}, {&t, &u}),
                    Catch::Contains("at least one ternary"));
  CHECK_THROWS_WITH(run1("binary_gemm", {{"k", int64_t{65}}}, {&b, &b}),
                    Catch::Contains("needs 2 words"));
  Tensor plain = codeTensor(bipolar(), {1, 3}, {1, -1, 1});
  CHECK_THROWS_WITH(run1("binary_gemm", {{"k", int64_t{3}}}, {&plain, &b}),
                    Catch::Contains("packed u64"));
  Tensor x = packCodes(codeTensor(bipolar(), {1, 2, 2, 2}, std::vector<int64_t>(8, 1)), bipolar());
  Attrs conv{{"strides", std::vector<int64_t>{1, 1}},
             {"pads", std::vector<int64_t>{0, 0, 0, 0}},
             {"dilations", std::vector<int64_t>{1, 1}},
             {"group", int64_t{2}},
             {"k", int64_t{8}}};
  CHECK_THROWS_WITH(run1("binary_conv", conv, {&x, &x}), Catch::Contains("group=1 only"));
  conv["group"] = int64_t{1};
  conv["k"] = int64_t{7};
  CHECK_THROWS_WITH(run1("binary_conv", conv, {&x, &x}), Catch::Contains("not C * KH * KW"));
  conv["k"] = int64_t{8};
  CHECK(run1("binary_conv", conv, {&x, &x}).getInt(0) == 8);
}

TEST_CASE("packed_max_pool: OR of bipolar bits equals max_pool on the codes", "[lowered]") {
  std::mt19937 rng(11);
  struct Case {
    Shape x;
    std::vector<int64_t> kernel, strides, pads;
    int64_t ceil;
  };
  std::vector<Case> cases = {{{1, 32, 8, 8}, {2, 2}, {2, 2}, {0, 0, 0, 0}, 0},
                             {{2, 70, 5, 7}, {3, 3}, {2, 1}, {1, 0, 1, 1}, 0},
                             {{1, 130, 7, 7}, {2, 2}, {2, 2}, {0, 0, 0, 0}, 1}};
  for (const Case &c : cases) {
    Tensor x = randomCodes(rng, bipolar(), c.x);
    Attrs attrs{{"kernel_shape", c.kernel},
                {"strides", c.strides},
                {"pads", c.pads},
                {"dilations", std::vector<int64_t>{1, 1}},
                {"ceil_mode", c.ceil}};
    Tensor expected = run1("max_pool", attrs, {&x});
    Tensor px = packCodes(x, bipolar());
    Tensor packed = run1("packed_max_pool", attrs, {&px});
    Tensor want = packCodes(expected, bipolar());
    CHECK(packed.type() == want.type());
    CHECK(words(packed) == words(want));
  }
  Tensor x = packCodes(randomCodes(rng, bipolar(), {1, 3, 2, 2}), bipolar());
  Attrs empty{{"kernel_shape", std::vector<int64_t>{1, 1}},
              {"strides", std::vector<int64_t>{3, 3}},
              {"pads", std::vector<int64_t>{0, 0, 2, 2}},
              {"dilations", std::vector<int64_t>{1, 1}},
              {"ceil_mode", int64_t{0}}};
  CHECK_THROWS_WITH(run1("packed_max_pool", empty, {&x}), Catch::Contains("holds no input"));
  QuantInfo u2 = quant(QEncoding::uint, 2);
  Tensor u = packCodes(randomCodes(rng, u2, {1, 3, 2, 2}), u2);
  empty["pads"] = std::vector<int64_t>{0, 0, 0, 0};
  CHECK_THROWS_WITH(run1("packed_max_pool", empty, {&u}), Catch::Contains("needs bipolar"));
}
