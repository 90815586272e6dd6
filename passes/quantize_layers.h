// Post-training quantization of a float model's MAC layers (docs/bitwidths.md): each conv,
// gemm and matmul with constant float weights gets QONNX-style quantizers on its input
// activation and its weights, as a quantization-aware export would have them, so the usual
// pipeline then streamlines the result into integer and popcount kernels.
#pragma once

#include "ir/graph.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qcc {

// One operand's precision: `bits` 1 (binary), 2, 3, 4 or 8; ternary is 2 bits with the codes
// {-1, 0, +1}.
struct Precision {
  int bits = 8;
  bool ternary = false;

  // "1", "T", "2", "3", "4" or "8".
  std::string name() const;
  // Bits a weight takes in storage and in --budget-bits (ternary: 2).
  int storageBits() const { return bits; }
  bool operator==(const Precision &) const = default;
};

// Every precision a weight or activation can take, lowest first.
const std::vector<Precision> &candidatePrecisions();
// Parses "1", "T" (or "ternary"), "2", "3", "4", "8"; nullopt otherwise.
std::optional<Precision> parsePrecision(const std::string &text);

struct LayerPrecision {
  Precision weight;
  Precision activation;
  bool operator==(const LayerPrecision &) const = default;
  // "W/A", e.g. "4/4", "T/T".
  std::string name() const;
};

// The weight/activation pairs --bits=auto chooses from: weights at 1, T, 2, 3 or 4 bits with
// activations from the weights' width (T with T) up to 4 bits, so that the layer runs on a
// popcount kernel, and 8/8 (int8 kernels).
const std::vector<LayerPrecision> &candidatePairs();

// A MAC layer of a float model that can be quantized.
struct MacLayer {
  std::string name; // the op's name (the ONNX node name), unique
  size_t op = 0;    // index of the conv / gemm / matmul op
  ValueId input = kNoValue;
  ValueId weight = kNoValue;
  int64_t outputAxis = 0; // the weight axis of output channels
  int64_t params = 0;     // weight elements
  int64_t macs = 0;       // multiply-accumulates per run
  // Where the activation quantizer goes: the MAC input, or the value it is a pure rearrangement
  // of (through max_pool, reshape, transpose, ...), so that it sits where the activation is made.
  ValueId quantPoint = kNoValue;
};

// The quantizable MAC layers of `graph` in graph order: float conv, gemm and matmul ops whose
// weight operand is a constant and whose input is not already quantized.
std::vector<MacLayer> findMacLayers(const Graph &graph);

// `graph` with its QDQ quantization undone, so that an int8 QDQ model can be quantized again:
// dequantize_linear of constants becomes float constants, and a quantize_linear ->
// dequantize_linear pair on an activation becomes the float value it approximates.
Graph withoutQdq(const Graph &graph);

// What calibration learns about one layer for one precision choice.
struct LayerQuantization {
  LayerPrecision precision;
  bool signedInput = true;
  double activationScale = 1;       // float32 value
  std::vector<double> weightScales; // float32 values, one per output channel
  std::vector<int64_t> weightCodes; // the weight tensor's elements as codes
};

// Runs a float model on calibration samples and fits quantizers for its MAC layers:
// activation scales by MSE-optimal clipping of the observed values, weight codes per output
// channel (sign for binary, the TWN threshold rule for ternary, MSE-optimal clipping for k bits;
// rounded with error feedback through the inputs' Gram matrix, as GPTQ does) and then each
// channel's scale by least squares against the layer's float output, with the layer's input
// quantized.
class Calibrator {
public:
  // `samples`: inputs in graph-input order, one vector per sample. An int8 QDQ model is first
  // taken back to float (withoutQdq).
  Calibrator(const Graph &floatGraph, std::vector<std::vector<Tensor>> samples);

  const Graph &floatGraph() const { return graph_; }
  const std::vector<MacLayer> &layers() const { return layers_; }
  const std::vector<std::vector<Tensor>> &samples() const { return samples_; }
  // The float model's outputs per sample.
  const std::vector<std::vector<Tensor>> &floatOutputs() const { return floatOutputs_; }

  // The fitted quantizers of layer `index` at `precision` (computed once, then cached).
  const LayerQuantization &fit(size_t index, const LayerPrecision &precision);

  // The float graph with the named layers quantized; layers not in `choice` stay float. Fails
  // naming a layer that does not exist.
  Graph quantize(const std::map<std::string, LayerPrecision> &choice);

  // Mean squared difference of the outputs of `graph` and of the float model over the first
  // `maxSamples` samples, relative to the float outputs' mean square.
  double outputError(const Graph &graph, size_t maxSamples) const;
  // outputError of quantize(choice), remembered per choice.
  double choiceError(const std::map<std::string, LayerPrecision> &choice, size_t maxSamples);

private:
  struct Observed {
    std::vector<float> values; // activation values at the quant point (subsampled)
    bool nonNegative = true;
    std::vector<Tensor> inputs;  // the MAC's float input, first samples only
    std::vector<Tensor> outputs; // the MAC's float output (no bias), same samples
  };
  Graph graph_;
  std::vector<MacLayer> layers_;
  std::vector<std::vector<Tensor>> samples_;
  std::vector<std::vector<Tensor>> floatOutputs_;
  // What the layers in `which` see when `g` runs on the samples; `outputs` receives its outputs.
  std::vector<Observed> observe(const Graph &g, const std::vector<size_t> &which,
                                std::vector<std::vector<Tensor>> *outputs) const;
  LayerQuantization fitFrom(size_t index, const LayerPrecision &precision,
                            const Observed &observed) const;

  std::vector<Observed> observed_;
  std::map<std::pair<size_t, std::string>, LayerQuantization> fitted_;
  mutable std::map<size_t, std::vector<double>> feedback_;
  std::map<std::string, double>
      errors_; // choiceError by choice and sample count // GPTQ factor per layer
};

} // namespace qcc
