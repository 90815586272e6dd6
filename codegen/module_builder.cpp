#include "codegen/module_builder.h"

#include "codegen/kernel.h"
#include "ir/error.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/ErrorHandling.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Triple.h>
#include <mutex>

namespace qcc::codegen {

namespace {

// LLVM stops on errors it cannot recover from (e.g. an instruction it cannot select): qcc's
// error format and exit code instead of an abort. Nothing has been written yet: outputs are
// written only after code generation (writeFilesAtomically).
void reportLlvmFailure(void *, const char *reason, bool) {
  std::fprintf(stderr, "qcc: error: internal error: LLVM cannot generate the code: %s\n", reason);
  std::_Exit(1);
}

} // namespace

std::unique_ptr<llvm::TargetMachine> createTargetMachine(const CodegenTarget &target) {
  static std::once_flag initialized;
  std::call_once(initialized, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    // The start-up dispatch of multi-target libraries uses inline assembly (cpuid, xgetbv).
    llvm::InitializeAllAsmParsers();
    llvm::install_fatal_error_handler(reportLlvmFailure);
  });
  std::string error;
  const llvm::Target *backend = llvm::TargetRegistry::lookupTarget(target.triple, error);
  if (!backend)
    fail("target '{}': LLVM has no backend for {}: {}", target.name, target.triple, error);
  llvm::TargetOptions options;
  llvm::Triple triple(target.triple);
  // Arm: memcpy and memset called by their C names, as GCC does, not as the run-time ABI's
  // __aeabi_memcpy4, __aeabi_memclr8, ... (C libraries for Arm have both).
  if (triple.isARM() || triple.isThumb()) options.EABIVersion = llvm::EABI::GNU;
  // Bare-metal objects are linked at fixed addresses: static relocations, no GOT.
  bool bareMetal = triple.getOS() == llvm::Triple::UnknownOS;
  std::unique_ptr<llvm::TargetMachine> machine(
      backend->createTargetMachine(target.triple, target.cpu, target.features, options,
                                   bareMetal ? llvm::Reloc::Static : llvm::Reloc::PIC_,
                                   std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine) fail("target '{}': LLVM cannot generate code for {}", target.name, target.triple);
  return machine;
}

namespace {

const llvm::Align kBufferAlign(static_cast<uint64_t>(kArenaAlignment));

// What the generated code may call: the artifact runs with libc's memcpy and memset only.
bool isAllowedExternal(llvm::StringRef name) {
  return name == "memcpy" || name == "memset";
}

// Return codes of NAME_run (docs/codegen.md).
constexpr int kRunOk = 0;
constexpr int kRunNullArgument = 1;
constexpr int kRunMisalignedArena = 2;

class ModuleBuilder {
public:
  ModuleBuilder(const Graph &graph, const std::string &name, const CodegenTarget &target,
                const ModuleExports &exports, const ParallelOptions &parallel,
                llvm::TargetMachine &machine, llvm::LLVMContext &context)
      : graph_(graph), name_(name), target_(target), exports_(exports), parallel_(parallel),
        machine_(machine), context_(context),
        module_(std::make_unique<llvm::Module>(name, context)), plan_(planMemory(graph)),
        units_(graph.ops.size(), 0) {
    if (parallel.threads < 1)
      fail("internal error: {} threads for the parallel entry point", parallel.threads);
    module_->setTargetTriple(machine.getTargetTriple().str());
    module_->setDataLayout(machine.createDataLayout());
    ptr_ = llvm::PointerType::getUnqual(context);
    sizeType_ = module_->getDataLayout().getIntPtrType(context);
  }

  BuiltModule build() {
    checkEmitters();
    std::vector<llvm::Function *> kernels(graph_.ops.size(), nullptr);
    for (size_t i = 0; i < graph_.ops.size(); ++i)
      if (needsKernel(graph_.ops[i])) kernels[i] = emitKernel(i);
    emitRun(kernels, false);
    if (parallel_.threads > 1) emitRun(kernels, true);
    if (exports_.tables) emitTables();
    setTargetAttributes();
    optimize();
    checkArtifactModule(*module_, name_);
    int64_t arenaBytes = std::max(plan_.arenaBytes, kArenaAlignment);
    int sliced = static_cast<int>(
        std::count_if(units_.begin(), units_.end(), [](int64_t units) { return units > 0; }));
    return {std::move(module_), std::move(plan_), arenaBytes, sliced};
  }

private:
  static bool needsKernel(const Op &op) { return op.kind != "constant" && !isByteView(op.kind); }

