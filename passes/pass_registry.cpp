#include "passes/pass_registry.h"

#include "ir/error.h"

#include <fmt/ranges.h>

namespace qcc {

PassRegistry &PassRegistry::instance() {
  static PassRegistry registry;
  return registry;
}

void PassRegistry::add(PassInfo info) {
  std::string name = info.name;
  if (!passes_.emplace(name, std::move(info)).second)
    fail("internal: pass '{}' registered twice", name);
}

std::unique_ptr<Pass> PassRegistry::create(const std::string &name,
                                           const PassOptions &options) const {
  auto it = passes_.find(name);
  if (it == passes_.end()) {
    std::vector<std::string> names;
    for (const auto &[n, info] : passes_) names.push_back(n);
    fail("no pass named '{}' (known passes: {})", name, fmt::join(names, ", "));
  }
  return it->second.create(options);
}

} // namespace qcc
