#include "codegen/kernel.h"

namespace qcc::codegen {

void registerPoolKernels(KernelRegistry &) {}

} // namespace qcc::codegen
