// A library for several x86 targets (`--target=x86_64,x86_64-v3,x86_64-v4`): the graph compiled
// once per target in one module, and a NAME_run that the program loader binds, once at
// start-up, to the code of the highest target the CPU runs (a GNU indirect function whose
// resolver reads CPUID and XCR0). Only codegen includes this header.
#pragma once

#include "codegen/module_builder.h"

#include <vector>

namespace qcc::codegen {

// `targets`: x86 targets in ascending order of level; the first is the fallback, also for CPUs
// that have none of the others' features. Emit the module with the first target's machine:
// every function carries its own target's CPU and features.
BuiltModule buildDispatchModule(const Graph &graph, const std::string &name,
                                const std::vector<CodegenTarget> &targets,
                                llvm::LLVMContext &context);

} // namespace qcc::codegen
