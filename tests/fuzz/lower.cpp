// Fuzz target: a (mutated) ONNX model imported and taken through the pass pipeline to the
// lowered level, verified after every pass by the pass manager and once more at the end.
#include "ir/error.h"
#include "ir/verifier.h"
#include "passes/pipeline.h"
#include "tests/fuzz/fuzz_common.h"

// Values of at most 1 MiB keep one run of the pipeline under a second with the sanitizers (the
// 4 MiB activations of espcn_nnresize_quant take streamline 20 s there; the corpus tests cover
// that model), so the fuzzer spends its time on mutated models.
constexpr int64_t kMaxTensorBytes = int64_t{1} << 20;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  qcc::fuzz::silenceWarnings();
  try {
    qcc::Graph graph = qcc::importOnnxBytes(qcc::fuzz::bytesOf(data, size), "fuzz.onnx", "",
                                            qcc::fuzz::importOptions(kMaxTensorBytes));
    qcc::PassOptions options;
    options.target = "x86_64";
    qcc::PassManager pm;
    qcc::addPipeline(pm, qcc::kLoweredLevel, options);
    pm.run(graph, qcc::kImportLevel);
    qcc::verify(graph, qcc::kLoweredLevel);
  } catch (const qcc::Error &) {
  }
  return 0;
}
