#include "ir/builder.h"
#include "ir/interpreter.h"
#include "ir/memory_plan.h"
#include "passes/pass_registry.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <fmt/format.h>
#include <map>
#include <random>

using namespace qcc;

namespace {

size_t at(ValueId v) {
  return static_cast<size_t>(v);
}

int64_t aligned(int64_t n) {
  return (n + 63) / 64 * 64;
}

Attrs shapeAttr(Shape s) {
  return Attrs{{"shape", std::move(s)}};
}

// Runs `g` the way generated code will: every arena value is read from and written to its bytes
// in one shared arena; other values live in their own buffers. A plan that lets two live values
// share bytes makes the outputs differ from the interpreter's.
std::vector<Tensor> runInArena(const Graph &g, const MemoryPlan &plan,
                               std::span<const Tensor> inputs) {
  std::vector<uint8_t> arena(static_cast<size_t>(plan.arenaBytes), 0xA5);
  std::map<ValueId, Tensor> outside;
  auto store = [&](ValueId v, const Tensor &t) {
    int64_t offset = plan.offset[at(v)];
    if (offset < 0) {
      outside[v] = t;
      return;
    }
    REQUIRE(offset + static_cast<int64_t>(t.bytes().size()) <= plan.arenaBytes);
    std::memcpy(arena.data() + offset, t.bytes().data(), t.bytes().size());
  };
  auto load = [&](ValueId v) {
    int64_t offset = plan.offset[at(v)];
    if (offset < 0) return outside.at(v);
    Tensor t(g.type(v));
    std::memcpy(t.bytes().data(), arena.data() + offset, t.bytes().size());
    return t;
  };
  for (size_t i = 0; i < inputs.size(); ++i) store(g.inputs[i], inputs[i]);
  for (const Op &op : g.ops) {
    if (op.kind == "constant") {
      outside[op.outputs[0]] = op.getTensor("value");
      continue;
    }
    std::vector<Tensor> operands;
    for (ValueId in : op.inputs) operands.push_back(in == kNoValue ? Tensor() : load(in));
    std::vector<const Tensor *> pointers;
    for (size_t i = 0; i < op.inputs.size(); ++i)
      pointers.push_back(op.inputs[i] == kNoValue ? nullptr : &operands[i]);
    std::vector<Tensor> results = evaluateOp(op, pointers);
    for (size_t i = 0; i < results.size(); ++i) store(op.outputs[i], results[i]);
  }
  std::vector<Tensor> outputs;
  for (ValueId out : g.outputs) outputs.push_back(load(out));
  return outputs;
}

// The value `v` is a reshape (through any number of reshapes) of; values with the same origin
// hold the same bytes.
ValueId reshapeOrigin(const Graph &g, ValueId v) {
  for (const Op *op = g.definingOp(v); op && op->kind == "reshape"; op = g.definingOp(v))
    v = op->inputs[0];
  return v;
}

// Checks `plan` against rules restated here independently of plan_memory.cpp.
void checkPlan(const Graph &g, const MemoryPlan &plan) {
  size_t n = g.values.size();
  REQUIRE(plan.offset.size() == n);
  int32_t lastOp = g.ops.empty() ? 0 : static_cast<int32_t>(g.ops.size()) - 1;
  std::vector<char> isOutput(n, 0), isInput(n, 0);
  for (ValueId v : g.outputs) isOutput[at(v)] = 1;
  for (ValueId v : g.inputs) isInput[at(v)] = 1;
  auto callerFormat = [&](ValueId v) {
    return g.type(v).dtype == DType::f32 && g.type(v).layout.kind == LayoutKind::plain;
  };

  // Which values the arena holds, and their live ranges.
  std::vector<int32_t> first(n, -1), last(n, -1);
  for (ValueId v : g.inputs)
    if (!callerFormat(v)) first[at(v)] = 0;
  for (size_t i = 0; i < g.ops.size(); ++i)
    if (g.ops[i].kind != "constant")
      for (ValueId v : g.ops[i].outputs)
        if (!isOutput[at(v)] || !callerFormat(v)) first[at(v)] = static_cast<int32_t>(i);
  for (size_t v = 0; v < n; ++v) {
    if (first[v] < 0) continue;
    last[v] = isOutput[v] ? lastOp : first[v];
    for (size_t i = 0; i < g.ops.size(); ++i)
      for (ValueId in : g.ops[i].inputs)
        if (in == static_cast<ValueId>(v)) last[v] = std::max(last[v], static_cast<int32_t>(i));
  }

  for (size_t v = 0; v < n; ++v) {
    INFO("value " << g.values[v].name);
    CHECK(plan.inArena(static_cast<ValueId>(v)) == (first[v] >= 0));
    CHECK(plan.bytes[v] ==
          g.values[v].type.numel() * static_cast<int64_t>(storageBytes(g.values[v].type.dtype)));
    if (first[v] < 0) continue;
    CHECK(plan.firstUse[v] == first[v]);
    CHECK(plan.lastUse[v] == last[v]);
    CHECK(plan.offset[v] % 64 == 0);
    CHECK(plan.offset[v] + plan.bytes[v] <= plan.arenaBytes);
  }
  CHECK(plan.arenaBytes % 64 == 0);

  // Values live at the same time never share bytes unless they are reshapes of one value.
  for (size_t u = 0; u < n; ++u)
    for (size_t v = u + 1; v < n; ++v) {
      if (first[u] < 0 || first[v] < 0 || plan.bytes[u] == 0 || plan.bytes[v] == 0) continue;
      bool liveTogether = first[u] <= last[v] && first[v] <= last[u];
      bool bytesOverlap = plan.offset[u] < plan.offset[v] + plan.bytes[v] &&
                          plan.offset[v] < plan.offset[u] + plan.bytes[u];
      if (!liveTogether || !bytesOverlap) continue;
      INFO(g.values[u].name << " and " << g.values[v].name << " share bytes");
      CHECK(reshapeOrigin(g, static_cast<ValueId>(u)) == reshapeOrigin(g, static_cast<ValueId>(v)));
    }

  // The lower bound: at each op, the distinct live buffers (one per offset), aligned.
  int64_t bound = 0;
  for (int32_t t = 0; t <= lastOp; ++t) {
    std::map<int64_t, int64_t> live;
    for (size_t v = 0; v < n; ++v)
      if (first[v] >= 0 && first[v] <= t && t <= last[v] && plan.bytes[v] > 0)
        live[plan.offset[v]] = std::max(live[plan.offset[v]], aligned(plan.bytes[v]));
    int64_t sum = 0;
    for (const auto &[offset, size] : live) sum += size;
    bound = std::max(bound, sum);
  }
  CHECK(plan.lowerBoundBytes == bound);
  CHECK(plan.arenaBytes >= plan.lowerBoundBytes);
}

Tensor randomTensor(const TensorType &type, std::mt19937 &rng) {
  Tensor t(type);
  std::uniform_real_distribution<double> d(-100, 100);
  for (int64_t i = 0; i < t.numel(); ++i) t.setDouble(i, std::round(d(rng) * 8) / 8);
  return t;
}

struct RandomGraph {
  Graph graph;
  std::vector<Tensor> inputs;
};

// Chains and diamonds of relu / add / concat / reshape / split / cast over [1, n] and [n]
// values of random sizes and element types; some results unused, some outputs read later.
RandomGraph randomGraph(std::mt19937 &rng) {
  RandomGraph r;
  Graph &g = r.graph;
  g.name = "random";
  Builder b(g);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  std::vector<ValueId> pool;
  for (int64_t i = 0, count = uniform(1, 2); i < count; ++i) {
    DType dtype = uniform(0, 3) == 0 ? DType::i8 : DType::f32;
    ValueId in = b.input(fmt::format("in{}", i), TensorType(dtype, {1, uniform(1, 300)}));
    r.inputs.push_back(randomTensor(g.type(in), rng));
    pool.push_back(in);
  }
  auto index = [&](size_t n) {
    return static_cast<size_t>(uniform(0, static_cast<int64_t>(n) - 1));
  };
  // Mostly one of the newest values (chains), sometimes any older one (long lives, diamonds).
  auto pick = [&]() {
    return uniform(0, 9) < 7 ? pool[pool.size() - 1 - index(std::min<size_t>(3, pool.size()))]
                             : pool[index(pool.size())];
  };
  auto partner = [&](ValueId x, auto fits) {
    std::vector<ValueId> candidates;
    for (ValueId v : pool)
      if (v != x && fits(g.type(v))) candidates.push_back(v);
    return candidates.empty() ? x : candidates[index(candidates.size())];
  };
  for (int64_t step = 0, steps = uniform(3, 24); step < steps; ++step) {
    ValueId x = pick();
    const TensorType xt = g.type(x);
    int64_t len = xt.shape.back();
    std::string name = fmt::format("op{}", step);
    switch (uniform(0, 6)) {
    case 0:
      pool.push_back(b.create1("relu", name, {x}));
      break;
    case 1: {
      ValueId y = partner(x, [&](const TensorType &t) { return t == xt; });
      pool.push_back(b.create1("add", name, {x, y}));
      break;
    }
    case 2: {
      ValueId c = b.constant(randomTensor(xt, rng), name + "_c");
      pool.push_back(b.create1("add", name, {x, c}));
      break;
    }
    case 3: {
      if (len > 1024) continue;
      ValueId y = partner(x, [&](const TensorType &t) {
        return t.dtype == xt.dtype && t.rank() == xt.rank() && t.shape.back() <= 1024;
      });
      pool.push_back(b.create1("concat", name, {x, y}, Attrs{{"axis", xt.rank() - 1}}));
      break;
    }
    case 4:
      pool.push_back(
          b.create1("reshape", name, {x}, shapeAttr(xt.rank() == 2 ? Shape{len} : Shape{1, len})));
      break;
    case 5: {
      if (len < 2) continue;
      int64_t k = uniform(1, len - 1);
      std::vector<ValueId> parts =
          b.create("split", name, {x},
                   Attrs{{"axis", xt.rank() - 1}, {"split", std::vector<int64_t>{k, len - k}}});
      pool.insert(pool.end(), parts.begin(), parts.end());
      break;
    }
    default: {
      static const char *types[] = {"f32", "i8", "i32", "u8"};
      pool.push_back(b.create1("cast", name, {x}, Attrs{{"to", std::string(types[index(4)])}}));
      break;
    }
    }
  }
  g.outputs.push_back(pool.back());
  if (uniform(0, 1) == 1) {
    ValueId other = pool[index(pool.size())];
    if (other != pool.back()) g.outputs.push_back(other);
  }
  return r;
}

} // namespace

