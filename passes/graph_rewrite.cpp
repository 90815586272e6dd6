#include "passes/graph_rewrite.h"

#include "ir/error.h"

#include <algorithm>
#include <unordered_set>

namespace qcc {

std::vector<int> useCounts(const Graph &graph) {
  std::vector<int> uses(graph.values.size(), 0);
  for (const Op &op : graph.ops)
    for (ValueId in : op.inputs)
      if (in != kNoValue) ++uses[static_cast<size_t>(in)];
  for (ValueId out : graph.outputs) ++uses[static_cast<size_t>(out)];
  return uses;
}

bool isGraphInput(const Graph &graph, ValueId id) {
  return std::find(graph.inputs.begin(), graph.inputs.end(), id) != graph.inputs.end();
}

bool isGraphOutput(const Graph &graph, ValueId id) {
  return std::find(graph.outputs.begin(), graph.outputs.end(), id) != graph.outputs.end();
}

bool replaceAllUses(Graph &graph, ValueId from, ValueId to) {
  if (from == to) return true;
  if (isGraphOutput(graph, from)) {
    if (isGraphInput(graph, to) || isGraphOutput(graph, to)) return false;
    std::swap(graph.value(from).name, graph.value(to).name);
  }
  for (Op &op : graph.ops) std::replace(op.inputs.begin(), op.inputs.end(), from, to);
  std::replace(graph.outputs.begin(), graph.outputs.end(), from, to);
  return true;
}

bool replaceValue(Graph &graph, ValueId from, ValueId to) {
  bool output = isGraphOutput(graph, from);
  if (!replaceAllUses(graph, from, to)) return false;
  if (!output) std::swap(graph.value(from).name, graph.value(to).name);
  return true;
}

void sortOps(Graph &graph) {
  size_t n = graph.ops.size();
  std::vector<int64_t> producer(graph.values.size(), -1); // -1: graph input
  for (size_t i = 0; i < n; ++i)
    for (ValueId out : graph.ops[i].outputs)
      producer[static_cast<size_t>(out)] = static_cast<int64_t>(i);
  // Depth-first in the current order, each op after its producers: an op that is already in
  // place stays in place, and an op that was appended lands right before its first user.
  enum : char { unvisited, open, placed };
  std::vector<char> state(n, unvisited);
  std::vector<size_t> order;
  order.reserve(n);
  std::vector<std::pair<size_t, size_t>> stack; // (op, next operand to look at)
  for (size_t root = 0; root < n; ++root) {
    if (state[root] != unvisited) continue;
    state[root] = open;
    stack.emplace_back(root, 0);
    while (!stack.empty()) {
      auto &[op, next] = stack.back();
      const std::vector<ValueId> &inputs = graph.ops[op].inputs;
      if (next == inputs.size()) {
        state[op] = placed;
        order.push_back(op);
        stack.pop_back();
        continue;
      }
      ValueId in = inputs[next++];
      int64_t p = in == kNoValue ? -1 : producer[static_cast<size_t>(in)];
      if (p < 0 || state[static_cast<size_t>(p)] == placed) continue;
      if (state[static_cast<size_t>(p)] == open)
        fail("internal: the ops of graph '{}' form a cycle", graph.name);
      state[static_cast<size_t>(p)] = open;
      stack.emplace_back(static_cast<size_t>(p), 0);
    }
  }
  std::vector<Op> ops = std::move(graph.ops);
  graph.ops.clear();
  for (size_t i : order) graph.addOp(std::move(ops[i]));
}

} // namespace qcc
