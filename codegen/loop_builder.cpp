#include "codegen/loop_builder.h"

#include "ir/error.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Module.h>

namespace qcc::codegen {

std::vector<int64_t> rowMajor(const Shape &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
  return strides;
}

std::vector<int64_t> broadcastStrides(const Shape &in, const Shape &out) {
  std::vector<int64_t> inStrides = rowMajor(in);
  std::vector<int64_t> strides(out.size(), 0);
  size_t offset = out.size() - in.size();
  for (size_t d = 0; d < in.size(); ++d)
    strides[offset + d] = in[d] == 1 && out[offset + d] != 1 ? 0 : inStrides[d];
  return strides;
}

LoopBuilder::LoopBuilder(const KernelRequest &request, llvm::Function &function)
    : request_(request), function_(function), ir_(function.getContext()),
      entry_(&function.getEntryBlock()) {
  ir_.SetInsertPoint(entry_);
}

llvm::Type *LoopBuilder::storageType(DType t) {
  switch (t) {
  case DType::f32:
    return f32();
  case DType::f64:
    return f64();
  case DType::i16:
  case DType::u16:
    return ir_.getInt16Ty();
  case DType::i32:
  case DType::u32:
    return i32();
  case DType::i64:
  case DType::u64:
    return i64();
  default:
    return i8();
  }
}

llvm::ConstantInt *LoopBuilder::constInt(llvm::Type *type, int64_t v) {
  return llvm::ConstantInt::get(llvm::cast<llvm::IntegerType>(type), static_cast<uint64_t>(v),
                                true);
}

llvm::Constant *LoopBuilder::constFloat(llvm::Type *type, double v) {
  return llvm::ConstantFP::get(type, v);
}

llvm::Value *LoopBuilder::accumulate(int64_t count, llvm::Value *init, const Step &step) {
  if (count <= 0) return init;
  if (count == 1) return step(constI64(0), init);
  llvm::BasicBlock *before = ir_.GetInsertBlock();
  llvm::BasicBlock *header = llvm::BasicBlock::Create(context(), "loop", &function_);
  llvm::BasicBlock *exit = llvm::BasicBlock::Create(context(), "loop.end", &function_);
  ir_.CreateBr(header);
  ir_.SetInsertPoint(header);
  llvm::PHINode *index = ir_.CreatePHI(i64(), 2, "i");
  llvm::PHINode *acc = ir_.CreatePHI(init->getType(), 2, "acc");
  index->addIncoming(constI64(0), before);
  acc->addIncoming(init, before);
  llvm::Value *updated = step(index, acc);
  llvm::Value *next = ir_.CreateAdd(index, constI64(1), "", true, true);
  ir_.CreateCondBr(ir_.CreateICmpSLT(next, constI64(count)), header, exit);
  index->addIncoming(next, ir_.GetInsertBlock());
  acc->addIncoming(updated, ir_.GetInsertBlock());
  ir_.SetInsertPoint(exit);
  return updated;
}

void LoopBuilder::loop(int64_t count, const Body &body) {
  // A loop carrying no value: the constant it threads through folds away.
  accumulate(count, ir_.getFalse(), [&](llvm::Value *i, llvm::Value *nothing) {
    body(i);
    return nothing;
  });
}

void LoopBuilder::ifThen(llvm::Value *condition, const std::function<void()> &then) {
  llvm::BasicBlock *thenBlock = llvm::BasicBlock::Create(context(), "then", &function_);
  llvm::BasicBlock *join = llvm::BasicBlock::Create(context(), "join", &function_);
  ir_.CreateCondBr(condition, thenBlock, join);
  ir_.SetInsertPoint(thenBlock);
  then();
  ir_.CreateBr(join);
  ir_.SetInsertPoint(join);
}

void LoopBuilder::forEachIndex(const Shape &shape, const std::vector<std::vector<int64_t>> &strides,
                               const OffsetsBody &body) {
  for (int64_t d : shape)
    if (d <= 0) return;
  // Dims of extent 1 move nothing; adjacent dims merge where every stride list is contiguous
  // across them.
  struct Dim {
    int64_t extent;
    std::vector<int64_t> strides;
  };
  std::vector<Dim> dims;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    Dim dim{shape[d], {}};
    for (const std::vector<int64_t> &s : strides) dim.strides.push_back(s.at(d));
    if (!dims.empty()) {
      Dim &last = dims.back();
      bool merge = true;
      for (size_t k = 0; k < strides.size(); ++k)
        merge = merge && last.strides[k] == dim.strides[k] * dim.extent;
      if (merge) {
        last.extent *= dim.extent;
        last.strides = dim.strides;
        continue;
      }
    }
    dims.push_back(std::move(dim));
  }
  std::function<void(size_t, const std::vector<llvm::Value *> &)> level =
      [&](size_t d, const std::vector<llvm::Value *> &base) {
        if (d == dims.size()) {
          body(base);
          return;
        }
        loop(dims[d].extent, [&](llvm::Value *i) {
          std::vector<llvm::Value *> offsets(base.size());
          for (size_t k = 0; k < base.size(); ++k) {
            llvm::Value *step = ir_.CreateMul(i, constI64(dims[d].strides[k]), "", false, true);
            offsets[k] = ir_.CreateAdd(base[k], step, "", false, true);
          }
          level(d + 1, offsets);
        });
      };
  level(0, std::vector<llvm::Value *>(strides.size(), constI64(0)));
}

