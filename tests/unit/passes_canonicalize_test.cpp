// canonicalize: the outputs stay bit for bit the same on randomized chains of pass-through and
// computing ops, on the example models and on the corpus TFC models; pass-through ops and
// constant sub-graphs are gone afterwards. Also the graph_rewrite helpers it is built on.
#include "frontend/onnx_import.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "ir/npy.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/graph_rewrite.h"
#include "passes/pass_registry.h"
#include "tests/support/random.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>

using namespace qcc;
using qcc::test::Rng;

namespace {

Graph canonicalize(const Graph &g, Level level = kImportLevel) {
  Graph out = g;
  PassRegistry::instance().create("canonicalize")->run(out);
  verify(out, level);
  return out;
}

Tensor randomTensor(Rng &rng, DType dtype, const Shape &shape) {
  Tensor t(dtype, shape);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.setDouble(i, isFloat(dtype) ? static_cast<double>(rng.integer(-1000, 1000)) / 64
                                  : static_cast<double>(rng.integer(-100, 100)));
  return t;
}

Tensor filled(DType dtype, const Shape &shape, double v) {
  Tensor t(dtype, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.setDouble(i, v);
  return t;
}

// A shape that broadcasts to `shape` without changing it: a suffix with some dims set to 1.
Shape broadcastableTo(Rng &rng, const Shape &shape) {
  Shape s(shape.begin() + rng.integer(0, static_cast<int64_t>(shape.size())), shape.end());
  for (int64_t &d : s)
    if (rng.integer(0, 1) == 0) d = 1;
  return s;
}

// One pass-through op on y (named "id_..."), which canonicalize must remove.
ValueId passThrough(Builder &b, Rng &rng, const Graph &g, ValueId y, int step) {
  // Copies: the builder's new values may move the graph's.
  DType dtype = g.type(y).dtype;
  Shape shape = g.type(y).shape;
  auto rank = static_cast<int64_t>(shape.size());
  std::string name = fmt::format("id_{}", step);
  auto constant = [&](double v) {
    return b.constant(filled(dtype, broadcastableTo(rng, shape), v), name + "_c");
  };
  switch (rng.integer(0, 14)) {
  case 0:
    return b.create1("reshape", name, {y}, {{"shape", shape}});
  case 1: { // a permutation of the unit axes only
    std::vector<int64_t> perm(shape.size());
    std::vector<int64_t> units;
    for (int64_t d = 0; d < rank; ++d) {
      perm[static_cast<size_t>(d)] = d;
      if (shape[static_cast<size_t>(d)] == 1) units.push_back(d);
    }
    for (size_t i = units.size(); i > 1; --i)
      std::swap(units[i - 1],
                units[static_cast<size_t>(rng.integer(0, static_cast<int64_t>(i) - 1))]);
    size_t next = 0;
    for (int64_t d = 0; d < rank; ++d)
      if (shape[static_cast<size_t>(d)] == 1) perm[static_cast<size_t>(d)] = units[next++];
    return b.create1("transpose", name, {y}, {{"perm", perm}});
  }
  case 2:
    return b.create1("cast", name, {y}, {{"to", std::string(dtypeName(dtype))}});
  case 3:
    return b.create1("pad", name, {y},
                     {{"pads", std::vector<int64_t>(2 * shape.size(), 0)},
                      {"mode", std::string("constant")},
                      {"value", 0.0}});
  case 4:
    return b.create1("concat", name, {y}, {{"axis", rng.integer(0, rank - 1)}});
  case 5:
    return b.create1("slice", name, {y},
                     {{"starts", std::vector<int64_t>(shape.size(), 0)},
                      {"ends", shape},
                      {"steps", std::vector<int64_t>(shape.size(), 1)}});
  case 6:
    return b.create1("expand", name, {y}, {{"shape", shape}});
  case 7:
    return b.create1("tile", name, {y}, {{"repeats", std::vector<int64_t>(shape.size(), 1)}});
  case 8:
    return rng.integer(0, 1) ? b.create1("mul", name, {y, constant(1)})
                             : b.create1("mul", name, {constant(1), y});
  case 9:
    return b.create1("div", name, {y, constant(1)});
  case 10: // -0.0 for floats; integers have one zero
    return rng.integer(0, 1) ? b.create1("add", name, {y, constant(-0.0)})
                             : b.create1("add", name, {constant(-0.0), y});
  case 11:
    return b.create1("sub", name, {y, constant(0.0)});
  case 12:
    return b.create1(rng.integer(0, 1) ? "min" : "max", name, {y});
  case 13:
    return b.create1("clip", name, {y});
  default: {
    int64_t axis = rng.integer(0, rank - 1);
    return b.create1(
        "split", name, {y},
        {{"axis", axis}, {"split", std::vector<int64_t>{shape[static_cast<size_t>(axis)]}}});
  }
  }
}

// One op that computes something (named "op_..."); some look like pass-throughs but are not.
ValueId computing(Builder &b, Rng &rng, const Graph &g, ValueId y, int step) {
  // Copies: the builder's new values may move the graph's.
  DType dtype = g.type(y).dtype;
  Shape shape = g.type(y).shape;
  std::string name = fmt::format("op_{}", step);
  switch (rng.integer(0, 7)) {
  case 0:
    return b.create1("neg", name, {y});
  case 1:
    return b.create1("relu", name, {y});
  case 2:
    return b.create1(
        "add", name,
        {y, b.constant(randomTensor(rng, dtype, broadcastableTo(rng, shape)), name + "_c")});
  case 3: { // a constant sub-graph that canonicalize folds
    ValueId c1 = b.constant(randomTensor(rng, dtype, shape), name + "_c1");
    ValueId c2 = b.constant(randomTensor(rng, dtype, shape), name + "_c2");
    ValueId folded = b.create1("sub", name + "_fold", {c1, c2});
    folded = b.create1("neg", name + "_fold2", {folded});
    return b.create1("mul", name, {y, folded});
  }
  case 4: { // any permutation, possibly one that only looks like the identity ([3,3] swapped)
    std::vector<int64_t> perm(shape.size());
    for (size_t d = 0; d < perm.size(); ++d) perm[d] = static_cast<int64_t>(d);
    for (size_t i = perm.size(); i > 1; --i)
      std::swap(perm[i - 1],
                perm[static_cast<size_t>(rng.integer(0, static_cast<int64_t>(i) - 1))]);
    return b.create1("transpose", name, {y}, {{"perm", perm}});
  }
  case 5: { // reverse the dims
    Shape reversed(shape.rbegin(), shape.rend());
    return b.create1("reshape", name, {y}, {{"shape", reversed}});
  }
  case 6: // +0.0 on floats: not a pass-through (-0 + 0 = +0)
    return b.create1("add", name, {y, b.constant(filled(dtype, {1}, 0.0), name + "_c")});
  default: // a slice that drops the first element of the last axis when it can
    if (shape.back() < 2) return b.create1("neg", name, {y});
    {
      std::vector<int64_t> starts(shape.size(), 0);
      starts.back() = 1;
      return b.create1(
          "slice", name, {y},
          {{"starts", starts}, {"ends", shape}, {"steps", std::vector<int64_t>(shape.size(), 1)}});
    }
  }
}

struct Chain {
  Graph graph;
  std::vector<Tensor> inputs;
};

Chain randomChain(Rng &rng, DType dtype) {
  Chain c;
  Builder b(c.graph);
  Shape shape;
  for (int64_t d = rng.integer(1, 4); d > 0; --d) shape.push_back(rng.integer(1, 3));
  ValueId y = b.input("x", TensorType(dtype, shape));
  c.inputs.push_back(randomTensor(rng, dtype, shape));
  // Where x itself is negative zero, -0.0 must survive every pass-through.
  if (isFloat(dtype)) c.inputs[0].setDouble(0, -0.0);
  int steps = static_cast<int>(rng.integer(4, 14));
  for (int step = 0; step < steps; ++step)
    y = rng.integer(0, 2) != 0 ? passThrough(b, rng, c.graph, y, step)
                               : computing(b, rng, c.graph, y, step);
  c.graph.outputs = {b.create1("neg", "final", {y}, {}, "out")};
  verify(c.graph, kImportLevel);
  return c;
}

// Element `i` of the leading dimension of t, as a tensor of shape [1, ...].
Tensor batchItem(const Tensor &t, int64_t i) {
  Shape shape = t.shape();
  shape[0] = 1;
  Tensor item(t.dtype(), shape);
  size_t bytes = item.bytes().size();
  std::copy_n(t.bytes().begin() + static_cast<std::ptrdiff_t>(bytes * static_cast<size_t>(i)),
              bytes, item.bytes().begin());
  return item;
}

std::string corpusDir() {
  const char *dir = std::getenv("QCC_CORPUS_DIR");
  return dir && *dir ? dir : QCC_CORPUS_DIR;
}

// Canonicalize `g` and compare outputs bit for bit on each input; also a fixed point.
void checkModel(const Graph &g, const std::vector<Tensor> &inputs, const std::string &what) {
  INFO(what);
  Graph canon = canonicalize(g);
  CHECK(printGraph(canonicalize(canon)) == printGraph(canon));
  CHECK(canon.ops.size() <= g.ops.size());
  Interpreter before(g), after(canon);
  for (const Tensor &in : inputs) {
    std::span<const Tensor> args(&in, 1);
    CHECK(after.run(args) == before.run(args));
  }
}

} // namespace

TEST_CASE("canonicalize keeps outputs bit-exact on random chains and removes pass-throughs",
          "[passes][canonicalize]") {
  Rng rng(7);
  for (DType dtype : {DType::f32, DType::i32, DType::i8}) {
    for (int i = 0; i < 150; ++i) {
      Chain c = randomChain(rng, dtype);
      INFO(printGraph(c.graph));
      Graph canon = canonicalize(c.graph);
      INFO(printGraph(canon));
      for (const Op &op : canon.ops) {
        CHECK(op.name.rfind("id_", 0) != 0);
        bool allConstant = !op.inputs.empty();
        for (ValueId in : op.inputs) allConstant = allConstant && canon.constantValue(in);
        CHECK_FALSE(allConstant);
      }
      REQUIRE(canon.outputs.size() == 1);
      CHECK(canon.value(canon.outputs[0]).name == "out");
      CHECK(Interpreter(canon).run(c.inputs) == Interpreter(c.graph).run(c.inputs));
    }
  }
}

TEST_CASE("canonicalize keeps quantizers of constants and folds what follows them only if "
          "constant",
          "[passes][canonicalize]") {
  Graph g = parseGraph(R"(graph @q(%x: f32[3]) -> (f32[3]) {
    %w = constant dense<f32[3] [0.3, -1.2, 2.6]> : f32[3]
    %s = constant dense<f32[] [0.5]> : f32[]
    %z = constant dense<f32[] [0.0]> : f32[]
    %wq = quant "wq" (%w, %s, %z) {bits = 4, narrow = 0, rounding_mode = "ROUND", signed = 1} : f32[3]
    %wb = bipolar_quant "wb" (%wq, %s) : f32[3]
    %y = mul "y" (%x, %wb) : f32[3]
    return %y
  })");
  Graph canon = canonicalize(g);
  CHECK(printGraph(canon) == printGraph(g));
}

