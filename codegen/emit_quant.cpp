// Quantizer kernels: the quantized level's quantize / dequantize / threshold, requantize, and
// the import-level quantizers that can survive into a compiled graph (quantize_linear,
// dequantize_linear, quant, bipolar_quant, multi_threshold). Each reproduces its op's eval in
// ir/ops (quantized.cpp, quant_linear.cpp, quant_qonnx.cpp) step by step in the same float
// types, so results are bit-exact; roundings use LoopBuilder::roundFloat (no libm calls).
#include "codegen/kernel.h"
#include "codegen/loop_builder.h"
#include "ir/error.h"
#include "ir/ops/broadcast.h"
#include "ir/ops/codes.h"
#include "ir/ops/packing.h"
#include "ir/ops/residual.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <llvm/IR/Constants.h>
#include <llvm/IR/Intrinsics.h>
#include <optional>

namespace qcc::codegen {
namespace {

using llvm::Value;

// A tensor viewed as [outer, channels, inner] around `axis` (axis < 0: [1, numel, 1] with
// channel index 0 everywhere).
struct AxisView {
  Shape shape; // {outer, channels, inner}
  bool perTensor = true;
};

AxisView axisView(const Shape &shape, int64_t axis) {
  AxisView v;
  int64_t outer = 1, channels = 1, inner = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    auto sd = static_cast<int64_t>(d);
    if (axis < 0 || sd == axis)
      channels *= shape[d];
    else if (sd < axis)
      outer *= shape[d];
    else
      inner *= shape[d];
  }
  v.shape = {outer, channels, inner};
  v.perTensor = axis < 0;
  return v;
}

// Iterates every element of an AxisView; the body gets the element offset and the channel
// index (0 when per tensor).
void forEachChannelElement(LoopBuilder &b, const AxisView &v,
                           const std::function<void(Value *element, Value *channel)> &body) {
  std::vector<int64_t> data = rowMajor(v.shape);
  std::vector<int64_t> channel =
      v.perTensor ? std::vector<int64_t>{0, 0, 0} : std::vector<int64_t>{0, 1, 0};
  b.forEachIndex(v.shape, {data, channel},
                 [&](const std::vector<Value *> &at) { body(at[0], at[1]); });
}

// A per-channel float parameter: one constant when all entries are equal, else a table lookup.
Value *channelParameter(LoopBuilder &b, const std::vector<double> &values, llvm::Type *type,
                        Value *channel, const std::string &name) {
  bool uniform = true;
  for (double v : values) uniform = uniform && v == values[0];
  if (uniform) return b.constFloat(type, values[0]);
  if (type->isFloatTy()) {
    std::vector<float> table(values.begin(), values.end());
    return b.load(type, b.constantTable(table, name), channel);
  }
  return b.load(type, b.constantTable(values, name), channel);
}

// saturate(rne(v) + zp) to [qmin, qmax], NaN -> qmin, for a float or double v (quant.h
// linearQuantCode / saturateCode). Clamping |v| to 2^22 first changes no result: qmin, qmax
// and zp are 16-bit values.
Value *linearCode(LoopBuilder &b, Value *v, Value *zeroPoint, int64_t qmin, int64_t qmax) {
  auto &ir = b.ir();
  llvm::Type *type = v->getType();
  Value *limit = b.constFloat(type, 0x1p22);
  Value *negLimit = b.constFloat(type, -0x1p22);
  v = ir.CreateSelect(ir.CreateFCmpOGT(v, limit), limit, v);
  v = ir.CreateSelect(ir.CreateFCmpOLT(v, negLimit), negLimit, v);
  v = b.roundFloat(RoundingMode::round, v);
  // Through i32: 32-bit targets have no 64-bit conversion instruction (it would be a call).
  Value *shifted = ir.CreateAdd(ir.CreateSExt(ir.CreateFPToSI(v, b.i32()), b.i64()), zeroPoint);
  shifted = b.smax(b.smin(shifted, b.constI64(qmax)), b.constI64(qmin));
  return ir.CreateSelect(b.isNaN(v), b.constI64(qmin), shifted);
}

// ---- quantize ------------------------------------------------------------------------------

void emitQuantize(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const TensorType &xType = request.operandType(0);
  const TensorType &yType = request.resultType(0);
  if (xType.dtype != DType::f32 || !yType.quant)
    fail("{}: the code generator needs an f32 input and codes with quant info", op.describe());
  const QuantInfo &q = *yType.quant;
  const std::string &form = op.getString("form");
  RoundingMode mode = roundingModeOf(op);
  for (double zp : q.zeroPoint)
    if (form == "onnx" && std::fabs(zp) >= 0x1p20)
      fail("{}: zero point {} is outside the range the code generator supports (|zp| < 2^20)",
           op.describe(), zp);
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  AxisView view = axisView(xType.shape, op.getInt("axis"));
  int64_t qmin = q.minCode(), qmax = q.maxCode();
  llvm::Type *f32 = b.f32();
  forEachChannelElement(b, view, [&](Value *at, Value *channel) {
    Value *x = b.load(f32, b.operand(0), at);
    Value *code = nullptr;
    if (form == "bipolar") {
      code = ir.CreateSelect(ir.CreateFCmpOGE(x, b.constFloat(f32, 0.0)), b.constI64(1),
                             b.constI64(-1));
    } else {
      Value *scale = channelParameter(b, q.scale, f32, channel, "scale");
      if (form == "qonnx") {
        Value *zero = channelParameter(b, q.zeroPoint, f32, channel, "zero_point");
        // rmode(clamp(x / s + zp)) in float32, NaN -> minCode (quant_qonnx.cpp).
        Value *v = ir.CreateFAdd(ir.CreateFDiv(x, scale), zero);
        Value *hi = b.constFloat(f32, static_cast<double>(static_cast<float>(qmax)));
        Value *lo = b.constFloat(f32, static_cast<double>(static_cast<float>(qmin)));
        v = ir.CreateSelect(ir.CreateFCmpOGT(v, hi), hi, v);
        v = ir.CreateSelect(ir.CreateFCmpOLT(v, lo), lo, v);
        v = b.roundFloat(mode, v);
        // Through i32 where the codes fit (no 64-bit conversion call on 32-bit targets).
        bool narrow = qmin >= -(int64_t{1} << 30) && qmax <= (int64_t{1} << 30);
        Value *integral = narrow ? ir.CreateSExt(ir.CreateFPToSI(v, b.i32()), b.i64())
                                 : ir.CreateFPToSI(v, b.i64());
        code = ir.CreateSelect(b.isNaN(v), b.constI64(qmin), integral);
      } else if (form == "onnx") {
        // saturate(rne(x / s) + zp) with an integral zp (quant_linear.cpp).
        std::vector<int64_t> zeroPoints(q.zeroPoint.begin(), q.zeroPoint.end());
        bool uniform = std::all_of(zeroPoints.begin(), zeroPoints.end(),
                                   [&](int64_t z) { return z == zeroPoints[0]; });
        Value *zp = uniform ? b.constI64(zeroPoints[0])
                            : b.load(b.i64(), b.constantTable(zeroPoints, "zp"), channel);
        code = linearCode(b, ir.CreateFDiv(x, scale), zp, qmin, qmax);
      } else {
        fail("{}: form '{}' is not supported by the code generator", op.describe(), form);
      }
    }
    b.store(ir.CreateTrunc(code, b.storageType(yType.dtype)), b.result(0), at);
  });
  b.finish();
}

// ---- dequantize ----------------------------------------------------------------------------

// float((double(q) - zp) * scale), the product in double (quantized.cpp), for a code q of dtype
// `t` in the channel `channel`. When every scale is a float, every zero point an integer and
// |q - zp| < 2^24, float arithmetic gives the same bits: q - zp is exact in float, and the double
// product of two floats is exact, so rounding it to float is the correctly rounded float
// product. Targets without a double-precision unit (Cortex-M4) then need no double helper calls.
Value *dequantizeElement(LoopBuilder &b, DType t, Value *q, const std::vector<double> &scale,
                         const std::vector<double> &zero, Value *channel) {
  auto &ir = b.ir();
  bool inFloat = isInteger(t) && storageBytes(t) <= 2;
  for (double s : scale) inFloat = inFloat && static_cast<double>(static_cast<float>(s)) == s;
  for (double z : zero)
    inFloat = inFloat && z == std::nearbyint(z) && std::fabs(z) < 0x1p24 &&
              std::fabs(static_cast<double>(dtypeMin(t)) - z) < 0x1p24 &&
              std::fabs(static_cast<double>(dtypeMax(t)) - z) < 0x1p24;
  llvm::Type *type = inFloat ? b.f32() : b.f64();
  Value *centered =
      ir.CreateFSub(b.toFloat(t, q, type), channelParameter(b, zero, type, channel, "zero_point"));
  Value *y = ir.CreateFMul(centered, channelParameter(b, scale, type, channel, "scale"));
  return inFloat ? y : ir.CreateFPTrunc(y, b.f32());
}

void emitDequantize(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const TensorType &qType = request.operandType(0);
  LoopBuilder b(request, function);
  AxisView view = axisView(qType.shape, op.getInt("axis"));
  const std::vector<double> &scale = op.getFloats("scale");
  const std::vector<double> &zero = op.getFloats("zero_point");
  forEachChannelElement(b, view, [&](Value *at, Value *channel) {
    Value *q = b.load(qType.dtype, b.operand(0), at);
    b.store(dequantizeElement(b, qType.dtype, q, scale, zero, channel), b.result(0), at);
  });
  b.finish();
}

// ---- threshold -----------------------------------------------------------------------------

void emitThreshold(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const TensorType &accType = request.operandType(0);
  const TensorType &tableType = request.operandType(1);
  const TensorType &yType = request.resultType(0);
  int64_t axis = op.getInt("axis");
  ThresholdSpec spec = thresholdSpec(op, accType.shape.at(static_cast<size_t>(axis)), axis);
  int64_t perChannel = tableType.shape.at(1);
  bool sharedRow = tableType.shape.at(0) == 1;
  // Constant rows sorted ascending (as streamline makes them) allow a binary search: the count
  // of thresholds passed does not depend on their order. Up to 16 thresholds are counted one by
  // one: LLVM unrolls that count and vectorizes across the elements.
  const Tensor *table = request.constant(1);
  bool sorted = table && perChannel > 16;
  for (int64_t i = 0; sorted && i < tableType.numel(); ++i)
    sorted = i % perChannel == 0 || table->getInt(i - 1) <= table->getInt(i);
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  Value *descending = nullptr;
  bool anyDescending = false;
  for (int64_t d : spec.descending) anyDescending = anyDescending || d != 0;
  if (anyDescending) {
    std::vector<int64_t> flags(spec.descending.begin(), spec.descending.end());
    descending = b.constantTable(flags, "descending");
  }
  AxisView view = axisView(accType.shape, axis);
  forEachChannelElement(b, view, [&](Value *at, Value *channel) {
    Value *acc = b.toI64(accType.dtype, b.load(accType.dtype, b.operand(0), at));
    Value *row = sharedRow ? b.constI64(0) : ir.CreateMul(channel, b.constI64(perChannel));
    Value *down = anyDescending
                      ? ir.CreateICmpNE(b.load(b.i64(), descending, channel), b.constI64(0))
                      : nullptr;
    Value *count = nullptr;
    if (sorted) {
      // Branchless binary search for the number of thresholds T with T <= acc (ascending),
      // or T < acc (descending: the count is then the rest, T >= acc).
      auto before = [&](Value *t) {
        Value *threshold = b.load(b.i64(), b.operand(1), ir.CreateAdd(row, t));
        Value *hit = ir.CreateICmpSLE(threshold, acc);
        if (down) hit = ir.CreateSelect(down, ir.CreateICmpSLT(threshold, acc), hit);
        return hit;
      };
      Value *base = b.constI64(0);
      for (int64_t n = perChannel; n > 1; n -= n / 2) {
        Value *probe = ir.CreateAdd(base, b.constI64(n / 2));
        base = ir.CreateSelect(before(probe), probe, base);
      }
      count = ir.CreateAdd(base, ir.CreateZExt(before(base), b.i64()));
      if (down) count = ir.CreateSelect(down, ir.CreateSub(b.constI64(perChannel), count), count);
    } else {
      count = b.accumulate(perChannel, b.constI64(0), [&](Value *t, Value *sum) {
        Value *threshold = b.load(b.i64(), b.operand(1), ir.CreateAdd(row, t));
        Value *hit = ir.CreateICmpSGE(acc, threshold);
        if (down) hit = ir.CreateSelect(down, ir.CreateICmpSLE(acc, threshold), hit);
        return ir.CreateAdd(sum, ir.CreateZExt(hit, b.i64()));
      });
    }
    Value *code = spec.quant.encoding == QEncoding::bipolar
                      ? ir.CreateSub(ir.CreateShl(count, 1), b.constI64(1))
                      : ir.CreateAdd(count, b.constI64(spec.quant.minCode()));
    b.store(ir.CreateTrunc(code, b.storageType(yType.dtype)), b.result(0), at);
  });
  b.finish();
}

// ---- residual_quantize ---------------------------------------------------------------------

// The ops residual_quantize replaces (ir/ops/residual.cpp) in one loop over the elements: per
// operand a dequantize and an optional f32 batch normalization (sqrt(var + eps) folded per
// channel at compile time, the same f32 square root), then the f32 sum and its bipolar code. No
// intermediate tensor is written; every operation is the interpreter's, in its order.
class ResidualKernel {
public:
  ResidualKernel(const KernelRequest &request, LoopBuilder &b) : request_(request), b_(b) {
    int64_t channels = request.operandType(0).shape.at(1);
    branches_[0] = residualBranch(request.op, "a_", channels);
    branches_[1] = residualBranch(request.op, "b_", channels);
  }

