// The onnxruntime test models of the corpus (ort-testdata/, see its MANIFEST.tsv): the sizes
// chosen for their symbolic dimensions, the range of each input, and how closely qcc's
// interpreter must match onnxruntime on them.
#pragma once

#include "tests/corpus/harness.h"

namespace qcc::corpus {

struct InputRange {
  std::string name;
  double lo, hi; // [lo, hi) for floats, [lo, hi] for integers
};

struct OrtModel {
  std::string path; // relative to the corpus folder
  std::map<std::string, int64_t> dims;
  std::vector<InputRange> inputs;
  // One per output; empty: the default Tolerance for every output.
  std::vector<Tolerance> tolerances;
};

const std::vector<OrtModel> &ortModels();

// The model imported with its symbolic dimensions set.
Graph importOrtModel(const OrtModel &model);

} // namespace qcc::corpus
