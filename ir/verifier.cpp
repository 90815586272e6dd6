#include "ir/verifier.h"

#include "ir/error.h"

#include <unordered_set>

namespace qcc {

namespace {

// Quantization parameters must fit the shape they describe: code that indexes scale[c] relies
// on it.
void verifyQuant(const Value &v) {
  if (!v.type.quant) return;
  const QuantInfo &q = *v.type.quant;
  if (q.bits < 1 || q.bits > 32)
    fail("value '{}': quantization bits {} outside 1..32", v.name, q.bits);
  if (q.axis < -1 || q.axis >= v.type.rank())
    fail("value '{}': quantization axis {} outside the rank {}", v.name, q.axis, v.type.rank());
  size_t channels = q.axis < 0 ? 1 : static_cast<size_t>(v.type.shape[static_cast<size_t>(q.axis)]);
  if (q.scale.size() != channels)
    fail("value '{}': {} scales for {} channels", v.name, q.scale.size(), channels);
  if (!q.zeroPoint.empty() && q.zeroPoint.size() != channels)
    fail("value '{}': {} zero points for {} channels", v.name, q.zeroPoint.size(), channels);
}

} // namespace

void verify(const Graph &g, Level level) {
  auto nvalues = static_cast<ValueId>(g.values.size());
  auto checkId = [&](ValueId id, const std::string &where) {
    if (id < 0 || id >= nvalues) fail("{}: refers to value #{} which does not exist", where, id);
  };

  std::unordered_set<std::string> names;
  for (const Value &v : g.values) {
    if (!names.insert(v.name).second)
      fail("graph '{}': value name '{}' is defined twice", g.name, v.name);
    verifyQuant(v);
  }

  std::vector<char> defined(g.values.size(), 0);
  for (ValueId in : g.inputs) {
    checkId(in, "graph input");
    if (g.value(in).def != -1) fail("graph input '{}' is also defined by an op", g.value(in).name);
    defined[static_cast<size_t>(in)] = 1;
  }

  const OpRegistry &registry = OpRegistry::instance();
  for (size_t index = 0; index < g.ops.size(); ++index) {
    const Op &op = g.ops[index];
    const OpDef &def = registry.lookup(op);
    if (!(def.levels & level))
      fail("{}: not allowed at the {} level", op.describe(), levelName(level));
    std::vector<const TensorType *> inTypes;
    for (ValueId in : op.inputs) {
      if (in == kNoValue) {
        inTypes.push_back(nullptr);
        continue;
      }
      checkId(in, op.describe());
      if (!defined[static_cast<size_t>(in)])
        fail("{}: operand '{}' is used before it is defined", op.describe(), g.value(in).name);
      inTypes.push_back(&g.type(in));
    }
    std::vector<TensorType> expected = inferTypes(op, inTypes);
    if (expected.size() != op.outputs.size())
      fail("{}: has {} results, expected {}", op.describe(), op.outputs.size(), expected.size());
    for (size_t i = 0; i < op.outputs.size(); ++i) {
      ValueId out = op.outputs[i];
      checkId(out, op.describe());
      const Value &v = g.value(out);
      if (defined[static_cast<size_t>(out)] || v.def != static_cast<int32_t>(index))
        fail("{}: result '{}' is defined more than once", op.describe(), v.name);
      defined[static_cast<size_t>(out)] = 1;
      if (!(v.type == expected[i]))
        fail("{}: result '{}' has type {}, but its operands give {}", op.describe(), v.name,
             typeString(v.type), typeString(expected[i]));
    }
  }
  for (ValueId out : g.outputs) {
    checkId(out, "graph output");
    if (!defined[static_cast<size_t>(out)])
      fail("graph output '{}' is never defined", g.value(out).name);
  }
}

} // namespace qcc
