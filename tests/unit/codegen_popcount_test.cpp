// The popcount kernel families (codegen/emit_binary.cpp, emit_bitserial.cpp, emit_ternary.cpp)
// against the interpreter's scalar popcount reference (ir/ops/lowered.cpp), exactly: random
// shapes (reduction lengths off the vector width, odd channel counts, padding on every border,
// strides, dilations), every operand encoding pair each family accepts with 1..8 bits, with and
// without the threshold epilogue and its packed output. Weights and thresholds are constants, as
// the lowering passes produce them. Many ops go into one graph so that one JIT compile checks
// them all. The JIT runs the code of QCC_TEST_TARGET (the host by default; ctest repeats these
// tests for each x86 target); AArch64 code runs under emulation in tests/cli/compile.cmake.
#include "codegen/artifact.h"
#include "codegen/jit.h"
#include "ir/builder.h"
#include "ir/error.h"
#include "ir/interpreter.h"
#include "ir/ops/packing.h"
#include "tests/support/random.h"
#include "tests/support/random_codes.h"
#include "tests/unit/codegen_test_target.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

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

// Every operand format of the packed MAC ops up to 8 bits.
std::vector<QuantInfo> allFormats() {
  std::vector<QuantInfo> out{quant(QEncoding::bipolar, 1), quant(QEncoding::ternary, 2, true)};
  for (int b = 1; b <= 8; ++b) out.push_back(quant(QEncoding::uint, b));
  for (int b = 2; b <= 8; ++b) out.push_back(quant(QEncoding::sint, b));
  return out;
}

// The op family that takes x and w, or "" when none does.
std::string macFamily(const QuantInfo &x, const QuantInfo &w) {
  auto is = [](const QuantInfo &q, QEncoding e) { return q.encoding == e; };
  bool xt = is(x, QEncoding::ternary), wt = is(w, QEncoding::ternary);
  bool xb = is(x, QEncoding::bipolar), wb = is(w, QEncoding::bipolar);
  if (xb && wb) return "binary";
  if (xt || wt) return (xt || xb) && (wt || wb) ? "ternary" : "";
  return "bitserial";
}

std::string formatName(const QuantInfo &q) {
  return fmt::format("{}{}", encodingName(q.encoding), q.bits);
}

using test::randomCodes;

// The fused epilogue of one op.
enum class Epilogue { none, codes, packed };

// Geometry of one conv case.
struct ConvShape {
  int64_t batch, channels, height, width, outputs, kernelH, kernelW;
  std::vector<int64_t> strides, pads, dilations;
};

// A graph of independent packed MAC ops, each on its own packed activation input, with
// constant weights and thresholds; every op result is a graph output.
class MacGraph {
public:
  MacGraph() : builder_(graph_) {}

  void addGemm(const QuantInfo &qx, const QuantInfo &qw, int64_t n, int64_t m, int64_t k,
               Epilogue epilogue) {
    std::string label =
        fmt::format("gemm {} x {} n={} m={} k={}", formatName(qx), formatName(qw), n, m, k);
    add(label, macFamily(qx, qw) + "_gemm", randomCodes(rng_, qx, {n, k}),
        randomCodes(rng_, qw, {m, k}), {{"k", k}}, epilogue);
  }

  void addConv(const QuantInfo &qx, const QuantInfo &qw, const ConvShape &s, Epilogue epilogue) {
    std::string label =
        fmt::format("conv {} x {} x[{},{},{},{}] w[{},{},{},{}] strides {} pads {} dilations {}",
                    formatName(qx), formatName(qw), s.batch, s.channels, s.height, s.width,
                    s.outputs, s.channels, s.kernelH, s.kernelW, fmt::join(s.strides, ","),
                    fmt::join(s.pads, ","), fmt::join(s.dilations, ","));
    Attrs attrs{{"strides", s.strides},
                {"pads", s.pads},
                {"dilations", s.dilations},
                {"group", int64_t{1}},
                {"k", s.channels * s.kernelH * s.kernelW}};
    add(label, macFamily(qx, qw) + "_conv",
        randomCodes(rng_, qx, {s.batch, s.channels, s.height, s.width}),
        randomCodes(rng_, qw, {s.outputs, s.channels, s.kernelH, s.kernelW}), attrs, epilogue);
  }

