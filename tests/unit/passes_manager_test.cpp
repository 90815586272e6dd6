#include "ir/builder.h"
#include "ir/error.h"
#include "ir/parser.h"
#include "passes/pass_manager.h"

#include <catch2/catch.hpp>

using namespace qcc;

namespace {

// Renames every value: a harmless pass.
class RenamePass : public Pass {
public:
  std::string name() const override { return "rename"; }
  Level resultLevel(Level input) const override { return input; }
  void run(Graph &g) override {
    for (Value &v : g.values) v.name = "r_" + v.name;
  }
};

// Breaks the graph: its output refers to nothing.
class BreakPass : public Pass {
public:
  std::string name() const override { return "break"; }
  Level resultLevel(Level input) const override { return input; }
  void run(Graph &g) override { g.outputs = {42}; }
};

// Declares that the graph is at `level` afterwards, without changing it.
class ToLevelPass : public Pass {
public:
  explicit ToLevelPass(Level level) : level_(level) {}
  std::string name() const override { return "to_level"; }
  Level resultLevel(Level) const override { return level_; }
  void run(Graph &) override {}

private:
  Level level_;
};

// Records the level it is given and keeps it.
class ObservePass : public Pass {
public:
  explicit ObservePass(std::vector<Level> *seen) : seen_(seen) {}
  std::string name() const override { return "observe"; }
  Level resultLevel(Level input) const override {
    seen_->push_back(input);
    return input;
  }
  void run(Graph &) override {}

private:
  std::vector<Level> *seen_;
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

TEST_CASE("pass manager tracks the level from the start level through each pass", "[passes]") {
  std::vector<Level> seen;
  PassManager pm;
  pm.add(std::make_unique<ObservePass>(&seen));
  pm.add(std::make_unique<ToLevelPass>(kQuantizedLevel));
  pm.add(std::make_unique<ObservePass>(&seen));
  Graph g = smallGraph();
  CHECK(pm.run(g) == kQuantizedLevel);
  CHECK(seen == std::vector<Level>{kImportLevel, kQuantizedLevel});
  seen.clear();
  CHECK(pm.run(g, kLoweredLevel) == kQuantizedLevel);
  CHECK(seen == std::vector<Level>{kLoweredLevel, kQuantizedLevel});
  PassManager empty;
  CHECK(empty.run(g, kLoweredLevel) == kLoweredLevel);
}

TEST_CASE("pass manager verifies at the level each pass leaves the graph at", "[passes]") {
  // `bitpack` exists at the lowered level only.
  Graph g = parseGraph(
      R"(graph @g(%x: i8[1,2] q(bipolar1, scale=[1.0], zp=[0.0])) -> (u64[1,1,1] q(bipolar1, scale=[1.0], zp=[0.0]) layout(packed, planes=1, word=64)) {
    %p = bitpack "p" (%x) : u64[1,1,1] q(bipolar1, scale=[1.0], zp=[0.0]) layout(packed, planes=1, word=64)
    return %p
  })");
  PassManager lowered;
  lowered.add(std::make_unique<ToLevelPass>(kLoweredLevel));
  CHECK(lowered.run(g, kLoweredLevel) == kLoweredLevel);
  PassManager quantized;
  quantized.add(std::make_unique<ToLevelPass>(kQuantizedLevel));
  CHECK_THROWS_WITH(quantized.run(g, kLoweredLevel),
                    Catch::Contains("after pass 'to_level' is invalid") &&
                        Catch::Contains("not allowed at the quantized level"));
  quantized.setVerify(false);
  CHECK(quantized.run(g, kLoweredLevel) == kQuantizedLevel);
}

TEST_CASE("pass manager names an empty pipeline when --dump-after finds no pass", "[passes]") {
  PassManager pm;
  pm.dumpAfter("canonicalize", [](const Graph &) {});
  Graph g = smallGraph();
  CHECK_THROWS_WITH(pm.run(g),
                    "--dump-after: no pass named 'canonicalize' (the pipeline is empty)");
}
