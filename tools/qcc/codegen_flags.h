// The flags of the subcommands that compile a model to code (compile, verify, run --engine=jit,
// bench): --target, --dump-after, --strict, --threads and --split-min-bops, and the pipeline that
// takes an imported model to the lowered level the code generator compiles (docs/codegen.md).
#pragma once

#include "codegen/artifact.h"
#include "codegen/target.h"
#include "ir/error.h"
#include "ir/printer.h"
#include "passes/pipeline.h"
#include "tools/qcc/cli.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <limits>

namespace qcc::cli {

// The level compiled code is generated from.
constexpr Level kCodegenLevel = kLoweredLevel;

inline std::vector<OptionSpec> codegenOptionSpecs(const std::string &dumpStream) {
  return {
      {"dump-after", "PASS", "print the IR after each run of pass PASS on " + dumpStream, false},
      {"strict", "", "fail instead of keeping an op float (with a warning)", false}};
}

inline OptionSpec targetOptionSpec() {
  return {
      "target", "T",
      fmt::format("code generation target: {} (default native)", fmt::join(targetNames(), ", ")),
      false};
}

// `qcc compile` also takes a list of x86 targets (targetListOption).
inline OptionSpec compileTargetOptionSpec() {
  OptionSpec spec = targetOptionSpec();
  spec.metavar = "T[,T...]";
  spec.help += "; a comma-separated list of x86_64 targets makes one library that runs the best "
               "of them the CPU has, chosen at start-up";
  return spec;
}

// The --target name (default "native"); a name qcc does not know is a usage error.
inline std::string targetOption(const ParsedArgs &args) {
  std::string name = args.get("target", "native");
  std::vector<std::string> names = targetNames();
  if (std::find(names.begin(), names.end(), name) == names.end())
    throw UsageError(
        fmt::format("--target: unknown target '{}' (available: {})", name, fmt::join(names, ", ")));
  return name;
}

// The --target of `qcc compile`: one target, or a comma-separated list of x86 targets for a
// library that dispatches among them at start-up (resolveTargetList). Any problem with the list
// is a usage error.
inline std::string targetListOption(const ParsedArgs &args) {
  std::string list = args.get("target", "native");
  std::vector<std::string> names = targetNames();
  size_t start = 0;
  while (true) {
    size_t comma = list.find(',', start);
    std::string name = list.substr(start, comma == std::string::npos ? comma : comma - start);
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw UsageError(fmt::format("--target: unknown target '{}' (available: {})", name,
                                   fmt::join(names, ", ")));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  try {
    resolveTargetList(list);
    return list;
  } catch (const Error &e) {
    throw UsageError(fmt::format("--target: {}", e.what()));
  }
}

// --threads and --split-min-bops (`qcc compile`, `qcc bench`): the parallel entry point.
constexpr int64_t kMaxThreads = 1024;

inline std::vector<OptionSpec> parallelOptionSpecs() {
  return {{"threads", "N",
           "threads of the parallel entry point NAME_run_parallel (default 1: none); large "
           "layers are split for N threads",
           false},
          {"split-min-bops", "N",
           fmt::format("split only layers of at least N bit operations, MACs x activation bits "
                       "x weight bits (default {})",
                       kDefaultSplitMinWork),
           false}};
}

// The integer value of option `name` in [minimum, maximum]; a usage error otherwise.
inline int64_t boundedIntOption(const ParsedArgs &args, const std::string &name, int64_t fallback,
                                int64_t minimum, int64_t maximum) {
  if (!args.has(name)) return fallback;
  std::string text = args.get(name);
  int64_t value = 0;
  const char *end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < minimum || value > maximum)
    throw UsageError(fmt::format("--{} expects an integer from {} to {}, got '{}'", name, minimum,
                                 maximum, text));
  return value;
}

inline ParallelOptions parallelOption(const ParsedArgs &args) {
  ParallelOptions options;
  options.threads = static_cast<int>(boundedIntOption(args, "threads", 1, 1, kMaxThreads));
  options.minWork = boundedIntOption(args, "split-min-bops", kDefaultSplitMinWork, 0,
                                     std::numeric_limits<int64_t>::max());
  return options;
}

// Checks --dump-after against the codegen pipeline: a usage error, reported before any work.
inline void checkCodegenFlags(const ParsedArgs &args) {
  if (!args.has("dump-after")) return;
  std::string pass = args.get("dump-after");
  std::vector<std::string> passes = pipelinePasses(kCodegenLevel);
  if (std::find(passes.begin(), passes.end(), pass) == passes.end())
    throw UsageError(fmt::format("--dump-after: no pass named '{}' in the {} pipeline ({})", pass,
                                 levelName(kCodegenLevel), fmt::join(passes, ", ")));
}

// Takes an imported graph to the codegen level for `target`, printing the IR after each run of
// the --dump-after pass on `dumpStream`.
inline void lowerForCodegen(Graph &graph, const ParsedArgs &args, const std::string &target,
                            std::FILE *dumpStream) {
  PassOptions options;
  options.strict = args.has("strict");
  options.target = target;
  PassManager pm;
  addPipeline(pm, kCodegenLevel, options);
  if (args.has("dump-after")) {
    std::string pass = args.get("dump-after");
    pm.dumpAfter(pass, [pass, dumpStream](const Graph &g) {
      fmt::print(dumpStream, "// IR after pass '{}'\n{}", pass, printGraph(g));
    });
  }
  pm.run(graph, kImportLevel);
}

} // namespace qcc::cli
