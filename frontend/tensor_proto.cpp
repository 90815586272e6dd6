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

std::string readExternal(const onnx::TensorProto &proto, const std::string &baseDir,
                         const std::string &what) {
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
  if (baseDir.empty()) fail("{}: external data is not allowed here", what);
  if (location.empty()) fail("{}: external data has no location", what);
  fs::path rel(location);
  if (rel.is_absolute())
    fail("{}: external data path '{}' is absolute; only files in the model's folder are read", what,
         location);
  for (const auto &part : rel)
    if (part == "..") fail("{}: external data path '{}' leaves the model's folder", what, location);
  std::error_code ec;
  fs::path base = fs::canonical(baseDir, ec);
  if (ec) fail("{}: cannot resolve the model's folder '{}'", what, baseDir);
  fs::path full = fs::canonical(base / rel, ec);
  if (ec) fail("{}: external data file '{}' not found", what, location);
  auto [mismatch, end] = std::mismatch(base.begin(), base.end(), full.begin(), full.end());
  if (mismatch != base.end())
    fail("{}: external data path '{}' leaves the model's folder", what, location);
  if (offset < 0 || length < -1) fail("{}: external data has a negative offset or length", what);
  std::ifstream in(full, std::ios::binary);
  if (!in) fail("{}: cannot open external data file '{}'", what, location);
  in.seekg(0, std::ios::end);
  auto size = static_cast<int64_t>(in.tellg());
  if (length == -1) length = size - offset;
  if (offset > size || length > size - offset)
    fail("{}: external data range [{}, +{}) is outside file '{}' of {} bytes", what, offset, length,
         location, size);
  std::string bytes(static_cast<size_t>(length), '\0');
  in.seekg(offset);
  in.read(bytes.data(), length);
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

Tensor tensorFromProto(const onnx::TensorProto &proto, const std::string &baseDir,
                       const std::string &what) {
  DType dtype = dtypeFromOnnx(proto.data_type(), what);
  Shape shape(proto.dims().begin(), proto.dims().end());
  for (int64_t d : shape)
    if (d < 0) fail("{}: negative dimension in shape {}", what, shapeString(shape));
  int64_t n = checkedNumel(shape, what);
  if (proto.has_segment()) fail("{}: segmented tensors are not supported", what);

  std::string external;
  const std::string *raw = nullptr;
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    external = readExternal(proto, baseDir, what);
    raw = &external;
  } else if (proto.has_raw_data()) {
    raw = &proto.raw_data();
  }

  int per = elementsPerByte(dtype);
  if (raw) {
    auto expected = per > 1 ? static_cast<size_t>((n + per - 1) / per)
                            : static_cast<size_t>(n) * storageBytes(dtype);
    if (raw->size() != expected)
      fail("{}: has {} bytes of data, its shape {} needs {}", what, raw->size(), shapeString(shape),
           expected);
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

  auto need = [&](int64_t have, int64_t units) {
    if (have != units)
      fail("{}: has {} data values, its shape {} needs {}", what, have, shapeString(shape), units);
  };
  switch (dtype) {
  case DType::f32:
    need(proto.float_data_size(), n);
    for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = proto.float_data(static_cast<int>(i));
    break;
  case DType::f64:
    need(proto.double_data_size(), n);
    for (int64_t i = 0; i < n; ++i) t.data<double>()[i] = proto.double_data(static_cast<int>(i));
    break;
  case DType::i64:
    need(proto.int64_data_size(), n);
    for (int64_t i = 0; i < n; ++i) t.setInt(i, proto.int64_data(static_cast<int>(i)));
    break;
  case DType::u32:
  case DType::u64:
    need(proto.uint64_data_size(), n);
    for (int64_t i = 0; i < n; ++i)
      visitDType(dtype, [&]<typename T>(TypeTag<T>) {
        t.data<T>()[i] = static_cast<T>(proto.uint64_data(static_cast<int>(i)));
      });
    break;
  default:
    if (per > 1) {
      need(proto.int32_data_size(), (n + per - 1) / per);
      for (int64_t i = 0; i < n; ++i)
        t.setInt(i, unpackField(static_cast<uint32_t>(proto.int32_data(static_cast<int>(i / per))),
                                static_cast<int>(i % per), dtype));
    } else {
      need(proto.int32_data_size(), n);
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
  return frontend::tensorFromProto(proto, "", path);
}

} // namespace qcc
