// The module builder and the artifact: graphs of simple ops compiled (JIT and objects for every
// target) against the interpreter, the buffer cases of NAME_run (arena, caller buffers, byte
// views, inputs and constants as outputs), the header, determinism and the errors.
#include "codegen/artifact.h"
#include "codegen/jit.h"
#include "codegen/target.h"
#include "ir/builder.h"
#include "ir/error.h"
#include "ir/interpreter.h"
#include "tests/support/random.h"
#include "tests/support/tensors.h"

#include <catch2/catch.hpp>

using namespace qcc;

namespace {

Tensor randomTensor(test::Rng &rng, DType t, const Shape &shape) {
  Tensor out(t, shape);
  for (int64_t i = 0; i < out.numel(); ++i) {
    if (isFloat(t))
      out.setDouble(i, rng.uniform(-4.0, 4.0));
    else
      out.setInt(i, rng.integer(-100, 100));
  }
  return out;
}

// Runs `graph` with the interpreter and the compiled code; the results must be identical.
void checkAgainstInterpreter(const Graph &graph, const std::vector<Tensor> &inputs) {
  std::vector<Tensor> expected = Interpreter(graph).run(inputs);
  std::vector<Tensor> actual = runCompiled(graph, inputs);
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("output " << i << " '" << graph.value(graph.outputs[i]).name << "'");
    CHECK(actual[i] == expected[i]);
  }
}

Shape randomShape(test::Rng &rng) {
  Shape shape(static_cast<size_t>(rng.integer(1, 3)));
  for (int64_t &d : shape) d = rng.integer(1, 9);
  return shape;
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("a chain of elementwise ops gives the interpreter's results", "[codegen]") {
  test::Rng rng(11);
  for (int round = 0; round < 8; ++round) {
    Shape shape = randomShape(rng);
    INFO("shape " << shapeString(shape));
    Graph g;
    Builder b(g);
    ValueId x = b.input("x", TensorType(DType::f32, shape));
    ValueId c = b.constant(randomTensor(rng, DType::f32, shape), "c");
    ValueId sum = b.create1("add", "sum", {x, c});
    ValueId product = b.create1("mul", "product", {sum, x});
    ValueId difference = b.create1("sub", "difference", {product, c});
    g.outputs = {b.create1("relu", "relu", {difference}), sum};
    checkAgainstInterpreter(g, {randomTensor(rng, DType::f32, shape)});
  }
}

TEST_CASE("integer inputs and outputs pass through the arena", "[codegen]") {
  // Inputs and outputs that are not float32 live in the arena: copied in before the first op
  // and out after the last.
  test::Rng rng(12);
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::i32, {4, 6}));
  ValueId y = b.input("y", TensorType(DType::f32, {4, 6}));
  ValueId c = b.constant(randomTensor(rng, DType::i32, {4, 6}), "c");
  ValueId sum = b.create1("add", "sum", {x, c});
  ValueId asFloat = b.create1("cast", "as_float", {sum}, {{"to", std::string("f32")}});
  ValueId total = b.create1("add", "total", {asFloat, y});
  g.outputs = {sum, total};
  checkAgainstInterpreter(
      g, {randomTensor(rng, DType::i32, {4, 6}), randomTensor(rng, DType::f32, {4, 6})});
}

TEST_CASE("byte views, inputs, constants and repeated values as outputs", "[codegen]") {
  test::Rng rng(13);
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {2, 3, 4}));
  ValueId k = b.constant(randomTensor(rng, DType::f32, {6, 4}), "k");
  // A view of a caller's input, and of an arena value read by a later op.
  ValueId xView = b.create1("reshape", "x_view", {x}, {{"shape", std::vector<int64_t>{4, 6}}});
  ValueId relu = b.create1("relu", "relu", {x});
  ValueId reluView =
      b.create1("reshape", "relu_view", {relu}, {{"shape", std::vector<int64_t>{6, 4}}});
  ValueId sum = b.create1("add", "sum", {reluView, k});
  ValueId sumView = b.create1("reshape", "sum_view", {sum}, {{"shape", std::vector<int64_t>{24}}});
  g.outputs = {xView, sum, x, sum, k, sumView};
  checkAgainstInterpreter(g, {randomTensor(rng, DType::f32, {2, 3, 4})});
}

TEST_CASE("runCompiled checks its inputs", "[codegen]") {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {2}));
  g.outputs = {b.create1("relu", "relu", {x})};
  CHECK_THROWS_WITH(runCompiled(g, {}), Catch::Contains("the graph has 1 inputs, 0 given"));
  CHECK_THROWS_WITH(runCompiled(g, {Tensor(DType::i32, {2})}),
                    Catch::Contains("input 0 'x': expected f32[2], got i32[2]"));
}

TEST_CASE("an op no kernel compiles is named", "[codegen]") {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {2}));
  ValueId y = g.addValue("y", TensorType(DType::f32, {2}));
  Op op;
  op.kind = "frobnicate";
  op.name = "node_7";
  op.inputs = {x};
  op.outputs = {y};
  g.addOp(op);
  g.outputs = {y};
  CHECK_THROWS_WITH(buildArtifact(g, "m", resolveTarget("x86_64"), {}),
                    Catch::Contains("no kernel for ops of kind 'frobnicate'") &&
                        Catch::Contains("node_7"));
}

