// Kernel benchmarks of issue #6 (Google Benchmark): one 3x3 conv layer of a real network per
// benchmark, as the lowered pipeline leaves it, compiled once for one x86 target with
// CompiledGraph and timed through NAME_run (runRaw) on one thread.
//
// Families and what each op is (the layer of a w1a1, ternary, w2a2, w4a4 or int8 network):
//   binary     binary_conv, bipolar x bipolar, fused threshold to packed bipolar codes
//   ternary    ternary_conv, ternary x ternary, fused thresholds to packed ternary codes
//   w2a2       bitserial_conv, uint2 x int2, fused thresholds to packed uint2 codes
//   w4a4       bitserial_conv, uint4 x int4, fused thresholds to packed uint4 codes
//   int8       conv_integer (kernel int8), uint8 x int8, i32 accumulators
// Benchmark names are FAMILY/LAYER/TARGET; the label is the shape; the counter GMAC/s counts
// N*M*OH*OW*C*KH*KW multiply-accumulates per run. benchmarks/run.py reads the JSON output.
#include "codegen/jit.h"
#include "codegen/target.h"
#include "ir/builder.h"
#include "ir/error.h"
#include "ir/ops/packing.h"

#include <benchmark/benchmark.h>
#include <cstdlib>
#include <fmt/format.h>
#include <memory>
#include <random>

using namespace qcc;

