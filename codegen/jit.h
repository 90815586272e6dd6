// Running a graph through the generated code in-process (ORC JIT), for `qcc run --engine=jit`,
// `qcc verify`, the kernel tests and the kernel benchmarks. No LLVM types.
#pragma once

#include "codegen/parallel.h"
#include "codegen/target.h"
#include "ir/graph.h"
#include "runtime/qcc_parallel.h"

#include <memory>
#include <string>
#include <vector>

namespace qcc {

// Whether this host can run code generated for `target`: the same architecture, and every
// instruction-set feature the target's code may use.
bool hostRuns(const CodegenTarget &target);

// A graph compiled in memory for a target this host runs: the module `qcc compile` would emit,
// called through NAME_run like a C caller of the library; with parallel.threads > 1 also
// through NAME_run_parallel.
class CompiledGraph {
public:
  // Fails when the host cannot run `target` or a op has no kernel.
  explicit CompiledGraph(const Graph &graph, const std::string &target = "native",
                         const ParallelOptions &parallel = {});
  ~CompiledGraph();
  CompiledGraph(const CompiledGraph &) = delete;
  CompiledGraph &operator=(const CompiledGraph &) = delete;

  // One tensor per graph output; `inputs` one per graph input, of the input's type. With `par`,
  // through NAME_run_parallel (parallel.threads > 1 only).
  std::vector<Tensor> run(const std::vector<Tensor> &inputs,
                          const qcc_parallel *par = nullptr) const;
  // NAME_run itself (DESIGN §7): raw buffers and an arena of arenaBytes(), 64-byte aligned.
  int runRaw(const void *const *inputs, void *const *outputs, void *arena) const;
  // NAME_run_parallel (docs/codegen.md); fails when compiled with parallel.threads <= 1.
  int runParallelRaw(const void *const *inputs, void *const *outputs, void *arena,
                     const qcc_parallel *par) const;
  int64_t arenaBytes() const;
  // The ops NAME_run_parallel runs in slices.
  int slicedOps() const;

private:
  struct State;
  std::unique_ptr<State> state_;
};

// Compiles `graph` for `target` (default: the host) and runs it once on `inputs`.
std::vector<Tensor> runCompiled(const Graph &graph, const std::vector<Tensor> &inputs,
                                const std::string &target = "native");

} // namespace qcc
