#!/usr/bin/env python3
"""Builds examples/firmware (the digits model compiled by qcc for the Cortex-M4, linked with
newlib into a bare-metal program), runs it under qemu-system-arm on the MPS2 AN386 board and
compares every printed prediction and logit, bit for bit, with `qcc run --level=lowered` (the
interpreter) on the same images. Also checks the footprint `qcc report --target=cortex-m4`
prints against the linked firmware: the model's input sections in the linker map and the size
of the arena symbol. Run by ctest (tests/cli/embedding.cmake). Standard library only.

usage: firmware_test.py --qcc QCC --source EXAMPLE_DIR --images X.npy --model M.onnx
                        --work DIR [--count N]
"""
import argparse
import ast
import json
import os
import re
import shutil
import struct
import subprocess
import sys


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def run(cmd, timeout=300):
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        fail(f"{' '.join(cmd)}\nexit code {result.returncode}\n--- stdout\n{result.stdout}"
             f"--- stderr\n{result.stderr}")
    return result.stdout


def read_npy(path):
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:6] != b"\x93NUMPY" or blob[6] != 1:
        fail(f"{path}: not a version 1 .npy file")
    size = struct.unpack("<H", blob[8:10])[0]
    return ast.literal_eval(blob[10:10 + size].decode("latin1")), blob[10 + size:]


def write_npy(path, shape, data):
    text = repr({"descr": "<f4", "fortran_order": False, "shape": tuple(shape)})
    text += " " * (63 - (10 + len(text)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1"))
        f.write(data)


def model_sections(map_path, member):
    """{section name: bytes} of the input sections of `member` (e.g. "libdigits.a(digits.o)")
    that the linker placed, from a GNU ld map file."""
    with open(map_path) as f:
        lines = f.read().split("Linker script and memory map", 1)[1].splitlines()
    sections, name = {}, None
    for line in lines:
        parts = line.split()
        if len(parts) == 1 and line.startswith(" ."):
            name = parts[0]  # a long section name, its address and size on the next line
            continue
        if len(parts) == 4 and line.startswith(" .") and parts[3].endswith(member):
            name, parts = parts[0], parts[1:]
        elif not (len(parts) == 3 and name and parts[2].endswith(member)):
            name = None
            continue
        sections[name] = sections.get(name, 0) + int(parts[1], 16)
        name = None
    return sections


def check_footprint(args, work):
    report = json.loads(run([args.qcc, "report", args.model, "--target=cortex-m4",
                             "--format=json"]))
    footprint = report["footprint"]
    sections = model_sections(f"{work}/build/fw.map", "libdigits.a(digits.o)")
    # ld merges the consecutive "cannot unwind" entries of .ARM.exidx, so the firmware holds
    # fewer of those bytes than the object: the rest of the read-only data must be equal.
    listing = run(["arm-none-eabi-size", "-A", f"{work}/build/libdigits.a"]).splitlines()
    exidx = sum(int(line.split()[1]) for line in listing if line.startswith(".ARM.exidx"))
    text = sum(v for k, v in sections.items() if k.startswith(".text"))
    constant = sum(v for k, v in sections.items() if k.startswith(".rodata"))
    writable = sum(v for k, v in sections.items() if k.startswith((".data", ".bss")))
    got = (footprint["text_bytes"], footprint["rodata_bytes"] - exidx,
           footprint["data_bytes"] + footprint["bss_bytes"])
    if got != (text, constant, writable) or sections.get(".ARM.exidx", 0) > exidx:
        fail(f"report: .text, .rodata without .ARM.exidx, .data + .bss = {got}; in the firmware: "
             f"{(text, constant, writable)} ({sections})")
    symbols = run(["arm-none-eabi-nm", "-S", f"{work}/build/fw.elf"]).splitlines()
    arena = [int(line.split()[1], 16) for line in symbols if line.endswith(" arena")]
    if arena != [footprint["arena_bytes"]]:
        fail(f"report: arena {footprint['arena_bytes']} bytes; the firmware's arena: {arena}")


def main():
    parser = argparse.ArgumentParser()
    for name in ("--qcc", "--source", "--images", "--model", "--work"):
        parser.add_argument(name, required=True)
    parser.add_argument("--count", type=int, default=8)
    args = parser.parse_args()
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    run(["make", "-C", args.source, f"QCC={args.qcc}", f"BUILD={work}/build",
         f"MODEL={os.path.abspath(args.model)}", f"IMAGES={os.path.abspath(args.images)}",
         f"COUNT={args.count}", f"PYTHON={sys.executable}"])
    printed = run(["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-semihosting-config",
                   "enable=on,target=native", "-kernel", f"{work}/build/fw.elf"], timeout=120)
    lines = printed.splitlines()
    if not lines or lines[-1] != f"done: {args.count} images":
        fail(f"the firmware did not finish:\n{printed}")

    header, data = read_npy(args.images)
    shape = header["shape"]
    image_bytes = len(data) // shape[0]
    pattern = re.compile(r"image (\d+): class (\d+) logits((?: [0-9a-f]{8})+)$")
    for i in range(args.count):
        match = pattern.match(lines[i])
        if not match or int(match.group(1)) != i:
            fail(f"line {i} of the firmware output is not the result of image {i}: {lines[i]!r}")
        image = os.path.join(work, f"image{i}.npy")
        write_npy(image, (1,) + tuple(shape[1:]), data[i * image_bytes:(i + 1) * image_bytes])
        expected_path = os.path.join(work, f"logits{i}.npy")
        run([args.qcc, "run", args.model, "--level=lowered", "--input", image, "--output",
             expected_path])
        _, logits = read_npy(expected_path)
        expected = [f"{v:08x}" for v in struct.unpack(f"<{len(logits) // 4}I", logits)]
        values = struct.unpack(f"<{len(logits) // 4}f", logits)
        best = max(range(len(values)), key=lambda k: (values[k], -k))
        got = match.group(3).split()
        if got != expected or int(match.group(2)) != best:
            fail(f"image {i}: the firmware prints class {match.group(2)}, logits {got}; the "
                 f"interpreter gives class {best}, logits {expected}")
    check_footprint(args, work)
    print(f"firmware: {args.count} images, predictions and logits equal the interpreter's; "
          "the report's footprint equals the model's sections and arena in the firmware")


if __name__ == "__main__":
    main()
