#include "codegen/popcount_kernel.h"

#include "ir/error.h"
#include "ir/ops/codes.h"
#include "ir/ops/conv_geometry.h"
#include "ir/ops/packing.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/IntrinsicsAArch64.h>
#include <llvm/IR/Module.h>
#include <optional>

namespace qcc::codegen {

bool BitExpr::reads(Kind leaf) const {
  std::function<bool(const Node &)> visit = [&](const Node &n) {
    if (n.kind == leaf) return true;
    return (n.lhs && visit(*n.lhs)) || (n.rhs && visit(*n.rhs));
  };
  return visit(*node_);
}

namespace {

using llvm::Value;
using Builder = llvm::IRBuilder<>;

// Output channels per vector: one byte of a packed output word.
constexpr int64_t kLanes = 8;
// Most register-blocking factors (vector groups of channels, output positions).
constexpr int64_t kMaxGroupsPerBlock = 4;
constexpr int64_t kMaxPositionsPerBlock = 4;
// Column classes (runs of output columns with the same in-bounds kernel columns) that get a
// specialised loop each; beyond this the tap bounds come from a table at run time.
constexpr size_t kMaxColumnRuns = 8;

uint64_t evalBits(const BitExpr::Node &n, const uint64_t *x, const uint64_t *w) {
  switch (n.kind) {
  case BitExpr::Kind::xPlane:
    return x[n.plane];
  case BitExpr::Kind::wPlane:
    return w[n.plane];
  case BitExpr::Kind::notOf:
    return ~evalBits(*n.lhs, x, w);
  case BitExpr::Kind::andOf:
    return evalBits(*n.lhs, x, w) & evalBits(*n.rhs, x, w);
  case BitExpr::Kind::xorOf:
    return evalBits(*n.lhs, x, w) ^ evalBits(*n.rhs, x, w);
  }
  return 0;
}

// The expression on IR values: x[p] / w[p] are the plane words (scalars or vectors).
Value *emitBits(Builder &b, const BitExpr::Node &n, const std::vector<Value *> &x,
                const std::vector<Value *> &w) {
  switch (n.kind) {
  case BitExpr::Kind::xPlane:
    return x.at(static_cast<size_t>(n.plane));
  case BitExpr::Kind::wPlane:
    return w.at(static_cast<size_t>(n.plane));
  case BitExpr::Kind::notOf:
    return b.CreateNot(emitBits(b, *n.lhs, x, w));
  case BitExpr::Kind::andOf:
    return b.CreateAnd(emitBits(b, *n.lhs, x, w), emitBits(b, *n.rhs, x, w));
  case BitExpr::Kind::xorOf:
    return b.CreateXor(emitBits(b, *n.lhs, x, w), emitBits(b, *n.rhs, x, w));
  }
  return nullptr;
}

// In-bounds kernel indices [begin, end) along one spatial dim for one output index; empty as
// [0, 0).
struct TapRange {
  int64_t begin = 0, end = 0;
  bool operator==(const TapRange &) const = default;
};

TapRange tapRange(int64_t out, int64_t stride, int64_t pad, int64_t dilation, int64_t kernel,
                  int64_t size) {
  TapRange r;
  bool any = false;
  for (int64_t k = 0; k < kernel; ++k) {
    int64_t i = out * stride - pad + k * dilation;
    if (i < 0 || i >= size) continue;
    if (!any) r.begin = k;
    r.end = k + 1;
    any = true;
  }
  return r;
}

// Consecutive output columns with the same in-bounds kernel columns.
struct ColumnRun {
  int64_t first, count;
  TapRange range;
};

// The op's loop nest as a direct convolution. A gemm is the 1x1 convolution of a 1 x N image:
// its x [N, P, words] and packed result [N, P, words] are the [1, 1, N, P, words] conv layouts;
// only the unpacked result [N, M] differs from NCHW, hence the result strides.
struct MacShape {
  int64_t batch, height, width, xPlanes, words;
  int64_t outputs, kernelH, kernelW, wPlanes;
  int64_t strideH, strideW, padTop, padLeft, dilationH, dilationW;
  int64_t outH, outW;
  int64_t channels; // codes per tap (C, or K for a gemm)
  // Element index of the unpacked result for (batch n, channel m, position p).
  int64_t batchStride, channelStride, positionStride;
};

MacShape macShape(const KernelRequest &request) {
  const Op &op = request.op;
  const TensorType &x = request.operandType(0), &w = request.operandType(1);
  MacShape s{};
  if (x.rank() == 3 && w.rank() == 3) {
    s.batch = 1;
    s.height = 1;
    s.width = x.shape[0];
    s.xPlanes = x.shape[1];
    s.words = x.shape[2];
    s.outputs = w.shape[0];
    s.kernelH = s.kernelW = 1;
    s.wPlanes = w.shape[1];
    s.strideH = s.strideW = s.dilationH = s.dilationW = 1;
    s.outH = 1;
    s.outW = s.width;
    s.channels = op.getInt("k");
    s.channelStride = 1;
    s.positionStride = s.outputs;
    return s;
  }
  if (x.rank() != 5 || w.rank() != 5)
    fail("{}: expects packed operands of rank 3 (gemm) or 5 (conv), got {} and {}", op.describe(),
         typeString(x), typeString(w));
  if (op.getInt("group") != 1)
    fail("{}: group={} cannot be compiled: packed convolutions implement group=1 only",
         op.describe(), op.getInt("group"));
  s.batch = x.shape[0];
  s.height = x.shape[1];
  s.width = x.shape[2];
  s.xPlanes = x.shape[3];
  s.words = x.shape[4];
  s.outputs = w.shape[0];
  s.kernelH = w.shape[1];
  s.kernelW = w.shape[2];
  s.wPlanes = w.shape[3];
  WindowGeometry g = readWindowGeometry(op, {s.kernelH, s.kernelW}, false);
  Shape out = g.outputShape({s.height, s.width}, op.describe());
  s.strideH = g.strides[0];
  s.strideW = g.strides[1];
  s.padTop = g.padsBegin[0];
  s.padLeft = g.padsBegin[1];
  s.dilationH = g.dilations[0];
  s.dilationW = g.dilations[1];
  s.outH = out[0];
  s.outW = out[1];
  s.channels = op.getInt("k") / (s.kernelH * s.kernelW);
  s.positionStride = 1;
  s.channelStride = s.outH * s.outW;
  s.batchStride = s.outputs * s.channelStride;
  return s;
}

// Vector terms with the same coefficient share an accumulator.
struct TermClass {
  int64_t coefficient;
  std::vector<const BitExpr::Node *> bits;
};

// A [begin, end) pair of i64 IR values, constant when known at compile time.
struct RangeValues {
  Value *begin, *end;
};

// The kernel's plan without any code: the formula's terms by kind, the epilogue, the column
// runs and the register blocking. Also what the slicing of an op (popcountSlicing) reads.
class MacPlan {
public:
  MacPlan(const KernelRequest &request, const PopcountFormula &formula);
  // Slices of the kernel: (batch, group block, output row) triples, in loop order.
  int64_t units() const { return shape_.batch * groupBlocks_ * shape_.outH; }
  const MacShape &shape() const { return shape_; }

protected:
  void splitFormula(const PopcountFormula &formula);
  void chooseBlocking();
  void readEpilogue();
  bool dotFitsInt32(const PopcountFormula &formula) const;

