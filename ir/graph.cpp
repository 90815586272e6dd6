#include "ir/graph.h"

#include "ir/error.h"

namespace qcc {
namespace {

template <typename T> const T &getAs(const Op &op, const std::string &attr, const char *kind) {
  auto it = op.attrs.find(attr);
  if (it == op.attrs.end()) fail("{}: missing attribute '{}'", op.describe(), attr);
  if (const T *v = std::get_if<T>(&it->second)) return *v;
  fail("{}: attribute '{}' is not {}", op.describe(), attr, kind);
}

} // namespace

int64_t Op::getInt(const std::string &attr) const {
  return getAs<int64_t>(*this, attr, "an int");
}
int64_t Op::getInt(const std::string &attr, int64_t fallback) const {
  return has(attr) ? getInt(attr) : fallback;
}
double Op::getFloat(const std::string &attr) const {
  auto it = attrs.find(attr);
  if (it != attrs.end())
    if (const int64_t *i = std::get_if<int64_t>(&it->second)) return static_cast<double>(*i);
  return getAs<double>(*this, attr, "a float");
}
double Op::getFloat(const std::string &attr, double fallback) const {
  return has(attr) ? getFloat(attr) : fallback;
}
const std::string &Op::getString(const std::string &attr) const {
  return getAs<std::string>(*this, attr, "a string");
}
std::string Op::getString(const std::string &attr, const std::string &fallback) const {
  return has(attr) ? getString(attr) : fallback;
}
const std::vector<int64_t> &Op::getInts(const std::string &attr) const {
  return getAs<std::vector<int64_t>>(*this, attr, "a list of ints");
}
std::vector<int64_t> Op::getInts(const std::string &attr, std::vector<int64_t> fallback) const {
  return has(attr) ? getInts(attr) : fallback;
}
const std::vector<double> &Op::getFloats(const std::string &attr) const {
  // The text form cannot tell an empty float list from an empty int list.
  static const std::vector<double> empty;
  auto it = attrs.find(attr);
  if (it != attrs.end())
    if (const auto *ints = std::get_if<std::vector<int64_t>>(&it->second); ints && ints->empty())
      return empty;
  return getAs<std::vector<double>>(*this, attr, "a list of floats");
}
const Tensor &Op::getTensor(const std::string &attr) const {
  return getAs<Tensor>(*this, attr, "a tensor");
}

std::string Op::describe() const {
  return name.empty() ? fmt::format("op '{}'", kind) : fmt::format("op '{}' ({})", kind, name);
}

ValueId Graph::addValue(std::string valueName, TensorType type) {
  values.push_back(Value{std::move(valueName), std::move(type), -1});
  return static_cast<ValueId>(values.size() - 1);
}

ValueId Graph::addInput(std::string valueName, TensorType type) {
  ValueId id = addValue(std::move(valueName), std::move(type));
  inputs.push_back(id);
  return id;
}

Op &Graph::addOp(Op op) {
  auto index = static_cast<int32_t>(ops.size());
  for (ValueId out : op.outputs) value(out).def = index;
  ops.push_back(std::move(op));
  return ops.back();
}

const Op *Graph::definingOp(ValueId id) const {
  int32_t def = value(id).def;
  return def < 0 ? nullptr : &ops.at(static_cast<size_t>(def));
}

const Tensor *Graph::constantValue(ValueId id) const {
  const Op *op = definingOp(id);
  if (!op || op->kind != "constant") return nullptr;
  return &op->getTensor("value");
}

void removeDeadOps(Graph &g) {
  std::vector<char> live(g.values.size(), 0);
  for (ValueId out : g.outputs) live[static_cast<size_t>(out)] = 1;
  std::vector<char> keep(g.ops.size(), 0);
  for (size_t i = g.ops.size(); i-- > 0;) {
    const Op &op = g.ops[i];
    bool used = false;
    for (ValueId out : op.outputs) used = used || live[static_cast<size_t>(out)];
    if (!used) continue;
    keep[i] = 1;
    for (ValueId in : op.inputs)
      if (in != kNoValue) live[static_cast<size_t>(in)] = 1;
  }
  for (ValueId in : g.inputs) live[static_cast<size_t>(in)] = 1;
  for (size_t i = 0; i < g.ops.size(); ++i)
    if (keep[i])
      for (ValueId out : g.ops[i].outputs) live[static_cast<size_t>(out)] = 1;

  Graph out;
  out.name = g.name;
  std::vector<ValueId> remap(g.values.size(), kNoValue);
  for (size_t v = 0; v < g.values.size(); ++v)
    if (live[v]) remap[v] = out.addValue(g.values[v].name, g.values[v].type);
  auto map = [&](ValueId id) { return id == kNoValue ? kNoValue : remap[static_cast<size_t>(id)]; };
  for (ValueId in : g.inputs) out.inputs.push_back(map(in));
  for (size_t i = 0; i < g.ops.size(); ++i) {
    if (!keep[i]) continue;
    Op op = std::move(g.ops[i]);
    for (ValueId &id : op.inputs) id = map(id);
    for (ValueId &id : op.outputs) id = map(id);
    out.addOp(std::move(op));
  }
  for (ValueId o : g.outputs) out.outputs.push_back(map(o));
  g = std::move(out);
}

} // namespace qcc
