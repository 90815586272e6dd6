#include "frontend/onnx_import.h"
#include "ir/error.h"

#include <catch2/catch.hpp>

using namespace qcc;

TEST_CASE("corrupt and empty model files give one clear error", "[frontend]") {
  CHECK_THROWS_WITH(importOnnxBytes("", "empty.onnx", ""),
                    Catch::Equals("empty.onnx: the file is empty"));
  CHECK_THROWS_WITH(importOnnxBytes("\xff\xff\xff\xff garbage", "bad.onnx", ""),
                    Catch::Contains("bad.onnx: not a valid ONNX model"));
  // A valid protobuf message with no graph (field 1 = ir_version 7).
  CHECK_THROWS_WITH(importOnnxBytes(std::string("\x08\x07", 2), "nograph.onnx", ""),
                    Catch::Contains("nograph.onnx: the file has no graph"));
  CHECK_THROWS_WITH(importOnnxFile("/nonexistent/m.onnx"), Catch::Contains("no such file"));
}