TEST_CASE("canonicalize is exact on the example models", "[passes][canonicalize]") {
  std::string dir = std::string(QCC_SOURCE_DIR) + "/examples/digits/";
  Tensor images = readNpy(dir + "test_x.npy");
  std::vector<Tensor> inputs;
  for (int64_t i = 0; i < 40; ++i) inputs.push_back(batchItem(images, i));
  for (const char *model : {"digits_float", "digits_w1a1", "digits_w2a2", "digits_ternary"}) {
    Graph g = importOnnxFile(dir + model + ".onnx");
    checkModel(g, inputs, model);
  }
}

TEST_CASE("canonicalize is exact on the corpus TFC models", "[passes][canonicalize][corpus]") {
  std::string dir = corpusDir() + "/qonnx/";
  if (!std::filesystem::exists(dir + "TFC_1W1A.onnx")) {
    WARN("corpus not found at " << dir << ": the TFC section is skipped");
    return;
  }
  // The MNIST samples scaled to [0, 1] (the models' input convention) and deterministic noise.
  Tensor images = readNpy(dir + "finn_tfc_w1a1_streamlined.input.npy");
  std::vector<Tensor> inputs;
  for (int64_t i = 0; i < images.shape()[0]; ++i) {
    Tensor item = batchItem(images, i);
    for (int64_t k = 0; k < item.numel(); ++k) item.data<float>()[k] /= 255.0f;
    inputs.push_back(item);
  }
  Rng rng(11);
  Tensor noise(DType::f32, {1, 1, 28, 28});
  for (int64_t k = 0; k < noise.numel(); ++k)
    noise.data<float>()[k] = static_cast<float>(rng.integer(0, 255)) / 255.0f;
  inputs.push_back(noise);
  for (const char *model : {"TFC_1W1A", "TFC_1W2A", "TFC_2W2A"})
    checkModel(importOnnxFile(dir + model + ".onnx"), inputs, model);
}

