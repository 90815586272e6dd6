// qcc report: one row per op of a model at an IR level (shapes, kernel, bits and encodings, MACs,
// BOPs, weight bytes, arena placement), totals, and the arena against its liveness lower bound.
// The columns and how they are computed: docs/report.md. With --target, also the flash and RAM
// the model compiled for that target occupies (docs/embedding.md).
#include "codegen/artifact.h"
#include "codegen/footprint.h"
#include "frontend/onnx_import.h"
#include "ir/error.h"
#include "ir/memory_plan.h"
#include "ir/op_registry.h"
#include "passes/pass_registry.h"
#include "passes/pipeline.h"
#include "tools/qcc/bits_flags.h"
#include "tools/qcc/bits_report.h"
#include "tools/qcc/codegen_flags.h"
#include "tools/qcc/commands.h"
#include "tools/qcc/pipeline_flags.h"

#include <filesystem>
#include <fmt/format.h>
#include <optional>
#include <set>

namespace qcc::cli {
namespace {

int64_t checkedMul(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) fail("report: operation count overflows 64 bits");
  return r;
}

int64_t checkedAdd(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) fail("report: total overflows 64 bits");
  return r;
}

struct Precision {
  int bits = 0;
  std::string encoding;
  std::string dtype;
  bool quantized = false;
};

// From the type's quantization when it has one, else from the element type (float = 32 bits).
Precision precisionOf(const TensorType &t) {
  std::string dtype(dtypeName(t.dtype));
  if (t.quant) {
    static constexpr const char *names[] = {"bipolar", "ternary", "uint", "int"};
    return {t.quant->bits, names[static_cast<size_t>(t.quant->encoding)], dtype, true};
  }
  if (isFloat(t.dtype)) return {bitWidth(t.dtype), "float", dtype, false};
  if (t.dtype == DType::boolean) return {1, "bool", dtype, false};
  return {bitWidth(t.dtype), isSigned(t.dtype) ? "int" : "uint", dtype, false};
}

// The lowered ops on packed operands: outputs (N * M * OH * OW or N * M, whether the result is
// packed or not) times the reduction length `k`.
std::optional<int64_t> packedMacCount(const Graph &g, const Op &op) {
  bool conv = op.kind.ends_with("_conv"), gemm = op.kind.ends_with("_gemm");
  if ((!conv && !gemm) || !op.has("k") || op.inputs.size() < 2) return std::nullopt;
  const TensorType &x = g.type(op.inputs[0]), &w = g.type(op.inputs[1]);
  if (x.layout.kind != LayoutKind::packed || x.rank() != (conv ? 5u : 3u)) return std::nullopt;
  int64_t outputs = checkedMul(x.shape[0], w.shape[0]);
  if (conv) {
    const TensorType &y = g.type(op.outputs[0]);
    Shape spatial = y.layout.kind == LayoutKind::packed ? Shape{y.shape[1], y.shape[2]}
                                                        : Shape{y.shape[2], y.shape[3]};
    outputs = checkedMul(outputs, checkedNumel(spatial));
  }
  return checkedMul(outputs, op.getInt("k"));
}

// Multiply-accumulates of one run of `op` (operand 0 is the activation, operand 1 the weight);
// nullopt for ops that are not MAC ops.
std::optional<int64_t> macCount(const Graph &g, const Op &op) {
  if (std::optional<int64_t> packed = packedMacCount(g, op)) return packed;
  bool conv = op.kind == "conv" || op.kind == "conv_integer";
  bool matmul = op.kind == "matmul" || op.kind == "matmul_integer";
  if (!conv && !matmul && op.kind != "gemm") return std::nullopt;
  if (op.inputs.size() < 2 || op.inputs[0] == kNoValue || op.inputs[1] == kNoValue ||
      op.outputs.empty())
    return std::nullopt;
  const TensorType &a = g.type(op.inputs[0]);
  const TensorType &w = g.type(op.inputs[1]);
  int64_t outputs = g.type(op.outputs[0]).numel();
  // Each output element sums over one filter (conv) or one row of the reduction (matmul, gemm).
  int64_t reduction = 0;
  if (conv && w.rank() > 0 && w.shape[0] > 0) reduction = w.numel() / w.shape[0];
  if (matmul && a.rank() > 0) reduction = a.shape.back();
  if (op.kind == "gemm" && a.rank() == 2) reduction = a.shape[op.getInt("trans_a", 0) ? 0 : 1];
  return checkedMul(outputs, reduction);
}

