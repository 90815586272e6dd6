// The standard pipelines: the passes that take an imported graph to the quantized and to the
// lowered level, in order.
#pragma once

#include "passes/pass_manager.h"

#include <string>
#include <vector>

namespace qcc {

// Pass names, in order, from the import level to `level`.
std::vector<std::string> pipelinePasses(Level level);
// Adds those passes to `pm`; fails naming a pass that is not available.
void addPipeline(PassManager &pm, Level level, const PassOptions &options = {});

} // namespace qcc