void LoopBuilder::forEachBroadcast(size_t operands, const OffsetsBody &body) {
  const Shape &out = request_.resultType(0).shape;
  std::vector<std::vector<int64_t>> strides{rowMajor(out)};
  for (size_t i = 0; i < operands; ++i)
    strides.push_back(broadcastStrides(request_.operandType(i).shape, out));
  forEachIndex(out, strides, body);
}

llvm::Value *LoopBuilder::elementPtr(llvm::Type *type, llvm::Value *base, llvm::Value *index) {
  return ir_.CreateInBoundsGEP(type, base, index);
}

llvm::Value *LoopBuilder::load(llvm::Type *type, llvm::Value *base, llvm::Value *index) {
  return ir_.CreateLoad(type, elementPtr(type, base, index));
}

void LoopBuilder::store(llvm::Value *value, llvm::Value *base, llvm::Value *index) {
  ir_.CreateStore(value, elementPtr(value->getType(), base, index));
}

llvm::Value *LoopBuilder::constantTable(llvm::Type *type, std::span<const uint8_t> bytes,
                                        const std::string &name) {
  uint64_t elementBytes = type->getPrimitiveSizeInBits() / 8;
  uint64_t count = bytes.size() / elementBytes;
  // An empty table is never read; one zero element keeps the global well-formed.
  std::vector<uint8_t> data(bytes.begin(), bytes.end());
  if (count == 0) {
    data.assign(elementBytes, 0);
    count = 1;
  }
  llvm::StringRef raw(reinterpret_cast<const char *>(data.data()), data.size());
  llvm::Constant *init = llvm::ConstantDataArray::getRaw(raw, count, type);
  auto *global = new llvm::GlobalVariable(*function_.getParent(), init->getType(), true,
                                          llvm::GlobalValue::PrivateLinkage, init,
                                          function_.getName() + "." + name);
  global->setAlignment(llvm::Align(64));
  global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  return global;
}

llvm::Value *LoopBuilder::constantTable(const std::vector<int64_t> &values,
                                        const std::string &name) {
  return constantTable(i64(), {reinterpret_cast<const uint8_t *>(values.data()), values.size() * 8},
                       name);
}

llvm::Value *LoopBuilder::constantTable(const std::vector<float> &values, const std::string &name) {
  return constantTable(f32(), {reinterpret_cast<const uint8_t *>(values.data()), values.size() * 4},
                       name);
}

llvm::Value *LoopBuilder::constantTable(const std::vector<double> &values,
                                        const std::string &name) {
  return constantTable(f64(), {reinterpret_cast<const uint8_t *>(values.data()), values.size() * 8},
                       name);
}

llvm::Value *LoopBuilder::stackBuffer(llvm::Type *type, int64_t count, const std::string &what) {
  int64_t bytes =
      static_cast<int64_t>(type->getPrimitiveSizeInBits() / 8) * std::max<int64_t>(count, 1);
  if (bytes > kMaxStackBytes)
    fail("{}: needs a scratch buffer of {} bytes, more than the {} bytes kernels may use on "
         "the stack",
         what, bytes, kMaxStackBytes);
  llvm::IRBuilder<> at(entry_, entry_->begin());
  llvm::AllocaInst *buffer = at.CreateAlloca(type, constI64(std::max<int64_t>(count, 1)));
  buffer->setAlignment(llvm::Align(64));
  return buffer;
}