// Bytes of constant `v` as float32. The packed weights of a packed MAC op hold M * k codes (the
// padding bits of the last word of each row do not count); any other packed constant counts
// the bits of one plane.
int64_t float32Bytes(const Graph &g, const Op &op, ValueId v) {
  const TensorType &t = g.type(v);
  int64_t elements = t.numel();
  if (t.layout.kind == LayoutKind::packed && t.layout.planes > 0) {
    if (op.inputs.size() > 1 && op.inputs[1] == v && packedMacCount(g, op))
      elements = checkedMul(t.shape[0], op.getInt("k"));
    else
      elements =
          checkedMul(elements, static_cast<int64_t>(storageBytes(t.dtype)) * 8) / t.layout.planes;
  }
  return checkedMul(elements, 4);
}

struct Row {
  std::string name;
  std::string kind;
  std::string kernel;                     // empty: none chosen at this level
  std::vector<const TensorType *> inputs; // nullptr: absent optional operand
  std::vector<const TensorType *> outputs;
  std::optional<Precision> a, w;
  int64_t macs = 0;
  int64_t bops = 0;
  int64_t weightBytes = 0;
  int64_t weightBytesF32 = 0;
  std::vector<int64_t> arenaOffsets;
  std::vector<int64_t> arenaBytes;
};

struct Totals {
  int64_t macs = 0;
  int64_t bops = 0;
  int64_t weightBytes = 0;
  int64_t weightBytesF32 = 0;
  int64_t arenaBytes = 0;
  int64_t lowerBoundBytes = 0;
};

struct Report {
  std::string model;
  std::string graph;
  std::string level;
  std::vector<Row> rows;
  Totals totals;
  std::string target; // empty: no --target, no footprint
  Footprint footprint;
};

Report buildReport(const Graph &g, const MemoryPlan &plan) {
  Report r;
  r.graph = g.name;
  std::set<ValueId> weights; // counted once in the totals however many ops read them
  for (const Op &op : g.ops) {
    if (op.kind == "constant") continue;
    Row row;
    row.name = op.name.empty() && !op.outputs.empty() ? g.value(op.outputs[0]).name : op.name;
    row.kind = op.kind;
    row.kernel = op.getString("kernel", "");
    for (ValueId in : op.inputs) row.inputs.push_back(in == kNoValue ? nullptr : &g.type(in));
    for (ValueId out : op.outputs) row.outputs.push_back(&g.type(out));
    if (!op.inputs.empty() && op.inputs[0] != kNoValue) row.a = precisionOf(g.type(op.inputs[0]));
    if (std::optional<int64_t> macs = macCount(g, op)) {
      row.w = precisionOf(g.type(op.inputs[1]));
      row.macs = *macs;
      row.bops = checkedMul(checkedMul(row.a->bits, row.w->bits), row.macs);
    }
    std::set<ValueId> own;
    for (ValueId in : op.inputs)
      if (in != kNoValue && g.constantValue(in) && own.insert(in).second) {
        row.weightBytes += tensorBytes(g.type(in));
        row.weightBytesF32 += float32Bytes(g, op, in);
        if (weights.insert(in).second) {
          r.totals.weightBytes = checkedAdd(r.totals.weightBytes, tensorBytes(g.type(in)));
          r.totals.weightBytesF32 = checkedAdd(r.totals.weightBytesF32, float32Bytes(g, op, in));
        }
      }
    row.arenaOffsets = op.getInts("arena_offsets", std::vector<int64_t>(op.outputs.size(), -1));
    if (row.arenaOffsets.size() != op.outputs.size())
      fail("{}: attribute 'arena_offsets' has {} entries for {} results", op.describe(),
           row.arenaOffsets.size(), op.outputs.size());
    for (size_t i = 0; i < op.outputs.size(); ++i)
      row.arenaBytes.push_back(
          row.arenaOffsets[i] < 0 ? 0 : plan.bytes[static_cast<size_t>(op.outputs[i])]);
    r.totals.macs = checkedAdd(r.totals.macs, row.macs);
    r.totals.bops = checkedAdd(r.totals.bops, row.bops);
    r.rows.push_back(std::move(row));
  }
  r.totals.arenaBytes = plan.arenaBytes;
  r.totals.lowerBoundBytes = plan.lowerBoundBytes;
  return r;
}

