// The IR graph: ops over SSA values. Ops are kept in a valid execution (topological) order; a
// value is defined by exactly one op or is a graph input. Missing optional operands are kNoValue.
#pragma once

#include "ir/tensor.h"

#include <map>
#include <string>
#include <variant>
#include <vector>

namespace qcc {

using Attribute = std::variant<int64_t, double, std::string, std::vector<int64_t>,
                               std::vector<double>, std::vector<std::string>, Tensor>;
// Ordered by name so that printing is deterministic.
using Attrs = std::map<std::string, Attribute>;

using ValueId = int32_t;
constexpr ValueId kNoValue = -1;

struct Value {
  std::string name;
  TensorType type;
  int32_t def = -1; // index of the defining op, -1 for graph inputs
};

struct Op {
  std::string kind; // IR op name, e.g. "conv", "quant"
  std::string name; // name of the source node (for messages), may be empty
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
  Attrs attrs;

  bool has(const std::string &attr) const { return attrs.count(attr) != 0; }
  int64_t getInt(const std::string &attr) const;
  int64_t getInt(const std::string &attr, int64_t fallback) const;
  double getFloat(const std::string &attr) const;
  double getFloat(const std::string &attr, double fallback) const;
  const std::string &getString(const std::string &attr) const;
  std::string getString(const std::string &attr, const std::string &fallback) const;
  const std::vector<int64_t> &getInts(const std::string &attr) const;
  std::vector<int64_t> getInts(const std::string &attr, std::vector<int64_t> fallback) const;
  const std::vector<double> &getFloats(const std::string &attr) const;
  const Tensor &getTensor(const std::string &attr) const;
  // "op 'kind' (name)" for messages.
  std::string describe() const;
};

class Graph {
public:
  std::string name;
  std::vector<Value> values;
  std::vector<Op> ops;
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;

  ValueId addValue(std::string valueName, TensorType type);
  ValueId addInput(std::string valueName, TensorType type);
  // Appends an op whose outputs already exist as values; sets their `def`.
  Op &addOp(Op op);

  const Value &value(ValueId id) const { return values.at(static_cast<size_t>(id)); }
  Value &value(ValueId id) { return values.at(static_cast<size_t>(id)); }
  const TensorType &type(ValueId id) const { return value(id).type; }
  // The op defining `id`, or nullptr for graph inputs.
  const Op *definingOp(ValueId id) const;
  // The constant data of `id` if it is defined by a "constant" op, else nullptr.
  const Tensor *constantValue(ValueId id) const;
};

// Removes ops whose results the graph outputs do not need, renumbering values.
void removeDeadOps(Graph &graph);

} // namespace qcc
