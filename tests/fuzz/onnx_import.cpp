// Fuzz target: arbitrary bytes as an ONNX model through the loader, the importer and the
// verifier (the importer verifies its result at the import level).
#include "ir/error.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  qcc::fuzz::silenceWarnings();
  try {
    qcc::importOnnxBytes(qcc::fuzz::bytesOf(data, size), "fuzz.onnx", "",
                         qcc::fuzz::importOptions());
  } catch (const qcc::Error &) {
  }
  return 0;
}
