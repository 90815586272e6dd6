// Calibration and quantizer insertion for --bits (docs/bitwidths.md).
#include "passes/quantize_layers.h"

#include "ir/builder.h"
#include "ir/error.h"
#include "ir/interpreter.h"
#include "ir/ops/quant.h"
#include "passes/graph_rewrite.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace qcc {

std::string Precision::name() const {
  return ternary ? "T" : std::to_string(bits);
}

const std::vector<Precision> &candidatePrecisions() {
  static const std::vector<Precision> all = {{1, false}, {2, true},  {2, false},
                                             {3, false}, {4, false}, {8, false}};
  return all;
}

std::optional<Precision> parsePrecision(const std::string &text) {
  if (text == "T" || text == "t" || text == "ternary") return Precision{2, true};
  for (const Precision &p : candidatePrecisions())
    if (!p.ternary && text == p.name()) return p;
  return std::nullopt;
}

const std::vector<LayerPrecision> &candidatePairs() {
  static const std::vector<LayerPrecision> pairs = [] {
    std::vector<LayerPrecision> all;
    for (const Precision &w : candidatePrecisions())
      for (const Precision &a : candidatePrecisions())
        if (w.bits <= 4 && a.bits <= 4 &&
            (a == w || (!a.ternary && (a.bits > w.bits || (w.ternary && a.bits == 2)))))
          all.push_back({w, a});
    all.push_back({{8, false}, {8, false}});
    return all;
  }();
  return pairs;
}

std::string LayerPrecision::name() const {
  return weight.name() + "/" + activation.name();
}