namespace {

// One 3x3 conv layer: batch 1, stride 1, dilation 1.
struct Layer {
  const char *name;
  int64_t channels, outputs, height, width, pad;
  int64_t outHeight() const { return height + 2 * pad - 2; }
  int64_t outWidth() const { return width + 2 * pad - 2; }
  int64_t macs() const { return outputs * outHeight() * outWidth() * channels * 9; }
};

// The binary 3x3 convs of CNV for 32x32 inputs (no padding; benchmarks/make_models.py; the
// first conv reads the 8-bit image) and the stride-1 3x3 convs of ResNet-18's four stages.
const Layer kLayers[] = {
    {"cnv.conv1", 64, 64, 30, 30, 0},     {"cnv.conv2", 64, 128, 14, 14, 0},
    {"cnv.conv3", 128, 128, 12, 12, 0},   {"cnv.conv4", 128, 256, 5, 5, 0},
    {"cnv.conv5", 256, 256, 3, 3, 0},     {"resnet18.56", 64, 64, 56, 56, 1},
    {"resnet18.28", 128, 128, 28, 28, 1}, {"resnet18.14", 256, 256, 14, 14, 1},
    {"resnet18.7", 512, 512, 7, 7, 1},
};

QuantInfo quant(QEncoding encoding, int bits, bool narrow = false) {
  QuantInfo q;
  q.encoding = encoding;
  q.bits = bits;
  q.narrow = narrow;
  q.scale = {1.0};
  q.zeroPoint = {0.0};
  return q;
}

struct Family {
  const char *name;
  const char *kind;   // the lowered op
  const char *kernel; // its `kernel` attribute (passes/select_kernels.cpp)
  QuantInfo activations, weights, outputs;
};

const Family kFamilies[] = {
    {"binary", "binary_conv", "binary", quant(QEncoding::bipolar, 1), quant(QEncoding::bipolar, 1),
     quant(QEncoding::bipolar, 1)},
    {"ternary", "ternary_conv", "ternary", quant(QEncoding::ternary, 2, true),
     quant(QEncoding::ternary, 2, true), quant(QEncoding::ternary, 2, true)},
    {"w2a2", "bitserial_conv", "bitserial", quant(QEncoding::uint, 2), quant(QEncoding::sint, 2),
     quant(QEncoding::uint, 2)},
    {"w4a4", "bitserial_conv", "bitserial", quant(QEncoding::uint, 4), quant(QEncoding::sint, 4),
     quant(QEncoding::uint, 4)},
    {"int8", "conv_integer", "int8", quant(QEncoding::uint, 8), quant(QEncoding::sint, 8), {}},
};

const char *const kTargets[] = {"x86_64", "x86_64-v3", "x86_64-v4"};

Tensor randomCodes(std::mt19937_64 &random, const QuantInfo &q, DType dtype, Shape shape) {
  Tensor out(dtype, std::move(shape));
  std::uniform_int_distribution<int64_t> code(q.minCode(), q.maxCode());
  for (int64_t i = 0; i < out.numel(); ++i) {
    int64_t c = code(random);
    if (q.encoding == QEncoding::bipolar && c == 0) c = 1;
    out.setInt(i, c);
  }
  return out;
}

// The layer as a one-op graph with constant weights (and thresholds), and its input.
struct LayerGraph {
  Graph graph;
  Tensor input;
};

LayerGraph buildLayer(const Family &family, const Layer &layer) {
  std::mt19937_64 random(0x6e6e);
  LayerGraph out;
  Builder builder(out.graph);
  Shape xShape{1, layer.channels, layer.height, layer.width};
  Shape wShape{layer.outputs, layer.channels, 3, 3};
  Attrs attrs{{"strides", std::vector<int64_t>{1, 1}},
              {"pads", std::vector<int64_t>(4, layer.pad)},
              {"dilations", std::vector<int64_t>{1, 1}},
              {"group", int64_t{1}},
              {"kernel", std::string(family.kernel)}};
  std::vector<ValueId> operands;
  if (std::string(family.kind) == "conv_integer") {
    // Plain u8 activations and i8 weights, as a QDQ-style int8 layer without zero points.
    out.input = randomCodes(random, family.activations, DType::u8, xShape);
    Tensor w = randomCodes(random, family.weights, DType::i8, wShape);
    operands = {builder.input("x", out.input.type()), builder.constant(w, "w")};
  } else {
    Tensor x = randomCodes(random, family.activations, codeDType(family.activations), xShape);
    Tensor w = randomCodes(random, family.weights, codeDType(family.weights), wShape);
    out.input = packCodes(x, family.activations);
    attrs["k"] = layer.channels * 9;
    // Thresholds around 0, ascending, one row per output channel: the fused epilogue that
    // writes the next layer's packed input.
    const QuantInfo &q = family.outputs;
    int64_t count = q.encoding == QEncoding::bipolar ? 1 : q.maxCode() - q.minCode();
    Tensor thresholds(DType::i64, {layer.outputs, count});
    for (int64_t m = 0; m < layer.outputs; ++m)
      for (int64_t t = 0; t < count; ++t) thresholds.setInt(m * count + t, t - count / 2 + m % 3);
    attrs["encoding"] = std::string(encodingName(q.encoding));
    attrs["bits"] = int64_t{q.bits};
    attrs["narrow"] = int64_t{q.narrow ? 1 : 0};
    attrs["scale"] = std::vector<double>{1.0};
    attrs["zero_point"] = std::vector<double>{0.0};
    attrs["descending"] = std::vector<int64_t>{};
    attrs["packed"] = int64_t{1};
    operands = {builder.input("x", out.input.type()),
                builder.constant(packCodes(w, family.weights), "w"),
                builder.constant(thresholds, "thresholds")};
  }
  out.graph.outputs.push_back(builder.create1(family.kind, "conv", operands, attrs));
  return out;
}

// A compiled layer with its buffers, made on the benchmark's first call (compiling is not
// timed) and kept for the repetitions.
struct CompiledLayer {
  LayerGraph layer;
  std::unique_ptr<CompiledGraph> code;
  Tensor output;
  void *arena = nullptr;
  ~CompiledLayer() { std::free(arena); }
};

void runLayer(benchmark::State &state, const Family &family, const Layer &layer,
              const std::string &target, std::shared_ptr<CompiledLayer> &cache) {
  if (!cache) {
    auto compiled = std::make_shared<CompiledLayer>();
    compiled->layer = buildLayer(family, layer);
    try {
      compiled->code = std::make_unique<CompiledGraph>(compiled->layer.graph, target);
    } catch (const Error &e) {
      state.SkipWithError(e.what());
      return;
    }
    const Graph &g = compiled->layer.graph;
    compiled->output = Tensor(g.type(g.outputs[0]));
    size_t bytes = static_cast<size_t>(std::max<int64_t>(64, compiled->code->arenaBytes()));
    compiled->arena = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    cache = compiled;
  }
  const void *inputs[] = {cache->layer.input.bytes().data()};
  void *outputs[] = {cache->output.bytes().data()};
  for (auto _ : state) {
    int status = cache->code->runRaw(inputs, outputs, cache->arena);
    benchmark::DoNotOptimize(status);
    benchmark::ClobberMemory();
  }
  state.counters["GMAC/s"] = benchmark::Counter(static_cast<double>(layer.macs()) / 1e9,
                                                benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MACs"] = static_cast<double>(layer.macs());
  state.SetLabel(fmt::format("C={} M={} {}x{} pad {} -> {}x{}", layer.channels, layer.outputs,
                             layer.height, layer.width, layer.pad, layer.outHeight(),
                             layer.outWidth()));
}

} // namespace

int main(int argc, char **argv) {
  for (const char *target : kTargets) {
    if (!hostRuns(resolveTarget(target))) continue;
    for (const Family &family : kFamilies)
      for (const Layer &layer : kLayers) {
        auto cache = std::make_shared<std::shared_ptr<CompiledLayer>>();
        benchmark::RegisterBenchmark(
            fmt::format("{}/{}/{}", family.name, layer.name, target).c_str(),
            [&family, &layer, target = std::string(target), cache](benchmark::State &state) {
              runLayer(state, family, layer, target, *cache);
            })
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
