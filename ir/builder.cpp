#include "ir/builder.h"

#include "ir/op_registry.h"

#include <fmt/format.h>

namespace qcc {

Builder::Builder(Graph &graph) : graph_(graph) {
  for (const Value &v : graph.values) used_.insert(v.name);
}

std::string Builder::uniqueName(const std::string &base) {
  std::string stem = base.empty() ? "v" : base;
  if (used_.insert(stem).second) return stem;
  for (int n = 1;; ++n) {
    std::string candidate = fmt::format("{}_{}", stem, n);
    if (used_.insert(candidate).second) return candidate;
  }
}

std::vector<ValueId> Builder::create(std::string kind, std::string name,
                                     std::vector<ValueId> inputs, Attrs attrs,
                                     std::vector<std::string> resultNames) {
  Op op{std::move(kind), std::move(name), std::move(inputs), {}, std::move(attrs)};
  std::vector<const TensorType *> inTypes;
  inTypes.reserve(op.inputs.size());
  for (ValueId in : op.inputs) inTypes.push_back(in == kNoValue ? nullptr : &graph_.type(in));
  std::vector<TensorType> outTypes = inferTypes(op, inTypes);
  for (size_t i = 0; i < outTypes.size(); ++i) {
    std::string base = i < resultNames.size() ? resultNames[i]
                       : outTypes.size() == 1 ? op.name
                                              : fmt::format("{}_{}", op.name, i);
    op.outputs.push_back(graph_.addValue(uniqueName(base), std::move(outTypes[i])));
  }
  std::vector<ValueId> results = op.outputs;
  graph_.addOp(std::move(op));
  return results;
}

ValueId Builder::create1(std::string kind, std::string name, std::vector<ValueId> inputs,
                         Attrs attrs, std::string resultName) {
  std::vector<std::string> names;
  if (!resultName.empty()) names.push_back(std::move(resultName));
  return create(std::move(kind), std::move(name), std::move(inputs), std::move(attrs),
                std::move(names))
      .at(0);
}

ValueId Builder::constant(Tensor value, std::string resultName) {
  Attrs attrs;
  attrs.emplace("value", std::move(value));
  return create1("constant", {}, {}, std::move(attrs), std::move(resultName));
}

ValueId Builder::input(std::string valueName, TensorType type) {
  return graph_.addInput(uniqueName(valueName), std::move(type));
}

} // namespace qcc
