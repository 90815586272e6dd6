// --bits: sensitivity, cost and allocation of per-layer precisions (choose_bitwidths.h).
#include "passes/choose_bitwidths.h"

#include "ir/error.h"
#include "passes/bit_allocation.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace qcc {
namespace {

std::optional<LayerPrecision> parseLayerPrecision(const std::string &text) {
  size_t slash = text.find('/');
  std::optional<Precision> w = parsePrecision(text.substr(0, slash));
  std::optional<Precision> a =
      slash == std::string::npos ? w : parsePrecision(text.substr(slash + 1));
  if (!w || !a) return std::nullopt;
  return LayerPrecision{*w, *a};
}

const char *budgetFlag(BudgetKind kind) {
  return kind == BudgetKind::bits   ? "--budget-bits"
         : kind == BudgetKind::bops ? "--budget-bops"
                                    : "--budget-latency";
}

std::string allocationName(const std::vector<LayerPrecision> &choice) {
  std::string s;
  for (const LayerPrecision &p : choice) s += (s.empty() ? "" : ",") + p.name();
  return s;
}

// The options each layer may take: forced or kept layers have one, the others every candidate.
std::vector<std::vector<LayerPrecision>> layerOptions(const Calibrator &calibrator,
                                                      const BitwidthRequest &request) {
  const std::vector<MacLayer> &layers = calibrator.layers();
  std::vector<std::vector<LayerPrecision>> options(layers.size());
  for (size_t l = 0; l < layers.size(); ++l) {
    if (auto it = request.forced.find(layers[l].name); it != request.forced.end())
      options[l] = {it->second};
    else if (request.keepFirstLast && (l == 0 || l + 1 == layers.size()))
      options[l] = {{*request.keepFirstLast, *request.keepFirstLast}};
    else if (request.everyLayer)
      options[l] = {*request.everyLayer};
    else if (request.automatic)
      options[l] = candidatePairs();
  }
  return options;
}

struct Allocation {
  std::vector<LayerPrecision> precisions;
  double error = 0;
};

Allocation measure(Calibrator &calibrator, const BitwidthRequest &request,
                   const std::vector<LayerPrecision> &precisions) {
  std::map<std::string, LayerPrecision> choice;
  for (size_t l = 0; l < precisions.size(); ++l)
    choice[calibrator.layers()[l].name] = precisions[l];
  return {precisions, calibrator.choiceError(choice, request.sensitivitySamples)};
}

// The allocator's choice and the most accurate uniform one within `budgetTotal`.
struct Solved {
  std::optional<Allocation> mixed;
  std::optional<Allocation> uniform;
};

Solved solve(Calibrator &calibrator, const BitwidthRequest &request,
             const std::vector<std::vector<LayerCandidate>> &table, double budgetTotal) {
  std::vector<std::vector<AllocationOption>> problem(table.size());
  for (size_t l = 0; l < table.size(); ++l)
    for (const LayerCandidate &c : table[l])
      problem[l].push_back({c.cost.of(request.budgetKind), c.sensitivity});
  Solved solved;
  std::optional<std::vector<size_t>> pick = allocateBits(problem, budgetTotal);
  if (!pick) return solved;
  std::vector<LayerPrecision> mixed;
  for (size_t l = 0; l < table.size(); ++l) mixed.push_back(table[l][(*pick)[l]].precision);
  solved.mixed = measure(calibrator, request, mixed);
  for (const LayerPrecision &p : candidatePairs()) {
    std::vector<LayerPrecision> uniform;
    double cost = 0;
    for (size_t l = 0; l < table.size(); ++l) {
      size_t o = 0;
      if (table[l].size() > 1)
        while (o < table[l].size() && !(table[l][o].precision == p)) ++o;
      if (o == table[l].size()) break;
      uniform.push_back(table[l][o].precision);
      cost += table[l][o].cost.of(request.budgetKind);
    }
    if (uniform.size() != table.size() || !(cost <= budgetTotal)) continue;
    Allocation a = measure(calibrator, request, uniform);
    if (!solved.uniform || a.error < solved.uniform->error) solved.uniform = a;
  }
  return solved;
}

double budgetTotalOf(const Calibrator &calibrator, const BitwidthRequest &request, double budget) {
  if (request.budgetKind != BudgetKind::bits) return budget;
  double params = 0;
  for (const MacLayer &l : calibrator.layers()) params += static_cast<double>(l.params);
  return budget * params;
}

} // namespace

