#include "ir/op_registry.h"

#include "ir/error.h"

#include <algorithm>

namespace qcc {

std::string_view levelName(Level level) {
  switch (level) {
  case kImportLevel:
    return "import";
  case kQuantizedLevel:
    return "quantized";
  case kLoweredLevel:
    return "lowered";
  }
  return "?";
}

const OpRegistry &OpRegistry::instance() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    registerConstantOps(r);
    registerElementwiseOps(r);
    registerNNOps(r);
    registerTensorOps(r);
    registerQuantOps(r);
    registerQuantizedOps(r);
    registerLoweredOps(r);
    registerResidualOps(r);
    return r;
  }();
  return registry;
}

void OpRegistry::add(OpDef def) {
  std::string key = def.name;
  if (!defs_.emplace(std::move(key), std::move(def)).second)
    fail("internal: op '{}' registered twice", def.name);
}

const OpDef *OpRegistry::find(std::string_view kind) const {
  auto it = defs_.find(std::string(kind));
  return it == defs_.end() ? nullptr : &it->second;
}

const OpDef &OpRegistry::lookup(const Op &op) const {
  const OpDef *def = find(op.kind);
  if (!def) fail("{}: unknown op kind '{}'", op.describe(), op.kind);
  return *def;
}

std::vector<std::string> OpRegistry::names() const {
  std::vector<std::string> out;
  for (const auto &[name, def] : defs_) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

bool isQuantizerKind(std::string_view kind) {
  static constexpr std::string_view kinds[] = {
      "quant",       "bipolar_quant",   "multi_threshold",   "trunc",
      "float_quant", "quantize_linear", "dequantize_linear", "dynamic_quantize_linear",
      "quantize",    "dequantize",      "threshold",         "requantize"};
  return std::find(std::begin(kinds), std::end(kinds), kind) != std::end(kinds);
}

std::vector<TensorType> inferTypes(const Op &op, TypeList inputs) {
  const OpDef &def = OpRegistry::instance().lookup(op);
  auto n = static_cast<int>(inputs.size());
  if (n < def.minInputs || (def.maxInputs >= 0 && n > def.maxInputs)) {
    if (def.maxInputs < 0)
      fail("{}: expects at least {} operands, got {}", op.describe(), def.minInputs, n);
    fail("{}: expects {} to {} operands, got {}", op.describe(), def.minInputs, def.maxInputs, n);
  }
  for (int i = 0; i < def.minInputs; ++i)
    if (!inputs[static_cast<size_t>(i)]) fail("{}: operand {} is required", op.describe(), i);
  std::vector<TensorType> out = def.infer(op, inputs);
  if (def.numOutputs >= 0 && static_cast<int>(out.size()) != def.numOutputs)
    fail("internal: {} inferred {} results, expected {}", op.describe(), out.size(),
         def.numOutputs);
  return out;
}

} // namespace qcc
