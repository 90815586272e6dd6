// The qcc subcommands. Each lives in its own file and returns its spec and entry point.
#pragma once

#include "tools/qcc/cli.h"

#include <functional>
#include <map>
#include <string>

namespace qcc::cli {

struct Command {
  CommandSpec spec;
  // Returns the process exit code; throws qcc::Error (exit 1) or UsageError (exit 2).
  std::function<int(const ParsedArgs &)> run;
  // Short spellings of options: "-o" -> "output" reads `-o X` as `--output X`.
  std::map<std::string, std::string> shortOptions = {};
};

Command inspectCommand();
Command runCommand();
Command reportCommand();
Command compileCommand();
Command verifyCommand();
Command benchCommand();

} // namespace qcc::cli