std::string parseBitsOption(const std::string &value, BitwidthRequest &request) {
  size_t begin = 0;
  while (begin <= value.size()) {
    size_t end = std::min(value.find(',', begin), value.size());
    std::string item = value.substr(begin, end - begin);
    begin = end + 1;
    if (item == "auto") {
      request.automatic = true;
      continue;
    }
    size_t colon = item.rfind(':');
    std::optional<LayerPrecision> p =
        parseLayerPrecision(colon == std::string::npos ? item : item.substr(colon + 1));
    if (!p || colon == 0)
      return fmt::format("'{}' is not auto, W/A or LAYER:W/A with W and A from 1, T, 2, 3, 4, 8",
                         item);
    if (colon == std::string::npos)
      request.everyLayer = p;
    else
      request.forced[item.substr(0, colon)] = *p;
  }
  return {};
}

std::vector<std::vector<Tensor>> calibrationSamples(const Graph &graph, const Tensor &calibration) {
  if (graph.inputs.size() != 1)
    fail("--calib: the model has {} inputs; calibration supports models with one input",
         graph.inputs.size());
  const TensorType &input = graph.type(graph.inputs[0]);
  if (calibration.dtype() != input.dtype)
    fail("--calib: the array holds {} values, the model's input '{}' is {}",
         dtypeName(calibration.dtype()), graph.value(graph.inputs[0]).name, dtypeName(input.dtype));
  const Shape &c = calibration.shape();
  const Shape &s = input.shape;
  std::vector<std::vector<Tensor>> samples;
  if (c == s) {
    samples.push_back({calibration});
    return samples;
  }
  bool perSample = !s.empty() && s[0] == 1 && c.size() == s.size() && c[0] >= 1 &&
                   std::equal(c.begin() + 1, c.end(), s.begin() + 1);
  if (!perSample)
    fail("--calib: an array of shape {} does not fit the model's input '{}' of shape {} (give "
         "[N,...] for an input [1,...])",
         shapeString(c), graph.value(graph.inputs[0]).name, shapeString(s));
  const size_t bytes = calibration.bytes().size() / static_cast<size_t>(c[0]);
  for (int64_t n = 0; n < c[0]; ++n) {
    Tensor t(input);
    std::copy_n(calibration.bytes().begin() + static_cast<std::ptrdiff_t>(bytes * n), bytes,
                t.bytes().begin());
    samples.push_back({std::move(t)});
  }
  return samples;
}

