// The options of the parallel entry point NAME_run_parallel (`qcc compile --threads=N`,
// docs/codegen.md). No LLVM types.
#pragma once

#include <cstdint>

namespace qcc {

// The default of ParallelOptions::minWork: 2^23 bit operations, about 10 us of a binary conv
// on one AVX-512 core, well above the cost of handing a layer to a thread pool.
constexpr int64_t kDefaultSplitMinWork = int64_t{1} << 23;

// The parallel entry point NAME_run_parallel (docs/codegen.md), exported when threads > 1. Each
// op whose kernel family slices it (KernelSlicing), with at least minWork bit operations and at
// least `threads` units, gets a sliced kernel; NAME_run_parallel runs it as up to 4 x `threads`
// slices through the caller's qcc_parallel (runtime/qcc_parallel.h); NAME_run runs it as one.
struct ParallelOptions {
  int threads = 1;
  int64_t minWork = kDefaultSplitMinWork;
};

} // namespace qcc
