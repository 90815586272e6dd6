// The textual IR: one op per line, types inline (see docs/ir.md). print(parse(print(g))) ==
// print(g) for every graph.
#pragma once

#include "ir/graph.h"

#include <string>
#include <string_view>

namespace qcc {

struct PrintOptions {
  // Constants with more elements than this print as raw hex bytes instead of a value list.
  int64_t maxListedElements = 16;
  // Print those constants as `dense<TYPE ...>` (for reading; such text does not parse back).
  bool elideLargeConstants = false;
};

std::string printGraph(const Graph &graph, const PrintOptions &options = {});

// `%name` when the name is made of [A-Za-z0-9_.$-] only, else `%"..."` with escapes.
std::string printValueName(std::string_view name);

} // namespace qcc
