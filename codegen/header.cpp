// The C header of a compiled model (DESIGN §7): C99, needs only <stddef.h> and <stdint.h>.
#include "codegen/artifact.h"

#include <cctype>
#include <fmt/format.h>

namespace qcc {

std::string cIdentifier(std::string_view text) {
  std::string out;
  for (char c : text) out += std::isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "model_" + out;
  return out;
}

namespace {

// Text that is safe inside a C block comment on one line.
std::string commentText(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '/' && !out.empty() && out.back() == '*') out += ' ';
    out += u < 0x20 || u >= 0x7f ? '?' : c;
  }
  return out;
}

std::string describeValues(const Graph &graph, const std::vector<ValueId> &ids, const char *what) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) {
    const Value &v = graph.value(ids[i]);
    std::string format =
        v.type.dtype == DType::f32 && v.type.layout.kind == LayoutKind::plain
            ? "float32"
            : fmt::format("{} storage, passed through the float pointer", typeString(v.type));
    s += fmt::format(" *   {} {} '{}': {} elements, {} {}\n", what, i, commentText(v.name),
                     v.type.numel(), commentText(format), shapeString(v.type.shape));
  }
  return s;
}

} // namespace

std::string cHeader(const Graph &graph, const std::string &name, int64_t arenaBytes,
                    const std::string &source, int threads) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string guard = "QCC_" + upper + "_H";
  std::string s;
  s += fmt::format("/* {}.h: the C API of the model compiled by qcc from {}. Generated; do not "
                   "edit. */\n",
                   name, commentText(source));
  s += fmt::format("#ifndef {0}\n#define {0}\n\n#include <stddef.h>\n#include <stdint.h>\n\n",
                   guard);
  s += "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  s += "/* Bytes of scratch memory the caller provides to each run, 64-byte aligned. */\n";
  s += fmt::format("#define {}_ARENA_SIZE {}\n", name, arenaBytes);
  s += fmt::format("#define {}_NUM_INPUTS {}\n", name, graph.inputs.size());
  s += fmt::format("#define {}_NUM_OUTPUTS {}\n\n", name, graph.outputs.size());
  s += "/* Element counts and names of the inputs and outputs, in order:\n";
  s += describeValues(graph, graph.inputs, "input");
  s += describeValues(graph, graph.outputs, "output");
  s += " */\n";
  s += fmt::format("extern const size_t {0}_input_sizes[{0}_NUM_INPUTS];\n", name);
  s += fmt::format("extern const size_t {0}_output_sizes[{0}_NUM_OUTPUTS];\n", name);
  s += fmt::format("extern const char *const {}_input_names[];\n", name);
  s += fmt::format("extern const char *const {}_output_names[];\n\n", name);
  s +=
      "/* Runs the model: inputs[i] holds input i, outputs[j] receives output j (buffers must not\n"
      " * overlap). No allocation, no global state: calls with different arenas may run at the\n"
      " * same time. Returns 0 on success, 1 when a pointer argument is NULL, 2 when the arena is\n"
      " * not 64-byte aligned. */\n";
  s += fmt::format(
      "int {}_run(const float *const *inputs, float *const *outputs, void *arena);\n\n", name);
  if (threads > 1) {
    // The same text as runtime/qcc_parallel.h's definition, under its include guard.
    s +=
        "#ifndef QCC_PARALLEL_H\n#define QCC_PARALLEL_H\n"
        "/* How a parallel entry point hands work to the caller's threads (qcc's "
        "runtime/qcc_parallel.h):\n"
        " * for_each(ctx, task, arg, count) must call task(arg, i) once for every i in [0, "
        "count),\n"
        " * on any threads, and return when all calls have returned. */\n"
        "typedef struct qcc_parallel {\n"
        "  void (*for_each)(void *ctx, void (*task)(void *arg, int index), void *arg, int count);\n"
        "  void *ctx;\n"
        "} qcc_parallel;\n"
        "#endif\n\n";
    s += fmt::format(
        "/* Runs the model as {0}_run does, with the same results bit for bit, and hands each\n"
        " * large layer to par->for_each as up to 4 x {0}_THREADS tasks, for {0}_THREADS\n"
        " * threads (runtime/qcc_thread_pool.h runs them on a thread pool). Returns what\n"
        " * {0}_run returns, and 1 when par or par->for_each is NULL. */\n",
        name);
    s += fmt::format("#define {}_THREADS {}\n", name, threads);
    s += fmt::format("int {}_run_parallel(const float *const *inputs, float *const *outputs, void "
                     "*arena,\n    const qcc_parallel *par);\n\n",
                     name);
  }
  s += "#ifdef __cplusplus\n}\n#endif\n\n";
  s += fmt::format("#endif /* {} */\n", guard);
  return s;
}

} // namespace qcc
