#include "codegen/kernel.h"

namespace qcc::codegen {

void registerBitserialKernels(KernelRegistry &) {}

} // namespace qcc::codegen
