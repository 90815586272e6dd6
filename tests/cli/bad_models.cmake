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

# Issue #9's hostile set through `qcc compile`: exit code 1, one error line naming what and
# where, no output file, bounded memory (hostile_check.py).
function(qcc_hostile_test name model pattern)
  add_test(NAME cli.hostile.${name}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/hostile_check.py
                   --work ${BAD}/out/${name} --pattern "${pattern}"
                   -- $<TARGET_FILE:qcc> compile ${BAD}/${model} ${ARGN})
  set_tests_properties(cli.hostile.${name} PROPERTIES FIXTURES_REQUIRED bad_models)
endfunction()

qcc_hostile_test(dims_2_62 dims_2_62.onnx
                 "initializer 'b' shape \\[4611686018427387904\\] has more than 2\\^40 elements")
qcc_hostile_test(input_dims_2_62 input_dims_2_62.onnx
                 "graph input 'h' shape \\[4611686018427387904,1\\] has more than 2\\^40 elements")
qcc_hostile_test(negative_dim negative_dim.onnx "initializer 'b': negative dimension in shape \\[-4\\]")
qcc_hostile_test(negative_input_dim negative_input_dim.onnx
                 "graph input 'x' has a negative dimension -3")
qcc_hostile_test(billion_node_header billion_node_header.onnx "not a valid ONNX model")
qcc_hostile_test(billion_byte_node billion_byte_node.onnx "not a valid ONNX model")
qcc_hostile_test(max_nodes many_nodes.onnx
                 "the graph has 2000 nodes, more than the limit of 1000 \\(--max-nodes\\)"
                 --max-nodes=1000)
qcc_hostile_test(max_tensor_bytes huge_constant.onnx
                 "node 'Fill' \\(ConstantOfShape, ai.onnx v13\\): f32\\[65536,65536\\] needs 17179869184 bytes, more than the 1073741824-byte limit \\(--max-tensor-bytes\\)")
qcc_hostile_test(max_model_bytes many_nodes.onnx
                 "the model is [0-9]+ bytes, more than the limit of 1024 \\(--max-model-bytes\\)"
                 --max-model-bytes=1K)
qcc_hostile_test(cycle cycle.onnx "the graph has a cycle; node 'A' \\(Add\\) depends on it")
qcc_hostile_test(self_cycle self_cycle.onnx "the graph has a cycle; node 'Loop' \\(Add\\)")
qcc_hostile_test(external_passwd external_absolute.onnx
                 "initializer 'b': external data path '/etc/passwd' is absolute")
qcc_hostile_test(external_parent external_escape.onnx
                 "initializer 'b': external data path '../secret.bin' leaves the model's folder")
qcc_hostile_test(external_symlink ext/external_symlink.onnx
                 "initializer 'b': external data path 'link.bin' leaves the model's folder")
qcc_hostile_test(external_symlink_passwd ext/external_symlink_passwd.onnx
                 "initializer 'b': external data path 'passwd.bin' leaves the model's folder")
qcc_hostile_test(external_short ext/external_short.onnx
                 "initializer 'b': has 12 bytes of external data, its shape needs 16")
qcc_hostile_test(wrong_byte_length wrong_byte_length.onnx
                 "initializer 'b': has 12 bytes of data, its shape \\[4\\] needs 16")
qcc_hostile_test(wrong_value_count wrong_value_count.onnx
                 "initializer 'b': has 3 data values \\(float_data\\), its shape \\[4\\] needs 4")
qcc_hostile_test(duplicate_initializer duplicate_initializer.onnx "initializer 'b' is defined twice")
qcc_hostile_test(duplicate_input duplicate_input.onnx "graph input 'x' is listed twice")
qcc_hostile_test(duplicate_output duplicate_output.onnx
                 "node 'R2' \\(Relu, ai.onnx v13\\): output 'y' is defined twice")
qcc_hostile_test(missing_initializer missing_initializer.onnx
                 "node 'Add_0' \\(Add, ai.onnx v13\\): operand 'b' is not defined")
qcc_hostile_test(missing_output missing_output.onnx "graph output 'y' is not computed by any node")

qcc_cli_test(bad_models.bad_limit 2 stderr
             "--max-tensor-bytes expects a positive integer with an optional K, M or G suffix, got '12X'"
             inspect ${BAD}/relu.onnx --max-tensor-bytes=12X)
# A .npy header claiming 6.8 GB of data in a 17-byte body: refused before allocating.
qcc_cli_test(bad_models.npy_huge_shape 1 stderr
             "\\.npy data has 17 bytes, shape \\[1,1699999999\\] of <f4 needs 6799999996"
             run ${BAD}/relu.onnx --output ${BAD}/npy_huge_shape.npy
             --input ${PROJECT_SOURCE_DIR}/tests/fuzz/regressions/npy/oom-huge-shape-before-data-check.npy)
set_tests_properties(cli.bad_models.npy_huge_shape PROPERTIES FIXTURES_REQUIRED bad_models)
