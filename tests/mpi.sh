#!/bin/sh
# clembed-mpi on 1, 2 and 4 ranks (oversubscribed, all on PoCL) over a corpus of 4800
# lines in some 50 windows: npy and f32 byte-identical to clembed embed on one process,
# with --threads and with skipped bad lines too; a rank killed with SIGKILL part-way, a torn
# journal line, then --resume on another number of ranks: the same bytes; a rank whose
# device fails (the fault switch) or cannot be selected ends the job with a message naming
# it and its chunk, exit 1, no FILE, and a journal that --resume finishes; so does an input
# no rank can read; journals of other settings and rows that changed are refused;
# examples/mpi_embed gathers the vectors clembed embed gives.  Tiny model; skipped when
# clembed-mpi was not built.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
bin=${CLEMBED_BIN:-./clembed}
mpibin=${CLEMBED_MPI_BIN:-$top_builddir/clembed-mpi}
example=$top_builddir/examples/mpi_embed
mpiexec=${MPIEXEC:-mpirun}
model=$top_srcdir/tests/data/models/tiny-gelu-mean
bench=$top_srcdir/tests/data/corpus/bench.txt
export CLEMBED_LOG=error

[ -x "$mpibin" ] || { echo "1..0 # SKIP clembed-mpi was not built (configure found no MPI)"; exit 0; }
command -v "$mpiexec" >/dev/null 2>&1 || { echo "1..0 # SKIP no mpirun or mpiexec"; exit 0; }
"$bin" info 2>/dev/null | grep -q "select with:.* pocl" || { echo "1..0 # SKIP no PoCL device"; exit 0; }
# Open MPI refuses root unless told, and more ranks than cores unless told.
if [ "$(id -u)" = 0 ]; then
    OMPI_ALLOW_RUN_AS_ROOT=1; OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
fi
over=
"$mpiexec" --version 2>&1 | grep -q "Open MPI" && over=--oversubscribe

tap_err_lines=12
. "$top_srcdir/tests/tap.sh"
# Chunks a journal names.
journaled() { if [ -e "$1" ]; then grep -c '^chunk ' "$1"; else echo 0; fi; }
# mpi NP ARGS...: clembed-mpi embed on NP ranks with the common options.
mpi() { np=$1; shift; "$mpiexec" $over -np "$np" "$mpibin" embed $common "$@"; }

cat "$bench" "$bench" >"$tmp/in.txt"
common="-m $model -i $tmp/in.txt --window-bytes 8192 --max-tokens 48 -d pocl"
# shellcheck disable=SC2086
"$bin" embed $common -f npy -o "$tmp/ref.npy" 2>"$tmp/err" &&
    "$bin" embed $common -f f32 -o "$tmp/ref.f32" 2>>"$tmp/err"
check $? "clembed embed writes the references (4800 lines, 8192-byte windows)"

# ---- byte-identical on 1, 2 and 4 ranks ------------------------------------------------
for np in 1 2 4; do
    mpi $np -o "$tmp/o$np.npy" -v 2>"$tmp/err"
    rc=$?
    chunks=$(sed -n 's/.* \([0-9]*\) chunks on .*/\1/p' "$tmp/err")
    ranks=$(grep -Ec '^clembed-mpi: +[0-9]+ +[0-9]+ ' "$tmp/err")
    [ $rc -eq 0 ] && cmp -s "$tmp/o$np.npy" "$tmp/ref.npy" && [ ! -e "$tmp/o$np.npy.partial" ] &&
        [ ! -e "$tmp/o$np.npy.journal" ] && [ "$ranks" -eq $np ]
    check $? "$np rank(s): npy byte-identical to clembed embed (${chunks:-?} chunks; a figure line per rank)"
done
mpi 2 -f f32 -o "$tmp/o.f32" --threads 2 2>"$tmp/err" && cmp -s "$tmp/o.f32" "$tmp/ref.f32"
check $? "2 ranks, --threads 2: f32 byte-identical"

{ head -n 700 "$tmp/in.txt"; printf 'broken \303\050 text\n'; sed -n '701,1500p' "$tmp/in.txt"; } >"$tmp/bad.txt"
"$bin" embed -m "$model" -i "$tmp/bad.txt" --window-bytes 8192 -d pocl -f f32 -o "$tmp/bad_ref.f32" \
    --on-error skip 2>/dev/null
"$mpiexec" $over -np 2 "$mpibin" embed -m "$model" -i "$tmp/bad.txt" --window-bytes 8192 -d pocl -f f32 \
    -o "$tmp/bad.f32" --on-error skip 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && cmp -s "$tmp/bad.f32" "$tmp/bad_ref.f32" && grep -q "bad.txt:701: skipped: invalid UTF-8" "$tmp/err"
