// The flags that choose and observe the pass pipeline, shared by the subcommands that take a
// model to a level: --level, --dump-after, --print-pipeline, --strict and --time-passes
// (docs/cli.md).
#pragma once

#include "ir/printer.h"
#include "passes/pipeline.h"
#include "tools/qcc/cli.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace qcc::cli {

// The option specs; `dumpStream` ("stdout" or "stderr") is where --dump-after prints.
inline std::vector<OptionSpec> pipelineOptionSpecs(const std::string &dumpStream) {
  return {
      {"level", "LEVEL", "IR level: import (default), quantized or lowered", false},
      {"dump-after", "PASS", "print the IR after each run of pass PASS on " + dumpStream, false},
      {"print-pipeline", "", "print the passes of the --level pipeline, one per line, and exit",
       false},
      {"strict", "", "fail instead of keeping an op float (with a warning)", false},
      {"time-passes", "", "print the time each pass took on stderr", false}};
}

// The level named by --level (default: `fallback`).
inline Level levelOption(const ParsedArgs &args, Level fallback = kImportLevel) {
  if (!args.has("level")) return fallback;
  std::string name = args.get("level");
  for (Level level : {kImportLevel, kQuantizedLevel, kLoweredLevel})
    if (levelName(level) == name) return level;
  throw UsageError(
      fmt::format("--level: unknown level '{}' (available: import, quantized, lowered)", name));
}

// Handles --print-pipeline: prints the pass names and returns true when it was given.
inline bool printPipelineIfAsked(const ParsedArgs &args) {
  if (!args.has("print-pipeline")) return false;
  for (const std::string &pass : pipelinePasses(levelOption(args))) fmt::print("{}\n", pass);
  return true;
}

// The model argument, which --print-pipeline makes optional.
inline const std::string &modelArgument(const CommandSpec &spec, const ParsedArgs &args) {
  if (args.positional.empty())
    throw UsageError(fmt::format("'qcc {}' needs {}", spec.name, spec.synopsis));
  return args.positional[0];
}

// Checks --level, and --dump-after against the pipeline of --level: usage errors, reported
// before any work.
inline void checkPipelineFlags(const ParsedArgs &args) {
  Level level = levelOption(args);
  if (!args.has("dump-after")) return;
  std::string pass = args.get("dump-after");
  std::vector<std::string> passes = pipelinePasses(level);
  if (passes.empty())
    throw UsageError(fmt::format("--dump-after: the {} level runs no passes", levelName(level)));
  if (std::find(passes.begin(), passes.end(), pass) == passes.end())
    throw UsageError(fmt::format("--dump-after: no pass named '{}' in the {} pipeline ({})", pass,
                                 levelName(level), fmt::join(passes, ", ")));
}

// Runs the --level pipeline on an imported graph, printing the IR after each run of the
// --dump-after pass on `dumpStream`, each dump headed by a `//` comment line.
inline void runPipeline(Graph &graph, const ParsedArgs &args, std::FILE *dumpStream,
                        const PrintOptions &print = {}) {
  PassOptions options;
  options.strict = args.has("strict");
  PassManager pm;
  addPipeline(pm, levelOption(args), options);
  if (args.has("dump-after")) {
    std::string pass = args.get("dump-after");
    pm.dumpAfter(pass, [pass, dumpStream, print](const Graph &g) {
      fmt::print(dumpStream, "// IR after pass '{}'\n{}", pass, printGraph(g, print));
    });
  }
  pm.run(graph, kImportLevel);
  if (args.has("time-passes")) {
    std::chrono::nanoseconds total{};
    fmt::print(stderr, "pass timing:\n");
    for (const PassTiming &t : pm.timings()) {
      fmt::print(stderr, "  {:<18} {:10.3f} ms\n", t.pass, t.time.count() / 1e6);
      total += t.time;
    }
    fmt::print(stderr, "  {:<18} {:10.3f} ms\n", "total", total.count() / 1e6);
  }
}

} // namespace qcc::cli
