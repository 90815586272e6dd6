// The exact bitwidth allocator (passes/bit_allocation.cpp) against brute force over every
// allocation of small random instances: the same least error, never over the budget, and
// nullopt exactly when nothing fits.
#include "passes/bit_allocation.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>

using namespace qcc;

namespace {

struct Best {
  bool found = false;
  double error = INFINITY;
};

// Every allocation, costs and errors added in layer order as the allocator adds them.
Best bruteForce(const std::vector<std::vector<AllocationOption>> &layers, double budget) {
  Best best;
  std::vector<size_t> pick(layers.size(), 0);
  while (true) {
    double cost = 0, error = 0;
    for (size_t l = 0; l < layers.size(); ++l) {
      cost += layers[l][pick[l]].cost;
      error += layers[l][pick[l]].error;
    }
    if (cost <= budget && error < best.error) best = {true, error};
    size_t l = 0;
    while (l < layers.size() && ++pick[l] == layers[l].size()) pick[l++] = 0;
    if (l == layers.size()) return best;
  }
}

} // namespace

TEST_CASE("allocateBits equals brute force on random instances", "[bit_allocation]") {
  std::mt19937 rng(20261123);
  int feasible = 0, infeasible = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    size_t layerCount = 1 + rng() % 6;
    bool integerCosts = trial % 2 == 0; // bits and BOPs are integers, latencies are not
    std::vector<std::vector<AllocationOption>> layers(layerCount);
    double minTotal = 0, maxTotal = 0;
    for (auto &options : layers) {
      size_t n = 1 + rng() % 6;
      double least = INFINITY, most = 0;
      for (size_t o = 0; o < n; ++o) {
        double cost = integerCosts ? static_cast<double>(rng() % 50)
                                   : std::uniform_real_distribution<double>(0, 10)(rng);
        // Repeated errors make ties, which the allocator must still resolve to the optimum.
        double error = (rng() % 4 == 0) ? 0.5 : std::uniform_real_distribution<double>(0, 1)(rng);
        options.push_back({cost, error});
        least = std::min(least, cost);
        most = std::max(most, cost);
      }
      minTotal += least;
      maxTotal += most;
    }
    double budget = std::uniform_real_distribution<double>(minTotal * 0.8, maxTotal * 1.05)(rng);
    if (integerCosts && trial % 4 == 0) budget = std::floor(budget); // budgets hit exactly
    Best expected = bruteForce(layers, budget);
    std::optional<std::vector<size_t>> got = allocateBits(layers, budget);
    INFO("trial " << trial << " layers " << layerCount << " budget " << budget);
    REQUIRE(got.has_value() == expected.found);
    if (!got) {
      ++infeasible;
      continue;
    }
    ++feasible;
    double cost = 0, error = 0;
    for (size_t l = 0; l < layerCount; ++l) {
      REQUIRE((*got)[l] < layers[l].size());
      cost += layers[l][(*got)[l]].cost;
      error += layers[l][(*got)[l]].error;
    }
    REQUIRE(cost <= budget);
    REQUIRE(error == expected.error);
  }
  // Both outcomes were exercised.
  CHECK(feasible > 500);
  CHECK(infeasible > 20);
}

TEST_CASE("allocateBits on hand-made instances", "[bit_allocation]") {
  // Two layers of options {cost, error}: within budget 5 the best is layer 0 option 1 (cost 2)
  // with layer 1 option 1 (cost 3), error 0.3 + 0.2.
  std::vector<std::vector<AllocationOption>> layers = {{{1, 1.0}, {2, 0.3}, {4, 0.0}},
                                                       {{1, 0.9}, {3, 0.2}, {5, 0.0}}};
  auto pick = allocateBits(layers, 5);
  REQUIRE(pick);
  CHECK(*pick == std::vector<size_t>{1, 1});
  CHECK(allocateBits(layers, 10) == std::vector<size_t>{2, 2});
  CHECK(allocateBits(layers, 2) == std::vector<size_t>{0, 0});
  CHECK_FALSE(allocateBits(layers, 1.5));
  CHECK(allocateBits({}, 0) == std::vector<size_t>{});
  // A front that outgrows its limit is an error, not a wrong answer.
  std::vector<std::vector<AllocationOption>> wide(8);
  for (size_t l = 0; l < wide.size(); ++l)
    for (int o = 0; o < 6; ++o)
      wide[l].push_back({static_cast<double>(o) * std::pow(7.0, static_cast<double>(l)),
                         static_cast<double>(5 - o) * std::pow(7.0, static_cast<double>(l))});
  CHECK_THROWS(allocateBits(wide, 1e12, 100));
}