  void checkEmitters() const {
    for (const Op &op : graph_.ops)
      if (needsKernel(op) && !KernelRegistry::instance().find(op.kind))
        fail("cannot compile {}: no kernel for ops of kind '{}' (target {})", op.describe(),
             op.kind, target_.name);
  }

  // Where a value's bytes are while NAME_run runs, for the pointer attributes of the kernels:
  // 64-byte aligned in the arena and in constants, caller buffers have no known alignment.
  bool isAligned(ValueId v) const { return graph_.constantValue(v) != nullptr || plan_.inArena(v); }

  // The units of a sliced kernel for op `index`, or 0 when it runs in one piece.
  int64_t sliceUnits(size_t index) const {
    const Op &op = graph_.ops[index];
    KernelSlicer slicer = KernelRegistry::instance().findSlicer(op.kind);
    if (parallel_.threads < 2 || !slicer) return 0;
    std::optional<KernelSlicing> slicing = slicer(KernelRequest{graph_, op, target_, false});
    if (!slicing || slicing->units < parallel_.threads || slicing->work < parallel_.minWork)
      return 0;
    return slicing->units;
  }

  llvm::Function *emitKernel(size_t index) {
    const Op &op = graph_.ops[index];
    size_t arity = op.inputs.size() + op.outputs.size();
    units_[index] = sliceUnits(index);
    std::vector<llvm::Type *> params(arity, ptr_);
    if (units_[index] > 0) params.insert(params.end(), 2, llvm::Type::getInt64Ty(context_));
    auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(context_), params, false);
    auto *function =
        llvm::Function::Create(type, llvm::GlobalValue::InternalLinkage,
                               fmt::format("{}_op{}_{}", name_, index, op.kind), module_.get());
    function->addFnAttr(llvm::Attribute::NoUnwind);
    function->addFnAttr(llvm::Attribute::NoInline);
    for (size_t a = 0; a < arity; ++a) {
      bool isOperand = a < op.inputs.size();
      ValueId v = isOperand ? op.inputs[a] : op.outputs[a - op.inputs.size()];
      auto arg = static_cast<unsigned>(a);
      function->addParamAttr(arg, llvm::Attribute::NoCapture);
      if (v == kNoValue) continue;
      function->addParamAttr(arg, llvm::Attribute::NoAlias);
      if (isOperand) function->addParamAttr(arg, llvm::Attribute::ReadOnly);
      auto bytes = static_cast<uint64_t>(plan_.bytes.at(static_cast<size_t>(v)));
      if (bytes > 0)
        function->addParamAttr(arg, llvm::Attribute::getWithDereferenceableBytes(context_, bytes));
      if (isAligned(v))
        function->addParamAttr(arg, llvm::Attribute::getWithAlignment(context_, kBufferAlign));
    }
    llvm::BasicBlock::Create(context_, "entry", function);
    KernelRegistry::instance().find(op.kind)(KernelRequest{graph_, op, target_, units_[index] > 0},
                                             *function);
    std::string problems;
    llvm::raw_string_ostream os(problems);
    if (llvm::verifyFunction(*function, &os))
      fail("internal error: the kernel of {} is invalid LLVM IR: {}", op.describe(), problems);
    return function;
  }

  llvm::Constant *constantGlobal(ValueId v) {
    auto it = constants_.find(v);
    if (it != constants_.end()) return it->second;
    const Tensor &data = *graph_.constantValue(v);
    auto bytes = data.bytes();
    auto *init = llvm::ConstantDataArray::get(context_, llvm::ArrayRef(bytes.data(), bytes.size()));
    auto *global =
        new llvm::GlobalVariable(*module_, init->getType(), true, llvm::GlobalValue::PrivateLinkage,
                                 init, fmt::format("{}_const{}", name_, v));
    global->setAlignment(kBufferAlign);
    global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    constants_.emplace(v, global);
    return global;
  }

