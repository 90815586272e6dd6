// qcc inspect: import a model and print its IR.
#include "frontend/onnx_import.h"
#include "ir/printer.h"
#include "tools/qcc/commands.h"

#include <fmt/format.h>

namespace qcc::cli {

Command inspectCommand() {
  CommandSpec spec{
      .name = "inspect",
      .synopsis = "MODEL.onnx [options]",
      .summary = "Import a model and print its IR as text on stdout.",
      .options = {{"level", "LEVEL", "IR level to print: import (default)", false},
                  {"dim", "NAME=N", "value of a symbolic input dimension (repeatable)", true}},
      .minPositional = 1,
      .maxPositional = 1,
  };
  return {spec, [](const ParsedArgs &args) {
            std::string level = args.get("level", "import");
            if (level != "import")
              throw UsageError(fmt::format("--level: unknown level '{}' (available: import)", level));
            ImportOptions options{parseDims(args.all("dim"))};
            Graph graph = importOnnxFile(args.positional[0], options);
            fmt::print("{}", printGraph(graph));
            return 0;
          }};
}

} // namespace qcc::cli
