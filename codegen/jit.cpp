// runCompiled: the module `qcc compile` would emit for the host, compiled in memory by ORC's
// LLJIT and called through NAME_run like a C caller of the library would.
#include "codegen/jit.h"

#include "codegen/module_builder.h"
#include "ir/error.h"
#include "ir/memory_plan.h"

#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/TargetParser/SubtargetFeature.h>
#include <memory>

namespace qcc {
namespace {

constexpr const char *kJitName = "qcc_jit";

std::string llvmMessage(llvm::Error error) {
  return llvm::toString(std::move(error));
}

void checkInputs(const Graph &graph, const std::vector<Tensor> &inputs) {
  if (inputs.size() != graph.inputs.size())
    fail("the graph has {} inputs, {} given", graph.inputs.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value &v = graph.value(graph.inputs[i]);
    if (inputs[i].dtype() != v.type.dtype || inputs[i].shape() != v.type.shape)
      fail("input {} '{}': expected {}, got {}", i, v.name, typeString(v.type),
           typeString(inputs[i].type()));
  }
}

} // namespace

std::vector<Tensor> runCompiled(const Graph &graph, const std::vector<Tensor> &inputs) {
  checkInputs(graph, inputs);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  CodegenTarget target = resolveTarget("native");
  std::unique_ptr<llvm::TargetMachine> machine = codegen::createTargetMachine(target);
  auto context = std::make_unique<llvm::LLVMContext>();
  codegen::BuiltModule built = codegen::buildModule(graph, kJitName, target, *machine, *context);

  llvm::orc::JITTargetMachineBuilder machineBuilder{llvm::Triple(target.triple)};
  machineBuilder.setCPU(target.cpu);
  machineBuilder.addFeatures(llvm::SubtargetFeatures(target.features).getFeatures());
  machineBuilder.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto jit =
      llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(machineBuilder)).create();
  if (!jit) fail("internal error: cannot create the JIT: {}", llvmMessage(jit.takeError()));
  if (auto error = (*jit)->addIRModule(
          llvm::orc::ThreadSafeModule(std::move(built.module), std::move(context))))
    fail("internal error: the JIT rejects the module: {}", llvmMessage(std::move(error)));
  auto symbol = (*jit)->lookup(std::string(kJitName) + "_run");
  if (!symbol) fail("internal error: {}", llvmMessage(symbol.takeError()));
  auto *run = symbol->toPtr<int (*)(const void *const *, void *const *, void *)>();

  // Empty tensors have no storage; any valid address stands for their zero bytes.
  static uint8_t emptyBuffer;
  std::vector<const void *> inputBuffers;
  for (const Tensor &t : inputs)
    inputBuffers.push_back(t.bytes().empty() ? &emptyBuffer : t.bytes().data());
  std::vector<Tensor> outputs;
  for (ValueId v : graph.outputs) outputs.emplace_back(graph.type(v));
  std::vector<void *> outputBuffers;
  for (Tensor &t : outputs)
    outputBuffers.push_back(t.bytes().empty() ? &emptyBuffer : t.bytes().data());
  std::vector<uint8_t> arenaStorage(static_cast<size_t>(built.arenaBytes + kArenaAlignment));
  void *arena = arenaStorage.data();
  size_t space = arenaStorage.size();
  std::align(static_cast<size_t>(kArenaAlignment), static_cast<size_t>(built.arenaBytes), arena,
             space);
  int status = run(inputBuffers.data(), outputBuffers.data(), arena);
  if (status != 0) fail("internal error: the compiled graph returned {}", status);
  return outputs;
}

} // namespace qcc
