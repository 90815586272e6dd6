#include "tools/qcc/cli.h"

#include "ir/npy.h"

#include <charconv>
#include <fmt/format.h>
#include <limits>

namespace qcc::cli {

std::string ParsedArgs::get(const std::string &name, const std::string &fallback) const {
  auto it = options.find(name);
  return it == options.end() ? fallback : it->second.back();
}

const std::vector<std::string> &ParsedArgs::all(const std::string &name) const {
  static const std::vector<std::string> none;
  auto it = options.find(name);
  return it == options.end() ? none : it->second;
}

ParsedArgs parse(const CommandSpec &spec, std::span<const std::string> args) {
  ParsedArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &arg = args[i];
    if (arg.size() < 2 || arg.compare(0, 2, "--") != 0 || arg == "--") {
      if (arg.size() > 1 && arg[0] == '-' && arg != "-")
        throw UsageError(fmt::format("unknown option '{}'", arg));
      out.positional.push_back(arg);
      continue;
    }
    std::string body = arg.substr(2);
    std::string value;
    bool hasValue = false;
    if (auto eq = body.find('='); eq != std::string::npos) {
      value = body.substr(eq + 1);
      body = body.substr(0, eq);
      hasValue = true;
    }
    const OptionSpec *opt = nullptr;
    for (const OptionSpec &o : spec.options)
      if (o.name == body) opt = &o;
    if (!opt) throw UsageError(fmt::format("unknown option '--{}' for 'qcc {}'", body, spec.name));
    if (opt->metavar.empty()) {
      if (hasValue) throw UsageError(fmt::format("option '--{}' takes no value", body));
    } else if (!hasValue) {
      if (i + 1 >= args.size())
        throw UsageError(fmt::format("option '--{}' needs a value ({})", body, opt->metavar));
      value = args[++i];
    }
    auto &slot = out.options[body];
    if (!slot.empty() && !opt->repeatable)
      throw UsageError(fmt::format("option '--{}' given more than once", body));
    slot.push_back(value);
  }
  if (out.positional.size() < spec.minPositional)
    throw UsageError(fmt::format("'qcc {}' needs {}", spec.name, spec.synopsis));
  if (out.positional.size() > spec.maxPositional)
    throw UsageError(fmt::format("unexpected argument '{}'", out.positional[spec.maxPositional]));
  return out;
}

std::string helpText(const CommandSpec &spec) {
  std::string s = fmt::format("usage: qcc {} {}\n\n{}\n", spec.name, spec.synopsis, spec.summary);
  if (!spec.options.empty()) s += "\noptions:\n";
  for (const OptionSpec &o : spec.options) {
    std::string left =
        o.metavar.empty() ? "--" + o.name : fmt::format("--{}={}", o.name, o.metavar);
    s += fmt::format("  {:<26} {}\n", left, o.help);
  }
  s += fmt::format("  {:<26} {}\n", "--help", "show this help");
  return s;
}

std::map<std::string, int64_t> parseDims(const std::vector<std::string> &values) {
  std::map<std::string, int64_t> dims;
  for (const std::string &v : values) {
    auto eq = v.find('=');
    int64_t n = 0;
    const char *end = v.data() + v.size();
    if (eq == std::string::npos || eq == 0 ||
        std::from_chars(v.data() + eq + 1, end, n).ptr != end || n <= 0)
      throw UsageError(fmt::format("--dim expects NAME=N with N > 0, got '{}'", v));
    dims[v.substr(0, eq)] = n;
  }
  return dims;
}

int64_t parseLimit(const std::string &option, const std::string &value) {
  int64_t n = 0;
  const char *begin = value.data(), *end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(begin, end, n);
  int shift = 0;
  if (ec == std::errc() && ptr + 1 == end) {
    shift = *ptr == 'K' ? 10 : *ptr == 'M' ? 20 : *ptr == 'G' ? 30 : -1;
    ++ptr;
  }
  if (ec != std::errc() || ptr != end || n <= 0 || shift < 0 ||
      n > (std::numeric_limits<int64_t>::max() >> shift))
    throw UsageError(
        fmt::format("--{} expects a positive integer with an optional K, M or G suffix, got '{}'",
                    option, value));
  return n << shift;
}

std::vector<OptionSpec> importOptionSpecs() {
  ImportLimits defaults;
  return {{"dim", "NAME=N", "value of a symbolic input dimension (repeatable)", true},
          {"bind", "NAME=IN.npy", "fix a graph input to a constant value (repeatable)", true},
          {"max-model-bytes", "N",
           fmt::format("refuse a model whose file and external data exceed N bytes (K/M/G "
                       "suffixes; default {}M)",
                       defaults.maxModelBytes >> 20),
           false},
          {"max-tensor-bytes", "N",
           fmt::format("refuse a model with any one tensor over N bytes (default {}M)",
                       defaults.maxTensorBytes >> 20),
           false},
          {"max-nodes", "N",
           fmt::format("refuse a graph of more than N nodes (default {})", defaults.maxNodes),
           false}};
}

ImportOptions importOptionsFrom(const ParsedArgs &args) {
  ImportOptions options;
  options.dims = parseDims(args.all("dim"));
  if (args.has("max-model-bytes"))
    options.limits.maxModelBytes = parseLimit("max-model-bytes", args.get("max-model-bytes"));
  if (args.has("max-tensor-bytes"))
    options.limits.maxTensorBytes = parseLimit("max-tensor-bytes", args.get("max-tensor-bytes"));
  if (args.has("max-nodes"))
    options.limits.maxNodes = parseLimit("max-nodes", args.get("max-nodes"));
  for (const std::string &v : args.all("bind")) {
    auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == v.size())
      throw UsageError(fmt::format("--bind expects NAME=FILE.npy, got '{}'", v));
    options.bindings.emplace(v.substr(0, eq), readNpy(v.substr(eq + 1)));
  }
  return options;
}

} // namespace qcc::cli