// ---- text

std::string typeText(const TensorType *t) {
  return t ? fmt::format("{}{}", dtypeName(t->dtype), shapeString(t->shape)) : "_";
}

std::string joined(const std::vector<const TensorType *> &types) {
  std::string s;
  for (const TensorType *t : types) s += (s.empty() ? "" : ",") + typeText(t);
  return s;
}

// Names come from the model file: control characters would break the table.
std::string cellText(const std::string &s) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    out += c < 0x20 || c == 0x7F ? fmt::format("\\x{:02X}", c) : std::string(1, ch);
  }
  return out;
}

// Precision as the IR text writes it: the quantized kind ("bipolar1", "int2") or the dtype.
std::string precisionText(const Precision &p) {
  return p.quantized ? fmt::format("{}{}", p.encoding, p.bits) : p.dtype;
}

// One entry per result; "-" for results outside the arena.
std::string arenaText(const std::vector<int64_t> &offsets, const std::vector<int64_t> &values) {
  std::string s;
  for (size_t i = 0; i < values.size(); ++i)
    s += (i ? "," : "") + (offsets[i] < 0 ? std::string("-") : fmt::format("{}", values[i]));
  return s.empty() ? "-" : s;
}

std::string percentOver(int64_t value, int64_t base) {
  if (base == 0) return value == 0 ? "+0.0%" : "n/a";
  return fmt::format("{:+.1f}%",
                     100.0 * static_cast<double>(value - base) / static_cast<double>(base));
}