namespace {

// Ops an activation quantizer may move back across: they only select or rearrange values, and
// every quantizer is monotone, so quantizing before them gives the same values as after.
bool rearrangesValues(const std::string &kind) {
  static const char *const kinds[] = {"max_pool", "reshape",   "flatten", "transpose",
                                      "squeeze",  "unsqueeze", "identity"};
  return std::any_of(std::begin(kinds), std::end(kinds), [&](const char *k) { return kind == k; });
}

bool producedByQuantizer(const Graph &g, ValueId v) {
  for (const Op *def = g.definingOp(v); def; def = g.definingOp(def->inputs[0])) {
    if (def->kind == "quant" || def->kind == "bipolar_quant" || def->kind == "dequantize_linear" ||
        def->kind == "multi_threshold" || def->kind == "trunc")
      return true;
    if (!rearrangesValues(def->kind) || def->inputs.empty()) return false;
  }
  return false;
}

int64_t product(const Shape &shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= shape[i];
  return p;
}

// The integer range of an operand quantized at `p`; `signedValues` for activations whose
// calibration values go below zero (weights always are).
struct CodeRange {
  bool isSigned;
  bool narrow;
  int64_t qmin;
  int64_t qmax;
};

CodeRange codeRange(const Precision &p, bool signedValues) {
  if (p.ternary) return {true, true, -1, 1};
  if (!signedValues) return {false, false, 0, (int64_t{1} << p.bits) - 1};
  return {true, false, -(int64_t{1} << (p.bits - 1)), (int64_t{1} << (p.bits - 1)) - 1};
}

// Every scale is rounded to 12 significant bits. Then a code of up to 8 bits times a scale is
// exact in float32, and a sum of products of two such operands is exact in double while the
// integer accumulator stays below 2^29, so the integer kernels that replace the float MACs
// compute the same floats (docs/passes.md, streamline's exactness condition). The rounding moves
// a scale by at most 2^-13 of itself.
constexpr int kScaleBits = 12;

double roundScale(double scale) {
  if (!(scale > 0) || !std::isfinite(scale)) return 1.0;
  int exponent = 0;
  double mantissa = std::frexp(scale, &exponent); // in [0.5, 1)
  double rounded =
      std::ldexp(std::nearbyint(std::ldexp(mantissa, kScaleBits)), exponent - kScaleBits);
  float f = static_cast<float>(rounded);
  return f > 0 && std::isfinite(f) ? f : 1.0;
}

// The clipping bound of `values` (already made non-negative when the range is symmetric) that
// minimises the squared error of quantizing them to `range`: a grid search over fractions of the
// largest value; returns the float32 scale.
double mseScale(std::span<const float> values, const CodeRange &range) {
  float maxAbs = 0;
  for (float v : values) maxAbs = std::max(maxAbs, std::fabs(v));
  if (!(maxAbs > 0) || !std::isfinite(maxAbs)) return 1.0;
  double best = 1, bestError = INFINITY;
  const double top = static_cast<double>(std::max<int64_t>(range.qmax, 1));
  for (int step = 64; step >= 4; --step) {
    float scale = static_cast<float>(roundScale(maxAbs * step / 64.0 / top));
    double error = 0;
    for (float v : values) {
      float code = qonnxQuantCode(v, scale, 0.0f, static_cast<float>(range.qmin),
                                  static_cast<float>(range.qmax), RoundingMode::round);
      double d = static_cast<double>(v) - static_cast<double>(code) * scale;
      error += d * d;
    }
    if (error < bestError) bestError = error, best = scale;
  }
  return best;
}

// Quantizes activation values as the inserted quantizer will (fake quantization, float32).
Tensor fakeQuantize(const Tensor &x, const LayerQuantization &q) {
  Tensor y(x.type());
  const float *in = x.data<float>();
  float *out = y.data<float>();
  const float scale = static_cast<float>(q.activationScale);
  if (q.precision.activation.bits == 1 && q.signedInput) {
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = bipolarCode(in[i]) * scale;
    return y;
  }
  CodeRange r = codeRange(q.precision.activation, q.signedInput);
  for (int64_t i = 0; i < x.numel(); ++i)
    out[i] = qonnxQuantCode(in[i], scale, 0.0f, static_cast<float>(r.qmin),
                            static_cast<float>(r.qmax), RoundingMode::round) *
             scale;
  return y;
}

Tensor runMac(const Op &mac, const Tensor &input, const Tensor &weight) {
  Op op = mac;
  op.inputs.resize(2);
  const Tensor *operands[] = {&input, &weight};
  return evaluateOp(op, operands).at(0);
}

// The input vectors one output channel's weights multiply, for layers whose weights are rows of
// length K: a conv (group 1) takes its windows, a gemm or matmul the rows of its input. Returns
// their Gram matrix sum x x^T (K x K), from at most kMaxGramVectors vectors spread over all;
// empty when the layer has another form.
constexpr size_t kMaxGramVectors = 4096;

std::vector<double> inputGram(const Graph &g, const Op &mac, const std::vector<Tensor> &inputs,
                              int64_t k) {
  std::vector<std::vector<double>> vectors;
  auto take = [&](auto &&each, int64_t count) {
    int64_t stride = std::max<int64_t>(1, count / static_cast<int64_t>(kMaxGramVectors));
    for (int64_t i = 0; i < count; i += stride) {
      std::vector<double> v(static_cast<size_t>(k), 0.0);
      each(i, v);
      vectors.push_back(std::move(v));
    }
  };
  const Shape w = g.type(mac.inputs[1]).shape;
  for (const Tensor &x : inputs) {
    const float *xd = x.data<float>();
    const Shape &xs = x.shape();
    if (mac.kind == "conv") {
      if (mac.getInt("group") != 1 || xs.size() != 4) return {};
      const Shape y = g.type(mac.outputs[0]).shape;
      const std::vector<int64_t> st = mac.getInts("strides"), pad = mac.getInts("pads"),
                                 dil = mac.getInts("dilations");
      const int64_t C = xs[1], H = xs[2], W = xs[3], kh = w[2], kw = w[3], OH = y[2], OW = y[3];
      take(
          [&](int64_t p, std::vector<double> &v) {
            int64_t n = p / (OH * OW), oh = p / OW % OH, ow = p % OW;
            for (int64_t c = 0; c < C; ++c)
              for (int64_t i = 0; i < kh; ++i)
                for (int64_t j = 0; j < kw; ++j) {
                  int64_t ih = oh * st[0] - pad[0] + i * dil[0];
                  int64_t iw = ow * st[1] - pad[1] + j * dil[1];
                  if (ih >= 0 && ih < H && iw >= 0 && iw < W)
                    v[static_cast<size_t>((c * kh + i) * kw + j)] =
                        xd[((n * C + c) * H + ih) * W + iw];
                }
          },
          xs[0] * OH * OW);
    } else {
      bool transA = mac.kind == "gemm" && mac.getInt("trans_a") != 0;
      if (transA && xs.size() != 2) return {};
      int64_t rows = x.numel() / k;
      take(
          [&](int64_t r, std::vector<double> &v) {
            for (int64_t i = 0; i < k; ++i)
              v[static_cast<size_t>(i)] = transA ? xd[i * rows + r] : xd[r * k + i];
          },
          rows);
    }
  }
  std::vector<double> gram(static_cast<size_t>(k * k), 0.0);
  for (const std::vector<double> &v : vectors)
    for (int64_t i = 0; i < k; ++i) {
      double vi = v[static_cast<size_t>(i)];
      if (vi == 0) continue;
      for (int64_t j = 0; j < k; ++j)
        gram[static_cast<size_t>(i * k + j)] += vi * v[static_cast<size_t>(j)];
    }
  return gram;
}

// Lower Cholesky factor of the symmetric positive definite `a` (n x n), in place; false when it
// is not positive definite.
bool cholesky(std::vector<double> &a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double d = a[static_cast<size_t>(j * n + j)];
    for (int64_t k = 0; k < j; ++k)
      d -= a[static_cast<size_t>(j * n + k)] * a[static_cast<size_t>(j * n + k)];
    if (!(d > 0)) return false;
    d = std::sqrt(d);
    a[static_cast<size_t>(j * n + j)] = d;
    for (int64_t i = j + 1; i < n; ++i) {
      double s = a[static_cast<size_t>(i * n + j)];
      for (int64_t k = 0; k < j; ++k)
        s -= a[static_cast<size_t>(i * n + k)] * a[static_cast<size_t>(j * n + k)];
      a[static_cast<size_t>(i * n + j)] = s / d;
    }
    for (int64_t i = 0; i < j; ++i) a[static_cast<size_t>(i * n + j)] = 0;
  }
  return true;
}

