// The parallel entry point NAME_run_parallel (docs/codegen.md, `qcc compile --threads=N`) run
// through runtime/qcc_thread_pool.h: every sliced kernel family (binary, ternary and bit-serial
// conv and gemm, with packed outputs whose words have padding bytes, the blocked int8 conv)
// must give exactly the interpreter's results and NAME_run's, for slice counts that do not
// divide the work evenly, on pools larger and smaller than the slice count. The JIT runs the
// code of QCC_TEST_TARGET (the host by default).
#include "codegen/artifact.h"
#include "codegen/jit.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "ir/ops/packing.h"
#include "runtime/qcc_thread_pool.h"
#include "tests/support/random.h"
#include "tests/support/random_codes.h"
#include "tests/unit/codegen_test_target.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iterator>
#include <limits>

using namespace qcc;

namespace {

QuantInfo quant(QEncoding encoding, int bits) {
  QuantInfo q;
  q.encoding = encoding;
  q.bits = bits;
  q.narrow = encoding == QEncoding::ternary;
  q.scale = {1.0};
  q.zeroPoint = {0.0};
  return q;
}

using test::randomCodes;

// Independent ops, each on its own input; every result is a graph output.
class ParallelGraph {
public:
  ParallelGraph() : builder_(graph_) {}

  // A packed MAC op; with `out`, its threshold epilogue writes codes of `out` (packed or not).
  void addMac(const std::string &kind, const Tensor &x, const Tensor &w, Attrs attrs,
              std::optional<QuantInfo> out = std::nullopt, bool packed = false) {
    Tensor px = packCodes(x, *x.type().quant);
    std::vector<ValueId> operands{input(px), builder_.constant(packCodes(w, *w.type().quant), "w")};
    if (out) {
      int64_t channels = w.shape()[0];
      int64_t levels = out->encoding == QEncoding::bipolar ? 1 : out->maxCode() - out->minCode();
      int64_t reduction = std::get<int64_t>(attrs["k"]);
      Tensor table(TensorType(DType::i64, {channels, levels}));
      for (int64_t i = 0; i < table.numel(); ++i)
        table.setInt(i, rng_.integer(-reduction / 4, reduction / 4));
      attrs["encoding"] = std::string(encodingName(out->encoding));
      attrs["bits"] = int64_t{out->bits};
      attrs["narrow"] = int64_t{out->narrow ? 1 : 0};
      attrs["scale"] = std::vector<double>{1.0};
      attrs["zero_point"] = std::vector<double>{0.0};
      attrs["descending"] = std::vector<int64_t>{};
      if (packed) attrs["packed"] = int64_t{1};
      operands.push_back(builder_.constant(table, "thresholds"));
    }
    graph_.outputs.push_back(builder_.create1(kind, "mac", operands, attrs));
  }

  void addConvInteger(const Tensor &x, const Tensor &w, Attrs attrs) {
    graph_.outputs.push_back(builder_.create1(
        "conv_integer", "conv", {input(x), builder_.constant(w, "w")}, std::move(attrs)));
  }

  test::Rng &rng() { return rng_; }
  const Graph &graph() const { return graph_; }
  const std::vector<Tensor> &inputs() const { return inputs_; }

private:
  ValueId input(const Tensor &t) {
    inputs_.push_back(t);
    return builder_.input(fmt::format("x{}", inputs_.size()), t.type());
  }

  Graph graph_;
  Builder builder_;
  test::Rng rng_{0x7a11};
  std::vector<Tensor> inputs_;
};

Attrs convAttrs(int64_t stride, int64_t pad, int64_t k) {
  return {{"strides", std::vector<int64_t>{stride, stride}},
          {"pads", std::vector<int64_t>{pad, pad, pad, pad}},
          {"dilations", std::vector<int64_t>{1, 1}},
          {"group", int64_t{1}},
          {"k", k}};
}

// Six ops, one per sliced kernel form.
ParallelGraph sixLayers() {
  ParallelGraph g;
  test::Rng &rng = g.rng();
  QuantInfo bipolar = quant(QEncoding::bipolar, 1), ternary = quant(QEncoding::ternary, 2);
  // 40 channels: the packed words' last 3 bytes are padding, cleared by the last channel block.
  g.addMac("binary_conv", randomCodes(rng, bipolar, {2, 64, 9, 9}),
           randomCodes(rng, bipolar, {40, 64, 3, 3}), convAttrs(1, 1, 64 * 9), bipolar, true);
  g.addMac("ternary_conv", randomCodes(rng, ternary, {1, 100, 13, 14}),
           randomCodes(rng, ternary, {24, 100, 3, 3}), convAttrs(2, 1, 100 * 9), ternary);
  g.addMac("bitserial_conv", randomCodes(rng, quant(QEncoding::uint, 2), {1, 17, 6, 11}),
           randomCodes(rng, quant(QEncoding::sint, 2), {9, 17, 3, 3}), convAttrs(1, 0, 17 * 9));
  g.addMac("binary_gemm", randomCodes(rng, bipolar, {3, 200}), randomCodes(rng, bipolar, {70, 200}),
           {{"k", int64_t{200}}}, quant(QEncoding::uint, 2), true);
  g.addMac("ternary_gemm", randomCodes(rng, ternary, {1, 130}),
           randomCodes(rng, bipolar, {300, 130}), {{"k", int64_t{130}}});
  // A first layer over RGB: the blocked int8 conv, sliced by output rows.
  Tensor x(TensorType(DType::u8, {2, 3, 19, 40}));
  Tensor w(TensorType(DType::i8, {16, 3, 5, 5}));
  for (int64_t i = 0; i < x.numel(); ++i) x.setInt(i, rng.integer(0, 255));
  for (int64_t i = 0; i < w.numel(); ++i) w.setInt(i, rng.integer(-128, 127));
  Attrs attrs = convAttrs(1, 2, 0);
  attrs.erase("k");
  g.addConvInteger(x, w, attrs);
  return g;
}

struct Pool {
  explicit Pool(int threads) {
    REQUIRE(qcc_thread_pool_create(&pool, threads) == 0);
    par = qcc_thread_pool_parallel(&pool);
  }
  ~Pool() { qcc_thread_pool_destroy(&pool); }
  Pool(const Pool &) = delete;
  Pool &operator=(const Pool &) = delete;
  qcc_thread_pool pool;
  qcc_parallel par;
};

} // namespace