TEST_CASE("replaceAllUses keeps graph output names and refuses interface changes",
          "[passes][graph_rewrite]") {
  Graph g = parseGraph(R"(graph @g(%x: f32[2]) -> (f32[2], f32[2]) {
    %a = relu "a" (%x) : f32[2]
    %b = neg "b" (%a) : f32[2]
    %c = neg "c" (%b) : f32[2]
    return %b, %c
  })");
  auto id = [&](const std::string &name) {
    for (size_t v = 0; v < g.values.size(); ++v)
      if (g.values[v].name == name) return static_cast<ValueId>(v);
    FAIL("no value " << name);
    return kNoValue;
  };
  ValueId x = id("x"), a = id("a"), b = id("b"), c = id("c");
  CHECK_FALSE(replaceAllUses(g, b, x)); // an input cannot take an output's name
  CHECK_FALSE(replaceAllUses(g, b, c)); // nor can another output
  CHECK(g.outputs == std::vector<ValueId>{b, c});
  CHECK(replaceAllUses(g, b, a));
  CHECK(g.outputs == std::vector<ValueId>{a, c});
  CHECK(g.value(a).name == "b");
  CHECK(g.value(b).name == "a");
  CHECK(g.ops[2].inputs == std::vector<ValueId>{a});
  CHECK(useCounts(g)[static_cast<size_t>(a)] == 3); // neg "b", neg "c" and the output
  CHECK(isGraphInput(g, x));
  CHECK(isGraphOutput(g, a));
  CHECK_FALSE(isGraphOutput(g, b));
}

