// qcc-opt: the developer tool for the textual IR. Reads a graph (a .qir file or stdin), verifies
// it at a level, runs the passes named by --passes and prints the result. Errors are one
// `qcc-opt: error: ...` line and exit code 1; usage errors exit 2.
#include "ir/error.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/pass_registry.h"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr const char *kUsage =
    "usage: qcc-opt FILE.qir|- [options]\n"
    "\n"
    "Parses textual IR (docs/ir.md), verifies it, runs the passes given with --passes and prints\n"
    "the result on stdout.\n"
    "\n"
    "options:\n"
    "  --verify-level=LEVEL  level the graph must be valid at: import (default), quantized,\n"
    "                        lowered; the passes start from it\n"
    "  --passes=P1,P2,...    run these passes in order (docs/passes.md), verifying after each\n"
    "  --no-verify           skip the verifier, also after passes (to look at IR it rejects)\n"
    "  --max-listed=N        constants with more than N elements print as hex (default 16)\n"
    "  --help                show this help\n";

class UsageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct Options {
  std::string input; // a path, or "-" for stdin
  qcc::Level level = qcc::kImportLevel;
  bool verify = true;
  std::vector<std::string> passes;
  qcc::PrintOptions print;
};

qcc::Level parseLevel(const std::string &s) {
  for (qcc::Level l : {qcc::kImportLevel, qcc::kQuantizedLevel, qcc::kLoweredLevel})
    if (qcc::levelName(l) == s) return l;
  throw UsageError(
      fmt::format("--verify-level: unknown level '{}' (available: import, quantized, lowered)", s));
}

std::vector<std::string> parsePassList(const std::string &s) {
  std::vector<std::string> names;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    std::string name =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (name.empty()) throw UsageError(fmt::format("--passes: empty pass name in '{}'", s));
    names.push_back(name);
    if (comma == std::string::npos) return names;
    start = comma + 1;
  }
}

int64_t parseCount(const std::string &option, const std::string &s) {
  int64_t n = -1;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || ptr != s.data() + s.size() || n < 0)
    throw UsageError(fmt::format("--{} expects a non-negative integer, got '{}'", option, s));
  return n;
}

// Options are `--name=value` or `--name value`.
Options parseArgs(const std::vector<std::string> &args) {
  Options options;
  std::vector<std::string> positional;
  bool levelGiven = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &arg = args[i];
    if (arg.size() < 2 || arg.compare(0, 2, "--") != 0) {
      if (arg.size() > 1 && arg[0] == '-')
        throw UsageError(fmt::format("unknown option '{}'", arg));
      positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    if (name == "no-verify") {
      options.verify = false;
      continue;
    }
    std::string value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (name == "verify-level" || name == "max-listed" || name == "passes") {
      if (i + 1 >= args.size()) throw UsageError(fmt::format("option '--{}' needs a value", name));
      value = args[++i];
    }
    if (name == "verify-level") {
      options.level = parseLevel(value);
      levelGiven = true;
    } else if (name == "max-listed") {
      options.print.maxListedElements = parseCount(name, value);
    } else if (name == "passes") {
      options.passes = parsePassList(value);
    } else {
      throw UsageError(fmt::format("unknown option '--{}'", name));
    }
  }
  if (levelGiven && !options.verify)
    throw UsageError("--verify-level and --no-verify exclude each other");
  if (positional.empty()) throw UsageError("no input file (use '-' for stdin)");
  if (positional.size() > 1)
    throw UsageError(fmt::format("unexpected argument '{}'", positional[1]));
  options.input = positional[0];
  return options;
}

std::string readInput(const std::string &path) {
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) qcc::fail("{}: no such file", path);
  if (std::filesystem::is_directory(path, ec)) qcc::fail("{}: is a directory", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) qcc::fail("{}: cannot open", path);
  text << in.rdbuf();
  if (in.bad()) qcc::fail("{}: read error", path);
  return text.str();
}

// Read, parse, verify, run the passes (verifying after each), print.
int run(const Options &options) {
  qcc::PassManager pm;
  for (const std::string &name : options.passes) pm.add(qcc::PassRegistry::instance().create(name));
  pm.setVerify(options.verify);
  std::string source = options.input == "-" ? "<stdin>" : options.input;
  qcc::Graph graph = qcc::parseGraph(readInput(options.input), source);
  if (options.verify) qcc::verify(graph, options.level);
  pm.run(graph, options.level);
  fmt::print("{}", qcc::printGraph(graph, options.print));
  return 0;
}

int runMain(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string &a : args)
    if (a == "--help" || a == "-h") {
      fmt::print("{}", kUsage);
      return 0;
    }
  Options options;
  try {
    options = parseArgs(args);
  } catch (const UsageError &e) {
    fmt::print(stderr, "qcc-opt: error: {}\n{}", e.what(), kUsage);
    return 2;
  }
  return run(options);
}

} // namespace

int main(int argc, char **argv) {
  try {
    return runMain(argc, argv);
  } catch (const qcc::Error &e) {
    fmt::print(stderr, "qcc-opt: error: {}\n", e.what());
  } catch (const std::bad_alloc &) {
    fmt::print(stderr, "qcc-opt: error: out of memory\n");
  } catch (const std::exception &e) {
    fmt::print(stderr, "qcc-opt: error: internal error: {}\n", e.what());
  }
  return 1;
}
