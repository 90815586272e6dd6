// The flags of the subcommands that compile a model to code (compile, verify, run --engine=jit):
// --target, --dump-after and --strict, and the pipeline that takes an imported model to the
// lowered level the code generator compiles (docs/codegen.md).
#pragma once

#include "codegen/artifact.h"
#include "codegen/target.h"
#include "ir/error.h"
#include "ir/printer.h"
#include "passes/pipeline.h"
#include "tools/qcc/cli.h"

#include <algorithm>
#include <cstdio>
#include <fmt/format.h>
#include <fmt/ranges.h>

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
