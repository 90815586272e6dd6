// Shared pieces of the quantization op families: the QONNX rounding modes and integer ranges,
// and how QDQ scale / zero-point tensors map onto the elements they quantize.
// ir/ops/quant_qonnx.cpp registers the QONNX/FINN/Brevitas ops, ir/ops/quant_linear.cpp the
// QDQ and QOperator ops; docs/quantization.md describes their exact arithmetic.
#pragma once

#include "ir/op_registry.h"

#include <cmath>
#include <optional>
#include <string_view>

namespace qcc {

// QONNX rounding modes. ROUND is half to even; UP / DOWN round away from / toward zero;
// HALF_UP / HALF_DOWN round to nearest with ties away from / toward zero.
enum class RoundingMode : uint8_t { round, ceil, floor, up, down, halfUp, halfDown };

// Accepts the QONNX and Brevitas names in any case (ROUND, HALF_EVEN, CEIL, FLOOR, UP, DOWN,
// ROUND_TO_ZERO, HALF_UP, HALF_DOWN).
std::optional<RoundingMode> parseRoundingMode(std::string_view name);
// The canonical IR spelling: "ROUND", "CEIL", "FLOOR", "UP", "DOWN", "HALF_UP", "HALF_DOWN".
std::string_view roundingModeName(RoundingMode mode);
float applyRounding(float value, RoundingMode mode);
// The op's "rounding_mode" attribute; fails naming the op when it is not a canonical name.
RoundingMode roundingModeOf(const Op &op);

// One element of QONNX `quant` before dequantization: rmode(clamp(x / scale + zeroPoint, qmin,
// qmax)), each step in float32 as the QONNX reference computes it. `quant` and the quantized
// level's `quantize` (form "qonnx") share it.
float qonnxQuantCode(float x, float scale, float zeroPoint, float qmin, float qmax,
                     RoundingMode mode);
// One element of `bipolar_quant` before scaling: +1 for x >= 0 (so also for -0), else -1.
float bipolarCode(float x);

// saturate(rounded + zeroPoint) to [qmin, qmax] for a value already rounded to an integer; NaN
// goes to qmin, as in onnxruntime's kernels.
int64_t saturateCode(double rounded, int64_t zeroPoint, int64_t qmin, int64_t qmax);
// One element of ONNX QuantizeLinear: saturate(round_half_even(x / scale) + zeroPoint), the
// division in the precision P. `quantize_linear` and `quantize` (form "onnx") share it.
template <typename P>
int64_t linearQuantCode(P x, P scale, int64_t zeroPoint, int64_t qmin, int64_t qmax) {
  return saturateCode(std::nearbyint(x / scale), zeroPoint, qmin, qmax);
}

// Integer range of a QONNX quantizer with `bits` bits (1..64). narrow drops the most negative
// code when signed and the largest code when unsigned, as in the QONNX reference.
int64_t qonnxMinInt(bool isSigned, bool narrow, int bits);
int64_t qonnxMaxInt(bool isSigned, bool narrow, int bits);

// Where the quantization parameter of each element of a tensor lives: one value for the whole
// tensor, one per index along `axis`, or one per block of `blockSize` indices along `axis`
// (the parameter tensor then has the input's shape with that dim divided, rounded up).
class QParamMap {
public:
  // Classifies `param` against `data` (blockSize 0: per tensor or per axis, decided by the
  // parameter's shape); fails naming `op` when the shapes do not fit.
  QParamMap(const Op &op, const Shape &data, const Shape &param, int64_t axis, int64_t blockSize);
  // Parameter index of data element `i`.
  int64_t operator()(int64_t i) const {
    if (perTensor_) return 0;
    int64_t pos = (i / inner_) % dim_;
    if (blockSize_ == 0) return pos;
    return ((i / (inner_ * dim_)) * paramDim_ + pos / blockSize_) * inner_ + i % inner_;
  }

private:
  bool perTensor_ = true;
  int64_t blockSize_ = 0;
  int64_t inner_ = 1;
  int64_t dim_ = 1;
  int64_t paramDim_ = 1;
};

// True when a parameter of this shape holds one value for the whole tensor (a scalar or a
// one-element 1-D tensor).
bool isPerTensorParam(const Shape &param);

void registerQonnxOps(OpRegistry &registry);
void registerLinearQuantOps(OpRegistry &registry);

} // namespace qcc