// The error-feedback factor of a layer (GPTQ): the upper Cholesky factor U of the inverse of
// the damped input Gram matrix H, so that rounding weight i and spreading its error over the
// weights after it, in proportion to U[i][j] / U[i][i], minimises the output error given H.
// Empty when it cannot be formed.
std::vector<double> errorFeedback(std::vector<double> h, int64_t k) {
  double mean = 0;
  for (int64_t i = 0; i < k; ++i) mean += h[static_cast<size_t>(i * k + i)];
  mean /= static_cast<double>(k);
  if (!(mean > 0)) return {};
  for (int64_t i = 0; i < k; ++i) {
    double &d = h[static_cast<size_t>(i * k + i)];
    d = (d == 0 ? mean : d) + 0.01 * mean;
  }
  if (!cholesky(h, k)) return {};
  // inverse(H) = L^-T L^-1: invert the lower factor, then multiply.
  std::vector<double> li(static_cast<size_t>(k * k), 0.0);
  for (int64_t c = 0; c < k; ++c) {
    li[static_cast<size_t>(c * k + c)] = 1 / h[static_cast<size_t>(c * k + c)];
    for (int64_t r = c + 1; r < k; ++r) {
      double s = 0;
      for (int64_t m = c; m < r; ++m)
        s += h[static_cast<size_t>(r * k + m)] * li[static_cast<size_t>(m * k + c)];
      li[static_cast<size_t>(r * k + c)] = -s / h[static_cast<size_t>(r * k + r)];
    }
  }
  std::vector<double> inv(static_cast<size_t>(k * k), 0.0);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double s = 0;
      for (int64_t m = i; m < k; ++m)
        s += li[static_cast<size_t>(m * k + i)] * li[static_cast<size_t>(m * k + j)];
      inv[static_cast<size_t>(i * k + j)] = inv[static_cast<size_t>(j * k + i)] = s;
    }
  if (!cholesky(inv, k)) return {};
  std::vector<double> u(static_cast<size_t>(k * k), 0.0); // U = L^T
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i; j < k; ++j)
      u[static_cast<size_t>(i * k + j)] = inv[static_cast<size_t>(j * k + i)];
  return u;
}

} // namespace

