# qcc bench (docs/cli.md): usage errors, and on the digits example one JSON line with the keys of
# benchmarks/ort_bench.mjs. No timed assertions: only that the percentiles are ordered.
# Included from tests/cli/CMakeLists.txt.
qcc_cli_test(bench_help 0 stdout "usage: qcc bench MODEL.onnx" bench --help)
qcc_cli_test(bench_missing_model 2 stderr "'qcc bench' needs MODEL.onnx" bench)
qcc_cli_test(bench_bad_iterations 2 stderr "--iterations expects an integer of at least 1, got '0'"
             bench x.onnx --iterations=0)
qcc_cli_test(bench_bad_warmup 2 stderr "--warmup expects an integer of at least 0, got 'x'"
             bench x.onnx --warmup=x)
qcc_cli_test(bench_bad_threads 2 stderr "--threads expects an integer from 1 to 1024, got '0'"
             bench x.onnx --threads=0)
qcc_cli_test(bench_bad_target 2 stderr "--target: unknown target 'gpu'" bench x.onnx --target=gpu)
qcc_cli_test(bench_missing_file 1 stderr "^qcc: error: no-such.onnx: no such file"
             bench no-such.onnx)

find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(QCC_BENCH_CHECK ${CMAKE_CURRENT_BINARY_DIR}/bench_check.py)
file(WRITE ${QCC_BENCH_CHECK} [=[
import json, subprocess, sys
out = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=True).stdout
lines = out.splitlines()
assert len(lines) == 1, out
d = json.loads(lines[0])
keys = {"model", "target", "runs", "median_us", "p10_us", "p90_us", "arena_bytes", "threads",
        "split_layers"}
assert set(d) == keys, d
assert d["runs"] == 3 and d["target"] == "native", d
threads = 2 if "--threads=2" in sys.argv else 1
assert d["threads"] == threads and (d["split_layers"] > 0) == (threads > 1), d
assert 0 < d["p10_us"] <= d["median_us"] <= d["p90_us"], d
assert d["arena_bytes"] > 0, d
]=])
add_test(NAME cli.bench_json
         COMMAND ${Python3_EXECUTABLE} ${QCC_BENCH_CHECK} $<TARGET_FILE:qcc> bench
                 ${PROJECT_SOURCE_DIR}/examples/digits/digits_w1a1.onnx --iterations=3 --warmup=1)
add_test(NAME cli.bench_json_threads
         COMMAND ${Python3_EXECUTABLE} ${QCC_BENCH_CHECK} $<TARGET_FILE:qcc> bench
                 ${PROJECT_SOURCE_DIR}/examples/digits/digits_w1a1.onnx --iterations=3 --warmup=1
                 --threads=2 --split-min-bops=0)
