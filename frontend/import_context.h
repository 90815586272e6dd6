// What an op importer sees of one ONNX node, and the table of importers. Private to frontend/.
// Importers translate a node into IR ops with canonical attributes (defaults filled in, opset
// differences resolved, constant operands such as shapes turned into attributes).
#pragma once

#include "frontend/onnx_import.h"
#include "ir/builder.h"

#include <fmt/format.h>
#include <functional>
#include <map>
#include <onnx/onnx_pb.h>
#include <string>

namespace qcc::frontend {

class ImportState;

class NodeContext {
public:
  NodeContext(ImportState &state, const onnx::NodeProto &node, int nodeIndex, std::string domain,
              int64_t opsetVersion);

  const onnx::NodeProto &node() const { return node_; }
  const std::string &opType() const { return node_.op_type(); }
  const std::string &domain() const { return domain_; } // "ai.onnx" for the default domain
  int64_t opset() const { return opset_; }
  // Node name for IR ops and messages (the ONNX name, or "OpType_N" when unnamed).
  const std::string &name() const { return name_; }

  // Operands; ONNX marks an absent optional operand with an empty name.
  size_t numInputs() const { return static_cast<size_t>(node_.input_size()); }
  bool hasInput(size_t i) const;
  ValueId input(size_t i) const;         // fails when absent
  ValueId optionalInput(size_t i) const; // kNoValue when absent
  const TensorType &inputType(size_t i) const;
  const Tensor *constantInput(size_t i) const; // nullptr when absent or not constant
  // The operand's constant value; fails as unsupported ("`what` must be a constant") otherwise.
  const Tensor &requireConstant(size_t i, std::string_view what) const;

  size_t numOutputs() const { return static_cast<size_t>(node_.output_size()); }
  bool hasOutput(size_t i) const;

  // Attributes. The typed getters fail when the attribute has another type.
  bool hasAttr(const std::string &attr) const;
  int64_t attrInt(const std::string &attr, int64_t fallback) const;
  int64_t attrInt(const std::string &attr) const; // required
  double attrFloat(const std::string &attr, double fallback) const;
  std::string attrString(const std::string &attr, const std::string &fallback) const;
  std::vector<int64_t> attrInts(const std::string &attr, std::vector<int64_t> fallback) const;
  std::vector<double> attrFloats(const std::string &attr, std::vector<double> fallback) const;
  Tensor attrTensor(const std::string &attr) const; // required
  // Fails as unsupported for every attribute of the node not in `known`.
  void checkAttrs(std::initializer_list<std::string_view> known) const;

  // Appends an IR op named after the node. Results of an op that is the node's final result are
  // bound with setOutput(); intermediates get names derived from the node's.
  std::vector<ValueId> emit(std::string kind, std::vector<ValueId> inputs, Attrs attrs = {});
  ValueId emit1(std::string kind, std::vector<ValueId> inputs, Attrs attrs = {});
  ValueId constant(Tensor value);
  // Fails when a tensor of `type` would exceed the --max-tensor-bytes limit; importers that
  // build a tensor themselves call it before allocating.
  void checkSize(const TensorType &type) const;
  // Binds the node's output `i` to `value` (the value is renamed to the ONNX output name).
  void setOutput(size_t i, ValueId value);

  Builder &builder();
  const Graph &graph() const;

  // Throws qcc::Error "FILE: node 'NAME' (OP, DOMAIN vN): MESSAGE".
  template <typename... Args>
  [[noreturn]] void unsupported(fmt::format_string<Args...> format, Args &&...args) const {
    raise(fmt::format(format, std::forward<Args>(args)...));
  }
  [[noreturn]] void raise(const std::string &message) const;
  std::string where() const; // "FILE: node 'NAME' (OP, DOMAIN vN)"

private:
  const onnx::AttributeProto *attr(const std::string &attr) const;

  ImportState &state_;
  const onnx::NodeProto &node_;
  std::string domain_;
  int64_t opset_;
  std::string name_;
};

using ImportFn = std::function<void(NodeContext &)>;

// Importers by (domain, op type). Domains: "ai.onnx" for the standard ops; "qonnx" stands for
// every domain QONNX/FINN/Brevitas ops are found in (see frontend/importer.cpp).
class ImporterTable {
public:
  void add(const std::string &domain, const std::string &opType, ImportFn fn);
  const ImportFn *find(const std::string &domain, const std::string &opType) const;

private:
  std::map<std::pair<std::string, std::string>, ImportFn> fns_;
};

void registerElementwiseImporters(ImporterTable &table);
void registerNNImporters(ImporterTable &table);
void registerTensorImporters(ImporterTable &table);
void registerQonnxImporters(ImporterTable &table);
void registerQdqImporters(ImporterTable &table);

// Canonical attributes of a Conv-like node (Conv, ConvInteger, QLinearConv) with input x and
// weight w: strides, pads (auto_pad resolved), dilations, group. Defined in import_nn.cpp.
Attrs convAttrs(NodeContext &ctx, const TensorType &x, const TensorType &w);

// Where TensorProto data may come from: external data only from `baseDir` ("" refuses it), and
// within `limits`; `bytesRead` counts the model's bytes so far (file and external data) against
// limits.maxModelBytes.
struct TensorSource {
  std::string baseDir;
  ImportLimits limits;
  int64_t bytesRead = 0;
};

// ONNX TensorProto -> IR tensor (raw_data or typed fields; sub-byte types unpacked). Fails naming
// `what`, before allocating anything, when the data does not match the shape or breaks a limit.
Tensor tensorFromProto(const onnx::TensorProto &proto, TensorSource &source,
                       const std::string &what);
// Fails naming `what` when a tensor of `type` would need more than limits.maxTensorBytes.
void checkTensorSize(const TensorType &type, const ImportLimits &limits, const std::string &what);
// ONNX TensorProto data type -> IR dtype; fails with a message naming the type when unsupported.
DType dtypeFromOnnx(int32_t onnxType, const std::string &what);

} // namespace qcc::frontend
