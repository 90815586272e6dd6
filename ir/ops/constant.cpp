// constant: a tensor literal (weights, folded shape computations).
#include "ir/op_registry.h"

namespace qcc {

void registerConstantOps(OpRegistry &registry) {
  registry.add(OpDef{
      .name = "constant",
      .minInputs = 0,
      .maxInputs = 0,
      .infer = [](const Op &op, TypeList) { return std::vector{op.getTensor("value").type()}; },
      .eval = [](const Op &op, TensorList,
                 std::span<Tensor> out) { out[0] = op.getTensor("value"); },
  });
}

} // namespace qcc
