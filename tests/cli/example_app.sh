#!/usr/bin/env bash
# The README's main job without the set-up: compile the w1a1 digits model, build
# examples/digits/app.c against only the header and the library, run it on the test split, and
# check that it reports the accuracy examples/digits/README.md gives for that model.
set -euo pipefail
qcc=$1 source=$2 work=$3
digits=$source/examples/digits
rm -rf "$work" && mkdir -p "$work"
"$qcc" compile "$digits/digits_w1a1.onnx" -o "$work/libdigits.a"
cc -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror -I"$work" "$digits/app.c" -L"$work" -ldigits \
  -o "$work/app"
out=$("$work/app" "$digits/test_x.npy" "$digits/test_y.npy")
echo "$out"
want=$(grep -o '^| `digits_w1a1.onnx`.*| [0-9.]* (\([0-9]*/360\)) |$' "$digits/README.md" |
  sed 's/.*(\([0-9]*\/360\)) |$/\1/')
[ -n "$want" ] || { echo "no accuracy row for digits_w1a1 in the README"; exit 1; }
grep -q "^accuracy: $want " <<<"$out" || { echo "expected accuracy $want"; exit 1; }
grep -q "^latency: median [0-9.]* us per image" <<<"$out"