  // NAME_run(inputs, outputs, arena): checks its arguments, copies the inputs the arena holds,
  // calls the kernels in graph order with their buffers, and copies the outputs that were not
  // computed in the caller's buffers. With `parallel`, NAME_run_parallel(inputs, outputs, arena,
  // par) does the same but runs the sliced kernels through par->for_each.
  void emitRun(const std::vector<llvm::Function *> &kernels, bool parallel) {
    auto *i32 = llvm::Type::getInt32Ty(context_);
    std::vector<llvm::Type *> params{ptr_, ptr_, ptr_};
    if (parallel) params.push_back(ptr_);
    auto *type = llvm::FunctionType::get(i32, params, false);
    std::string symbol = exports_.runSymbol.empty() ? name_ + "_run" : exports_.runSymbol;
    if (parallel) symbol += "_parallel";
    auto *run =
        llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage, symbol, module_.get());
    run->addFnAttr(llvm::Attribute::NoUnwind);
    for (unsigned a = 0; a < 2; ++a) {
      run->addParamAttr(a, llvm::Attribute::NoCapture);
      run->addParamAttr(a, llvm::Attribute::ReadOnly);
    }
    llvm::Argument *inputs = run->getArg(0);
    llvm::Argument *outputs = run->getArg(1);
    arena_ = run->getArg(2);
    inputs->setName("inputs");
    outputs->setName("outputs");
    arena_->setName("arena");

    auto *entry = llvm::BasicBlock::Create(context_, "entry", run);
    auto *nullArgument = llvm::BasicBlock::Create(context_, "null_argument", run);
    auto *misaligned = llvm::BasicBlock::Create(context_, "misaligned_arena", run);
    llvm::IRBuilder<> ir(entry);
    ir_ = &ir;
    // The buffers of a sliced kernel, for its tasks: one array reused by every layer, as
    // for_each returns only when the layer is done.
    llvm::Value *taskArguments = nullptr;
    if (parallel) {
      size_t most = 1;
      for (const Op &op : graph_.ops) most = std::max(most, op.inputs.size() + op.outputs.size());
      taskArguments = ir.CreateAlloca(llvm::ArrayType::get(ptr_, most));
    }
    auto checkNotNull = [&](llvm::Value *p, const char *what) {
      auto *next = llvm::BasicBlock::Create(context_, what, run);
      ir.CreateCondBr(ir.CreateIsNull(p), nullArgument, next);
      ir.SetInsertPoint(next);
    };
    auto loadPointers = [&](llvm::Value *array, size_t count, std::vector<llvm::Value *> &into,
                            const char *what) {
      if (count == 0) return;
      checkNotNull(array, what);
      for (size_t i = 0; i < count; ++i) {
        llvm::Value *p = ir.CreateLoad(ptr_, ir.CreateConstInBoundsGEP1_64(ptr_, array, i));
        checkNotNull(p, what);
        into.push_back(p);
      }
    };
    inputBuffers_.clear();
    outputBuffers_.clear();
    loadPointers(inputs, graph_.inputs.size(), inputBuffers_, "inputs_ok");
    loadPointers(outputs, graph_.outputs.size(), outputBuffers_, "outputs_ok");
    llvm::Value *forEach = nullptr, *forEachContext = nullptr;
    if (parallel) {
      // par: {for_each, ctx} (runtime/qcc_parallel.h).
      llvm::Argument *par = run->getArg(3);
      par->setName("par");
      run->addParamAttr(3, llvm::Attribute::NoCapture);
      run->addParamAttr(3, llvm::Attribute::ReadOnly);
      checkNotNull(par, "par_ok");
      forEach = ir.CreateLoad(ptr_, par);
      checkNotNull(forEach, "for_each_ok");
      forEachContext = ir.CreateLoad(ptr_, ir.CreateConstInBoundsGEP1_64(ptr_, par, 1));
    }
    if (plan_.arenaBytes > 0) {
      checkNotNull(arena_, "arena_ok");
      auto *next = llvm::BasicBlock::Create(context_, "arena_aligned", run);
      llvm::Value *low = ir.CreateAnd(ir.CreatePtrToInt(arena_, sizeType_),
                                      llvm::ConstantInt::get(sizeType_, kArenaAlignment - 1));
      ir.CreateCondBr(ir.CreateIsNotNull(low), misaligned, next);
      ir.SetInsertPoint(next);
    }

