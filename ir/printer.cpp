#include "ir/printer.h"

#include <bit>
#include <charconv>
#include <fmt/format.h>

namespace qcc {
namespace {

bool isLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isBareNameChar(char c) {
  return isLetter(c) || isDigit(c) || c == '_' || c == '.' || c == '$' || c == '-';
}

// Op kinds and attribute names print bare when they look like identifiers.
bool isIdentifier(std::string_view s) {
  if (s.empty() || !(isLetter(s[0]) || s[0] == '_')) return false;
  for (char c : s)
    if (!(isLetter(c) || isDigit(c) || c == '_' || c == '.')) return false;
  return true;
}

// Printable ASCII stays; everything else is escaped so the output is plain ASCII.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte > 0x7e) {
      out += fmt::format("\\x{:02X}", byte);
    } else {
      out += c;
    }
  }
  return out + '"';
}

std::string bareOrQuoted(std::string_view s) {
  bool bare = !s.empty();
  for (char c : s) bare = bare && isBareNameChar(c);
  return bare ? std::string(s) : quote(s);
}

std::string identifierOrQuoted(std::string_view s) {
  return isIdentifier(s) ? std::string(s) : quote(s);
}

// Graphs being debugged may hold dangling ids; they print as text the parser refuses.
std::string valueRef(const Graph &g, ValueId id) {
  if (id < 0 || static_cast<size_t>(id) >= g.values.size())
    return fmt::format("<invalid value #{}>", id);
  return printValueName(g.value(id).name);
}

std::string typeRef(const Graph &g, ValueId id) {
  if (id < 0 || static_cast<size_t>(id) >= g.values.size())
    return fmt::format("<invalid value #{}>", id);
  return typeString(g.type(id));
}

// Shortest text that reads back as the same float (not the same double: 0.1f prints "0.1").
std::string formatFloat(float v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

template <typename T> std::string formatElement(T v) {
  if constexpr (std::is_same_v<T, float>)
    return formatFloat(v);
  else if constexpr (std::is_same_v<T, double>)
    return formatDouble(v);
  else if constexpr (std::is_signed_v<T>)
    return fmt::format("{}", static_cast<int64_t>(v));
  else
    return fmt::format("{}", static_cast<uint64_t>(v));
}

// NaN payloads (and anything else the decimal text would not restore bit for bit) force hex.
template <typename T> bool readsBackExactly(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    std::string s = formatElement(v);
    T back{};
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), back);
    using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
    return ec == std::errc() && ptr == s.data() + s.size() &&
           std::bit_cast<Bits>(back) == std::bit_cast<Bits>(v);
  } else {
    return true;
  }
}

std::string tensorLiteral(const Tensor &t, const PrintOptions &options) {
  std::string out = fmt::format("dense<{} ", typeString(t.type()));
  bool listed = visitDType(t.dtype(), [&]<typename T>(TypeTag<T>) {
    if (t.numel() > options.maxListedElements) return false;
    const T *data = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i)
      if (!readsBackExactly(data[i])) return false;
    out += '[';
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (i) out += ", ";
      out += formatElement(data[i]);
    }
    out += ']';
    return true;
  });
  if (!listed && options.elideLargeConstants) {
    out += "...";
  } else if (!listed) {
    out += "0x";
    for (uint8_t byte : t.bytes()) out += fmt::format("{:02X}", byte);
  }
  return out + '>';
}

template <typename T, typename F> std::string list(const std::vector<T> &items, F &&format) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += format(items[i]);
  }
  return out + ']';
}

std::string attributeText(const Attribute &attr, const PrintOptions &options) {
  struct Visitor {
    const PrintOptions &options;
    std::string operator()(int64_t v) const { return fmt::format("{}", v); }
    std::string operator()(double v) const { return formatDouble(v); }
    std::string operator()(const std::string &v) const { return quote(v); }
    std::string operator()(const std::vector<int64_t> &v) const {
      return list(v, [](int64_t x) { return fmt::format("{}", x); });
    }
    std::string operator()(const std::vector<double> &v) const {
      return list(v, [](double x) { return formatDouble(x); });
    }
    std::string operator()(const std::vector<std::string> &v) const {
      return list(v, [](const std::string &x) { return quote(x); });
    }
    std::string operator()(const Tensor &v) const { return tensorLiteral(v, options); }
  };
  return std::visit(Visitor{options}, attr);
}

std::string opLine(const Graph &g, const Op &op, const PrintOptions &options) {
  std::string line = "  ";
  for (size_t i = 0; i < op.outputs.size(); ++i)
    line += (i ? ", " : "") + valueRef(g, op.outputs[i]);
  // Without results the line starts with the kind, which is then always quoted so that it cannot
  // be mistaken for `return` or for the `q(...)`/`layout(...)` suffix of the type before it.
  if (op.outputs.empty())
    line += quote(op.kind);
  else
    line += " = " + identifierOrQuoted(op.kind);
  if (!op.name.empty()) line += " " + quote(op.name);
  if (!op.inputs.empty()) {
    line += " (";
    for (size_t i = 0; i < op.inputs.size(); ++i)
      line += (i ? ", " : "") + (op.inputs[i] == kNoValue ? "_" : valueRef(g, op.inputs[i]));
    line += ")";
  }
  auto value = op.attrs.find("value");
  bool bareValue = value != op.attrs.end() && std::holds_alternative<Tensor>(value->second);
  if (bareValue) line += " " + tensorLiteral(std::get<Tensor>(value->second), options);
  std::string dict;
  for (const auto &[name, attr] : op.attrs) {
    if (bareValue && name == "value") continue;
    dict += (dict.empty() ? "" : ", ") + identifierOrQuoted(name) + " = " +
            attributeText(attr, options);
  }
  if (!dict.empty()) line += " {" + dict + "}";
  line += " : ";
  if (op.outputs.empty()) line += "()";
  for (size_t i = 0; i < op.outputs.size(); ++i)
    line += (i ? ", " : "") + typeRef(g, op.outputs[i]);
  return line + '\n';
}

} // namespace

std::string printValueName(std::string_view name) {
  return "%" + bareOrQuoted(name);
}

std::string printGraph(const Graph &g, const PrintOptions &options) {
  std::string out = "graph @" + bareOrQuoted(g.name) + "(";
  for (size_t i = 0; i < g.inputs.size(); ++i)
    out += (i ? ", " : "") + valueRef(g, g.inputs[i]) + ": " + typeRef(g, g.inputs[i]);
  out += ") -> (";
  for (size_t i = 0; i < g.outputs.size(); ++i) out += (i ? ", " : "") + typeRef(g, g.outputs[i]);
  out += ") {\n";
  for (const Op &op : g.ops) out += opLine(g, op, options);
  out += "  return";
  for (size_t i = 0; i < g.outputs.size(); ++i) out += (i ? ", " : " ") + valueRef(g, g.outputs[i]);
  return out + "\n}\n";
}

} // namespace qcc
