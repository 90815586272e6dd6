#include "codegen/kernel.h"

namespace qcc::codegen {

void registerQuantKernels(KernelRegistry &) {}

} // namespace qcc::codegen
