// The import driver: ModelProto -> IR graph at the import level. Reads initializers and graph
// inputs, dispatches every node to its op family's importer, folds constant sub-graphs (the shape
// computations exporters emit), removes what the outputs do not need, and verifies the result.
#include "frontend/import_context.h"
#include "frontend/onnx_import.h"
#include "ir/error.h"
#include "ir/interpreter.h"
#include "ir/verifier.h"

#include <filesystem>
#include <fstream>
#include <queue>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace qcc::frontend {

class ImportState {
public:
  ImportState(std::string sourceName, std::string modelDir, const ImportOptions &importOptions,
              size_t modelBytes)
      : source(std::move(sourceName)),
        options(importOptions), tensors{std::move(modelDir), importOptions.limits,
                                        static_cast<int64_t>(modelBytes)},
        builder(graph) {}

  std::string source;
  const ImportOptions &options;
  TensorSource tensors;
  Graph graph;
  Builder builder;
  std::unordered_map<std::string, ValueId> byName;
  std::unordered_map<std::string, int64_t> opsets;
};

namespace {

// Domains QONNX/FINN/Brevitas custom ops are exported in.
bool isQonnxDomain(const std::string &domain) {
  return domain == "qonnx.custom_op.general" || domain == "finn.custom_op.general" ||
         domain == "finn" || domain == "onnx.brevitas";
}

const ImporterTable &importers() {
  static const ImporterTable table = [] {
    ImporterTable t;
    registerElementwiseImporters(t);
    registerNNImporters(t);
    registerTensorImporters(t);
    registerQonnxImporters(t);
    registerQdqImporters(t);
    return t;
  }();
  return table;
}

TensorType valueInfoType(const onnx::ValueInfoProto &info, const ImportState &st) {
  std::string what = fmt::format("{}: graph input '{}'", st.source, info.name());
  if (!info.type().has_tensor_type()) fail("{} is not a tensor", what);
  const auto &tt = info.type().tensor_type();
  TensorType type;
  type.dtype = dtypeFromOnnx(tt.elem_type(), what);
  if (!tt.has_shape()) fail("{} has no shape; qcc needs static shapes", what);
  for (const auto &dim : tt.shape().dim()) {
    if (dim.has_dim_value()) {
      if (dim.dim_value() < 0) fail("{} has a negative dimension {}", what, dim.dim_value());
      type.shape.push_back(dim.dim_value());
    } else if (dim.has_dim_param()) {
      auto it = st.options.dims.find(dim.dim_param());
      if (it == st.options.dims.end())
        fail("{} has symbolic dimension '{}'; pin it with --dim {}=N", what, dim.dim_param(),
             dim.dim_param());
      type.shape.push_back(it->second);
    } else {
      fail("{} has a dimension of unknown size; pin it in the model", what);
    }
  }
  checkTensorSize(type, st.options.limits, what);
  return type;
}

// Node indices in an order where every node comes after the nodes producing its operands: the
// file's order when it is already valid (ONNX requires it, but some exporters do not keep it).
std::vector<int> topologicalOrder(const onnx::GraphProto &gp, const std::string &source) {
  int n = gp.node_size();
  std::unordered_map<std::string, int> producer;
  for (int i = 0; i < n; ++i)
    for (const auto &out : gp.node(i).output())
      if (!out.empty()) producer.emplace(out, i);
  std::vector<int> pending(static_cast<size_t>(n), 0);
  std::vector<std::vector<int>> users(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    for (const auto &in : gp.node(i).input()) {
      auto it = producer.find(in);
      if (in.empty() || it == producer.end()) continue;
      ++pending[static_cast<size_t>(i)];
      users[static_cast<size_t>(it->second)].push_back(i);
    }
  std::priority_queue<int, std::vector<int>, std::greater<>> ready;
  for (int i = 0; i < n; ++i)
    if (pending[static_cast<size_t>(i)] == 0) ready.push(i);
  std::vector<int> order;
  order.reserve(static_cast<size_t>(n));
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int u : users[static_cast<size_t>(i)])
      if (--pending[static_cast<size_t>(u)] == 0) ready.push(u);
  }
  if (static_cast<int>(order.size()) != n) {
    int stuck = 0;
    while (pending[static_cast<size_t>(stuck)] == 0) ++stuck;
    const auto &node = gp.node(stuck);
    fail("{}: the graph has a cycle; node '{}' ({}) depends on it", source,
         node.name().empty() ? node.op_type() : node.name(), node.op_type());
  }
  return order;
}

} // namespace

