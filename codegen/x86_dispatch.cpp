#include "codegen/x86_dispatch.h"

#include "codegen/x86_features.h"
#include "ir/error.h"

#include <fmt/format.h>
#include <llvm/IR/GlobalIFunc.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/InlineAsm.h>
#include <llvm/Linker/Linker.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Transforms/IPO/ConstantMerge.h>
#include <llvm/Transforms/IPO/GlobalDCE.h>
#include <map>

namespace qcc::codegen {
namespace {

// The entry point of one target's code inside the module, e.g. digits_run_x86_64_v3.
std::string runSymbol(const std::string &name, const CodegenTarget &target) {
  std::string suffix = target.name;
  for (char &c : suffix)
    if (c == '-') c = '_';
  return name + "_run_" + suffix;
}

// The resolver of NAME_run: the CPUID words and XCR0 the targets' features live in, then the
// entry point of the last target whose features are all present.
class Resolver {
public:
  Resolver(llvm::Module &module, llvm::Function *function)
      : b_(llvm::BasicBlock::Create(module.getContext(), "entry", function)), function_(function) {}

  void build(const std::vector<CodegenTarget> &targets,
             const std::vector<llvm::Function *> &entries) {
    basicMax_ = field(cpuid(0, 0), 0);
    extendedMax_ = field(cpuid(0x80000000u, 0), 0);
    llvm::Value *xcr0 = readXcr0();
    llvm::Value *chosen = entries.front();
    for (size_t t = 1; t < targets.size(); ++t) {
      llvm::Value *ok = b_.getTrue();
      for (const X86Feature &f : x86Requirements(targets[t])) {
        llvm::Value *bit = b_.CreateAnd(word(f.leaf, f.subleaf, f.reg), 1u << f.bit);
        ok = b_.CreateAnd(ok, b_.CreateIsNotNull(bit));
      }
      uint64_t mask = x86StateMask(targets[t]);
      if (mask != 0)
        ok = b_.CreateAnd(ok, b_.CreateICmpEQ(b_.CreateAnd(xcr0, mask), b_.getInt64(mask)));
      chosen = b_.CreateSelect(ok, entries[t], chosen);
    }
    b_.CreateRet(chosen);
  }

private:
  llvm::Value *cpuid(uint32_t leaf, uint32_t subleaf) {
    llvm::Type *i32 = b_.getInt32Ty();
    auto *result = llvm::StructType::get(b_.getContext(), {i32, i32, i32, i32});
    auto *type = llvm::FunctionType::get(result, {i32, i32}, false);
    auto *instruction = llvm::InlineAsm::get(
        type, "cpuid", "={ax},={bx},={cx},={dx},{ax},{cx},~{dirflag},~{fpsr},~{flags}", false);
    return b_.CreateCall(type, instruction, {b_.getInt32(leaf), b_.getInt32(subleaf)});
  }

  llvm::Value *field(llvm::Value *words, unsigned reg) { return b_.CreateExtractValue(words, reg); }

  // A CPUID register, zero when the CPU does not have the leaf (it would report another one).
  llvm::Value *word(uint32_t leaf, uint32_t subleaf, unsigned reg) {
    auto key = std::make_pair(leaf, subleaf);
    auto it = leaves_.find(key);
    if (it == leaves_.end()) it = leaves_.emplace(key, cpuid(leaf, subleaf)).first;
    llvm::Value *max = leaf >= 0x80000000u ? extendedMax_ : basicMax_;
    llvm::Value *present = b_.CreateICmpULE(b_.getInt32(leaf), max);
    return b_.CreateSelect(present, field(it->second, reg), b_.getInt32(0));
  }

