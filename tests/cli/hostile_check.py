#!/usr/bin/env python3
"""Runs `qcc compile` on a hostile model and checks how it fails (tests/cli/bad_models.cmake).

usage: hostile_check.py --work DIR --pattern REGEX [--max-rss-mb N] -- QCC compile MODEL [ARGS]

The command gets `-o DIR/libmodel.a` appended and must exit with code 1, print exactly one line
`qcc: error: ...` on stderr matching REGEX, write nothing into DIR, and peak at no more than
N MiB of resident memory (default 1024: generous for the sanitizer builds, far below what the
hostile models ask for).
"""
import argparse
import os
import re
import resource
import shutil
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--pattern", required=True)
    parser.add_argument("--max-rss-mb", type=int, default=1024)
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()

    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    command = args.command + ["-o", os.path.join(args.work, "libmodel.a")]
    result = subprocess.run(command, capture_output=True, text=True)
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    problems = []
    if result.returncode != 1:
        problems.append(f"exit code {result.returncode}, expected 1")
    lines = result.stderr.splitlines()
    if len(lines) != 1 or not lines[0].startswith("qcc: error: "):
        problems.append("stderr is not one 'qcc: error:' line")
    if not re.search(args.pattern, result.stderr):
        problems.append(f"stderr does not match /{args.pattern}/")
    left = sorted(os.listdir(args.work))
    if left:
        problems.append(f"the failed command left {left}")
    if rss_mb > args.max_rss_mb:
        problems.append(f"peak memory {rss_mb:.0f} MiB, limit {args.max_rss_mb} MiB")
    if problems:
        print("FAIL: " + "; ".join(problems))
        print(f"--- command\n{' '.join(command)}\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}")
        sys.exit(1)
    print(f"ok: {lines[0]} (peak {rss_mb:.0f} MiB)")


if __name__ == "__main__":
    main()