check $? "--on-error skip: the zero row and the message of clembed embed"
"$mpiexec" $over -np 2 "$mpibin" embed -m "$model" -i "$tmp/bad.txt" --window-bytes 8192 -d pocl \
    -o "$tmp/badf.npy" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "^clembed-mpi: rank [01]: chunk [0-9]*: .*bad.txt:701: invalid UTF-8" "$tmp/err" &&
    grep -q "the job failed: rank [01] could not finish chunk" "$tmp/err" && [ ! -e "$tmp/badf.npy" ]
check $? "a bad line: exit 1, the rank, the chunk and the line named, no FILE"

# ---- killed part-way, resumed on another number of ranks ---------------------------------
for i in 1 2 3 4; do cat "$bench"; done >"$tmp/big.txt"
big="-m $model -i $tmp/big.txt --window-bytes 4096 --max-tokens 48 -d pocl"
# shellcheck disable=SC2086
"$bin" embed $big -f npy -o "$tmp/bigref.npy" 2>/dev/null
killed=0
krc=0
for attempt in 1 2 3 4 5; do
    rm -f "$tmp/k.npy" "$tmp/k.npy.partial" "$tmp/k.npy.journal"
    # shellcheck disable=SC2086
    "$mpiexec" $over -np 2 "$mpibin" embed $big -o "$tmp/k.npy" 2>"$tmp/kerr" &
    pid=$!
    # Once a few chunks are journaled, SIGKILL one rank (a child of mpirun).
    w=0
    while [ "$(journaled "$tmp/k.npy.journal")" -lt $((2 + attempt * 3)) ] &&
        [ $w -lt 600 ] && kill -0 $pid 2>/dev/null; do
        sleep 0.05; w=$((w + 1))
    done
    victim=$(ps -o pid= --ppid $pid 2>/dev/null | tail -n 1)
    if [ -n "$victim" ] && kill -KILL $victim 2>/dev/null; then
        wait $pid
        krc=$?
        killed=1
        break
    fi
    wait $pid
done
done_chunks=$(journaled "$tmp/k.npy.journal")
total=$(sed -n 's/^chunks //p' "$tmp/k.npy.journal" 2>/dev/null)
[ $killed -eq 1 ] && [ "$krc" -ne 0 ] && [ ! -e "$tmp/k.npy" ] && [ -e "$tmp/k.npy.partial" ] &&
    [ "${done_chunks:-0}" -gt 0 ] && [ "${done_chunks:-0}" -lt "${total:-0}" ]
check $? "a rank killed with SIGKILL: mpirun exits $krc, no FILE, a journal of ${done_chunks:-0} of ${total:-?} chunks"
# A line torn by the kill is ignored (and cut off).
printf 'chunk 9999 12' >>"$tmp/k.npy.journal"
# shellcheck disable=SC2086
"$mpiexec" $over -np 4 "$mpibin" embed $big -o "$tmp/k.npy" --resume --normalize 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "other settings: normalize '1' (journal: '-1')" "$tmp/err" && [ ! -e "$tmp/k.npy" ]
check $? "--resume with other settings is refused, naming them"
cp "$tmp/k.npy.partial" "$tmp/saved.partial"
# The first journaled chunk's first row, one byte changed.
first=$(sed -n 's/^chunk [0-9]* \([0-9]*\) [1-9].*/\1/p' "$tmp/k.npy.journal" | head -n 1)
chunk=$(sed -n 's/^chunk \([0-9]*\) [0-9]* [1-9].*/\1/p' "$tmp/k.npy.journal" | head -n 1)
printf 'X' | dd of="$tmp/k.npy.partial" bs=1 seek=$((128 + first * 32 * 4)) conv=notrunc 2>/dev/null
# shellcheck disable=SC2086
"$mpiexec" $over -np 2 "$mpibin" embed $big -o "$tmp/k.npy" --resume 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "does not hold the rows of chunk $chunk as the journal says" "$tmp/err" && [ ! -e "$tmp/k.npy" ]
check $? "--resume over rows that changed since they were journaled is refused, naming the chunk"
cp "$tmp/saved.partial" "$tmp/k.npy.partial"
# shellcheck disable=SC2086
"$mpiexec" $over -np 4 "$mpibin" embed $big -o "$tmp/k.npy" --resume -v 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && cmp -s "$tmp/k.npy" "$tmp/bigref.npy" && [ ! -e "$tmp/k.npy.journal" ] && [ ! -e "$tmp/k.npy.partial" ]
check $? "--resume on 4 ranks after the kill on 2: byte-identical to clembed embed; journal and partial gone"