// ---- NodeContext --------------------------------------------------------------------------

NodeContext::NodeContext(ImportState &state, const onnx::NodeProto &node, int nodeIndex,
                         std::string domain, int64_t opsetVersion)
    : state_(state), node_(node), domain_(std::move(domain)), opset_(opsetVersion),
      name_(node.name().empty() ? fmt::format("{}_{}", node.op_type(), nodeIndex) : node.name()) {}

std::string NodeContext::where() const {
  return fmt::format("{}: node '{}' ({}, {} v{})", state_.source, name_, node_.op_type(), domain_,
                     opset_);
}

void NodeContext::raise(const std::string &message) const {
  throw Error(fmt::format("{}: {}", where(), message));
}

bool NodeContext::hasInput(size_t i) const {
  return i < numInputs() && !node_.input(static_cast<int>(i)).empty();
}

ValueId NodeContext::input(size_t i) const {
  if (!hasInput(i)) unsupported("operand {} is required", i);
  const std::string &n = node_.input(static_cast<int>(i));
  auto it = state_.byName.find(n);
  if (it == state_.byName.end())
    unsupported("operand '{}' is not defined before this node (nodes out of order, or a missing "
                "initializer)",
                n);
  return it->second;
}

ValueId NodeContext::optionalInput(size_t i) const {
  return hasInput(i) ? input(i) : kNoValue;
}

const TensorType &NodeContext::inputType(size_t i) const {
  return graph().type(input(i));
}

const Tensor *NodeContext::constantInput(size_t i) const {
  return hasInput(i) ? graph().constantValue(input(i)) : nullptr;
}

const Tensor &NodeContext::requireConstant(size_t i, std::string_view what) const {
  const Tensor *t = constantInput(i);
  if (!t) unsupported("{} (operand {}) must be a constant", what, i);
  return *t;
}

bool NodeContext::hasOutput(size_t i) const {
  return i < numOutputs() && !node_.output(static_cast<int>(i)).empty();
}

