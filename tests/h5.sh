#!/bin/sh
# clembed embed -f h5: the dataset, its attributes and line numbers read back by a C
# reader (tests/h5_read) and by h5py, a second dataset added to an existing file, a name
# already taken refused, and a run killed with SIGKILL then resumed to the same rows.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
bin=${CLEMBED_BIN:-./clembed}
reader=$top_builddir/tests/h5_read
model=$top_srcdir/tests/data/models/tiny-gelu-mean
bench=$top_srcdir/tests/data/corpus/bench.txt
dev=${CLEMBED_TEST_DEVICE:-}
devarg=${dev:+--device $dev}
. "$top_srcdir/tests/tap.sh"
run() { if [ -n "$dev" ]; then "$bin" "$@" --device "$dev"; else "$bin" "$@"; fi; }
export CLEMBED_LOG=error

[ -x "$reader" ] || { echo "1..0 # SKIP clembed was built without HDF5 (libhdf5-dev)"; exit 0; }
if ! run embed -m "$model" </dev/null >/dev/null 2>"$tmp/err"; then
    echo "1..0 # SKIP no OpenCL device"; exit 0
fi

head -n 200 "$bench" >"$tmp/in.txt"
printf 'one more line\n' >>"$tmp/in.txt"
run embed -m "$model" -i "$tmp/in.txt" -f f32 -o "$tmp/ref.f32" 2>"$tmp/err"
run embed -m "$model" -i "$tmp/in.txt" -f h5 -o "$tmp/out.h5" --ids 2>"$tmp/err"
rc=$?
"$reader" "$tmp/out.h5" embeddings "$tmp/got.f32" >"$tmp/info" 2>>"$tmp/err"
cat "$tmp/info" >>"$tmp/err"
[ $rc -eq 0 ] && [ ! -e "$tmp/out.h5.partial" ] &&
    grep -q "rank=2 shape=(201, 32) float32le=1 chunked=1 model=tiny-gelu-mean dimension=32 normalize=model normalized=1 clembed_version=" "$tmp/info" &&
    cmp -s "$tmp/got.f32" "$tmp/ref.f32" && [ "$(seq 1 201 | cmp - "$tmp/got.f32.ids" && echo same)" = same ]
check $? "C reader: embeddings (201 x 32 float32, chunked) with model, dimension, normalization and version; the f32 output's values; line numbers in embeddings_ids"

py=
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import h5py, numpy' 2>/dev/null; then py=$p; break; fi
done
if [ -n "$py" ]; then
    "$py" - "$tmp/out.h5" "$tmp/ref.f32" >"$tmp/err" 2>&1 <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
d = f["embeddings"]
ref = np.fromfile(sys.argv[2], dtype="<f4").reshape(-1, 32)
assert d.shape == (201, 32) and d.dtype == np.float32 and d.chunks is not None, (d.shape, d.dtype, d.chunks)
assert np.array_equal(d[...], ref)
text = lambda v: v.decode() if isinstance(v, (bytes, np.bytes_)) else str(v)
assert text(d.attrs["model"]) == "tiny-gelu-mean" and int(d.attrs["dimension"]) == 32, dict(d.attrs)
assert text(d.attrs["normalize"]) == "model" and int(d.attrs["normalized"]) == 1 and text(d.attrs["clembed_version"])
assert list(f["embeddings_ids"][...]) == list(range(1, 202))
PY
    check $? "h5py reads the same dataset, attributes and ids"
else
    ok "h5py reads the file # SKIP h5py is not installed (python3-h5py)"
fi

cp "$tmp/out.h5" "$tmp/before.h5"
run embed -m "$model" -i "$tmp/in.txt" -f h5 -o "$tmp/out.h5" --dataset second --normalize --truncate-dim 8 2>"$tmp/err"
rc=$?
"$reader" "$tmp/out.h5" second "$tmp/second.f32" >"$tmp/info2" 2>>"$tmp/err"
"$reader" "$tmp/out.h5" embeddings "$tmp/first.f32" >/dev/null 2>>"$tmp/err"
[ $rc -eq 0 ] && grep -q "shape=(201, 8) .* normalize=l2 normalized=1" "$tmp/info2" && cmp -s "$tmp/first.f32" "$tmp/ref.f32"
check $? "--dataset NAME adds a dataset to an existing file, which keeps the first"

run embed -m "$model" -i "$tmp/in.txt" -f h5 -o "$tmp/out.h5" --dataset second 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "already has a dataset 'second'" "$tmp/err"
check $? "a dataset name already in the file is refused"

# Killed and resumed: the same rows.
cat "$bench" "$bench" >"$tmp/big.txt"
args="-m $model -i $tmp/big.txt --window-bytes 8192 --max-tokens 48"
run embed $args -f f32 -o "$tmp/big.f32" 2>"$tmp/err"
args="$args --ids"
killed=0
for attempt in 1 2 3 4 5; do
    rm -f "$tmp/k.h5" "$tmp/k.h5.partial" "$tmp/k.h5.journal"
    # shellcheck disable=SC2086
    "$bin" embed $args $devarg -f h5 -o "$tmp/k.h5" 2>"$tmp/err" &
    pid=$!
    w=0
    while [ ! -e "$tmp/k.h5.journal" ] && [ $w -lt 600 ] && kill -0 $pid 2>/dev/null; do sleep 0.05; w=$((w + 1)); done
    sleep "$(awk -v a=$attempt 'BEGIN { srand(); printf "%.2f", rand() * 0.8 / a }')"
    if kill -KILL $pid 2>/dev/null; then
        wait $pid 2>/dev/null
        killed=1
        break
    fi
    wait $pid 2>/dev/null
done
rows=$(sed -n 's/^rows_done //p' "$tmp/k.h5.journal" 2>/dev/null)
[ ! -e "$tmp/k.h5" ]
missing=$?
run embed $args -f h5 -o "$tmp/k.h5" --resume 2>"$tmp/err"
rc=$?
"$reader" "$tmp/k.h5" embeddings "$tmp/k.f32" >/dev/null 2>>"$tmp/err"
[ $killed -eq 1 ] && [ $missing -eq 0 ] && [ $rc -eq 0 ] && cmp -s "$tmp/k.f32" "$tmp/big.f32" &&
    [ "$(seq 1 4800 | cmp - "$tmp/k.f32.ids" && echo same)" = same ]
check $? "killed (journal at ${rows:-no} rows), no FILE; --resume: the same 4800 rows and ids"

echo "1..$n"
[ $failed -eq 0 ]
