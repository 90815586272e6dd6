# --bits (docs/bitwidths.md): usage errors, errors, and the float digits model and a generated
# float network quantized under each budget kind, compiled and checked against the interpreter
# with `qcc verify`. Included from tests/cli/CMakeLists.txt.
set(QCC_DIGITS ${PROJECT_SOURCE_DIR}/examples/digits)
set(QCC_FLOAT ${QCC_DIGITS}/digits_float.onnx)
set(QCC_CALIB --calib=${QCC_DIGITS}/calib_x.npy)

qcc_cli_test(bits_needs_calib 2 stderr "--bits needs calibration inputs: --calib=F.npy"
             compile ${QCC_FLOAT} --bits=4/4)
qcc_cli_test(bits_auto_needs_budget 2 stderr "--bits=auto needs exactly one of --budget-bits"
             compile ${QCC_FLOAT} --bits=auto ${QCC_CALIB})
qcc_cli_test(bits_two_budgets 2 stderr "--bits=auto needs exactly one of"
             compile ${QCC_FLOAT} --bits=auto ${QCC_CALIB} --budget-bits=4 --budget-bops=1e6)
qcc_cli_test(bits_budget_without_auto 2 stderr "a --budget-\\* flag needs --bits=auto"
             compile ${QCC_FLOAT} --bits=4/4 ${QCC_CALIB} --budget-bits=4)
qcc_cli_test(bits_calib_without_bits 2 stderr "--calib is only used with --bits"
             compile ${QCC_FLOAT} ${QCC_CALIB})
qcc_cli_test(bits_bad_spec 2 stderr "--bits: '5/5' is not auto, W/A or LAYER:W/A"
             compile ${QCC_FLOAT} --bits=5/5 ${QCC_CALIB})
qcc_cli_test(bits_bad_budget 2 stderr "--budget-bits expects a positive number, got '-1'"
             compile ${QCC_FLOAT} --bits=auto ${QCC_CALIB} --budget-bits=-1)
qcc_cli_test(bits_bad_keep 2 stderr "--keep-first-last expects 1, T, 2, 3, 4 or 8, got '16'"
             compile ${QCC_FLOAT} --bits=auto ${QCC_CALIB} --budget-bits=4 --keep-first-last=16)
qcc_cli_test(bits_unknown_layer 1 stderr
             "^qcc: error: --bits: the model has no quantizable layer named 'conv9' \\(its layers: conv1, conv2, fc\\)"
             compile ${QCC_FLOAT} --bits=conv9:2/2 ${QCC_CALIB})
qcc_cli_test(bits_calib_dtype 1 stderr
             "^qcc: error: --calib: the array holds i64 values, the model's input 'input' is f32"
             compile ${QCC_FLOAT} --bits=4/4 --calib=${QCC_DIGITS}/test_y.npy)
qcc_cli_test(bits_nothing_fits 1 stderr
             "^qcc: error: --budget-bits=0.5: no allocation fits: the cheapest one \\(bits of all weights\\) costs 9872, the budget is 4936"
             compile ${QCC_FLOAT} --bits=auto ${QCC_CALIB} --budget-bits=0.5)
qcc_cli_test(bits_no_latency_table 1 stderr
             "^qcc: error: --budget-latency: no measured kernel throughput for target 'aarch64'"
             compile ${QCC_FLOAT} --bits=auto ${QCC_CALIB} --budget-latency=1 --target=aarch64)
qcc_cli_test(bits_already_quantized 1 stderr "^qcc: error: --bits: the model has no float conv"
             compile ${QCC_DIGITS}/digits_w2a2.onnx --bits=4/4 ${QCC_CALIB})
# Forced layers and --keep-first-last are what the report shows.
qcc_cli_test(bits_forced_layers 0 stdout "^  conv2 +2/4 bitserial "
             report ${QCC_FLOAT} --bits=4/4,conv2:2/4 ${QCC_CALIB})
qcc_cli_test(bits_keep_first_last 0 stdout "^  fc +8/8 int8 "
             report ${QCC_FLOAT} --bits=auto --budget-bits=5 --keep-first-last=8 ${QCC_CALIB})

# Every budget kind on the digits model and on a generated float network, compiled and
# verified; the report's JSON shows the budget kept.
add_test(NAME cli.bits.generate
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/make_float_net.py
                 ${CMAKE_CURRENT_BINARY_DIR}/bits 20261123)
set_tests_properties(cli.bits.generate PROPERTIES FIXTURES_SETUP float_net)
qcc_cli_test(bits_calib_shape 1 stderr
             "^qcc: error: --calib: an array of shape \\[24,3,12,12\\] does not fit the model's input 'input' of shape \\[1,1,8,8\\]"
             compile ${QCC_FLOAT} --bits=4/4 --calib=${CMAKE_CURRENT_BINARY_DIR}/bits/float_net_calib.npy)
set_tests_properties(cli.bits_calib_shape PROPERTIES FIXTURES_REQUIRED float_net)
foreach(budget bits=2 bops=1000000 latency=0.5)
  string(REGEX REPLACE "=.*" "" kind ${budget})
  add_test(NAME cli.bits.digits.${kind}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/bits_check.py $<TARGET_FILE:qcc>
                   ${QCC_FLOAT} ${QCC_DIGITS}/calib_x.npy --budget-${budget} $<$<STREQUAL:${kind},bits>:--html>)
endforeach()
foreach(budget bits=3 bops=150000 latency=0.4)
  string(REGEX REPLACE "=.*" "" kind ${budget})
  add_test(NAME cli.bits.float_net.${kind}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/bits_check.py $<TARGET_FILE:qcc>
                   ${CMAKE_CURRENT_BINARY_DIR}/bits/float_net.onnx
                   ${CMAKE_CURRENT_BINARY_DIR}/bits/float_net_calib.npy --budget-${budget})
  set_tests_properties(cli.bits.float_net.${kind} PROPERTIES FIXTURES_REQUIRED float_net)
endforeach()
# An int8 QDQ model is taken back to float and quantized again.
add_test(NAME cli.bits.qdq_net.bits
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/bits_check.py $<TARGET_FILE:qcc>
                 ${CMAKE_CURRENT_BINARY_DIR}/bits/qdq_net.onnx
                 ${CMAKE_CURRENT_BINARY_DIR}/bits/float_net_calib.npy --budget-bits=3)
set_tests_properties(cli.bits.qdq_net.bits PROPERTIES FIXTURES_REQUIRED float_net)
