// Reads the textual IR written by printGraph.
#pragma once

#include "ir/graph.h"

#include <string_view>

namespace qcc {

// Parses one graph; errors name `sourceName`, line and column.
Graph parseGraph(std::string_view text, std::string_view sourceName = "<input>");

} // namespace qcc