llvm::Value *LoopBuilder::loadStrided(llvm::Type *type, llvm::Value *base, llvm::Value *index,
                                      int64_t lanes, int64_t stride) {
  int64_t span = (lanes - 1) * stride + 1;
  // Pieces of `piece` elements (a power of two, at most 64 bytes): at 0, piece, 2 * piece, ...,
  // and a last one ending at the span's end; element e is read from the last piece holding it.
  int64_t bytes = static_cast<int64_t>(type->getPrimitiveSizeInBits() / 8);
  int64_t piece = 1;
  while (piece * 2 <= span && piece * 2 * bytes <= 64) piece *= 2;
  std::vector<int64_t> starts;
  for (int64_t at = 0; at + piece <= span; at += piece) starts.push_back(at);
  if (starts.back() + piece < span) starts.push_back(span - piece);
  auto *pieceType = llvm::FixedVectorType::get(type, static_cast<unsigned>(piece));
  std::vector<llvm::Value *> loaded;
  for (int64_t at : starts)
    loaded.push_back(
        ir_.CreateAlignedLoad(pieceType, elementPtr(type, base, ir_.CreateAdd(index, constI64(at))),
                              llvm::Align(static_cast<uint64_t>(bytes))));
  auto source = [&](int64_t e) {
    for (size_t k = starts.size(); k-- > 0;)
      if (e >= starts[k] && e < starts[k] + piece) return std::make_pair(k, e - starts[k]);
    fail("internal error: strided load element {} outside its pieces", e);
  };
  if (loaded.size() == 1) {
    std::vector<int> pick;
    for (int64_t l = 0; l < lanes; ++l) pick.push_back(static_cast<int>(l * stride));
    if (lanes == piece && stride == 1) return loaded[0];
    return ir_.CreateShuffleVector(loaded[0], pick);
  }
  // Concatenate the pieces pairwise into one vector, then pick the lanes.
  std::vector<llvm::Value *> level = loaded;
  int64_t width = piece;
  while (level.size() > 1) {
    std::vector<llvm::Value *> next;
    for (size_t i = 0; i < level.size(); i += 2) {
      llvm::Value *second =
          i + 1 < level.size() ? level[i + 1] : llvm::Constant::getNullValue(level[i]->getType());
      std::vector<int> both;
      for (int64_t j = 0; j < 2 * width; ++j) both.push_back(static_cast<int>(j));
      next.push_back(ir_.CreateShuffleVector(level[i], second, both));
    }
    level = next;
    width *= 2;
  }
  std::vector<int> pick;
  for (int64_t l = 0; l < lanes; ++l) {
    auto [k, offset] = source(l * stride);
    pick.push_back(static_cast<int>(static_cast<int64_t>(k) * piece + offset));
  }
  return ir_.CreateShuffleVector(level[0], pick);
}

void LoopBuilder::copyBytes(llvm::Value *dst, llvm::Value *src, int64_t bytes) {
  if (bytes <= 0) return;
  ir_.CreateMemCpy(dst, llvm::MaybeAlign(1), src, llvm::MaybeAlign(1), constI64(bytes));
}

llvm::Value *LoopBuilder::intToType(DType from, llvm::Value *v, llvm::Type *type) {
  return isSigned(from) ? ir_.CreateSExtOrTrunc(v, type) : ir_.CreateZExtOrTrunc(v, type);
}

llvm::Value *LoopBuilder::wrapToDType(DType to, llvm::Value *v) {
  llvm::Type *type = storageType(to);
  v = ir_.CreateTrunc(v, type);
  int bits = bitWidth(to);
  if (to == DType::boolean || bits >= 8) return v;
  if (isSigned(to)) {
    llvm::Value *shift = constInt(type, 8 - bits);
    return ir_.CreateAShr(ir_.CreateShl(v, shift), shift);
  }
  return ir_.CreateAnd(v, constInt(type, (int64_t{1} << bits) - 1));
}

llvm::Value *LoopBuilder::smin(llvm::Value *a, llvm::Value *b) {
  return ir_.CreateBinaryIntrinsic(llvm::Intrinsic::smin, a, b);
}

llvm::Value *LoopBuilder::smax(llvm::Value *a, llvm::Value *b) {
  return ir_.CreateBinaryIntrinsic(llvm::Intrinsic::smax, a, b);
}