  const KernelRequest &request_;
  MacShape shape_;

  std::vector<TermClass> classes_;
  std::vector<const PopcountTerm *> xTerms_; // read only x: scalar, once per position
  std::vector<const PopcountTerm *> wTerms_; // read only w: folded into a per-tap table
  std::vector<bool> xPlaneVector_, xPlaneScalar_;
  int64_t perCode_ = 0;
  // |dot| <= INT32_MAX for every output: the int32 wrap of the reference is the identity.
  bool dotFitsInt32_ = false;

  int64_t groups_ = 0, groupsPerBlock_ = 1, groupBlocks_ = 0, positionsPerBlock_ = 1;
  std::vector<ColumnRun> runs_;
  std::optional<TapRange> commonRows_; // the rows' tap range when all rows share it

  std::optional<ThresholdSpec> epilogue_;
  int64_t thresholdCount_ = 0;
  bool packed_ = false;
  bool anyDescending_ = false;
  int outPlanes_ = 0;
  int64_t outWords_ = 0;
};

class MacKernel : private MacPlan {
public:
  MacKernel(const KernelRequest &request, llvm::Function &function, const PopcountFormula &formula);
  void emit();

private:
  // ---- setup ----
  void chooseCounting();
  llvm::GlobalVariable *constantTable(const std::vector<uint64_t> &words, const char *what);
  template <typename T>
  llvm::GlobalVariable *narrowTable(const std::vector<T> &values, const char *what);
  // Loads kLanes table elements at `index` (in elements) as i64 lanes.
  Value *loadLanes(llvm::GlobalVariable *table, Value *index);
  void buildWeightTables(const Tensor &weights);
  void buildThresholdTables(const Tensor &thresholds);
  void buildTapTables();

  // ---- code ----
  Value *i64(int64_t v) { return b_.getInt64(static_cast<uint64_t>(v)); }
  Value *entryAlloca(llvm::Type *type);
  void loop(Value *begin, Value *end, int64_t step, const std::function<void(Value *)> &body);
  void emitUnit(Value *unit);
  void emitRow(Value *n, Value *groupBlock, Value *oh);
  void emitBlock(Value *n, Value *groupBlock, Value *oh, RangeValues rows, Value *ow0,
                 int64_t positions, RangeValues columns);
  void emitTap(Value *n, Value *groupBlock, Value *ih, Value *ow0, int64_t positions, Value *kh,
               Value *kw);
  void emitWord(const std::vector<Value *> &xRows, Value *wRow, Value *word, int64_t positions);
  Value *popcount(Value *bits);
  Value *widenCounts(Value *counts);
  Value *accumulator(size_t c, int64_t g, int64_t j, int64_t part) const;
  void emitResult(Value *n, Value *group, Value *position, Value *dot);
  void storeLanes(Value *n, Value *group, Value *position, Value *values, llvm::Type *element);
  void storePackedBits(Value *n, Value *group, Value *position, Value *codes,
                       const std::vector<Value *> &hits);
  std::vector<Value *> thresholdHits(Value *group, Value *dot);
  Value *thresholdCodes(const std::vector<Value *> &hits);
  Value *planeBits(int plane, Value *codes, const std::vector<Value *> &hits);
  void clearPackedTail(Value *firstSite, int64_t sites);

  llvm::Function &function_;
  llvm::LLVMContext &context_;
  Builder b_;
  llvm::Type *i64Type_;
  llvm::FixedVectorType *laneType_;
  // The vector terms' accumulators: <8 x i64> popcounts by default. On AArch64 the byte counts
  // of cnt summed pairwise into <32 x i16> (cnt + uadalp: three instructions per 128 bits
  // instead of widening every count to i64), widened once per block.
  //
  // With 64-bit words only (baseline x86-64) each lane is a scalar of its own, kLanes parts of
  // type i64 per accumulator: popcnt on general registers instead of the SSSE3 nibble lookups
  // LLVM would expand an i64 vector popcount into.
  llvm::Type *countType_;
  bool byteCounts_ = false;
  int64_t parts_ = 1;

  Value *x_ = nullptr, *result_ = nullptr;
  llvm::GlobalVariable *weights_ = nullptr, *weightTerms_ = nullptr, *thresholds_ = nullptr,
                       *descending_ = nullptr, *rowBegin_ = nullptr, *rowEnd_ = nullptr,
                       *columnBegin_ = nullptr, *columnEnd_ = nullptr;

