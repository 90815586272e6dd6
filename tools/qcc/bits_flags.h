// The bitwidth flags of every subcommand that reads a model (docs/bitwidths.md): --bits,
// --calib, --budget-bits / --budget-bops / --budget-latency and --keep-first-last. With --bits
// the imported float model is quantized (choose_bitwidths.h) before anything else sees it.
#pragma once

#include "codegen/jit.h"
#include "ir/npy.h"
#include "passes/choose_bitwidths.h"
#include "tools/qcc/cli.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

namespace qcc::cli {

inline std::vector<OptionSpec> bitsOptionSpecs() {
  return {{"bits", "SPEC",
           "quantize the float model's conv/gemm/matmul layers: auto (choose under a budget), "
           "W/A (every layer) and LAYER:W/A (one layer), comma-separated; W and A from 1, T "
           "(ternary), 2, 3, 4, 8",
           true},
          {"calib", "F.npy", "calibration inputs for --bits, [N,...] for an input [1,...]", false},
          {"budget-bits", "AVG", "--bits=auto: at most AVG bits per weight on average", false},
          {"budget-bops", "N", "--bits=auto: at most N bit operations per run", false},
          {"budget-latency", "US",
           "--bits=auto: at most US microseconds per run by the kernel cost model of --target",
           false},
          {"keep-first-last", "B", "--bits: the first and last layers at B/B bits", false}};
}

inline double positiveNumber(const std::string &option, const std::string &value) {
  char *end = nullptr;
  errno = 0;
  double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || errno != 0 || !std::isfinite(v) || !(v > 0))
    throw UsageError(fmt::format("--{} expects a positive number, got '{}'", option, value));
  return v;
}

// The --bits request, checked (usage errors) before any work; nullopt without --bits.
inline std::optional<BitwidthRequest> bitsRequest(const ParsedArgs &args, std::string target) {
  const char *budgets[] = {"budget-bits", "budget-bops", "budget-latency"};
  int budgetCount = 0;
  for (const char *b : budgets) budgetCount += args.has(b);
  if (!args.has("bits")) {
    for (const char *flag :
         {"calib", "budget-bits", "budget-bops", "budget-latency", "keep-first-last"})
      if (args.has(flag)) throw UsageError(fmt::format("--{} is only used with --bits", flag));
    return std::nullopt;
  }
  BitwidthRequest request;
  for (const std::string &value : args.all("bits"))
    if (std::string error = parseBitsOption(value, request); !error.empty())
      throw UsageError("--bits: " + error);
  if (!args.has("calib")) throw UsageError("--bits needs calibration inputs: --calib=F.npy");
  if (request.automatic && budgetCount != 1)
    throw UsageError("--bits=auto needs exactly one of --budget-bits, --budget-bops, "
                     "--budget-latency");
  if (!request.automatic && budgetCount) throw UsageError("a --budget-* flag needs --bits=auto");
  if (request.automatic && request.everyLayer)
    throw UsageError("--bits: auto and W/A for every layer exclude each other");
  if (args.has("budget-bits"))
    request.budget = positiveNumber("budget-bits", args.get("budget-bits"));
  if (args.has("budget-bops")) {
    request.budgetKind = BudgetKind::bops;
    request.budget = positiveNumber("budget-bops", args.get("budget-bops"));
  }
  if (args.has("budget-latency")) {
    request.budgetKind = BudgetKind::latency;
    request.budget = positiveNumber("budget-latency", args.get("budget-latency"));
  }
  if (args.has("keep-first-last")) {
    std::optional<Precision> p = parsePrecision(args.get("keep-first-last"));
    if (!p)
      throw UsageError(fmt::format("--keep-first-last expects 1, T, 2, 3, 4 or 8, got '{}'",
                                   args.get("keep-first-last")));
    request.keepFirstLast = p;
  }
  // The latency table of the code that will run: the host's best x86 level for native, the
  // first target of a list.
  target = target.substr(0, target.find(','));
  if (target == "native")
    for (const char *t : {"x86_64-v4", "x86_64-v3", "x86_64"})
      if (hostRuns(resolveTarget(t))) {
        target = t;
        break;
      }
  request.target = target;
  return request;
}

// Imports `model` and applies --bits; `result` (if given) receives the choice.
inline Graph importModel(const std::string &model, const ParsedArgs &args,
                         const std::string &target = "native",
                         std::optional<BitwidthResult> *result = nullptr) {
  std::optional<BitwidthRequest> request = bitsRequest(args, target);
  Graph graph = importOnnxFile(model, importOptionsFrom(args));
  if (!request) return graph;
  Calibrator calibrator(graph, calibrationSamples(graph, readNpy(args.get("calib"))));
  BitwidthResult chosen = chooseBitwidths(calibrator, *request);
  Graph quantized = std::move(chosen.graph);
  if (result) *result = std::move(chosen);
  return quantized;
}

} // namespace qcc::cli
