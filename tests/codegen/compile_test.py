#!/usr/bin/env python3
"""End-to-end checks of `qcc compile` (run by ctest, tests/cli/compile.cmake). Standard library only.

  harness:       compiles a model, builds tests/codegen/harness.c against the header and library
                 alone with a C compiler, runs it (optionally under an emulator) on images of a
                 .npy batch and compares every output bit with `qcc run --level=lowered` (the
                 interpreter on the graph the library was generated from); on the host, also
                 `qcc run --engine=jit` on the first image. With --threads=N the library is
                 compiled with --threads=N --split-min-bops=0, must have sliced layers, and the
                 harness also compares NAME_run_parallel on runtime/qcc_thread_pool.h pools.
  deterministic: compiles twice with every --emit output; the files must be byte-identical.
  no-partial:    failing compilations leave no output and no temporary file behind.
"""
import argparse
import ast
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def run(cmd, expect=0, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if expect is not None and result.returncode != expect:
        fail(f"{shlex.join(cmd)}\nexit code {result.returncode}, expected {expect}\n"
             f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}")
    return result


def fresh(folder):
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    return folder


def read_npy(path):
    """(header dict, raw data bytes) of a version 1-3 .npy file."""
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:6] != b"\x93NUMPY":
        fail(f"{path}: not a .npy file")
    if blob[6] == 1:
        size, start = struct.unpack("<H", blob[8:10])[0], 10
    else:
        size, start = struct.unpack("<I", blob[8:12])[0], 12
    header = ast.literal_eval(blob[start:start + size].decode("latin1"))
    return header, blob[start + size:]


def write_npy(path, descr, shape, data):
    text = repr({"descr": descr, "fortran_order": False, "shape": tuple(shape)})
    text += " " * (63 - (10 + len(text)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1"))
        f.write(data)


def harness(args):
    work = fresh(args.work)
    parallel = []
    if args.threads > 1:
        parallel = [f"--threads={args.threads}", "--split-min-bops=0", "--emit=lib,header,llvm"]
    run([args.qcc, "compile", args.model, "-o", os.path.join(work, "libmodel.a"), "--name=model",
         f"--target={args.target}", *parallel])
    if parallel:
        with open(os.path.join(work, "model.ll")) as f:
            sliced = re.findall(r"^define internal void @model_op\d+_\w+_slice\(", f.read(), re.M)
        if not sliced:
            fail("--threads: the library has no sliced layer")
        print(f"{len(sliced)} sliced layers")
    exe = os.path.join(work, "harness")
    runtime = os.path.join(os.path.dirname(os.path.dirname(HERE)), "runtime")
    run([args.cc, "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", *shlex.split(args.cflags),
         "-I", work, "-I", runtime, os.path.join(HERE, "harness.c"),
         os.path.join(work, "libmodel.a"), "-pthread", "-o", exe])

    header, data = read_npy(args.images)
    if header["descr"] != "<f4" or header["fortran_order"]:
        fail(f"{args.images}: expected float32 in C order")
    shape = header["shape"]
    per_image = len(data) // shape[0]
    inputs, expected = [], []
    for i in range(min(args.count, shape[0])):
        image = os.path.join(work, f"x{i}.npy")
        write_npy(image, "<f4", (1,) + tuple(shape[1:]), data[i * per_image:(i + 1) * per_image])
        reference = os.path.join(work, f"ref{i}.npy")
        run([args.qcc, "run", args.model, "--level=lowered", "--input", image, "--output",
             reference])
        ref_header, ref_data = read_npy(reference)
        if ref_header["descr"] != "<f4":
            fail(f"{reference}: expected float32 output")
        words = struct.unpack(f"<{len(ref_data) // 4}I", ref_data)
        inputs.append(image)
        expected.append(" ".join(f"{w:08x}" for w in words))

    if not args.runner:
        jit = os.path.join(work, "jit0.npy")
        run([args.qcc, "run", args.model, "--engine=jit", "--input", inputs[0], "--output", jit])
        if read_npy(jit)[1] != read_npy(os.path.join(work, "ref0.npy"))[1]:
            fail("image 0: `qcc run --engine=jit` differs from the interpreter")

    result = run([*shlex.split(args.runner), exe, *inputs])
    lines = result.stdout.splitlines()
    if len(lines) != len(expected):
        fail(f"the harness printed {len(lines)} lines for {len(expected)} images")
    for i, (got, want) in enumerate(zip(lines, expected)):
        if got != want:
            fail(f"image {i}: the library gives {got}\nthe interpreter gives {want}")
    print(f"ok: {len(expected)} images, outputs bit-identical with the interpreter")


def deterministic(args):
    work = fresh(args.work)
    outputs = []
    for copy in ("a", "b"):
        folder = fresh(os.path.join(work, copy))
        run([args.qcc, "compile", args.model, "-o", os.path.join(folder, "libmodel.a"),
             f"--target={args.target}", "--emit=lib,header,obj,asm,llvm,ir"])
        outputs.append(folder)
    names = sorted(os.listdir(outputs[0]))
    expected = ["libmodel.a", "model.h", "model.ll", "model.o", "model.qir", "model.s"]
    if names != expected:
        fail(f"compile wrote {names}, expected {expected}")
    for name in names:
        with open(os.path.join(outputs[0], name), "rb") as a, \
                open(os.path.join(outputs[1], name), "rb") as b:
            if a.read() != b.read():
                fail(f"{name} differs between two compilations")
    print(f"ok: {len(names)} files byte-identical")


def no_partial(args):
    work = fresh(args.work)
    # The header's path is taken by a folder: the error comes after everything was compiled.
    os.makedirs(os.path.join(work, "model.h"))
    result = run([args.qcc, "compile", args.model, "-o", os.path.join(work, "libmodel.a")],
                 expect=1)
    if "qcc: error: cannot write" not in result.stderr or "model.h" not in result.stderr:
        fail(f"unexpected message: {result.stderr}")
    if sorted(os.listdir(work)) != ["model.h"]:
        fail(f"a failed compile left {sorted(os.listdir(work))}")
    # A model that does not parse.
    work = fresh(args.work)
    broken = os.path.join(work, "broken.onnx")
    with open(broken, "wb") as f:
        f.write(b"\x08\x07\x12\xff\xff\xff")
    result = run([args.qcc, "compile", broken, "-o", os.path.join(work, "libbroken.a")], expect=1)
    if not result.stderr.startswith("qcc: error: "):
        fail(f"unexpected message: {result.stderr}")
    if sorted(os.listdir(work)) != ["broken.onnx"]:
        fail(f"a failed compile left {sorted(os.listdir(work))}")
    print("ok: failed compilations leave no files")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["harness", "deterministic", "no-partial"])
    parser.add_argument("--qcc", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--work", required=True, help="scratch folder (emptied first)")
    parser.add_argument("--target", default="native")
    parser.add_argument("--cc", default="cc")
    parser.add_argument("--cflags", default="", help="extra C compiler flags")
    parser.add_argument("--runner", default="", help="command to run the harness with (emulator)")
    parser.add_argument("--images", help="float32 .npy batch [N, ...] (harness)")
    parser.add_argument("--count", type=int, default=16, help="images to run (harness)")
    parser.add_argument("--threads", type=int, default=1,
                        help="compile with --threads=N and check NAME_run_parallel (harness)")
    args = parser.parse_args()
    {"harness": harness, "deterministic": deterministic, "no-partial": no_partial}[args.mode](args)


if __name__ == "__main__":
    main()
