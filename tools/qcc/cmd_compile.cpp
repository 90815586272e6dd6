// qcc compile: a model to a static library and its C header (DESIGN §7, docs/codegen.md).
#include "codegen/artifact.h"
#include "frontend/onnx_import.h"
#include "ir/printer.h"
#include "tools/qcc/bits_flags.h"
#include "tools/qcc/codegen_flags.h"
#include "tools/qcc/commands.h"

#include <filesystem>
#include <fmt/format.h>

namespace qcc::cli {
namespace {

struct EmitKinds {
  bool library = false;
  bool header = false;
  bool object = false;
  bool assembly = false;
  bool llvmIr = false;
  bool qccIr = false;
};

EmitKinds emitOption(const ParsedArgs &args) {
  if (!args.has("emit")) return {.library = true, .header = true};
  EmitKinds kinds;
  for (const std::string &value : args.all("emit")) {
    size_t begin = 0;
    while (begin <= value.size()) {
      size_t end = std::min(value.find(',', begin), value.size());
      std::string kind = value.substr(begin, end - begin);
      bool *slot = kind == "lib"      ? &kinds.library
                   : kind == "header" ? &kinds.header
                   : kind == "obj"    ? &kinds.object
                   : kind == "asm"    ? &kinds.assembly
                   : kind == "llvm"   ? &kinds.llvmIr
                   : kind == "ir"     ? &kinds.qccIr
                                      : nullptr;
      if (!slot)
        throw UsageError(fmt::format(
            "--emit: unknown output '{}' (available: lib, header, obj, asm, llvm, ir)", kind));
      *slot = true;
      begin = end + 1;
    }
  }
  return kinds;
}

// NAME: --name, else the library's file name without "lib" and extension, else the model's
// file stem; always made a C identifier.
std::string artifactName(const ParsedArgs &args, const std::string &model) {
  if (args.has("name")) return cIdentifier(args.get("name"));
  if (args.has("output")) {
    std::string stem = std::filesystem::path(args.get("output")).stem().string();
    if (stem.size() > 3 && stem.compare(0, 3, "lib") == 0) stem = stem.substr(3);
    return cIdentifier(stem);
  }
  return cIdentifier(std::filesystem::path(model).stem().string());
}

} // namespace

Command compileCommand() {
  CommandSpec spec{
      .name = "compile",
      .synopsis = "MODEL.onnx [-o libNAME.a] [options]",
      .summary = "Compile a model to a static library libNAME.a and its C header NAME.h (the\n"
                 "header's API: docs/codegen.md). The other outputs of --emit are written next\n"
                 "to the library as NAME.o, NAME.s, NAME.ll (LLVM IR) and NAME.qir (lowered IR).\n"
                 "Every file is written only when the whole compilation succeeded.",
      .options = {{"output", "libNAME.a",
                   "the library to write (also -o; default libNAME.a in the current folder)",
                   false},
                  {"name", "N",
                   "the C API prefix NAME (default: from --output, else the model's file name)",
                   false},
                  compileTargetOptionSpec(),
                  {"emit", "KINDS",
                   "outputs, comma-separated: lib, header, obj, asm, llvm, ir (default lib,header)",
                   true}},
      .minPositional = 0,
      .maxPositional = 1,
  };
  for (OptionSpec &option : codegenOptionSpecs("stdout")) spec.options.push_back(option);
  for (OptionSpec &option : parallelOptionSpecs()) spec.options.push_back(option);
  for (OptionSpec &option : importOptionSpecs()) spec.options.push_back(option);
  for (OptionSpec &option : bitsOptionSpecs()) spec.options.push_back(option);
  Command command{
      spec, [spec](const ParsedArgs &args) {
        if (args.positional.empty())
          throw UsageError(fmt::format("'qcc compile' needs {}", spec.synopsis));
        const std::string &model = args.positional[0];
        std::string targetName = targetListOption(args);
        EmitKinds emit = emitOption(args);
        checkCodegenFlags(args);
        ParallelOptions parallel = parallelOption(args);
        if (parallel.threads > 1 && targetName.find(',') != std::string::npos)
          throw UsageError("--threads: a library for a list of targets has no parallel entry "
                           "point; compile it for one target");
        std::string name = artifactName(args, model);
        std::filesystem::path library = args.has("output")
                                            ? std::filesystem::path(args.get("output"))
                                            : std::filesystem::path("lib" + name + ".a");
        std::filesystem::path folder = library.parent_path();

        Graph graph = importModel(model, args, targetName);
        lowerForCodegen(graph, args, targetName, stdout);
        ArtifactRequest request;
        request.library = emit.library;
        request.header = emit.header;
        request.object = emit.object;
        request.assembly = emit.assembly;
        request.llvmIr = emit.llvmIr;
        request.source = fmt::format("{} for target {}",
                                     std::filesystem::path(model).filename().string(), targetName);
        Artifact artifact =
            buildArtifact(graph, name, resolveTargetList(targetName), request, parallel);

        std::vector<std::pair<std::string, std::string>> files;
        auto add = [&](bool wanted, const std::string &file, std::string bytes) {
          if (wanted) files.emplace_back((folder / file).string(), std::move(bytes));
        };
        add(emit.library, library.filename().string(), std::move(artifact.library));
        add(emit.header, name + ".h", std::move(artifact.header));
        add(emit.object, name + ".o", std::move(artifact.object));
        add(emit.assembly, name + ".s", std::move(artifact.assembly));
        add(emit.llvmIr, name + ".ll", std::move(artifact.llvmIr));
        if (emit.qccIr) add(true, name + ".qir", printGraph(graph));
        writeFilesAtomically(files);
        return 0;
      }};
  command.shortOptions = {{"-o", "output"}};
  return command;
}

} // namespace qcc::cli
