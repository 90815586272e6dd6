#!/usr/bin/env python3
"""usage: bits_check.py QCC MODEL CALIB.npy --budget-KIND=VALUE [--html]

Quantizes MODEL with --bits=auto under the budget and checks: the JSON report's choice stays
within the budget (its own per-layer costs added up), `qcc verify` finds the compiled code equal
to the interpreter, `qcc compile` writes the library and header, and with --html that the HTML
report holds the sweep plot.
"""
import json
import os
import subprocess
import sys
import tempfile

qcc, model, calib, budget = sys.argv[1:5]
html = "--html" in sys.argv[5:]
kind, value = budget[len("--budget-"):].split("=")
flags = ["--bits=auto", "--calib=" + calib, budget, "--target=x86_64-v4"]


def run(*args):
    p = subprocess.run([qcc, *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"qcc {' '.join(args)} failed ({p.returncode}):\n{p.stderr}")
    return p.stdout


report = json.loads(run("report", model, "--format=json", *flags))
bits = report["bitwidths"]
layers = bits["layers"]
assert layers, "no layer quantized"
limit = float(value)
if kind == "bits":
    params = sum(l["weight_bits"] / (2 if l["bits"].startswith("T") else int(l["bits"].split("/")[0]))
                 for l in layers)
    used = sum(l["weight_bits"] for l in layers) / params
else:
    used = sum(l["bops"] if kind == "bops" else l["latency_us"] for l in layers)
assert used <= limit * (1 + 1e-9), f"budget {limit} exceeded: {used}"
assert abs(used - bits["budget"]["chosen"]) <= 1e-5 * max(1.0, used), (used, bits["budget"])
print(f"{kind} budget {limit}: chosen {used:.6g},", ", ".join(l["name"] + "=" + l["bits"] for l in layers))

if html:
    page = run("report", model, "--format=html", *flags)
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<polyline" in page, "no plot"

verify = run("verify", model, *flags[:3])
assert "the compiled code matches the interpreter" in verify, verify

with tempfile.TemporaryDirectory() as d:
    run("compile", model, "-o", os.path.join(d, "libnet.a"), *flags)
    assert os.path.getsize(os.path.join(d, "libnet.a")) > 0 and os.path.exists(os.path.join(d, "net.h"))
print("ok")