  test::Rng &rng() { return rng_; }
  Artifact compile(const std::string &target, const ArtifactRequest &request) const {
    return buildArtifact(graph_, "popcount", resolveTarget(target), request);
  }
  size_t size() const { return labels_.size(); }

  // Runs the interpreter and the compiled graph; every output must be identical.
  void check() {
    std::vector<Tensor> expected = Interpreter(graph_).run(inputs_);
    std::vector<Tensor> actual = runCompiled(graph_, inputs_, testTarget());
    REQUIRE(actual.size() == expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
      INFO(labels_[i]);
      REQUIRE(actual[i].type() == expected[i].type());
      CHECK(actual[i] == expected[i]);
    }
  }

private:
  void add(std::string label, const std::string &kind, const Tensor &x, const Tensor &w,
           Attrs attrs, Epilogue epilogue) {
    Tensor px = packCodes(x, *x.type().quant), pw = packCodes(w, *w.type().quant);
    ValueId xv = builder_.input("x", px.type());
    inputs_.push_back(px);
    std::vector<ValueId> operands{xv, builder_.constant(pw, "w")};
    if (epilogue != Epilogue::none) {
      // Thresholds drawn from the accumulators themselves, so that every code occurs.
      Op probe{kind, "probe", {0, 1}, {}, attrs};
      Tensor acc = evaluateOp(probe, std::vector<const Tensor *>{&px, &pw}).at(0);
      addEpilogue(acc, attrs, operands, epilogue);
      label +=
          fmt::format(" -> {}{} {}", attrs.count("packed") ? "packed " : "",
                      std::get<std::string>(attrs["encoding"]), std::get<int64_t>(attrs["bits"]));
    }
    graph_.outputs.push_back(builder_.create1(kind, "mac", operands, attrs));
    labels_.push_back(std::move(label));
  }

  void addEpilogue(const Tensor &acc, Attrs &attrs, std::vector<ValueId> &operands,
                   Epilogue epilogue) {
    int64_t channels = acc.shape()[1];
    int64_t perChannel = acc.numel() / channels / acc.shape()[0];
    std::vector<QuantInfo> formats{quant(QEncoding::bipolar, 1), quant(QEncoding::ternary, 2, true),
                                   quant(QEncoding::uint, 1),    quant(QEncoding::uint, 2),
                                   quant(QEncoding::uint, 4),    quant(QEncoding::sint, 2),
                                   quant(QEncoding::sint, 3),    quant(QEncoding::sint, 4, true)};
    QuantInfo q = formats[static_cast<size_t>(rng_.integer(0, 7))];
    int64_t levels = q.encoding == QEncoding::bipolar ? 1 : q.maxCode() - q.minCode();
    int64_t count = rng_.integer(1, std::min<int64_t>(levels, 6));
    bool shared = rng_.integer(0, 3) == 0;
    Tensor table(TensorType(DType::i64, {shared ? 1 : channels, count}));
    std::vector<int64_t> descending(static_cast<size_t>(channels), 0);
    for (int64_t c = 0; c < (shared ? 1 : channels); ++c)
      for (int64_t t = 0; t < count; ++t) {
        // An accumulator of this channel, nudged, or now and then an extreme value.
        int64_t pick = rng_.integer(0, acc.shape()[0] * perChannel - 1);
        int64_t v =
            acc.getInt((pick / perChannel * channels + c) * perChannel + pick % perChannel) +
            rng_.integer(-1, 1);
        if (rng_.integer(0, 40) == 0) v = rng_.coin() ? INT64_MIN : INT64_MAX;
        table.setInt(c * count + t, v);
      }
    if (rng_.coin())
      for (int64_t &d : descending) d = rng_.integer(0, 2) == 0 ? 1 : 0;
    attrs["encoding"] = std::string(encodingName(q.encoding));
    attrs["bits"] = int64_t{q.bits};
    attrs["narrow"] = int64_t{q.narrow ? 1 : 0};
    attrs["scale"] = std::vector<double>{1.0};
    attrs["zero_point"] = std::vector<double>{0.0};
    attrs["descending"] = rng_.coin() ? descending : std::vector<int64_t>{};
    if (epilogue == Epilogue::packed) attrs["packed"] = int64_t{1};
    operands.push_back(builder_.constant(table, "thresholds"));
  }

