// Public entry points of the ONNX frontend. This header does not expose ONNX types.
#pragma once

#include "ir/graph.h"

#include <map>
#include <string>

namespace qcc {

// Bounds on what a model may make qcc read and allocate, checked before the reading or the
// allocation; going over one is an error naming the limit and the flag that raises it. The
// defaults are far above real models (docs/errors.md).
struct ImportLimits {
  // The model file plus the external data it reads (--max-model-bytes).
  int64_t maxModelBytes = int64_t{2} << 30;
  // Any one tensor: an initializer, a graph input, a constant or a value an op computes
  // (--max-tensor-bytes).
  int64_t maxTensorBytes = int64_t{1} << 30;
  // Nodes of the ONNX graph (--max-nodes).
  int64_t maxNodes = 1'000'000;
};

struct ImportOptions {
  // Values for symbolic dimensions (`--dim name=N`).
  std::map<std::string, int64_t> dims;
  // Graph inputs given a fixed value (`--bind name=FILE.npy`): they become constants, which is
  // how a model that takes a shape or pads at run time gets the static shapes qcc needs.
  std::map<std::string, Tensor> bindings;
  ImportLimits limits;
};

// Reads an ONNX model file and imports it at the import level. External data is read only from
// the model's own folder. Throws qcc::Error with a message naming the file and node.
Graph importOnnxFile(const std::string &path, const ImportOptions &options = {});

// Imports a serialized ModelProto; `sourceName` names it in messages, `baseDir` is where its
// external data lives ("" to refuse external data).
Graph importOnnxBytes(std::string_view bytes, const std::string &sourceName,
                      const std::string &baseDir, const ImportOptions &options = {});

// Reads a serialized TensorProto file (the ONNX test-data format); `name` receives the
// tensor's name when given.
Tensor readTensorProtoFile(const std::string &path, std::string *name = nullptr);

} // namespace qcc