    for (size_t i = 0; i < graph_.inputs.size(); ++i) {
      ValueId v = graph_.inputs[i];
      if (plan_.inArena(v)) copy(arenaPointer(v), inputBuffers_[i], v);
    }
    for (size_t i = 0; i < graph_.ops.size(); ++i) {
      const Op &op = graph_.ops[i];
      if (op.kind == "constant") continue;
      if (isByteView(op.kind)) {
        emitByteView(op);
        continue;
      }
      std::vector<llvm::Value *> args;
      for (ValueId v : op.inputs) args.push_back(pointerOf(v));
      for (ValueId v : op.outputs) args.push_back(pointerOf(v));
      if (units_[i] == 0) {
        ir.CreateCall(kernels[i], args);
      } else if (!parallel) {
        args.push_back(ir.getInt64(0));
        args.push_back(ir.getInt64(static_cast<uint64_t>(units_[i])));
        ir.CreateCall(kernels[i], args);
      } else {
        for (size_t a = 0; a < args.size(); ++a)
          ir.CreateStore(args[a], ir.CreateConstInBoundsGEP1_64(ptr_, taskArguments, a));
        auto *forEachType = llvm::FunctionType::get(ir.getVoidTy(), {ptr_, ptr_, ptr_, i32}, false);
        ir.CreateCall(forEachType, forEach,
                      {forEachContext, emitSliceTask(kernels[i], i, args.size()), taskArguments,
                       ir.getInt32(static_cast<uint32_t>(sliceCount(i)))});
      }
    }
    for (size_t j = 0; j < graph_.outputs.size(); ++j) {
      ValueId v = graph_.outputs[j];
      if (!computedInOutput(v, j)) copy(outputBuffers_[j], pointerOf(v), v);
    }
    ir.CreateRet(llvm::ConstantInt::get(i32, kRunOk));

    ir.SetInsertPoint(nullArgument);
    ir.CreateRet(llvm::ConstantInt::get(i32, kRunNullArgument));
    ir.SetInsertPoint(misaligned);
    ir.CreateRet(llvm::ConstantInt::get(i32, kRunMisalignedArena));
    ir_ = nullptr;
  }

  // The tasks of a split layer: kSlicesPerThread per thread, as far as the units go, so that a
  // thread the OS runs late or slowly holds up only a small part of the layer (the others take
  // the remaining slices).
  static constexpr int64_t kSlicesPerThread = 4;
  int64_t sliceCount(size_t index) const {
    return std::min(units_[index], kSlicesPerThread * parallel_.threads);
  }

