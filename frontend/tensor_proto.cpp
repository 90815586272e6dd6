// ONNX TensorProto -> IR tensors, including external data confined to the model's folder.
#include "frontend/import_context.h"
#include "frontend/onnx_import.h"
#include "ir/error.h"

#include <filesystem>
#include <fstream>

namespace qcc::frontend {
namespace {

namespace fs = std::filesystem;

std::string_view onnxTypeName(int32_t t) {
  switch (t) {
  case onnx::TensorProto::STRING:
    return "STRING";
  case onnx::TensorProto::FLOAT16:
    return "FLOAT16";
  case onnx::TensorProto::BFLOAT16:
    return "BFLOAT16";
  case onnx::TensorProto::COMPLEX64:
    return "COMPLEX64";
  case onnx::TensorProto::COMPLEX128:
    return "COMPLEX128";
  case 17:
    return "FLOAT8E4M3FN";
  case 18:
    return "FLOAT8E4M3FNUZ";
  case 19:
    return "FLOAT8E5M2";
  case 20:
    return "FLOAT8E5M2FNUZ";
  case 23:
    return "FLOAT4E2M1";
  case 24:
    return "FLOAT8E8M0";
  default:
    return "UNDEFINED";
  }
}

// Elements per storage unit for packed sub-byte types (2 per byte for 4-bit, 4 for 2-bit).
int elementsPerByte(DType t) {
  switch (t) {
  case DType::i4:
  case DType::u4:
    return 2;
  case DType::i2:
  case DType::u2:
    return 4;
  default:
    return 1;
  }
}

// Sign- or zero-extends a packed sub-byte field.
int64_t unpackField(uint64_t word, int index, DType t) {
  int bits = bitWidth(t);
  auto raw = static_cast<int64_t>((word >> (index * bits)) & ((1u << bits) - 1));
  if (isSigned(t) && raw >= (int64_t{1} << (bits - 1))) raw -= int64_t{1} << bits;
  return raw;
}

// The `expected` bytes of external data, read only from inside the model's folder and within the
// model-size limit (checked before reading).
std::string readExternal(const onnx::TensorProto &proto, TensorSource &source,
                         const std::string &what, int64_t expected) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &kv : proto.external_data()) {
    try {
      if (kv.key() == "location")
        location = kv.value();
      else if (kv.key() == "offset")
        offset = std::stoll(kv.value());
      else if (kv.key() == "length")
        length = std::stoll(kv.value());
    } catch (const std::exception &) {
      fail("{}: external data field '{}' has a bad value '{}'", what, kv.key(), kv.value());
    }
  }
  if (source.baseDir.empty()) fail("{}: external data is not allowed here", what);
  if (location.empty()) fail("{}: external data has no location", what);
  fs::path rel(location);
  if (rel.is_absolute())
    fail("{}: external data path '{}' is absolute; only files in the model's folder are read", what,
         location);
  for (const auto &part : rel)
    if (part == "..") fail("{}: external data path '{}' leaves the model's folder", what, location);
  std::error_code ec;
  fs::path base = fs::canonical(source.baseDir, ec);
  if (ec) fail("{}: cannot resolve the model's folder '{}'", what, source.baseDir);
  fs::path full = fs::canonical(base / rel, ec);
  if (ec) fail("{}: external data file '{}' not found", what, location);
  // Symbolic links are resolved first, so a link pointing out of the folder is refused too.
  auto [mismatch, end] = std::mismatch(base.begin(), base.end(), full.begin(), full.end());
  if (mismatch != base.end())
    fail("{}: external data path '{}' leaves the model's folder", what, location);
  if (!fs::is_regular_file(full, ec))
    fail("{}: external data path '{}' is not a regular file", what, location);
  if (offset < 0 || length < -1) fail("{}: external data has a negative offset or length", what);
  auto size = static_cast<int64_t>(fs::file_size(full, ec));
  if (ec) fail("{}: cannot read external data file '{}'", what, location);
  if (length == -1) length = offset <= size ? size - offset : 0;
  if (offset > size || length > size - offset)
    fail("{}: external data range [{}, +{}) is outside file '{}' of {} bytes", what, offset, length,
         location, size);
  if (length != expected)
    fail("{}: has {} bytes of external data, its shape needs {}", what, length, expected);
  if (length > source.limits.maxModelBytes - source.bytesRead)
    fail("{}: external data takes the model over the {}-byte limit (--max-model-bytes)", what,
         source.limits.maxModelBytes);
  std::ifstream in(full, std::ios::binary);
  if (!in) fail("{}: cannot open external data file '{}'", what, location);
  std::string bytes(static_cast<size_t>(length), '\0');
  in.seekg(offset);
  if (!in.read(bytes.data(), length))
    fail("{}: cannot read external data file '{}'", what, location);
  source.bytesRead += length;
  return bytes;
}

} // namespace

