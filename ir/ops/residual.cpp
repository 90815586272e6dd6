// The fused float tail of a residual block, made by the `fuse` pass (docs/passes.md):
//
// residual_quantize(a, b) -> codes                                        (lowered level)
//   a, b: integer tensors of one shape [N, C, ...] (rank >= 2). Each operand x in {a, b} is
//   dequantized with the attrs x_scale and x_zero_point (1 entry, or C along axis 1), then, when
//   the attrs x_mean, x_var, x_gamma, x_beta (C entries each) and x_epsilon are present,
//   batch-normalized in f32:
//     f_x = float((double(x) - zero_point[c]) * scale[c])                  (dequantize)
//     f_x = (f_x - mean[c]) / sqrt(var[c] + epsilon) * gamma[c] + beta[c]  (batch_normalization)
//   codes = f_a + f_b >= 0 ? +1 : -1, the `quantize` of form "bipolar" of the f32 sum: i8 with
//   bipolar quant info, whose scale and zero_point (one entry each) are the attrs of those names.
//   With attr packed = 1 the codes come out bit-packed (rank 2 or 4), exactly `bitpack` of them.
//   Operand b may also be packed bipolar codes (u64 layout(packed), planes 1) of a's shape: its
//   codes are then the unpacked ones (+1 where the bit is set, else -1).
// Every step is the op it replaces, in the same types and order, so results are bit-exact.
#include "ir/ops/residual.h"

#include "ir/error.h"
#include "ir/op_registry.h"
#include "ir/ops/packing.h"
#include "ir/ops/quant.h"

#include <cmath>

namespace qcc {

ResidualBranch residualBranch(const Op &op, const std::string &prefix, int64_t channels) {
  ResidualBranch branch;
  auto perChannel = [&](const std::string &name, bool allowOne) {
    std::vector<double> values = op.getFloats(prefix + name);
    auto n = static_cast<int64_t>(values.size());
    if (n != channels && !(allowOne && n == 1))
      fail("{}: attribute '{}' has {} entries, expected {}{}", op.describe(), prefix + name, n,
           allowOne ? "1 or " : "", channels);
    if (n == 1) values.assign(static_cast<size_t>(channels), values[0]);
    return values;
  };
  branch.scale = perChannel("scale", true);
  branch.zeroPoint = perChannel("zero_point", true);
  branch.batchNorm = op.has(prefix + "mean");
  if (branch.batchNorm) {
    auto asFloats = [](const std::vector<double> &v) {
      return std::vector<float>(v.begin(), v.end());
    };
    branch.mean = asFloats(perChannel("mean", false));
    branch.gamma = asFloats(perChannel("gamma", false));
    branch.beta = asFloats(perChannel("beta", false));
    auto epsilon = static_cast<float>(op.getFloat(prefix + "epsilon"));
    for (double var : perChannel("var", false))
      branch.root.push_back(std::sqrt(static_cast<float>(var) + epsilon));
  }
  return branch;
}

float residualValue(const ResidualBranch &branch, size_t c, int64_t x) {
  double centered = static_cast<double>(x) - branch.zeroPoint[c];
  auto f = static_cast<float>(centered * branch.scale[c]);
  if (branch.batchNorm)
    f = (f - branch.mean[c]) / branch.root[c] * branch.gamma[c] + branch.beta[c];
  return f;
}

namespace {

QuantInfo residualCodes(const Op &op) {
  QuantInfo q;
  q.encoding = QEncoding::bipolar;
  q.bits = 1;
  q.scale = op.getFloats("scale");
  q.zeroPoint = op.getFloats("zero_point");
  if (q.scale.size() != 1 || q.zeroPoint.size() != 1 || q.zeroPoint[0] != 0.0)
    fail("{}: the codes need one scale and one zero point of 0", op.describe());
  return q;
}

bool isPacked(const TensorType &t) {
  return t.layout.kind == LayoutKind::packed;
}

bool packedResult(const Op &op) {
  int64_t packed = op.getInt("packed", 0);
  if (packed != 0 && packed != 1)
    fail("{}: attribute 'packed' must be 0 or 1, got {}", op.describe(), packed);
  return packed == 1;
}

std::vector<TensorType> inferResidual(const Op &op, TypeList in) {
  const TensorType &a = *in[0], &b = *in[1];
  if (!isInteger(a.dtype) || a.dtype == DType::boolean || isPacked(a) || a.rank() < 2)
    fail("{}: operand a must be an unpacked integer tensor of rank >= 2, got {}", op.describe(),
         typeString(a));
  if (isPacked(b)) {
    if (!b.quant || b.quant->encoding != QEncoding::bipolar || (a.rank() != 2 && a.rank() != 4) ||
        b.shape != packedShape(a.shape, 1))
      fail("{}: a packed operand b must hold bipolar codes of a's shape {}, got {}", op.describe(),
           shapeString(a.shape), typeString(b));
  } else if (!isInteger(b.dtype) || b.dtype == DType::boolean || a.shape != b.shape) {
    fail("{}: operands must be integer tensors of one shape, got {} and {}", op.describe(),
         typeString(a), typeString(b));
  }
  residualBranch(op, "a_", a.shape[1]);
  residualBranch(op, "b_", a.shape[1]);
  TensorType out(DType::i8, a.shape);
  out.quant = residualCodes(op);
  if (packedResult(op)) {
    if (a.rank() != 2 && a.rank() != 4)
      fail("{}: packed codes need rank 2 or 4, got {}", op.describe(), shapeString(a.shape));
    out = packedType(out, *out.quant);
  }
  return {out};
}

void evalResidual(const Op &op, TensorList in, std::span<Tensor> out) {
  const Tensor &a = *in[0];
  int64_t channels = a.shape()[1];
  int64_t inner = checkedNumel(Shape(a.shape().begin() + 2, a.shape().end()));
  ResidualBranch branches[2] = {residualBranch(op, "a_", channels),
                                residualBranch(op, "b_", channels)};
  Tensor b = isPacked(in[1]->type()) ? unpackCodes(*in[1], channels) : *in[1];
  TensorType codesType(DType::i8, a.shape());
  codesType.quant = residualCodes(op);
  Tensor result(codesType);
  int8_t *codes = result.data<int8_t>();
  for (int64_t i = 0; i < a.numel(); ++i) {
    auto c = static_cast<size_t>(i / inner % channels);
    float sum =
        residualValue(branches[0], c, a.getInt(i)) + residualValue(branches[1], c, b.getInt(i));
    codes[i] = static_cast<int8_t>(bipolarCode(sum));
  }
  out[0] = packedResult(op) ? packCodes(result, *codesType.quant) : std::move(result);
}

} // namespace

void registerResidualOps(OpRegistry &registry) {
  registry.add(OpDef{.name = "residual_quantize",
                     .minInputs = 2,
                     .maxInputs = 2,
                     .levels = kLoweredLevel,
                     .infer = inferResidual,
                     .eval = evalResidual});
}

} // namespace qcc
