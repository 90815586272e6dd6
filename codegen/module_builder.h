// Builds the LLVM module of a graph: one kernel function per op (bodies by the kernel emitters,
// codegen/kernel.h), the constants, and the entry point and tables of the artifact API
// (DESIGN §7, docs/codegen.md). `qcc compile` emits it as an object; the JIT runs the same module.
// Only codegen includes this header.
#pragma once

#include "codegen/parallel.h"
#include "codegen/target.h"
#include "ir/graph.h"
#include "ir/memory_plan.h"

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>
#include <memory>
#include <string>

namespace qcc::codegen {

// A TargetMachine for `target` (position-independent code, optimisation level O3). Fails when
// LLVM has no backend for the target's architecture.
std::unique_ptr<llvm::TargetMachine> createTargetMachine(const CodegenTarget &target);

struct BuiltModule {
  std::unique_ptr<llvm::Module> module;
  MemoryPlan plan;
  // Bytes of the arena NAME_run needs (NAME_ARENA_SIZE): the plan's, at least one alignment
  // unit so that a C caller can declare it as an array.
  int64_t arenaBytes = 0;
  // Ops whose kernels NAME_run_parallel runs in slices (ParallelOptions).
  int slicedOps = 0;
};

// What the module exports: by default NAME_run and the NAME_* tables. A library for several
// x86 targets links one module per target, each with its own entry point, and the tables once.
struct ModuleExports {
  std::string runSymbol; // NAME_run when empty
  bool tables = true;
};

// The optimised, verified module of `graph` exporting the entry point and the NAME_* tables,
// `name` a C identifier. Every op other than constants and byte views needs a kernel emitter;
// fails naming the first op that has none. Deterministic: the same graph, name and target give
// the same module.
BuiltModule buildModule(const Graph &graph, const std::string &name, const CodegenTarget &target,
                        llvm::TargetMachine &machine, llvm::LLVMContext &context,
                        const ModuleExports &exports = {}, const ParallelOptions &parallel = {});

// The checks of the artifact's promises (DESIGN §7) on a finished module: valid IR, no writable
// global, no call outside memcpy and memset.
void checkArtifactModule(const llvm::Module &module, const std::string &name);

} // namespace qcc::codegen
