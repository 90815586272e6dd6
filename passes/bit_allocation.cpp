// Pareto-front dynamic programming for the bitwidth allocation (bit_allocation.h).
#include "passes/bit_allocation.h"

#include "ir/error.h"

#include <algorithm>
#include <cstdint>

namespace qcc {

std::optional<std::vector<size_t>>
allocateBits(const std::vector<std::vector<AllocationOption>> &layers, double budget,
             size_t maxFront) {
  struct Partial {
    double cost;
    double error;
    uint32_t parent; // index into the previous layer's front
    uint32_t option;
  };
  std::vector<std::vector<Partial>> fronts;
  std::vector<Partial> front = {{0, 0, 0, 0}};
  for (size_t l = 0; l < layers.size(); ++l) {
    if (layers[l].empty()) fail("bit allocation: layer {} has no option", l);
    std::vector<Partial> next;
    for (size_t p = 0; p < front.size(); ++p)
      for (size_t o = 0; o < layers[l].size(); ++o) {
        double cost = front[p].cost + layers[l][o].cost;
        if (!(cost <= budget)) continue;
        next.push_back({cost, front[p].error + layers[l][o].error, static_cast<uint32_t>(p),
                        static_cast<uint32_t>(o)});
      }
    if (next.empty()) return std::nullopt;
    // Cheapest first; among equal costs the least error, then the earlier parent and option,
    // so that the result does not depend on the sort's stability.
    std::sort(next.begin(), next.end(), [](const Partial &a, const Partial &b) {
      if (a.cost != b.cost) return a.cost < b.cost;
      if (a.error != b.error) return a.error < b.error;
      if (a.parent != b.parent) return a.parent < b.parent;
      return a.option < b.option;
    });
    front.clear();
    for (const Partial &candidate : next)
      if (front.empty() || candidate.error < front.back().error) front.push_back(candidate);
    if (front.size() > maxFront)
      fail("bit allocation: more than {} non-dominated partial allocations after layer {}; the "
           "problem is too large to solve exactly",
           maxFront, l);
    fronts.push_back(front);
  }
  // The last front's errors fall as costs rise: its last entry has the least error.
  std::vector<size_t> choice(layers.size());
  uint32_t at = static_cast<uint32_t>(fronts.empty() ? 0 : fronts.back().size() - 1);
  for (size_t l = layers.size(); l-- > 0;) {
    const Partial &p = fronts[l][at];
    choice[l] = p.option;
    at = p.parent;
  }
  return choice;
}

} // namespace qcc
