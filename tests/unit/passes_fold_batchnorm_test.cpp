// fold_batchnorm: interpreter equivalence on randomized small graphs (conv, gemm and matmul
// followed by batch normalization, with random shapes and parameters including negative scales),
// the graph shapes it must produce, and the cases it must leave alone.
#include "frontend/onnx_import.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "ir/npy.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/pass_registry.h"
#include "tests/support/random.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <fmt/format.h>

using namespace qcc;
using qcc::test::Rng;

namespace {

Tensor randomTensor(Rng &rng, const Shape &shape, double lo, double hi) {
  Tensor t(DType::f32, shape);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data<float>()[i] = static_cast<float>(rng.uniform(lo, hi));
  return t;
}

// A scale in [0.1, 2] with a random sign: negative scales flip the order of the channel.
Tensor randomScale(Rng &rng, const Shape &shape) {
  Tensor t = randomTensor(rng, shape, 0.1, 2.0);
  for (int64_t i = 0; i < t.numel(); ++i)
    if (rng.coin()) t.data<float>()[i] = -t.data<float>()[i];
  return t;
}

ValueId batchNorm(Builder &b, Rng &rng, ValueId x, const Shape &stats, const std::string &name) {
  ValueId scale = b.constant(randomScale(rng, stats), name + "_scale");
  ValueId bias = b.constant(randomTensor(rng, stats, -1, 1), name + "_bias");
  ValueId mean = b.constant(randomTensor(rng, stats, -1, 1), name + "_mean");
  ValueId var = b.constant(randomTensor(rng, stats, 0.05, 2), name + "_var");
  return b.create1("batch_normalization", name, {x, scale, bias, mean, var},
                   {{"epsilon", rng.uniform(1e-6, 1e-2)}});
}

struct Case {
  Graph graph;
  std::vector<Tensor> inputs;
  std::string what;
};

void addInput(Case &c, Builder &b, Rng &rng, const std::string &name, const Shape &shape,
              ValueId *id) {
  *id = b.input(name, TensorType(DType::f32, shape));
  c.inputs.push_back(randomTensor(rng, shape, -1, 1));
}

// conv (1-D or 2-D, random geometry and groups, with or without bias) -> batch_normalization,
// sometimes twice in a row, sometimes followed by a second conv layer with its own.
Case convCase(Rng &rng) {
  Case c;
  Builder b(c.graph);
  int64_t spatial = rng.integer(1, 2);
  int64_t group = rng.integer(1, 2);
  int64_t channels = group * rng.integer(1, 3);
  int64_t outChannels = group * rng.integer(1, 3);
  Shape xShape{rng.integer(1, 2), channels};
  Shape wShape{outChannels, channels / group};
  std::vector<int64_t> strides, dilations, pads(static_cast<size_t>(2 * spatial));
  for (int64_t d = 0; d < spatial; ++d) {
    int64_t kernel = rng.integer(1, 3);
    int64_t dilation = rng.integer(1, 2);
    xShape.push_back((kernel - 1) * dilation + rng.integer(1, 4));
    wShape.push_back(kernel);
    strides.push_back(rng.integer(1, 2));
    dilations.push_back(dilation);
    pads[static_cast<size_t>(d)] = rng.integer(0, 1);
    pads[static_cast<size_t>(d + spatial)] = rng.integer(0, 1);
  }
  ValueId x = kNoValue;
  addInput(c, b, rng, "x", xShape, &x);
  ValueId w = b.constant(randomTensor(rng, wShape, -1, 1), "w");
  std::vector<ValueId> operands{x, w};
  bool bias = rng.coin();
  if (bias) operands.push_back(b.constant(randomTensor(rng, {outChannels}, -1, 1), "b"));
  Attrs attrs{{"strides", strides}, {"dilations", dilations}, {"pads", pads}, {"group", group}};
  ValueId y = b.create1("conv", "conv", operands, attrs);
  y = batchNorm(b, rng, y, {outChannels}, "bn");
  bool twice = rng.coin();
  if (twice) y = batchNorm(b, rng, y, {outChannels}, "bn_again");
  bool second = rng.coin();
  if (second) {
    y = b.create1("relu", "relu", {y});
    Shape w2Shape{rng.integer(1, 3), outChannels};
    for (int64_t d = 0; d < spatial; ++d) w2Shape.push_back(1);
    ValueId w2 = b.constant(randomTensor(rng, w2Shape, -1, 1), "w2");
    Attrs attrs2{{"strides", std::vector<int64_t>(static_cast<size_t>(spatial), 1)},
                 {"dilations", std::vector<int64_t>(static_cast<size_t>(spatial), 1)},
                 {"pads", std::vector<int64_t>(static_cast<size_t>(2 * spatial), 0)},
                 {"group", int64_t{1}}};
    y = b.create1("conv", "conv2", {y, w2}, attrs2);
    y = batchNorm(b, rng, y, {w2Shape[0]}, "bn2");
  }
  c.graph.outputs = {y};
  c.what = fmt::format("conv x{} w{} group={} bias={} twice={} second={}", shapeString(xShape),
                       shapeString(wShape), group, bias, twice, second);
  return c;
}

// gemm (random transposes, alpha, beta and shape of c) -> batch_normalization.
Case gemmCase(Rng &rng) {
  Case c;
  Builder b(c.graph);
  int64_t m = rng.integer(1, 3), k = rng.integer(1, 5), n = rng.integer(1, 5);
  int64_t transA = rng.integer(0, 1), transB = rng.integer(0, 1);
  ValueId a = kNoValue;
  addInput(c, b, rng, "a", transA ? Shape{k, m} : Shape{m, k}, &a);
  ValueId w = b.constant(randomTensor(rng, transB ? Shape{n, k} : Shape{k, n}, -1, 1), "w");
  std::vector<ValueId> operands{a, w};
  static const std::vector<Shape> cShapes = {{}, {1}, {0}, {1, 0}, {2, 0}, {2, 1}};
  Shape cShape;
  int64_t cKind = rng.integer(-1, 5);
  if (cKind >= 0) {
    // Placeholders 0 (n) and 2 (m) become the real dims.
    for (int64_t dim : cShapes[static_cast<size_t>(cKind)])
      cShape.push_back(dim == 0 ? n : dim == 2 ? m : dim);
    operands.push_back(b.constant(randomTensor(rng, cShape, -1, 1), "c"));
  }
  double alpha = rng.uniform(-2, 2), beta = rng.uniform(-2, 2);
  Attrs attrs{{"alpha", alpha}, {"beta", beta}, {"trans_a", transA}, {"trans_b", transB}};
  ValueId y = b.create1("gemm", "gemm", operands, attrs);
  c.graph.outputs = {batchNorm(b, rng, y, {n}, "bn")};
  c.what = fmt::format("gemm m={} k={} n={} trans_a={} trans_b={} c={} alpha={} beta={}", m, k, n,
                       transA, transB, cKind >= 0 ? shapeString(cShape) : "none", alpha, beta);
  return c;
}

// 2-D matmul with a constant right operand -> batch_normalization.
Case matmulCase(Rng &rng) {
  Case c;
  Builder b(c.graph);
  int64_t m = rng.integer(1, 3), k = rng.integer(1, 5), n = rng.integer(1, 5);
  ValueId a = kNoValue;
  addInput(c, b, rng, "a", {m, k}, &a);
  ValueId w = b.constant(randomTensor(rng, {k, n}, -1, 1), "w");
  ValueId y = b.create1("matmul", "matmul", {a, w});
  c.graph.outputs = {batchNorm(b, rng, y, {n}, "bn")};
  c.what = fmt::format("matmul m={} k={} n={}", m, k, n);
  return c;
}

// Batch normalizations that cannot be folded into weights: on an input (per channel or per
// activation), or after a conv whose result is also a graph output.
Case standaloneCase(Rng &rng) {
  Case c;
  Builder b(c.graph);
  int64_t channels = rng.integer(1, 4);
  Shape xShape{rng.integer(1, 2), channels, rng.integer(1, 3), rng.integer(1, 3)};
  ValueId x = kNoValue;
  addInput(c, b, rng, "x", xShape, &x);
  int64_t kind = rng.integer(0, 2);
  if (kind == 0) {
    c.graph.outputs = {batchNorm(b, rng, x, {channels}, "bn")};
  } else if (kind == 1) {
    Shape stats(xShape.begin() + 1, xShape.end());
    c.graph.outputs = {batchNorm(b, rng, x, stats, "bn")};
  } else {
    ValueId w = b.constant(randomTensor(rng, {channels, channels, 1, 1}, -1, 1), "w");
    Attrs attrs{{"strides", std::vector<int64_t>{1, 1}},
                {"dilations", std::vector<int64_t>{1, 1}},
                {"pads", std::vector<int64_t>{0, 0, 0, 0}},
                {"group", int64_t{1}}};
    ValueId y = b.create1("conv", "conv", {x, w}, attrs);
    c.graph.outputs = {batchNorm(b, rng, y, {channels}, "bn"), y};
  }
  c.what = fmt::format("standalone kind={} x{}", kind, shapeString(xShape));
  return c;
}

Graph foldBatchNorm(const Graph &g) {
  Graph out = g;
  PassRegistry::instance().create("fold_batchnorm")->run(out);
  verify(out, kImportLevel);
  return out;
}

int countOps(const Graph &g, const std::string &kind) {
  int n = 0;
  for (const Op &op : g.ops) n += op.kind == kind ? 1 : 0;
  return n;
}

// Float results of the folded graph: |got - want| <= 1e-5 * |want| + 1e-6 * max |want|. The
// folded arithmetic rounds differently; the second term covers elements near 0, where the
// rounding error of the larger terms that cancelled there dominates (rtol alone fails there).
void checkClose(const Tensor &got, const Tensor &want, const std::string &what) {
  INFO(what);
  REQUIRE(got.type() == want.type());
  double largest = 0;
  for (int64_t i = 0; i < want.numel(); ++i)
    largest = std::max(largest, std::abs(want.getDouble(i)));
  for (int64_t i = 0; i < want.numel(); ++i) {
    double g = got.getDouble(i), w = want.getDouble(i);
    INFO("element " << i << ": got " << g << ", want " << w);
    CHECK(std::abs(g - w) <= 1e-5 * std::abs(w) + 1e-6 * largest);
  }
}

void checkEquivalent(const Case &c, const Graph &folded) {
  std::vector<Tensor> want = Interpreter(c.graph).run(c.inputs);
  std::vector<Tensor> got = Interpreter(folded).run(c.inputs);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) checkClose(got[i], want[i], c.what);
}

} // namespace