  Graph graph_;
  Builder builder_;
  test::Rng rng_{0x5eed};
  std::vector<Tensor> inputs_;
  std::vector<std::string> labels_;
};

Epilogue anyEpilogue(test::Rng &rng) {
  return static_cast<Epilogue>(rng.integer(0, 2));
}

// A random conv geometry with at least one output position.
ConvShape randomConv(test::Rng &rng) {
  static const int64_t kChannels[] = {1, 3, 17, 63, 64, 65, 100, 128, 130, 200, 256, 300, 513};
  static const int64_t kKernels[] = {1, 3, 3, 5, 2};
  ConvShape s;
  s.batch = rng.integer(1, 2);
  s.channels = kChannels[rng.integer(0, 12)];
  s.outputs = rng.coin() ? rng.integer(1, 20) : rng.integer(1, 9) * 8 + rng.integer(0, 1);
  s.kernelH = kKernels[rng.integer(0, 4)];
  s.kernelW = rng.integer(0, 3) == 0 ? kKernels[rng.integer(0, 4)] : s.kernelH;
  s.strides = {rng.integer(1, 2), rng.integer(1, 2)};
  s.dilations = rng.integer(0, 3) == 0 ? std::vector<int64_t>{2, rng.integer(1, 2)}
                                       : std::vector<int64_t>{1, 1};
  s.pads = {rng.integer(0, 2), rng.integer(0, 2), rng.integer(0, 2), rng.integer(0, 2)};
  int64_t extentH = (s.kernelH - 1) * s.dilations[0] + 1;
  int64_t extentW = (s.kernelW - 1) * s.dilations[1] + 1;
  s.height = std::max<int64_t>(1, extentH - s.pads[0] - s.pads[2]) + rng.integer(0, 6);
  s.width = std::max<int64_t>(1, extentW - s.pads[1] - s.pads[3]) + rng.integer(0, 8);
  return s;
}

} // namespace

TEST_CASE("popcount gemm: every encoding pair, 1..8 bits, matches the interpreter",
          "[codegen][popcount]") {
  MacGraph g;
  std::vector<QuantInfo> formats = allFormats();
  for (const QuantInfo &qx : formats)
    for (const QuantInfo &qw : formats) {
      if (macFamily(qx, qw).empty()) continue;
      test::Rng &rng = g.rng();
      static const int64_t kLengths[] = {1, 5, 63, 64, 65, 127, 200, 256, 300, 511, 513, 700};
      int64_t k = kLengths[rng.integer(0, 11)];
      g.addGemm(qx, qw, rng.integer(1, 5), rng.integer(1, 19), k, anyEpilogue(rng));
    }
  CHECK(g.size() == 259);
  g.check();
}

TEST_CASE("popcount gemm: long reductions, many outputs, every epilogue", "[codegen][popcount]") {
  MacGraph g;
  QuantInfo bip = quant(QEncoding::bipolar, 1), ter = quant(QEncoding::ternary, 2, true);
  QuantInfo u2 = quant(QEncoding::uint, 2), i3 = quant(QEncoding::sint, 3);
  for (Epilogue e : {Epilogue::none, Epilogue::codes, Epilogue::packed}) {
    // K past the unrolled word count (loops over the words), M over several packed words.
    g.addGemm(bip, bip, 3, 130, 1100, e);
    g.addGemm(ter, ter, 2, 71, 1500, e);
    g.addGemm(ter, bip, 5, 64, 1024, e);
    g.addGemm(bip, ter, 1, 200, 777, e);
    g.addGemm(u2, bip, 4, 9, 1300, e);
    g.addGemm(bip, i3, 6, 66, 1030, e);
    g.addGemm(u2, i3, 7, 33, 1090, e);
    g.addGemm(bip, bip, 1, 1, 1, e);
    g.addGemm(bip, bip, 9, 512, 64, e);
  }
  g.check();
}

TEST_CASE("popcount conv: binary and ternary over random geometries", "[codegen][popcount]") {
  MacGraph g;
  QuantInfo bip = quant(QEncoding::bipolar, 1), ter = quant(QEncoding::ternary, 2, true);
  const std::pair<QuantInfo, QuantInfo> pairs[] = {{bip, bip}, {ter, ter}, {ter, bip}, {bip, ter}};
  for (int rep = 0; rep < 15; ++rep)
    for (const auto &[qx, qw] : pairs) g.addConv(qx, qw, randomConv(g.rng()), anyEpilogue(g.rng()));
  g.check();
}

