#include "ir/parser.h"

#include "ir/error.h"
#include "ir/printer.h"

#include <charconv>
#include <cstring>
#include <limits>
#include <unordered_map>

namespace qcc {
namespace {

bool isLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isHexDigit(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool isIdentStart(char c) {
  return isLetter(c) || c == '_';
}
bool isIdentChar(char c) {
  return isLetter(c) || isDigit(c) || c == '_' || c == '.';
}
bool isBareNameChar(char c) {
  return isLetter(c) || isDigit(c) || c == '_' || c == '.' || c == '$' || c == '-';
}
int hexValue(char c) {
  if (isDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

enum class Tok : uint8_t {
  end,
  ident,   // graph, conv, f32, int2, inf, _ ...
  value,   // %name or %"name": text is the name
  global,  // @name or @"name"
  string,  // "...": text is the decoded string
  integer, // -12
  real,    // 1.5, -2e-3, -inf (a bare inf/nan lexes as ident)
  hex,     // 0x00FF: text keeps the digits only
  punct,   // ( ) [ ] { } < > , : =
  arrow,   // ->
};

struct Token {
  Tok kind = Tok::end;
  std::string text;
  int line = 1;
  int col = 1;
};

// Characters outside printable ASCII are shown as \xHH in messages.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto byte = static_cast<unsigned char>(c);
    out += byte < 0x20 || byte > 0x7e ? fmt::format("\\x{:02X}", byte) : std::string(1, c);
  }
  return out;
}

std::string describe(const Token &t) {
  auto shortened = [](const std::string &s) { return s.size() > 24 ? s.substr(0, 21) + "..." : s; };
  switch (t.kind) {
  case Tok::end:
    return "end of input";
  case Tok::string:
    return "a string";
  case Tok::value:
    return "'" + shortened(printValueName(t.text)) + "'";
  case Tok::global:
    return "'@" + shortened(printable(t.text)) + "'";
  case Tok::hex:
    return "'0x" + shortened(t.text) + "'";
  default:
    return "'" + shortened(t.text) + "'";
  }
}

class Parser {
public:
  Parser(std::string_view text, std::string_view source) : text_(text), source_(source) { lex(); }

  Graph parse();

private:
  // --- lexing ---------------------------------------------------------------------------------
  char at(size_t i) const { return i < text_.size() ? text_[i] : '\0'; }
  bool atEnd(size_t i) const { return i >= text_.size(); }
  void bump() {
    if (text_[pos_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++pos_;
  }
  template <typename... Args>
  [[noreturn]] void failAt(int line, int col, fmt::format_string<Args...> format,
                           Args &&...args) const {
    fail("{}:{}:{}: {}", source_, line, col, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  [[noreturn]] void failAt(const Token &t, fmt::format_string<Args...> format,
                           Args &&...args) const {
    failAt(t.line, t.col, format, std::forward<Args>(args)...);
  }
  [[noreturn]] void expected(std::string_view what) const {
    failAt(tok_, "expected {}, found {}", what, describe(tok_));
  }

  void skipSpaceAndComments();
  std::string lexString(); // at the opening quote
  void lexNumber();
  void lex();

  // --- parsing --------------------------------------------------------------------------------
  Token take() {
    Token t = std::move(tok_);
    lex();
    return t;
  }
  bool isPunct(char c) const { return tok_.kind == Tok::punct && tok_.text[0] == c; }
  bool isKeyword(std::string_view word) const {
    return tok_.kind == Tok::ident && tok_.text == word;
  }
  bool isNumber() const {
    return tok_.kind == Tok::integer || tok_.kind == Tok::real ||
           (tok_.kind == Tok::ident && (tok_.text == "inf" || tok_.text == "nan"));
  }
  bool acceptPunct(char c) {
    if (!isPunct(c)) return false;
    take();
    return true;
  }
  Token expectPunct(char c) {
    if (!isPunct(c)) expected(fmt::format("'{}'", c));
    return take();
  }
  Token expectKeyword(std::string_view word) {
    if (!isKeyword(word)) expected(fmt::format("'{}'", word));
    return take();
  }
  // After an element of a list closed by `close`: true when the list goes on.
  bool listContinues(char close) {
    if (acceptPunct(',')) return true;
    if (acceptPunct(close)) return false;
    expected(fmt::format("',' or '{}'", close));
  }

  int64_t parseInt(std::string_view what);
  double parseDouble(std::string_view what);
  std::vector<double> parseDoubleList(std::string_view what);
  TensorType parseType();
  QuantInfo parseQuant(const TensorType &type);
  Layout parseLayout();
  Tensor parseTensor();
  template <typename T> void parseElement(DType dtype, std::vector<uint8_t> &bytes);
  Attribute parseAttribute();
  Attribute parseList();
  void parseOpBody(Op &op);
  void parseOp(Graph &g);

  ValueId use(const Token &t) const;
  ValueId define(Graph &g, const Token &t, TensorType type);

  std::string_view text_;
  std::string_view source_;
  size_t pos_ = 0;
  int line_ = 1;
  int col_ = 1;
  Token tok_;
  std::unordered_map<std::string, ValueId> values_;
  std::vector<std::pair<int, int>> definedAt_; // line, col per value id
};

void Parser::skipSpaceAndComments() {
  while (!atEnd(pos_)) {
    char c = text_[pos_];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      bump();
    } else if (c == '/' && at(pos_ + 1) == '/') {
      while (!atEnd(pos_) && text_[pos_] != '\n') bump();
    } else {
      return;
    }
  }
}

std::string Parser::lexString() {
  int line = line_, col = col_;
  bump();
  std::string out;
  while (true) {
    if (atEnd(pos_) || text_[pos_] == '\n') failAt(line, col, "unterminated string");
    char c = text_[pos_];
    if (c == '"') {
      bump();
      return out;
    }
    if (c == '\\') {
      int escLine = line_, escCol = col_;
      bump();
      char e = at(pos_);
      if (e == 'n' || e == 't' || e == '"' || e == '\\') {
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        bump();
      } else if (e == 'x' && isHexDigit(at(pos_ + 1)) && isHexDigit(at(pos_ + 2))) {
        out += static_cast<char>(hexValue(at(pos_ + 1)) * 16 + hexValue(at(pos_ + 2)));
        bump(), bump(), bump();
      } else {
        failAt(escLine, escCol, "unknown escape sequence in string (use \\\" \\\\ \\n \\t \\xHH)");
      }
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t')
      failAt(line_, col_, "control character \\x{:02X} in string", static_cast<unsigned char>(c));
    out += c;
    bump();
  }
}

void Parser::lexNumber() {
  size_t start = pos_;
  bool real = false;
  if (at(pos_) == '-') bump();
  if (at(pos_) == '0' && at(pos_ + 1) == 'x' && pos_ == start) {
    bump(), bump();
    size_t digits = pos_;
    while (isHexDigit(at(pos_))) bump();
    tok_.kind = Tok::hex;
    tok_.text = std::string(text_.substr(digits, pos_ - digits));
    if (isIdentChar(at(pos_))) failAt(tok_, "malformed hex data");
    return;
  }
  while (isDigit(at(pos_))) bump();
  if (at(pos_) == '.') {
    real = true;
    bump();
    while (isDigit(at(pos_))) bump();
  }
  if (at(pos_) == 'e' || at(pos_) == 'E') {
    real = true;
    bump();
    if (at(pos_) == '+' || at(pos_) == '-') bump();
    if (!isDigit(at(pos_))) failAt(tok_, "malformed number");
    while (isDigit(at(pos_))) bump();
  }
  if (isIdentChar(at(pos_))) failAt(tok_, "malformed number");
  tok_.kind = real ? Tok::real : Tok::integer;
  tok_.text = std::string(text_.substr(start, pos_ - start));
}

void Parser::lex() {
  skipSpaceAndComments();
  tok_ = Token{Tok::end, {}, line_, col_};
  if (atEnd(pos_)) return;
  char c = text_[pos_];
  if (c == '%' || c == '@') {
    tok_.kind = c == '%' ? Tok::value : Tok::global;
    bump();
    if (at(pos_) == '"') {
      tok_.text = lexString();
    } else {
      size_t start = pos_;
      while (isBareNameChar(at(pos_))) bump();
      if (pos_ == start) failAt(tok_, "expected a name after '{}'", c);
      tok_.text = std::string(text_.substr(start, pos_ - start));
    }
  } else if (c == '"') {
    tok_.kind = Tok::string;
    tok_.text = lexString();
  } else if (c == '-' && at(pos_ + 1) == '>') {
    bump(), bump();
    tok_.kind = Tok::arrow;
    tok_.text = "->";
  } else if (c == '-' &&
             (text_.substr(pos_ + 1, 3) == "inf" || text_.substr(pos_ + 1, 3) == "nan") &&
             !isIdentChar(at(pos_ + 4))) {
    tok_.kind = Tok::real;
    tok_.text = std::string(text_.substr(pos_, 4));
    for (int i = 0; i < 4; ++i) bump();
  } else if (isDigit(c) || (c == '-' && isDigit(at(pos_ + 1)))) {
    lexNumber();
  } else if (isIdentStart(c)) {
    size_t start = pos_;
    while (isIdentChar(at(pos_))) bump();
    tok_.kind = Tok::ident;
    tok_.text = std::string(text_.substr(start, pos_ - start));
  } else if (c != '\0' && std::strchr("()[]{}<>,:=", c)) {
    tok_.kind = Tok::punct;
    tok_.text = std::string(1, c);
    bump();
  } else {
    failAt(tok_, "unexpected character '{}'", printable(std::string_view(&c, 1)));
  }
}

int64_t Parser::parseInt(std::string_view what) {
  if (tok_.kind != Tok::integer) expected(what);
  int64_t v = 0;
  const std::string &s = tok_.text;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size())
    failAt(tok_, "integer {} does not fit in 64 bits", s);
  take();
  return v;
}

double Parser::parseDouble(std::string_view what) {
  if (!isNumber()) expected(what);
  double v = 0;
  const std::string &s = tok_.text;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size())
    failAt(tok_, "number {} is out of range for f64", s);
  take();
  return v;
}

std::vector<double> Parser::parseDoubleList(std::string_view what) {
  std::vector<double> out;
  expectPunct('[');
  if (acceptPunct(']')) return out;
  do out.push_back(parseDouble(what));
  while (listContinues(']'));
  return out;
}

TensorType Parser::parseType() {
  if (tok_.kind != Tok::ident) expected("a type");
  Token start = tok_;
  std::optional<DType> dtype = parseDType(tok_.text);
  if (!dtype) failAt(tok_, "unknown element type '{}'", tok_.text);
  take();
  TensorType type(*dtype, {});
  expectPunct('[');
  if (!acceptPunct(']')) {
    do {
      if (tok_.kind == Tok::integer && tok_.text[0] == '-')
        failAt(tok_, "dimension {} is negative", tok_.text);
      type.shape.push_back(parseInt("a dimension"));
    } while (listContinues(']'));
  }
  try {
    checkedNumel(type.shape, "type");
  } catch (const Error &e) {
    failAt(start, "{}", e.what());
  }
  if (isKeyword("q")) type.quant = parseQuant(type);
  if (isKeyword("layout")) type.layout = parseLayout();
  return type;
}

QuantInfo Parser::parseQuant(const TensorType &type) {
  expectKeyword("q");
  expectPunct('(');
  if (tok_.kind != Tok::ident) expected("a quantization encoding (e.g. int8, uint2, bipolar1)");
  Token enc = take();
  size_t digits = enc.text.find_first_of("0123456789");
  std::string_view name = std::string_view(enc.text).substr(0, digits);
  QuantInfo q;
  if (name == "bipolar")
    q.encoding = QEncoding::bipolar;
  else if (name == "ternary")
    q.encoding = QEncoding::ternary;
  else if (name == "uint")
    q.encoding = QEncoding::uint;
  else if (name == "int")
    q.encoding = QEncoding::sint;
  else
    failAt(enc, "unknown quantization encoding '{}' (bipolar, ternary, uint or int)", name);
  std::string_view bits =
      digits == std::string::npos ? "" : std::string_view(enc.text).substr(digits);
  auto [ptr, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), q.bits);
  if (bits.empty() || ec != std::errc() || ptr != bits.data() + bits.size() || q.bits < 1 ||
      q.bits > 32)
    failAt(enc, "quantization '{}' needs a bit width from 1 to 32 after the encoding", enc.text);
  expectPunct(',');
  if (isKeyword("narrow")) {
    take();
    q.narrow = true;
    expectPunct(',');
  }
  if (isKeyword("axis")) {
    take();
    expectPunct('=');
    Token axisTok = tok_;
    int64_t axis = parseInt("an axis");
    if (axis < 0 || axis >= type.rank())
      failAt(axisTok, "quantization axis {} is out of range for rank {}", axis, type.rank());
    q.axis = static_cast<int>(axis);
    expectPunct(',');
  }
  expectKeyword("scale");
  expectPunct('=');
  q.scale = parseDoubleList("a scale");
  expectPunct(',');
  expectKeyword("zp");
  expectPunct('=');
  q.zeroPoint = parseDoubleList("a zero point");
  expectPunct(')');
  return q;
}

Layout Parser::parseLayout() {
  expectKeyword("layout");
  expectPunct('(');
  Layout layout;
  if (isKeyword("nchw"))
    layout.kind = LayoutKind::nchw;
  else if (isKeyword("nhwc"))
    layout.kind = LayoutKind::nhwc;
  else if (isKeyword("packed"))
    layout.kind = LayoutKind::packed;
  else
    expected("a layout (nchw, nhwc or packed)");
  take();
  if (layout.kind == LayoutKind::packed) {
    auto positive = [&](std::string_view key) {
      expectPunct(',');
      expectKeyword(key);
      expectPunct('=');
      Token t = tok_;
      int64_t v = parseInt("a positive integer");
      if (v < 1 || v > std::numeric_limits<int32_t>::max())
        failAt(t, "layout {} must be a positive 32-bit integer", key);
      return static_cast<int>(v);
    };
    layout.planes = positive("planes");
    layout.wordBits = positive("word");
  }
  expectPunct(')');
  return layout;
}

template <typename T> void Parser::parseElement(DType dtype, std::vector<uint8_t> &bytes) {
  T v{};
  const std::string &s = tok_.text;
  if constexpr (std::is_floating_point_v<T>) {
    if (!isNumber()) expected("a number");
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size())
      failAt(tok_, "value {} is out of range for {}", s, dtypeName(dtype));
  } else {
    if (tok_.kind != Tok::integer) expected(fmt::format("an integer ({})", dtypeName(dtype)));
    bool inRange = false;
    if (s[0] == '-') {
      int64_t n = 0;
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      inRange = ec == std::errc() && ptr == s.data() + s.size() && n >= dtypeMin(dtype);
      v = static_cast<T>(n);
    } else {
      uint64_t n = 0;
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      uint64_t max = dtype == DType::u64 ? std::numeric_limits<uint64_t>::max()
                                         : static_cast<uint64_t>(dtypeMax(dtype));
      inRange = ec == std::errc() && ptr == s.data() + s.size() && n <= max;
      v = static_cast<T>(n);
    }
    if (!inRange) failAt(tok_, "value {} is out of range for {}", s, dtypeName(dtype));
  }
  take();
  uint8_t raw[sizeof(T)];
  std::memcpy(raw, &v, sizeof(T));
  bytes.insert(bytes.end(), raw, raw + sizeof(T));
}

Tensor Parser::parseTensor() {
  Token start = expectKeyword("dense");
  expectPunct('<');
  TensorType type = parseType();
  int64_t numel = type.numel();
  auto needBytes = static_cast<uint64_t>(numel) * storageBytes(type.dtype);
  std::vector<uint8_t> bytes;
  if (tok_.kind == Tok::hex) {
    const std::string &digits = tok_.text;
    if (digits.size() % 2 != 0) failAt(tok_, "hex data has an odd number of digits");
    if (digits.size() / 2 != needBytes)
      failAt(tok_, "hex data has {} bytes, but {} needs {}", digits.size() / 2, typeString(type),
             needBytes);
    bytes.resize(needBytes);
    for (size_t i = 0; i < bytes.size(); ++i)
      bytes[i] = static_cast<uint8_t>(hexValue(digits[2 * i]) * 16 + hexValue(digits[2 * i + 1]));
    Token hex = take();
    // Sub-byte and bool elements occupy a whole byte; other byte values are not valid codes.
    DType dt = type.dtype;
    if (isInteger(dt) && static_cast<size_t>(bitWidth(dt)) < 8 * storageBytes(dt)) {
      for (size_t i = 0; i < bytes.size(); ++i) {
        int64_t v = isSigned(dt) ? static_cast<int8_t>(bytes[i]) : bytes[i];
        if (v < dtypeMin(dt) || v > dtypeMax(dt))
          failAt(hex, "element {} of the hex data is {}, out of range for {}", i, v, dtypeName(dt));
      }
    }
  } else if (isPunct('[')) {
    take();
    int64_t count = 0;
    if (!acceptPunct(']')) {
      do {
        if (count == numel)
          failAt(tok_, "more values than the {} elements of {}", numel, typeString(type));
        visitDType(type.dtype, [&]<typename T>(TypeTag<T>) { parseElement<T>(type.dtype, bytes); });
        ++count;
      } while (listContinues(']'));
    }
    if (count != numel)
      failAt(start, "tensor has {} values, but {} has {} elements", count, typeString(type), numel);
  } else {
    expected("'[' or hex data");
  }
  expectPunct('>');
  Tensor t;
  try {
    t = Tensor(type);
  } catch (const Error &e) {
    failAt(start, "{}", e.what());
  }
  if (!bytes.empty()) std::memcpy(t.bytes().data(), bytes.data(), bytes.size());
  return t;
}

Attribute Parser::parseList() {
  expectPunct('[');
  if (acceptPunct(']')) return std::vector<int64_t>{};
  if (tok_.kind == Tok::string) {
    std::vector<std::string> out;
    do {
      if (tok_.kind != Tok::string) expected("a string");
      out.push_back(take().text);
    } while (listContinues(']'));
    return out;
  }
  if (tok_.kind == Tok::integer) {
    std::vector<int64_t> out;
    do out.push_back(parseInt("an integer"));
    while (listContinues(']'));
    return out;
  }
  if (!isNumber()) expected("an integer, a float or a string");
  std::vector<double> out;
  do {
    if (tok_.kind == Tok::integer) expected("a float (with '.' or an exponent)");
    out.push_back(parseDouble("a float"));
  } while (listContinues(']'));
  return out;
}

Attribute Parser::parseAttribute() {
  if (tok_.kind == Tok::string) return take().text;
  if (isKeyword("dense")) return parseTensor();
  if (isPunct('[')) return parseList();
  if (tok_.kind == Tok::integer) return parseInt("an integer");
  if (isNumber()) return parseDouble("a float");
  expected("an attribute value");
}

ValueId Parser::use(const Token &t) const {
  auto it = values_.find(t.text);
  if (it == values_.end()) failAt(t, "use of undefined value {}", printValueName(t.text));
  return it->second;
}

ValueId Parser::define(Graph &g, const Token &t, TensorType type) {
  auto it = values_.find(t.text);
  if (it != values_.end()) {
    auto [line, col] = definedAt_[static_cast<size_t>(it->second)];
    failAt(t, "value {} is already defined at {}:{}", printValueName(t.text), line, col);
  }
  ValueId id = g.addValue(t.text, std::move(type));
  values_.emplace(t.text, id);
  definedAt_.emplace_back(t.line, t.col);
  return id;
}

void Parser::parseOpBody(Op &op) {
  if (tok_.kind == Tok::string) op.name = take().text;
  if (acceptPunct('(') && !acceptPunct(')')) {
    do {
      if (isKeyword("_")) {
        take();
        op.inputs.push_back(kNoValue);
      } else if (tok_.kind == Tok::value) {
        op.inputs.push_back(use(take()));
      } else {
        expected("an operand ('%name' or '_')");
      }
    } while (listContinues(')'));
  }
  if (isKeyword("dense")) op.attrs.emplace("value", parseTensor());
  if (acceptPunct('{') && !acceptPunct('}')) {
    do {
      if (tok_.kind != Tok::ident && tok_.kind != Tok::string) expected("an attribute name");
      Token name = take();
      expectPunct('=');
      if (!op.attrs.emplace(name.text, parseAttribute()).second)
        failAt(name, "attribute '{}' is given twice", printable(name.text));
    } while (listContinues('}'));
  }
}

void Parser::parseOp(Graph &g) {
  Op op;
  std::vector<Token> results;
  if (tok_.kind == Tok::string) {
    op.kind = take().text;
    parseOpBody(op);
    expectPunct(':');
    expectPunct('(');
    expectPunct(')');
    g.addOp(std::move(op));
    return;
  }
  do {
    if (tok_.kind != Tok::value) expected("a result name");
    results.push_back(take());
  } while (acceptPunct(','));
  expectPunct('=');
  if (tok_.kind != Tok::ident && tok_.kind != Tok::string) expected("an op kind");
  op.kind = take().text;
  parseOpBody(op);
  Token colon = expectPunct(':');
  std::vector<TensorType> types;
  do types.push_back(parseType());
  while (acceptPunct(','));
  if (types.size() != results.size())
    failAt(colon, "expected {} result types (one per result), found {}", results.size(),
           types.size());
  for (size_t i = 0; i < results.size(); ++i)
    op.outputs.push_back(define(g, results[i], std::move(types[i])));
  g.addOp(std::move(op));
}

Graph Parser::parse() {
  Graph g;
  expectKeyword("graph");
  if (tok_.kind != Tok::global) expected("a graph name ('@name')");
  g.name = take().text;
  expectPunct('(');
  if (!acceptPunct(')')) {
    do {
      if (tok_.kind != Tok::value) expected("an input name ('%name')");
      Token name = take();
      expectPunct(':');
      g.inputs.push_back(define(g, name, parseType()));
    } while (listContinues(')'));
  }
  if (tok_.kind != Tok::arrow) expected("'->'");
  take();
  std::vector<TensorType> signature;
  expectPunct('(');
  if (!acceptPunct(')')) {
    do signature.push_back(parseType());
    while (listContinues(')'));
  }
  expectPunct('{');
  while (!isKeyword("return")) {
    if (tok_.kind != Tok::value && tok_.kind != Tok::string) expected("an op or 'return'");
    parseOp(g);
  }
  Token ret = take();
  std::vector<Token> outputs;
  if (tok_.kind == Tok::value) {
    do {
      if (tok_.kind != Tok::value) expected("a value name");
      outputs.push_back(take());
      g.outputs.push_back(use(outputs.back()));
    } while (acceptPunct(','));
  }
  if (outputs.size() != signature.size())
    failAt(ret, "'return' has {} values, but the graph signature lists {} result types",
           outputs.size(), signature.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const TensorType &type = g.type(g.outputs[i]);
    if (!(type == signature[i]))
      failAt(outputs[i], "{} has type {}, but the graph signature says {}",
             printValueName(outputs[i].text), typeString(type), typeString(signature[i]));
  }
  expectPunct('}');
  if (tok_.kind != Tok::end) expected("end of input");
  return g;
}

} // namespace

Graph parseGraph(std::string_view text, std::string_view sourceName) {
  return Parser(text, sourceName).parse();
}

} // namespace qcc
