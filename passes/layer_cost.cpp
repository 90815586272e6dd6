// Kernel cost model for --bits=auto (layer_cost.h).
#include "passes/layer_cost.h"

#include "ir/error.h"

#include <array>

namespace qcc {
namespace {

// Single-thread GMAC/s of 3x3 conv layers (CNV and ResNet-18 shapes), the median over the
// shapes of docs/benchmarks.md on its reference machine: binary, ternary, 2x2-bit, 4x4-bit and
// int8 kernels.
struct Throughput {
  const char *target;
  double binary, ternary, w2a2, w4a4, int8;
};
constexpr std::array<Throughput, 3> kThroughput = {{
    {"x86_64", 154, 73, 41, 12, 10},
    {"x86_64-v3", 340, 152, 81, 15, 19},
    {"x86_64-v4", 1047, 449, 266, 67, 85},
}};

const Throughput *throughputOf(const std::string &target) {
  for (const Throughput &t : kThroughput)
    if (target == t.target) return &t;
  return nullptr;
}

// Bit planes of an operand in a popcount kernel (0: it does not fit one).
int planes(const Precision &p) {
  return p.bits <= 4 ? p.bits : 0;
}

} // namespace

bool hasLatencyTable(const std::string &target) {
  return throughputOf(target) != nullptr;
}

LayerCost layerCost(const MacLayer &layer, const LayerPrecision &precision, bool signedInput,
                    const std::string &target) {
  const Precision &w = precision.weight, &a = precision.activation;
  const double macs = static_cast<double>(layer.macs);
  LayerCost cost;
  cost.bits = static_cast<double>(layer.params) * w.storageBits();
  // An activation at 1 bit is bipolar only when it can be negative; otherwise it is an unsigned
  // 1-bit code and the layer is a 1 x 1 plane bit-serial one.
  bool bipolarA = a.bits == 1 && signedInput, bipolarW = w.bits == 1;
  double pairs = 0;
  if (bipolarA && bipolarW) {
    cost.kernel = "binary";
    pairs = 1;
  } else if ((w.ternary || a.ternary) && (w.ternary || bipolarW) && (a.ternary || bipolarA)) {
    cost.kernel = "ternary";
    pairs = 2;
  } else if (planes(w) && planes(a)) {
    cost.kernel = "bitserial";
    pairs = planes(w) * planes(a);
  } else {
    cost.kernel = "int8";
    pairs = 64;
  }
  cost.bops = macs * pairs;
  if (const Throughput *t = throughputOf(target)) {
    double gmacs = cost.kernel == "binary"    ? t->binary
                   : cost.kernel == "ternary" ? t->ternary
                   : cost.kernel == "int8"    ? t->int8
                   : pairs <= 4               ? t->w2a2 * 4 / pairs
                                              : t->w4a4 * 16 / pairs;
    cost.latencyUs = macs / (gmacs * 1e3);
  }
  return cost;
}

} // namespace qcc
