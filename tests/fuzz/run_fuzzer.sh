#!/usr/bin/env bash
# usage: run_fuzzer.sh FUZZER SECONDS RANDOM_SEED WORK REGRESSIONS EXT SEED_FOLDER...
# Runs the libFuzzer target FUZZER for SECONDS with libFuzzer's -seed=RANDOM_SEED (0: random) on a fresh corpus in WORK, seeded with every file
# in REGRESSIONS and every *.EXT file under the SEED_FOLDERs (absent folders are skipped). Fails
# on any crash, sanitizer report, leak, one input taking over 10 seconds, or going over 2 GiB of
# memory.
set -euo pipefail
fuzzer=$1 seconds=$2 random_seed=$3 work=$4 regressions=$5 ext=$6
shift 6
rm -rf "$work"
mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts"
count=0
add_seeds() { # FOLDER FIND-NAME-PATTERN
  [ -d "$1" ] || return 0
  while IFS= read -r -d '' file; do
    count=$((count + 1))
    ln -s "$file" "$work/seeds/$count"
  done < <(find "$1" -type f -name "$2" -print0 | sort -z)
}
add_seeds "$regressions" '*'
for folder in "$@"; do add_seeds "$folder" "*.$ext"; done
echo "$count seed inputs"
exec "$fuzzer" -seed="$random_seed" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" "$work/seeds"
