// Errors qcc reports to its user. Every failure a user can cause (bad file, unsupported op, bad
// flag) is an Error with a complete message; the CLI prints it as `qcc: error: MESSAGE`.
#pragma once

#include <fmt/format.h>
#include <stdexcept>
#include <string>

namespace qcc {

class Error : public std::runtime_error {
public:
  explicit Error(const std::string &message) : std::runtime_error(message) {}
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args &&...args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

} // namespace qcc