Graph withoutQdq(const Graph &graph) {
  Graph g = graph;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    Op &op = g.ops[i];
    if (op.kind != "dequantize_linear" || g.type(op.outputs[0]).dtype != DType::f32) continue;
    const Op *q = g.definingOp(op.inputs[0]);
    if (q && q->kind == "quantize_linear" && g.type(q->inputs[0]).dtype == DType::f32) {
      // An activation's quantize/dequantize pair: the float value it approximates.
      replaceAllUses(g, op.outputs[0], q->inputs[0]);
      continue;
    }
    std::vector<const Tensor *> operands;
    for (ValueId in : op.inputs)
      if (in != kNoValue) operands.push_back(g.constantValue(in));
    if (std::find(operands.begin(), operands.end(), nullptr) != operands.end()) continue;
    // Dequantized constant weights: their float values.
    Tensor value = evaluateOp(op, operands).at(0);
    op.kind = "constant";
    op.inputs.clear();
    op.attrs = {{"value", std::move(value)}};
  }
  removeDeadOps(g);
  return g;
}

std::vector<MacLayer> findMacLayers(const Graph &graph) {
  std::vector<MacLayer> layers;
  std::vector<int> uses = useCounts(graph);
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const Op &op = graph.ops[i];
    if (op.kind != "conv" && op.kind != "gemm" && op.kind != "matmul") continue;
    if (op.inputs.size() < 2) continue;
    const Tensor *w = graph.constantValue(op.inputs[1]);
    const TensorType &x = graph.type(op.inputs[0]);
    if (!w || w->dtype() != DType::f32 || x.dtype != DType::f32) continue;
    if (op.kind == "matmul" && w->shape().size() != 2) continue;
    if (producedByQuantizer(graph, op.inputs[0])) continue;
    MacLayer layer;
    layer.name = op.name.empty() ? fmt::format("{}_{}", op.kind, i) : op.name;
    layer.op = i;
    layer.input = op.inputs[0];
    layer.weight = op.inputs[1];
    layer.params = w->numel();
    const Shape &ws = w->shape();
    const TensorType &y = graph.type(op.outputs[0]);
    if (op.kind == "conv") {
      layer.outputAxis = 0;
      layer.macs = y.numel() * product(ws, 1, ws.size());
    } else {
      bool transB = op.kind == "gemm" && op.getInt("trans_b") != 0;
      layer.outputAxis = transB ? 0 : 1;
      layer.macs = y.numel() * ws[transB ? 1 : 0];
    }
    ValueId point = layer.input;
    for (const Op *def = graph.definingOp(point);
         def && rearrangesValues(def->kind) && !def->inputs.empty() &&
         uses[static_cast<size_t>(def->inputs[0])] == 1 && uses[static_cast<size_t>(point)] == 1 &&
         !isGraphOutput(graph, def->inputs[0]);
         def = graph.definingOp(point))
      point = def->inputs[0];
    layer.quantPoint = point;
    layers.push_back(std::move(layer));
  }
  for (size_t i = 0; i < layers.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (layers[i].name == layers[j].name) layers[i].name += fmt::format("_{}", layers[i].op);
  return layers;
}

namespace {
// Calibration keeps at most this many activation values per layer for the clipping search, and
// the float input and output of each layer for this many samples for the scale fit.
constexpr size_t kMaxClipValues = size_t{1} << 17;
constexpr size_t kFitSamples = 64;
// Stored inputs of a layer are capped at this many floats (fewer samples for large layers).
constexpr int64_t kMaxFitFloats = int64_t{1} << 22;
// Longest weight row (input channels x window) that gets error-feedback rounding: its Gram
// matrix is factorised in O(K^3).
constexpr int64_t kMaxFeedbackRow = 1152;
} // namespace

