// Shared setup of the fuzz targets: limits small enough that every input runs in bounded memory
// and time under the sanitizers, and warnings silenced. Only qcc::Error is an acceptable
// failure; any other exception, a sanitizer report, a leak or a timeout is a bug.
#pragma once

#include "frontend/onnx_import.h"
#include "ir/diagnostics.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace qcc::fuzz {

// `maxTensorBytes` bounds every value of the graph, and with it the work of the passes.
inline ImportOptions importOptions(int64_t maxTensorBytes = int64_t{16} << 20) {
  ImportOptions options;
  options.limits.maxModelBytes = int64_t{16} << 20;
  options.limits.maxTensorBytes = maxTensorBytes;
  options.limits.maxNodes = 10'000;
  return options;
}

inline void silenceWarnings() {
  static const bool silenced = [] {
    setWarningHandler([](const std::string &) {});
    return true;
  }();
  (void)silenced;
}

inline std::string_view bytesOf(const uint8_t *data, size_t size) {
  return {reinterpret_cast<const char *>(data), size};
}

} // namespace qcc::fuzz
