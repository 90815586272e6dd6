// Text, JSON and HTML forms of a --bits choice (bits_report.h).
#include "tools/qcc/bits_report.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace qcc::cli {
namespace {

const char *unitOf(BudgetKind kind) {
  return kind == BudgetKind::bits   ? "average bits per weight"
         : kind == BudgetKind::bops ? "BOPs"
                                    : "microseconds";
}

double totalParams(const BitwidthResult &r) {
  double n = 0;
  for (const LayerChoice &l : r.layers) n += static_cast<double>(l.layer.params);
  return n;
}

// The budget and the cost in the units the user gave (--budget-bits is an average).
double inUserUnits(const BitwidthResult &r, const BitwidthRequest &q, double total) {
  return q.budgetKind == BudgetKind::bits ? total / std::max(1.0, totalParams(r)) : total;
}

std::string html(const std::string &s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20)
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    else
      out += c;
  }
  return out + "\"";
}

std::string svgPlot(const std::vector<SweepPoint> &sweep, const BitwidthRequest &request) {
  const double W = 640, H = 360, left = 70, right = 20, top = 20, bottom = 50;
  double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  for (const SweepPoint &p : sweep) {
    xmin = std::min(xmin, p.budget);
    xmax = std::max(xmax, p.budget);
    for (double e : {p.mixedError, p.uniformError})
      if (std::isfinite(e)) ymin = std::min(ymin, e), ymax = std::max(ymax, e);
  }
  if (!std::isfinite(ymin)) return "<p>No budget of the sweep has an allocation that fits.</p>\n";
  bool logY = ymin > 0;
  auto fy = [&](double e) { return logY ? std::log10(e) : e; };
  double y0 = fy(ymin), y1 = fy(ymax);
  if (y1 - y0 < 1e-12) y0 -= 0.5, y1 += 0.5;
  if (xmax - xmin < 1e-12) xmin -= 0.5, xmax += 0.5;
  auto X = [&](double b) { return left + (b - xmin) / (xmax - xmin) * (W - left - right); };
  auto Y = [&](double e) { return top + (y1 - fy(e)) / (y1 - y0) * (H - top - bottom); };
  std::string svg =
      fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
                  "viewBox=\"0 0 {} {}\" font-family=\"sans-serif\" font-size=\"12\">\n",
                  W, H, W, H);
  svg += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"black\"/>\n"
                     "<line x1=\"{0}\" y1=\"{3}\" x2=\"{0}\" y2=\"{1}\" stroke=\"black\"/>\n",
                     left, H - bottom, W - right, top);
  for (int i = 0; i <= 4; ++i) {
    double b = xmin + (xmax - xmin) * i / 4, v = y0 + (y1 - y0) * i / 4;
    double e = logY ? std::pow(10.0, v) : v;
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:.3g}</text>\n",
                       X(b), H - bottom + 16, b);
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.2g}</text>\n",
                       left - 6, Y(e) + 4, e);
  }
  svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">budget ({})</text>\n",
                     (left + W - right) / 2, H - 10, unitOf(request.budgetKind));
  svg += fmt::format("<text x=\"14\" y=\"{:.1f}\" transform=\"rotate(-90 14 {:.1f})\" "
                     "text-anchor=\"middle\">output error{}</text>\n",
                     (top + H - bottom) / 2, (top + H - bottom) / 2, logY ? " (log scale)" : "");
  auto series = [&](bool mixed, const char *colour, const char *dash) {
    std::string points, marks;
    for (const SweepPoint &p : sweep) {
      double e = mixed ? p.mixedError : p.uniformError;
      if (!std::isfinite(e)) continue;
      points += fmt::format("{:.1f},{:.1f} ", X(p.budget), Y(e));
      marks += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"><title>{} "
                           "{:.3g}: {} error {:.4g}</title></circle>\n",
                           X(p.budget), Y(e), colour, mixed ? "mixed" : "uniform", p.budget,
                           mixed ? p.mixed : p.uniform, e);
    }
    return fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" "
                       "stroke-dasharray=\"{}\" points=\"{}\"/>\n{}",
                       colour, dash, points, marks);
  };
  svg += series(false, "#888888", "6 4") + series(true, "#1f5fbf", "none");
  svg += fmt::format("<text x=\"{0:.1f}\" y=\"{1:.1f}\" fill=\"#1f5fbf\">mixed (allocator)</text>\n"
                     "<text x=\"{0:.1f}\" y=\"{2:.1f}\" fill=\"#888888\">uniform</text>\n",
                     W - right - 130, top + 12, top + 28);
  return svg + "</svg>\n";
}

} // namespace

std::string bitsText(const BitwidthResult &r, const BitwidthRequest &q) {
  std::string out = "\nbitwidths (--bits):\n";
  out += fmt::format("  {:<16} {:>5} {:<9} {:>12} {:>10} {:>14} {:>10}\n", "layer", "W/A", "kernel",
                     "sensitivity", "weight bits", "BOPs", "est. us");
  for (const LayerChoice &l : r.layers)
    out += fmt::format("  {:<16} {:>5} {:<9} {:>12.4g} {:>10.0f} {:>14.0f} {:>10.3g}\n",
                       l.layer.name, l.precision.name(), l.chosen.cost.kernel, l.chosen.sensitivity,
                       l.chosen.cost.bits, l.chosen.cost.bops, l.chosen.cost.latencyUs);
  out += fmt::format("output error of the quantized model on the calibration samples: {:.4g} "
                     "(docs/bitwidths.md)\n",
                     r.outputError);
  if (q.automatic)
    out += fmt::format("budget: {:.6g} {}; chosen: {:.6g} ({} allocation; latency estimates for "
                       "{})\n",
                       q.budget, unitOf(q.budgetKind), inUserUnits(r, q, r.costTotal), r.allocation,
                       q.target);
  return out;
}

