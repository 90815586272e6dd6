// The exact bitwidth allocator of --bits=auto (docs/bitwidths.md): one option per layer, the
// sum of the options' errors as small as possible with the sum of their costs within a budget.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace qcc {

struct AllocationOption {
  double cost = 0;
  double error = 0;
};

// Solves the multiple-choice knapsack exactly: returns, for each layer, the index of its chosen
// option such that the summed cost (added in layer order) is <= budget and the summed error is
// the least possible (ties: the cheaper, then the lexicographically smaller choice); nullopt
// when even the cheapest options exceed the budget. It keeps, after each layer, the partial
// allocations no other one beats in both cost and error (a Pareto front), so no budget
// discretisation is involved. Fails (qcc::Error) if that front grows beyond `maxFront` entries.
std::optional<std::vector<size_t>>
allocateBits(const std::vector<std::vector<AllocationOption>> &layers, double budget,
             size_t maxFront = size_t{1} << 22);

} // namespace qcc
