// The qcc subcommands. Each lives in its own file and returns its spec and entry point.
#pragma once

#include "tools/qcc/cli.h"

#include <functional>

namespace qcc::cli {

struct Command {
  CommandSpec spec;
  // Returns the process exit code; throws qcc::Error (exit 1) or UsageError (exit 2).
  std::function<int(const ParsedArgs &)> run;
};

Command inspectCommand();
Command runCommand();
Command reportCommand();

} // namespace qcc::cli
