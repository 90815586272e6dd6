#include "passes/pass_manager.h"

#include "ir/error.h"
#include "ir/verifier.h"

#include <algorithm>
#include <fmt/ranges.h>

namespace qcc {

void PassManager::add(std::unique_ptr<Pass> pass) {
  passes_.push_back(std::move(pass));
}

void PassManager::dumpAfter(std::string passName, std::function<void(const Graph &)> dump) {
  dumpAfter_ = std::move(passName);
  dump_ = std::move(dump);
}

std::vector<std::string> PassManager::pipeline() const {
  std::vector<std::string> names;
  for (const auto &p : passes_) names.push_back(p->name());
  return names;
}

Level PassManager::run(Graph &graph, Level start) {
  if (!dumpAfter_.empty()) {
    std::vector<std::string> names = pipeline();
    if (names.empty()) fail("--dump-after: no pass named '{}' (the pipeline is empty)", dumpAfter_);
    if (std::find(names.begin(), names.end(), dumpAfter_) == names.end())
      fail("--dump-after: no pass named '{}' (the pipeline is: {})", dumpAfter_,
           fmt::join(names, ", "));
  }
  timings_.clear();
  Level level = start;
  for (const auto &pass : passes_) {
    auto began = std::chrono::steady_clock::now();
    pass->run(graph);
    timings_.push_back({pass->name(), std::chrono::steady_clock::now() - began});
    level = pass->resultLevel(level);
    if (verify_) {
      try {
        verify(graph, level);
      } catch (const Error &e) {
        fail("internal: the graph after pass '{}' is invalid: {}", pass->name(), e.what());
      }
    }
    if (pass->name() == dumpAfter_) dump_(graph);
  }
  return level;
}

} // namespace qcc
