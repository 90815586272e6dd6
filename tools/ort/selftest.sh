#!/usr/bin/env bash
# Quick self-check of tools/ort/run.mjs: builds tiny ONNX models with Debian's python
# (python3-onnx, python3-numpy), runs them through run.mjs and compares the outputs
# with numpy. Exits non-zero on any mismatch.
#
#   bash tools/ort/selftest.sh            (needs: cd tools/ort && ONNXRUNTIME_NODE_INSTALL=skip npm ci)
#   NODE=/path/to/node bash tools/ort/selftest.sh   to try another node binary
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODE="${NODE:-node}"
PY="${PY:-/usr/bin/python3}"
RUN=("$NODE" "$HERE/run.mjs")

if [[ ! -d "$HERE/node_modules/onnxruntime-node" ]]; then
  echo "selftest: onnxruntime-node is not installed; run: cd $HERE && ONNXRUNTIME_NODE_INSTALL=skip npm ci" >&2
  exit 1
fi
if ! "$PY" -c 'import onnx, numpy' 2>/dev/null; then
  echo "selftest: $PY lacks onnx/numpy (Debian: apt-get install python3-onnx python3-numpy)" >&2
  exit 1
fi

T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT

pass=0
fail=0
ok() { echo "ok   - $*"; pass=$((pass + 1)); }
bad() { echo "FAIL - $*"; fail=$((fail + 1)); }

# ---- build models and inputs
"$PY" - "$T" <<'EOF'
import sys, numpy as np, onnx
from onnx import helper as h, TensorProto as TP
d = sys.argv[1]

def save(graph, name, opset=13):
    m = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 7
    onnx.checker.check_model(m)
    onnx.save(m, f"{d}/{name}.onnx")

# 1. Add of two float32 [2,3] inputs, then QuantizeLinear to uint8 (scale 0.05, zp 128)
g = h.make_graph(
    [h.make_node("Add", ["a", "b"], ["sum"]),
     h.make_node("QuantizeLinear", ["sum", "scale", "zp"], ["q"])],
    "add_q",
    [h.make_tensor_value_info("a", TP.FLOAT, [2, 3]),
     h.make_tensor_value_info("b", TP.FLOAT, [2, 3])],
    [h.make_tensor_value_info("sum", TP.FLOAT, [2, 3]),
     h.make_tensor_value_info("q", TP.UINT8, [2, 3])],
    [h.make_tensor("scale", TP.FLOAT, [], [0.05]),
     h.make_tensor("zp", TP.UINT8, [], [128])])
save(g, "add_q")
a = np.array([[0.1, -0.2, 3.0], [-7.5, 0.025, 0.075]], dtype=np.float32)  # incl. saturation and ties
b = np.array([[0.3, 0.2, 4.0], [1.0, 0.0, 0.0]], dtype=np.float32)
np.save(f"{d}/a.npy", a)
np.save(f"{d}/b.npy", b)
s = (a + b).astype(np.float32)
q = np.clip(np.rint(s / np.float32(0.05)) + 128, 0, 255).astype(np.uint8)  # round half to even
np.save(f"{d}/want_sum.npy", s)
np.save(f"{d}/want_q.npy", q)

# 2. Identity for every supported dtype (checks .npy reading and writing), with a
#    symbolic dimension, a 0-d and a 1-d tensor among them
types = [("f4", TP.FLOAT, np.float32), ("f8", TP.DOUBLE, np.float64), ("f2", TP.FLOAT16, np.float16),
         ("i1", TP.INT8, np.int8), ("u1", TP.UINT8, np.uint8), ("i2", TP.INT16, np.int16),
         ("u2", TP.UINT16, np.uint16), ("i4", TP.INT32, np.int32), ("u4", TP.UINT32, np.uint32),
         ("i8", TP.INT64, np.int64), ("u8", TP.UINT64, np.uint64), ("b1", TP.BOOL, np.bool_)]
