// qcc run: execute a model at an IR level on .npy inputs and write .npy outputs.
#include "codegen/jit.h"
#include "frontend/onnx_import.h"
#include "ir/error.h"
#include "ir/interpreter.h"
#include "ir/npy.h"
#include "tools/qcc/codegen_flags.h"
#include "tools/qcc/bits_flags.h"
#include "tools/qcc/commands.h"
#include "tools/qcc/pipeline_flags.h"

#include <fmt/format.h>

namespace qcc::cli {

Command runCommand() {
  CommandSpec spec{
      .name = "run",
      .synopsis = "MODEL.onnx --input IN.npy [...] --output OUT.npy [...] [options]",
      .summary = "Run a model on .npy inputs (one --input per graph input, in order) and write\n"
                 "one --output per graph output, in order. The model is first taken to --level\n"
                 "by the pass pipeline; the interpreter runs that level. --engine=jit compiles\n"
                 "that level (default: lowered) for this machine in memory and runs the code\n"
                 "`qcc compile` would generate.",
      .options = {{"input", "IN.npy", "input tensor, one per graph input in order", true},
                  {"output", "OUT.npy", "where to write each graph output, in order", true},
                  {"engine", "ENGINE", "execution engine: interp (default) or jit", false}},
      .minPositional = 0,
      .maxPositional = 1,
  };
  for (OptionSpec &option : pipelineOptionSpecs("stderr")) spec.options.push_back(option);
  for (OptionSpec &option : importOptionSpecs()) spec.options.push_back(option);
  for (OptionSpec &option : bitsOptionSpecs()) spec.options.push_back(option);
  return {spec, [spec](const ParsedArgs &args) {
            if (printPipelineIfAsked(args)) return 0;
            const std::string &model = modelArgument(spec, args);
            std::string engine = args.get("engine", "interp");
            if (engine != "interp" && engine != "jit")
              throw UsageError(
                  fmt::format("--engine: unknown engine '{}' (available: interp, jit)", engine));
            // The JIT runs the code generator's level unless --level picks another one.
            bool codegenPipeline = engine == "jit" && !args.has("level");
            if (codegenPipeline)
              checkCodegenFlags(args);
            else
              checkPipelineFlags(args);
            Graph graph = importModel(model, args);
            const auto &inputPaths = args.all("input");
            const auto &outputPaths = args.all("output");
            if (inputPaths.size() != graph.inputs.size())
              throw UsageError(fmt::format("the model has {} inputs, {} --input given",
                                           graph.inputs.size(), inputPaths.size()));
            if (outputPaths.size() != graph.outputs.size())
              throw UsageError(fmt::format("the model has {} outputs, {} --output given",
                                           graph.outputs.size(), outputPaths.size()));
            std::vector<Tensor> inputs;
            for (const std::string &p : inputPaths) inputs.push_back(readNpy(p));
            if (codegenPipeline)
              lowerForCodegen(graph, args, "native", stderr);
            else
              runPipeline(graph, args, stderr);
            std::vector<Tensor> outputs =
                engine == "jit" ? runCompiled(graph, inputs) : Interpreter(graph).run(inputs);
            // Serialize everything before writing anything, so an error leaves no output behind.
            for (const Tensor &t : outputs) serializeNpy(t);
            for (size_t i = 0; i < outputs.size(); ++i) writeNpy(outputPaths[i], outputs[i]);
            return 0;
          }};
}

} // namespace qcc::cli
