#include "ir/builder.h"
#include "ir/error.h"
#include "passes/pass_manager.h"

#include <catch2/catch.hpp>

using namespace qcc;

namespace {

// Renames every value: a harmless pass.
class RenamePass : public Pass {
public:
  std::string name() const override { return "rename"; }
  Level resultLevel() const override { return kImportLevel; }
  void run(Graph &g) override {
    for (Value &v : g.values) v.name = "r_" + v.name;
  }
};

// Breaks the graph: its output refers to nothing.
class BreakPass : public Pass {
public:
  std::string name() const override { return "break"; }
  Level resultLevel() const override { return kImportLevel; }
  void run(Graph &g) override { g.outputs = {42}; }
};

Graph smallGraph() {
  Graph g;
  Builder b(g);
  g.outputs = {b.constant(Tensor::scalar(DType::f32, 1), "c")};
  return g;
}

} // namespace

TEST_CASE("pass manager runs passes in order and dumps after the named pass", "[passes]") {
  PassManager pm;
  pm.add(std::make_unique<RenamePass>());
  pm.add(std::make_unique<RenamePass>());
  std::string seen;
  pm.dumpAfter("rename", [&](const Graph &g) { seen += g.values[0].name + ";"; });
  Graph g = smallGraph();
  pm.run(g);
  CHECK(g.values[0].name == "r_r_c");
  CHECK(seen == "r_c;r_r_c;");
  CHECK(pm.timings().size() == 2);
  CHECK(pm.pipeline() == std::vector<std::string>{"rename", "rename"});
}

TEST_CASE("pass manager verifies after each pass and rejects unknown dump names", "[passes]") {
  PassManager pm;
  pm.add(std::make_unique<BreakPass>());
  Graph g = smallGraph();
  CHECK_THROWS_WITH(pm.run(g), Catch::Contains("after pass 'break' is invalid"));
  PassManager pm2;
  pm2.add(std::make_unique<RenamePass>());
  pm2.dumpAfter("nope", [](const Graph &) {});
  Graph g2 = smallGraph();
  CHECK_THROWS_WITH(pm2.run(g2), Catch::Contains("no pass named 'nope' (the pipeline is: rename)"));
}
