#include "codegen/kernel.h"

namespace qcc::codegen {

void registerTernaryKernels(KernelRegistry &) {}

} // namespace qcc::codegen