  // Accumulators of the block being emitted.
  std::vector<Value *> accumulators_; // [class][group][position][part] of countType_
  int64_t blockPositions_ = 1;
  std::vector<Value *> wAccumulators_; // [group]
  std::vector<Value *> xAccumulators_; // [position]
};

MacPlan::MacPlan(const KernelRequest &request, const PopcountFormula &formula)
    : request_(request), shape_(macShape(request)) {
  splitFormula(formula);
  readEpilogue();
  dotFitsInt32_ = dotFitsInt32(formula);
  groups_ = (shape_.outputs + kLanes - 1) / kLanes;
  for (int64_t ow = 0; ow < shape_.outW; ++ow) {
    TapRange r = tapRange(ow, shape_.strideW, shape_.padLeft, shape_.dilationW, shape_.kernelW,
                          shape_.width);
    if (!runs_.empty() && runs_.back().range == r)
      ++runs_.back().count;
    else
      runs_.push_back({ow, 1, r});
  }
  for (int64_t oh = 0; oh < shape_.outH; ++oh) {
    TapRange r = tapRange(oh, shape_.strideH, shape_.padTop, shape_.dilationH, shape_.kernelH,
                          shape_.height);
    if (oh == 0)
      commonRows_ = r;
    else if (commonRows_ && *commonRows_ != r)
      commonRows_.reset();
  }
  chooseBlocking();
}

MacKernel::MacKernel(const KernelRequest &request, llvm::Function &function,
                     const PopcountFormula &formula)
    : MacPlan(request, formula), function_(function), context_(function.getContext()), b_(context_),
      i64Type_(b_.getInt64Ty()), laneType_(llvm::FixedVectorType::get(i64Type_, kLanes)) {
  const Op &op = request.op;
  size_t slice = request.sliced ? 2 : 0;
  if (function.arg_size() != op.inputs.size() + 1 + slice)
    fail("{}: kernel function has {} parameters for {} operands and 1 result", op.describe(),
         function.arg_size(), op.inputs.size());
  // Results never overlap operands, and operands are only read (kernel.h).
  for (llvm::Argument &arg : function.args())
    if (arg.getType()->isPointerTy()) arg.addAttr(llvm::Attribute::NoAlias);
  chooseCounting();
  const Tensor *weights = request.constant(1);
  if (!weights) fail("{}: cannot compile: the weights operand must be a constant", op.describe());
  buildWeightTables(*weights);
  if (epilogue_) {
    const Tensor *thresholds = request.constant(2);
    if (!thresholds)
      fail("{}: cannot compile: the thresholds operand must be a constant", op.describe());
    buildThresholdTables(*thresholds);
  }
  buildTapTables();
}

void MacPlan::splitFormula(const PopcountFormula &formula) {
  const Op &op = request_.op;
  xPlaneVector_.assign(static_cast<size_t>(shape_.xPlanes), false);
  xPlaneScalar_ = xPlaneVector_;
  std::vector<uint64_t> zeros(static_cast<size_t>(std::max(shape_.xPlanes, shape_.wPlanes)), 0);
  // Checks the planes an expression reads and marks the x planes it needs in `used`.
  std::function<void(const BitExpr::Node &, std::vector<bool> &)> markPlanes =
      [&](const BitExpr::Node &n, std::vector<bool> &used) {
        if (n.kind == BitExpr::Kind::xPlane) {
          if (n.plane < 0 || n.plane >= shape_.xPlanes)
            fail("{}: kernel formula reads x plane {} of {}", op.describe(), n.plane,
                 shape_.xPlanes);
          used[static_cast<size_t>(n.plane)] = true;
        }
        if (n.kind == BitExpr::Kind::wPlane && (n.plane < 0 || n.plane >= shape_.wPlanes))
          fail("{}: kernel formula reads w plane {} of {}", op.describe(), n.plane, shape_.wPlanes);
        if (n.lhs) markPlanes(*n.lhs, used);
        if (n.rhs) markPlanes(*n.rhs, used);
      };
  for (const PopcountTerm &t : formula.terms) {
    // Padding bits are 0 in every plane, so they must not count.
    if (evalBits(t.bits.node(), zeros.data(), zeros.data()) != 0)
      fail("{}: kernel formula counts padding bits", op.describe());
    bool readsX = t.bits.reads(BitExpr::Kind::xPlane);
    bool readsW = t.bits.reads(BitExpr::Kind::wPlane);
    if (readsX && !readsW) {
      markPlanes(t.bits.node(), xPlaneScalar_);
      xTerms_.push_back(&t);
    } else if (!readsX) {
      markPlanes(t.bits.node(), xPlaneScalar_);
      wTerms_.push_back(&t);
    } else {
      markPlanes(t.bits.node(), xPlaneVector_);
      auto it = std::find_if(classes_.begin(), classes_.end(),
                             [&](const TermClass &c) { return c.coefficient == t.coefficient; });
      if (it == classes_.end()) it = classes_.insert(classes_.end(), {t.coefficient, {}});
      it->bits.push_back(&t.bits.node());
    }
  }
  perCode_ = formula.perCode;
}

// Whether |dot| <= INT32_MAX for all inputs: each term counts at most 64 bits per word of each
// tap, and perCode applies to at most C codes per tap. In double, as it is only compared with
// INT32_MAX (no overflow for any shape).
bool MacPlan::dotFitsInt32(const PopcountFormula &formula) const {
  double taps = static_cast<double>(shape_.kernelH) * static_cast<double>(shape_.kernelW);
  double bits = 64.0 * static_cast<double>(shape_.words) * taps;
  double bound =
      std::abs(static_cast<double>(formula.perCode)) * static_cast<double>(shape_.channels) * taps;
  for (const PopcountTerm &t : formula.terms)
    bound += std::abs(static_cast<double>(t.coefficient)) * bits;
  return bound <= static_cast<double>(INT32_MAX);
}

void MacPlan::readEpilogue() {
  const Op &op = request_.op;
  if (!request_.hasOperand(2)) return;
  epilogue_ = thresholdSpec(op, shape_.outputs, 1);
  thresholdCount_ = request_.operandType(2).shape.at(1);
  packed_ = op.getInt("packed", 0) == 1;
  for (int64_t d : epilogue_->descending) anyDescending_ = anyDescending_ || d == 1;
  outPlanes_ = bitPlaneCount(epilogue_->quant);
  outWords_ = packedWords(shape_.outputs);
}

void MacPlan::chooseBlocking() {
  const CodegenTarget &target = request_.target;
  bool wideRegisterFile = target.vectorBits >= 512 || target.triple.rfind("aarch64", 0) == 0;
  int64_t registers = wideRegisterFile ? 32 : 16;
  int64_t perVector = std::max<int64_t>(1, kLanes * 64 / std::max(64u, target.vectorBits));
  int64_t accumulators = static_cast<int64_t>(classes_.size()) + (wTerms_.empty() ? 0 : 1);
  int64_t widestRun = 1;
  for (const ColumnRun &r : runs_) widestRun = std::max(widestRun, r.count);
  // Work per block, discounted by the padding groups a block size adds past the last channel.
  // Compared as fractions work / padded.
  int64_t bestWork = 0, bestPadded = 1;
  for (int64_t g = 1; g <= std::min(kMaxGroupsPerBlock, groups_); ++g)
    for (int64_t p = 1; p <= std::min(kMaxPositionsPerBlock, widestRun); ++p) {
      // Accumulators, the weight vectors of one word (live across the positions), one
      // position's activation planes and a few temporaries.
      int64_t live = (accumulators * g * p + g * shape_.wPlanes + shape_.xPlanes + 3) * perVector;
      if (g * p > 1 && live > registers) continue;
      int64_t padded = (groups_ + g - 1) / g * g, work = g * p * groups_;
      int64_t gain = work * bestPadded - bestWork * padded;
      if (gain > 0 || (gain == 0 && g > groupsPerBlock_)) {
        bestWork = work;
        bestPadded = padded;
        groupsPerBlock_ = g;
        positionsPerBlock_ = p;
      }
    }
  groupBlocks_ = (groups_ + groupsPerBlock_ - 1) / groupsPerBlock_;
}

void MacKernel::chooseCounting() {
  countType_ = laneType_;
  if (request_.target.vectorBits <= 64) {
    parts_ = kLanes;
    countType_ = i64Type_;
    return;
  }
  if (request_.target.triple.rfind("aarch64", 0) != 0) return;
  // An i16 lane gathers 16 bits of each word of every expression of a class per step: it must
  // not exceed 65535 over the block's steps (taps x words).
  size_t expressions = 0;
  for (const TermClass &c : classes_) expressions = std::max(expressions, c.bits.size());
  int64_t steps = shape_.kernelH * shape_.kernelW * shape_.words;
  if (steps * 16 * static_cast<int64_t>(expressions) > 65535) return;
  byteCounts_ = true;
  countType_ = llvm::FixedVectorType::get(b_.getInt16Ty(), kLanes * 4);
}

llvm::GlobalVariable *MacKernel::constantTable(const std::vector<uint64_t> &words,
                                               const char *what) {
  llvm::Module &module = *function_.getParent();
  llvm::Constant *init = llvm::ConstantDataArray::get(context_, llvm::ArrayRef<uint64_t>(words));
  auto *global =
      new llvm::GlobalVariable(module, init->getType(), true, llvm::GlobalValue::InternalLinkage,
                               init, function_.getName() + "." + what);
  global->setAlignment(llvm::Align(64));
  global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  return global;
}

// weights: [block][tap][plane][word][group in block][lane], so the groups of a block read one
// stream. Channels past M are zero. wTerms: [block][tap][group in block][lane], the weight-only
// terms summed over a tap's words.
void MacKernel::buildWeightTables(const Tensor &weights) {
  const MacShape &s = shape_;
  int64_t taps = s.kernelH * s.kernelW;
  const uint64_t *w = weights.data<uint64_t>();
  int64_t paddedGroups = groupBlocks_ * groupsPerBlock_;
  std::vector<uint64_t> table(
      static_cast<size_t>(paddedGroups * taps * s.wPlanes * s.words * kLanes), 0);
  std::vector<uint64_t> terms(static_cast<size_t>(paddedGroups * taps * kLanes), 0);
  std::vector<uint64_t> planes(static_cast<size_t>(s.wPlanes));
  for (int64_t m = 0; m < s.outputs; ++m) {
    int64_t group = m / kLanes, lane = m % kLanes;
    int64_t block = group / groupsPerBlock_, inBlock = group % groupsPerBlock_;
    for (int64_t tap = 0; tap < taps; ++tap) {
      const uint64_t *src = w + (m * taps + tap) * s.wPlanes * s.words;
      int64_t termSum = 0;
      for (int64_t i = 0; i < s.words; ++i) {
        for (int64_t p = 0; p < s.wPlanes; ++p) {
          uint64_t word = src[p * s.words + i];
          planes[static_cast<size_t>(p)] = word;
          int64_t dst =
              ((((block * taps + tap) * s.wPlanes + p) * s.words + i) * groupsPerBlock_ + inBlock) *
                  kLanes +
              lane;
          table[static_cast<size_t>(dst)] = word;
        }
        for (const PopcountTerm *t : wTerms_)
          termSum +=
              t->coefficient * std::popcount(evalBits(t->bits.node(), nullptr, planes.data()));
      }
      int64_t dst = ((block * taps + tap) * groupsPerBlock_ + inBlock) * kLanes + lane;
      terms[static_cast<size_t>(dst)] = static_cast<uint64_t>(termSum);
    }
  }
  weights_ = constantTable(table, "weights");
  if (!wTerms_.empty()) weightTerms_ = constantTable(terms, "weight_terms");
}

// thresholds: [group][t][lane], negated for descending channels and clamped to the range where
// the comparison with an i32 accumulator does not change (so negation cannot overflow);
// descending: [group][lane] all-ones for descending channels.
void MacKernel::buildThresholdTables(const Tensor &thresholds) {
  int64_t paddedGroups = groupBlocks_ * groupsPerBlock_;
  std::vector<uint64_t> table(static_cast<size_t>(paddedGroups * thresholdCount_ * kLanes), 0);
  std::vector<uint64_t> masks(static_cast<size_t>(paddedGroups * kLanes), 0);
  bool shared = thresholds.shape()[0] == 1;
  const int64_t lo = int64_t{INT32_MIN} - 1, hi = int64_t{INT32_MAX} + 1;
  for (int64_t m = 0; m < shape_.outputs; ++m) {
    bool down = !epilogue_->descending.empty() && epilogue_->descending[static_cast<size_t>(m)];
    int64_t group = m / kLanes, lane = m % kLanes;
    for (int64_t t = 0; t < thresholdCount_; ++t) {
      int64_t v = thresholds.data<int64_t>()[(shared ? 0 : m) * thresholdCount_ + t];
      v = std::clamp(v, lo, hi);
      table[static_cast<size_t>((group * thresholdCount_ + t) * kLanes + lane)] =
          static_cast<uint64_t>(down ? -v : v);
    }
    masks[static_cast<size_t>(group * kLanes + lane)] = down ? ~uint64_t{0} : 0;
  }
  // The tables are read once per output group: stored as narrow as their values allow (flash
  // on microcontrollers), widened to the i64 lanes on load.
  bool fits32 = std::all_of(table.begin(), table.end(), [](uint64_t v) {
    auto x = static_cast<int64_t>(v);
    return x >= INT32_MIN && x <= INT32_MAX;
  });
  if (fits32)
    thresholds_ = narrowTable(std::vector<int32_t>(table.begin(), table.end()), "thresholds");
  else
    thresholds_ = constantTable(table, "thresholds");
  if (anyDescending_)
    descending_ = narrowTable(std::vector<int8_t>(masks.begin(), masks.end()), "descending");
}

template <typename T>
llvm::GlobalVariable *MacKernel::narrowTable(const std::vector<T> &values, const char *what) {
  llvm::Module &module = *function_.getParent();
  llvm::Type *element = llvm::IntegerType::get(context_, sizeof(T) * 8);
  llvm::StringRef raw(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(T));
  llvm::Constant *init = llvm::ConstantDataArray::getRaw(raw, values.size(), element);
  auto *global =
      new llvm::GlobalVariable(module, init->getType(), true, llvm::GlobalValue::InternalLinkage,
                               init, function_.getName() + "." + what);
  global->setAlignment(llvm::Align(64));
  global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  return global;
}

Value *MacKernel::loadLanes(llvm::GlobalVariable *table, Value *index) {
  llvm::Type *element = table->getValueType()->getArrayElementType();
  auto *vector = llvm::FixedVectorType::get(element, kLanes);
  uint64_t bytes = element->getPrimitiveSizeInBits() / 8;
  Value *lanes = b_.CreateAlignedLoad(vector, b_.CreateGEP(element, table, index),
                                      llvm::Align(bytes * kLanes));
  return element == i64Type_ ? lanes : b_.CreateSExt(lanes, laneType_);
}

void MacKernel::buildTapTables() {
  const MacShape &s = shape_;
  if (!commonRows_) {
    std::vector<uint64_t> begin, end;
    for (int64_t oh = 0; oh < s.outH; ++oh) {
      TapRange r = tapRange(oh, s.strideH, s.padTop, s.dilationH, s.kernelH, s.height);
      begin.push_back(static_cast<uint64_t>(r.begin));
      end.push_back(static_cast<uint64_t>(r.end));
    }
    rowBegin_ = constantTable(begin, "row_taps_begin");
    rowEnd_ = constantTable(end, "row_taps_end");
  }
  if (runs_.size() > kMaxColumnRuns) {
    std::vector<uint64_t> begin, end;
    for (const ColumnRun &r : runs_)
      for (int64_t i = 0; i < r.count; ++i) {
        begin.push_back(static_cast<uint64_t>(r.range.begin));
        end.push_back(static_cast<uint64_t>(r.range.end));
      }
    columnBegin_ = constantTable(begin, "column_taps_begin");
    columnEnd_ = constantTable(end, "column_taps_end");
  }
}

// ---- code ----------------------------------------------------------------------------------

Value *MacKernel::entryAlloca(llvm::Type *type) {
  llvm::BasicBlock &entry = function_.getEntryBlock();
  Builder eb(&entry, entry.begin());
  return eb.CreateAlloca(type);
}

void MacKernel::loop(Value *begin, Value *end, int64_t step,
                     const std::function<void(Value *)> &body) {
  auto *cb = llvm::dyn_cast<llvm::ConstantInt>(begin);
  auto *ce = llvm::dyn_cast<llvm::ConstantInt>(end);
  if (cb && ce) {
    int64_t first = cb->getSExtValue(), last = ce->getSExtValue();
    if (first >= last) return;
    if (first + step >= last) {
      body(begin);
      return;
    }
  }
  llvm::BasicBlock *preheader = b_.GetInsertBlock();
  auto *header = llvm::BasicBlock::Create(context_, "loop", &function_);
  auto *bodyBlock = llvm::BasicBlock::Create(context_, "loop.body", &function_);
  auto *exit = llvm::BasicBlock::Create(context_, "loop.exit", &function_);
  b_.CreateBr(header);
  b_.SetInsertPoint(header);
  llvm::PHINode *iv = b_.CreatePHI(i64Type_, 2);
  iv->addIncoming(begin, preheader);
  b_.CreateCondBr(b_.CreateICmpSLT(iv, end), bodyBlock, exit);
  b_.SetInsertPoint(bodyBlock);
  body(iv);
  iv->addIncoming(b_.CreateAdd(iv, i64(step)), b_.GetInsertBlock());
  llvm::BranchInst *latch = b_.CreateBr(header);
  // One word step of a register block is already as much straight-line code as the register
  // file holds; unrolled copies let the scheduler interleave them into spills.
  llvm::MDNode *disable =
      llvm::MDNode::get(context_, llvm::MDString::get(context_, "llvm.loop.unroll.disable"));
  llvm::MDNode *self = llvm::MDNode::getDistinct(context_, {nullptr, disable});
  self->replaceOperandWith(0, self);
  latch->setMetadata(llvm::LLVMContext::MD_loop, self);
  b_.SetInsertPoint(exit);
}

void MacKernel::emit() {
  llvm::BasicBlock &entry = function_.getEntryBlock();
  b_.SetInsertPoint(&entry);
  x_ = function_.getArg(0);
  result_ = function_.getArg(static_cast<unsigned>(request_.op.inputs.size()));
  if (request_.sliced) {
    auto slice = static_cast<unsigned>(request_.op.inputs.size() + 1);
    loop(function_.getArg(slice), function_.getArg(slice + 1), 1,
         [&](Value *unit) { emitUnit(unit); });
    b_.CreateRetVoid();
    return;
  }
  loop(i64(0), i64(shape_.batch), 1, [&](Value *n) {
    loop(i64(0), i64(groupBlocks_), 1, [&](Value *groupBlock) {
      loop(i64(0), i64(shape_.outH), 1, [&](Value *oh) { emitRow(n, groupBlock, oh); });
    });
  });
  if (packed_) clearPackedTail(i64(0), shape_.batch * shape_.outH * shape_.outW * outPlanes_);
  b_.CreateRetVoid();
}

// One unit of a sliced kernel: the row `oh` of group block `groupBlock` of image `n`, where
// unit = (n * groupBlocks + groupBlock) * outH + oh; the last group block also clears the
// padding bytes of the row's packed words.
void MacKernel::emitUnit(Value *unit) {
  const MacShape &s = shape_;
  Value *n = i64(0), *rest = unit;
  if (s.batch > 1) {
    n = b_.CreateUDiv(unit, i64(groupBlocks_ * s.outH));
    rest = b_.CreateURem(unit, i64(groupBlocks_ * s.outH));
  }
  Value *groupBlock = i64(0), *oh = rest;
  if (groupBlocks_ > 1) {
    groupBlock = b_.CreateUDiv(rest, i64(s.outH));
    oh = b_.CreateURem(rest, i64(s.outH));
  }
  emitRow(n, groupBlock, oh);
  if (!packed_ || outWords_ * 8 == groups_) return;
  auto *clear = llvm::BasicBlock::Create(context_, "tail.clear", &function_);
  auto *done = llvm::BasicBlock::Create(context_, "tail.done", &function_);
  b_.CreateCondBr(b_.CreateICmpEQ(groupBlock, i64(groupBlocks_ - 1)), clear, done);
  b_.SetInsertPoint(clear);
  Value *row = b_.CreateAdd(b_.CreateMul(n, i64(s.outH)), oh);
  clearPackedTail(b_.CreateMul(row, i64(s.outW * outPlanes_)), s.outW * outPlanes_);
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
}

void MacKernel::emitRow(Value *n, Value *groupBlock, Value *oh) {
  RangeValues rows;
  if (commonRows_) {
    rows = {i64(commonRows_->begin), i64(commonRows_->end)};
  } else {
    rows = {b_.CreateLoad(i64Type_, b_.CreateGEP(i64Type_, rowBegin_, oh)),
            b_.CreateLoad(i64Type_, b_.CreateGEP(i64Type_, rowEnd_, oh))};
  }
  if (runs_.size() > kMaxColumnRuns) {
    loop(i64(0), i64(shape_.outW), 1, [&](Value *ow) {
      RangeValues columns{b_.CreateLoad(i64Type_, b_.CreateGEP(i64Type_, columnBegin_, ow)),
                          b_.CreateLoad(i64Type_, b_.CreateGEP(i64Type_, columnEnd_, ow))};
      emitBlock(n, groupBlock, oh, rows, ow, 1, columns);
    });
    return;
  }
  for (const ColumnRun &run : runs_) {
    RangeValues columns{i64(run.range.begin), i64(run.range.end)};
    int64_t width = std::min(positionsPerBlock_, run.count);
    int64_t blocked = run.count / width * width;
    loop(i64(run.first), i64(run.first + blocked), width,
         [&](Value *ow) { emitBlock(n, groupBlock, oh, rows, ow, width, columns); });
    if (blocked < run.count)
      emitBlock(n, groupBlock, oh, rows, i64(run.first + blocked), run.count - blocked, columns);
  }
}

void MacKernel::emitBlock(Value *n, Value *groupBlock, Value *oh, RangeValues rows, Value *ow0,
                          int64_t positions, RangeValues columns) {
  const MacShape &s = shape_;
  int64_t groups = groupsPerBlock_;
  llvm::Constant *zeroLanes = llvm::Constant::getNullValue(laneType_);
  accumulators_.clear();
  blockPositions_ = positions;
  for (size_t i = 0; i < classes_.size() * static_cast<size_t>(groups * positions * parts_); ++i) {
    accumulators_.push_back(entryAlloca(countType_));
    b_.CreateStore(llvm::Constant::getNullValue(countType_), accumulators_.back());
  }
  wAccumulators_.clear();
  if (!wTerms_.empty())
    for (int64_t g = 0; g < groups; ++g) {
      wAccumulators_.push_back(entryAlloca(laneType_));
      b_.CreateStore(zeroLanes, wAccumulators_.back());
    }
  xAccumulators_.clear();
  if (!xTerms_.empty())
    for (int64_t j = 0; j < positions; ++j) {
      xAccumulators_.push_back(entryAlloca(i64Type_));
      b_.CreateStore(i64(0), xAccumulators_.back());
    }

  loop(rows.begin, rows.end, 1, [&](Value *kh) {
    Value *ih = b_.CreateAdd(b_.CreateMul(oh, i64(s.strideH)),
                             b_.CreateAdd(i64(-s.padTop), b_.CreateMul(kh, i64(s.dilationH))));
    loop(columns.begin, columns.end, 1,
         [&](Value *kw) { emitTap(n, groupBlock, ih, ow0, positions, kh, kw); });
  });

  // The in-bounds codes of each position: C per in-bounds tap.
  Value *taps =
      b_.CreateMul(b_.CreateSub(rows.end, rows.begin), b_.CreateSub(columns.end, columns.begin));
  Value *perCode = b_.CreateMul(taps, i64(perCode_ * s.channels));
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t j = 0; j < positions; ++j) {
      Value *dot = zeroLanes;
      for (size_t c = 0; c < classes_.size(); ++c) {
        Value *acc = llvm::PoisonValue::get(laneType_);
        if (parts_ == 1)
          acc = widenCounts(b_.CreateLoad(countType_, accumulator(c, g, j, 0)));
        else
          for (int64_t lane = 0; lane < kLanes; ++lane)
            acc = b_.CreateInsertElement(acc, b_.CreateLoad(countType_, accumulator(c, g, j, lane)),
                                         static_cast<uint64_t>(lane));
        dot = b_.CreateAdd(
            dot, b_.CreateMul(acc, b_.CreateVectorSplat(kLanes, i64(classes_[c].coefficient))));
      }
      if (!wTerms_.empty())
        dot = b_.CreateAdd(dot, b_.CreateLoad(laneType_, wAccumulators_[static_cast<size_t>(g)]));
      Value *scalar = perCode;
      if (!xTerms_.empty())
        scalar =
            b_.CreateAdd(scalar, b_.CreateLoad(i64Type_, xAccumulators_[static_cast<size_t>(j)]));
      dot = b_.CreateAdd(dot, b_.CreateVectorSplat(kLanes, scalar));
      Value *group = b_.CreateAdd(b_.CreateMul(groupBlock, i64(groups)), i64(g));
      Value *position = b_.CreateAdd(b_.CreateMul(oh, i64(s.outW)), b_.CreateAdd(ow0, i64(j)));
      emitResult(n, group, position, dot);
    }
}

void MacKernel::emitTap(Value *n, Value *groupBlock, Value *ih, Value *ow0, int64_t positions,
                        Value *kh, Value *kw) {
  const MacShape &s = shape_;
  int64_t taps = s.kernelH * s.kernelW;
  Value *tap = b_.CreateAdd(b_.CreateMul(kh, i64(s.kernelW)), kw);
  Value *rowBase = b_.CreateMul(b_.CreateAdd(b_.CreateMul(n, i64(s.height)), ih), i64(s.width));
  Value *iw0 = b_.CreateAdd(b_.CreateMul(ow0, i64(s.strideW)),
                            b_.CreateAdd(i64(-s.padLeft), b_.CreateMul(kw, i64(s.dilationW))));
  std::vector<Value *> xRows;
  for (int64_t j = 0; j < positions; ++j) {
    Value *iw = b_.CreateAdd(iw0, i64(j * s.strideW));
    Value *offset = b_.CreateMul(b_.CreateAdd(rowBase, iw), i64(s.xPlanes * s.words));
    xRows.push_back(b_.CreateGEP(i64Type_, x_, offset));
  }
  Value *blockTap = b_.CreateAdd(b_.CreateMul(groupBlock, i64(taps)), tap);
  Value *wRow =
      b_.CreateGEP(i64Type_, weights_,
                   b_.CreateMul(blockTap, i64(s.wPlanes * s.words * groupsPerBlock_ * kLanes)));
  loop(i64(0), i64(s.words), 1, [&](Value *word) { emitWord(xRows, wRow, word, positions); });
  if (!wTerms_.empty())
    for (int64_t g = 0; g < groupsPerBlock_; ++g) {
      Value *at = b_.CreateGEP(
          i64Type_, weightTerms_,
          b_.CreateAdd(b_.CreateMul(blockTap, i64(groupsPerBlock_ * kLanes)), i64(g * kLanes)));
      Value *acc = wAccumulators_[static_cast<size_t>(g)];
      b_.CreateStore(b_.CreateAdd(b_.CreateLoad(laneType_, acc),
                                  b_.CreateAlignedLoad(laneType_, at, llvm::Align(64))),
                     acc);
    }
}

void MacKernel::emitWord(const std::vector<Value *> &xRows, Value *wRow, Value *word,
                         int64_t positions) {
  const MacShape &s = shape_;
  int64_t groups = groupsPerBlock_;
  // The weight vectors of the word stay live across the positions; each position's activation
  // words are loaded (and broadcast for the vector terms) just before use.
  // wParts[g * parts + part][plane].
  std::vector<std::vector<Value *>> wParts(static_cast<size_t>(groups * parts_));
  if (!classes_.empty())
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t p = 0; p < s.wPlanes; ++p) {
        Value *index =
            b_.CreateAdd(b_.CreateMul(b_.CreateAdd(i64(p * s.words), word), i64(groups * kLanes)),
                         i64(g * kLanes));
        Value *at = b_.CreateGEP(i64Type_, wRow, index);
        for (int64_t part = 0; part < parts_; ++part)
          wParts[static_cast<size_t>(g * parts_ + part)].push_back(
              parts_ == 1 ? b_.CreateAlignedLoad(laneType_, at, llvm::Align(64))
                          : b_.CreateAlignedLoad(i64Type_, b_.CreateGEP(i64Type_, at, i64(part)),
                                                 llvm::Align(8)));
      }
  for (int64_t j = 0; j < positions; ++j) {
    std::vector<Value *> xScalar, xVector;
    for (int64_t p = 0; p < s.xPlanes; ++p) {
      bool scalar = xPlaneScalar_[static_cast<size_t>(p)];
      bool vector = xPlaneVector_[static_cast<size_t>(p)];
      Value *v = nullptr;
      if (scalar || vector)
        v = b_.CreateAlignedLoad(i64Type_,
                                 b_.CreateGEP(i64Type_, xRows[static_cast<size_t>(j)],
                                              b_.CreateAdd(word, i64(p * s.words))),
                                 llvm::Align(8));
      xScalar.push_back(v);
      xVector.push_back(vector && parts_ == 1 ? b_.CreateVectorSplat(kLanes, v) : v);
    }
    for (int64_t g = 0; g < groups; ++g)
      for (size_t c = 0; c < classes_.size(); ++c)
        for (int64_t part = 0; part < parts_; ++part) {
          Value *sum = nullptr;
          for (const BitExpr::Node *bits : classes_[c].bits) {
            Value *count = popcount(
                emitBits(b_, *bits, xVector, wParts[static_cast<size_t>(g * parts_ + part)]));
            sum = sum ? b_.CreateAdd(sum, count) : count;
          }
          Value *acc = accumulator(c, g, j, part);
          b_.CreateStore(b_.CreateAdd(b_.CreateLoad(countType_, acc), sum), acc);
        }
    Value *xSum = nullptr;
    for (const PopcountTerm *t : xTerms_) {
      Value *count = b_.CreateUnaryIntrinsic(llvm::Intrinsic::ctpop,
                                             emitBits(b_, t->bits.node(), xScalar, {}));
      Value *term = b_.CreateMul(count, i64(t->coefficient));
      xSum = xSum ? b_.CreateAdd(xSum, term) : term;
    }
    if (xSum) {
      Value *slot = xAccumulators_[static_cast<size_t>(j)];
      b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64Type_, slot), xSum), slot);
    }
  }
}

