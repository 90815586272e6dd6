// Appends ops to a graph, inferring result types through the op registry and keeping value
// names unique.
#pragma once

#include "ir/graph.h"

#include <unordered_set>

namespace qcc {

class Builder {
public:
  explicit Builder(Graph &graph);

  // Creates op `kind` with its result types inferred; returns the result values. Result names
  // come from `resultNames` (made unique), else from `name`.
  std::vector<ValueId> create(std::string kind, std::string name, std::vector<ValueId> inputs,
                              Attrs attrs = {}, std::vector<std::string> resultNames = {});
  // Single-result form of create().
  ValueId create1(std::string kind, std::string name, std::vector<ValueId> inputs, Attrs attrs = {},
                  std::string resultName = {});
  ValueId constant(Tensor value, std::string resultName);
  ValueId input(std::string valueName, TensorType type);

  // `base` if unused in the graph, else base + "_N" for the smallest free N.
  std::string uniqueName(const std::string &base);

private:
  Graph &graph_;
  std::unordered_set<std::string> used_;
};

} // namespace qcc