const onnx::AttributeProto *NodeContext::attr(const std::string &name) const {
  for (const auto &a : node_.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

bool NodeContext::hasAttr(const std::string &name) const {
  return attr(name) != nullptr;
}

int64_t NodeContext::attrInt(const std::string &name, int64_t fallback) const {
  const auto *a = attr(name);
  if (!a) return fallback;
  if (a->type() != onnx::AttributeProto::INT) unsupported("attribute '{}' is not an int", name);
  return a->i();
}

int64_t NodeContext::attrInt(const std::string &name) const {
  if (!hasAttr(name)) unsupported("attribute '{}' is required", name);
  return attrInt(name, 0);
}

double NodeContext::attrFloat(const std::string &name, double fallback) const {
  const auto *a = attr(name);
  if (!a) return fallback;
  if (a->type() == onnx::AttributeProto::INT) return static_cast<double>(a->i());
  if (a->type() != onnx::AttributeProto::FLOAT) unsupported("attribute '{}' is not a float", name);
  return a->f();
}

std::string NodeContext::attrString(const std::string &name, const std::string &fallback) const {
  const auto *a = attr(name);
  if (!a) return fallback;
  if (a->type() != onnx::AttributeProto::STRING)
    unsupported("attribute '{}' is not a string", name);
  return a->s();
}

std::vector<int64_t> NodeContext::attrInts(const std::string &name,
                                           std::vector<int64_t> fallback) const {
  const auto *a = attr(name);
  if (!a) return fallback;
  if (a->type() != onnx::AttributeProto::INTS)
    unsupported("attribute '{}' is not a list of ints", name);
  return {a->ints().begin(), a->ints().end()};
}

std::vector<double> NodeContext::attrFloats(const std::string &name,
                                            std::vector<double> fallback) const {
  const auto *a = attr(name);
  if (!a) return fallback;
  if (a->type() != onnx::AttributeProto::FLOATS)
    unsupported("attribute '{}' is not a list of floats", name);
  return {a->floats().begin(), a->floats().end()};
}

Tensor NodeContext::attrTensor(const std::string &name) const {
  const auto *a = attr(name);
  if (!a) unsupported("attribute '{}' is required", name);
  if (a->type() != onnx::AttributeProto::TENSOR)
    unsupported("attribute '{}' is not a tensor", name);
  return tensorFromProto(a->t(), state_.tensors, fmt::format("{}: attribute '{}'", where(), name));
}

void NodeContext::checkAttrs(std::initializer_list<std::string_view> known) const {
  for (const auto &a : node_.attribute()) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || a.name() == k;
    if (!ok) unsupported("attribute '{}' is not supported", a.name());
  }
}

void NodeContext::checkSize(const TensorType &type) const {
  checkTensorSize(type, state_.options.limits, where());
}

std::vector<ValueId> NodeContext::emit(std::string kind, std::vector<ValueId> inputs, Attrs attrs) {
  bool foldable = !isQuantizerKind(kind);
  std::vector<const Tensor *> constants;
  std::vector<const TensorType *> types;
  for (ValueId in : inputs) {
    if (in == kNoValue) {
      constants.push_back(nullptr);
      types.push_back(nullptr);
      continue;
    }
    const Tensor *c = graph().constantValue(in);
    foldable = foldable && c != nullptr;
    constants.push_back(c);
    types.push_back(&graph().type(in));
  }
  Op op{std::move(kind), name_, std::move(inputs), {}, std::move(attrs)};
  // Result sizes are checked before folding allocates them.
  for (const TensorType &type : inferTypes(op, types)) checkSize(type);
  if (!foldable)
    return state_.builder.create(std::move(op.kind), name_, std::move(op.inputs),
                                 std::move(op.attrs));
  std::vector<ValueId> results;
  for (Tensor &t : evaluateOp(op, constants)) results.push_back(constant(std::move(t)));
  return results;
}

ValueId NodeContext::emit1(std::string kind, std::vector<ValueId> inputs, Attrs attrs) {
  return emit(std::move(kind), std::move(inputs), std::move(attrs)).at(0);
}

ValueId NodeContext::constant(Tensor value) {
  return state_.builder.constant(std::move(value), name_);
}

void NodeContext::setOutput(size_t i, ValueId value) {
  if (!hasOutput(i)) return;
  const std::string &outName = node_.output(static_cast<int>(i));
  Value &v = state_.graph.value(value);
  // Rename results made for this node; values from elsewhere (pass-through) keep their name.
  if (v.name.rfind(name_, 0) == 0 && v.def >= 0 &&
      state_.graph.ops[static_cast<size_t>(v.def)].name == name_)
    v.name = state_.builder.uniqueName(outName);
  state_.byName[outName] = value;
}

Builder &NodeContext::builder() {
  return state_.builder;
}
const Graph &NodeContext::graph() const {
  return state_.graph;
}

// ---- ImporterTable --------------------------------------------------------------------------

void ImporterTable::add(const std::string &domain, const std::string &opType, ImportFn fn) {
  fns_[{domain, opType}] = std::move(fn);
}

const ImportFn *ImporterTable::find(const std::string &domain, const std::string &opType) const {
  auto it = fns_.find({domain, opType});
  return it == fns_.end() ? nullptr : &it->second;
}

// ---- the driver -----------------------------------------------------------------------------

namespace {

Graph importModel(const onnx::ModelProto &model, ImportState &st) {
  if (!model.has_graph()) fail("{}: the file has no graph (is it an ONNX model?)", st.source);
  for (const auto &op : model.opset_import()) {
    std::string domain = op.domain().empty() ? "ai.onnx" : op.domain();
    st.opsets[domain] = op.version();
  }
  if (model.opset_import_size() == 0) st.opsets["ai.onnx"] = 1;
  const onnx::GraphProto &gp = model.graph();
  if (gp.node_size() > st.options.limits.maxNodes)
    fail("{}: the graph has {} nodes, more than the limit of {} (--max-nodes)", st.source,
         gp.node_size(), st.options.limits.maxNodes);
  st.graph.name = gp.name().empty() ? "main" : gp.name();

  for (const auto &init : gp.initializer()) {
    if (init.name().empty()) fail("{}: an initializer has no name", st.source);
    if (st.byName.count(init.name()))
      fail("{}: initializer '{}' is defined twice", st.source, init.name());
    Tensor t = tensorFromProto(init, st.tensors,
                               fmt::format("{}: initializer '{}'", st.source, init.name()));
    st.byName[init.name()] = st.builder.constant(std::move(t), init.name());
  }
  std::set<std::string> bound, listed;
  for (const auto &info : gp.input()) {
    if (!listed.insert(info.name()).second)
      fail("{}: graph input '{}' is listed twice", st.source, info.name());
    if (st.byName.count(info.name())) continue; // old exports list initializers as inputs
    auto binding = st.options.bindings.find(info.name());
    if (binding == st.options.bindings.end()) {
      st.byName[info.name()] = st.builder.input(info.name(), valueInfoType(info, st));
      continue;
    }
    const Tensor &value = binding->second;
    TensorType declared = valueInfoType(info, st);
    if (value.dtype() != declared.dtype || value.shape() != declared.shape)
      fail("{}: bound value for graph input '{}' is {}, the model declares {}", st.source,
           info.name(), typeString(value.type()), typeString(declared));
    st.byName[info.name()] = st.builder.constant(value, info.name());
    bound.insert(info.name());
  }
  for (const auto &[name, value] : st.options.bindings)
    if (!bound.count(name))
      fail("{}: --bind names '{}', which is not a graph input", st.source, name);

  const ImporterTable &table = importers();
  for (int index : topologicalOrder(gp, st.source)) {
    const onnx::NodeProto &node = gp.node(index);
    std::string domain = node.domain().empty() ? "ai.onnx" : node.domain();
    std::string group = isQonnxDomain(domain) ? "qonnx" : domain;
    const ImportFn *fn = table.find(group, node.op_type());
    // Old Brevitas exports put the QONNX ops in the default domain.
    if (!fn && group == "ai.onnx") fn = table.find("qonnx", node.op_type());
    auto opset = st.opsets.find(domain);
    int64_t version = opset != st.opsets.end() ? opset->second : 1;
    NodeContext ctx(st, node, index, domain, version);
    if (!fn) ctx.unsupported("operator is not supported");
    for (const auto &out : node.output())
      if (!out.empty() && st.byName.count(out))
        ctx.unsupported("output '{}' is defined twice", out);
    try {
      (*fn)(ctx);
    } catch (const Error &e) {
      std::string what = e.what();
      if (what.rfind(st.source, 0) == 0) throw;
      ctx.raise(what);
    }
    for (size_t i = 0; i < ctx.numOutputs(); ++i)
      if (ctx.hasOutput(i) && !st.byName.count(node.output(static_cast<int>(i))))
        ctx.unsupported("output {} ('{}') is not supported", i, node.output(static_cast<int>(i)));
  }

  if (gp.output_size() == 0) fail("{}: the graph has no outputs", st.source);
  for (const auto &out : gp.output()) {
    auto it = st.byName.find(out.name());
    if (it == st.byName.end())
      fail("{}: graph output '{}' is not computed by any node", st.source, out.name());
    st.graph.outputs.push_back(it->second);
  }
  removeDeadOps(st.graph);
  verify(st.graph, kImportLevel);
  return std::move(st.graph);
}

} // namespace
} // namespace qcc::frontend