DType dtypeFromOnnx(int32_t t, const std::string &what) {
  switch (t) {
  case onnx::TensorProto::FLOAT:
    return DType::f32;
  case onnx::TensorProto::DOUBLE:
    return DType::f64;
  case onnx::TensorProto::UINT8:
    return DType::u8;
  case onnx::TensorProto::INT8:
    return DType::i8;
  case onnx::TensorProto::UINT16:
    return DType::u16;
  case onnx::TensorProto::INT16:
    return DType::i16;
  case onnx::TensorProto::INT32:
    return DType::i32;
  case onnx::TensorProto::UINT32:
    return DType::u32;
  case onnx::TensorProto::INT64:
    return DType::i64;
  case onnx::TensorProto::UINT64:
    return DType::u64;
  case onnx::TensorProto::BOOL:
    return DType::boolean;
  case 21:
    return DType::u4;
  case 22:
    return DType::i4;
  case 25:
    return DType::u2;
  case 26:
    return DType::i2;
  default:
    break;
  }
  fail("{}: element type {} ({}) is not supported", what, onnxTypeName(t), t);
}

void checkTensorSize(const TensorType &type, const ImportLimits &limits, const std::string &what) {
  int64_t bytes = checkedNumel(type.shape, what) * static_cast<int64_t>(storageBytes(type.dtype));
  if (bytes > limits.maxTensorBytes)
    fail("{}: {} needs {} bytes, more than the {}-byte limit (--max-tensor-bytes)", what,
         typeString(type), bytes, limits.maxTensorBytes);
}

Tensor tensorFromProto(const onnx::TensorProto &proto, TensorSource &source,
                       const std::string &what) {
  DType dtype = dtypeFromOnnx(proto.data_type(), what);
  Shape shape(proto.dims().begin(), proto.dims().end());
  for (int64_t d : shape)
    if (d < 0) fail("{}: negative dimension in shape {}", what, shapeString(shape));
  int64_t n = checkedNumel(shape, what);
  checkTensorSize(TensorType(dtype, shape), source.limits, what);
  if (proto.has_segment()) fail("{}: segmented tensors are not supported", what);

  int per = elementsPerByte(dtype);
  auto expected = per > 1 ? (n + per - 1) / per : n * static_cast<int64_t>(storageBytes(dtype));
  std::string external;
  const std::string *raw = nullptr;
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    external = readExternal(proto, source, what, expected);
    raw = &external;
  } else if (proto.has_raw_data()) {
    raw = &proto.raw_data();
  }

  if (raw && raw->size() != static_cast<size_t>(expected))
    fail("{}: has {} bytes of data, its shape {} needs {}", what, raw->size(), shapeString(shape),
         expected);
  if (!raw) {
    // The typed field holding the data and how many entries it must have, checked before the
    // tensor is allocated.
    int64_t have = 0, units = n;
    const char *field = "int32_data";
    switch (dtype) {
    case DType::f32:
      have = proto.float_data_size(), field = "float_data";
      break;
    case DType::f64:
      have = proto.double_data_size(), field = "double_data";
      break;
    case DType::i64:
      have = proto.int64_data_size(), field = "int64_data";
      break;
    case DType::u32:
    case DType::u64:
      have = proto.uint64_data_size(), field = "uint64_data";
      break;
    default:
      have = proto.int32_data_size();
      units = (n + per - 1) / per;
      break;
    }
    if (have != units)
      fail("{}: has {} data values ({}), its shape {} needs {}", what, have, field,
           shapeString(shape), units);
  }
  Tensor t(dtype, shape);
  if (raw) {
    if (per == 1) {
      std::copy(raw->begin(), raw->end(), reinterpret_cast<char *>(t.bytes().data()));
    } else {
      for (int64_t i = 0; i < n; ++i)
        t.setInt(i, unpackField(static_cast<uint8_t>((*raw)[static_cast<size_t>(i / per)]),
                                static_cast<int>(i % per), dtype));
    }
    return t;
  }

  switch (dtype) {
  case DType::f32:
    for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = proto.float_data(static_cast<int>(i));
    break;
  case DType::f64:
    for (int64_t i = 0; i < n; ++i) t.data<double>()[i] = proto.double_data(static_cast<int>(i));
    break;
  case DType::i64:
    for (int64_t i = 0; i < n; ++i) t.setInt(i, proto.int64_data(static_cast<int>(i)));
    break;
  case DType::u32:
  case DType::u64:
    for (int64_t i = 0; i < n; ++i)
      visitDType(dtype, [&]<typename T>(TypeTag<T>) {
        t.data<T>()[i] = static_cast<T>(proto.uint64_data(static_cast<int>(i)));
      });
    break;
  default:
    if (per > 1) {
      for (int64_t i = 0; i < n; ++i)
        t.setInt(i, unpackField(static_cast<uint32_t>(proto.int32_data(static_cast<int>(i / per))),
                                static_cast<int>(i % per), dtype));
    } else {
      for (int64_t i = 0; i < n; ++i) t.setInt(i, proto.int32_data(static_cast<int>(i)));
    }
    break;
  }
  return t;
}

} // namespace qcc::frontend

namespace qcc {

Tensor readTensorProtoFile(const std::string &path, std::string *name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open file", path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) fail("{}: not a valid ONNX TensorProto", path);
  if (name) *name = proto.name();
  frontend::TensorSource source;
  source.bytesRead = static_cast<int64_t>(bytes.size());
  return frontend::tensorFromProto(proto, source, path);
}

} // namespace qcc
