// Running a graph through the generated code in-process (ORC JIT), for `qcc run --engine=jit`,
// `qcc verify` and the kernel tests. No LLVM types.
#pragma once

#include "codegen/target.h"
#include "ir/graph.h"

#include <vector>

namespace qcc {

// Compiles `graph` (any level; every op must have a kernel emitter) for the host and runs it on
// `inputs` (one per graph input, of the input's type). Returns one tensor per graph output.
std::vector<Tensor> runCompiled(const Graph &graph, const std::vector<Tensor> &inputs);

} // namespace qcc
