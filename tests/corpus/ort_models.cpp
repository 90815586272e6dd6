#include "tests/corpus/ort_models.h"

#include "frontend/onnx_import.h"

namespace qcc::corpus {

namespace {

// A QDQ model's float output after a float Conv: onnxruntime sums the products in another order,
// so a conv result within a rounding error of a quantization boundary can land on the other
// side, and the output (or an intermediate that feeds it) is one step apart. `steps` is the sum
// of the quantization steps of the dequantized values the output adds together; `maxOff` allows
// about 0.1% of the elements (0.5% for the deeper model), which the data measured so far
// (1 of 43264 elements; 228 and 14 of 100352) stays well within. Systematic errors (truncating
// instead of rounding, a wrong scale or zero point) move far more elements, or by more than the
// steps, and fail; tie-breaking is checked exactly by the onnx-node tests.
Tolerance qdqSteps(double steps, int64_t maxOff) {
  return {.rtol = 1e-5,
          .atol = 1e-6,
          .offBy = steps * 1.001,
          .maxOff = maxOff,
          .reason = "float Conv summation order moves a value across a quantization boundary"};
}

} // namespace

// Input ranges cover each input quantizer's representable range and a little beyond (to
// exercise saturation). Scales that are model inputs get small positive values: random
// negative scales would not be meaningful.
const std::vector<OrtModel> &ortModels() {
  static const std::vector<OrtModel> models = {
      {"ort-testdata/attention_past_state.u8s8.onnx",
       {{"batch", 1},
        {"seq_len", 3},
        {"past_sequence_length", 2},
        {"present_sequence_length", 5},
        {"C", 2304}},
       {{"input", 0, 255},
        {"weight", -128, 127},
        {"bias", -1, 1},
        {"input_scale", 0.01, 0.02},
        {"weight_scale", 0.001, 0.002},
        {"input_zero_point", 100, 150},
        {"weight_zero_point", -5, 5},
        {"past", -1, 1}},
       {}},
      // Output scale 0.0784 (uint8); 180 output elements.
      {"ort-testdata/conv.int4_weights.qdq.onnx",
       {},
       {{"input_0", -0.1, 1.1}},
       {qdqSteps(0.0784313753247261, 1)}},
      // Input scale 1.077 (int8 zero point -13, uint8 115): about [-124, 151]. Output scale
      // 1.635; 43264 output elements.
      {"ort-testdata/conv_qdq_s8s8.onnx",
       {{"batch_size", 2}},
       {{"input", -140, 160}},
       {qdqSteps(1.634668231010437, 43)}},
      {"ort-testdata/conv_qdq_s8s8_perchannel.onnx",
       {{"batch_size", 2}},
       {{"input", -140, 160}},
       {qdqSteps(1.634668231010437, 43)}},
      {"ort-testdata/conv_qdq_u8u8.onnx",
       {{"batch_size", 2}},
       {{"input", -140, 160}},
       {qdqSteps(1.634668231010437, 43)}},
      {"ort-testdata/dynamic_quantize_matmul_int8.onnx",
       {{"M", 4}, {"K", 32}, {"N", 8}, {"C", 8}},
       {{"A", -2, 2}, {"B", -128, 127}, {"b_scale", 0.01, 0.05}, {"b_zero_point", -8, 8}},
       {}},
      {"ort-testdata/dynamic_quantize_matmul_int8_bias.onnx",
       {{"M", 4}, {"K", 32}, {"N", 8}, {"C", 8}},
       {{"A", -2, 2}, {"B", -128, 127}, {"b_scale", 0.01, 0.05}, {"bias", -1, 1}},
       {}},
      {"ort-testdata/dynamic_quantize_matmul_uint8.onnx",
       {{"M", 4}, {"K", 32}, {"N", 8}, {"C", 8}},
       {{"A", -2, 2}, {"B", 0, 255}, {"b_scale", 0.01, 0.05}, {"b_zero_point", 120, 136}},
       {}},
      {"ort-testdata/matmul_integer_to_float_int8.onnx",
       {{"M", 4}, {"K", 32}, {"N", 8}, {"C", 8}},
       {{"A", 0, 255},
        {"B", -128, 127},
        {"a_scale", 0.01, 0.05},
        {"b_scale", 0.01, 0.05},
        {"a_zero_point", 120, 136},
        {"b_zero_point", -8, 8}},
       {}},
      {"ort-testdata/matmul_integer_to_float_int8_int8.onnx",
       {{"M", 4}, {"K", 32}, {"N", 8}, {"C", 8}},
       {{"A", -128, 127},
        {"B", -128, 127},
        {"a_scale", 0.01, 0.05},
        {"b_scale", 0.01, 0.05},
        {"a_zero_point", -8, 8},
        {"b_zero_point", -8, 8}},
       {}},
      {"ort-testdata/matmul_integer_to_float_uint8.onnx",
       {{"M", 4}, {"K", 32}, {"N", 8}, {"C", 8}},
       {{"A", 0, 255},
        {"B", 0, 255},
        {"a_scale", 0.01, 0.05},
        {"b_scale", 0.01, 0.05},
        {"a_zero_point", 120, 136},
        {"b_zero_point", 120, 136}},
       {}},
      // Scale 256, zero point 0, uint8: codes 0..255 cover [0, 65280].
      {"ort-testdata/nnapi_internal_uint8_support.onnx", {}, {{"X", -1000, 70000}}, {}},
      // Input quantizer: scale 0.377, zero point 120 (uint8): [-45.3, 50.9]. Four QDQ Convs
      // deep; output 0 adds values of steps 0.336 and 0.372, output 1 has step 0.372; 100352
      // elements each.
      {"ort-testdata/qdq_with_multi_consumer_dq_nodes.onnx",
       {},
       {{"MobilenetEdgeTPU/expanded_conv_1/project/BatchNorm/FusedBatchNormV3", -50, 55}},
       {qdqSteps(0.33645421266555786 + 0.37177735567092896, 500),
        qdqSteps(0.37177735567092896, 500)}},
      // Scale 0.0078 around 128 (uint16): [-1.0, 513]; the interesting part is near 0.
      {"ort-testdata/transform/fusion/constant_folding_dequantizelinear.qdq16.onnx",
       {},
       {{"input", -1.2, 4}},
       {}},
      {"ort-testdata/transform/fusion/matmul_integer_to_float.onnx",
       {},
       {{"input", -2, 2}, {"b_quantized_2", 0, 255}, {"b_zp_2", 120, 136}, {"b_scale_2", 0.5, 2}},
       {}},
      // Weights and scale 256: inputs above 1 saturate every output at 255.
      {"ort-testdata/transform/qdq_conv.onnx", {}, {{"X_0", 0, 1}}, {}},
  };
  return models;
}

Graph importOrtModel(const OrtModel &model) {
  ImportOptions options;
  options.dims = model.dims;
  return importOnnxFile(corpusPath(model.path), options);
}

} // namespace qcc::corpus
