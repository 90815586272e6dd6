#include "tests/corpus/harness.h"

#include "codegen/artifact.h"
#include "codegen/jit.h"
#include "ir/error.h"
#include "ir/interpreter.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "passes/pass_manager.h"
#include "passes/pipeline.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>
#include <span>
#include <sstream>
#include <sys/wait.h>

namespace qcc::corpus {

std::string corpusDir() {
  const char *dir = std::getenv("QCC_CORPUS_DIR");
  return dir && *dir ? dir : QCC_CORPUS_DIR;
}
std::string sourceDir() {
  return QCC_SOURCE_DIR;
}
std::string corpusPath(const std::string &relative) {
  return corpusDir() + "/" + relative;
}
std::string sourcePath(const std::string &relative) {
  return sourceDir() + "/" + relative;
}

namespace {

std::string indexString(const Shape &shape, int64_t flat) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = shape[d] == 0 ? 0 : flat % shape[d];
    flat = shape[d] == 0 ? 0 : flat / shape[d];
  }
  return fmt::format("[{}]", fmt::join(index, ","));
}

// Compares element-wise in the storage type T: exact for integers, rtol/atol for floats.
template <typename T>
std::optional<std::string> compareElements(const Tensor &got, const Tensor &expected,
                                           const Tolerance &tol) {
  const T *g = got.data<T>();
  const T *e = expected.data<T>();
  int64_t failed = 0, off = 0, first = -1;
  double largest = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    bool exact;
    double diff; // magnitude of the difference; infinity when one side is NaN or infinite
    if constexpr (std::is_floating_point_v<T>) {
      double gv = g[i], ev = e[i];
      if (std::isnan(ev) || std::isnan(gv)) {
        exact = std::isnan(ev) && std::isnan(gv);
        diff = HUGE_VAL;
      } else if (std::isinf(ev) || std::isinf(gv)) {
        exact = gv == ev;
        diff = HUGE_VAL;
      } else {
        diff = std::fabs(gv - ev);
        exact = diff <= tol.atol + tol.rtol * std::fabs(ev);
      }
    } else {
      // Unsigned wrap-around gives the exact magnitude even for 64-bit extremes.
      uint64_t magnitude = g[i] > e[i] ? static_cast<uint64_t>(g[i]) - static_cast<uint64_t>(e[i])
                                       : static_cast<uint64_t>(e[i]) - static_cast<uint64_t>(g[i]);
      exact = magnitude == 0;
      diff = static_cast<double>(magnitude);
    }
    if (exact) continue;
    largest = std::max(largest, diff);
    if (diff <= tol.offBy) {
      ++off;
      if (off <= tol.maxOff) continue;
    }
    ++failed;
    if (first < 0) first = i;
  }
  if (failed == 0) return std::nullopt;
  auto value = [](T v) {
    if constexpr (std::is_floating_point_v<T>)
      return fmt::format("{}", v);
    else if constexpr (std::is_signed_v<T>)
      return fmt::format("{}", static_cast<int64_t>(v));
    else
      return fmt::format("{}", static_cast<uint64_t>(v));
  };
  std::string message = fmt::format(
      "{} of {} elements differ; first at {}: got {}, expected {}; largest difference {}", failed,
      got.numel(), indexString(got.shape(), first), value(g[first]), value(e[first]), largest);
  if (tol.maxOff > 0)
    message += fmt::format(" ({} elements were off by <= {}, {} allowed: {})", off, tol.offBy,
                           tol.maxOff, tol.reason);
  return message;
}

} // namespace

std::optional<std::string> compareTensors(const Tensor &got, const Tensor &expected,
                                          const Tolerance &tol) {
  if (got.dtype() != expected.dtype())
    return fmt::format("element type {}, expected {}", dtypeName(got.dtype()),
                       dtypeName(expected.dtype()));
  if (got.shape() != expected.shape())
    return fmt::format("shape {}, expected {}", shapeString(got.shape()),
                       shapeString(expected.shape()));
  return visitDType(got.dtype(),
                    [&]<typename T>(TypeTag<T>) { return compareElements<T>(got, expected, tol); });
}

