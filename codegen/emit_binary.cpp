#include "codegen/kernel.h"

namespace qcc::codegen {

void registerBinaryKernels(KernelRegistry &) {}

} // namespace qcc::codegen
