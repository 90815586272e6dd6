#include "ir/npy.h"

#include "ir/error.h"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fmt/ranges.h>
#include <fstream>

namespace qcc {
namespace {

struct NpyType {
  std::string_view descr;
  DType dtype;
};

constexpr NpyType kTypes[] = {
    {"<f4", DType::f32}, {"<f8", DType::f64}, {"|i1", DType::i8},      {"|u1", DType::u8},
    {"<i2", DType::i16}, {"<u2", DType::u16}, {"<i4", DType::i32},     {"<u4", DType::u32},
    {"<i8", DType::i64}, {"<u8", DType::u64}, {"|b1", DType::boolean},
};

// Value of `key` in the header dict, e.g. "'<f4'" for 'descr'.
std::string_view field(std::string_view header, std::string_view key, const std::string &src) {
  std::string quoted = fmt::format("'{}'", key);
  size_t at = header.find(quoted);
  if (at == std::string_view::npos) fail("{}: .npy header has no '{}'", src, key);
  size_t colon = header.find(':', at + quoted.size());
  if (colon == std::string_view::npos) fail("{}: malformed .npy header", src);
  size_t start = header.find_first_not_of(' ', colon + 1);
  if (start == std::string_view::npos) fail("{}: malformed .npy header", src);
  size_t end =
      header[start] == '(' ? header.find(')', start) + 1 : header.find_first_of(",}", start);
  if (end == std::string_view::npos || end == 0) fail("{}: malformed .npy header", src);
  return header.substr(start, end - start);
}

Shape parseShape(std::string_view text, const std::string &src) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')')
    fail("{}: malformed shape {} in .npy header", src, text);
  Shape shape;
  std::string_view body = text.substr(1, text.size() - 2);
  while (!body.empty()) {
    size_t skip = body.find_first_not_of(", ");
    if (skip == std::string_view::npos) break;
    body.remove_prefix(skip);
    int64_t d = 0;
    auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), d);
    if (ec != std::errc() || d < 0) fail("{}: malformed shape {} in .npy header", src, text);
    shape.push_back(d);
    body.remove_prefix(static_cast<size_t>(ptr - body.data()));
  }
  return shape;
}

} // namespace

Tensor parseNpy(std::string_view bytes, const std::string &src) {
  if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY") fail("{}: not a .npy file", src);
  auto major = static_cast<uint8_t>(bytes[6]);
  size_t headerLen = 0, offset = 0;
  if (major == 1) {
    headerLen =
        static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail("{}: truncated .npy header", src);
    for (int i = 0; i < 4; ++i)
      headerLen |= static_cast<size_t>(static_cast<uint8_t>(bytes[8 + static_cast<size_t>(i)]))
                   << (8 * i);
    offset = 12;
  } else {
    fail("{}: unsupported .npy version {}", src, major);
  }
  if (bytes.size() < offset + headerLen) fail("{}: truncated .npy header", src);
  std::string_view header = bytes.substr(offset, headerLen);
  std::string_view descr = field(header, "descr", src);
  std::string_view fortran = field(header, "fortran_order", src);
  Shape shape = parseShape(field(header, "shape", src), src);
  if (fortran != "False") fail("{}: Fortran-order .npy arrays are not supported", src);
  if (descr.size() < 2) fail("{}: malformed dtype in .npy header", src);
  std::string_view d = descr.substr(1, descr.size() - 2);
  const NpyType *type = nullptr;
  for (const NpyType &t : kTypes)
    if (t.descr == d ||
        (t.descr[0] == '<' && d.size() == 3 && d[0] == '=' && d.substr(1) == t.descr.substr(1)))
      type = &t;
  if (!type) fail("{}: .npy element type '{}' is not supported", src, d);
  // The data must be all there before the tensor is allocated: a header may claim any shape.
  uint64_t needed = static_cast<uint64_t>(checkedNumel(shape, src)) * storageBytes(type->dtype);
  std::string_view data = bytes.substr(offset + headerLen);
  if (data.size() != needed)
    fail("{}: .npy data has {} bytes, shape {} of {} needs {}", src, data.size(),
         shapeString(shape), d, needed);
  Tensor t(type->dtype, shape);
  std::copy(data.begin(), data.end(), reinterpret_cast<char *>(t.bytes().data()));
  return t;
}

Tensor readNpy(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open file", path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parseNpy(bytes, path);
}

std::string serializeNpy(const Tensor &tensor) {
  DType dtype = tensor.dtype();
  const NpyType *type = nullptr;
  for (const NpyType &t : kTypes)
    if (t.dtype == dtype) type = &t;
  if (!type) fail("cannot write a tensor of element type {} as .npy", dtypeName(dtype));
  const Shape &dims = tensor.shape();
  std::string shape =
      dims.size() == 1 ? fmt::format("({},)", dims[0]) : fmt::format("({})", fmt::join(dims, ", "));
  std::string header =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", type->descr, shape);
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  auto bytes = tensor.bytes();
  out.append(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  return out;
}

void writeNpy(const std::string &path, const Tensor &tensor) {
  std::string bytes = serializeNpy(tensor);
  std::string tmp = path + ".qcc-tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail("{}: cannot create file", path);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
      std::remove(tmp.c_str());
      fail("{}: write failed", path);
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    fail("{}: cannot write file: {}", path, ec.message());
  }
}

} // namespace qcc