Value *MacKernel::popcount(Value *bits) {
  if (!byteCounts_) return b_.CreateUnaryIntrinsic(llvm::Intrinsic::ctpop, bits);
  auto *bytes = llvm::FixedVectorType::get(b_.getInt8Ty(), kLanes * 8);
  Value *counts = b_.CreateUnaryIntrinsic(llvm::Intrinsic::ctpop, b_.CreateBitCast(bits, bytes));
  // uaddlp per 128-bit register; the adds into the accumulator become uadalp.
  auto *quarter = llvm::FixedVectorType::get(b_.getInt16Ty(), 8);
  std::vector<Value *> pairs;
  for (int q = 0; q < 4; ++q) {
    std::vector<int> lanes;
    for (int i = 0; i < 16; ++i) lanes.push_back(q * 16 + i);
    Value *part = b_.CreateShuffleVector(counts, lanes);
    pairs.push_back(b_.CreateIntrinsic(llvm::Intrinsic::aarch64_neon_uaddlp,
                                       {quarter, part->getType()}, {part}));
  }
  std::vector<int> low, all;
  for (int i = 0; i < 16; ++i) low.push_back(i);
  for (int i = 0; i < 32; ++i) all.push_back(i);
  return b_.CreateShuffleVector(b_.CreateShuffleVector(pairs[0], pairs[1], low),
                                b_.CreateShuffleVector(pairs[2], pairs[3], low), all);
}

