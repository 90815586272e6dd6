// qcc bench: the latency of a model's compiled code on this machine, on one thread or through
// NAME_run_parallel on a thread pool (runtime/qcc_thread_pool.h), as one JSON line in the
// format of benchmarks/ort_bench.mjs (docs/cli.md, docs/benchmarks.md).
#include "codegen/jit.h"
#include "frontend/onnx_import.h"
#include "ir/error.h"
#include "runtime/qcc_thread_pool.h"
#include "tools/qcc/bits_flags.h"
#include "tools/qcc/codegen_flags.h"
#include "tools/qcc/commands.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <memory>
#include <random>

namespace qcc::cli {
namespace {

int64_t countOption(const ParsedArgs &args, const std::string &name, int64_t fallback,
                    int64_t minimum) {
  if (!args.has(name)) return fallback;
  std::string text = args.get(name);
  int64_t value = 0;
  const char *end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < minimum)
    throw UsageError(
        fmt::format("--{} expects an integer of at least {}, got '{}'", name, minimum, text));
  return value;
}

// Fixed-seed inputs: floats uniform in [0, 1) (an image scaled to [0, 1], what the benchmark
// models expect), integers over their type's range clipped to [-128, 127].
std::vector<Tensor> randomInputs(const Graph &graph, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<Tensor> inputs;
  for (ValueId v : graph.inputs) {
    Tensor t(graph.type(v));
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (isFloat(t.dtype())) {
        t.setDouble(i, std::uniform_real_distribution<double>(0.0, 1.0)(random));
      } else {
        int64_t lo = std::max<int64_t>(dtypeMin(t.dtype()), -128);
        int64_t hi = std::min<int64_t>(dtypeMax(t.dtype()), 127);
        t.setInt(i, std::uniform_int_distribution<int64_t>(lo, hi)(random));
      }
    }
    inputs.push_back(std::move(t));
  }
  return inputs;
}

// Linear interpolation between the closest ranks of sorted samples (numpy's default, as
// ort_bench.mjs), so that p50 is the median.
double percentile(const std::vector<double> &sorted, double p) {
  double position = p / 100.0 * static_cast<double>(sorted.size() - 1);
  auto lo = static_cast<size_t>(position);
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - static_cast<double>(lo));
}

std::string jsonString(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += fmt::format("\\{}", c);
    else if (static_cast<unsigned char>(c) < 0x20)
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    else
      out += c;
  }
  return out + "\"";
}

struct FreeDeleter {
  void operator()(void *p) const { std::free(p); }
};

} // namespace

Command benchCommand() {
  CommandSpec spec{
      .name = "bench",
      .synopsis = "MODEL.onnx [--target T] [--iterations N] [--warmup N] [options]",
      .summary =
          "Compile a model in memory (as `qcc compile`) and time its run function on one\n"
          "thread (with --threads=N: NAME_run_parallel on a pool of N threads) with fixed-seed\n"
          "random inputs (floats in [0, 1)). Prints one JSON line: {\"model\", \"target\",\n"
          "\"runs\", \"median_us\", \"p10_us\", \"p90_us\", \"arena_bytes\", \"threads\",\n"
          "\"split_layers\"}: wall time per run in microseconds, as benchmarks/ort_bench.mjs.",
      .options = {targetOptionSpec(),
                  {"iterations", "N", "timed runs (default 50)", false},
                  {"warmup", "N", "untimed runs before them (default 5)", false},
                  {"seed", "N", "seed of the random inputs (default 0)", false},
                  {"strict", "", "fail instead of keeping an op float (with a warning)", false},
                  parallelOptionSpecs()[0],
                  parallelOptionSpecs()[1]},
      .minPositional = 0,
      .maxPositional = 1,
  };
  for (OptionSpec &option : importOptionSpecs()) spec.options.push_back(option);
  for (OptionSpec &option : bitsOptionSpecs()) spec.options.push_back(option);
  return {spec, [spec](const ParsedArgs &args) {
            if (args.positional.empty())
              throw UsageError(fmt::format("'qcc bench' needs {}", spec.synopsis));
            const std::string &model = args.positional[0];
            std::string target = targetOption(args);
            int64_t iterations = countOption(args, "iterations", 50, 1);
            int64_t warmup = countOption(args, "warmup", 5, 0);
            auto seed = static_cast<uint64_t>(countOption(args, "seed", 0, 0));
            ParallelOptions parallel = parallelOption(args);
            Graph graph = importModel(model, args, target);
            lowerForCodegen(graph, args, target, stderr);
            CompiledGraph code(graph, target, parallel);

            std::vector<Tensor> inputs = randomInputs(graph, seed);
            std::vector<Tensor> outputs;
            for (ValueId v : graph.outputs) outputs.emplace_back(graph.type(v));
            std::vector<const void *> inputPointers;
            for (const Tensor &t : inputs) inputPointers.push_back(t.bytes().data());
            std::vector<void *> outputPointers;
            for (Tensor &t : outputs) outputPointers.push_back(t.bytes().data());
            auto arenaSize = static_cast<size_t>(std::max<int64_t>(code.arenaBytes(), 1));
            std::unique_ptr<void, FreeDeleter> arena(
                std::aligned_alloc(64, (arenaSize + 63) / 64 * 64));
            if (!arena) fail("cannot allocate the {}-byte arena", arenaSize);

            qcc_thread_pool pool;
            if (qcc_thread_pool_create(&pool, parallel.threads) != 0)
              fail("cannot start {} threads", parallel.threads);
            std::unique_ptr<qcc_thread_pool, void (*)(qcc_thread_pool *)> poolOwner(
                &pool, qcc_thread_pool_destroy);
            qcc_parallel par = qcc_thread_pool_parallel(&pool);
            auto runOnce = [&] {
              int status =
                  parallel.threads > 1
                      ? code.runParallelRaw(inputPointers.data(), outputPointers.data(),
                                            arena.get(), &par)
                      : code.runRaw(inputPointers.data(), outputPointers.data(), arena.get());
              if (status != 0) fail("{}: the run function returned {}", model, status);
            };
            for (int64_t i = 0; i < warmup; ++i) runOnce();
            std::vector<double> times;
            for (int64_t i = 0; i < iterations; ++i) {
              auto start = std::chrono::steady_clock::now();
              runOnce();
              std::chrono::duration<double, std::micro> elapsed =
                  std::chrono::steady_clock::now() - start;
              times.push_back(elapsed.count());
            }
            std::sort(times.begin(), times.end());
            fmt::print("{{\"model\": {}, \"target\": {}, \"runs\": {}, \"median_us\": {:.1f}, "
                       "\"p10_us\": {:.1f}, \"p90_us\": {:.1f}, \"arena_bytes\": {}, "
                       "\"threads\": {}, \"split_layers\": {}}}\n",
                       jsonString(model), jsonString(target), iterations, percentile(times, 50),
                       percentile(times, 10), percentile(times, 90), code.arenaBytes(),
                       parallel.threads, code.slicedOps());
            return 0;
          }};
}

} // namespace qcc::cli
