// The --bits part of `qcc report` (docs/bitwidths.md): per layer the chosen precision, its
// kernel, sensitivity and costs, as text, JSON or a self-contained HTML page whose SVG plot shows
// the output error against the budget for the allocator's and the uniform choice.
#pragma once

#include "passes/choose_bitwidths.h"

#include <string>
#include <vector>

namespace qcc::cli {

std::string bitsText(const BitwidthResult &result, const BitwidthRequest &request);
// A JSON object (no trailing newline).
std::string bitsJson(const BitwidthResult &result, const BitwidthRequest &request);
// The budgets a report sweeps over for its plot.
std::vector<double> sweepBudgetsFor(const BitwidthResult &result, const BitwidthRequest &request);
// The whole page: title, the bitwidth table, the plot (when `sweep` is not empty) and the
// per-op report `reportText`.
std::string htmlReport(const std::string &model, const std::string &reportText,
                       const BitwidthResult *result, const BitwidthRequest *request,
                       const std::vector<SweepPoint> &sweep);

} // namespace qcc::cli
