// Arena memory planning: where each intermediate value of a graph lives in the one scratch arena
// the caller of a compiled model provides (DESIGN §7). The plan_memory pass records the plan on
// the ops (attr `arena_offsets`); codegen and `qcc report` read it. See docs/report.md.
#pragma once

#include "ir/graph.h"

#include <string_view>
#include <vector>

namespace qcc {

// Every arena offset is a multiple of this; the arena itself must be aligned to it.
constexpr int64_t kArenaAlignment = 64;

// Bytes a value of `type` occupies in memory: elements times the bytes of the storage type
// (the rule Tensor allocates by; packed layouts have their storage shape in the type).
int64_t tensorBytes(const TensorType &type);

// Ops whose result holds exactly the bytes of their operand (reshape and its aliases). Their
// result may share the operand's bytes; codegen emits nothing for such an op.
bool isByteView(std::string_view kind);

// Which values the arena holds, when they are live, and where they are.
//
// In the arena: every result of a non-constant op, and graph inputs whose type is not the
// caller's format (f32, plain layout: the artifact API passes float buffers) because they are
// converted into the arena before the first op. Not in the arena: constants (constant data),
// f32 graph inputs (read from the caller's buffer) and f32 graph outputs (written straight into
// the caller's buffer, also when a later op reads them).
struct MemoryPlan {
  // Indexed by ValueId. `offset` is the byte offset in the arena, -1 for values not in it.
  std::vector<int64_t> offset;
  // Storage bytes of each value (tensorBytes of its type), in the arena or not.
  std::vector<int64_t> bytes;
  // Liveness of arena values as op indices, both ends included: from the op that defines the
  // value (0 for a graph input) to the last op that reads it (the last op for graph outputs).
  // -1 for values not in the arena.
  std::vector<int32_t> firstUse;
  std::vector<int32_t> lastUse;
  // In place: the operand of a byte view whose bytes this value reuses, else kNoValue.
  std::vector<ValueId> sharesWith;
  // One past the highest byte used, rounded up to kArenaAlignment.
  int64_t arenaBytes = 0;
  // The liveness lower bound: the largest sum, over op indices, of the 64-byte aligned sizes of
  // the buffers live at that op (values sharing bytes count once). No assignment of offsets to
  // these buffers can use less.
  int64_t lowerBoundBytes = 0;

  bool inArena(ValueId v) const { return offset.at(static_cast<size_t>(v)) >= 0; }
};

// Computes the plan for `graph` (one that verifies, at any level). Deterministic: the same graph
// gives the same plan.
MemoryPlan planMemory(const Graph &graph);

} // namespace qcc