  // The code's sign (sum >= 0) of the element at `element` in channel `channel`; `packedB` is
  // the word holding operand b's bit `bit` when b is packed.
  Value *positive(Value *element, Value *channel, Value *packedB, Value *bit) {
    auto &ir = b_.ir();
    Value *sum = nullptr;
    for (size_t k = 0; k < 2; ++k) {
      const ResidualBranch &r = branches_[k];
      DType t = request_.operandType(k).dtype;
      Value *q = nullptr;
      if (k == 1 && packedB) {
        t = DType::i8;
        Value *set = ir.CreateTrunc(ir.CreateLShr(packedB, bit), b_.i1());
        q = ir.CreateSelect(set, b_.constInt(b_.i8(), 1), b_.constInt(b_.i8(), -1));
      } else {
        q = b_.load(t, b_.operand(k), element);
      }
      Value *y = dequantizeElement(b_, t, q, r.scale, r.zeroPoint, channel);
      if (r.batchNorm) {
        y = ir.CreateFDiv(ir.CreateFSub(y, table(r.mean, channel, "mean")),
                          table(r.root, channel, "root"));
        y = ir.CreateFAdd(ir.CreateFMul(y, table(r.gamma, channel, "gamma")),
                          table(r.beta, channel, "beta"));
      }
      sum = sum ? ir.CreateFAdd(sum, y) : y;
    }
    return ir.CreateFCmpOGE(sum, b_.constFloat(b_.f32(), 0.0));
  }

private:
  Value *table(const std::vector<float> &values, Value *channel, const std::string &name) {
    return channelParameter(b_, std::vector<double>(values.begin(), values.end()), b_.f32(),
                            channel, name);
  }

