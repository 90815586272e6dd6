// The x86 instruction-set features each x86 target's code may use, with where CPUID reports
// them: to tell whether this host can run a target's code (JIT, tests) and for the start-up
// dispatch of a library built for several x86 targets. No LLVM types.
#pragma once

#include "codegen/target.h"

#include <cstdint>
#include <vector>

namespace qcc {

struct X86Feature {
  const char *name; // LLVM's name, as llvm::sys::getHostCPUFeatures reports it
  uint32_t leaf;    // CPUID leaf and subleaf
  uint32_t subleaf;
  unsigned reg; // 0 eax, 1 ebx, 2 ecx, 3 edx
  unsigned bit;
};

// Every feature `target`'s code may use: those of its x86-64 level (v2, v3, v4) and the
// extra ones in its feature string. Fails for a target whose CPU is not an x86-64 level.
std::vector<X86Feature> x86Requirements(const CodegenTarget &target);

// The XCR0 bits the operating system must set for the target's register state (AVX: 0x6,
// AVX-512: 0xe6); 0 when SSE state suffices.
uint64_t x86StateMask(const CodegenTarget &target);

} // namespace qcc
