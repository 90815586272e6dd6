# qcc compile / verify / run --engine=jit (docs/codegen.md): usage errors, the C harness that
# links a compiled library through its header alone (tests/codegen/harness.c), deterministic
# output, no partial output on errors, and interpreter-vs-compiled checks of the examples.
# Included from tests/cli/CMakeLists.txt.
set(QCC_DIGITS ${PROJECT_SOURCE_DIR}/examples/digits)
set(QCC_COMPILE_TEST ${PROJECT_SOURCE_DIR}/tests/codegen/compile_test.py)
set(QCC_COMPILE_WORK ${CMAKE_CURRENT_BINARY_DIR}/compile)
find_package(Python3 REQUIRED COMPONENTS Interpreter)

qcc_cli_test(compile_help 0 stdout "usage: qcc compile MODEL.onnx" compile --help)
qcc_cli_test(verify_help 0 stdout "usage: qcc verify MODEL.onnx" verify --help)
qcc_cli_test(compile_missing_model 2 stderr "'qcc compile' needs MODEL.onnx" compile -o libx.a)
qcc_cli_test(compile_bad_target 2 stderr
             "--target: unknown target 'pdp11' \\(available: x86_64, x86_64-v3, x86_64-v4, native, aarch64, aarch64-dotprod, cortex-m4, cortex-m7, cortex-a53, cortex-a76\\)"
             compile ${QCC_DIGITS}/digits_w1a1.onnx --target=pdp11)
qcc_cli_test(compile_bad_emit 2 stderr "--emit: unknown output 'exe'"
             compile ${QCC_DIGITS}/digits_w1a1.onnx --emit=lib,exe)
qcc_cli_test(compile_bad_threads 2 stderr "--threads expects an integer from 1 to 1024, got '0'"
             compile ${QCC_DIGITS}/digits_w1a1.onnx --threads=0)
qcc_cli_test(compile_bad_threads_text 2 stderr "--threads expects an integer from 1 to 1024, got '2x'"
             compile ${QCC_DIGITS}/digits_w1a1.onnx --threads=2x)
qcc_cli_test(compile_bad_split_min_bops 2 stderr
             "--split-min-bops expects an integer from 0 to [0-9]+, got '-1'"
             compile ${QCC_DIGITS}/digits_w1a1.onnx --threads=2 --split-min-bops=-1)
qcc_cli_test(compile_threads_target_list 2 stderr
             "--threads: a library for a list of targets has no parallel entry point"
             compile ${QCC_DIGITS}/digits_w1a1.onnx --threads=2 --target=x86_64,x86_64-v3)
qcc_cli_test(compile_dump_after_unknown 2 stderr "--dump-after: no pass named 'nope' in the lowered pipeline"
             compile no-such.onnx --dump-after=nope)
qcc_cli_test(compile_missing_file 1 stderr "^qcc: error: no-such.onnx: no such file"
             compile no-such.onnx -o ${QCC_COMPILE_WORK}/libnone.a)
qcc_cli_test(compile_dump_after 0 stdout "^// IR after pass 'fuse'"
             compile ${QCC_DIGITS}/digits_w1a1.onnx --dump-after=fuse --emit=header
             -o ${QCC_COMPILE_WORK}/dump/libdigits.a)
qcc_cli_test(verify_bad_seed 2 stderr "--seed expects a non-negative integer, got 'x'"
             verify ${QCC_DIGITS}/digits_w1a1.onnx --seed=x)
qcc_cli_test(verify_wrong_input_count 2 stderr "the model has 1 inputs, 2 --input given"
             verify ${QCC_DIGITS}/digits_w1a1.onnx --input a.npy --input b.npy)
qcc_cli_test(run_jit_bad_dump_after 2 stderr "no pass named 'nope' in the lowered pipeline"
             run no-such.onnx --engine=jit --dump-after=nope)
file(MAKE_DIRECTORY ${QCC_COMPILE_WORK}/dump)

foreach(model digits_float digits_ternary digits_w1a1 digits_w2a2)
  qcc_cli_test(verify_${model} 0 stdout "^verify: [0-9]+ ops, .* matches the interpreter$"
               verify ${QCC_DIGITS}/${model}.onnx)
  qcc_cli_test(verify_${model}_seed7 0 stdout "matches the interpreter$"
               verify ${QCC_DIGITS}/${model}.onnx --seed=7)
endforeach()

# The harness, built with the sanitizers the suite runs under.
set(QCC_HARNESS_CFLAGS "")
if(QCC_SANITIZE)
  list(JOIN QCC_SANITIZE "," _qcc_harness_san)
  set(QCC_HARNESS_CFLAGS "-fsanitize=${_qcc_harness_san} -fno-sanitize-recover=all")
endif()
function(qcc_compile_test name mode model)
  add_test(NAME compile.${name}
           COMMAND ${Python3_EXECUTABLE} ${QCC_COMPILE_TEST} ${mode} --qcc $<TARGET_FILE:qcc>
                   --model ${model} --work ${QCC_COMPILE_WORK}/${name} ${ARGN})
endfunction()

foreach(model digits_float digits_ternary digits_w1a1 digits_w2a2)
  qcc_compile_test(harness.${model} harness ${QCC_DIGITS}/${model}.onnx
                   --images ${QCC_DIGITS}/test_x.npy --count 24 --cflags=${QCC_HARNESS_CFLAGS})
endforeach()

