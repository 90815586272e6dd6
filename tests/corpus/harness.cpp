#include "tests/corpus/harness.h"

#include "ir/error.h"
#include "ir/interpreter.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "passes/pass_manager.h"
#include "passes/pipeline.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>
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

Graph atLevel(const Graph &imported, Level level) {
  Graph graph = imported;
  PassManager pm;
  addPipeline(pm, level);
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
