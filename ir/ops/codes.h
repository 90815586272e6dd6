// Integer codes of the quantized and lowered levels: the attributes that describe the codes an
// op produces, their storage type, and the threshold mapping from accumulators to codes shared
// by the `threshold` op and the fused epilogue of the packed MAC ops.
#pragma once

#include "ir/graph.h"

namespace qcc {

// Storage type of codes: i8/u8 up to 8 bits, i16/u16 above.
DType codeDType(const QuantInfo &q);

// The encoding, bits and narrow attributes of an op producing codes, checked (bipolar: 1 bit;
// ternary: 2 bits, narrow; uint: 1..16 bits; int: 2..16 bits).
QuantInfo codeFormat(const Op &op);

// How accumulators map to codes: the codes' quant info (scale and zero_point attributes with
// one entry, or one per channel along `axis`) and the per-channel direction.
struct ThresholdSpec {
  QuantInfo quant;
  std::vector<int64_t> descending; // empty: all ascending
};

ThresholdSpec thresholdSpec(const Op &op, int64_t channels, int64_t axis);
// Checks the thresholds operand: i64 [channels, n] or [1, n], 1 <= n <= number of code steps.
void checkThresholdTable(const Op &op, const TensorType &table, const ThresholdSpec &spec,
                         int64_t channels);
// The code of accumulator value `acc` in channel `c`: count = #{t : acc >= T[c,t]} (acc <= T
// for descending channels); 2*count - 1 for bipolar codes, count + minCode otherwise.
int64_t thresholdCode(const ThresholdSpec &spec, const Tensor &table, size_t c, int64_t acc);

} // namespace qcc
