# qcc_add_model(<target> NAME <name> MODEL <file.onnx> [TARGET_ARCH <arch>] [OPTIONS <arg>...])
#
# Compiles MODEL with `qcc compile` when the project is built (again whenever the model file or
# the qcc executable changes) and defines <target>, an imported static library: link it and
# include "<name>.h" (the C API of docs/codegen.md, prefix <name>), and with qcc::runtime (from
# find_package(qcc)) the runtime headers, e.g. "qcc_thread_pool.h" for a model compiled with
# OPTIONS --threads=N (then also link Threads::Threads). TARGET_ARCH is qcc's --target
# (default native: the build machine's CPU); OPTIONS are passed to `qcc compile` as they are,
# e.g. OPTIONS --dim batch=1. The outputs are written to
# ${CMAKE_CURRENT_BINARY_DIR}/qcc/<target>/lib<name>.a and <name>.h.
function(qcc_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 QCC_MODEL "" "NAME;MODEL;TARGET_ARCH" "OPTIONS")
  if(QCC_MODEL_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "qcc_add_model(${target}): unknown arguments ${QCC_MODEL_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT QCC_MODEL_NAME OR NOT QCC_MODEL_MODEL)
    message(FATAL_ERROR "qcc_add_model(${target}): NAME and MODEL are required")
  endif()
  if(NOT QCC_MODEL_NAME MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "qcc_add_model(${target}): NAME '${QCC_MODEL_NAME}' is not a C identifier")
  endif()
  if(NOT QCC_MODEL_TARGET_ARCH)
    set(QCC_MODEL_TARGET_ARCH native)
  endif()
  cmake_path(ABSOLUTE_PATH QCC_MODEL_MODEL BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
             OUTPUT_VARIABLE model)
  if(NOT EXISTS "${model}")
    message(FATAL_ERROR "qcc_add_model(${target}): no model file ${model}")
  endif()

  set(dir "${CMAKE_CURRENT_BINARY_DIR}/qcc/${target}")
  set(library "${dir}/lib${QCC_MODEL_NAME}.a")
  set(header "${dir}/${QCC_MODEL_NAME}.h")
  # An imported target's include folder must exist when the project is generated.
  file(MAKE_DIRECTORY "${dir}")
  add_custom_command(
    OUTPUT "${library}" "${header}"
    COMMAND qcc::qcc compile "${model}" -o "${library}" "--name=${QCC_MODEL_NAME}"
            "--target=${QCC_MODEL_TARGET_ARCH}" ${QCC_MODEL_OPTIONS}
    DEPENDS "${model}" qcc::qcc "$<TARGET_FILE:qcc::qcc>"
    COMMENT "qcc: compiling ${QCC_MODEL_MODEL} for ${QCC_MODEL_TARGET_ARCH}"
    VERBATIM)
  add_custom_target(${target}_qcc_compile DEPENDS "${library}" "${header}")
  add_library(${target} STATIC IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES IMPORTED_LOCATION "${library}"
                                             INTERFACE_INCLUDE_DIRECTORIES "${dir}")
  if(TARGET qcc::runtime)
    set_target_properties(${target} PROPERTIES INTERFACE_LINK_LIBRARIES qcc::runtime)
  endif()
  add_dependencies(${target} ${target}_qcc_compile)
endfunction()