TEST_CASE("run_parallel: sliced kernels give the interpreter's results bit for bit",
          "[codegen][parallel]") {
  ParallelGraph g = sixLayers();
  std::vector<Tensor> expected = Interpreter(g.graph()).run(g.inputs());
  for (int slices : {2, 3}) {
    CompiledGraph code(g.graph(), testTarget(), ParallelOptions{slices, 0});
    CHECK(code.slicedOps() == 6);
    std::vector<Tensor> sequential = code.run(g.inputs());
    for (int threads : {1, 2, 4}) {
      INFO(slices << " slices on a pool of " << threads << " threads");
      Pool pool(threads);
      for (int repeat = 0; repeat < 3; ++repeat) {
        std::vector<Tensor> parallel = code.run(g.inputs(), &pool.par);
        REQUIRE(parallel.size() == expected.size());
        for (size_t i = 0; i < parallel.size(); ++i) {
          INFO("output " << i << " (" << g.graph().ops[static_cast<size_t>(i)].kind << ")");
          CHECK(parallel[i] == expected[i]);
          CHECK(parallel[i] == sequential[i]);
        }
      }
    }
  }
}

TEST_CASE("run_parallel: only layers of at least --split-min-bops are split",
          "[codegen][parallel]") {
  ParallelGraph g = sixLayers();
  // 200000 bit operations: above the bit-serial conv (49572 MACs x 2 x 2 bits) and the gemms,
  // below the binary and ternary convs and the int8 conv.
  CompiledGraph none(g.graph(), testTarget(),
                     ParallelOptions{2, std::numeric_limits<int64_t>::max()});
  CHECK(none.slicedOps() == 0);
  CompiledGraph some(g.graph(), testTarget(), ParallelOptions{2, 200000});
  CHECK(some.slicedOps() == 3);
  Pool pool(2);
  std::vector<Tensor> expected = Interpreter(g.graph()).run(g.inputs());
  for (const CompiledGraph *code : {&none, &some}) {
    std::vector<Tensor> parallel = code->run(g.inputs(), &pool.par);
    for (size_t i = 0; i < parallel.size(); ++i) CHECK(parallel[i] == expected[i]);
  }
}

TEST_CASE("run_parallel: a NULL par or for_each is a NULL argument", "[codegen][parallel]") {
  ParallelGraph g = sixLayers();
  CompiledGraph code(g.graph(), testTarget(), ParallelOptions{2, 0});
  std::vector<Tensor> outputs;
  std::vector<const void *> in;
  std::vector<void *> out;
  for (const Tensor &t : g.inputs()) in.push_back(t.bytes().data());
  for (ValueId v : g.graph().outputs) outputs.emplace_back(g.graph().type(v));
  for (Tensor &t : outputs) out.push_back(t.bytes().data());
  std::vector<uint8_t> storage(static_cast<size_t>(code.arenaBytes() + 64));
  void *arena = storage.data() + (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) % 64;
  CHECK(code.runParallelRaw(in.data(), out.data(), arena, nullptr) == 1);
  qcc_parallel empty{nullptr, nullptr};
  CHECK(code.runParallelRaw(in.data(), out.data(), arena, &empty) == 1);
}

TEST_CASE("run_parallel: the header declares it and repeats runtime/qcc_parallel.h's type",
          "[codegen][parallel]") {
  ParallelGraph g = sixLayers();
  std::string header = cHeader(g.graph(), "six", 64, "six.onnx", 3);
  CHECK(header.find("#define six_THREADS 3\n") != std::string::npos);
  CHECK(header.find("int six_run_parallel(const float *const *inputs, float *const *outputs, "
                    "void *arena,\n    const qcc_parallel *par);") != std::string::npos);
  CHECK(cHeader(g.graph(), "six", 64, "six.onnx").find("parallel") == std::string::npos);
  // The typedef, from its first line to its last, is the runtime header's text.
  std::ifstream file(std::filesystem::path(QCC_SOURCE_DIR) / "runtime" / "qcc_parallel.h");
  REQUIRE(file);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  auto typedefOf = [](const std::string &s) {
    size_t begin = s.find("typedef struct qcc_parallel {");
    size_t end = s.find("} qcc_parallel;");
    return begin == std::string::npos || end == std::string::npos ? std::string()
                                                                  : s.substr(begin, end - begin);
  };
  REQUIRE_FALSE(typedefOf(text).empty());
  CHECK(typedefOf(header) == typedefOf(text));
  CHECK(header.find("#ifndef QCC_PARALLEL_H\n#define QCC_PARALLEL_H\n") != std::string::npos);
}
