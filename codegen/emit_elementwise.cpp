#include "codegen/kernel.h"

namespace qcc::codegen {

void registerElementwiseKernels(KernelRegistry &) {}

} // namespace qcc::codegen