TEST_CASE("fold_batchnorm folds into conv weights and bias, equal within rtol 1e-5",
          "[passes][fold_batchnorm]") {
  Rng rng(1);
  for (int i = 0; i < 200; ++i) {
    Case c = convCase(rng);
    INFO(c.what);
    Graph folded = foldBatchNorm(c.graph);
    CHECK(countOps(folded, "batch_normalization") == 0);
    CHECK(countOps(folded, "mul") == 0);
    CHECK(countOps(folded, "add") == 0);
    CHECK(countOps(folded, "conv") == countOps(c.graph, "conv"));
    checkEquivalent(c, folded);
  }
}

TEST_CASE("fold_batchnorm folds into gemm and matmul weights, equal within rtol 1e-5",
          "[passes][fold_batchnorm]") {
  Rng rng(2);
  for (int i = 0; i < 200; ++i) {
    Case c = gemmCase(rng);
    INFO(c.what);
    Graph folded = foldBatchNorm(c.graph);
    CHECK(countOps(folded, "batch_normalization") == 0);
    CHECK(countOps(folded, "gemm") == 1);
    CHECK(folded.ops.size() == 3); // the folded weight, the folded bias and the gemm
    checkEquivalent(c, folded);
  }
  for (int i = 0; i < 100; ++i) {
    Case c = matmulCase(rng);
    INFO(c.what);
    Graph folded = foldBatchNorm(c.graph);
    CHECK(countOps(folded, "batch_normalization") == 0);
    CHECK(countOps(folded, "add") == 1);
    CHECK(countOps(folded, "mul") == 0);
    checkEquivalent(c, folded);
  }
}