Value *MacKernel::accumulator(size_t c, int64_t g, int64_t j, int64_t part) const {
  int64_t index =
      ((static_cast<int64_t>(c) * groupsPerBlock_ + g) * blockPositions_ + j) * parts_ + part;
  return accumulators_[static_cast<size_t>(index)];
}

// The per-channel i64 sums of an accumulator of countType_.
Value *MacKernel::widenCounts(Value *counts) {
  if (!byteCounts_) return counts;
  // Each i64 lane holds four u16 partial sums of its channel.
  Value *v = b_.CreateBitCast(counts, laneType_);
  auto splat = [&](uint64_t c) { return b_.CreateVectorSplat(kLanes, b_.getInt64(c)); };
  Value *halves =
      b_.CreateAdd(b_.CreateAnd(v, splat(0x0000FFFF0000FFFFull)),
                   b_.CreateAnd(b_.CreateLShr(v, splat(16)), splat(0x0000FFFF0000FFFFull)));
  return b_.CreateAdd(b_.CreateAnd(halves, splat(0xFFFFFFFFull)), b_.CreateLShr(halves, splat(32)));
}

void MacKernel::emitResult(Value *n, Value *group, Value *position, Value *dot) {
  // The reference wraps the int64 dot product to int32 before anything else.
  auto *i32Lanes = llvm::FixedVectorType::get(b_.getInt32Ty(), kLanes);
  if (!epilogue_) {
    storeLanes(n, group, position, b_.CreateTrunc(dot, i32Lanes), b_.getInt32Ty());
    return;
  }
  Value *wrapped = dotFitsInt32_ ? dot : b_.CreateSExt(b_.CreateTrunc(dot, i32Lanes), laneType_);
  std::vector<Value *> hits = thresholdHits(group, wrapped);
  Value *codes = thresholdCodes(hits);
  if (packed_) {
    storePackedBits(n, group, position, codes, hits);
    return;
  }
  llvm::Type *element =
      codeDType(epilogue_->quant) == DType::i8 || codeDType(epilogue_->quant) == DType::u8
          ? b_.getInt8Ty()
          : b_.getInt16Ty();
  storeLanes(n, group, position, b_.CreateTrunc(codes, llvm::FixedVectorType::get(element, kLanes)),
             element);
}