namespace qcc {

Graph importOnnxBytes(std::string_view bytes, const std::string &sourceName,
                      const std::string &baseDir, const ImportOptions &options) {
  if (bytes.empty()) fail("{}: the file is empty", sourceName);
  if (bytes.size() > static_cast<uint64_t>(options.limits.maxModelBytes))
    fail("{}: the model is {} bytes, more than the limit of {} (--max-model-bytes)", sourceName,
         bytes.size(), options.limits.maxModelBytes);
  if (bytes.size() > (size_t{1} << 31) - 1)
    fail("{}: files over 2 GiB are not supported", sourceName);
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    fail("{}: not a valid ONNX model (protobuf parse failed: truncated or corrupt file)",
         sourceName);
  frontend::ImportState state(sourceName, baseDir, options, bytes.size());
  return frontend::importModel(model, state);
}

Graph importOnnxFile(const std::string &path, const ImportOptions &options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) fail("{}: no such file", path);
  if (fs::is_directory(path, ec)) fail("{}: is a directory, not a model file", path);
  // Checked before reading: a huge file is refused without loading it.
  uintmax_t size = fs::file_size(path, ec);
  if (!ec && size > static_cast<uintmax_t>(options.limits.maxModelBytes))
    fail("{}: the model is {} bytes, more than the limit of {} (--max-model-bytes)", path, size,
         options.limits.maxModelBytes);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open file", path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::path dir = fs::path(path).parent_path();
  return importOnnxBytes(bytes, path, dir.empty() ? "." : dir.string(), options);
}

} // namespace qcc
