// The registry of IR ops: for each op kind, its operand counts, the levels it may appear at,
// its type inference and its reference semantics. The importer, the verifier, the passes and the
// interpreter all consult this one table.
#pragma once

#include "ir/graph.h"

#include <functional>
#include <span>
#include <string_view>
#include <unordered_map>

namespace qcc {

enum Level : unsigned { kImportLevel = 1, kQuantizedLevel = 2, kLoweredLevel = 4 };
constexpr unsigned kAllLevels = kImportLevel | kQuantizedLevel | kLoweredLevel;

std::string_view levelName(Level level);

// Input types of an op; nullptr where an optional operand is absent.
using TypeList = std::span<const TensorType *const>;
// Input tensors of an op; nullptr where an optional operand is absent.
using TensorList = std::span<const Tensor *const>;

struct OpDef {
  std::string name;
  int minInputs = 1;
  int maxInputs = 1; // -1: variadic
  int numOutputs = 1;
  unsigned levels = kAllLevels;
  // Output types from the attributes and input types; throws qcc::Error for invalid ops.
  std::function<std::vector<TensorType>(const Op &, TypeList)> infer;
  // Fills `outputs`, which arrive allocated with the inferred types.
  std::function<void(const Op &, TensorList, std::span<Tensor> outputs)> eval;
};

class OpRegistry {
public:
  // The registry with every op of the project registered.
  static const OpRegistry &instance();

  void add(OpDef def);
  const OpDef *find(std::string_view kind) const;
  // The definition of `op`, failing with a message naming the op when it is unknown.
  const OpDef &lookup(const Op &op) const;
  std::vector<std::string> names() const; // sorted

private:
  std::unordered_map<std::string, OpDef> defs_;
};

// Ops that convert between reals and integer codes. They stay explicit even when their operands
// are constant (constant folding skips them): the passes read quantization from them.
bool isQuantizerKind(std::string_view kind);

// Checks operand count and runs `infer` for `op` given its input types.
std::vector<TensorType> inferTypes(const Op &op, TypeList inputs);

// One function per op family (ir/ops/*.cpp); OpRegistry::instance() calls them all.
void registerConstantOps(OpRegistry &registry);
void registerElementwiseOps(OpRegistry &registry);
void registerNNOps(OpRegistry &registry);
void registerTensorOps(OpRegistry &registry);
void registerQuantOps(OpRegistry &registry);
void registerQuantizedOps(OpRegistry &registry);
void registerLoweredOps(OpRegistry &registry);
void registerResidualOps(OpRegistry &registry);

} // namespace qcc