TEST_CASE("plan_memory: a chain reuses bytes, a reshape shares its operand's bytes",
          "[passes][plan_memory]") {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {1, 16}));
  ValueId a = b.create1("relu", "a", {x});                             // op 0: 64 bytes
  ValueId mid = b.create1("relu", "mid", {a});                         // op 1
  ValueId view = b.create1("reshape", "view", {mid}, shapeAttr({16})); // op 2
  ValueId d = b.create1("relu", "d", {view});                          // op 3: f32 output
  ValueId e = b.create1("relu", "e", {d});                             // op 4: reads the output
  g.outputs = {d, e};
  MemoryPlan plan = planMemory(g);
  checkPlan(g, plan);
  // a lives over ops 0-1, mid and its view over 1-3: two 64-byte buffers at most.
  CHECK(plan.offset[at(x)] == -1);
  CHECK(plan.offset[at(d)] == -1);
  CHECK(plan.offset[at(e)] == -1);
  CHECK(plan.sharesWith[at(view)] == mid);
  CHECK(plan.offset[at(view)] == plan.offset[at(mid)]);
  CHECK(plan.offset[at(a)] != plan.offset[at(mid)]);
  CHECK(plan.firstUse[at(mid)] == 1);
  CHECK(plan.lastUse[at(mid)] == 2);
  CHECK(plan.lastUse[at(view)] == 3);
  CHECK(plan.lowerBoundBytes == 128);
  CHECK(plan.arenaBytes == 128);
}

