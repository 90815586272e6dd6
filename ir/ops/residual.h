// The parameters of one operand of `residual_quantize` (ir/ops/residual.cpp), shared by the op,
// the `fuse` pass and the code generator.
#pragma once

#include "ir/graph.h"

#include <string>
#include <vector>

namespace qcc {

struct ResidualBranch {
  // Dequantization, one entry per channel: float((double(x) - zeroPoint[c]) * scale[c]).
  std::vector<double> scale, zeroPoint;
  // Batch normalization in f32, one entry per channel when batchNorm:
  // (f - mean[c]) / root[c] * gamma[c] + beta[c], root[c] = sqrt(var[c] + epsilon) in f32.
  bool batchNorm = false;
  std::vector<float> mean, root, gamma, beta;
};

// The branch of `op` whose attributes start with `prefix` ("a_" or "b_"), per-tensor entries
// repeated over the `channels`; fails naming the op when an attribute is missing or mis-sized.
ResidualBranch residualBranch(const Op &op, const std::string &prefix, int64_t channels);

// The f32 value of code `x` in channel `c` after the branch's dequantize and batch normalization,
// as the interpreter computes it.
float residualValue(const ResidualBranch &branch, size_t c, int64_t x);

} // namespace qcc