# The parallel entry point (--threads) on pools of runtime/qcc_thread_pool.h, every layer that
# can be sliced split (--split-min-bops=0).
foreach(model digits_ternary digits_w1a1 digits_w2a2)
  qcc_compile_test(harness_threads.${model} harness ${QCC_DIGITS}/${model}.onnx --threads 2
                   --images ${QCC_DIGITS}/test_x.npy --count 8 --cflags=${QCC_HARNESS_CFLAGS})
endforeach()
qcc_compile_test(harness_threads3.digits_w1a1 harness ${QCC_DIGITS}/digits_w1a1.onnx --threads 3
                 --images ${QCC_DIGITS}/test_x.npy --count 4 --cflags=${QCC_HARNESS_CFLAGS})

# AArch64 libraries linked statically and run under user-mode emulation, when the tools exist.
find_program(QCC_AARCH64_CC aarch64-linux-gnu-gcc)
find_program(QCC_QEMU_AARCH64 qemu-aarch64-static)
if(QCC_AARCH64_CC AND QCC_QEMU_AARCH64)
  foreach(model digits_ternary digits_w1a1 digits_w2a2)
    qcc_compile_test(harness_aarch64.${model} harness ${QCC_DIGITS}/${model}.onnx
                     --target aarch64 --cc ${QCC_AARCH64_CC} --cflags=-static
                     --runner "${QCC_QEMU_AARCH64} -cpu cortex-a53"
                     --images ${QCC_DIGITS}/test_x.npy --count 8)
    qcc_compile_test(harness_aarch64_dotprod.${model} harness ${QCC_DIGITS}/${model}.onnx
                     --target aarch64-dotprod --cc ${QCC_AARCH64_CC} --cflags=-static
                     --runner "${QCC_QEMU_AARCH64} -cpu cortex-a76"
                     --images ${QCC_DIGITS}/test_x.npy --count 8)
  endforeach()
endif()

# A library for several x86 targets (start-up dispatch): on this host, and under emulated CPUs
# where the higher targets' code would trap (Nehalem: no AVX2; Haswell: no AVX-512), which
# shows the dispatch picks only what the CPU has.
qcc_compile_test(harness_multi_isa.digits_w2a2 harness ${QCC_DIGITS}/digits_w2a2.onnx
                 --target x86_64,x86_64-v3,x86_64-v4 --images ${QCC_DIGITS}/test_x.npy --count 8
                 --cflags=${QCC_HARNESS_CFLAGS})
find_program(QCC_QEMU_X86_64 qemu-x86_64-static)
if(QCC_QEMU_X86_64)
  qcc_compile_test(harness_multi_isa_nehalem.digits_w1a1 harness ${QCC_DIGITS}/digits_w1a1.onnx
                   --target x86_64,x86_64-v3,x86_64-v4 --cflags=-static
                   --runner "${QCC_QEMU_X86_64} -cpu Nehalem"
                   --images ${QCC_DIGITS}/test_x.npy --count 4)
  qcc_compile_test(harness_multi_isa_haswell.digits_w1a1 harness ${QCC_DIGITS}/digits_w1a1.onnx
                   --target x86_64-v3,x86_64-v4 --cflags=-static
                   --runner "${QCC_QEMU_X86_64} -cpu Haswell"
                   --images ${QCC_DIGITS}/test_x.npy --count 4)
endif()
qcc_cli_test(compile_target_list_not_x86 2 stderr
             "--target: target 'aarch64' cannot be part of a list: a library dispatches among x86_64 targets only"
             compile ${QCC_DIGITS}/digits_w1a1.onnx --target=x86_64,aarch64)
qcc_cli_test(compile_target_list_twice 2 stderr "--target: target 'x86_64-v3' is listed twice"
             compile ${QCC_DIGITS}/digits_w1a1.onnx --target=x86_64-v3,x86_64,x86_64-v3)

foreach(target x86_64 x86_64-v3 x86_64-v4 native aarch64 aarch64-dotprod x86_64,x86_64-v3,x86_64-v4)
  string(REPLACE "," "+" _qcc_target_label "${target}")
  qcc_compile_test(deterministic.${_qcc_target_label} deterministic ${QCC_DIGITS}/digits_w2a2.onnx
                   --target ${target})
endforeach()
qcc_compile_test(no_partial_output no-partial ${QCC_DIGITS}/digits_w1a1.onnx)


# examples/digits/app.c, as the README's main job builds and runs it.
add_test(NAME cli.example_app
         COMMAND ${PROJECT_SOURCE_DIR}/tests/cli/example_app.sh $<TARGET_FILE:qcc>
                 ${PROJECT_SOURCE_DIR} ${QCC_COMPILE_WORK}/example_app)

# The generated code under valgrind's memcheck (issue #9): the harness runs images through two
# example libraries (binary and 2-bit bit-serial kernels); an invalid access, a read of
# uninitialised memory or a leak fails the run (exit code 99). The harness is built without
# sanitizers here, so this also runs in the sanitizer configuration.
find_program(QCC_VALGRIND valgrind)
if(QCC_VALGRIND)
  foreach(model digits_w1a1 digits_w2a2)
    qcc_compile_test(valgrind.${model} harness ${QCC_DIGITS}/${model}.onnx --target x86_64
                     --runner "${QCC_VALGRIND} --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all"
                     --images ${QCC_DIGITS}/test_x.npy --count 4)
  endforeach()
endif()
