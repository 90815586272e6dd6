# qcc-opt: the developer tool that reads, verifies, transforms (--passes) and prints textual IR
# (docs/ir.md, docs/passes.md).
add_executable(qcc-opt ${CMAKE_CURRENT_LIST_DIR}/main.cpp)
target_link_libraries(qcc-opt PRIVATE qcc_passes qcc_ir)
