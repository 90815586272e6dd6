#include "codegen/kernel.h"

namespace qcc::codegen {

void registerTensorKernels(KernelRegistry &) {}

} // namespace qcc::codegen
