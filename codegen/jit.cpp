// CompiledGraph: the module `qcc compile` would emit, compiled in memory by ORC's LLJIT and
// called through NAME_run like a C caller of the library would.
#include "codegen/jit.h"

#include "codegen/module_builder.h"
#include "codegen/x86_features.h"
#include "ir/error.h"
#include "ir/memory_plan.h"

#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/SubtargetFeature.h>
#include <llvm/TargetParser/Triple.h>
#include <memory>
#include <sstream>

namespace qcc {
namespace {

constexpr const char *kJitName = "qcc_jit";
using RunFunction = int (*)(const void *const *, void *const *, void *);
using RunParallelFunction = int (*)(const void *const *, void *const *, void *,
                                    const qcc_parallel *);

std::string llvmMessage(llvm::Error error) {
  return llvm::toString(std::move(error));
}

} // namespace

bool hostRuns(const CodegenTarget &target) {
  llvm::Triple triple(target.triple);
  if (triple.getArch() != llvm::Triple(llvm::sys::getProcessTriple()).getArch()) return false;
  auto hostFeatures = llvm::sys::getHostCPUFeatures();
  auto has = [&](const std::string &f) {
    auto it = hostFeatures.find(f);
    return it != hostFeatures.end() && it->second;
  };
  if (target.name == "native") return true;
  if (triple.isX86()) {
    for (const X86Feature &f : x86Requirements(target))
      if (!has(f.name)) return false;
    return true;
  }
  std::stringstream list(target.features);
  std::string item;
  while (std::getline(list, item, ','))
    if (item.size() > 1 && item[0] == '+' && !has(item.substr(1))) return false;
  return true;
}

struct CompiledGraph::State {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  RunFunction run = nullptr;
  RunParallelFunction runParallel = nullptr;
  int64_t arenaBytes = 0;
  int slicedOps = 0;
  std::vector<TensorType> inputTypes, outputTypes;
  std::vector<std::string> inputNames;
};

CompiledGraph::CompiledGraph(const Graph &graph, const std::string &targetName,
                             const ParallelOptions &parallel)
    : state_(std::make_unique<State>()) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  CodegenTarget target = resolveTarget(targetName);
  if (!hostRuns(target))
    fail("this host ({}, {}) cannot run code for target {}", hostTriple(), hostCpu(), target.name);
  std::unique_ptr<llvm::TargetMachine> machine = codegen::createTargetMachine(target);
  auto context = std::make_unique<llvm::LLVMContext>();
  codegen::BuiltModule built =
      codegen::buildModule(graph, kJitName, target, *machine, *context, {}, parallel);
  state_->arenaBytes = built.arenaBytes;
  state_->slicedOps = built.slicedOps;
  for (ValueId v : graph.inputs) {
    state_->inputTypes.push_back(graph.type(v));
    state_->inputNames.push_back(graph.value(v).name);
  }
  for (ValueId v : graph.outputs) state_->outputTypes.push_back(graph.type(v));

  llvm::orc::JITTargetMachineBuilder machineBuilder{llvm::Triple(target.triple)};
  machineBuilder.setCPU(target.cpu);
  machineBuilder.addFeatures(llvm::SubtargetFeatures(target.features).getFeatures());
  machineBuilder.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto jit =
      llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(machineBuilder)).create();
  if (!jit) fail("internal error: cannot create the JIT: {}", llvmMessage(jit.takeError()));
  state_->jit = std::move(*jit);
  if (auto error = state_->jit->addIRModule(
          llvm::orc::ThreadSafeModule(std::move(built.module), std::move(context))))
    fail("internal error: the JIT rejects the module: {}", llvmMessage(std::move(error)));
  auto symbol = state_->jit->lookup(std::string(kJitName) + "_run");
  if (!symbol) fail("internal error: {}", llvmMessage(symbol.takeError()));
  state_->run = symbol->toPtr<RunFunction>();
  if (parallel.threads > 1) {
    auto entry = state_->jit->lookup(std::string(kJitName) + "_run_parallel");
    if (!entry) fail("internal error: {}", llvmMessage(entry.takeError()));
    state_->runParallel = entry->toPtr<RunParallelFunction>();
  }
}

CompiledGraph::~CompiledGraph() = default;

int64_t CompiledGraph::arenaBytes() const {
  return state_->arenaBytes;
}

int CompiledGraph::slicedOps() const {
  return state_->slicedOps;
}

int CompiledGraph::runRaw(const void *const *inputs, void *const *outputs, void *arena) const {
  return state_->run(inputs, outputs, arena);
}

int CompiledGraph::runParallelRaw(const void *const *inputs, void *const *outputs, void *arena,
                                  const qcc_parallel *par) const {
  if (!state_->runParallel)
    fail("internal error: the graph was compiled without a parallel entry point");
  return state_->runParallel(inputs, outputs, arena, par);
}

std::vector<Tensor> CompiledGraph::run(const std::vector<Tensor> &inputs,
                                       const qcc_parallel *par) const {
  const State &s = *state_;
  if (inputs.size() != s.inputTypes.size())
    fail("the graph has {} inputs, {} given", s.inputTypes.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].dtype() != s.inputTypes[i].dtype || inputs[i].shape() != s.inputTypes[i].shape)
      fail("input {} '{}': expected {}, got {}", i, s.inputNames[i], typeString(s.inputTypes[i]),
           typeString(inputs[i].type()));
  // Empty tensors have no storage; any valid address stands for their zero bytes.
  static uint8_t emptyBuffer;
  std::vector<const void *> inputBuffers;
  for (const Tensor &t : inputs)
    inputBuffers.push_back(t.bytes().empty() ? &emptyBuffer : t.bytes().data());
  std::vector<Tensor> outputs;
  for (const TensorType &type : s.outputTypes) outputs.emplace_back(type);
  std::vector<void *> outputBuffers;
  for (Tensor &t : outputs)
    outputBuffers.push_back(t.bytes().empty() ? &emptyBuffer : t.bytes().data());
  std::vector<uint8_t> arenaStorage(static_cast<size_t>(s.arenaBytes + kArenaAlignment));
  void *arena = arenaStorage.data();
  size_t space = arenaStorage.size();
  std::align(static_cast<size_t>(kArenaAlignment), static_cast<size_t>(s.arenaBytes), arena, space);
  int status = par ? runParallelRaw(inputBuffers.data(), outputBuffers.data(), arena, par)
                   : s.run(inputBuffers.data(), outputBuffers.data(), arena);
  if (status != 0) fail("internal error: the compiled graph returned {}", status);
  return outputs;
}

std::vector<Tensor> runCompiled(const Graph &graph, const std::vector<Tensor> &inputs,
                                const std::string &target) {
  CompiledGraph compiled(graph, target);
  return compiled.run(inputs);
}

} // namespace qcc
