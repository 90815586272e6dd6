# Embedding (issue #8, docs/embedding.md): the bare-metal Cortex-M4 firmware under QEMU, the
# footprint `qcc report --target` prints against binutils' size, and a project built against
# the installed CMake package. Included from tests/cli/CMakeLists.txt.
set(QCC_EMBEDDING_WORK ${CMAKE_CURRENT_BINARY_DIR}/embedding)
set(QCC_EMBEDDING_DIGITS ${PROJECT_SOURCE_DIR}/examples/digits)

qcc_cli_test(report_target_needs_lowered 2 stderr "--target: the footprint is computed at the lowered level"
             report ${QCC_EMBEDDING_DIGITS}/digits_w1a1.onnx --target=cortex-m4 --level=import)
qcc_cli_test(report_bad_target 2 stderr "--target: unknown target 'pdp11'"
             report ${QCC_EMBEDDING_DIGITS}/digits_w1a1.onnx --target=pdp11)

find_program(QCC_ARM_NONE_EABI_GCC arm-none-eabi-gcc)
find_program(QCC_ARM_NONE_EABI_SIZE arm-none-eabi-size)
find_program(QCC_QEMU_SYSTEM_ARM qemu-system-arm)
find_program(QCC_MAKE make)
find_program(QCC_SIZE size)

if(QCC_ARM_NONE_EABI_GCC AND QCC_QEMU_SYSTEM_ARM AND QCC_MAKE)
  add_test(NAME embedding.firmware_cortex_m4
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/firmware_test.py
                   --qcc $<TARGET_FILE:qcc> --source ${PROJECT_SOURCE_DIR}/examples/firmware
                   --model ${QCC_EMBEDDING_DIGITS}/digits_w1a1.onnx
                   --images ${QCC_EMBEDDING_DIGITS}/test_x.npy --count 8
                   --work ${QCC_EMBEDDING_WORK}/firmware)
endif()

# The report's footprint equals size(1) on the compiled object, for bare-metal and host targets.
function(qcc_footprint_test name model target size_tool)
  add_test(NAME embedding.footprint.${name}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/footprint_check.py
                   $<TARGET_FILE:qcc> ${model} ${target} ${size_tool}
                   ${QCC_EMBEDDING_WORK}/footprint/${name})
  set_tests_properties(embedding.footprint.${name} PROPERTIES SKIP_RETURN_CODE 4)
endfunction()
if(QCC_ARM_NONE_EABI_SIZE)
  qcc_footprint_test(TFC_1W1A.cortex-m4 ${QCC_CORPUS_DIR}/qonnx/TFC_1W1A.onnx cortex-m4
                     ${QCC_ARM_NONE_EABI_SIZE})
  qcc_footprint_test(digits_float.cortex-m7 ${QCC_EMBEDDING_DIGITS}/digits_float.onnx cortex-m7
                     ${QCC_ARM_NONE_EABI_SIZE})
endif()
if(QCC_SIZE)
  qcc_footprint_test(digits_w2a2.x86_64 ${QCC_EMBEDDING_DIGITS}/digits_w2a2.onnx x86_64
                     ${QCC_SIZE})
endif()

add_test(NAME embedding.cmake_consumer
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/consumer_test.py
                 --build ${PROJECT_BINARY_DIR} --source ${PROJECT_SOURCE_DIR}/examples/cmake-consumer
                 --model ${QCC_EMBEDDING_DIGITS}/digits_w1a1.onnx
                 --images ${QCC_EMBEDDING_DIGITS}/test_x.npy --generator ${CMAKE_GENERATOR}
                 --work ${QCC_EMBEDDING_WORK}/consumer)