shapes = {"f4": [], "f8": [5], "i8": ["n", 2]}
nodes, ins, outs = [], [], []
rng = np.random.default_rng(1)
for code, tp, npt in types:
    shp = shapes.get(code, [2, 3, 4])
    nodes.append(h.make_node("Identity", [f"x_{code}"], [f"y_{code}"]))
    ins.append(h.make_tensor_value_info(f"x_{code}", tp, shp))
    outs.append(h.make_tensor_value_info(f"y_{code}", tp, shp))
    cshp = [3 if s == "n" else s for s in shp]
    if npt == np.bool_:
        x = rng.integers(0, 2, cshp).astype(np.bool_)
    elif np.issubdtype(npt, np.floating):
        x = rng.standard_normal(cshp).astype(npt)
    else:
        info = np.iinfo(npt)
        x = rng.integers(info.min, info.max, cshp, dtype=npt, endpoint=True)
    np.save(f"{d}/x_{code}.npy", x)
save(h.make_graph(nodes, "identities", ins, outs), "ident")

# 3. a model whose input dtype is uint8, for the dtype-mismatch check
g = h.make_graph([h.make_node("Identity", ["u"], ["v"])], "u8",
                 [h.make_tensor_value_info("u", TP.UINT8, ["batch", 4])],
                 [h.make_tensor_value_info("v", TP.UINT8, ["batch", 4])])
save(g, "u8")

# a v2.0-format .npy must also be read
import numpy.lib.format as fmt
with open(f"{d}/a_v2.npy", "wb") as f:
    fmt.write_array(f, a, version=(2, 0))
EOF

# ---- 1. Add + QuantizeLinear against numpy
"${RUN[@]}" "$T/add_q.onnx" --input "$T/a.npy" --input "$T/b.npy" --output "$T/sum.npy" --output "$T/q.npy"
if "$PY" - "$T" <<'EOF'
import sys, numpy as np
d = sys.argv[1]
s, q = np.load(f"{d}/sum.npy"), np.load(f"{d}/q.npy")
ws, wq = np.load(f"{d}/want_sum.npy"), np.load(f"{d}/want_q.npy")
assert s.dtype == np.float32 and s.shape == (2, 3), (s.dtype, s.shape)
assert q.dtype == np.uint8 and q.shape == (2, 3), (q.dtype, q.shape)
assert np.array_equal(s, ws), (s, ws)
assert np.array_equal(q, wq), (q, wq)
EOF
then ok "Add + QuantizeLinear(uint8) matches numpy"; else bad "Add + QuantizeLinear(uint8)"; fi

# same with --opt=all (results must not change for this graph)
"${RUN[@]}" "$T/add_q.onnx" --opt=all --input "$T/a.npy" --input "$T/b.npy" --output "$T/sum2.npy" --output "$T/q2.npy"
if cmp -s "$T/sum.npy" "$T/sum2.npy" && cmp -s "$T/q.npy" "$T/q2.npy"; then
  ok "--opt=all gives the same bytes"
else bad "--opt=all output differs"; fi

# ---- 2. every dtype round-trips through .npy -> ORT -> .npy
codes=(f4 f8 f2 i1 u1 i2 u2 i4 u4 i8 u8 b1)
args=()
for c in "${codes[@]}"; do args+=(--input "$T/x_$c.npy"); done
for c in "${codes[@]}"; do args+=(--output "$T/y_$c.npy"); done
"${RUN[@]}" "$T/ident.onnx" "${args[@]}"
if "$PY" - "$T" "${codes[@]}" <<'EOF'
import sys, numpy as np
d, codes = sys.argv[1], sys.argv[2:]
for c in codes:
    x, y = np.load(f"{d}/x_{c}.npy"), np.load(f"{d}/y_{c}.npy")
    assert x.dtype == y.dtype and x.shape == y.shape, (c, x.dtype, y.dtype, x.shape, y.shape)
    assert x.tobytes() == y.tobytes(), c
EOF
then ok "all 12 dtypes round-trip (.npy read, ORT, .npy write)"; else bad "dtype round-trip"; fi

# ---- 3. .npy format 2.0 input
"${RUN[@]}" "$T/add_q.onnx" --input "$T/a_v2.npy" --input "$T/b.npy" --output "$T/sum3.npy" --output "$T/q3.npy"
if cmp -s "$T/q.npy" "$T/q3.npy"; then ok "reads .npy format 2.0"; else bad ".npy format 2.0"; fi

# ---- 4. --list and --random-inputs
want_list=$'input a\ninput b\noutput sum\noutput q'
got_list="$("${RUN[@]}" "$T/add_q.onnx" --list)"
if [[ "$got_list" == "$want_list" ]]; then ok "--list"; else bad "--list gave: $got_list"; fi