namespace {

const Tolerance kExact{.rtol = 0, .atol = 0, .offBy = 0, .maxOff = 0, .reason = ""};

// nullopt when `got` has the dtype, shape and bytes of `expected`.
std::optional<std::string> compareBits(const Tensor &got, const Tensor &expected) {
  // Different values: compareTensors says where and by how much.
  if (auto mismatch = compareTensors(got, expected, kExact)) return mismatch;
  std::span<const uint8_t> g = got.bytes(), e = expected.bytes();
  if (got.numel() == 0 || std::equal(g.begin(), g.end(), e.begin(), e.end())) return std::nullopt;
  // Equal values in other bits: a zero's sign or a NaN's payload.
  size_t size = g.size() / static_cast<size_t>(got.numel());
  int64_t differ = 0, first = -1;
  for (int64_t i = 0; i < got.numel(); ++i)
    if (std::memcmp(g.data() + i * size, e.data() + i * size, size) != 0) {
      ++differ;
      if (first < 0) first = i;
    }
  return fmt::format("{} of {} elements have equal values but different bits (the sign of a "
                     "zero or a NaN's payload); first at {}: got {}, expected {}",
                     differ, got.numel(), indexString(got.shape(), first), got.getDouble(first),
                     expected.getDouble(first));
}

} // namespace

std::optional<std::string> compareCompiled(const Graph &graph, const std::vector<Tensor> &inputs) {
  return compareCompiled(graph, std::vector<std::vector<Tensor>>{inputs});
}

std::optional<std::string> compareCompiled(const Graph &graph,
                                           const std::vector<std::vector<Tensor>> &inputSets) {
  CompiledGraph compiled(graph);
  Interpreter interpreter(graph);
  std::string failures;
  for (size_t set = 0; set < inputSets.size(); ++set) {
    std::vector<Tensor> expected = interpreter.run(inputSets[set]);
    std::vector<Tensor> got = compiled.run(inputSets[set]);
    std::string where = inputSets.size() == 1 ? "" : fmt::format("input set {}: ", set);
    if (got.size() != expected.size())
      return fmt::format("{}the compiled code gives {} outputs, the interpreter {}", where,
                         got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i)
      if (std::optional<std::string> mismatch = compareBits(got[i], expected[i]))
        failures += fmt::format("{}{}output {} ('{}'): {}", failures.empty() ? "" : "\n", where, i,
                                graph.value(graph.outputs[i]).name, *mismatch);
  }
  if (failures.empty()) return std::nullopt;
  return failures;
}

Graph atLevel(const Graph &imported, Level level, const std::string &target) {
  Graph graph = imported;
  PassOptions options;
  options.target = target;
  PassManager pm;
  addPipeline(pm, level, options);
  pm.run(graph);
  return graph;
}

void forEachLevel(const Graph &imported, const std::function<void(const Graph &)> &check) {
  for (Level level : kCheckedLevels) {
    INFO("at the " << levelName(level) << " level");
    check(atLevel(imported, level));
  }
}

std::vector<Tensor> runGraph(const Graph &graph, const std::vector<Tensor> &inputs) {
  return Interpreter(graph).run(inputs);
}

std::optional<std::string> checkTextRoundTrip(const Graph &graph, const std::string &sourceName,
                                              const std::vector<Tensor> *inputs) {
  std::string printed = printGraph(graph);
  Graph parsed = parseGraph(printed, sourceName);
  std::string reprinted = printGraph(parsed);
  if (reprinted != printed) {
    std::istringstream a(printed), b(reprinted);
    std::string lineA, lineB;
    for (int line = 1;; ++line) {
      bool moreA = static_cast<bool>(std::getline(a, lineA));
      bool moreB = static_cast<bool>(std::getline(b, lineB));
      if (!moreA && !moreB) return "the printed texts differ only in their line endings";
      if (!moreA) lineA = "<end of text>";
      if (!moreB) lineB = "<end of text>";
      if (lineA != lineB)
        return fmt::format("printed text differs at line {}:\n  first:  {}\n  second: {}", line,
                           lineA, lineB);
    }
  }
  if (inputs) {
    std::vector<Tensor> before = runGraph(graph, *inputs);
    std::vector<Tensor> after = runGraph(parsed, *inputs);
    for (size_t i = 0; i < before.size(); ++i)
      if (!(before[i] == after[i]))
        return fmt::format("output {} of the parsed graph differs from the original's", i);
  }
  return std::nullopt;
}

