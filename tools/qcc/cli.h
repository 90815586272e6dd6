// Command-line parsing shared by the qcc subcommands. Options are `--name=value` or
// `--name value`; flags are `--name`. Bad usage throws UsageError (exit code 2).
#pragma once

#include "frontend/onnx_import.h"

#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace qcc::cli {

class UsageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string name;    // without the leading "--"
  std::string metavar; // empty for a flag
  std::string help;
  bool repeatable = false;
};

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> options; // flags map to {""}

  bool has(const std::string &name) const { return options.count(name) != 0; }
  std::string get(const std::string &name, const std::string &fallback = {}) const;
  const std::vector<std::string> &all(const std::string &name) const;
};

struct CommandSpec {
  std::string name;
  std::string synopsis; // e.g. "MODEL.onnx [options]"
  std::string summary;  // one line
  std::vector<OptionSpec> options;
  size_t minPositional = 0;
  size_t maxPositional = 0;
};

// Parses `args` (after the subcommand name). `--help` is handled by the caller via helpText().
ParsedArgs parse(const CommandSpec &spec, std::span<const std::string> args);
std::string helpText(const CommandSpec &spec);

// "--dim name=N" values -> map; UsageError on bad syntax.
std::map<std::string, int64_t> parseDims(const std::vector<std::string> &values);

// A --max-* limit: a positive integer with an optional K, M or G (binary) suffix; UsageError
// naming `option` otherwise.
int64_t parseLimit(const std::string &option, const std::string &value);

// The import options every command that reads a model takes: --dim NAME=N and
// --bind NAME=FILE.npy (both repeatable), and the resource limits --max-model-bytes,
// --max-tensor-bytes and --max-nodes (frontend/onnx_import.h).
std::vector<OptionSpec> importOptionSpecs();
ImportOptions importOptionsFrom(const ParsedArgs &args);

} // namespace qcc::cli
