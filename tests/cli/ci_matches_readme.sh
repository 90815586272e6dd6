#!/usr/bin/env bash
# The README's quick start has two commands; the second is the test command, and .ci/run must
# contain it verbatim.
set -euo pipefail
root=$1
cmd=$(awk '/^```sh$/{getline; print}' "$root/README.md" | sed -n 2p)
[ -n "$cmd" ] || { echo "README.md: no second quick-start command found"; exit 1; }
grep -qxF "$cmd" "$root/.ci/run" || { echo ".ci/run does not run the README test command: $cmd"; exit 1; }