llvm::Value *LoopBuilder::roundFloat(RoundingMode mode, llvm::Value *v) {
  llvm::Type *type = v->getType();
  bool isDouble = type->isDoubleTy();
  // Below 2^23 (2^52 for double) a value converts to an integer exactly; at or above it is
  // already integral (or NaN / infinite) and every mode returns it unchanged.
  llvm::Type *intType = isDouble ? i64() : i32();
  llvm::Value *magnitude = ir_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, v);
  llvm::Value *small = ir_.CreateFCmpOLT(magnitude, constFloat(type, isDouble ? 0x1p52 : 0x1p23));
  llvm::Value *whole = ir_.CreateFPToSI(v, intType);
  llvm::Value *fraction = ir_.CreateFSub(v, ir_.CreateSIToFP(whole, type));
  llvm::Value *zero = constFloat(type, 0.0);
  llvm::Value *half = constFloat(type, 0.5);
  llvm::Value *one = constInt(intType, 1);
  llvm::Value *none = constInt(intType, 0);
  llvm::Value *below = ir_.CreateFCmpOLT(fraction, zero);
  llvm::Value *above = ir_.CreateFCmpOGT(fraction, zero);
  llvm::Value *away = ir_.CreateSelect(ir_.CreateFCmpOLT(v, zero), constInt(intType, -1), one);
  llvm::Value *distance = ir_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, fraction);
  llvm::Value *overHalf = ir_.CreateFCmpOGT(distance, half);
  llvm::Value *atHalf = ir_.CreateFCmpOEQ(distance, half);
  llvm::Value *adjust = none;
  switch (mode) {
  case RoundingMode::down:
    break;
  case RoundingMode::floor:
    adjust = ir_.CreateSelect(below, constInt(intType, -1), none);
    break;
  case RoundingMode::ceil:
    adjust = ir_.CreateSelect(above, one, none);
    break;
  case RoundingMode::up:
    adjust = ir_.CreateSelect(below, constInt(intType, -1), ir_.CreateSelect(above, one, none));
    break;
  case RoundingMode::halfUp:
    adjust = ir_.CreateSelect(ir_.CreateOr(overHalf, atHalf), away, none);
    break;
  case RoundingMode::halfDown:
    adjust = ir_.CreateSelect(overHalf, away, none);
    break;
  case RoundingMode::round: {
    llvm::Value *odd = ir_.CreateICmpNE(ir_.CreateAnd(whole, one), none);
    adjust = ir_.CreateSelect(ir_.CreateOr(overHalf, ir_.CreateAnd(atHalf, odd)), away, none);
    break;
  }
  }
  llvm::Value *rounded = ir_.CreateSIToFP(ir_.CreateAdd(whole, adjust), type);
  // Rounding keeps the sign, also of a zero result (floor(-0.0) = -0.0, ceil(-0.5) = -0.0).
  rounded = ir_.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, rounded, v);
  return ir_.CreateSelect(small, rounded, v);
}

llvm::Constant *LoopBuilder::quietNaN(llvm::Type *type) {
  return llvm::ConstantFP::getQNaN(type);
}

llvm::Value *LoopBuilder::floatToIntSaturated(llvm::Value *v, llvm::Type *type, int64_t lo,
                                              int64_t hi, bool isUnsigned) {
  if (isUnsigned && type->getIntegerBitWidth() == 64)
    return ir_.CreateIntrinsic(llvm::Intrinsic::fptoui_sat, {i64(), v->getType()}, {v});
  llvm::Value *wide = ir_.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {i64(), v->getType()}, {v});
  wide = smax(smin(wide, constI64(hi)), constI64(lo));
  return ir_.CreateTrunc(wide, type);
}

llvm::Value *LoopBuilder::convertFloat(llvm::Value *v, llvm::Type *type) {
  if (v->getType() == type) return v;
  return type->isDoubleTy() ? ir_.CreateFPExt(v, type) : ir_.CreateFPTrunc(v, type);
}

llvm::Value *LoopBuilder::toFloat(DType from, llvm::Value *v, llvm::Type *type) {
  if (isFloat(from)) return convertFloat(v, type);
  return isSigned(from) ? ir_.CreateSIToFP(v, type) : ir_.CreateUIToFP(v, type);
}

void LoopBuilder::finish() {
  ir_.CreateRetVoid();
}

} // namespace qcc::codegen
