#include "passes/pipeline.h"

#include "passes/pass_registry.h"

namespace qcc {

std::vector<std::string> pipelinePasses(Level level) {
  std::vector<std::string> names;
  if (level == kImportLevel) return names;
  names = {"canonicalize", "fold_batchnorm", "qdq_to_quantized", "streamline", "canonicalize"};
  if (level == kQuantizedLevel) return names;
  for (const char *p : {"select_kernels", "pack_weights", "layout", "fuse", "plan_memory"})
    names.emplace_back(p);
  return names;
}

void addPipeline(PassManager &pm, Level level, const PassOptions &options) {
  for (const std::string &name : pipelinePasses(level))
    pm.add(PassRegistry::instance().create(name, options));
}

} // namespace qcc