std::string textReport(const Report &r) {
  std::vector<std::string> header = {
      "#",    "name", "op",           "kernel",    "inputs",       "outputs",    "a x w",
      "MACs", "BOPs", "weight bytes", "f32 bytes", "arena offset", "arena bytes"};
  // Numeric columns are right-aligned.
  std::vector<bool> right = {true, false, false, false, false, false, false,
                             true, true,  true,  true,  true,  true};
  std::vector<std::vector<std::string>> cells = {header};
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const Row &row = r.rows[i];
    std::string precision = "-";
    if (row.a && row.w)
      precision = fmt::format("{} x {}", precisionText(*row.a), precisionText(*row.w));
    else if (row.a)
      precision = precisionText(*row.a);
    auto count = [](int64_t n) { return n == 0 ? std::string("-") : fmt::format("{}", n); };
    cells.push_back({fmt::format("{}", i), cellText(row.name), cellText(row.kind),
                     row.kernel.empty() ? "-" : cellText(row.kernel), joined(row.inputs),
                     joined(row.outputs), precision, count(row.macs), count(row.bops),
                     count(row.weightBytes), count(row.weightBytesF32),
                     arenaText(row.arenaOffsets, row.arenaOffsets),
                     arenaText(row.arenaOffsets, row.arenaBytes)});
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto &line : cells)
    for (size_t c = 0; c < line.size(); ++c) width[c] = std::max(width[c], line[c].size());
  std::string out = fmt::format("model {}: graph @{} at the {} level\n\n", cellText(r.model),
                                cellText(r.graph), r.level);
  for (const auto &line : cells) {
    std::string text;
    for (size_t c = 0; c < line.size(); ++c) {
      std::string pad(width[c] - line[c].size(), ' ');
      text += (c ? "  " : "") + (right[c] ? pad + line[c] : line[c] + pad);
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  const Totals &t = r.totals;
  out += fmt::format("\ntotals over {} layers: {} MACs, {} BOPs\n", r.rows.size(), t.macs, t.bops);
  out += fmt::format("weights: {} bytes ({} bytes as float32)\n", t.weightBytes, t.weightBytesF32);
  out += fmt::format("arena: {} bytes, liveness lower bound {} bytes ({})\n", t.arenaBytes,
                     t.lowerBoundBytes, percentOver(t.arenaBytes, t.lowerBoundBytes));
  if (!r.target.empty()) {
    const Footprint &f = r.footprint;
    out += fmt::format("\nfootprint for target {}, from the compiled object:\n", r.target);
    out += fmt::format("flash: {} bytes = .text {} (code) + .rodata {} (weights, tables) + "
                       ".data {}\n",
                       f.flashBytes(), f.textBytes, f.rodataBytes, f.dataBytes);
    out += fmt::format("RAM: {} bytes = arena {} + .data {} + .bss {}\n", f.ramBytes(),
                       f.arenaBytes, f.dataBytes, f.bssBytes);
  }
  return out;
}

// ---- JSON (keys in a fixed order; integers only, so the output is byte-stable)

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool validUtf8(const std::string &s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    auto next = len > 1 ? static_cast<unsigned char>(s[i + 1]) : 0x80;
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (next < lo || next > hi) return false;
    for (size_t k = 2; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

std::string jsonString(const std::string &s) {
  // Names come from the model file; bytes that are not UTF-8 are escaped one by one.
  bool utf8 = validUtf8(s);
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"')
      out += "\\\"";
    else if (c == '\\')
      out += "\\\\";
    else if (c < 0x20 || c == 0x7F || (c >= 0x80 && !utf8))
      out += fmt::format("\\u{:04x}", c);
    else
      out += ch;
  }
  return out + "\"";
}

std::string jsonType(const TensorType *t) {
  if (!t) return "null";
  return fmt::format("{{\"dtype\": {}, \"shape\": [{}]}}",
                     jsonString(std::string(dtypeName(t->dtype))), fmt::join(t->shape, ", "));
}

std::string jsonTypes(const std::vector<const TensorType *> &types) {
  std::string s;
  for (const TensorType *t : types) s += (s.empty() ? "" : ", ") + jsonType(t);
  return "[" + s + "]";
}

std::string jsonReport(const Report &r) {
  std::string out = "{\n";
  out += fmt::format("  \"model\": {},\n  \"graph\": {},\n  \"level\": {},\n  \"layers\": [",
                     jsonString(r.model), jsonString(r.graph), jsonString(r.level));
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const Row &row = r.rows[i];
    auto bits = [](const std::optional<Precision> &p) {
      return p ? fmt::format("{}", p->bits) : std::string("null");
    };
    auto encoding = [](const std::optional<Precision> &p) {
      return p ? jsonString(p->encoding) : std::string("null");
    };
    std::string arena;
    for (size_t k = 0; k < row.arenaOffsets.size(); ++k)
      arena += fmt::format("{}{{\"offset\": {}, \"bytes\": {}}}", k ? ", " : "",
                           row.arenaOffsets[k], row.arenaBytes[k]);
    out += i ? ",\n" : "\n";
    out += fmt::format(
        "    {{\"index\": {}, \"name\": {}, \"op\": {}, \"kernel\": {}, \"inputs\": {}, "
        "\"outputs\": {}, \"a_bits\": {}, \"a_encoding\": {}, \"w_bits\": {}, \"w_encoding\": {}, "
        "\"macs\": {}, \"bops\": {}, \"weight_bytes\": {}, \"weight_bytes_f32\": {}, "
        "\"arena\": [{}]}}",
        i, jsonString(row.name), jsonString(row.kind),
        row.kernel.empty() ? "null" : jsonString(row.kernel), jsonTypes(row.inputs),
        jsonTypes(row.outputs), bits(row.a), encoding(row.a), bits(row.w), encoding(row.w),
        row.macs, row.bops, row.weightBytes, row.weightBytesF32, arena);
  }
  const Totals &t = r.totals;
  out += r.rows.empty() ? "],\n" : "\n  ],\n";
  out += fmt::format("  \"totals\": {{\"layers\": {}, \"macs\": {}, \"bops\": {}, "
                     "\"weight_bytes\": {}, \"weight_bytes_f32\": {}, \"arena_bytes\": {}, "
                     "\"arena_lower_bound_bytes\": {}}}",
                     r.rows.size(), t.macs, t.bops, t.weightBytes, t.weightBytesF32, t.arenaBytes,
                     t.lowerBoundBytes);
  if (!r.target.empty()) {
    const Footprint &f = r.footprint;
    out += fmt::format(",\n  \"footprint\": {{\"target\": {}, \"text_bytes\": {}, "
                       "\"rodata_bytes\": {}, \"data_bytes\": {}, \"bss_bytes\": {}, "
                       "\"arena_bytes\": {}, \"flash_bytes\": {}, \"ram_bytes\": {}}}",
                       jsonString(r.target), f.textBytes, f.rodataBytes, f.dataBytes, f.bssBytes,
                       f.arenaBytes, f.flashBytes(), f.ramBytes());
  }
  out += "\n}\n";
  return out;
}

} // namespace