  // XCR0, the register state the operating system saves; xgetbv faults unless CPUID says the OS
  // enabled it (OSXSAVE), in which case no extended state is usable.
  llvm::Value *readXcr0() {
    llvm::LLVMContext &context = b_.getContext();
    llvm::Value *osxsave = b_.CreateAnd(word(1, 0, 2), 1u << 27);
    llvm::BasicBlock *from = b_.GetInsertBlock();
    auto *read = llvm::BasicBlock::Create(context, "xgetbv", function_);
    auto *done = llvm::BasicBlock::Create(context, "features", function_);
    b_.CreateCondBr(b_.CreateIsNotNull(osxsave), read, done);
    b_.SetInsertPoint(read);
    llvm::Type *i32 = b_.getInt32Ty();
    auto *type = llvm::FunctionType::get(llvm::StructType::get(context, {i32, i32}), {i32}, false);
    auto *instruction = llvm::InlineAsm::get(type, "xgetbv", "={ax},={dx},{cx}", true);
    llvm::Value *pair = b_.CreateCall(type, instruction, {b_.getInt32(0)});
    llvm::Value *low = b_.CreateZExt(b_.CreateExtractValue(pair, 0), b_.getInt64Ty());
    llvm::Value *high = b_.CreateZExt(b_.CreateExtractValue(pair, 1), b_.getInt64Ty());
    llvm::Value *value = b_.CreateOr(low, b_.CreateShl(high, 32));
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    llvm::PHINode *xcr0 = b_.CreatePHI(b_.getInt64Ty(), 2);
    xcr0->addIncoming(b_.getInt64(0), from);
    xcr0->addIncoming(value, read);
    return xcr0;
  }

  llvm::IRBuilder<> b_;
  llvm::Function *function_;
  llvm::Value *basicMax_ = nullptr, *extendedMax_ = nullptr;
  std::map<std::pair<uint32_t, uint32_t>, llvm::Value *> leaves_;
};

// Identical constant tables (the weights, packed the same way for several targets) become one.
void mergeConstants(llvm::Module &module) {
  llvm::ModuleAnalysisManager analyses;
  llvm::PassBuilder passes;
  passes.registerModuleAnalyses(analyses);
  llvm::ModulePassManager pipeline;
  pipeline.addPass(llvm::ConstantMergePass());
  pipeline.addPass(llvm::GlobalDCEPass());
  pipeline.run(module, analyses);
}

} // namespace

BuiltModule buildDispatchModule(const Graph &graph, const std::string &name,
                                const std::vector<CodegenTarget> &targets,
                                llvm::LLVMContext &context) {
  if (targets.size() < 2) fail("internal error: a dispatching library needs two targets");
  BuiltModule linked;
  for (size_t t = 0; t < targets.size(); ++t) {
    std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(targets[t]);
    ModuleExports exports{runSymbol(name, targets[t]), t == 0};
    BuiltModule built = buildModule(graph, name, targets[t], *machine, context, exports);
    if (t == 0) {
      linked = std::move(built);
      continue;
    }
    if (llvm::Linker::linkModules(*linked.module, std::move(built.module)))
      fail("internal error: cannot link the code of target {} into the library", targets[t].name);
  }
  llvm::Module &module = *linked.module;
  std::vector<llvm::Function *> entries;
  for (const CodegenTarget &target : targets) {
    llvm::Function *entry = module.getFunction(runSymbol(name, target));
    if (!entry) fail("internal error: the code of target {} has no entry point", target.name);
    entry->setLinkage(llvm::GlobalValue::InternalLinkage);
    entries.push_back(entry);
  }
  auto *resolverType = llvm::FunctionType::get(llvm::PointerType::getUnqual(context), false);
  auto *resolver = llvm::Function::Create(resolverType, llvm::GlobalValue::InternalLinkage,
                                          name + "_run_resolver", module);
  resolver->addFnAttr(llvm::Attribute::NoUnwind);
  resolver->addFnAttr("target-cpu", targets.front().cpu);
  resolver->addFnAttr("target-features", targets.front().features);
  Resolver(module, resolver).build(targets, entries);
  llvm::GlobalIFunc::create(entries.front()->getFunctionType(), 0,
                            llvm::GlobalValue::ExternalLinkage, name + "_run", resolver, &module);
  mergeConstants(module);
  checkArtifactModule(module, name);
  return linked;
}

} // namespace qcc::codegen