std::vector<Calibrator::Observed>
Calibrator::observe(const Graph &g, const std::vector<size_t> &which,
                    std::vector<std::vector<Tensor>> *outputs) const {
  std::vector<Observed> observed(layers_.size());
  // Values of interest -> the layers that want them (value ids survive quantize(), which only
  // adds values).
  std::map<ValueId, std::vector<size_t>> atPoint, atInput;
  for (size_t l : which) {
    atPoint[layers_[l].quantPoint].push_back(l);
    atInput[layers_[l].input].push_back(l);
  }
  Interpreter interpreter(g);
  for (size_t s = 0; s < samples_.size(); ++s) {
    auto record = [&](ValueId id, const Tensor &t) {
      if (auto it = atPoint.find(id); it != atPoint.end())
        for (size_t l : it->second) {
          Observed &o = observed[l];
          const float *v = t.data<float>();
          size_t quota = std::max<size_t>(1, kMaxClipValues / samples_.size());
          size_t stride = std::max<size_t>(1, static_cast<size_t>(t.numel()) / quota);
          for (int64_t i = 0; i < t.numel(); ++i) {
            if (v[i] < 0) o.nonNegative = false;
            if (static_cast<size_t>(i) % stride == 0) o.values.push_back(v[i]);
          }
        }
      if (s < kFitSamples && static_cast<int64_t>(s + 1) * t.numel() <= kMaxFitFloats)
        if (auto it = atInput.find(id); it != atInput.end())
          for (size_t l : it->second) observed[l].inputs.push_back(t);
    };
    for (size_t i = 0; i < g.inputs.size() && i < samples_[s].size(); ++i)
      record(g.inputs[i], samples_[s][i]);
    std::vector<Tensor> out = interpreter.run(samples_[s], [&](const Op &op, auto results) {
      for (size_t r = 0; r < results.size(); ++r) record(op.outputs[r], results[r]);
    });
    if (outputs) outputs->push_back(std::move(out));
  }
  return observed;
}

Calibrator::Calibrator(const Graph &floatGraph, std::vector<std::vector<Tensor>> samples)
    : graph_(withoutQdq(floatGraph)), layers_(findMacLayers(graph_)), samples_(std::move(samples)) {
  if (samples_.empty()) fail("calibration needs at least one sample");
  std::vector<size_t> all(layers_.size());
  for (size_t l = 0; l < all.size(); ++l) all[l] = l;
  observed_ = observe(graph_, all, &floatOutputs_);
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Op &mac = graph_.ops[layers_[l].op];
    const Tensor &w = *graph_.constantValue(layers_[l].weight);
    for (const Tensor &x : observed_[l].inputs) observed_[l].outputs.push_back(runMac(mac, x, w));
  }
}

const LayerQuantization &Calibrator::fit(size_t index, const LayerPrecision &precision) {
  auto key = std::make_pair(index, precision.name());
  if (auto it = fitted_.find(key); it != fitted_.end()) return it->second;
  return fitted_.emplace(key, fitFrom(index, precision, observed_[index])).first->second;
}

