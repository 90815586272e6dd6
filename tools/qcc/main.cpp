// qcc: the command-line driver. Dispatches to subcommands; every error a user can cause ends as
// one `qcc: error: ...` line on stderr and exit code 1 (2 for usage errors).
#include "codegen/target.h"
#include "ir/error.h"
#include "tools/qcc/commands.h"

#include <cstdio>
#include <exception>
#include <fmt/format.h>
#include <string>
#include <vector>

namespace {

using qcc::cli::Command;

std::vector<Command> commands() {
  return {qcc::cli::compileCommand(), qcc::cli::inspectCommand(), qcc::cli::runCommand(),
          qcc::cli::verifyCommand(),  qcc::cli::reportCommand(),  qcc::cli::benchCommand()};
}

std::string usage(const std::vector<Command> &cmds) {
  std::string s = "usage: qcc <command> [options]\n\n"
                  "qcc compiles quantized ONNX models to bit-serial CPU kernels.\n\ncommands:\n";
  for (const Command &c : cmds) s += fmt::format("  {:<10} {}\n", c.spec.name, c.spec.summary);
  s += "\n  qcc --version    print the version\n  qcc <command> --help\n";
  return s;
}

int runMain(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<Command> cmds = commands();
  if (args.empty()) {
    fmt::print(stderr, "{}", usage(cmds));
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    fmt::print("{}", usage(cmds));
    return 0;
  }
  if (args[0] == "--version") {
    fmt::print("qcc {} (LLVM {}, host {} {})\n", QCC_VERSION, qcc::llvmVersion(), qcc::hostTriple(),
               qcc::hostCpu());
    return 0;
  }
  for (const Command &c : cmds) {
    if (c.spec.name != args[0]) continue;
    std::vector<std::string> rest;
    for (auto a = args.begin() + 1; a != args.end(); ++a) {
      auto alias = c.shortOptions.find(*a);
      rest.push_back(alias == c.shortOptions.end() ? *a : "--" + alias->second);
    }
    for (const std::string &a : rest)
      if (a == "--help" || a == "-h") {
        fmt::print("{}", qcc::cli::helpText(c.spec));
        return 0;
      }
    try {
      return c.run(qcc::cli::parse(c.spec, rest));
    } catch (const qcc::cli::UsageError &e) {
      fmt::print(stderr, "qcc: error: {}\nsee 'qcc {} --help'\n", e.what(), c.spec.name);
      return 2;
    }
  }
  fmt::print(stderr, "qcc: error: unknown command '{}'\n\n{}", args[0], usage(cmds));
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return runMain(argc, argv);
  } catch (const qcc::Error &e) {
    fmt::print(stderr, "qcc: error: {}\n", e.what());
  } catch (const std::bad_alloc &) {
    fmt::print(stderr, "qcc: error: out of memory\n");
  } catch (const std::exception &e) {
    fmt::print(stderr, "qcc: error: internal error: {}\n", e.what());
  }
  return 1;
}