mapfile -t r1 < <("${RUN[@]}" "$T/ident.onnx" --random-inputs "$T/r1" --seed 7)
mapfile -t r2 < <("${RUN[@]}" "$T/ident.onnx" --random-inputs "$T/r2" --seed 7)
mapfile -t r3 < <("${RUN[@]}" "$T/ident.onnx" --random-inputs "$T/r3" --seed 8)
same=1; differ=0
for i in "${!r1[@]}"; do
  cmp -s "${r1[$i]}" "${r2[$i]}" || same=0
  cmp -s "${r1[$i]}" "${r3[$i]}" || differ=1
done
if [[ ${#r1[@]} -eq 12 && $same -eq 1 && $differ -eq 1 ]]; then
  ok "--random-inputs writes 12 files, deterministic per seed"
else bad "--random-inputs (count ${#r1[@]}, same=$same, differ=$differ)"; fi
if "$PY" - "${r1[@]}" <<'EOF'
import sys, numpy as np
want = ["f4", "f8", "f2", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "b1"]
for path, code in zip(sys.argv[1:], want):
    x = np.load(path)
    assert x.dtype.str[1:] == code, (path, x.dtype.str)
    if code[0] == "f":
        assert np.all((x >= -1) & (x <= 1)), path
    if code == "i8":
        assert x.shape == (1, 2), (path, x.shape)   # symbolic dim -> 1
    if code == "f4":
        assert x.shape == (), path
EOF
then ok "--random-inputs dtypes, ranges and symbolic dims"; else bad "--random-inputs contents"; fi
# the random inputs must be accepted by run itself
args=()
for f in "${r1[@]}"; do args+=(--input "$f"); done
for c in "${codes[@]}"; do args+=(--output "$T/r_$c.npy"); done
if "${RUN[@]}" "$T/ident.onnx" "${args[@]}"; then ok "random inputs run"; else bad "random inputs run"; fi

# ---- 5. clean errors
expect_error() { # description, expected substring, command...
  local what="$1" want="$2"; shift 2
  local err rc=0
  err="$("$@" 2>&1 >/dev/null)" || rc=$?
  if [[ $rc -eq 1 && "$err" == "ort-run: error: "*"$want"* ]]; then ok "error: $what"
  else bad "error: $what (rc=$rc, stderr: $err)"; fi
}
expect_error "missing model" "no such file" "${RUN[@]}" "$T/nope.onnx" --list
expect_error "missing input file" "no such file" "${RUN[@]}" "$T/add_q.onnx" --input "$T/nope.npy" --input "$T/b.npy" --output "$T/o1.npy" --output "$T/o2.npy"
expect_error "wrong input count" "2 input(s)" "${RUN[@]}" "$T/add_q.onnx" --input "$T/a.npy" --output "$T/o1.npy" --output "$T/o2.npy"
expect_error "wrong output count" "2 output(s)" "${RUN[@]}" "$T/add_q.onnx" --input "$T/a.npy" --input "$T/b.npy" --output "$T/o1.npy"
expect_error "dtype mismatch" "does not match model input 'u'" "${RUN[@]}" "$T/u8.onnx" --input "$T/a.npy" --output "$T/o1.npy"
expect_error "shape mismatch" "shape [2,3,4] does not match" "${RUN[@]}" "$T/u8.onnx" --input "$T/x_u1.npy" --output "$T/o1.npy"
printf 'not an npy file' > "$T/junk.npy"
expect_error "bad .npy" "not a .npy file" "${RUN[@]}" "$T/add_q.onnx" --input "$T/junk.npy" --input "$T/b.npy" --output "$T/o1.npy" --output "$T/o2.npy"
head -c 100 "$T/a.npy" > "$T/trunc.npy"
expect_error "truncated .npy" "truncated" "${RUN[@]}" "$T/add_q.onnx" --input "$T/trunc.npy" --input "$T/b.npy" --output "$T/o1.npy" --output "$T/o2.npy"
printf 'garbage' > "$T/junk.onnx"
expect_error "bad model" "cannot load the model" "${RUN[@]}" "$T/junk.onnx" --list
expect_error "unknown option" "unknown option" "${RUN[@]}" "$T/add_q.onnx" --frobnicate

echo "selftest: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
