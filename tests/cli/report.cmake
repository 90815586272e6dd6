# qcc report (docs/report.md): usage errors, the table of the digits example (MACs computed by
# hand: conv1 1*16*8*8 outputs * 1*3*3, conv2 32*8*8 * 16*3*3, fc 10 * 512), and on every example
# and corpus model valid, deterministic JSON whose arena is within 5% of the liveness lower bound
# (issue #4). Included from tests/cli/CMakeLists.txt.
set(QCC_DIGITS ${PROJECT_SOURCE_DIR}/examples/digits)
qcc_cli_test(report_help 0 stdout "usage: qcc report MODEL.onnx" report --help)
qcc_cli_test(report_bad_format 2 stderr "--format: unknown format 'xml'" report x.onnx --format=xml)
qcc_cli_test(report_bad_level 2 stderr "--level: unknown level 'fast'" report x.onnx --level=fast)
qcc_cli_test(report_missing_file 1 stderr "^qcc: error: no-such.onnx: no such file"
             report no-such.onnx --level=import)
qcc_cli_test(report_digits_conv1 0 stdout " conv1 +conv +- +f32\\[1,1,8,8\\],f32\\[16,1,3,3\\] +f32\\[1,16,8,8\\] +f32 x f32 +9216 +9437184 "
             report ${QCC_DIGITS}/digits_w1a1.onnx --level=import)
qcc_cli_test(report_digits_conv2 0 stdout " conv2 +conv +- .* +294912 +301989888 "
             report ${QCC_DIGITS}/digits_w1a1.onnx --level=import)
qcc_cli_test(report_digits_totals 0 stdout "^totals over 13 layers: 309248 MACs, 316669952 BOPs$"
             report ${QCC_DIGITS}/digits_w1a1.onnx --level=import)
qcc_cli_test(report_digits_arena 0 stdout "^arena: [0-9]+ bytes, liveness lower bound [0-9]+ bytes \\(\\+[0-9.]+%\\)$"
             report ${QCC_DIGITS}/digits_w1a1.onnx --level=import)

# The levels the JSON and arena checks run at: every level.
set(QCC_REPORT_LEVELS import quantized lowered)
find_package(Python3 REQUIRED COMPONENTS Interpreter)
function(qcc_report_check name model)
  foreach(level ${QCC_REPORT_LEVELS})
    add_test(NAME cli.report_json.${level}.${name}
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/report_check.py
                     $<TARGET_FILE:qcc> ${model} --level=${level} ${ARGN})
    set_tests_properties(cli.report_json.${level}.${name} PROPERTIES SKIP_RETURN_CODE 4)
  endforeach()
endfunction()

foreach(model digits_float digits_ternary digits_w1a1 digits_w2a2)
  qcc_report_check(${model} ${QCC_DIGITS}/${model}.onnx)
endforeach()

set(QCC_QONNX ${QCC_CORPUS_DIR}/qonnx)
foreach(model TFC_1W1A TFC_1W2A TFC_2W2A eltwise_chanlast_testcase espcn_nnresize_quant
              finn_tfc_w1a1_streamlined fp8_floatquant_gemm hls4ml_bnn_fc_1layer
              qkeras_test_qactivation_13 qkeras_test_qactivation_3 qkeras_test_qconv2d_12
              qkeras_test_qconv2d_conversion)
  qcc_report_check(${model} ${QCC_QONNX}/${model}.onnx)
endforeach()

# The TFC and example models run every MAC on popcount kernels once lowered (issue #4).
foreach(model digits_ternary digits_w1a1 digits_w2a2)
  add_test(NAME cli.report_kernels.${model}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/report_check.py
                   $<TARGET_FILE:qcc> ${QCC_DIGITS}/${model}.onnx --level=lowered
                   --kernels=binary,ternary,bitserial)
endforeach()
foreach(model TFC_1W1A TFC_1W2A TFC_2W2A finn_tfc_w1a1_streamlined)
  add_test(NAME cli.report_kernels.${model}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/report_check.py
                   $<TARGET_FILE:qcc> ${QCC_QONNX}/${model}.onnx --level=lowered
                   --kernels=binary,ternary,bitserial)
  set_tests_properties(cli.report_kernels.${model} PROPERTIES SKIP_RETURN_CODE 4)
endforeach()

# Symbolic dimensions pinned as in tests/corpus/ort_models.cpp.
set(QCC_ORT ${QCC_CORPUS_DIR}/ort-testdata)
qcc_report_check(attention_past_state.u8s8 ${QCC_ORT}/attention_past_state.u8s8.onnx
                 --dim batch=1 --dim seq_len=3 --dim past_sequence_length=2
                 --dim present_sequence_length=5 --dim C=2304)
foreach(model conv_qdq_s8s8 conv_qdq_s8s8_perchannel conv_qdq_u8u8)
  qcc_report_check(${model} ${QCC_ORT}/${model}.onnx --dim batch_size=2)
endforeach()
foreach(model dynamic_quantize_matmul_int8 dynamic_quantize_matmul_int8_bias
              dynamic_quantize_matmul_uint8 matmul_integer_to_float_int8
              matmul_integer_to_float_int8_int8 matmul_integer_to_float_uint8)
  qcc_report_check(${model} ${QCC_ORT}/${model}.onnx --dim M=4 --dim K=32 --dim N=8 --dim C=8)
endforeach()
foreach(model conv.int4_weights.qdq nnapi_internal_uint8_support qdq_with_multi_consumer_dq_nodes
              transform/qdq_conv transform/fusion/constant_folding_dequantizelinear.qdq16
              transform/fusion/matmul_integer_to_float)
  string(REPLACE "/" "." name ${model})
  qcc_report_check(${name} ${QCC_ORT}/${model}.onnx)
endforeach()
