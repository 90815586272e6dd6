// The text IR round trip on the qonnx and ort-testdata models that import (the onnx-node models
// are in onnx_node_test.cpp, which knows how to load them): print(parse(print(g))) == print(g).
#include "frontend/onnx_import.h"
#include "tests/corpus/harness.h"
#include "tests/corpus/ort_models.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

using namespace qcc;
using namespace qcc::corpus;

TEST_CASE("qonnx text IR round trip", "[qonnx][text]") {
  std::vector<std::filesystem::path> models;
  for (const auto &entry : std::filesystem::directory_iterator(corpusPath("qonnx")))
    if (entry.path().extension() == ".onnx") models.push_back(entry.path());
  std::sort(models.begin(), models.end());
  RoundTripTally tally;
  for (const auto &model : models)
    roundTrip(tally, model.filename().string(), [&] { return importOnnxFile(model.string()); });
  report(tally);
}

TEST_CASE("ort-testdata text IR round trip", "[ort][text]") {
  RoundTripTally tally;
  for (const OrtModel &m : ortModels()) roundTrip(tally, m.path, [&] { return importOrtModel(m); });
  report(tally);
}