void roundTrip(RoundTripTally &tally, const std::string &name, const std::function<Graph()> &import,
               const std::vector<Tensor> *inputs) {
  Graph graph;
  try {
    graph = import();
  } catch (const Error &) {
    ++tally.notImported;
    return;
  }
  ++tally.imported;
  try {
    bool runs = false;
    if (inputs) {
      try {
        runGraph(graph, *inputs);
        runs = true;
      } catch (const Error &) {
        // Only graphs the interpreter runs can be compared by their outputs.
      }
    }
    if (auto problem = checkTextRoundTrip(graph, name, runs ? inputs : nullptr))
      tally.failures += fmt::format("\n{}: {}", name, *problem);
  } catch (const Error &e) {
    tally.failures += fmt::format("\n{}: qcc::Error: {}", name, e.what());
  }
}

void report(const RoundTripTally &tally) {
  WARN(tally.imported << " models round-tripped; " << tally.notImported
                      << " do not import (see the import tests)");
  CHECK(tally.imported > 0);
  if (!tally.failures.empty()) FAIL_CHECK("round trip failures:" << tally.failures);
}

bool sanitizedBuild() {
#ifdef QCC_SANITIZED_BUILD
  return true;
#else
  return false;
#endif
}

bool heavyForSanitizers(const std::string &model) {
  for (const char *heavy : {"espcn_nnresize_quant.onnx", "eltwise_chanlast_testcase.onnx",
                            "qdq_with_multi_consumer_dq_nodes.onnx", "attention_past_state"})
    if (model.find(heavy) != std::string::npos) return true;
  return false;
}

bool crossToolsFound() {
  return std::string(QCC_AARCH64_CC).size() > 0 && std::string(QCC_QEMU_AARCH64).size() > 0;
}

namespace {

struct CrossTarget {
  const char *target;
  const char *cpu; // for qemu-aarch64-static -cpu
};
constexpr CrossTarget kCrossTargets[] = {{"aarch64", "cortex-a53"},
                                         {"aarch64-dotprod", "cortex-a76"}};

void writeFile(const std::string &path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) fail("cannot write {}", path);
}

std::optional<std::string> readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// The C driver: for every model m<i> in turn, reads input j from DIR/m<i>.in<j>, runs
// m<i>_run with a fresh 64-byte aligned arena and writes output j to DIR/m<i>.out<j>. It uses
// each library only through its header.
std::string crossDriver(const std::vector<std::vector<size_t>> &outputBytes) {
  std::string includes, table;
  for (size_t i = 0; i < outputBytes.size(); ++i) {
    includes += fmt::format("#include \"m{}.h\"\n", i);
    table += fmt::format(
        "static const size_t m{}_out_bytes[] = {{{}}};\n", i,
        outputBytes[i].empty() ? "0" : fmt::format("{}", fmt::join(outputBytes[i], ", ")));
  }
  table += "static const struct model models[] = {\n";
  for (size_t i = 0; i < outputBytes.size(); ++i)
    table +=
        fmt::format("  {{\"m{0}\", m{0}_run, m{0}_NUM_INPUTS, m{0}_NUM_OUTPUTS, m{0}_ARENA_SIZE, "
                    "m{0}_out_bytes}},\n",
                    i);
  table += "};\n";
  return fmt::format(R"(/* Generated by the corpus suites (tests/corpus/harness.cpp). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
{}
typedef int (*run_fn)(const float *const *, float *const *, void *);
struct model {{
  const char *name;
  run_fn run;
  int inputs, outputs;
  size_t arena;
  const size_t *out_bytes;
}};
{}
static void *read_file(const char *path) {{
  FILE *f = fopen(path, "rb");
  long size;
  void *data;
  if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {{
    fprintf(stderr, "cannot read %s\n", path);
    exit(1);
  }}
  data = malloc((size_t)size + 16);
  if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {{
    fprintf(stderr, "cannot read %s\n", path);
    exit(1);
  }}
  fclose(f);
  return data;
}}

int main(int argc, char **argv) {{
  size_t m;
  if (argc != 2) return 2;
  for (m = 0; m < sizeof models / sizeof models[0]; ++m) {{
    const struct model *model = &models[m];
    void *in[64], *out[64], *storage;
    unsigned char *arena;
    char path[4096];
    int i, rc;
    if (model->inputs > 64 || model->outputs > 64) return 3;
    printf("running %lu\n", (unsigned long)m);
    fflush(stdout);
    for (i = 0; i < model->inputs; ++i) {{
      snprintf(path, sizeof path, "%s/%s.in%d", argv[1], model->name, i);
      in[i] = read_file(path);
    }}
    for (i = 0; i < model->outputs; ++i) out[i] = malloc(model->out_bytes[i] + 16);
    storage = malloc(model->arena + 64);
    if (!storage) return 1;
    arena = (unsigned char *)storage + (64 - (size_t)storage % 64) % 64;
    rc = model->run((const float *const *)in, (float *const *)out, arena);
    if (rc != 0) {{
      fprintf(stderr, "%s_run returned %d\n", model->name, rc);
      return 1;
    }}
    for (i = 0; i < model->outputs; ++i) {{
      FILE *f;
      snprintf(path, sizeof path, "%s/%s.out%d", argv[1], model->name, i);
      f = fopen(path, "wb");
      if (!f || fwrite(out[i], 1, model->out_bytes[i], f) != model->out_bytes[i] || fclose(f) != 0) {{
        fprintf(stderr, "cannot write %s\n", path);
        return 1;
      }}
      free(out[i]);
    }}
    for (i = 0; i < model->inputs; ++i) free(in[i]);
    free(storage);
  }}
  return 0;
}}
)",
                     includes, table);
}

} // namespace

