// Fuzz target: arbitrary bytes through the .npy reader; a tensor that reads must write back to
// a file that reads as the same tensor.
#include "ir/npy.h"

#include "ir/error.h"
#include "tests/fuzz/fuzz_common.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  qcc::Tensor tensor;
  try {
    tensor = qcc::parseNpy(qcc::fuzz::bytesOf(data, size), "fuzz.npy");
  } catch (const qcc::Error &) {
    return 0;
  }
  if (!(qcc::parseNpy(qcc::serializeNpy(tensor), "written.npy") == tensor)) {
    std::fprintf(stderr, "a .npy tensor does not read back as written\n");
    std::abort();
  }
  return 0;
}
