#!/usr/bin/env python3
"""Installs qcc from a build tree into a temporary prefix, then configures, builds and runs
examples/cmake-consumer against that prefix alone (find_package(qcc) + qcc_add_model). Checks
that the package found is the installed one, that the program's prediction and logits equal
`qcc run --level=lowered` (the installed qcc's interpreter) bit for bit, that a second build does
nothing and that a newer model file makes the build run qcc again. Run by ctest
(tests/cli/embedding.cmake). Standard library only.

usage: consumer_test.py --build BUILD_DIR --source EXAMPLE_DIR --model M.onnx --images X.npy
                        --work DIR --generator GENERATOR
"""
import argparse
import ast
import os
import shutil
import struct
import subprocess
import sys


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"{' '.join(cmd)}\nexit code {result.returncode}\n--- stdout\n{result.stdout}"
             f"--- stderr\n{result.stderr}")
    return result.stdout


def read_npy(path):
    with open(path, "rb") as f:
        blob = f.read()
    size = struct.unpack("<H", blob[8:10])[0]
    return ast.literal_eval(blob[10:10 + size].decode("latin1")), blob[10 + size:]


def main():
    parser = argparse.ArgumentParser()
    for name in ("--build", "--source", "--model", "--images", "--work", "--generator"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    prefix, build = os.path.join(work, "prefix"), os.path.join(work, "build")
    model = os.path.join(work, "model.onnx")
    shutil.copyfile(args.model, model)

    run(["cmake", "--install", args.build, "--prefix", prefix])
    run(["cmake", "-S", args.source, "-B", build, "-G", args.generator,
         f"-DCMAKE_PREFIX_PATH={prefix}", f"-DDIGITS_MODEL={model}",
         "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF", "-DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF"])
    with open(os.path.join(build, "CMakeCache.txt")) as f:
        found = [line.split("=", 1)[1].strip() for line in f if line.startswith("qcc_DIR:")]
    if found != [os.path.join(prefix, "lib", "cmake", "qcc")]:
        fail(f"find_package(qcc) found {found}, not the package installed in {prefix}")
    build_log = run(["cmake", "--build", build])
    if "qcc: compiling" not in build_log:
        fail(f"the first build did not run qcc:\n{build_log}")

    printed = run([os.path.join(build, "classify"), args.images, "0"]).split()
    header, data = read_npy(args.images)
    image_bytes = len(data) // header["shape"][0]
    text = repr({"descr": "<f4", "fortran_order": False, "shape": (1,) + header["shape"][1:]})
    text += " " * (63 - (10 + len(text)) % 64) + "\n"
    image = os.path.join(work, "image0.npy")
    with open(image, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1"))
        f.write(data[:image_bytes])
    expected_path = os.path.join(work, "logits0.npy")
    run([os.path.join(prefix, "bin", "qcc"), "run", args.model, "--level=lowered", "--input",
         image, "--output", expected_path])
    _, logits = read_npy(expected_path)
    expected = [f"{v:08x}" for v in struct.unpack(f"<{len(logits) // 4}I", logits)]
    values = struct.unpack(f"<{len(logits) // 4}f", logits)
    best = max(range(len(values)), key=lambda k: (values[k], -k))
    if printed != ["class", str(best), "logits"] + expected:
        fail(f"classify prints {printed}; the interpreter gives class {best}, logits {expected}")

    if "qcc: compiling" in run(["cmake", "--build", build]):
        fail("a second build without changes ran qcc again")
    # Newer than the library the first build wrote, whatever the clock's resolution.
    library = os.path.join(build, "qcc", "digits", "libdigits.a")
    newer = max(os.stat(library).st_mtime_ns, os.stat(model).st_mtime_ns) + 2 * 10**9
    os.utime(model, ns=(newer, newer))
    if "qcc: compiling" not in run(["cmake", "--build", build]):
        fail("a newer model file did not make the build run qcc")
    print("consumer: built against the installed package only; classify equals the interpreter")


if __name__ == "__main__":
    main()