TEST_CASE("sortOps moves appended ops before their first user and keeps the rest in place",
          "[passes][graph_rewrite]") {
  Graph g = parseGraph(R"(graph @g(%x: f32[2]) -> (f32[2]) {
    %a = relu "a" (%x) : f32[2]
    %b = neg "b" (%a) : f32[2]
    %c = abs "c" (%x) : f32[2]
    return %c
  })");
  Builder builder(g);
  ValueId k = builder.constant(Tensor::scalar(DType::f32, 2), "k");
  ValueId d = builder.create1("mul", "d", {g.ops[0].outputs[0], k});
  // b now reads d, which is defined after it.
  g.ops[1].inputs = {d};
  g.outputs = {g.ops[1].outputs[0], g.ops[2].outputs[0]};
  sortOps(g);
  std::vector<std::string> names;
  for (const Op &op : g.ops) names.push_back(op.name.empty() ? "k" : op.name);
  CHECK(names == std::vector<std::string>{"a", "k", "d", "b", "c"});
  for (size_t i = 0; i < g.ops.size(); ++i)
    for (ValueId out : g.ops[i].outputs) CHECK(g.value(out).def == static_cast<int32_t>(i));
  g.ops[0].inputs = {g.ops[3].outputs[0]}; // a reads b: a cycle
  CHECK_THROWS_WITH(sortOps(g), Catch::Contains("form a cycle"));
}
