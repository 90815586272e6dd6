#include "codegen/kernel.h"

namespace qcc::codegen {

void registerBitpackKernels(KernelRegistry &) {}

} // namespace qcc::codegen
