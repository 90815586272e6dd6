// qcc inspect: import a model, take it to an IR level through the pass pipeline and print it.
#include "frontend/onnx_import.h"
#include "ir/printer.h"
#include "tools/qcc/bits_flags.h"
#include "tools/qcc/commands.h"
#include "tools/qcc/pipeline_flags.h"

#include <fmt/format.h>

namespace qcc::cli {

Command inspectCommand() {
  CommandSpec spec{
      .name = "inspect",
      .synopsis = "MODEL.onnx [options]",
      .summary = "Import a model, run the pass pipeline up to --level and print the IR as text\n"
                 "on stdout (with --dump-after, the IR after that pass instead). Constants of\n"
                 "more than 16 elements print as `...` unless --full is given.",
      .options = pipelineOptionSpecs("stdout"),
      .minPositional = 0,
      .maxPositional = 1,
  };
  for (OptionSpec &option : importOptionSpecs()) spec.options.push_back(option);
  for (OptionSpec &option : bitsOptionSpecs()) spec.options.push_back(option);
  spec.options.push_back(
      {"full", "", "print every constant in full (text that qcc-opt can parse back)", false});
  return {spec, [spec](const ParsedArgs &args) {
            if (printPipelineIfAsked(args)) return 0;
            const std::string &model = modelArgument(spec, args);
            checkPipelineFlags(args);
            Graph graph = importModel(model, args);
            PrintOptions print;
            print.elideLargeConstants = !args.has("full");
            runPipeline(graph, args, stdout, print);
            if (!args.has("dump-after")) fmt::print("{}", printGraph(graph, print));
            return 0;
          }};
}

} // namespace qcc::cli
