// What a MAC layer costs at a given precision (docs/bitwidths.md): the weight bits it stores,
// the bit operations its kernel performs and its latency estimated from kernel throughput
// measured per target. The kernel family follows select_kernels' rules.
#pragma once

#include "passes/quantize_layers.h"

#include <string>

namespace qcc {

enum class BudgetKind { bits, bops, latency };

struct LayerCost {
  double bits = 0;      // weight elements x stored bits
  double bops = 0;      // MACs x bit-plane pairs (binary 1, ternary 2, k x m bits k*m, int8 64)
  double latencyUs = 0; // MACs / the kernel family's measured throughput on the target
  std::string kernel;   // binary, ternary, bitserial or int8

  double of(BudgetKind kind) const {
    return kind == BudgetKind::bits ? bits : kind == BudgetKind::bops ? bops : latencyUs;
  }
};

// Targets with a measured throughput table (--budget-latency); others fail naming the target.
bool hasLatencyTable(const std::string &target);

// `signedInput`: whether the layer's input activation takes negative values (it then gets a
// bipolar or signed quantizer). `target` is only read for the latency.
LayerCost layerCost(const MacLayer &layer, const LayerPrecision &precision, bool signedInput,
                    const std::string &target);

} // namespace qcc