// value >= T_t for each threshold t, as <kLanes x i1>.
std::vector<Value *> MacKernel::thresholdHits(Value *group, Value *dot) {
  Value *value = dot;
  if (descending_) {
    // acc <= T  <=>  -acc >= -T: negate the descending lanes (the table holds -T there).
    Value *mask = loadLanes(descending_, b_.CreateMul(group, i64(kLanes)));
    value = b_.CreateSub(b_.CreateXor(dot, mask), mask);
  }
  std::vector<Value *> hits;
  for (int64_t t = 0; t < thresholdCount_; ++t) {
    Value *index =
        b_.CreateMul(b_.CreateAdd(b_.CreateMul(group, i64(thresholdCount_)), i64(t)), i64(kLanes));
    hits.push_back(b_.CreateICmpSGE(value, loadLanes(thresholds_, index)));
  }
  return hits;
}

// The codes: minCode + the number of thresholds reached (bipolar: -1 or +1).
Value *MacKernel::thresholdCodes(const std::vector<Value *> &hits) {
  Value *count = llvm::Constant::getNullValue(laneType_);
  for (Value *hit : hits) count = b_.CreateAdd(count, b_.CreateZExt(hit, laneType_));
  const QuantInfo &q = epilogue_->quant;
  if (q.encoding == QEncoding::bipolar)
    return b_.CreateSub(b_.CreateShl(count, 1), b_.CreateVectorSplat(kLanes, i64(1)));
  return b_.CreateAdd(count, b_.CreateVectorSplat(kLanes, i64(q.minCode())));
}