TEST_CASE("popcount conv: bit-serial pairs over random geometries", "[codegen][popcount]") {
  MacGraph g;
  std::vector<QuantInfo> formats = allFormats();
  for (int rep = 0; rep < 50; ++rep) {
    QuantInfo qx, qw;
    do {
      qx = formats[static_cast<size_t>(g.rng().integer(0, 16))];
      qw = formats[static_cast<size_t>(g.rng().integer(0, 16))];
    } while (macFamily(qx, qw) != "bitserial");
    g.addConv(qx, qw, randomConv(g.rng()), anyEpilogue(g.rng()));
  }
  g.check();
}

TEST_CASE("popcount conv: padding and window edge cases", "[codegen][popcount]") {
  MacGraph g;
  QuantInfo bip = quant(QEncoding::bipolar, 1), ter = quant(QEncoding::ternary, 2, true);
  QuantInfo u3 = quant(QEncoding::uint, 3), i2 = quant(QEncoding::sint, 2);
  for (Epilogue e : {Epilogue::none, Epilogue::packed}) {
    // Windows entirely in the padding (1x1 kernel, pads 2): those outputs sum no tap.
    g.addConv(bip, bip, {1, 70, 3, 4, 9, 1, 1, {1, 1}, {2, 2, 2, 2}, {1, 1}}, e);
    g.addConv(bip, ter, {1, 5, 2, 2, 3, 1, 1, {1, 1}, {2, 1, 0, 2}, {1, 1}}, e);
    // Many column classes: a wide dilated kernel over a narrow padded input.
    g.addConv(bip, bip, {2, 33, 3, 12, 11, 3, 7, {1, 1}, {1, 6, 2, 6}, {1, 2}}, e);
    g.addConv(ter, ter, {1, 65, 4, 13, 17, 2, 9, {2, 1}, {1, 8, 0, 8}, {1, 1}}, e);
    g.addConv(u3, bip, {1, 64, 5, 14, 8, 3, 9, {1, 1}, {1, 8, 1, 8}, {1, 1}}, e);
    // Asymmetric pads on every border, strides 2, 5x5 kernels.
    g.addConv(bip, bip, {1, 128, 9, 9, 24, 5, 5, {2, 2}, {0, 2, 2, 1}, {1, 1}}, e);
    g.addConv(i2, u3, {2, 31, 7, 6, 5, 5, 3, {1, 2}, {2, 0, 1, 2}, {2, 1}}, e);
    // The 3x3 shapes of binary networks.
    g.addConv(bip, bip, {1, 64, 8, 8, 64, 3, 3, {1, 1}, {1, 1, 1, 1}, {1, 1}}, e);
    g.addConv(bip, bip, {1, 256, 7, 7, 72, 3, 3, {1, 1}, {1, 1, 1, 1}, {1, 1}}, e);
    g.addConv(ter, ter, {1, 128, 6, 6, 40, 3, 3, {2, 2}, {1, 1, 1, 1}, {1, 1}}, e);
    // Wide channel rows (loops over the words of a tap).
    g.addConv(bip, bip, {1, 1100, 3, 3, 10, 3, 3, {1, 1}, {1, 1, 1, 1}, {1, 1}}, e);
  }
  g.check();
}

TEST_CASE("popcount kernels: what they cannot compile fails naming the op", "[codegen][popcount]") {
  QuantInfo bip = quant(QEncoding::bipolar, 1);
  test::Rng rng(3);
  Tensor x = packCodes(randomCodes(rng, bip, {2, 70}), bip);
  Tensor w = packCodes(randomCodes(rng, bip, {3, 70}), bip);
  {
    // Weights that are a graph input, not a constant.
    Graph graph;
    Builder b(graph);
    ValueId xv = b.input("x", x.type()), wv = b.input("w", w.type());
    graph.outputs.push_back(b.create1("binary_gemm", "fc", {xv, wv}, {{"k", int64_t{70}}}));
    CHECK_THROWS_WITH(runCompiled(graph, {x, w}, testTarget()),
                      Catch::Contains("'binary_gemm' (fc)") &&
                          Catch::Contains("weights operand must be a constant"));
  }
  {
    Graph graph;
    Builder b(graph);
    ValueId xv = b.input("x", x.type());
    ValueId tv = b.input("t", TensorType(DType::i64, {1, 1}));
    Attrs attrs{{"k", int64_t{70}},
                {"encoding", std::string("bipolar")},
                {"bits", int64_t{1}},
                {"narrow", int64_t{0}},
                {"scale", std::vector<double>{1.0}},
                {"zero_point", std::vector<double>{0.0}}};
    graph.outputs.push_back(b.create1("binary_gemm", "fc", {xv, b.constant(w, "w"), tv}, attrs));
    CHECK_THROWS_WITH(runCompiled(graph, {x, Tensor(DType::i64, {1, 1})}, testTarget()),
                      Catch::Contains("'binary_gemm' (fc)") &&
                          Catch::Contains("thresholds operand must be a constant"));
  }
}

