// Structural and type checks of a graph: SSA order, known op kinds allowed at the level,
// operand counts, and result types equal to what the registry infers.
#pragma once

#include "ir/graph.h"
#include "ir/op_registry.h"

namespace qcc {

// Throws qcc::Error describing the first problem found.
void verify(const Graph &graph, Level level);

} // namespace qcc