LayerQuantization Calibrator::fitFrom(size_t index, const LayerPrecision &precision,
                                      const Observed &o) const {
  const MacLayer &layer = layers_.at(index);
  LayerQuantization q;
  q.precision = precision;
  q.signedInput = !o.nonNegative;

  // Activation scale.
  const Precision &a = precision.activation;
  if (a.bits == 1 && q.signedInput) {
    double sum = 0;
    for (float v : o.values) sum += std::fabs(v);
    double mean = o.values.empty() ? 0 : sum / static_cast<double>(o.values.size());
    q.activationScale = roundScale(mean);
  } else {
    CodeRange r = codeRange(a, q.signedInput);
    q.activationScale = mseScale(o.values, r);
  }

  // Weight codes and first scales, per output channel.
  const Tensor &w = *graph_.constantValue(layer.weight);
  const Shape &ws = w.shape();
  const int64_t channels = ws[static_cast<size_t>(layer.outputAxis)];
  const int64_t inner = product(ws, static_cast<size_t>(layer.outputAxis) + 1, ws.size());
  auto channelOf = [&](int64_t e) { return (e / inner) % channels; };
  std::vector<std::vector<float>> perChannel(static_cast<size_t>(channels));
  const float *wd = w.data<float>();
  for (int64_t e = 0; e < w.numel(); ++e)
    perChannel[static_cast<size_t>(channelOf(e))].push_back(wd[e]);
  const Precision &wp = precision.weight;
  q.weightScales.assign(static_cast<size_t>(channels), 1.0);
  std::vector<double> ternaryDelta(static_cast<size_t>(channels), 0);
  for (int64_t c = 0; c < channels; ++c) {
    const std::vector<float> &v = perChannel[static_cast<size_t>(c)];
    double meanAbs = 0;
    for (float x : v) meanAbs += std::fabs(x);
    meanAbs /= static_cast<double>(std::max<size_t>(v.size(), 1));
    double scale = meanAbs;
    if (wp.ternary) {
      // The TWN rule: codes are zero up to 0.7 mean|w|; the scale is the mean |w| above it.
      double delta = 0.7 * meanAbs, kept = 0;
      int64_t count = 0;
      for (float x : v)
        if (std::fabs(x) > delta) kept += std::fabs(x), ++count;
      ternaryDelta[static_cast<size_t>(c)] = delta;
      scale = count ? kept / static_cast<double>(count) : meanAbs;
    } else if (wp.bits > 1) {
      scale = mseScale(v, codeRange(wp, true));
    }
    q.weightScales[static_cast<size_t>(c)] = roundScale(scale);
  }
  const CodeRange weightRange = codeRange(wp, true);
  q.weightCodes.resize(static_cast<size_t>(w.numel()));
  for (int64_t e = 0; e < w.numel(); ++e) {
    size_t c = static_cast<size_t>(channelOf(e));
    int64_t code;
    if (wp.bits == 1)
      code = wd[e] >= 0 ? 1 : -1;
    else if (wp.ternary)
      code = std::fabs(wd[e]) > ternaryDelta[c] ? (wd[e] > 0 ? 1 : -1) : 0;
    else
      code = static_cast<int64_t>(qonnxQuantCode(
          wd[e], static_cast<float>(q.weightScales[c]), 0.0f, static_cast<float>(weightRange.qmin),
          static_cast<float>(weightRange.qmax), RoundingMode::round));
    q.weightCodes[static_cast<size_t>(e)] = code;
  }

  // Rounding with error feedback (GPTQ): each weight of a channel is rounded in turn and its
  // rounding error is spread over the channel's later weights through the inverse of the
  // input's Gram matrix, which lowers the layer's output error far below plain rounding at 1 to 3
  // bits. Layers with very long weight rows keep plain rounding.
  const int64_t rowLength = w.numel() / channels;
  if (rowLength <= kMaxFeedbackRow) {
    auto cached = feedback_.find(index);
    if (cached == feedback_.end())
      cached =
          feedback_
              .emplace(index,
                       errorFeedback(inputGram(graph_, graph_.ops[layer.op], o.inputs, rowLength),
                                     rowLength))
              .first;
    const std::vector<double> &u = cached->second;
    if (!u.empty())
      for (int64_t c = 0; c < channels; ++c) {
        auto at = [&](int64_t i) {
          return layer.outputAxis == 0 ? c * rowLength + i : i * channels + c;
        };
        std::vector<double> row(static_cast<size_t>(rowLength));
        for (int64_t i = 0; i < rowLength; ++i) row[static_cast<size_t>(i)] = wd[at(i)];
        const double scale = q.weightScales[static_cast<size_t>(c)];
        for (int64_t i = 0; i < rowLength; ++i) {
          double x = row[static_cast<size_t>(i)];
          int64_t code;
          if (wp.bits == 1)
            code = x >= 0 ? 1 : -1;
          else if (wp.ternary)
            code = std::fabs(x) > ternaryDelta[static_cast<size_t>(c)] ? (x > 0 ? 1 : -1) : 0;
          else
            code = std::clamp<int64_t>(static_cast<int64_t>(std::nearbyint(x / scale)),
                                       weightRange.qmin, weightRange.qmax);
          q.weightCodes[static_cast<size_t>(at(i))] = code;
          double err =
              (x - static_cast<double>(code) * scale) / u[static_cast<size_t>(i * rowLength + i)];
          for (int64_t j = i + 1; j < rowLength; ++j)
            row[static_cast<size_t>(j)] -= err * u[static_cast<size_t>(i * rowLength + j)];
        }
      }
  }

  // Least-squares scales with the codes fixed: the layer's output on quantized inputs,
  // s_c * z_c, against its float output y_c, gives s_c = <y_c, z_c> / <z_c, z_c>.
  Tensor codes(w.type());
  for (int64_t e = 0; e < w.numel(); ++e)
    codes.data<float>()[e] = static_cast<float>(q.weightCodes[static_cast<size_t>(e)]);
  const Op &mac = graph_.ops[layer.op];
  std::vector<double> yz(static_cast<size_t>(channels), 0), zz(static_cast<size_t>(channels), 0);
  for (size_t s = 0; s < o.inputs.size(); ++s) {
    Tensor z = runMac(mac, fakeQuantize(o.inputs[s], q), codes);
    const Tensor &y = o.outputs[s];
    const Shape &shape = z.shape();
    const int64_t axis = mac.kind == "conv" ? 1 : static_cast<int64_t>(shape.size()) - 1;
    const int64_t after = product(shape, static_cast<size_t>(axis) + 1, shape.size());
    const int64_t n = shape[static_cast<size_t>(axis)];
    for (int64_t i = 0; i < z.numel(); ++i) {
      size_t c = static_cast<size_t>((i / after) % n);
      double zi = z.data<float>()[i], yi = y.data<float>()[i];
      yz[c] += yi * zi;
      zz[c] += zi * zi;
    }
  }
  for (size_t c = 0; c < static_cast<size_t>(channels); ++c) {
    double s = zz[c] > 0 ? yz[c] / zz[c] : 0;
    if (s > 0 && std::isfinite(s)) q.weightScales[c] = roundScale(s);
  }
  return q;
}

