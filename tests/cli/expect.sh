#!/usr/bin/env bash
# usage: expect.sh CODE STREAM PATTERN -- COMMAND...
# Runs COMMAND and checks its exit code is CODE and that STREAM (stdout|stderr) matches the
# extended regex PATTERN.
set -u
code=$1 stream=$2 pattern=$3
shift 4
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err"
rc=$?
status=0
if [ "$rc" != "$code" ]; then
  echo "expected exit code $code, got $rc"; status=1
fi
file=$out; [ "$stream" = stderr ] && file=$err
if ! grep -Eq -- "$pattern" "$file"; then
  echo "$stream does not match /$pattern/"; status=1
fi
if [ $status != 0 ]; then
  echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"
fi
exit $status