// Stores the lanes of `values` (one per channel of `group`) at their result elements; lanes of
// channels >= M are not stored.
void MacKernel::storeLanes(Value *n, Value *group, Value *position, Value *values,
                           llvm::Type *element) {
  const MacShape &s = shape_;
  Value *base = b_.CreateAdd(
      b_.CreateAdd(b_.CreateMul(n, i64(s.batchStride)),
                   b_.CreateMul(b_.CreateMul(group, i64(kLanes)), i64(s.channelStride))),
      b_.CreateMul(position, i64(s.positionStride)));
  llvm::Align align(element->getPrimitiveSizeInBits() / 8);
  auto store = [&](int64_t lanes) {
    for (int64_t lane = 0; lane < lanes; ++lane)
      b_.CreateAlignedStore(
          b_.CreateExtractElement(values, static_cast<uint64_t>(lane)),
          b_.CreateGEP(element, result_, b_.CreateAdd(base, i64(lane * s.channelStride))), align);
  };
  int64_t paddedGroups = groupBlocks_ * groupsPerBlock_;
  int64_t lastLanes = s.outputs - (groups_ - 1) * kLanes;
  if (lastLanes == kLanes && paddedGroups == groups_) {
    store(kLanes);
    return;
  }
  auto *full = llvm::BasicBlock::Create(context_, "store.full", &function_);
  auto *partial = llvm::BasicBlock::Create(context_, "store.partial", &function_);
  auto *last = llvm::BasicBlock::Create(context_, "store.last", &function_);
  auto *done = llvm::BasicBlock::Create(context_, "store.done", &function_);
  b_.CreateCondBr(b_.CreateICmpSLT(group, i64(groups_ - 1)), full, partial);
  b_.SetInsertPoint(full);
  store(kLanes);
  b_.CreateBr(done);
  b_.SetInsertPoint(partial);
  b_.CreateCondBr(b_.CreateICmpEQ(group, i64(groups_ - 1)), last, done);
  b_.SetInsertPoint(last);
  store(lastLanes);
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
}

