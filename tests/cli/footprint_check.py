#!/usr/bin/env python3
"""Checks the footprint `qcc report --target=T` prints against binutils' `size` (Berkeley format)
on the object `qcc compile --target=T` writes, and its arena against the header's NAME_ARENA_SIZE.
Exit code 4 (ctest: skipped) when the model file is absent (corpus models). Standard library only.

usage: footprint_check.py QCC MODEL TARGET SIZE_TOOL WORK
"""
import json
import os
import re
import shutil
import subprocess
import sys


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"{' '.join(cmd)}: exit code {result.returncode}\n{result.stdout}{result.stderr}")
    return result.stdout


def main():
    qcc, model, target, size_tool, work = sys.argv[1:]
    if not os.path.exists(model):
        print(f"SKIP: {model} is absent")
        sys.exit(4)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    report = json.loads(run([qcc, "report", model, f"--target={target}", "--format=json"]))
    footprint = report["footprint"]
    if footprint["target"] != target:
        fail(f"the footprint is for target {footprint['target']}, not {target}")
    run([qcc, "compile", model, f"--target={target}", "--name=model", "--emit=obj,header",
         "-o", os.path.join(work, "libmodel.a")])
    # Berkeley format: text (all read-only allocated sections), data, bss, dec, hex, file.
    line = run([size_tool, os.path.join(work, "model.o")]).splitlines()[1].split()
    text, data, bss = int(line[0]), int(line[1]), int(line[2])
    got = (footprint["text_bytes"] + footprint["rodata_bytes"], footprint["data_bytes"],
           footprint["bss_bytes"])
    if got != (text, data, bss):
        fail(f"report: text+rodata, data, bss = {got}; {size_tool}: {(text, data, bss)}")
    if footprint["flash_bytes"] != text + data:
        fail(f"report: flash {footprint['flash_bytes']}, size: text + data = {text + data}")
    with open(os.path.join(work, "model.h")) as f:
        arena = int(re.search(r"#define model_ARENA_SIZE (\d+)", f.read()).group(1))
    if footprint["arena_bytes"] != arena or footprint["ram_bytes"] != arena + data + bss:
        fail(f"report: arena {footprint['arena_bytes']}, RAM {footprint['ram_bytes']}; "
             f"header: arena {arena}")
    print(f"footprint of {os.path.basename(model)} for {target}: flash {footprint['flash_bytes']} "
          f"(.text {footprint['text_bytes']}, .rodata {footprint['rodata_bytes']}), "
          f"RAM {footprint['ram_bytes']}: equal to {size_tool} and the header")


if __name__ == "__main__":
    main()
