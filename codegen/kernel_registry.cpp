#include "codegen/kernel.h"

namespace qcc::codegen {

const KernelRegistry &KernelRegistry::instance() {
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    registerBinaryKernels(r);
    registerBitserialKernels(r);
    registerTernaryKernels(r);
    registerBitpackKernels(r);
    registerIntegerKernels(r);
    registerQuantKernels(r);
    registerElementwiseKernels(r);
    registerTensorKernels(r);
    registerPoolKernels(r);
    registerFloatKernels(r);
    return r;
  }();
  return registry;
}

void KernelRegistry::add(const std::string &kind, KernelEmitter emitter, KernelSlicer slicer) {
  emitters_[kind] = emitter;
  if (slicer) slicers_[kind] = slicer;
}

KernelEmitter KernelRegistry::find(const std::string &kind) const {
  auto it = emitters_.find(kind);
  return it == emitters_.end() ? nullptr : it->second;
}

KernelSlicer KernelRegistry::findSlicer(const std::string &kind) const {
  auto it = slicers_.find(kind);
  return it == slicers_.end() ? nullptr : it->second;
}

} // namespace qcc::codegen
