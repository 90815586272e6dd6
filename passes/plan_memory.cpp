// plan_memory: records the arena plan of ir/memory_plan.h on the ops (attr `arena_offsets`, one
// byte offset per result, -1 for results outside the arena).
#include "ir/memory_plan.h"
#include "passes/pass_registry.h"

namespace qcc {

namespace {

class PlanMemoryPass : public Pass {
public:
  std::string name() const override { return "plan_memory"; }
  Level resultLevel(Level input) const override { return input; }

  void run(Graph &graph) override {
    MemoryPlan plan = planMemory(graph);
    for (Op &op : graph.ops) {
      if (op.kind == "constant") continue;
      std::vector<int64_t> offsets;
      for (ValueId out : op.outputs) offsets.push_back(plan.offset[static_cast<size_t>(out)]);
      op.attrs["arena_offsets"] = std::move(offsets);
    }
  }
};

const PassRegistration registration{
    {"plan_memory", "assign 64-byte aligned arena offsets by liveness (attr arena_offsets)",
     [](const PassOptions &) { return std::make_unique<PlanMemoryPass>(); }}};

} // namespace

} // namespace qcc