Graph Calibrator::quantize(const std::map<std::string, LayerPrecision> &choice) {
  for (const auto &[name, precision] : choice)
    if (std::none_of(layers_.begin(), layers_.end(),
                     [&](const MacLayer &l) { return l.name == name; }))
      fail("--bits: the model has no quantizable layer named '{}'", name);
  Graph g = graph_;
  Builder b(g);
  for (size_t l = 0; l < layers_.size(); ++l) {
    auto it = choice.find(layers_[l].name);
    if (it == choice.end()) continue;
    const MacLayer &layer = layers_[l];
    const LayerQuantization &q = fit(l, it->second);
    auto scalar = [&](double v, const std::string &name) {
      return b.constant(Tensor::scalar(DType::f32, static_cast<float>(v)), b.uniqueName(name));
    };

    // Activation quantizer at the quant point, used by the path to this layer only.
    const Precision &a = q.precision.activation;
    ValueId qa;
    if (a.bits == 1 && q.signedInput) {
      qa = b.create1("bipolar_quant", layer.name + "_act_quant",
                     {layer.quantPoint, scalar(q.activationScale, layer.name + "_act_scale")});
    } else {
      CodeRange r = codeRange(a, q.signedInput);
      qa = b.create1("quant", layer.name + "_act_quant",
                     {layer.quantPoint, scalar(q.activationScale, layer.name + "_act_scale"),
                      scalar(0, layer.name + "_act_zeropt")},
                     {{"bits", int64_t{a.bits}},
                      {"signed", int64_t{r.isSigned}},
                      {"narrow", int64_t{r.narrow}},
                      {"rounding_mode", std::string("ROUND")}});
    }
    if (layer.quantPoint == layer.input) {
      g.ops[layer.op].inputs[0] = qa;
    } else {
      const Op *quantizer = g.definingOp(qa);
      for (Op &op : g.ops)
        if (&op != quantizer)
          for (ValueId &in : op.inputs)
            if (in == layer.quantPoint) in = qa;
    }

    // Weights: the codes times their channel's scale, through a quantizer that gives back
    // exactly those codes, as a quantization-aware export stores them.
    // (Copies: appending constants below may move the graph's ops.)
    const Tensor w = *g.constantValue(layer.weight);
    const Shape ws = w.shape();
    const int64_t channels = ws[static_cast<size_t>(layer.outputAxis)];
    const int64_t inner = product(ws, static_cast<size_t>(layer.outputAxis) + 1, ws.size());
    Shape scaleShape(ws.size(), 1);
    scaleShape[static_cast<size_t>(layer.outputAxis)] = channels;
    Tensor scales(DType::f32, scaleShape);
    for (int64_t c = 0; c < channels; ++c)
      scales.data<float>()[c] = static_cast<float>(q.weightScales[static_cast<size_t>(c)]);
    Tensor values(w.type());
    for (int64_t e = 0; e < w.numel(); ++e)
      values.data<float>()[e] = static_cast<float>(q.weightCodes[static_cast<size_t>(e)]) *
                                scales.data<float>()[(e / inner) % channels];
    ValueId wv = b.constant(std::move(values), b.uniqueName(layer.name + "_weight_codes"));
    ValueId ws_ = b.constant(std::move(scales), b.uniqueName(layer.name + "_weight_scale"));
    const Precision &wp = q.precision.weight;
    ValueId qw;
    if (wp.bits == 1) {
      qw = b.create1("bipolar_quant", layer.name + "_weight_quant", {wv, ws_});
    } else {
      CodeRange r = codeRange(wp, true);
      qw = b.create1("quant", layer.name + "_weight_quant",
                     {wv, ws_, scalar(0, layer.name + "_weight_zeropt")},
                     {{"bits", int64_t{wp.bits}},
                      {"signed", int64_t{1}},
                      {"narrow", int64_t{r.narrow}},
                      {"rounding_mode", std::string("ROUND")}});
    }
    g.ops[layer.op].inputs[1] = qw;
  }
  sortOps(g);
  removeDeadOps(g);
  return g;
}

