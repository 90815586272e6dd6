#include "tools/qcc/cli.h"

#include "ir/npy.h"

#include <charconv>
#include <fmt/format.h>

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

std::vector<OptionSpec> importOptionSpecs() {
  return {{"dim", "NAME=N", "value of a symbolic input dimension (repeatable)", true},
          {"bind", "NAME=IN.npy", "fix a graph input to a constant value (repeatable)", true}};
}

ImportOptions importOptionsFrom(const ParsedArgs &args) {
  ImportOptions options;
  options.dims = parseDims(args.all("dim"));
  for (const std::string &v : args.all("bind")) {
    auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == v.size())
      throw UsageError(fmt::format("--bind expects NAME=FILE.npy, got '{}'", v));
    options.bindings.emplace(v.substr(0, eq), readNpy(v.substr(eq + 1)));
  }
  return options;
}

} // namespace qcc::cli
