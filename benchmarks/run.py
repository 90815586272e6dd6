#!/usr/bin/env python3
"""Measure qcc against the machine's roofline and onnxruntime; write docs/benchmarks.md.

usage: python3 benchmarks/run.py [--build DIR] [--models DIR] [--out FILE] [--quick]

Builds nothing: DIR (default build/) must hold tools/qcc and benchmarks/bench_kernels
(`ninja -C DIR qcc bench_kernels`). In one run, on one thread each:
  1. the roofline: ../shared/bench/roofline.c compiled with `cc -O2 -march=native` (and with
     -march=x86-64-v3 on AVX2 hosts) and run;
  2. the kernel benchmarks (bench_kernels, Google Benchmark JSON);
  3. end to end: `qcc bench` of cnv_w1a1 and resnet18_w1a1 against benchmarks/ort_bench.mjs
     (onnxruntime-node, one thread) on the float and int8 QDQ twins;
  4. `qcc compile` time and peak RSS (/usr/bin/time), arena bytes (`qcc report`), library size.
The models come from benchmarks/make_models.py (run with /usr/bin/python3) into --models
(default DIR/bench-models), unless all six are there already. --quick shortens every timing
(for checking the tooling; the numbers are then rough). Python standard library only.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["cnv_w1a1", "cnv_float", "cnv_int8_qdq",
          "resnet18_w1a1", "resnet18_float", "resnet18_int8_qdq"]
NETWORKS = [("cnv", "CNV (32x32x3)"), ("resnet18", "ResNet-18 (224x224x3)")]
FAMILIES = ["binary", "ternary", "w2a2", "w4a4", "int8"]
TARGETS = ["x86_64", "x86_64-v3", "x86_64-v4"]
ISA_FLAGS = ["avx2", "avx512f", "avx512bw", "avx512_vpopcntdq", "avx512_vnni"]

# Each family's share of the binary roofline: popcount kernels do (word operations per 64
# MACs) / (the binary kernel's), so the roofline of a family is the binary peak divided by its
# bit-plane pairs: ternary x ternary 2 (mask and sign planes: 2 popcounts per word), uint2 x int2
# 4, uint4 x int4 16. int8 is compared with the int8 dot-product peak.
BINARY_DIVISOR = {"binary": 1, "ternary": 2, "w2a2": 4, "w4a4": 16}


def fail(message):
    sys.stderr.write("run.py: error: %s\n" % message)
    sys.exit(1)


def run(cmd, **kwargs):
    """Runs cmd, returns (stdout, stderr); fails with its stderr when it exits non-zero."""
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        fail("%s exited with %d:\n%s" % (" ".join(cmd), proc.returncode, proc.stderr[-2000:]))
    return proc.stdout, proc.stderr


def log(message):
    sys.stderr.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), message))
    sys.stderr.flush()


# ---------------------------------------------------------------- machine

def machine():
    model, flags = platform.processor() or "unknown CPU", set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    return {"cpu": model, "flags": [f for f in ISA_FLAGS if f in flags],
            "cores": os.cpu_count(), "load": os.getloadavg()}


def qcc_commit():
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# ---------------------------------------------------------------- roofline

def roofline(source, work, compiler, march):
    """Peaks in GMAC/s of one build of roofline.c: {kind: {"l1", "registers", "isa", "peak"}}."""
    exe = os.path.join(work, "roofline-%s-%s" % (os.path.basename(compiler), march))
    run([compiler, "-O2", "-march=" + march, source, "-o", exe])
    out, _ = run([exe])
    peaks = {}
    for kind, key in [("binary", "binary_xnor_popcount_gmacs"), ("int8", "int8_dot_gmacs"),
                      ("fp32", "fp32_fma_gmacs")]:
        m = re.search(r"^%s ([0-9.]+)(?: \(([^)]*)\))?" % key, out, re.M)
        if not m:
            fail("roofline output has no '%s' line:\n%s" % (key, out))
        peaks[kind] = {"l1": float(m.group(1)), "isa": m.group(2) or "", "registers": None}
    m = re.search(r"operands in registers\): binary ([0-9.]+) int8 ([0-9.]+) fp32 ([0-9.]+)", out)
    if m:
        for kind, value in zip(["binary", "int8", "fp32"], m.groups()):
            peaks[kind]["registers"] = float(value) or None
    for p in peaks.values():
        p["peak"] = max(p["l1"], p["registers"] or 0.0)
    return peaks


def best_peaks(builds):
    """Per kind, the highest peak over several builds of roofline.c (None for no builds)."""
    if not builds:
        return None
    return {kind: {"peak": max(b[kind]["peak"] for b in builds)}
            for kind in ["binary", "int8", "fp32"]}


# ---------------------------------------------------------------- kernels

def kernels(build, quick):
    exe = os.path.join(build, "benchmarks", "bench_kernels")
    if not os.path.exists(exe):
        fail("%s not found: build it with `ninja -C %s bench_kernels` (needs libbenchmark-dev)"
             % (exe, build))
    cmd = [exe, "--benchmark_format=json"]
    if quick:
        cmd.append("--benchmark_min_time=0.01")
    else:
        cmd += ["--benchmark_min_time=0.25", "--benchmark_repetitions=3",
                "--benchmark_report_aggregates_only=true"]
    out, _ = run(cmd)
    rows = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        family, layer, target = b["run_name"].split("/")[:3]
        if b.get("error_occurred"):
            rows[(family, layer, target)] = {"error": b.get("error_message", "failed")}
            continue
        rows[(family, layer, target)] = {"gmacs": b["GMAC/s"], "us": b["real_time"],
                                         "shape": b.get("label", "")}
    return rows


def family_peak(family, peaks):
    if peaks is None:
        return None
    if family == "int8":
        return peaks["int8"]["peak"]
    return peaks["binary"]["peak"] / BINARY_DIVISOR[family]


# ---------------------------------------------------------------- end to end

def qcc_bench(qcc, model, runs, warmup, threads=1):
    out, _ = run([qcc, "bench", model, "--iterations", str(runs), "--warmup", str(warmup),
                  "--threads", str(threads)])
    return json.loads(out.strip().splitlines()[-1])


def ort_bench(model, runs, warmup):
    node = shutil.which("node")
    if not node:
        return {"error": "node not found"}
    proc = subprocess.run([node, os.path.join(REPO, "benchmarks", "ort_bench.mjs"), model,
                           "--runs", str(runs), "--warmup", str(warmup)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compile_stats(qcc, model, work, name):
    lib = os.path.join(work, "lib", "lib%s.a" % name)
    os.makedirs(os.path.dirname(lib), exist_ok=True)
    _, err = run(["/usr/bin/time", "-f", "%e %U %S %M", qcc, "compile", model, "-o", lib])
    seconds, user, system, kib = err.strip().splitlines()[-1].split()
    report, _ = run([qcc, "report", model, "--format=json", "--level=lowered"])
    totals = json.loads(report)["totals"]
    return {"seconds": float(seconds), "cpu_seconds": float(user) + float(system),
            "rss_mib": int(kib) / 1024.0, "lib_bytes": os.path.getsize(lib), "arena": totals["arena_bytes"],
            "arena_lower_bound": totals["arena_lower_bound_bytes"]}


# ---------------------------------------------------------------- report

def fmt_gmacs(row, peak, own_peak):
    if row is None:
        return "-"
    if "error" in row:
        return "error"
    text = "%.1f" % row["gmacs"]
    if peak:
        text += " (%.0f%%" % (100.0 * row["gmacs"] / peak)
        if own_peak and own_peak != peak:
            text += ", %.0f%%" % (100.0 * row["gmacs"] / own_peak)
        text += ")"
    return text


def percent_range(values):
    return "%.0f-%.0f%%" % (100 * min(values), 100 * max(values))


def mib(n):
    return "%.2f MiB" % (n / 1048576.0) if n >= 1048576 else "%.1f KiB" % (n / 1024.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--models", help="model folder (default BUILD/bench-models)")
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "benchmarks.md"))
    ap.add_argument("--roofline", default=os.path.join(REPO, "..", "shared", "bench", "roofline.c"))
    ap.add_argument("--quick", action="store_true", help="short timings, to check the tooling")
    args = ap.parse_args()
    started = time.time()
    build = os.path.abspath(args.build)
    qcc = os.path.join(build, "tools", "qcc")
    if not os.path.exists(qcc):
        fail("%s not found: build qcc first (`ninja -C %s qcc bench_kernels`)" % (qcc, build))
    if not os.path.exists(args.roofline):
        fail("%s not found (--roofline)" % args.roofline)
    models = os.path.abspath(args.models or os.path.join(build, "bench-models"))
    work = os.path.join(build, "bench-work")
    os.makedirs(work, exist_ok=True)
    runs, warmup = (20, 2) if args.quick else (50, 5)

    m = machine()
    log("machine: %s, %s" % (m["cpu"], " ".join(m["flags"])))
    if not all(os.path.exists(os.path.join(models, n + ".onnx")) for n in MODELS):
        log("generating the models into %s" % models)
        run(["/usr/bin/python3", os.path.join(REPO, "benchmarks", "make_models.py"), models])

    log("roofline")
    # Every compiler at hand: the register-bound loops depend on the compiler keeping the
    # accumulator arrays in registers (gcc 12 -O2 keeps some in memory; clang-19 does not).
    compilers = [c for c in ["cc", "clang-19"] if shutil.which(c)]
    marches = ["native"] + (["x86-64-v3"] if "avx2" in m["flags"] else [])
    builds = {(c, march): roofline(args.roofline, work, c, march)
              for c in compilers for march in marches}
    peaks = {"native": best_peaks([b for (c, march), b in builds.items() if march == "native"]),
             "avx2": best_peaks([b for (c, march), b in builds.items() if march == "x86-64-v3"])}
    # The roofline of each target's own instruction set: x86_64-v4 is the native one when the
    # host has the AVX-512 popcount and VNNI; x86_64 (no vector popcount) has none.
    own = {"x86_64-v3": peaks["avx2"],
           "x86_64-v4": peaks["native"] if {"avx512_vpopcntdq", "avx512_vnni"} <= set(m["flags"])
           else None}

    log("kernel benchmarks")
    krows = kernels(build, args.quick)
    targets = [t for t in TARGETS if any(k[2] == t for k in krows)]

    log("end to end")
    e2e = {}
    for net, _ in NETWORKS:
        e2e[net] = {"qcc": qcc_bench(qcc, os.path.join(models, net + "_w1a1.onnx"), runs, warmup)}
        e2e[net]["qcc_2t"] = qcc_bench(qcc, os.path.join(models, net + "_w1a1.onnx"), runs, warmup,
                                       threads=2)
        for twin in ["float", "int8_qdq"]:
            e2e[net][twin] = ort_bench(os.path.join(models, "%s_%s.onnx" % (net, twin)), runs,
                                       warmup)

    log("compile time, memory, sizes")
    comp = {net: compile_stats(qcc, os.path.join(models, net + "_w1a1.onnx"), work, net)
            for net, _ in NETWORKS}
    for net, _ in NETWORKS:
        comp[net]["float_bytes"] = os.path.getsize(os.path.join(models, net + "_float.onnx"))

    elapsed = time.time() - started
    md = []
    w = md.append
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    w("# Benchmarks\n")
    w("Generated by `python3 benchmarks/run.py --build %s` on %s%s (%.0f s), qcc commit %s. "
      "Regenerate: `ninja -C build qcc bench_kernels && python3 benchmarks/run.py --build build` "
      "on a quiet machine (benchmarks/README.md). Issue #6 defines the targets.\n"
      % (os.path.relpath(build, REPO), today, " with --quick (short timings: rough numbers)"
         if args.quick else "", elapsed, qcc_commit()))
    w("**Machine:** %s, %d logical cores, ISA flags: %s. Load average at the start: %.2f "
      "(every measurement runs on one thread; a load above ~0.5 makes the numbers noisy).\n"
      % (m["cpu"], m["cores"], ", ".join(m["flags"]) or "none of " + ", ".join(ISA_FLAGS),
         m["load"][0]))

    w("## Roofline\n")
    w("`roofline.c` (../shared/bench/roofline.c) built with `-O2 -march=...` by each compiler "
      "present, run in this run: best of 3, GMAC/s on one core, operands streamed from L1 and "
      "held in registers. The roofline of a kind for an instruction set is the highest of these "
      "numbers over the compilers.\n")
    w("| build | kind | instructions | L1 stream | registers |")
    w("|---|---|---|---|---|")
    for (c, march), b in builds.items():
        for kind in ["binary", "int8", "fp32"]:
            p = b[kind]
            w("| %s -march=%s | %s | %s | %.1f | %s |" % (
                c, march, kind, p["isa"] or "-", p["l1"],
                "%.1f" % p["registers"] if p["registers"] else "-"))
    w("")
    w("| roofline (GMAC/s) | binary | int8 | fp32 |")
    w("|---|---|---|---|")
    for name, label in [("native", "-march=native (the machine)"), ("avx2", "-march=x86-64-v3")]:
        if peaks[name]:
            w("| %s | %.1f | %.1f | %.1f |" % (label, peaks[name]["binary"]["peak"],
                                              peaks[name]["int8"]["peak"],
                                              peaks[name]["fp32"]["peak"]))
    w("")
    w("A family's roofline: binary kernels against the binary roofline; ternary x ternary "
      "against binary / 2 (mask and sign planes: twice the popcounts per word), 2x2-bit "
      "bit-serial against binary / 4 and 4x4-bit against binary / 16 (one popcount per pair of "
      "bit planes); int8 against the int8 roofline.\n")

    w("## Kernels\n")
    w("One 3x3 conv layer per row, batch 1, stride 1, compiled with CompiledGraph for the "
      "target and timed through its run function (`benchmarks/kernels.cpp`, Google Benchmark, "
      "wall time, %s). MACs = M x OH x OW x C x 9. Popcount kernels include their fused "
      "threshold epilogue writing the next layer's packed codes; int8 writes i32 "
      "accumulators. Operands: binary bipolar x bipolar, ternary ternary x ternary, 2x2-bit "
      "uint2 x int2, 4x4-bit uint4 x int4, int8 uint8 x int8 (conv_integer, kernel int8).\n"
      % ("min time 0.01 s" if args.quick else "median of 3 repetitions of >= 0.25 s"))
    w("Cells: GMAC/s (fraction of the machine's roofline for the family; for x86_64-v3 also the "
      "fraction of the -march=x86-64-v3 roofline, the target's own instruction set; x86_64 has "
      "no vector popcount and no roofline of its own). A fraction above 100% means the kernel "
      "reuses operands in registers beyond what roofline.c's loops measure.\n")
    layers = []
    for key in krows:
        if key[1] not in layers:
            layers.append(key[1])
    shapes = {k[1]: r.get("shape", "") for k, r in krows.items() if "shape" in r}
    for target in targets:
        w("### %s\n" % target)
        w("| layer | shape | %s |" % " | ".join(FAMILIES))
        w("|---|---|" + "---|" * len(FAMILIES))
        for layer in layers:
            cells = [fmt_gmacs(krows.get((f, layer, target)), family_peak(f, peaks["native"]),
                               family_peak(f, own.get(target))) for f in FAMILIES]
            w("| %s | %s | %s |" % (layer, shapes.get(layer, ""), " | ".join(cells)))
        w("")

    w("## Ternary vs 2x2-bit vs binary\n")
    w("Same shapes as above; ratios of GMAC/s (the issue's target: ternary >= 1.8x 2x2-bit and "
      ">= 0.45x binary).\n")
    w("| target | layer | binary | ternary | 2x2-bit | ternary / 2x2-bit | ternary / binary |")
    w("|---|---|---|---|---|---|---|")
    ratios = {}
    for target in targets:
        for layer in layers:
            b, t, q = (krows.get((f, layer, target)) for f in ["binary", "ternary", "w2a2"])
            if not all(r and "gmacs" in r for r in [b, t, q]):
                continue
            tq, tb = t["gmacs"] / q["gmacs"], t["gmacs"] / b["gmacs"]
            ratios.setdefault(target, []).append((tq, tb))
            w("| %s | %s | %.1f | %.1f | %.1f | %.2fx | %.2fx |"
              % (target, layer, b["gmacs"], t["gmacs"], q["gmacs"], tq, tb))
    w("")

    w("## End to end\n")
    w("Single thread, median (p10-p90) of %d runs after %d warm-up runs, random input. qcc: "
      "`qcc bench MODEL_w1a1.onnx` (target native). onnxruntime: `node benchmarks/ort_bench.mjs` "
      "(onnxruntime-node 1.30, intraOpNumThreads=1, graph optimization all) on the float and int8 "
      "QDQ twins of the same architecture (benchmarks/make_models.py).\n" % (runs, warmup))
    w("| network | qcc w1a1 | ort float | ort int8 QDQ | speedup vs float | speedup vs int8 |")
    w("|---|---|---|---|---|---|")
    speedups = {}

    def lat(r):
        if "error" in r:
            return "error: %s" % r["error"]
        return "%.1f us (%.1f-%.1f)" % (r["median_us"], r["p10_us"], r["p90_us"])

    for net, title in NETWORKS:
        r = e2e[net]
        sf = r["float"]["median_us"] / r["qcc"]["median_us"] if "error" not in r["float"] else None
        si = (r["int8_qdq"]["median_us"] / r["qcc"]["median_us"]
              if "error" not in r["int8_qdq"] else None)
        speedups[net] = (sf, si)
        w("| %s | %s | %s | %s | %s | %s |" % (
            title, lat(r["qcc"]), lat(r["float"]), lat(r["int8_qdq"]),
            "%.1fx" % sf if sf else "-", "%.1fx" % si if si else "-"))
    w("")

    w("### Two threads\n")
    w("`qcc bench MODEL_w1a1.onnx --threads=2`: the library's `NAME_run_parallel` on a pool of two "
      "threads (runtime/qcc_thread_pool.h), layers of at least 2^23 bit operations split in two "
      "(docs/codegen.md, \"Running on several threads\"); same runs as above. The machine has "
      "%d logical cores.\n" % (os.cpu_count() or 0))
    w("| network | 1 thread | 2 threads | split layers | speedup 1 -> 2 |")
    w("|---|---|---|---|---|")
    scaling = {}
    for net, title in NETWORKS:
        one, two = e2e[net]["qcc"], e2e[net]["qcc_2t"]
        scaling[net] = one["median_us"] / two["median_us"]
        w("| %s | %s | %s | %d | %.2fx |" % (title, lat(one), lat(two), two["split_layers"],
                                            scaling[net]))
    w("")

    w("## Compile time, memory, sizes\n")
    w("`qcc compile MODEL_w1a1.onnx` (target native) under `/usr/bin/time` (wall time, user + "
      "system CPU time, peak RSS); arena "
      "and its liveness lower bound from `qcc report --format=json --level=lowered` "
      "(docs/report.md); the static library against the float twin's ONNX file.\n")
    w("| network | compile time | CPU time | peak RSS | arena | lower bound | library "
      "| float model | library / float |")
    w("|---|---|---|---|---|---|---|---|---|")
    for net, title in NETWORKS:
        c = comp[net]
        w("| %s | %.2f s | %.2f s | %.0f MiB | %d B | %d B (+%.1f%%) | %s | %s | %.3f |" % (
            title, c["seconds"], c["cpu_seconds"], c["rss_mib"], c["arena"], c["arena_lower_bound"],
            100.0 * (c["arena"] - c["arena_lower_bound"]) / max(1, c["arena_lower_bound"]),
            mib(c["lib_bytes"]), mib(c["float_bytes"]), c["lib_bytes"] / c["float_bytes"]))
    w("")

    w("## Issue #6 targets\n")
    w("| target | measured | status |")
    w("|---|---|---|")

    def status(ok):
        return "n/a" if ok is None else ("met" if ok else "**not met**")

    v4_binary = [krows[("binary", layer, "x86_64-v4")]["gmacs"] / family_peak("binary",
                                                                             peaks["native"])
                 for layer in layers if "gmacs" in krows.get(("binary", layer, "x86_64-v4"), {})]
    w("| binary 3x3 convs >= 50%% of the binary roofline on x86-64-v4 | %s | %s |" % (
        percent_range(v4_binary) if v4_binary else "x86_64-v4 not run on this host",
        status(min(v4_binary) >= 0.5 if v4_binary else None)))
    best = "x86_64-v4" if "x86_64-v4" in ratios else (targets[-1] if targets else None)
    if best in ratios:
        tq = [r[0] for r in ratios[best]]
        tb = [r[1] for r in ratios[best]]
        w("| ternary >= 1.8x the 2x2-bit kernel (%s) | %.2fx-%.2fx | %s |"
          % (best, min(tq), max(tq), status(min(tq) >= 1.8)))
        w("| ternary >= 0.45x the binary kernel (%s) | %.2fx-%.2fx | %s |"
          % (best, min(tb), max(tb), status(min(tb) >= 0.45)))
    for net, title in NETWORKS:
        sf, si = speedups[net]
        w("| %s >= 10x onnxruntime float | %s | %s |"
          % (title, "%.1fx" % sf if sf else "-", status(sf >= 10 if sf else None)))
        w("| %s >= 3x onnxruntime int8 QDQ | %s | %s |"
          % (title, "%.1fx" % si if si else "-", status(si >= 3 if si else None)))
    c = comp["resnet18"]
    w("| `qcc compile` ResNet-18 < 5 s, < 1 GiB RSS | %.2f s, %.0f MiB | %s |"
      % (c["seconds"], c["rss_mib"], status(c["seconds"] < 5 and c["rss_mib"] < 1024)))
    w("| multi-threading (`--threads N`), 1 -> 2 threads reported | %s | met |" % ", ".join(
        "%s %.2fx" % (title, scaling[net]) for net, title in NETWORKS))
    w("")

    with open(args.out, "w") as f:
        f.write("\n".join(md))
    log("wrote %s in %.0f s" % (args.out, elapsed))


if __name__ == "__main__":
    main()
