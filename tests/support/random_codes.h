// Random quantized codes for kernel tests: every code of the encoding's range, bipolar codes
// never 0.
#pragma once

#include "ir/ops/codes.h"
#include "ir/tensor.h"
#include "tests/support/random.h"

namespace qcc::test {

inline Tensor randomCodes(Rng &rng, const QuantInfo &q, Shape shape) {
  TensorType t(codeDType(q), std::move(shape));
  t.quant = q;
  Tensor out(t);
  for (int64_t i = 0; i < out.numel(); ++i) {
    int64_t c = rng.integer(q.minCode(), q.maxCode());
    if (q.encoding == QEncoding::bipolar && c == 0) c = 1;
    out.setInt(i, c);
  }
  return out;
}

} // namespace qcc::test