std::string bitsJson(const BitwidthResult &r, const BitwidthRequest &q) {
  std::string layers;
  for (const LayerChoice &l : r.layers) {
    std::string candidates;
    for (const LayerCandidate &c : l.candidates)
      candidates += fmt::format("{}{{\"bits\": {}, \"sensitivity\": {:.6g}, \"cost\": {:.6g}}}",
                                candidates.empty() ? "" : ", ", jsonString(c.precision.name()),
                                c.sensitivity, c.cost.of(q.budgetKind));
    layers += fmt::format(
        "{}{{\"name\": {}, \"bits\": {}, \"kernel\": {}, \"sensitivity\": {:.6g}, "
        "\"weight_bits\": {:.0f}, \"bops\": {:.0f}, \"latency_us\": {:.6g}, \"candidates\": [{}]}}",
        layers.empty() ? "" : ", ", jsonString(l.layer.name), jsonString(l.precision.name()),
        jsonString(l.chosen.cost.kernel), l.chosen.sensitivity, l.chosen.cost.bits,
        l.chosen.cost.bops, l.chosen.cost.latencyUs, candidates);
  }
  std::string budget = "null";
  if (q.automatic)
    budget = fmt::format("{{\"kind\": {}, \"value\": {:.6g}, \"chosen\": {:.6g}, "
                         "\"allocation\": {}, \"target\": {}}}",
                         jsonString(q.budgetKind == BudgetKind::bits   ? "bits"
                                    : q.budgetKind == BudgetKind::bops ? "bops"
                                                                       : "latency"),
                         q.budget, inUserUnits(r, q, r.costTotal), jsonString(r.allocation),
                         jsonString(q.target));
  return fmt::format("{{\"output_error\": {:.6g}, \"budget\": {}, \"layers\": [{}]}}",
                     r.outputError, budget, layers);
}

std::vector<double> sweepBudgetsFor(const BitwidthResult &r, const BitwidthRequest &q) {
  std::vector<double> budgets;
  if (q.budgetKind == BudgetKind::bits) {
    for (double b = 1; b <= 8; b += 0.5) budgets.push_back(b);
    return budgets;
  }
  double least = 0, most = 0;
  for (const LayerChoice &l : r.layers) {
    double lo = INFINITY, hi = 0;
    for (const LayerCandidate &c :
         l.candidates.empty() ? std::vector<LayerCandidate>{l.chosen} : l.candidates)
      lo = std::min(lo, c.cost.of(q.budgetKind)), hi = std::max(hi, c.cost.of(q.budgetKind));
    least += lo;
    most += hi;
  }
  if (!(least > 0)) least = most / 1000;
  for (int i = 0; i < 12; ++i) budgets.push_back(least * std::pow(most / least, i / 11.0));
  return budgets;
}

std::string htmlReport(const std::string &model, const std::string &reportText,
                       const BitwidthResult *r, const BitwidthRequest *q,
                       const std::vector<SweepPoint> &sweep) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>qcc report: {0}</title>\n"
      "<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}"
      "td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}"
      "td:first-child{{text-align:left}}pre{{font-size:12px}}</style></head><body>\n"
      "<h1>qcc report: {0}</h1>\n",
      html(model));
  if (r && q) {
    out += "<h2>Bitwidths</h2>\n<table><tr><th>layer</th><th>W/A</th><th>kernel</th>"
           "<th>sensitivity</th><th>weight bits</th><th>BOPs</th><th>est. us</th></tr>\n";
    for (const LayerChoice &l : r->layers)
      out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.4g}</td><td>{:.0f}</td>"
                         "<td>{:.0f}</td><td>{:.3g}</td></tr>\n",
                         html(l.layer.name), html(l.precision.name()), l.chosen.cost.kernel,
                         l.chosen.sensitivity, l.chosen.cost.bits, l.chosen.cost.bops,
                         l.chosen.cost.latencyUs);
    out += "</table>\n" +
           fmt::format("<p>Output error of the quantized model: {:.4g}.", r->outputError);
    if (q->automatic)
      out += fmt::format(" Budget {:.6g} {}, chosen {:.6g} ({} allocation).", q->budget,
                         unitOf(q->budgetKind), inUserUnits(*r, *q, r->costTotal), r->allocation);
    out += "</p>\n";
    if (!sweep.empty()) {
      out += "<h2>Output error against budget</h2>\n" + svgPlot(sweep, *q);
      out += "<table><tr><th>budget</th><th>mixed</th><th>error</th><th>uniform</th>"
             "<th>error</th></tr>\n";
      for (const SweepPoint &p : sweep)
        out += fmt::format("<tr><td>{:.4g}</td><td>{}</td><td>{:.4g}</td><td>{}</td>"
                           "<td>{:.4g}</td></tr>\n",
                           p.budget, p.mixed.empty() ? "-" : p.mixed, p.mixedError,
                           p.uniform.empty() ? "-" : p.uniform, p.uniformError);
      out += "</table>\n";
    }
  }
  out += "<h2>Per op</h2>\n<pre>" + html(reportText) + "</pre>\n</body></html>\n";
  return out;
}

} // namespace qcc::cli