double Calibrator::choiceError(const std::map<std::string, LayerPrecision> &choice,
                               size_t maxSamples) {
  std::string key = std::to_string(maxSamples);
  for (const auto &[name, precision] : choice) key += "|" + name + "=" + precision.name();
  if (auto it = errors_.find(key); it != errors_.end()) return it->second;
  double error = outputError(quantize(choice), maxSamples);
  errors_.emplace(key, error);
  return error;
}

double Calibrator::outputError(const Graph &graph, size_t maxSamples) const {
  Interpreter interpreter(graph);
  // A model with one output of shape [1, C] is taken for a classifier: its error is the KL
  // divergence of the softmax of the quantized logits from that of the float ones, which follows
  // the classification better than the logits' squared error. Other models: the mean squared
  // difference relative to the float outputs' mean square.
  const bool classifier = graph.outputs.size() == 1 && graph.type(graph.outputs[0]).rank() == 2 &&
                          graph.type(graph.outputs[0]).shape[0] == 1 &&
                          graph.type(graph.outputs[0]).shape[1] > 1;
  double diff = 0, norm = 0;
  size_t n = std::min(maxSamples, samples_.size());
  for (size_t s = 0; s < n; ++s) {
    std::vector<Tensor> out = interpreter.run(samples_[s]);
    if (classifier) {
      const Tensor &f = floatOutputs_[s][0];
      auto logSoftmax = [](const Tensor &t) {
        std::vector<double> v(static_cast<size_t>(t.numel()));
        double top = -INFINITY, sum = 0;
        for (int64_t i = 0; i < t.numel(); ++i) top = std::max(top, t.getDouble(i));
        for (int64_t i = 0; i < t.numel(); ++i) sum += std::exp(t.getDouble(i) - top);
        for (int64_t i = 0; i < t.numel(); ++i)
          v[static_cast<size_t>(i)] = t.getDouble(i) - top - std::log(sum);
        return v;
      };
      std::vector<double> p = logSoftmax(f), q = logSoftmax(out[0]);
      for (size_t i = 0; i < p.size(); ++i) diff += std::exp(p[i]) * (p[i] - q[i]);
      norm += 1;
      continue;
    }
    for (size_t o = 0; o < out.size(); ++o) {
      const Tensor &f = floatOutputs_[s][o];
      for (int64_t i = 0; i < f.numel(); ++i) {
        double a = out[o].getDouble(i), r = f.getDouble(i);
        diff += (a - r) * (a - r);
        norm += r * r;
      }
    }
  }
  return norm > 0 ? diff / norm : diff;
}

} // namespace qcc
