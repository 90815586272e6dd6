#include "ir/diagnostics.h"

#include <cstdio>
#include <mutex>

namespace qcc {
namespace {

std::mutex &handlerMutex() {
  static std::mutex m;
  return m;
}

WarningHandler &currentHandler() {
  static WarningHandler handler;
  return handler;
}

} // namespace

WarningHandler setWarningHandler(WarningHandler handler) {
  std::lock_guard<std::mutex> lock(handlerMutex());
  WarningHandler previous = std::move(currentHandler());
  currentHandler() = std::move(handler);
  return previous;
}

void warn(const std::string &message) {
  std::lock_guard<std::mutex> lock(handlerMutex());
  if (currentHandler())
    currentHandler()(message);
  else
    fmt::print(stderr, "qcc: warning: {}\n", message);
}

WarningCollector::WarningCollector()
    : previous_(setWarningHandler([this](const std::string &m) { warnings_.push_back(m); })) {}

WarningCollector::~WarningCollector() {
  setWarningHandler(std::move(previous_));
}

} // namespace qcc