TEST_CASE("plan_memory: sizes are storage bytes, offsets 64-byte aligned",
          "[passes][plan_memory]") {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {1, 65}));
  ValueId small = b.create1("cast", "small", {x}, Attrs{{"to", std::string("i8")}});    // 65 bytes
  ValueId wide = b.create1("cast", "wide", {small}, Attrs{{"to", std::string("i64")}}); // 520
  ValueId back = b.create1("cast", "back", {wide}, Attrs{{"to", std::string("f32")}});
  g.outputs = {back};
  MemoryPlan plan = planMemory(g);
  checkPlan(g, plan);
  CHECK(plan.bytes[at(small)] == 65);
  CHECK(plan.bytes[at(wide)] == 520);
  CHECK(plan.lowerBoundBytes == 128 + 576);
  CHECK(plan.arenaBytes == 128 + 576);
}

TEST_CASE("plan_memory: non-float graph inputs and outputs live in the arena to the end",
          "[passes][plan_memory]") {
  Graph g;
  Builder b(g);
  ValueId q = b.input("q", TensorType(DType::i8, {1, 100}));
  ValueId f = b.create1("cast", "f", {q}, Attrs{{"to", std::string("f32")}});         // op 0
  ValueId codes = b.create1("cast", "codes", {f}, Attrs{{"to", std::string("i32")}}); // op 1
  ValueId r1 = b.create1("relu", "r1", {f});                                          // op 2
  ValueId r2 = b.create1("relu", "r2", {r1});                                         // op 3
  g.outputs = {codes, r2};
  MemoryPlan plan = planMemory(g);
  checkPlan(g, plan);
  CHECK(plan.inArena(q));
  CHECK(plan.firstUse[at(q)] == 0);
  CHECK(plan.lastUse[at(q)] == 0);
  CHECK(plan.inArena(codes));
  CHECK(plan.lastUse[at(codes)] == 3);
  CHECK_FALSE(plan.inArena(r2));
  // At op 2: f (448), codes (448) and r1 (448) are live.
  CHECK(plan.lowerBoundBytes == int64_t{3} * 448);
}

