// The artifact of `qcc compile` (DESIGN §7, docs/codegen.md): a static library with one object
// holding the compiled graph, the C header of its API, and on request the object, assembly and
// LLVM IR alone. No LLVM types.
#pragma once

#include "codegen/parallel.h"
#include "codegen/target.h"
#include "ir/graph.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qcc {

// `text` made a C identifier: characters other than [A-Za-z0-9_] become '_', and a name that
// is empty or starts with a digit gets the prefix "model_".
std::string cIdentifier(std::string_view text);

// Which outputs to produce.
struct ArtifactRequest {
  bool library = true;
  bool header = true;
  bool object = false;
  bool assembly = false;
  bool llvmIr = false;
  // A line for the header's first comment, e.g. the model file.
  std::string source;
};

// The requested outputs, as bytes; empty when not requested.
struct Artifact {
  std::string library;  // libNAME.a: one member, NAME.o
  std::string header;   // NAME.h
  std::string object;   // NAME.o
  std::string assembly; // NAME.s
  std::string llvmIr;   // NAME.ll, the optimised module
  int64_t arenaBytes = 0;
  int slicedOps = 0; // ops NAME_run_parallel runs in slices
};

// Compiles `graph` for `target` into the artifact of C API prefix `name` (a C identifier).
// Deterministic: the same graph, name, target and request give the same bytes. Fails naming
// the first op no kernel emitter compiles, or the symbol when the object would need anything
// from outside other than memcpy and memset. `parallel.threads` > 1 adds NAME_run_parallel to
// the library and the header.
Artifact buildArtifact(const Graph &graph, const std::string &name, const CodegenTarget &target,
                       const ArtifactRequest &request, const ParallelOptions &parallel = {});
// The same for several x86 targets in one library whose NAME_run runs the code of the highest
// target the CPU has, chosen once at start-up (docs/codegen.md); `targets` as
// resolveTargetList returns them. Such a library has no NAME_run_parallel: fails for
// parallel.threads > 1 with several targets.
Artifact buildArtifact(const Graph &graph, const std::string &name,
                       const std::vector<CodegenTarget> &targets, const ArtifactRequest &request,
                       const ParallelOptions &parallel = {});

// A `--target` value: one target name, or a comma-separated list of x86 targets for a library
// that dispatches among them (returned in ascending order of level). Fails naming the problem.
std::vector<CodegenTarget> resolveTargetList(const std::string &list);

// The C header of the artifact API for `graph` (DESIGN §7); threads > 1 adds qcc_parallel,
// NAME_THREADS and NAME_run_parallel.
std::string cHeader(const Graph &graph, const std::string &name, int64_t arenaBytes,
                    const std::string &source, int threads = 1);

// Writes each (path, bytes) to a temporary file in the path's folder, then renames all of them
// into place: on an error before the renames, no file is created or changed.
void writeFilesAtomically(const std::vector<std::pair<std::string, std::string>> &files);

} // namespace qcc