BitwidthResult chooseBitwidths(Calibrator &calibrator, const BitwidthRequest &request) {
  const std::vector<MacLayer> &layers = calibrator.layers();
  if (layers.empty())
    fail("--bits: the model has no float conv, gemm or matmul layer with constant weights to "
         "quantize (its bitwidths are already fixed)");
  for (const auto &[name, precision] : request.forced)
    if (std::none_of(layers.begin(), layers.end(),
                     [&](const MacLayer &l) { return l.name == name; })) {
      std::string known;
      for (const MacLayer &l : layers) known += (known.empty() ? "" : ", ") + l.name;
      fail("--bits: the model has no quantizable layer named '{}' (its layers: {})", name, known);
    }
  if (request.automatic && request.budgetKind == BudgetKind::latency &&
      !hasLatencyTable(request.target))
    fail("--budget-latency: no measured kernel throughput for target '{}' (available: x86_64, "
         "x86_64-v3, x86_64-v4)",
         request.target);

  std::vector<std::vector<LayerPrecision>> options = layerOptions(calibrator, request);
  std::vector<std::vector<LayerCandidate>> table(layers.size());
  for (size_t l = 0; l < layers.size(); ++l)
    for (const LayerPrecision &p : options[l]) {
      LayerCandidate c;
      c.precision = p;
      bool signedInput = calibrator.fit(l, p).signedInput;
      c.cost = layerCost(layers[l], p, signedInput, request.target);
      if (request.automatic && options[l].size() > 1)
        c.sensitivity = calibrator.choiceError({{layers[l].name, p}}, request.sensitivitySamples);
      table[l].push_back(c);
    }

  BitwidthResult result;
  std::vector<LayerPrecision> chosen(layers.size());
  std::vector<bool> quantized(layers.size(), false);
  if (request.automatic) {
    result.budgetTotal = budgetTotalOf(calibrator, request, request.budget);
    Solved solved = solve(calibrator, request, table, result.budgetTotal);
    if (!solved.mixed) {
      double cheapest = 0;
      for (const auto &candidates : table) {
        double least = INFINITY;
        for (const LayerCandidate &c : candidates)
          least = std::min(least, c.cost.of(request.budgetKind));
        cheapest += least;
      }
      fail("{}={}: no allocation fits: the cheapest one ({}) costs {:.6g}, the budget is {:.6g}",
           budgetFlag(request.budgetKind), request.budget,
           request.budgetKind == BudgetKind::bits   ? "bits of all weights"
           : request.budgetKind == BudgetKind::bops ? "BOPs"
                                                    : "microseconds",
           cheapest, result.budgetTotal);
    }
    bool uniformWins = solved.uniform && solved.uniform->error < solved.mixed->error;
    chosen = uniformWins ? solved.uniform->precisions : solved.mixed->precisions;
    result.allocation = uniformWins ? "uniform" : "mixed";
    quantized.assign(layers.size(), true);
  } else {
    for (size_t l = 0; l < layers.size(); ++l)
      if (!options[l].empty()) chosen[l] = options[l][0], quantized[l] = true;
  }

  std::map<std::string, LayerPrecision> choice;
  for (size_t l = 0; l < layers.size(); ++l) {
    if (!quantized[l]) continue;
    choice[layers[l].name] = chosen[l];
    LayerChoice lc;
    lc.layer = layers[l];
    lc.precision = chosen[l];
    for (const LayerCandidate &c : table[l])
      if (c.precision == chosen[l]) lc.chosen = c;
    if (table[l].size() > 1) lc.candidates = table[l];
    result.costTotal += lc.chosen.cost.of(request.budgetKind);
    result.layers.push_back(std::move(lc));
  }
  result.graph = calibrator.quantize(choice);
  result.outputError = calibrator.choiceError(choice, request.sensitivitySamples);
  return result;
}

std::vector<SweepPoint> sweepBudgets(Calibrator &calibrator, const BitwidthRequest &request,
                                     const BitwidthResult &result,
                                     const std::vector<double> &budgets) {
  std::vector<std::vector<LayerCandidate>> table;
  for (const LayerChoice &lc : result.layers)
    table.push_back(lc.candidates.empty() ? std::vector<LayerCandidate>{lc.chosen} : lc.candidates);
  std::vector<SweepPoint> points;
  for (double budget : budgets) {
    SweepPoint point;
    point.budget = budget;
    point.mixedError = point.uniformError = NAN;
    Solved solved = solve(calibrator, request, table, budgetTotalOf(calibrator, request, budget));
    if (solved.mixed) {
      point.mixedError = solved.mixed->error;
      point.mixed = allocationName(solved.mixed->precisions);
    }
    if (solved.uniform) {
      point.uniformError = solved.uniform->error;
      point.uniform = allocationName(solved.uniform->precisions);
    }
    points.push_back(point);
  }
  return points;
}

} // namespace qcc