std::string crossCheck(const std::vector<CrossCase> &cases) {
  std::string failures;
  // The interpreter's outputs on the first target's lowered graph. The targets' lowered graphs
  // differ only in how kernels are chosen and weights packed, which does not change what the
  // interpreter computes (lowering keeps the results, docs/passes.md), so each model is
  // interpreted once.
  std::vector<std::vector<Tensor>> expected(cases.size());
  for (const CrossTarget &cross : kCrossTargets) {
    TempDir dir;
    std::vector<std::vector<size_t>> outputBytes(cases.size());
    std::string libraries, compileFailures;
    for (size_t i = 0; i < cases.size(); ++i) {
      const CrossCase &c = cases[i];
      std::string name = fmt::format("m{}", i);
      try {
        Graph graph = atLevel(c.imported, kLoweredLevel, cross.target);
        if (expected[i].empty()) expected[i] = runGraph(graph, c.inputs);
        ArtifactRequest request;
        request.source = c.name;
        Artifact artifact = buildArtifact(graph, name, resolveTarget(cross.target), request);
        writeFile(dir.file("lib" + name + ".a"), artifact.library);
        writeFile(dir.file(name + ".h"), artifact.header);
      } catch (const Error &e) {
        compileFailures += fmt::format("{} ({}): qcc::Error: {}\n", c.name, cross.target, e.what());
        continue;
      }
      for (size_t j = 0; j < c.inputs.size(); ++j) {
        std::span<const uint8_t> bytes = c.inputs[j].bytes();
        writeFile(dir.file(fmt::format("{}.in{}", name, j)),
                  std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size()));
      }
      for (const Tensor &t : expected[i]) outputBytes[i].push_back(t.bytes().size());
      libraries += " " + shellQuote(dir.file("lib" + name + ".a"));
    }
    if (!compileFailures.empty()) return failures + compileFailures;

    writeFile(dir.file("driver.c"), crossDriver(outputBytes));
    std::string exe = dir.file("driver");
    CommandResult link =
        runCommand(fmt::format("{} -std=c99 -Wall -Wextra -Werror -O1 -static -I {} {} {} -o {}",
                               shellQuote(QCC_AARCH64_CC), shellQuote(dir.path()),
                               shellQuote(dir.file("driver.c")), libraries, shellQuote(exe)));
    if (link.exitCode != 0)
      return failures + fmt::format("linking the {} driver failed:\n{}", cross.target, link.output);
    CommandResult run = runCommand(fmt::format("{} -cpu {} {} {}", shellQuote(QCC_QEMU_AARCH64),
                                               cross.cpu, shellQuote(exe), shellQuote(dir.path())));
    if (run.exitCode != 0) {
      // The driver prints "running <index>" before each model.
      size_t last = run.output.rfind("running ");
      std::string culprit = last == std::string::npos
                                ? "before the first model"
                                : "in " + cases.at(std::stoul(run.output.substr(last + 8))).name;
      failures += fmt::format("the {} driver under qemu -cpu {} exited with {} {}:\n{}\n",
                              cross.target, cross.cpu, run.exitCode, culprit,
                              run.output.substr(last == std::string::npos ? 0 : last));
    }
    for (size_t i = 0; i < cases.size(); ++i)
      for (size_t j = 0; j < expected[i].size(); ++j) {
        const Tensor &want = expected[i][j];
        std::optional<std::string> bytes = readBytes(dir.file(fmt::format("m{}.out{}", i, j)));
        if (!bytes) {
          if (run.exitCode == 0)
            failures += fmt::format("{} ({}): output {} missing\n", cases[i].name, cross.target, j);
          continue;
        }
        Tensor got(want.type());
        if (bytes->size() != got.bytes().size()) {
          failures += fmt::format("{} ({}): output {} has {} bytes, expected {}\n", cases[i].name,
                                  cross.target, j, bytes->size(), got.bytes().size());
          continue;
        }
        std::copy(bytes->begin(), bytes->end(), got.bytes().begin());
        if (auto mismatch = compareBits(got, want))
          failures += fmt::format("{} ({} under qemu -cpu {}): output {}: {}\n", cases[i].name,
                                  cross.target, cross.cpu, j, *mismatch);
      }
  }
  return failures;
}

