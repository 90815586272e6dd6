// --bits: quantizes a float model's MAC layers at given or automatically chosen precisions
// (docs/bitwidths.md, DESIGN §6). Automatic choice: per-layer sensitivity (the model-output
// error with only that layer quantized) and cost (layer_cost.h) for every candidate precision,
// then the exact allocator (bit_allocation.h) under the user's budget.
#pragma once

#include "passes/layer_cost.h"
#include "passes/quantize_layers.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qcc {

struct BitwidthRequest {
  bool automatic = false;                       // --bits=auto
  std::optional<LayerPrecision> everyLayer;     // --bits=W/A
  std::map<std::string, LayerPrecision> forced; // --bits=LAYER:W/A
  std::optional<Precision> keepFirstLast;       // --keep-first-last=B
  BudgetKind budgetKind = BudgetKind::bits;
  // --budget-bits is an average per weight; the others are totals (BOPs, microseconds).
  double budget = 0;
  std::string target = "x86_64";
  size_t sensitivitySamples = 64; // calibration samples the output errors are measured on
};

// Parses one --bits value (comma-separated items: auto, W/A, LAYER:W/A) into `request`; returns
// an error message, empty when the value is valid.
std::string parseBitsOption(const std::string &value, BitwidthRequest &request);

// One candidate precision of a layer.
struct LayerCandidate {
  LayerPrecision precision;
  double sensitivity = 0; // relative output error with only this layer quantized so
  LayerCost cost;
};

struct LayerChoice {
  MacLayer layer;
  LayerPrecision precision;
  LayerCandidate chosen;
  std::vector<LayerCandidate> candidates; // --bits=auto only
};

struct BitwidthResult {
  Graph graph; // the quantized model, at the import level
  std::vector<LayerChoice> layers;
  double outputError = 0; // relative output error of the whole quantized model
  // --bits=auto: the budget in the units the allocator used (--budget-bits times the weight
  // count), what the choice costs in those units, and which allocation won: "mixed" (the
  // allocator's) or "uniform" (one precision everywhere, measured more accurate).
  double budgetTotal = 0;
  double costTotal = 0;
  std::string allocation;
};

// The graph's samples from a calibration array: [N, d1, ...] for an input [1, d1, ...] gives N
// samples; an array of exactly the input's shape gives one. Fails naming both shapes otherwise.
std::vector<std::vector<Tensor>> calibrationSamples(const Graph &graph, const Tensor &calibration);

BitwidthResult chooseBitwidths(Calibrator &calibrator, const BitwidthRequest &request);

// For a report's plot: the output error of the allocator's choice and of the best uniform
// choice at each budget (NaN where none fits). Uses the sensitivities of `result`.
struct SweepPoint {
  double budget = 0; // in the request's units (average bits, BOPs, microseconds)
  double mixedError = 0;
  double uniformError = 0;
  std::string mixed; // "W/A,W/A,..." per layer
  std::string uniform;
};
std::vector<SweepPoint> sweepBudgets(Calibrator &calibrator, const BitwidthRequest &request,
                                     const BitwidthResult &result,
                                     const std::vector<double> &budgets);

} // namespace qcc
