#!/usr/bin/env python3
"""usage: report_check.py QCC MODEL.onnx [--level=L] [--max-overhead=F] [--kernels=K1,K2,...]
                       [QCC REPORT OPTIONS...]

Runs `qcc report MODEL --format=json` twice and checks: the two outputs are byte-identical, the
JSON parses with its keys in the documented order (docs/report.md), the totals are the sums of
the layers, BOPs = a_bits * w_bits * MACs, every arena offset is 64-byte aligned (or -1: not in the arena), and the arena is
at least the liveness lower bound and at most (1 + F) times it (F = 0.05 by default: issue #4).
With --kernels, every layer that does MACs must have one of those kernels and integer operands
(issue #4: the TFC and example models lower to popcount kernels only). Exits 4 (skipped) when MODEL does not exist (a clone without the shared corpus).
"""
import json
import os
import subprocess
import sys

LAYER_KEYS = ["index", "name", "op", "kernel", "inputs", "outputs", "a_bits", "a_encoding",
              "w_bits", "w_encoding", "macs", "bops", "weight_bytes", "weight_bytes_f32", "arena"]
TOTAL_KEYS = ["layers", "macs", "bops", "weight_bytes", "weight_bytes_f32", "arena_bytes",
              "arena_lower_bound_bytes"]


def fail(message):
    print(f"report_check: {message}")
    sys.exit(1)


def main(argv):
    qcc, model = argv[1], argv[2]
    level, max_overhead, kernels, extra = "import", 0.05, None, []
    for arg in argv[3:]:
        if arg.startswith("--level="):
            level = arg.split("=", 1)[1]
        elif arg.startswith("--kernels="):
            kernels = arg.split("=", 1)[1].split(",")
        elif arg.startswith("--max-overhead="):
            max_overhead = float(arg.split("=", 1)[1])
        else:
            extra.append(arg)
    if not os.path.exists(model):
        print(f"report_check: {model} not found, skipped")
        return 4
    command = [qcc, "report", model, f"--level={level}", "--format=json"] + extra
    runs = [subprocess.run(command, capture_output=True) for _ in range(2)]
    for run in runs:
        if run.returncode != 0:
            fail(f"{' '.join(command)} exited {run.returncode}: {run.stderr.decode()}")
    if runs[0].stdout != runs[1].stdout:
        fail("two runs gave different output")
    report = json.loads(runs[0].stdout)

    if list(report) != ["model", "graph", "level", "layers", "totals"]:
        fail(f"top-level keys {list(report)}")
    if report["level"] != level:
        fail(f"level {report['level']}, expected {level}")
    layers, totals = report["layers"], report["totals"]
    if list(totals) != TOTAL_KEYS:
        fail(f"totals keys {list(totals)}")
    for i, layer in enumerate(layers):
        if list(layer) != LAYER_KEYS:
            fail(f"layer {i} keys {list(layer)}")
        if layer["index"] != i:
            fail(f"layer {i} has index {layer['index']}")
        if layer["w_bits"] is not None and layer["bops"] != layer["a_bits"] * layer["w_bits"] * layer["macs"]:
            fail(f"layer {layer['name']}: BOPs {layer['bops']} != a_bits * w_bits * MACs")
        if len(layer["arena"]) != len(layer["outputs"]):
            fail(f"layer {layer['name']}: {len(layer['arena'])} arena entries for {len(layer['outputs'])} outputs")
        for slot in layer["arena"]:
            if slot["offset"] == -1 and slot["bytes"] == 0:
                continue
            if slot["offset"] < 0 or slot["offset"] % 64 != 0 or slot["offset"] + slot["bytes"] > totals["arena_bytes"]:
                fail(f"layer {layer['name']}: arena slot {slot} outside the {totals['arena_bytes']}-byte arena or unaligned")
        if kernels is not None and layer["macs"] > 0:
            if layer["kernel"] not in kernels:
                fail(f"layer {layer['name']}: kernel {layer['kernel']}, expected one of {kernels}")
            if "float" in (layer["a_encoding"], layer["w_encoding"]):
                fail(f"layer {layer['name']}: float operands in a MAC")
    if kernels is not None and not any(layer["macs"] > 0 for layer in layers):
        fail("no MAC layers")
    if totals["layers"] != len(layers):
        fail(f"totals.layers {totals['layers']} for {len(layers)} layers")
    for key in ("macs", "bops"):
        if totals[key] != sum(layer[key] for layer in layers):
            fail(f"totals.{key} is not the sum over the layers")

    arena, bound = totals["arena_bytes"], totals["arena_lower_bound_bytes"]
    overhead = (arena - bound) / bound if bound else 0.0
    print(f"{os.path.basename(model)}: arena {arena} bytes, lower bound {bound} bytes ({overhead:+.2%})")
    if arena < bound:
        fail("arena below the lower bound")
    if arena > bound * (1 + max_overhead):
        fail(f"arena more than {max_overhead:.0%} above the lower bound")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