  const KernelRequest &request_;
  LoopBuilder &b_;
  ResidualBranch branches_[2];
};

// When b holds packed bipolar codes, its value per channel is one of two constants, and the code
// is a threshold on a: x -> float((double(x) - zp) * scale), the batch normalization steps and
// the sum with a constant are each monotone (IEEE rounding is monotone), so within a's range the
// codes +1 form an interval, found by binary search with the interpreter's own arithmetic
// (residualValue). Monotone holds while no step makes a NaN: every step must stay finite at both
// ends of a's range (then, being monotone, it does in between). Returns per channel c the bounds
// [lo, hi] for b's code -1 and +1 at 4c .. 4c+3 (lo > hi: never), or nothing when a step may not
// stay finite.
std::optional<std::vector<int64_t>> residualIntervals(const Op &op, DType a, int64_t channels) {
  ResidualBranch ra = residualBranch(op, "a_", channels), rb = residualBranch(op, "b_", channels);
  int64_t xmin = dtypeMin(a), xmax = dtypeMax(a);
  std::vector<int64_t> bounds;
  for (int64_t c = 0; c < channels; ++c) {
    auto uc = static_cast<size_t>(c);
    for (int64_t x : {xmin, xmax}) {
      double product = (static_cast<double>(x) - ra.zeroPoint[uc]) * ra.scale[uc];
      auto f = static_cast<float>(product);
      bool finite = std::isfinite(product) && std::isfinite(f);
      if (ra.batchNorm) {
        for (float step : {f - ra.mean[uc], (f - ra.mean[uc]) / ra.root[uc],
                           (f - ra.mean[uc]) / ra.root[uc] * ra.gamma[uc]})
          finite = finite && std::isfinite(step);
        finite = finite && std::isfinite(residualValue(ra, uc, x));
      }
      if (!finite) return std::nullopt;
    }
    for (int64_t code : {-1, 1}) {
      float other = residualValue(rb, uc, code);
      if (!std::isfinite(other)) return std::nullopt;
      auto positive = [&](int64_t x) { return residualValue(ra, uc, x) + other >= 0.0f; };
      bool low = positive(xmin), high = positive(xmax);
      int64_t lo = 1, hi = 0; // never
      if (low && high) {
        lo = xmin;
        hi = xmax;
      } else if (low != high) {
        // The boundary: the last x on the side of xmin whose code is that of xmin.
        int64_t inside = xmin, outside = xmax;
        while (outside - inside > 1) {
          int64_t mid = inside + (outside - inside) / 2;
          (positive(mid) == low ? inside : outside) = mid;
        }
        lo = low ? xmin : outside;
        hi = low ? inside : xmax;
      }
      bounds.push_back(lo);
      bounds.push_back(hi);
    }
  }
  return bounds;
}

// Packed codes (operand b, or the result with packed = 1) are [N, inner, 1, words], channel c in
// bit c % 64 of word c / 64. Per sample and block of 64 channels the kernel copies b's words of
// the block into a contiguous scratch row, ORs each channel's bits into a zeroed scratch row
// over the positions (a contiguous, vectorizable inner loop), then stores that row into the
// block's words. Without room on the stack for the rows it ORs into the result in place.
void emitResidualQuantize(const KernelRequest &request, llvm::Function &function) {
  const Shape &shape = request.operandType(0).shape;
  int64_t batch = shape.at(0), channels = shape.at(1);
  int64_t inner = checkedNumel(Shape(shape.begin() + 2, shape.end()));
  int64_t words = packedWords(channels);
  bool packedB = request.operandType(1).layout.kind == LayoutKind::packed;
  bool packedOut = request.op.getInt("packed", 0) == 1;
  DType aType = request.operandType(0).dtype;
  std::optional<std::vector<int64_t>> intervals;
  if (packedB && storageBytes(aType) <= 4)
    intervals = residualIntervals(request.op, aType, channels);
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  ResidualKernel kernel(request, b);
  Value *boundsTable = nullptr;
  if (intervals) {
    std::vector<int32_t> narrow(intervals->begin(), intervals->end());
    boundsTable = b.constantTable(
        b.i32(), std::span(reinterpret_cast<const uint8_t *>(narrow.data()), narrow.size() * 4),
        "bounds");
  }
  // The code's sign from a's interval for b's bit (see residualIntervals).
  auto inInterval = [&](Value *element, Value *channel, Value *bWord, Value *bit) {
    Value *set = ir.CreateTrunc(ir.CreateLShr(bWord, bit), b.i1());
    Value *x = b.intToType(aType, b.load(aType, b.operand(0), element), b.i32());
    auto bound = [&](int64_t k) {
      Value *base = ir.CreateMul(channel, b.constI64(4));
      Value *minus = b.load(b.i32(), boundsTable, ir.CreateAdd(base, b.constI64(k)));
      Value *plus = b.load(b.i32(), boundsTable, ir.CreateAdd(base, b.constI64(k + 2)));
      return ir.CreateSelect(set, plus, minus);
    };
    return ir.CreateAnd(ir.CreateICmpSGE(x, bound(0)), ir.CreateICmpSLE(x, bound(1)));
  };
  auto code = [&](Value *positive) {
    return ir.CreateSelect(positive, b.constInt(b.i8(), 1), b.constInt(b.i8(), -1));
  };
  if (!packedB && !packedOut) {
    Shape view{batch, channels, inner};
    b.forEachIndex(view, {rowMajor(view), {0, 1, 0}}, [&](const std::vector<Value *> &at) {
      b.store(code(kernel.positive(at[0], at[1], nullptr, nullptr)), b.result(0), at[0]);
    });
    b.finish();
    return;
  }
  bool rows = 2 * inner * 8 <= LoopBuilder::kMaxStackBytes;
  Value *bRow = rows && packedB ? b.stackBuffer(b.i64(), inner, request.op.describe()) : nullptr;
  Value *outRow =
      rows && packedOut ? b.stackBuffer(b.i64(), inner, request.op.describe()) : nullptr;
  if (packedOut && !rows)
    b.loop(batch * inner * words, [&](Value *w) { b.store(b.constI64(0), b.result(0), w); });
  b.loop(batch, [&](Value *n) {
    for (int64_t block = 0; block < words; ++block) {
      // The word of position i of this block in a packed tensor.
      auto packedWord = [&](Value *i) {
        return ir.CreateAdd(
            ir.CreateMul(ir.CreateAdd(ir.CreateMul(n, b.constI64(inner)), i), b.constI64(words)),
            b.constI64(block));
      };
      if (bRow)
        b.loop(inner,
               [&](Value *i) { b.store(b.load(b.i64(), b.operand(1), packedWord(i)), bRow, i); });
      if (outRow) b.loop(inner, [&](Value *i) { b.store(b.constI64(0), outRow, i); });
      int64_t blockChannels = std::min<int64_t>(64, channels - block * 64);
      b.loop(blockChannels, [&](Value *bitIndex) {
        Value *channel = ir.CreateAdd(bitIndex, b.constI64(block * 64));
        Value *base = ir.CreateMul(ir.CreateAdd(ir.CreateMul(n, b.constI64(channels)), channel),
                                   b.constI64(inner));
        b.loop(inner, [&](Value *i) {
          Value *element = ir.CreateAdd(base, i);
          Value *bWord = !packedB ? nullptr
                         : bRow   ? b.load(b.i64(), bRow, i)
                                  : b.load(b.i64(), b.operand(1), packedWord(i));
          Value *positive = intervals ? inInterval(element, channel, bWord, bitIndex)
                                      : kernel.positive(element, channel, bWord, bitIndex);
          if (!packedOut) {
            b.store(code(positive), b.result(0), element);
            return;
          }
          Value *set = ir.CreateShl(ir.CreateZExt(positive, b.i64()), bitIndex);
          Value *row = outRow ? outRow : b.result(0);
          Value *at = outRow ? i : packedWord(i);
          b.store(ir.CreateOr(b.load(b.i64(), row, at), set), row, at);
        });
      });
      if (outRow)
        b.loop(inner,
               [&](Value *i) { b.store(b.load(b.i64(), outRow, i), b.result(0), packedWord(i)); });
    }
  });
  b.finish();
}

// ---- QDQ parameters (quant_linear.cpp's QParamMap) ------------------------------------------

// Where the parameter of each element lives, for elements iterated as [outer, dim, inner]
// around the op's axis.
struct ParamLayout {
  bool perTensor = true;
  int64_t blockSize = 0;
  int64_t paramDim = 1;
};

ParamLayout paramLayout(const Op &op, const Shape &param, int64_t dim) {
  ParamLayout p;
  p.blockSize = op.getInt("block_size", 0);
  if (p.blockSize == 0 && isPerTensorParam(param)) return p;
  p.perTensor = false;
  if (p.blockSize > 0) p.paramDim = (dim + p.blockSize - 1) / p.blockSize;
  return p;
}

// The data view for QDQ ops: around the op's axis unless every parameter is per tensor.
AxisView qdqView(const Op &op, const Shape &data, bool allPerTensor) {
  if (allPerTensor) return axisView(data, -1);
  int64_t axis = op.getInt("axis");
  if (axis < 0) axis += static_cast<int64_t>(data.size());
  return axisView(data, axis);
}

// Iterates the view; the body gets the element offset and the (outer, position, inner)
// coordinates.
void forEachQdqElement(LoopBuilder &b, const AxisView &v,
                       const std::function<void(Value *, const std::vector<Value *> &)> &body) {
  b.forEachIndex(v.shape, {rowMajor(v.shape), {1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
                 [&](const std::vector<Value *> &at) {
                   body(at[0], {at[1], at[2], at[3]});
                 });
}

Value *paramIndex(LoopBuilder &b, const ParamLayout &p, const AxisView &v,
                  const std::vector<Value *> &coord) {
  auto &ir = b.ir();
  if (p.perTensor) return b.constI64(0);
  if (p.blockSize == 0) return coord[1];
  Value *block = ir.CreateUDiv(coord[1], b.constI64(p.blockSize));
  Value *row = ir.CreateAdd(ir.CreateMul(coord[0], b.constI64(p.paramDim)), block);
  return ir.CreateAdd(ir.CreateMul(row, b.constI64(v.shape[2])), coord[2]);
}

// Element `index` of operand i converted to the float `type` (static_cast semantics).
Value *operandAsFloat(LoopBuilder &b, size_t i, Value *index, llvm::Type *type) {
  DType t = b.request().operandType(i).dtype;
  return b.toFloat(t, b.load(t, b.operand(i), index), type);
}

// Element `index` of integer operand i as an i64, or 0 when the operand is absent.
Value *operandAsI64(LoopBuilder &b, size_t i, Value *index) {
  if (!b.request().hasOperand(i)) return b.constI64(0);
  DType t = b.request().operandType(i).dtype;
  return b.toI64(t, b.load(t, b.operand(i), index));
}

void emitQuantizeLinear(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const TensorType &xType = request.operandType(0);
  const TensorType &scaleType = request.operandType(1);
  DType yType = request.resultType(0).dtype;
  LoopBuilder b(request, function);
  llvm::Type *precision = op.getString("precision") == "f64" ? b.f64() : b.f32();
  auto &ir = b.ir();
  AxisView view = qdqView(op, xType.shape,
                          isPerTensorParam(scaleType.shape) && op.getInt("block_size", 0) == 0);
  ParamLayout layout = paramLayout(op, scaleType.shape, view.shape[1]);
  int64_t qmin = dtypeMin(yType), qmax = dtypeMax(yType);
  forEachQdqElement(b, view, [&](Value *at, const std::vector<Value *> &coord) {
    Value *p = paramIndex(b, layout, view, coord);
    Value *x = operandAsFloat(b, 0, at, precision);
    Value *scale = operandAsFloat(b, 1, p, precision);
    Value *code = linearCode(b, ir.CreateFDiv(x, scale), operandAsI64(b, 2, p), qmin, qmax);
    b.store(ir.CreateTrunc(code, b.storageType(yType)), b.result(0), at);
  });
  b.finish();
}

void emitDequantizeLinear(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const TensorType &xType = request.operandType(0);
  const TensorType &scaleType = request.operandType(1);
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *out = b.storageType(request.resultType(0).dtype);
  AxisView view = qdqView(op, xType.shape,
                          isPerTensorParam(scaleType.shape) && op.getInt("block_size", 0) == 0);
  ParamLayout layout = paramLayout(op, scaleType.shape, view.shape[1]);
  forEachQdqElement(b, view, [&](Value *at, const std::vector<Value *> &coord) {
    Value *p = paramIndex(b, layout, view, coord);
    Value *x = b.toI64(xType.dtype, b.load(xType.dtype, b.operand(0), at));
    // static_cast<O>(x - zp) * scale, in the output type O.
    Value *centered = ir.CreateSIToFP(ir.CreateSub(x, operandAsI64(b, 2, p)), out);
    b.store(ir.CreateFMul(centered, operandAsFloat(b, 1, p, out)), b.result(0), at);
  });
  b.finish();
}

void emitRequantize(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const TensorType &accType = request.operandType(0);
  const TensorType &multiplierType = request.operandType(1);
  bool hasBias = request.hasOperand(3);
  DType yType = request.resultType(0).dtype;
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  bool allPerTensor = isPerTensorParam(multiplierType.shape) &&
                      (!hasBias || isPerTensorParam(request.operandType(3).shape)) &&
                      op.getInt("block_size", 0) == 0;
  AxisView view = qdqView(op, accType.shape, allPerTensor);
  ParamLayout scaleLayout = paramLayout(op, multiplierType.shape, view.shape[1]);
  ParamLayout biasLayout =
      hasBias ? paramLayout(op, request.operandType(3).shape, view.shape[1]) : ParamLayout{};
  int64_t qmin = dtypeMin(yType), qmax = dtypeMax(yType);
  Value *zero = operandAsI64(b, 2, b.constI64(0));
  forEachQdqElement(b, view, [&](Value *at, const std::vector<Value *> &coord) {
    Value *sum = b.toI64(accType.dtype, b.load(accType.dtype, b.operand(0), at));
    if (hasBias) {
      Value *bias = b.load(b.i32(), b.operand(3), paramIndex(b, biasLayout, view, coord));
      sum = ir.CreateAdd(sum, ir.CreateSExt(bias, b.i64()));
    }
    Value *multiplier = b.load(b.f32(), b.operand(1), paramIndex(b, scaleLayout, view, coord));
    Value *v = ir.CreateFMul(ir.CreateSIToFP(sum, b.f32()), multiplier);
    Value *code = linearCode(b, v, zero, qmin, qmax);
    b.store(ir.CreateTrunc(code, b.storageType(yType)), b.result(0), at);
  });
  b.finish();
}

// ---- QONNX quantizers ----------------------------------------------------------------------

void emitQuant(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  int64_t bits = op.getInt("bits");
  bool isSignedQuant = op.getInt("signed") != 0, narrow = op.getInt("narrow") != 0;
  RoundingMode mode = roundingModeOf(op);
  if (bits < 1 || bits > 64) fail("{}: bits={} is outside [1, 64]", op.describe(), bits);
  auto qmin = static_cast<float>(qonnxMinInt(isSignedQuant, narrow, static_cast<int>(bits)));
  auto qmax = static_cast<float>(qonnxMaxInt(isSignedQuant, narrow, static_cast<int>(bits)));
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *f32 = b.f32();
  b.forEachBroadcast(3, [&](const std::vector<Value *> &at) {
    Value *x = b.load(f32, b.operand(0), at[1]);
    Value *s = operandAsFloat(b, 1, at[2], f32);
    Value *z = operandAsFloat(b, 2, at[3], f32);
    Value *v = ir.CreateFAdd(ir.CreateFDiv(x, s), z);
    Value *hi = b.constFloat(f32, qmax), *lo = b.constFloat(f32, qmin);
    v = ir.CreateSelect(ir.CreateFCmpOGT(v, hi), hi, v);
    v = ir.CreateSelect(ir.CreateFCmpOLT(v, lo), lo, v);
    v = b.roundFloat(mode, v);
    b.store(ir.CreateFMul(ir.CreateFSub(v, z), s), b.result(0), at[0]);
  });
  b.finish();
}

void emitBipolarQuant(const KernelRequest &request, llvm::Function &function) {
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *f32 = b.f32();
  b.forEachBroadcast(2, [&](const std::vector<Value *> &at) {
    Value *x = b.load(f32, b.operand(0), at[1]);
    Value *code = ir.CreateSelect(ir.CreateFCmpOGE(x, b.constFloat(f32, 0.0)),
                                  b.constFloat(f32, 1.0), b.constFloat(f32, -1.0));
    b.store(ir.CreateFMul(code, operandAsFloat(b, 1, at[2], f32)), b.result(0), at[0]);
  });
  b.finish();
}

void emitMultiThreshold(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  const TensorType &xType = request.operandType(0);
  const TensorType &tType = request.operandType(1);
  int64_t axis = op.getInt("axis");
  double outScale = op.getFloat("out_scale"), outBias = op.getFloat("out_bias");
  int64_t perChannel = tType.shape.at(1);
  bool sharedRow = tType.shape.at(0) == 1;
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  AxisView view = axisView(xType.shape, axis);
  forEachChannelElement(b, view, [&](Value *at, Value *channel) {
    // Input and thresholds compared as double (exact for every element type).
    Value *x = b.toFloat(xType.dtype, b.load(xType.dtype, b.operand(0), at), b.f64());
    Value *row = sharedRow ? b.constI64(0) : ir.CreateMul(channel, b.constI64(perChannel));
    Value *hits = b.accumulate(perChannel, b.constI64(0), [&](Value *t, Value *sum) {
      Value *threshold = operandAsFloat(b, 1, ir.CreateAdd(row, t), b.f64());
      return ir.CreateAdd(sum, ir.CreateZExt(ir.CreateFCmpOGE(x, threshold), b.i64()));
    });
    Value *count = ir.CreateSIToFP(hits, b.f64());
    Value *y = ir.CreateFAdd(ir.CreateFMul(b.constFloat(b.f64(), outScale), count),
                             b.constFloat(b.f64(), outBias));
    b.store(ir.CreateFPTrunc(y, b.f32()), b.result(0), at);
  });
  b.finish();
}

// QONNX trunc (quant_qonnx.cpp evalTrunc). v1 divides by the power of two 2^(in_bits -
// out_bits); v2 by exp2(rne(float(log2(out_scale / scale)))), which needs constant scale and
// out_scale operands: their power of two is computed here with the interpreter's own log2, one
// per element of the scales' broadcast shape.
void emitTrunc(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  int64_t inBits = op.getInt("in_bits"), outBits = op.getInt("out_bits");
  bool isSignedTrunc = op.getInt("signed") != 0, narrow = op.getInt("narrow") != 0;
  RoundingMode mode = roundingModeOf(op);
  bool v2 = request.hasOperand(3);
  const Shape &out = request.resultType(0).shape;
  Shape stepShape;
  std::vector<float> steps;
  if (!v2) {
    steps.push_back(std::ldexp(1.0f, static_cast<int>(inBits - outBits)));
  } else {
    const Tensor *scale = request.constant(1), *outScale = request.constant(3);
    if (!scale || !outScale)
      fail("{}: the code generator needs constant scale and out_scale operands for trunc",
           op.describe());
    stepShape = broadcastShapes(scale->shape(), outScale->shape(), op.describe());
    BroadcastIndex scaleAt(scale->shape(), stepShape), outScaleAt(outScale->shape(), stepShape);
    for (int64_t i = 0; i < checkedNumel(stepShape); ++i) {
      auto s = static_cast<float>(scale->getDouble(scaleAt(i)));
      auto os = static_cast<float>(outScale->getDouble(outScaleAt(i)));
      auto log2Step = static_cast<float>(std::log2(static_cast<double>(os / s)));
      steps.push_back(std::exp2(std::nearbyint(log2Step)));
    }
  }
  auto qmin = static_cast<float>(qonnxMinInt(isSignedTrunc, narrow, static_cast<int>(outBits)));
  auto qmax = static_cast<float>(qonnxMaxInt(isSignedTrunc, narrow, static_cast<int>(outBits)));
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *f32 = b.f32();
  Value *stepTable = steps.size() > 1 ? b.constantTable(steps, "steps") : nullptr;
  std::vector<std::vector<int64_t>> strides{rowMajor(out)};
  for (size_t i = 0; i < request.op.inputs.size(); ++i)
    strides.push_back(broadcastStrides(request.operandType(i).shape, out));
  strides.push_back(broadcastStrides(stepShape, out));
  b.forEachIndex(out, strides, [&](const std::vector<Value *> &at) {
    Value *x = b.load(f32, b.operand(0), at[1]);
    Value *s = operandAsFloat(b, 1, at[2], f32);
    Value *z = operandAsFloat(b, 2, at[3], f32);
    Value *step = stepTable ? b.load(f32, stepTable, at.back()) : b.constFloat(f32, steps[0]);
    Value *v = b.roundFloat(RoundingMode::round, ir.CreateFAdd(ir.CreateFDiv(x, s), z));
    v = ir.CreateFDiv(v, step);
    Value *y = nullptr;
    if (!v2) {
      y = ir.CreateFMul(ir.CreateFSub(b.roundFloat(mode, v), z), s);
    } else {
      Value *hi = b.constFloat(f32, qmax), *lo = b.constFloat(f32, qmin);
      v = ir.CreateSelect(ir.CreateFCmpOGT(v, hi), hi, v);
      v = ir.CreateSelect(ir.CreateFCmpOLT(v, lo), lo, v);
      v = b.roundFloat(mode, v);
      Value *os = operandAsFloat(b, 3, at[4], f32);
      y = ir.CreateFMul(ir.CreateFSub(v, ir.CreateFDiv(z, step)), os);
    }
    b.store(y, b.result(0), at[0]);
  });
  b.finish();
}

// ---- dynamic_quantize_linear ----------------------------------------------------------------

// u8 codes with the scale and zero point of the input's range, which always includes 0
// (quant_linear.cpp): scale = (hi - lo) / 255 (1 for an all-zero input), zero point =
// rne(clamp(-lo / scale, 0, 255)), codes = saturate(rne(x / scale) + zero point).
void emitDynamicQuantizeLinear(const KernelRequest &request, llvm::Function &function) {
  int64_t n = request.operandType(0).numel();
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *f32 = b.f32();
  Value *zero = b.constFloat(f32, 0.0);
  // {lo, hi} over the input; NaNs compare false and take no part.
  Value *range = b.accumulate(n,
                              llvm::ConstantVector::get({llvm::cast<llvm::Constant>(zero),
                                                         llvm::cast<llvm::Constant>(zero)}),
                              [&](Value *i, Value *acc) {
                                Value *x = b.load(f32, b.operand(0), i);
                                Value *lo = ir.CreateExtractElement(acc, uint64_t{0});
                                Value *hi = ir.CreateExtractElement(acc, uint64_t{1});
                                lo = ir.CreateSelect(ir.CreateFCmpOLT(x, lo), x, lo);
                                hi = ir.CreateSelect(ir.CreateFCmpOGT(x, hi), x, hi);
                                return ir.CreateInsertElement(
                                    ir.CreateInsertElement(acc, lo, uint64_t{0}), hi, uint64_t{1});
                              });
  Value *lo = ir.CreateExtractElement(range, uint64_t{0});
  Value *hi = ir.CreateExtractElement(range, uint64_t{1});
  Value *scale = ir.CreateSelect(ir.CreateFCmpOEQ(hi, lo), b.constFloat(f32, 1.0),
                                 ir.CreateFDiv(ir.CreateFSub(hi, lo), b.constFloat(f32, 255.0)));
  Value *initial = ir.CreateFSub(zero, ir.CreateFDiv(lo, scale));
  Value *top = b.constFloat(f32, 255.0);
  Value *clamped = ir.CreateSelect(ir.CreateFCmpOLT(initial, zero), zero,
                                   ir.CreateSelect(ir.CreateFCmpOLT(top, initial), top, initial));
  Value *zeroPoint = ir.CreateFPToSI(b.roundFloat(RoundingMode::round, clamped), b.i64());
  b.loop(n, [&](Value *i) {
    Value *x = b.load(f32, b.operand(0), i);
    Value *code = linearCode(b, ir.CreateFDiv(x, scale), zeroPoint, 0, 255);
    b.store(ir.CreateTrunc(code, b.i8()), b.result(0), i);
  });
  b.store(scale, b.result(1), b.constI64(0));
  b.store(ir.CreateTrunc(zeroPoint, b.i8()), b.result(2), b.constI64(0));
  b.finish();
}

// ---- float_quant ---------------------------------------------------------------------------

// The QONNX float_quant reference (quant_qonnx.cpp floatQuantize) on x / scale, times scale.
// floor(float(log2(|v| + FLT_MIN))) is the binary exponent e of the magnitude, plus 1 where the
// float32 rounding of log2 reaches e + 1: the smallest such magnitude per exponent is found at
// compile time with the same log2 the interpreter calls.
void emitFloatQuant(const KernelRequest &request, llvm::Function &function) {
  const Op &op = request.op;
  int64_t exponentBits = op.getInt("exponent_bits"), mantissaBits = op.getInt("mantissa_bits");
  if (exponentBits < 1 || exponentBits > 8 || mantissaBits < 0 || mantissaBits > 23)
    fail("{}: exponent_bits={} / mantissa_bits={} are outside [1, 8] / [0, 23]", op.describe(),
         exponentBits, mantissaBits);
  double bias = op.getFloat("exponent_bias");
  double maxExponent = std::ldexp(1.0, static_cast<int>(exponentBits)) - 1.0 - bias;
  double maxMantissa = 2.0 - std::ldexp(1.0, -static_cast<int>(mantissaBits));
  double maxValue = std::min(maxMantissa * std::exp2(maxExponent), op.getFloat("max_val"));
  RoundingMode mode = roundingModeOf(op);
  bool saturate = op.getInt("saturation") == 1, hasInf = op.getInt("has_inf") == 1;
  // roundUp[biased exponent]: the smallest float magnitude with that exponent whose log2
  // rounds to the next integer in float32 (above every magnitude when none does).
  std::vector<float> roundUp(256, INFINITY);
  auto floorLog2 = [](uint32_t bits) {
    float m = 0;
    std::memcpy(&m, &bits, sizeof m);
    return std::floor(static_cast<float>(std::log2(static_cast<double>(m))));
  };
  for (uint32_t biased = 1; biased < 255; ++biased) {
    auto next = static_cast<float>(static_cast<int>(biased) - 127 + 1);
    // Magnitudes that round up are the largest ones of the exponent: scan down from the top.
    for (uint32_t bits = (biased << 23) | 0x7fffffu; floorLog2(bits) == next; --bits) {
      std::memcpy(&roundUp[biased], &bits, sizeof bits);
      if ((bits & 0x7fffffu) == 0) break;
    }
  }
  auto mantissa = static_cast<float>(mantissaBits);
  float minExponent = 1.0f - static_cast<float>(bias) - mantissa;
  LoopBuilder b(request, function);
  auto &ir = b.ir();
  llvm::Type *f32 = b.f32();
  Value *table = b.constantTable(roundUp, "log2_round_up");
  b.forEachBroadcast(2, [&](const std::vector<Value *> &at) {
    Value *s = operandAsFloat(b, 1, at[2], f32);
    Value *x = ir.CreateFDiv(b.load(f32, b.operand(0), at[1]), s);
    Value *magnitude = ir.CreateFAdd(ir.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x),
                                     b.constFloat(f32, FLT_MIN));
    Value *bits = ir.CreateZExt(ir.CreateBitCast(magnitude, b.i32()), b.i64());
    Value *biased = ir.CreateLShr(bits, 23);
    Value *safeBiased = b.smin(biased, b.constI64(255));
    Value *up = ir.CreateFCmpOGE(magnitude, b.load(f32, table, safeBiased));
    Value *e = ir.CreateAdd(ir.CreateSub(biased, b.constI64(127)), ir.CreateZExt(up, b.i64()));
    Value *floorLog = ir.CreateSIToFP(e, f32);
    floorLog = ir.CreateSelect(ir.CreateFCmpOEQ(magnitude, b.constFloat(f32, INFINITY)), magnitude,
                               floorLog);
    floorLog = ir.CreateSelect(b.isNaN(magnitude), magnitude, floorLog);
    Value *candidate = ir.CreateFSub(floorLog, b.constFloat(f32, mantissa));
    Value *minE = b.constFloat(f32, minExponent);
    Value *exponent = ir.CreateSelect(ir.CreateFCmpOLT(candidate, minE), minE, candidate);
    // exp2 of an integral exponent: exact powers of two, 0 below 2^-149, inf from 2^128.
    Value *clampedE = ir.CreateFPToSI(
        ir.CreateSelect(ir.CreateFCmpOGT(exponent, b.constFloat(f32, 1000.0)),
                        b.constFloat(f32, 1000.0),
                        ir.CreateSelect(ir.CreateFCmpOLT(exponent, b.constFloat(f32, -1000.0)),
                                        b.constFloat(f32, -1000.0), exponent)),
        b.i64());
    Value *power =
        ir.CreateBitCast(ir.CreateShl(ir.CreateAdd(clampedE, b.constI64(1023)), 52), b.f64());
    Value *step = ir.CreateFPTrunc(power, f32);
    step = ir.CreateSelect(b.isNaN(exponent), exponent, step);
    Value *q = ir.CreateFMul(step, b.roundFloat(mode, ir.CreateFDiv(x, step)));
    Value *isInf = ir.CreateFCmpOEQ(ir.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, q),
                                    b.constFloat(f32, INFINITY));
    Value *wide = ir.CreateFPExt(q, b.f64());
    Value *above = ir.CreateFCmpOGT(wide, b.constFloat(b.f64(), maxValue));
    Value *below = ir.CreateFCmpOLT(wide, b.constFloat(b.f64(), -maxValue));
    q = ir.CreateSelect(above, b.constFloat(f32, static_cast<float>(maxValue)), q);
    q = ir.CreateSelect(below, b.constFloat(f32, static_cast<float>(-maxValue)), q);
    Value *result = q;
    if (!saturate) {
      if (hasInf) {
        result = ir.CreateSelect(above, b.constFloat(f32, INFINITY),
                                 ir.CreateSelect(below, b.constFloat(f32, -INFINITY), q));
      } else {
        Value *bad = ir.CreateOr(ir.CreateOr(above, below), isInf);
        result = ir.CreateSelect(bad, b.quietNaN(f32), q);
      }
    }
    b.store(ir.CreateFMul(result, s), b.result(0), at[0]);
  });
  b.finish();
}

} // namespace

void registerQuantKernels(KernelRegistry &registry) {
  registry.add("quantize", emitQuantize);
  registry.add("dequantize", emitDequantize);
  registry.add("threshold", emitThreshold);
  registry.add("residual_quantize", emitResidualQuantize);
  registry.add("quantize_linear", emitQuantizeLinear);
  registry.add("dequantize_linear", emitDequantizeLinear);
  registry.add("requantize", emitRequantize);
  registry.add("quant", emitQuant);
  registry.add("bipolar_quant", emitBipolarQuant);
  registry.add("multi_threshold", emitMultiThreshold);
  registry.add("dynamic_quantize_linear", emitDynamicQuantizeLinear);
  registry.add("float_quant", emitFloatQuant);
  registry.add("trunc", emitTrunc);
}

} // namespace qcc::codegen
