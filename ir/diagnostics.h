// Warnings: things qcc does that a user should know about but that do not stop it (an op kept
// in float, an export quirk imported by a documented rule). The CLI prints them as
// `qcc: warning: ...` on stderr; tests can capture them.
#pragma once

#include <fmt/format.h>
#include <functional>
#include <string>
#include <vector>

namespace qcc {

using WarningHandler = std::function<void(const std::string &)>;

// Installs `handler` (nullptr: print to stderr) and returns the previous one.
WarningHandler setWarningHandler(WarningHandler handler);
void warn(const std::string &message);

template <typename... Args> void warn(fmt::format_string<Args...> format, Args &&...args) {
  warn(fmt::format(format, std::forward<Args>(args)...));
}

// Collects warnings for its lifetime (restoring the previous handler afterwards).
class WarningCollector {
public:
  WarningCollector();
  ~WarningCollector();
  WarningCollector(const WarningCollector &) = delete;
  WarningCollector &operator=(const WarningCollector &) = delete;
  const std::vector<std::string> &warnings() const { return warnings_; }

private:
  std::vector<std::string> warnings_;
  WarningHandler previous_;
};

} // namespace qcc