namespace {

Graph smallModel() {
  test::Rng rng(14);
  Graph g;
  Builder b(g);
  ValueId x = b.input("image", TensorType(DType::f32, {1, 8}));
  ValueId c = b.constant(randomTensor(rng, DType::f32, {1, 8}), "c");
  ValueId sum = b.create1("add", "sum", {x, c});
  g.outputs = {b.create1("relu", "scores", {sum}, {}, "scores")};
  return g;
}

// The ELF machine field (e_machine, little-endian at offset 18).
int elfMachine(const std::string &object) {
  REQUIRE(object.size() > 20);
  REQUIRE(object.compare(0, 4,
                         "\x7f"
                         "ELF") == 0);
  return static_cast<unsigned char>(object[18]) | static_cast<unsigned char>(object[19]) << 8;
}

} // namespace

TEST_CASE("artifacts for every target are deterministic", "[codegen]") {
  Graph g = smallModel();
  ArtifactRequest everything{true, true, true, true, true, "test"};
  for (const std::string &name : targetNames()) {
    INFO("target " << name);
    CodegenTarget target = resolveTarget(name);
    Artifact first = buildArtifact(g, "small", target, everything);
    Artifact second = buildArtifact(g, "small", target, everything);
    CHECK(first.library == second.library);
    CHECK(first.object == second.object);
    CHECK(first.assembly == second.assembly);
    CHECK(first.llvmIr == second.llvmIr);
    CHECK(first.header == second.header);
    CHECK(first.library.compare(0, 8, "!<arch>\n") == 0);
    CHECK(contains(first.library, "small.o/"));
    CHECK(contains(first.assembly, "small_run"));
    CHECK(contains(first.llvmIr, "i32 @small_run(ptr"));
    bool aarch64 = target.triple.rfind("aarch64", 0) == 0;
    bool arm = target.triple.rfind("thumb", 0) == 0;
    // EM_AARCH64, EM_ARM, EM_X86_64
    CHECK(elfMachine(first.object) == (aarch64 ? 183 : arm ? 40 : 62));
  }
}

TEST_CASE("only the requested outputs are produced", "[codegen]") {
  ArtifactRequest headerOnly{false, true, false, false, false, "test"};
  Artifact a = buildArtifact(smallModel(), "small", resolveTarget("x86_64"), headerOnly);
  CHECK(a.library.empty());
  CHECK(a.object.empty());
  CHECK(a.assembly.empty());
  CHECK(a.llvmIr.empty());
  CHECK_FALSE(a.header.empty());
}

TEST_CASE("the header declares exactly the API of the design", "[codegen]") {
  Graph g = smallModel();
  std::string h = cHeader(g, "small", 128, "small.onnx");
  CHECK(contains(h, "#ifndef QCC_SMALL_H\n#define QCC_SMALL_H\n"));
  CHECK(contains(h, "#include <stddef.h>\n#include <stdint.h>\n"));
  CHECK(contains(h, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n"));
  CHECK(contains(h, "#define small_ARENA_SIZE 128\n"));
  CHECK(contains(h, "#define small_NUM_INPUTS 1\n"));
  CHECK(contains(h, "#define small_NUM_OUTPUTS 1\n"));
  CHECK(contains(h, "extern const size_t small_input_sizes[small_NUM_INPUTS];\n"));
  CHECK(contains(h, "extern const size_t small_output_sizes[small_NUM_OUTPUTS];\n"));
  CHECK(contains(h, "extern const char *const small_input_names[];\n"));
  CHECK(contains(h, "extern const char *const small_output_names[];\n"));
  CHECK(contains(h, "int small_run(const float *const *inputs, float *const *outputs, void "
                    "*arena);\n"));
  CHECK(contains(h, "input 0 'image': 8 elements, float32 [1,8]"));
  CHECK(contains(h, "output 0 'scores': 8 elements, float32 [1,8]"));
  // A value name cannot end the comment it appears in.
  g.value(g.inputs[0]).name = "a*/b";
  CHECK(contains(cHeader(g, "small", 128, "x"), "'a* /b'"));
}

TEST_CASE("names become C identifiers", "[codegen]") {
  CHECK(cIdentifier("digits_w1a1") == "digits_w1a1");
  CHECK(cIdentifier("my-model.v2") == "my_model_v2");
  CHECK(cIdentifier("3net") == "model_3net");
  CHECK(cIdentifier("") == "model_");
  CHECK(cIdentifier("caf\xc3\xa9") == "caf__");
}

TEST_CASE("targets resolve to what their names promise", "[codegen]") {
  CodegenTarget base = resolveTarget("x86_64");
  CHECK(base.cpu == "x86-64-v2");
  CHECK(base.vectorBits == 64);
  CHECK_FALSE(base.vectorPopcount);
  CodegenTarget v3 = resolveTarget("x86_64-v3");
  CHECK(v3.vectorBits == 256);
  CHECK_FALSE(v3.vectorPopcount);
  CodegenTarget v4 = resolveTarget("x86_64-v4");
  CHECK(v4.vectorBits == 512);
  CHECK(v4.vectorPopcount);
  CHECK(v4.int8DotProduct);
  CHECK(contains(v4.features, "+avx512vpopcntdq"));
  CodegenTarget arm = resolveTarget("aarch64");
  CHECK(arm.triple == "aarch64-unknown-linux-gnu");
  CHECK(arm.vectorBits == 128);
  CHECK(arm.vectorPopcount);
  CHECK_FALSE(arm.int8DotProduct);
  CodegenTarget dot = resolveTarget("aarch64-dotprod");
  CHECK(dot.cpu == "cortex-a76");
  CHECK(dot.int8DotProduct);
  CodegenTarget native = resolveTarget("native");
  CHECK(native.cpu == hostCpu());
  CHECK(native.name == "native");
  CHECK_THROWS_WITH(resolveTarget("pdp11"),
                    Catch::Contains("unknown target 'pdp11'") &&
                        Catch::Contains("x86_64, x86_64-v3, x86_64-v4, native, aarch64, "
                                        "aarch64-dotprod"));
}