Command reportCommand() {
  CommandSpec spec{
      .name = "report",
      .synopsis = "MODEL.onnx [options]",
      .summary = "Per-layer report of a model at an IR level: shapes, kernel, bits and encodings,\n"
                 "MACs, BOPs, weight bytes, arena placement; totals; arena vs its lower bound.",
      .options = {{"level", "LEVEL", "IR level: import, quantized (default), lowered", false},
                  {"format", "FORMAT",
                   "output format: text (default), json, html (a page with --bits=auto's budget "
                   "sweep plot)",
                   false},
                  {"target", "T",
                   fmt::format("also compile for target T ({}) and report the flash and RAM the "
                               "code takes; implies --level=lowered",
                               fmt::join(targetNames(), ", ")),
                   false}},
      .minPositional = 1,
      .maxPositional = 1,
  };
  for (OptionSpec &option : importOptionSpecs()) spec.options.push_back(option);
  for (OptionSpec &option : bitsOptionSpecs()) spec.options.push_back(option);
  return {
      spec, [](const ParsedArgs &args) {
        std::optional<std::string> target;
        if (args.has("target")) target = targetOption(args);
        Level level = levelOption(args, target ? kLoweredLevel : kQuantizedLevel);
        if (target && level != kLoweredLevel)
          throw UsageError("--target: the footprint is computed at the lowered level");
        std::string format = args.get("format", "text");
        if (format != "text" && format != "json" && format != "html")
          throw UsageError(
              fmt::format("--format: unknown format '{}' (available: text, json, html)", format));
        std::optional<BitwidthRequest> bits =
            bitsRequest(args, target ? *target : std::string("native"));
        Graph graph = importOnnxFile(args.positional[0], importOptionsFrom(args));
        std::optional<BitwidthResult> chosen;
        std::vector<SweepPoint> sweep;
        if (bits) {
          Calibrator calibrator(graph, calibrationSamples(graph, readNpy(args.get("calib"))));
          chosen = chooseBitwidths(calibrator, *bits);
          if (format == "html" && bits->automatic)
            sweep = sweepBudgets(calibrator, *bits, *chosen, sweepBudgetsFor(*chosen, *bits));
          graph = chosen->graph;
        }
        PassManager pm;
        PassOptions options;
        if (target) options.target = *target;
        addPipeline(pm, level, options);
        std::vector<std::string> passes = pipelinePasses(level);
        if (passes.empty() || passes.back() != "plan_memory")
          pm.add(PassRegistry::instance().create("plan_memory"));
        pm.run(graph, kImportLevel);
        Report report = buildReport(graph, planMemory(graph));
        report.model = args.positional[0];
        report.level = std::string(levelName(level));
        if (target) {
          ArtifactRequest request;
          request.library = false;
          request.header = false;
          request.object = true;
          std::string name = cIdentifier(std::filesystem::path(args.positional[0]).stem().string());
          Artifact artifact = buildArtifact(graph, name, resolveTarget(*target), request);
          report.target = *target;
          report.footprint = objectFootprint(artifact.object, artifact.arenaBytes);
        }
        if (format == "html") {
          fmt::print("{}", htmlReport(args.positional[0], textReport(report),
                                      chosen ? &*chosen : nullptr, bits ? &*bits : nullptr, sweep));
        } else if (format == "json") {
          std::string json = jsonReport(report);
          if (chosen) {
            // One more key in the top-level object.
            size_t close = json.rfind('}');
            json = json.substr(0, close) + ", \"bitwidths\": " + bitsJson(*chosen, *bits) +
                   json.substr(close);
          }
          fmt::print("{}", json);
        } else {
          fmt::print("{}", textReport(report) + (chosen ? bitsText(*chosen, *bits) : ""));
        }
        return 0;
      }};
}

} // namespace qcc::cli
