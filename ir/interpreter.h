// The reference interpreter: executes a graph at any level, op by op, with the registry's
// semantics. It is the oracle every pass and every generated kernel is checked against.
#pragma once

#include "ir/graph.h"
#include "ir/op_registry.h"

#include <functional>
#include <span>

namespace qcc {

class Interpreter {
public:
  explicit Interpreter(const Graph &graph) : graph_(graph) {}

  // Called after each op with the op and its results.
  using Observer = std::function<void(const Op &, std::span<const Tensor>)>;

  // Inputs in graph-input order; each must match its input's dtype and shape.
  std::vector<Tensor> run(std::span<const Tensor> inputs, const Observer &observe = {}) const;

private:
  const Graph &graph_;
};

// Evaluates one op on the given inputs (types inferred from them); used for constant folding.
std::vector<Tensor> evaluateOp(const Op &op, TensorList inputs);

} // namespace qcc