// Packs the codes of one group into byte `group` of each plane's words: one byte per plane.
// Bit `plane` of the packed encoding of `codes`. With two thresholds a ternary code is
// count - 1 for count = hit0 + hit1, so its mask (code != 0) is hit0 == hit1 and its sign
// (code < 0) is !hit0 & !hit1, whatever the thresholds' order: taken from the comparisons'
// masks directly rather than through the count.
Value *MacKernel::planeBits(int plane, Value *codes, const std::vector<Value *> &hits) {
  const QuantInfo &q = epilogue_->quant;
  Value *zero = llvm::Constant::getNullValue(laneType_);
  switch (q.encoding) {
  case QEncoding::bipolar:
    return b_.CreateICmpSGT(codes, zero);
  case QEncoding::ternary:
    if (hits.size() == 2 && q.minCode() == -1)
      return plane == 0 ? b_.CreateICmpEQ(hits[0], hits[1])
                        : b_.CreateNot(b_.CreateOr(hits[0], hits[1]));
    return plane == 0 ? b_.CreateICmpNE(codes, zero) : b_.CreateICmpSLT(codes, zero);
  case QEncoding::uint:
  case QEncoding::sint: {
    Value *digit =
        b_.CreateAnd(b_.CreateAShr(codes, b_.CreateVectorSplat(kLanes, i64(q.bits - 1 - plane))),
                     b_.CreateVectorSplat(kLanes, i64(1)));
    return b_.CreateICmpNE(digit, zero);
  }
  }
  return nullptr;
}

void MacKernel::storePackedBits(Value *n, Value *group, Value *position, Value *codes,
                                const std::vector<Value *> &hits) {
  const MacShape &s = shape_;
  int64_t paddedGroups = groupBlocks_ * groupsPerBlock_;
  llvm::BasicBlock *done = nullptr;
  if (paddedGroups > groups_) {
    auto *store = llvm::BasicBlock::Create(context_, "pack.store", &function_);
    done = llvm::BasicBlock::Create(context_, "pack.done", &function_);
    b_.CreateCondBr(b_.CreateICmpSLT(group, i64(groups_)), store, done);
    b_.SetInsertPoint(store);
  }
  int64_t lastLanes = s.outputs - (groups_ - 1) * kLanes;
  Value *site =
      b_.CreateMul(b_.CreateAdd(b_.CreateMul(n, i64(s.outH * s.outW)), position), i64(outPlanes_));
  for (int p = 0; p < outPlanes_; ++p) {
    Value *byte = b_.CreateBitCast(planeBits(p, codes, hits), b_.getInt8Ty());
    if (lastLanes < kLanes)
      byte = b_.CreateSelect(b_.CreateICmpEQ(group, i64(groups_ - 1)),
                             b_.CreateAnd(byte, b_.getInt8((1u << lastLanes) - 1)), byte);
    Value *offset =
        b_.CreateAdd(b_.CreateMul(b_.CreateAdd(site, i64(p)), i64(outWords_ * 8)), group);
    b_.CreateStore(byte, b_.CreateGEP(b_.getInt8Ty(), result_, offset));
  }
  if (done) {
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
  }
}

// Bytes of the packed output words past the last group are padding bits: 0, at `sites`
// consecutive (position, plane) sites from `firstSite`.
void MacKernel::clearPackedTail(Value *firstSite, int64_t sites) {
  int64_t tail = outWords_ * 8 - groups_;
  if (tail == 0) return;
  loop(i64(0), i64(sites), 1, [&](Value *site) {
    Value *at = b_.CreateAdd(firstSite, site);
    Value *offset = b_.CreateAdd(b_.CreateMul(at, i64(outWords_ * 8)), i64(groups_));
    b_.CreateMemSet(b_.CreateGEP(b_.getInt8Ty(), result_, offset), b_.getInt8(0),
                    static_cast<uint64_t>(tail), llvm::MaybeAlign(1));
  });
}

} // namespace

void emitPopcountMac(const KernelRequest &request, llvm::Function &function,
                     const PopcountFormula &formula) {
  MacKernel(request, function, formula).emit();
}

std::optional<KernelSlicing> popcountSlicing(const KernelRequest &request,
                                             const PopcountFormula &formula) {
  MacPlan plan(request, formula);
  const MacShape &s = plan.shape();
  auto bits = [](const TensorType &t) { return t.quant ? int64_t{t.quant->bits} : 1; };
  int64_t macs = s.batch * s.outH * s.outW * s.outputs * s.kernelH * s.kernelW * s.channels;
  return KernelSlicing{plan.units(),
                       macs * bits(request.operandType(0)) * bits(request.operandType(1))};
}

} // namespace qcc::codegen