TEST_CASE("popcount kernels: thresholds at the ends of the int64 range", "[codegen][popcount]") {
  // The epilogue clamps thresholds to the accumulator range to negate descending ones; the
  // codes must not change, packed or not.
  QuantInfo bip = quant(QEncoding::bipolar, 1);
  test::Rng rng(9);
  Tensor x = packCodes(randomCodes(rng, bip, {4, 100}), bip);
  Tensor w = packCodes(randomCodes(rng, bip, {6, 100}), bip);
  const int64_t lo = INT64_MIN, hi = INT64_MAX, below = int64_t{INT32_MIN} - 5,
                above = int64_t{INT32_MAX} + 5;
  std::vector<int64_t> table{lo, 0,  hi, lo,    lo,    lo, hi, hi, hi,
                             lo, hi, 4,  below, above, 0,  -4, 2,  lo};
  Graph graph;
  Builder b(graph);
  ValueId xv = b.input("x", x.type());
  ValueId wv = b.constant(w, "w");
  Tensor thresholds(TensorType(DType::i64, {6, 3}));
  for (size_t i = 0; i < table.size(); ++i) thresholds.setInt(static_cast<int64_t>(i), table[i]);
  ValueId tv = b.constant(thresholds, "t");
  for (int64_t packed : {0, 1}) {
    Attrs attrs{{"k", int64_t{100}},
                {"encoding", std::string("uint")},
                {"bits", int64_t{2}},
                {"narrow", int64_t{0}},
                {"scale", std::vector<double>{1.0}},
                {"zero_point", std::vector<double>{0.0}},
                {"descending", std::vector<int64_t>{1, 0, 1, 0, 1, 1}},
                {"packed", packed}};
    graph.outputs.push_back(b.create1("binary_gemm", "fc", {xv, wv, tv}, attrs));
  }
  std::vector<Tensor> expected = Interpreter(graph).run(std::vector<Tensor>{x});
  std::vector<Tensor> actual = runCompiled(graph, {x}, testTarget());
  REQUIRE(actual.size() == 2);
  CHECK(actual[0] == expected[0]);
  CHECK(actual[1] == expected[1]);
}

TEST_CASE("popcount kernels: every target compiles them", "[codegen][popcount]") {
  MacGraph g;
  QuantInfo bip = quant(QEncoding::bipolar, 1), ter = quant(QEncoding::ternary, 2, true);
  QuantInfo u3 = quant(QEncoding::uint, 3), i2 = quant(QEncoding::sint, 2);
  g.addConv(bip, bip, {1, 100, 6, 6, 20, 3, 3, {1, 1}, {1, 1, 1, 1}, {1, 1}}, Epilogue::packed);
  g.addConv(ter, ter, {1, 70, 5, 5, 9, 3, 3, {2, 2}, {1, 0, 1, 1}, {1, 1}}, Epilogue::codes);
  g.addConv(u3, bip, {1, 64, 5, 5, 16, 3, 3, {1, 1}, {1, 1, 1, 1}, {1, 1}}, Epilogue::none);
  g.addGemm(i2, u3, 2, 10, 300, Epilogue::packed);
  g.addGemm(bip, ter, 3, 12, 5000, Epilogue::none);
  for (const std::string &name : targetNames()) {
    INFO("target " << name);
    ArtifactRequest request;
    request.library = false;
    request.header = false;
    request.object = true;
    CHECK_FALSE(g.compile(name, request).object.empty());
  }
}
