// Shared helpers of the corpus suites: where the corpus and the repository are, tensor comparison
// with stated tolerances, deterministic test inputs, temporary folders and child processes.
#pragma once

#include "ir/graph.h"
#include "ir/op_registry.h"
#include "tests/support/random.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qcc::corpus {

// The shared corpus ($QCC_CORPUS_DIR when set, else the QCC_CORPUS_DIR macro from CMake) and the
// repository (the QCC_SOURCE_DIR macro).
std::string corpusDir();
std::string sourceDir();
std::string corpusPath(const std::string &relative);
std::string sourcePath(const std::string &relative);

// How closely an output must match its reference. Float elements pass when
// |got - expected| <= atol + rtol * |expected| (NaN matches NaN, infinities must be equal);
// integer and bool elements must be equal. Up to `maxOff` elements that fail that may still
// differ by at most `offBy` (one quantization step, one rounding unit); `reason` says why a
// test allows that.
struct Tolerance {
  double rtol = 1e-5;
  // For expected values near 0, where a relative bound alone would demand bit equality of
  // results that legitimately differ in the last bits (e.g. a sum that cancels to ~1e-8).
  double atol = 1e-6;
  double offBy = 0;
  int64_t maxOff = 0;
  std::string reason;
};

// nullopt when `got` matches `expected` (same dtype, same shape, values within `tol`), else a
// message with the mismatch count, the first mismatching index and the largest difference.
std::optional<std::string> compareTensors(const Tensor &got, const Tensor &expected,
                                          const Tolerance &tol = {});

// The IR levels every suite checks a model at: the interpreter's outputs at each level must meet
// the suite's oracle (issue #4: lowering keeps the results).
inline constexpr Level kCheckedLevels[] = {kImportLevel, kQuantizedLevel, kLoweredLevel};

// `imported` taken to `level` by the standard pipeline (passes/pipeline.h), in strict mode off,
// for code generation target `target` (select_kernels and pack_weights depend on it).
Graph atLevel(const Graph &imported, Level level, const std::string &target = "native");

// Calls `check` with `imported` at every checked level; failures name the level.
void forEachLevel(const Graph &imported, const std::function<void(const Graph &)> &check);

// Runs a graph with the reference interpreter.
std::vector<Tensor> runGraph(const Graph &graph, const std::vector<Tensor> &inputs);

// The code generator against the interpreter (issue #5): `graph` (normally at the lowered level)
// compiled for the host (codegen/jit.h) and run on `inputs` must give the interpreter's outputs
// on the same graph bit for bit, float outputs included (the sign of a zero and NaN payloads
// too). nullopt when they match, else which output differs and how.
std::optional<std::string> compareCompiled(const Graph &graph, const std::vector<Tensor> &inputs);
// The same on several input sets, with one compilation; failures name the set.
std::optional<std::string> compareCompiled(const Graph &graph,
                                           const std::vector<std::vector<Tensor>> &inputSets);

// Whether this is the ASan+UBSan build (CMake QCC_SANITIZE). There, interpreting and compiling
// the largest corpus models (espcn, eltwise_chanlast, qdq_with_multi_consumer_dq_nodes,
// attention_past_state: up to 224x224 images and 1.7M weights) takes minutes, so the compiled-code
// checks leave them to the RelWithDebInfo build: `heavyForSanitizers` names them.
bool sanitizedBuild();
bool heavyForSanitizers(const std::string &model);

// AArch64 under emulation (issue #5): a model and the inputs to run it on.
struct CrossCase {
  std::string name; // for messages
  Graph imported;
  std::vector<Tensor> inputs;
};

// Whether aarch64-linux-gnu-gcc and qemu-aarch64-static were found (CMake find_program); the
// tests tagged [aarch64] are skipped without them (main.cpp).
bool crossToolsFound();

// Every case lowered for `aarch64` and for `aarch64-dotprod`, compiled into libNAME.a + NAME.h
// (the artifact `qcc compile` writes), linked once per target with one generated C driver that
// includes only the headers (aarch64-linux-gnu-gcc -static), and run once under
// qemu-aarch64-static -cpu cortex-a53 / cortex-a76. Every output must equal, byte for byte,
// the interpreter's on the lowered graph of that target. Returns the failures, one per line
// naming the case and target ("" when all match).
std::string crossCheck(const std::vector<CrossCase> &cases);

// Index of the largest element (the first one on ties), as classifiers report their class.
int64_t argmax(const Tensor &t);
// Element `index` of the leading dimension, keeping that dimension as 1: [N,...] -> [1,...].
Tensor batchItem(const Tensor &t, int64_t index);
bool allFinite(const Tensor &t);

// nullopt when print(parse(print(graph))) == print(graph) and, given inputs, the parsed graph
// computes bit-identical outputs; else the first differing line or output.
std::optional<std::string> checkTextRoundTrip(const Graph &graph, const std::string &sourceName,
                                              const std::vector<Tensor> *inputs = nullptr);

// Round trips of many models: the ones that do not import are counted, not failed (the import
// tests report them); round-trip failures are collected with the model's name.
struct RoundTripTally {
  int imported = 0;
  int notImported = 0;
  std::string failures;
};
// Imports with `import` and checks the round trip; given `inputs`, and if the graph runs on
// them, also checks that the parsed graph computes the same outputs.
void roundTrip(RoundTripTally &tally, const std::string &name, const std::function<Graph()> &import,
               const std::vector<Tensor> *inputs = nullptr);
// Fails the current Catch2 test if any round trip failed or nothing imported.
void report(const RoundTripTally &tally);

// Deterministic pseudo-random values, the same on every platform.
using Random = qcc::test::Rng;

// A tensor of `type` filled with values in [lo, hi) (floats) or [lo, hi] (integers).
Tensor randomTensor(const TensorType &type, double lo, double hi, Random &random);

// A fresh folder under the system temp folder, removed with its contents on destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

struct CommandResult {
  int exitCode = -1;  // -1 when the command did not exit normally
  std::string output; // stdout and stderr together
};
CommandResult runCommand(const std::string &command);
std::string shellQuote(const std::string &text);

// The node executable for the onnxruntime oracle ($NODE, else `node` on PATH).
std::string nodeExecutable();

// What each onnx-node test checked: its name and whether it passed. main() prints the per-op
// pass counts (ops from MANIFEST.tsv) of the tests this process ran.
void recordOnnxNodeResult(const std::string &test, bool passed);
void printOnnxNodeSummary();

} // namespace qcc::corpus