# ---- a rank whose device fails, or cannot be selected ------------------------------------
# MPMD: rank 1 runs under the fault switch (its 60th kernel launch fails).
# shellcheck disable=SC2086
"$mpiexec" $over -np 1 "$mpibin" embed $common -o "$tmp/f.npy" : \
    -np 1 env CLEMBED_FAULT=enqueue:60 "$mpibin" embed $common -o "$tmp/f.npy" 2>"$tmp/err"
rc=$?
fchunk=$(sed -n 's/.*rank 1 could not finish chunk \([0-9]*\).*/\1/p' "$tmp/err")
[ $rc -ne 0 ] && [ -n "$fchunk" ] && grep -q "^clembed-mpi: rank 1: chunk $fchunk: .*in.txt: lines [0-9]*-[0-9]*: .*CL_OUT_OF_RESOURCES" "$tmp/err" &&
    [ ! -e "$tmp/f.npy" ] && [ -e "$tmp/f.npy.journal" ]
check $? "rank 1's device fails: exit $rc, rank 1 and chunk ${fchunk:-?} named with the driver's error, no FILE"
mpi 2 -o "$tmp/f.npy" --resume 2>"$tmp/err" && cmp -s "$tmp/f.npy" "$tmp/ref.npy"
check $? "--resume after the device failure: byte-identical"
# shellcheck disable=SC2086
"$mpiexec" $over -np 1 "$mpibin" embed $common -o "$tmp/d.npy" : \
    -np 1 "$mpibin" embed $common -d no-such-device -o "$tmp/d.npy" 2>"$tmp/err"
rc=$?
[ $rc -ne 0 ] && grep -q "^clembed-mpi: rank 1: cannot select the device: .*no-such-device" "$tmp/err" && [ ! -e "$tmp/d.npy" ]
check $? "a device rank 1 cannot select: exit $rc, rank 1 named, no FILE"
# shellcheck disable=SC2086
"$mpiexec" $over -np 1 "$mpibin" embed $common -o "$tmp/d.npy" : \
    -np 1 "$mpibin" embed $common --normalize -o "$tmp/d.npy" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "rank 1: started with other options than rank 0: normalize '1' (rank 0: '-1')" "$tmp/err"
check $? "a rank started with other options is refused"

# An input the ranks cannot read.
"$mpiexec" $over -np 2 "$mpibin" embed -m "$model" -d pocl -i "$tmp/absent.txt" -o "$tmp/a.npy" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "^clembed-mpi: rank 1: .*absent.txt: No such file or directory" "$tmp/err" &&
    [ ! -e "$tmp/a.npy" ] && [ ! -e "$tmp/a.npy.partial" ]
check $? "an input that cannot be read: exit 1, each rank names it, no FILE"

# ---- usage ---------------------------------------------------------------------------
"$mpiexec" $over -np 1 "$mpibin" embed $common -f jsonl -o "$tmp/u.jsonl" 2>"$tmp/err"
rc=$?
"$mpiexec" $over -np 1 "$mpibin" embed $common -f h5 -o "$tmp/u.h5" 2>>"$tmp/err"
rc2=$?
[ $rc -eq 2 ] && [ $rc2 -eq 2 ] && grep -q "\-f jsonl: clembed-mpi writes rows at fixed offsets" "$tmp/err" &&
    grep -q "\-f h5: clembed-mpi writes npy or f32" "$tmp/err"
check $? "-f jsonl and -f h5 are usage errors that say why"

# ---- the example: per-rank texts, the plain C API, gathered ----------------------------
if [ -x "$example" ]; then
    "$mpiexec" $over -np 3 "$example" "$model" -d pocl -n 7 -o "$tmp/ex.f32" >"$tmp/ex.out" 2>"$tmp/err"
    rc=$?
    "$bin" embed -m "$model" -d pocl -i "$tmp/ex.f32.txt" -f f32 -o "$tmp/ex_ref.f32" 2>>"$tmp/err"
    [ $rc -eq 0 ] && grep -q "^21 texts from 3 ranks, dimension 32" "$tmp/ex.out" && cmp -s "$tmp/ex.f32" "$tmp/ex_ref.f32"
    check $? "examples/mpi_embed on 3 ranks gathers the vectors clembed embed gives"
else
    n=$((n + 1)); echo "ok $n # SKIP examples/mpi_embed was not built"
fi

echo "1..$n"
[ $failed -eq 0 ]
