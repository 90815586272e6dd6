// Small graph-surgery helpers shared by the passes: use counts, use replacement that keeps the
// names of graph outputs stable, restoring the execution order after ops were appended.
#pragma once

#include "ir/graph.h"

#include <string>
#include <vector>

namespace qcc {

// Number of uses of each value (indexed by ValueId): operands of ops plus entries of the graph
// outputs.
std::vector<int> useCounts(const Graph &graph);

bool isGraphInput(const Graph &graph, ValueId id);
bool isGraphOutput(const Graph &graph, ValueId id);

// Replaces every use of `from` (op operands and graph outputs) by `to`. A graph output keeps its
// name: when `from` is a graph output, `from` and `to` swap names, so `to` is now listed under
// the output's name. Returns false and changes nothing when that is impossible because `to` is a
// graph input or a graph output itself (renaming it would change the graph's interface).
bool replaceAllUses(Graph &graph, ValueId from, ValueId to);

// replaceAllUses for a rewrite that makes `from` dead: `to` also takes the name of `from`, so the
// IR keeps the source model's value names. Same failure rule as replaceAllUses.
bool replaceValue(Graph &graph, ValueId from, ValueId to);

// Puts the ops back into an execution order after ops were appended out of place (for example
// with Builder, which appends): ops already in a valid place keep their order, an appended op
// moves right before its first user; the values' defining-op indices are updated. Fails
// (internal error) on a cycle.
void sortOps(Graph &graph);

} // namespace qcc