  // The task of for_each for op `index`: void(ptr arg, i32 index), arg the kernel's `arity`
  // buffer pointers; task `k` of `slices` computes the units [units * k / slices,
  // units * (k + 1) / slices).
  llvm::Function *emitSliceTask(llvm::Function *kernel, size_t index, size_t arity) {
    auto *i64 = llvm::Type::getInt64Ty(context_);
    auto *type =
        llvm::FunctionType::get(llvm::Type::getVoidTy(context_), {ptr_, ir_->getInt32Ty()}, false);
    auto *task = llvm::Function::Create(type, llvm::GlobalValue::InternalLinkage,
                                        kernel->getName() + "_slice", module_.get());
    task->addFnAttr(llvm::Attribute::NoUnwind);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(context_, "entry", task));
    std::vector<llvm::Value *> args;
    for (size_t a = 0; a < arity; ++a)
      args.push_back(b.CreateLoad(ptr_, b.CreateConstInBoundsGEP1_64(ptr_, task->getArg(0), a)));
    auto units = static_cast<uint64_t>(units_[index]);
    auto slices = static_cast<uint64_t>(sliceCount(index));
    llvm::Value *slice = b.CreateSExt(task->getArg(1), i64);
    auto bound = [&](llvm::Value *k) {
      return b.CreateSDiv(b.CreateMul(k, b.getInt64(units)), b.getInt64(slices));
    };
    args.push_back(bound(slice));
    args.push_back(bound(b.CreateAdd(slice, b.getInt64(1))));
    b.CreateCall(kernel, args);
    b.CreateRetVoid();
    return task;
  }

  // A byte view's result holds its operand's bytes: nothing to do when the plan gave both the
  // same arena bytes, else a copy (e.g. the view of a caller's input kept in the arena).
  void emitByteView(const Op &op) {
    if (op.inputs.empty() || op.outputs.size() != 1 || op.inputs[0] == kNoValue)
      fail("internal error: {} is not a byte view of one operand", op.describe());
    ValueId x = op.inputs[0];
    ValueId y = op.outputs[0];
    if (plan_.bytes.at(static_cast<size_t>(x)) != plan_.bytes.at(static_cast<size_t>(y)))
      fail("internal error: {} changes the byte size of its operand", op.describe());
    if (plan_.sharesWith.at(static_cast<size_t>(y)) == x) return;
    copy(pointerOf(y), pointerOf(x), y);
  }

  // An f32 graph output outside the arena is computed straight into the caller's buffer of its
  // first position in the graph outputs.
  bool computedInOutput(ValueId v, size_t position) const {
    if (plan_.inArena(v) || graph_.constantValue(v) || graph_.value(v).def < 0) return false;
    return firstOutputPosition(v) == position;
  }

  size_t firstOutputPosition(ValueId v) const {
    auto it = std::find(graph_.outputs.begin(), graph_.outputs.end(), v);
    return static_cast<size_t>(it - graph_.outputs.begin());
  }

  llvm::Value *arenaPointer(ValueId v) {
    return ir_->CreateConstInBoundsGEP1_64(
        ir_->getInt8Ty(), arena_, static_cast<uint64_t>(plan_.offset[static_cast<size_t>(v)]));
  }

  // The buffer of `v` inside NAME_run.
  llvm::Value *pointerOf(ValueId v) {
    if (v == kNoValue) return llvm::ConstantPointerNull::get(ptr_);
    if (graph_.constantValue(v)) return constantGlobal(v);
    if (plan_.inArena(v)) return arenaPointer(v);
    auto input = std::find(graph_.inputs.begin(), graph_.inputs.end(), v);
    if (input != graph_.inputs.end())
      return inputBuffers_[static_cast<size_t>(input - graph_.inputs.begin())];
    size_t position = firstOutputPosition(v);
    if (position == graph_.outputs.size())
      fail("internal error: value '{}' has no buffer", graph_.value(v).name);
    return outputBuffers_[position];
  }

  void copy(llvm::Value *to, llvm::Value *from, ValueId v) {
    uint64_t bytes = static_cast<uint64_t>(plan_.bytes[static_cast<size_t>(v)]);
    if (bytes > 0) ir_->CreateMemCpy(to, llvm::MaybeAlign(), from, llvm::MaybeAlign(), bytes);
  }

  // NAME_input_sizes, NAME_output_sizes (element counts), NAME_input_names, NAME_output_names.
  void emitTables() {
    auto values = [&](const std::vector<ValueId> &ids, const char *what) {
      std::vector<llvm::Constant *> sizes;
      std::vector<llvm::Constant *> names;
      for (size_t i = 0; i < ids.size(); ++i) {
        const Value &value = graph_.value(ids[i]);
        sizes.push_back(
            llvm::ConstantInt::get(sizeType_, static_cast<uint64_t>(value.type.numel())));
        auto *text = llvm::ConstantDataArray::getString(context_, value.name);
        auto *string = new llvm::GlobalVariable(*module_, text->getType(), true,
                                                llvm::GlobalValue::PrivateLinkage, text,
                                                fmt::format("{}_{}_name{}", name_, what, i));
        string->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
        string->setAlignment(llvm::Align(1));
        names.push_back(string);
      }
      exportArray(sizeType_, sizes, fmt::format("{}_{}_sizes", name_, what));
      exportArray(ptr_, names, fmt::format("{}_{}_names", name_, what));
    };
    values(graph_.inputs, "input");
    values(graph_.outputs, "output");
  }

  void exportArray(llvm::Type *element, const std::vector<llvm::Constant *> &items,
                   const std::string &symbol) {
    auto *type = llvm::ArrayType::get(element, items.size());
    new llvm::GlobalVariable(*module_, type, true, llvm::GlobalValue::ExternalLinkage,
                             llvm::ConstantArray::get(type, items), symbol);
  }

  // The CPU and features on every function, so that the module alone (--emit=llvm) says what
  // it was optimised for; unwind tables as a C compiler makes them, for debuggers and profilers.
  void setTargetAttributes() {
    for (llvm::Function &f : *module_) {
      if (f.isDeclaration()) continue;
      f.addFnAttr("target-cpu", target_.cpu);
      if (!target_.features.empty()) f.addFnAttr("target-features", target_.features);
      f.setUWTableKind(llvm::UWTableKind::Async);
    }
  }

  void optimize() {
    llvm::LoopAnalysisManager loops;
    llvm::FunctionAnalysisManager functions;
    llvm::CGSCCAnalysisManager cgscc;
    llvm::ModuleAnalysisManager modules;
    llvm::PipelineTuningOptions tuning;
    tuning.LoopVectorization = true;
    tuning.SLPVectorization = true;
    llvm::PassBuilder passes(&machine_, tuning);
    // The optimiser may only introduce calls to memcpy and memset (like -ffreestanding).
    llvm::TargetLibraryInfoImpl library(machine_.getTargetTriple());
    library.disableAllFunctions();
    library.setAvailable(llvm::LibFunc_memcpy);
    library.setAvailable(llvm::LibFunc_memset);
    functions.registerPass([&] { return llvm::TargetLibraryAnalysis(library); });
    passes.registerModuleAnalyses(modules);
    passes.registerCGSCCAnalyses(cgscc);
    passes.registerFunctionAnalyses(functions);
    passes.registerLoopAnalyses(loops);
    passes.crossRegisterProxies(loops, functions, cgscc, modules);
    passes.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(*module_, modules);
  }

  const Graph &graph_;
  const std::string &name_;
  const CodegenTarget &target_;
  const ModuleExports &exports_;
  const ParallelOptions &parallel_;
  llvm::TargetMachine &machine_;
  llvm::LLVMContext &context_;
  std::unique_ptr<llvm::Module> module_;
  MemoryPlan plan_;
  llvm::PointerType *ptr_ = nullptr;
  llvm::IntegerType *sizeType_ = nullptr;
  std::map<ValueId, llvm::Constant *> constants_;
  std::vector<int64_t> units_; // per op: the units of its sliced kernel, 0 when not sliced
  // Valid while emitRun builds NAME_run.
  llvm::IRBuilder<> *ir_ = nullptr;
  llvm::Value *arena_ = nullptr;
  std::vector<llvm::Value *> inputBuffers_;
  std::vector<llvm::Value *> outputBuffers_;
};

} // namespace

BuiltModule buildModule(const Graph &graph, const std::string &name, const CodegenTarget &target,
                        llvm::TargetMachine &machine, llvm::LLVMContext &context,
                        const ModuleExports &exports, const ParallelOptions &parallel) {
  return ModuleBuilder(graph, name, target, exports, parallel, machine, context).build();
}

void checkArtifactModule(const llvm::Module &module, const std::string &name) {
  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (llvm::verifyModule(module, &os))
    fail("internal error: the optimised module of '{}' is invalid: {}", name, problems);
  for (const llvm::GlobalVariable &g : module.globals())
    if (!g.isConstant())
      fail("internal error: the module of '{}' has a writable global '{}'", name,
           g.getName().str());
  for (const llvm::Function &f : module)
    if (f.isDeclaration() && !f.isIntrinsic() && !isAllowedExternal(f.getName()))
      fail("internal error: the module of '{}' calls '{}' (only memcpy and memset are allowed)",
           name, f.getName().str());
}

} // namespace qcc::codegen