TEST_CASE("fold_batchnorm turns other batch normalizations into mul and add",
          "[passes][fold_batchnorm]") {
  Rng rng(3);
  for (int i = 0; i < 100; ++i) {
    Case c = standaloneCase(rng);
    INFO(c.what);
    Graph folded = foldBatchNorm(c.graph);
    CHECK(countOps(folded, "batch_normalization") == 0);
    CHECK(countOps(folded, "mul") == 1);
    CHECK(countOps(folded, "add") == 1);
    checkEquivalent(c, folded);
  }
}

TEST_CASE("fold_batchnorm computes a and b in float32 in the spec order",
          "[passes][fold_batchnorm]") {
  // One channel: the constants of the mul and add are exactly scale / sqrt(var + eps) and
  // bias - mean * a with every step rounded to float, written here independently.
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {1, 1}));
  float scale = -0.7f, bias = 0.3f, mean = 0.11f, var = 0.37f;
  double epsilon = 1e-3;
  auto one = [&](float v, const char *name) {
    return b.constant(Tensor::fromVector(DType::f32, {1}, std::vector<float>{v}), name);
  };
  g.outputs = {b.create1("batch_normalization", "bn",
                         {x, one(scale, "s"), one(bias, "b"), one(mean, "m"), one(var, "v")},
                         {{"epsilon", epsilon}})};
  Graph folded = foldBatchNorm(g);
  float root = std::sqrt(var + static_cast<float>(epsilon));
  float a = scale / root;
  float shift = bias - mean * a;
  const Tensor *aTensor = nullptr;
  const Tensor *bTensor = nullptr;
  for (const Op &op : folded.ops) {
    if (op.kind == "mul") aTensor = folded.constantValue(op.inputs[1]);
    if (op.kind == "add") bTensor = folded.constantValue(op.inputs[1]);
  }
  REQUIRE(aTensor);
  REQUIRE(bTensor);
  CHECK(aTensor->data<float>()[0] == a);
  CHECK(bTensor->data<float>()[0] == shift);
}

