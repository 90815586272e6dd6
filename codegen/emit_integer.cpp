#include "codegen/kernel.h"

namespace qcc::codegen {

void registerIntegerKernels(KernelRegistry &) {}

} // namespace qcc::codegen