TEST_CASE("plan_memory: unused results of a multi-result op still get their own bytes",
          "[passes][plan_memory]") {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {1, 40}));
  ValueId a = b.create1("relu", "a", {x});
  std::vector<ValueId> parts = b.create(
      "split", "s", {a}, Attrs{{"axis", int64_t{1}}, {"split", std::vector<int64_t>{24, 16}}});
  ValueId y = b.create1("relu", "y", {parts[0]});
  g.outputs = {y};
  MemoryPlan plan = planMemory(g);
  checkPlan(g, plan);
  CHECK(plan.inArena(parts[1]));
  CHECK(plan.firstUse[at(parts[1])] == 1);
  CHECK(plan.lastUse[at(parts[1])] == 1);
  CHECK(plan.offset[at(parts[0])] != plan.offset[at(parts[1])]);
}

TEST_CASE("plan_memory: randomized graphs run in one arena give the interpreter's outputs",
          "[passes][plan_memory]") {
  std::mt19937 rng(4242);
  int64_t arenaTotal = 0, boundTotal = 0;
  for (int trial = 0; trial < 300; ++trial) {
    RandomGraph r = randomGraph(rng);
    INFO("trial " << trial);
    MemoryPlan plan = planMemory(r.graph);
    checkPlan(r.graph, plan);
    std::vector<Tensor> expected = Interpreter(r.graph).run(r.inputs);
    std::vector<Tensor> got = runInArena(r.graph, plan, r.inputs);
    REQUIRE(got.size() == expected.size());
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == expected[i]);
    arenaTotal += plan.arenaBytes;
    boundTotal += plan.lowerBoundBytes;
  }
  // Best-fit over several orders stays close to the bound on these small graphs.
  CHECK(static_cast<double>(arenaTotal) <= 1.05 * static_cast<double>(boundTotal));
}

TEST_CASE("plan_memory pass: records arena_offsets per result and keeps the level",
          "[passes][plan_memory]") {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {1, 8}));
  ValueId c = b.constant(Tensor(DType::f32, {1, 8}), "c");
  ValueId a = b.create1("add", "a", {x, c});
  ValueId y = b.create1("relu", "y", {a});
  g.outputs = {y};
  PassManager pm;
  pm.add(PassRegistry::instance().create("plan_memory"));
  CHECK(pm.run(g, kImportLevel) == kImportLevel);
  MemoryPlan plan = planMemory(g);
  for (const Op &op : g.ops) {
    INFO(op.describe());
    if (op.kind == "constant") {
      CHECK_FALSE(op.has("arena_offsets"));
      continue;
    }
    std::vector<int64_t> expected;
    for (ValueId out : op.outputs) expected.push_back(plan.offset[at(out)]);
    CHECK(op.getInts("arena_offsets") == expected);
  }
  CHECK(g.ops[1].getInts("arena_offsets") == std::vector<int64_t>{0});
  CHECK(g.ops[2].getInts("arena_offsets") == std::vector<int64_t>{-1});
  // A second run gives the same offsets.
  Graph again = g;
  pm.run(again, kImportLevel);
  for (size_t i = 0; i < g.ops.size(); ++i) CHECK(again.ops[i].attrs == g.ops[i].attrs);
}