TEST_CASE("fold_batchnorm keeps batch normalizations after quantized weights",
          "[passes][fold_batchnorm]") {
  // The weight of each MAC op comes from a quantizer, directly or through a transpose: the
  // batch normalization stays for streamline, and the graph is unchanged.
  Rng rng(4);
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {1, 2, 3, 3}));
  ValueId one = b.constant(Tensor::scalar(DType::f32, 1), "one");
  ValueId w = b.create1("bipolar_quant", "wq",
                        {b.constant(randomTensor(rng, {2, 2, 1, 1}, -1, 1), "w"), one});
  Attrs attrs{{"strides", std::vector<int64_t>{1, 1}},
              {"dilations", std::vector<int64_t>{1, 1}},
              {"pads", std::vector<int64_t>{0, 0, 0, 0}},
              {"group", int64_t{1}}};
  ValueId y = batchNorm(b, rng, b.create1("conv", "conv", {x, w}, attrs), {2}, "bn");
  ValueId v = b.create1("reshape", "flat", {y}, {{"shape", std::vector<int64_t>{1, 18}}});
  ValueId wt =
      b.create1("bipolar_quant", "wq2", {b.constant(randomTensor(rng, {4, 18}, -1, 1), "w2"), one});
  ValueId wtT = b.create1("transpose", "wt", {wt}, {{"perm", std::vector<int64_t>{1, 0}}});
  g.outputs = {batchNorm(b, rng, b.create1("matmul", "fc", {v, wtT}), {4}, "bn2")};
  Graph folded = foldBatchNorm(g);
  CHECK(printGraph(folded) == printGraph(g));
}

TEST_CASE("fold_batchnorm leaves graphs without batch normalization unchanged",
          "[passes][fold_batchnorm]") {
  // An integer graph: its results must stay exactly equal (here: the graph stays the same).
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::i8, {2, 3}));
  Tensor w(DType::i8, {3, 2});
  for (int64_t i = 0; i < w.numel(); ++i) w.setInt(i, i - 3);
  g.outputs = {b.create1("matmul_integer", "mm", {x, b.constant(w, "w")})};
  Graph folded = foldBatchNorm(g);
  CHECK(printGraph(folded) == printGraph(g));
  Tensor in(DType::i8, {2, 3});
  for (int64_t i = 0; i < in.numel(); ++i) in.setInt(i, 5 * i - 13);
  CHECK(Interpreter(folded).run({&in, 1}) == Interpreter(g).run({&in, 1}));
}

TEST_CASE("fold_batchnorm on the example models", "[passes][fold_batchnorm]") {
  // digits_float: both batch normalizations fold into the float conv weights. The quantized
  // variants keep theirs (their conv weights come from quantizers).
  std::string dir = std::string(QCC_SOURCE_DIR) + "/examples/digits/";
  Tensor images = readNpy(dir + "test_x.npy");
  Case c;
  c.graph = importOnnxFile(dir + "digits_float.onnx");
  REQUIRE(countOps(c.graph, "batch_normalization") == 2);
  Shape item = images.shape();
  item[0] = 1;
  size_t bytes = Tensor(DType::f32, item).bytes().size();
  Graph folded = foldBatchNorm(c.graph);
  CHECK(countOps(folded, "batch_normalization") == 0);
  CHECK(countOps(folded, "mul") == 0);
  for (int64_t i = 0; i < 20; ++i) {
    Tensor x(DType::f32, item);
    std::copy_n(images.bytes().begin() +
                    static_cast<std::ptrdiff_t>(bytes * static_cast<size_t>(i)),
                bytes, x.bytes().begin());
    c.inputs = {x};
    c.what = fmt::format("digits_float on test image {}", i);
    checkEquivalent(c, folded);
  }
  for (const char *model : {"digits_w1a1", "digits_w2a2", "digits_ternary"}) {
    INFO(model);
    Graph g = importOnnxFile(dir + model + ".onnx");
    CHECK(printGraph(foldBatchNorm(g)) == printGraph(g));
  }
}
