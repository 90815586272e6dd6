# The instructions of a compiled binary convolution (issue #5): `qcc compile` of the digits
# example (whose lowered graph has a binary_conv) for a target, disassembled with llvm-objdump;
# the kernel function of the binary_conv op must contain a loop (a backward branch and the code
# between its target and itself) holding the target's popcount instructions: vpopcntq on
# x86-64-v4, cnt with uadalp (or udot) on AArch64.
#
# Included from tests/cli/CMakeLists.txt (needs qcc_cli_test's target `qcc`); each test runs
# this same file as a script (cmake -P) with the target and the required instructions.

if(CMAKE_SCRIPT_MODE_FILE)
  # Script mode: QCC, OBJDUMP, MODEL, TARGET, REQUIRED (groups separated by ',', alternatives
  # within a group by '|'), WORK_DIR.
  if(NOT OBJDUMP)
    message("kernel_asm: skipped: llvm-objdump not found")
    return()
  endif()
  file(REMOVE_RECURSE ${WORK_DIR})
  file(MAKE_DIRECTORY ${WORK_DIR})
  execute_process(COMMAND ${QCC} compile ${MODEL} --target=${TARGET} --emit=obj
                          -o ${WORK_DIR}/libkasm.a
                  RESULT_VARIABLE status ERROR_VARIABLE errors)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "qcc compile --target=${TARGET} failed (${status}): ${errors}")
  endif()
  execute_process(COMMAND ${OBJDUMP} -d --no-show-raw-insn ${WORK_DIR}/kasm.o
                  OUTPUT_FILE ${WORK_DIR}/kasm.dis RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${OBJDUMP} failed on ${WORK_DIR}/kasm.o")
  endif()
  file(STRINGS ${WORK_DIR}/kasm.dis lines)

  # Instructions (address, mnemonic) of the binary_conv kernel and its backward branches.
  set(addresses)
  set(mnemonics)
  set(loops)
  set(inside OFF)
  set(found OFF)
  foreach(line IN LISTS lines)
    if(line MATCHES "^[0-9a-f]+ <([^>]*)>:$")
      set(symbol ${CMAKE_MATCH_1})
      set(inside OFF)
      if(symbol MATCHES "^kasm_op[0-9]+_binary_conv$")
        set(inside ON)
        set(found ON)
        set(function ${symbol})
      endif()
    elseif(inside AND line MATCHES "^ *([0-9a-f]+):[ \t]+([a-z][a-z0-9.]*)")
      math(EXPR address "0x${CMAKE_MATCH_1}")
      set(mnemonic ${CMAKE_MATCH_2})
      list(APPEND addresses ${address})
      list(APPEND mnemonics ${mnemonic})
      if(mnemonic MATCHES "^(j[a-z]+|b|b\\.[a-z]+|cbn?z|tbn?z)$"
         AND line MATCHES "0x([0-9a-f]+) <")
        math(EXPR destination "0x${CMAKE_MATCH_1}")
        if(destination LESS_EQUAL address)
          list(APPEND loops "${destination}-${address}")
        endif()
      endif()
    endif()
  endforeach()
  if(NOT found)
    message(FATAL_ERROR "no kasm_op*_binary_conv function in the object for ${TARGET}: the "
                        "lowered digits model has no binary_conv kernel any more")
  endif()
  if(NOT loops)
    message(FATAL_ERROR "${function} (${TARGET}) has no loop")
  endif()

  string(REPLACE "," ";" groups "${REQUIRED}")
  list(LENGTH addresses count)
  math(EXPR last "${count} - 1")
  foreach(loop IN LISTS loops)
    string(REPLACE "-" ";" bounds ${loop})
    list(GET bounds 0 begin)
    list(GET bounds 1 end)
    set(body)
    foreach(i RANGE ${last})
      list(GET addresses ${i} address)
      if(address GREATER_EQUAL begin AND address LESS_EQUAL end)
        list(GET mnemonics ${i} mnemonic)
        list(APPEND body ${mnemonic})
      endif()
    endforeach()
    set(complete ON)
    foreach(group IN LISTS groups)
      set(matched OFF)
      foreach(mnemonic IN LISTS body)
        if(mnemonic MATCHES "^(${group})$")
          set(matched ON)
        endif()
      endforeach()
      if(NOT matched)
        set(complete OFF)
      endif()
    endforeach()
    if(complete)
      message("kernel_asm: ${function} (${TARGET}): the loop at ${begin}..${end} has ${REQUIRED}")
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "no loop of ${function} (${TARGET}) has all of ${REQUIRED}; loops: ${loops}")
endif()

find_program(QCC_LLVM_OBJDUMP NAMES llvm-objdump-19 llvm-objdump HINTS ${LLVM_TOOLS_BINARY_DIR})
function(qcc_kernel_asm_test target required)
  add_test(NAME cli.kernel_asm.${target}
           COMMAND ${CMAKE_COMMAND} -DQCC=$<TARGET_FILE:qcc> -DOBJDUMP=${QCC_LLVM_OBJDUMP}
                   -DMODEL=${PROJECT_SOURCE_DIR}/examples/digits/digits_w1a1.onnx
                   -DTARGET=${target} -DREQUIRED=${required}
                   -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/kernel_asm/${target}
                   -P ${CMAKE_CURRENT_FUNCTION_LIST_FILE})
  set_tests_properties(cli.kernel_asm.${target} PROPERTIES SKIP_REGULAR_EXPRESSION
                                                           "kernel_asm: skipped")
endfunction()

qcc_kernel_asm_test(x86_64-v4 "vpopcntq")
qcc_kernel_asm_test(aarch64 "cnt,uadalp|udot")
qcc_kernel_asm_test(aarch64-dotprod "cnt,uadalp|udot")
