#include "ir/interpreter.h"

#include "ir/error.h"

#include <optional>

namespace qcc {
namespace {

std::vector<Tensor> allocateResults(const std::vector<TensorType> &types) {
  std::vector<Tensor> out;
  out.reserve(types.size());
  for (const TensorType &t : types) out.emplace_back(t);
  return out;
}

void evalInto(const OpDef &def, const Op &op, TensorList inputs, std::span<Tensor> results) {
  try {
    def.eval(op, inputs, results);
  } catch (const Error &e) {
    // Messages from inside an op's semantics name the op; add it where they do not.
    std::string what = e.what();
    if (what.find(op.describe()) == std::string::npos) fail("{}: {}", op.describe(), what);
    throw;
  }
}

} // namespace

std::vector<Tensor> evaluateOp(const Op &op, TensorList inputs) {
  std::vector<const TensorType *> types;
  for (const Tensor *t : inputs) types.push_back(t ? &t->type() : nullptr);
  std::vector<Tensor> results = allocateResults(inferTypes(op, types));
  evalInto(OpRegistry::instance().lookup(op), op, inputs, results);
  return results;
}

std::vector<Tensor> Interpreter::run(std::span<const Tensor> inputs,
                                     const Observer &observe) const {
  const Graph &g = graph_;
  if (inputs.size() != g.inputs.size())
    fail("graph '{}' has {} inputs, {} given", g.name, g.inputs.size(), inputs.size());

  // Remaining uses of each value, so that intermediates are released after their last use.
  std::vector<int> uses(g.values.size(), 0);
  for (const Op &op : g.ops)
    for (ValueId in : op.inputs)
      if (in != kNoValue) ++uses[static_cast<size_t>(in)];
  for (ValueId out : g.outputs) ++uses[static_cast<size_t>(out)];

  std::vector<std::optional<Tensor>> env(g.values.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value &v = g.value(g.inputs[i]);
    if (inputs[i].dtype() != v.type.dtype || inputs[i].shape() != v.type.shape)
      fail("input '{}' expects {}, got {}{}", v.name,
           typeString(TensorType(v.type.dtype, v.type.shape)), dtypeName(inputs[i].dtype()),
           shapeString(inputs[i].shape()));
    env[static_cast<size_t>(g.inputs[i])] = inputs[i];
  }

  const OpRegistry &registry = OpRegistry::instance();
  std::vector<const Tensor *> args;
  for (const Op &op : g.ops) {
    const OpDef &def = registry.lookup(op);
    args.clear();
    for (ValueId in : op.inputs) {
      if (in == kNoValue) {
        args.push_back(nullptr);
        continue;
      }
      const std::optional<Tensor> &slot = env[static_cast<size_t>(in)];
      if (!slot)
        fail("{}: operand '{}' is used before it is defined", op.describe(), g.value(in).name);
      args.push_back(&*slot);
    }
    std::vector<TensorType> types;
    for (ValueId out : op.outputs) types.push_back(g.type(out));
    std::vector<Tensor> results = allocateResults(types);
    evalInto(def, op, args, results);
    if (observe) observe(op, results);
    for (ValueId in : op.inputs)
      if (in != kNoValue && --uses[static_cast<size_t>(in)] == 0)
        env[static_cast<size_t>(in)].reset();
    for (size_t i = 0; i < op.outputs.size(); ++i)
      if (uses[static_cast<size_t>(op.outputs[i])] > 0)
        env[static_cast<size_t>(op.outputs[i])] = std::move(results[i]);
  }

  std::vector<Tensor> outputs;
  for (ValueId out : g.outputs) {
    const std::optional<Tensor> &slot = env[static_cast<size_t>(out)];
    if (!slot) fail("graph output '{}' is never defined", g.value(out).name);
    outputs.push_back(*slot);
  }
  return outputs;
}

} // namespace qcc
