# The pass-pipeline flags of qcc (--level, --dump-after, --print-pipeline, --strict) and qcc-opt's
# --passes: exit codes and messages. Included from tests/cli/CMakeLists.txt.
set(DIGITS ${PROJECT_SOURCE_DIR}/examples/digits/digits_w1a1.onnx)
set(CANON_QIR ${PROJECT_SOURCE_DIR}/tests/lit/passes/canonicalize.qir)

function(qcc_opt_cli_test name code stream pattern)
  add_test(NAME cli.${name}
           COMMAND ${EXPECT} ${code} ${stream} ${pattern} -- $<TARGET_FILE:qcc-opt> ${ARGN})
endfunction()

# --print-pipeline needs no model and prints one pass per line.
qcc_cli_test(print_pipeline_quantized 0 stdout "^qdq_to_quantized$"
             inspect --print-pipeline --level=quantized)
qcc_cli_test(print_pipeline_lowered 0 stdout "^plan_memory$" inspect --print-pipeline --level lowered)
qcc_cli_test(print_pipeline_run 0 stdout "^fold_batchnorm$" run --print-pipeline --level=quantized)
qcc_cli_test(print_pipeline_bad_level 2 stderr "unknown level 'final'"
             inspect --print-pipeline --level=final)
qcc_cli_test(inspect_level_import 0 stdout "^graph @digits_w1a1" inspect ${DIGITS} --level=import)
qcc_cli_test(inspect_bad_level 2 stderr
             "--level: unknown level 'final' \\(available: import, quantized, lowered\\)"
             inspect ${DIGITS} --level=final)
qcc_cli_test(run_bad_level 2 stderr "--level: unknown level 'final'" run ${DIGITS} --level=final)
qcc_cli_test(run_missing_model 2 stderr "'qcc run' needs MODEL.onnx" run --level=quantized)
# --dump-after must name a pass of the chosen pipeline; checked before the model is read.
qcc_cli_test(dump_after_unknown 2 stderr
             "--dump-after: no pass named 'nope' in the quantized pipeline \\(canonicalize, "
             inspect no-such.onnx --level=quantized --dump-after=nope)
qcc_cli_test(dump_after_import 2 stderr "--dump-after: the import level runs no passes"
             inspect ${DIGITS} --dump-after=canonicalize)
qcc_cli_test(run_dump_after_unknown 2 stderr "no pass named 'streamlin' in the lowered pipeline"
             run no-such.onnx --level=lowered --dump-after=streamlin)
qcc_cli_test(strict_takes_no_value 2 stderr "option '--strict' takes no value"
             inspect ${DIGITS} --strict=yes)

qcc_opt_cli_test(opt_passes 0 stdout "%row = constant \"row\"" ${CANON_QIR} --passes=canonicalize)
qcc_opt_cli_test(opt_unknown_pass 1 stderr
                 "^qcc-opt: error: no pass named 'nope' \\(known passes: .*canonicalize"
                 ${CANON_QIR} --passes=canonicalize,nope)
qcc_opt_cli_test(opt_empty_pass 2 stderr "--passes: empty pass name in 'canonicalize,'"
                 ${CANON_QIR} --passes=canonicalize,)
qcc_opt_cli_test(opt_passes_no_value 2 stderr "option '--passes' needs a value" --passes)
qcc_cli_test(time_passes 0 stderr "^  select_kernels +[0-9.]+ ms$"
             inspect ${DIGITS} --level=lowered --time-passes)
