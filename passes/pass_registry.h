// Passes by name. Each pass file registers itself with a static PassRegistration; the pass
// library is linked as objects so that every registration is present. Pipelines (pipeline.h)
// and tools (`qcc-opt --passes=`) create passes by name.
#pragma once

#include "passes/pass_manager.h"

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace qcc {

struct PassInfo {
  std::string name;
  std::string summary;
  std::function<std::unique_ptr<Pass>(const PassOptions &)> create;
};

class PassRegistry {
public:
  static PassRegistry &instance();
  void add(PassInfo info);
  // Fails with the list of known passes when `name` is unknown.
  std::unique_ptr<Pass> create(const std::string &name, const PassOptions &options = {}) const;
  const std::map<std::string, PassInfo> &passes() const { return passes_; }

private:
  std::map<std::string, PassInfo> passes_;
};

struct PassRegistration {
  explicit PassRegistration(PassInfo info) { PassRegistry::instance().add(std::move(info)); }
};

} // namespace qcc