int64_t argmax(const Tensor &t) {
  int64_t best = 0;
  for (int64_t i = 1; i < t.numel(); ++i)
    if (t.getDouble(i) > t.getDouble(best)) best = i;
  return best;
}

Tensor batchItem(const Tensor &t, int64_t index) {
  if (t.shape().empty() || index < 0 || index >= t.shape()[0])
    fail("batch item {} of a tensor of shape {}", index, shapeString(t.shape()));
  Shape shape = t.shape();
  shape[0] = 1;
  Tensor item(t.dtype(), shape);
  size_t bytes = item.bytes().size();
  std::memcpy(item.bytes().data(), t.bytes().data() + static_cast<size_t>(index) * bytes, bytes);
  return item;
}

bool allFinite(const Tensor &t) {
  if (!isFloat(t.dtype())) return true;
  for (int64_t i = 0; i < t.numel(); ++i)
    if (!std::isfinite(t.getDouble(i))) return false;
  return true;
}

Tensor randomTensor(const TensorType &type, double lo, double hi, Random &random) {
  Tensor t(type);
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (isFloat(type.dtype))
      t.setDouble(i, random.uniform(lo, hi));
    else
      t.setInt(i, random.integer(static_cast<int64_t>(lo), static_cast<int64_t>(hi)));
  }
  return t;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "qcc-corpus-XXXXXX").string();
  if (!mkdtemp(pattern.data())) fail("cannot create a temporary folder: {}", std::strerror(errno));
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult runCommand(const std::string &command) {
  CommandResult result;
  std::string full = command + " 2>&1";
  FILE *pipe = popen(full.c_str(), "r");
  if (!pipe) fail("cannot run '{}': {}", command, std::strerror(errno));
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
  return result;
}

std::string shellQuote(const std::string &text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string nodeExecutable() {
  const char *node = std::getenv("NODE");
  return node && *node ? node : "node";
}

namespace {

std::vector<std::pair<std::string, bool>> &onnxNodeResults() {
  static std::vector<std::pair<std::string, bool>> results;
  return results;
}

} // namespace

void recordOnnxNodeResult(const std::string &test, bool passed) {
  onnxNodeResults().emplace_back(test, passed);
}

void printOnnxNodeSummary() {
  if (onnxNodeResults().empty()) return;
  // MANIFEST.tsv: "test_name<TAB>ops=A+B<TAB>...".
  std::map<std::string, std::vector<std::string>> opsOf;
  std::ifstream manifest(corpusPath("onnx-node/MANIFEST.tsv"));
  for (std::string line; std::getline(manifest, line);) {
    std::istringstream fields(line);
    std::string test, ops;
    std::getline(fields, test, '\t');
    std::getline(fields, ops, '\t');
    if (ops.rfind("ops=", 0) != 0) continue;
    std::istringstream names(ops.substr(4));
    for (std::string op; std::getline(names, op, '+');) opsOf[test].push_back(op);
  }
  std::map<std::string, std::pair<int, int>> perOp; // op -> (passed, run)
  int passed = 0;
  for (const auto &[test, ok] : onnxNodeResults()) {
    passed += ok;
    auto it = opsOf.find(test);
    std::vector<std::string> ops =
        it == opsOf.end() ? std::vector<std::string>{"(not in MANIFEST)"} : it->second;
    for (const std::string &op : ops) {
      perOp[op].first += ok;
      ++perOp[op].second;
    }
  }
  fmt::print("onnx-node: {} of {} tests passed. Per op of MANIFEST.tsv (a test counts for every op "
             "its model uses):\n",
             passed, onnxNodeResults().size());
  for (const auto &[op, counts] : perOp)
    fmt::print("  {:<22} {:>3} / {:<3} passed\n", op, counts.first, counts.second);
  std::fflush(stdout);
}

} // namespace qcc::corpus
