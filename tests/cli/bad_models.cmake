# Malformed and hostile models: one clear `qcc: error:` line naming the file (and node), exit
# code 1, no crash. The models are written at test time by make_bad_models.py.
set(BAD ${CMAKE_CURRENT_BINARY_DIR}/bad)
add_test(NAME cli.bad_models.generate
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/make_bad_models.py ${BAD})
set_tests_properties(cli.bad_models.generate PROPERTIES FIXTURES_SETUP bad_models)

function(qcc_bad_model_test name pattern)
  qcc_cli_test(bad_models.${name} 1 stderr "^qcc: error: ${BAD}/${name}.onnx: ${pattern}"
               inspect ${BAD}/${name}.onnx ${ARGN})
  set_tests_properties(cli.bad_models.${name} PROPERTIES FIXTURES_REQUIRED bad_models)
endfunction()

qcc_bad_model_test(unsupported_op "node 'Fancy_1' \\(FancyOp, ai.onnx v13\\): operator is not supported")
qcc_bad_model_test(bad_attribute "node 'Conv_7' \\(Conv, ai.onnx v13\\): attribute 'auto_pad'=WEIRD not supported")
qcc_bad_model_test(truncated "not a valid ONNX model")
qcc_bad_model_test(empty "the file is empty")
qcc_bad_model_test(external_escape "initializer 'b': external data path '../secret.bin' leaves the model's folder")
qcc_bad_model_test(external_absolute "initializer 'b': external data path '/etc/passwd' is absolute")
qcc_bad_model_test(negative_dim "initializer 'b': negative dimension")
qcc_bad_model_test(huge_dims "graph input 'h' shape \\[2147483648,2147483648\\] has more than 2\\^40 elements")
qcc_bad_model_test(wrong_byte_length "initializer 'b': has 12 bytes of data, its shape \\[4\\] needs 16")
qcc_bad_model_test(cycle "the graph has a cycle")
qcc_bad_model_test(missing_initializer "node 'Add_0' \\(Add, ai.onnx v13\\): operand 'b' is not defined")
qcc_bad_model_test(duplicate_initializer "initializer 'b' is defined twice")
qcc_bad_model_test(float8_input "graph input 'f': element type FLOAT8E4M3FN \\(17\\) is not supported")
qcc_bad_model_test(symbolic_dim "graph input 's' has symbolic dimension 'batch'.*pin it with --dim batch=N")

qcc_cli_test(bad_models.bind_not_an_input 1 stderr "--bind names 'nope', which is not a graph input"
             inspect ${BAD}/relu.onnx --bind nope=${BAD}/x.npy)
qcc_cli_test(bad_models.bind_wrong_type 1 stderr "bound value for graph input 'x' is f64\\[1,4\\]"
             inspect ${BAD}/relu.onnx --bind x=${BAD}/x_f64.npy)
set_tests_properties(cli.bad_models.bind_not_an_input cli.bad_models.bind_wrong_type
                     PROPERTIES FIXTURES_REQUIRED bad_models)

# A failed run leaves no output file behind.
add_test(NAME cli.bad_models.run_leaves_no_output
         COMMAND bash -c "rm -f '${BAD}/out.npy'; ! '$<TARGET_FILE:qcc>' run '${BAD}/relu.onnx' --input '${BAD}/x_f64.npy' --output '${BAD}/out.npy' && test ! -e '${BAD}/out.npy'")
set_tests_properties(cli.bad_models.run_leaves_no_output PROPERTIES FIXTURES_REQUIRED bad_models)
add_test(NAME cli.bad_models.run_writes_output
         COMMAND bash -c "rm -f '${BAD}/ok.npy'; '$<TARGET_FILE:qcc>' run '${BAD}/relu.onnx' --input '${BAD}/x.npy' --output '${BAD}/ok.npy' && test -s '${BAD}/ok.npy'")
set_tests_properties(cli.bad_models.run_writes_output PROPERTIES FIXTURES_REQUIRED bad_models)
