// qcc verify: the compiled code against the reference interpreter, layer by layer, on the same
// lowered graph and inputs (docs/codegen.md).
#include "codegen/jit.h"
#include "frontend/onnx_import.h"
#include "ir/error.h"
#include "ir/interpreter.h"
#include "ir/npy.h"
#include "tools/qcc/codegen_flags.h"
#include "tools/qcc/bits_flags.h"
#include "tools/qcc/commands.h"

#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <random>

namespace qcc::cli {
namespace {

// Float results may differ from the interpreter by rounding where a kernel sums in another
// order; integer results must be identical.
constexpr double kRelativeTolerance = 1e-5;
constexpr double kAbsoluteTolerance = 1e-6;

bool sameElement(const Tensor &expected, const Tensor &actual, int64_t i) {
  if (!isFloat(expected.dtype())) return expected.getInt(i) == actual.getInt(i);
  double e = expected.getDouble(i);
  double a = actual.getDouble(i);
  if (std::isnan(e) || std::isnan(a)) return std::isnan(e) && std::isnan(a);
  if (e == a) return true;
  return std::fabs(e - a) <= kAbsoluteTolerance + kRelativeTolerance * std::fabs(e);
}

std::string elementIndex(const Shape &shape, int64_t flat) {
  std::vector<int64_t> index(shape.size(), 0);
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] == 0) break;
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shapeString(index);
}

std::string elementText(const Tensor &t, int64_t i) {
  return isFloat(t.dtype()) ? formatDouble(t.getDouble(i)) : std::to_string(t.getInt(i));
}

// Fails describing the first element where `actual` differs from `expected`.
void compareValue(const Graph &graph, const std::string &where, ValueId v, const Tensor &expected,
                  const Tensor &actual) {
  int64_t first = -1;
  int64_t differing = 0;
  for (int64_t i = 0; i < expected.numel(); ++i)
    if (!sameElement(expected, actual, i)) {
      if (first < 0) first = i;
      ++differing;
    }
  if (first < 0) return;
  const TensorType &type = graph.type(v);
  fail("the compiled code differs from the interpreter at {}, value '{}' {}: element {} (index "
       "{}) is {}, the interpreter gives {} ({} of {} elements differ)",
       where, graph.value(v).name, typeString(type), first, elementIndex(type.shape, first),
       elementText(actual, first), elementText(expected, first), differing, expected.numel());
}

// Inputs for a run without --input: fixed-seed uniform values, floats in [-8, 8), integers over
// their type's range clipped to [-128, 127].
std::vector<Tensor> randomInputs(const Graph &graph, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<Tensor> inputs;
  for (ValueId v : graph.inputs) {
    Tensor t(graph.type(v));
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (isFloat(t.dtype())) {
        t.setDouble(i, std::uniform_real_distribution<double>(-8.0, 8.0)(random));
      } else {
        int64_t lo = std::max<int64_t>(dtypeMin(t.dtype()), -128);
        int64_t hi = std::min<int64_t>(dtypeMax(t.dtype()), 127);
        t.setInt(i, std::uniform_int_distribution<int64_t>(lo, hi)(random));
      }
    }
    inputs.push_back(std::move(t));
  }
  return inputs;
}

uint64_t seedOption(const ParsedArgs &args) {
  std::string text = args.get("seed", "0");
  uint64_t seed = 0;
  const char *end = text.data() + text.size();
  if (std::from_chars(text.data(), end, seed).ptr != end || text.empty())
    throw UsageError(fmt::format("--seed expects a non-negative integer, got '{}'", text));
  return seed;
}

// The graph with every op result made a graph output, so that one compiled run shows them all.
Graph probeGraph(const Graph &graph) {
  Graph probe = graph;
  probe.outputs.clear();
  for (const Op &op : graph.ops)
    if (op.kind != "constant")
      for (ValueId v : op.outputs) probe.outputs.push_back(v);
  return probe;
}

} // namespace

Command verifyCommand() {
  CommandSpec spec{
      .name = "verify",
      .synopsis = "MODEL.onnx [--input IN.npy ...] [options]",
      .summary = "Compile a model for this machine (in memory, as `qcc compile --target=native`)\n"
                 "and run it and the reference interpreter on the same lowered graph and inputs.\n"
                 "Every op result is compared, in graph order: integers exactly, floats within\n"
                 "1e-6 + 1e-5*|x|. The first differing op, value and element is reported and the\n"
                 "exit code is 1; with no difference, one summary line and exit code 0. Without\n"
                 "--input, inputs are random (floats in [-8, 8), integers in [-128, 127]).",
      .options = {{"input", "IN.npy", "input tensor, one per graph input in order", true},
                  {"seed", "N", "seed of the random inputs (default 0)", false}},
      .minPositional = 0,
      .maxPositional = 1,
  };
  for (OptionSpec &option : codegenOptionSpecs("stderr")) spec.options.push_back(option);
  for (OptionSpec &option : importOptionSpecs()) spec.options.push_back(option);
  for (OptionSpec &option : bitsOptionSpecs()) spec.options.push_back(option);
  return {spec, [spec](const ParsedArgs &args) {
            if (args.positional.empty())
              throw UsageError(fmt::format("'qcc verify' needs {}", spec.synopsis));
            const std::string &model = args.positional[0];
            uint64_t seed = seedOption(args);
            checkCodegenFlags(args);
            Graph graph = importModel(model, args);
            const auto &inputPaths = args.all("input");
            if (!inputPaths.empty() && inputPaths.size() != graph.inputs.size())
              throw UsageError(fmt::format("the model has {} inputs, {} --input given",
                                           graph.inputs.size(), inputPaths.size()));
            lowerForCodegen(graph, args, "native", stderr);
            std::vector<Tensor> inputs;
            for (const std::string &p : inputPaths) inputs.push_back(readNpy(p));
            if (inputPaths.empty()) inputs = randomInputs(graph, seed);

            std::map<ValueId, Tensor> expected;
            std::vector<Tensor> expectedOutputs =
                Interpreter(graph).run(inputs, [&](const Op &op, std::span<const Tensor> results) {
                  for (size_t r = 0; r < results.size(); ++r)
                    expected.emplace(op.outputs[r], results[r]);
                });
            Graph probe = probeGraph(graph);
            std::vector<Tensor> probed = runCompiled(probe, inputs);
            int64_t elements = 0;
            size_t compared = 0;
            for (size_t i = 0; i < probe.outputs.size(); ++i) {
              ValueId v = probe.outputs[i];
              const Op &op = graph.ops[static_cast<size_t>(graph.value(v).def)];
              compareValue(graph, op.describe(), v, expected.at(v), probed[i]);
              elements += probed[i].numel();
              ++compared;
            }
            // The real graph too: its arena plan differs from the probe's.
            std::vector<Tensor> outputs = runCompiled(graph, inputs);
            for (size_t j = 0; j < outputs.size(); ++j)
              compareValue(graph, fmt::format("graph output {}", j), graph.outputs[j],
                           expectedOutputs[j], outputs[j]);
            size_t ops = 0;
            for (const Op &op : graph.ops) ops += op.kind != "constant";
            fmt::print("verify: {} ops, {} values, {} elements: the compiled code matches the "
                       "interpreter\n",
                       ops, compared, elements);
            return 0;
          }};
}

} // namespace qcc::cli
