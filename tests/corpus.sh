#!/bin/sh
# clembed embed on corpora: FILE.partial and the rename, .npy row counts, bad lines
# (fail and skip), JSON \u0000, a full disk, the output checked before the model,
# --threads 1 and 4 byte-identical on every device, and a run killed with SIGKILL at a
# random point then resumed, byte-identical to an uninterrupted run; mismatching
# journals refused.  Tiny model, the bench corpus.
set -u
top_srcdir=${top_srcdir:-.}
bin=${CLEMBED_BIN:-./clembed}
model=$top_srcdir/tests/data/models/tiny-gelu-mean
bench=$top_srcdir/tests/data/corpus/bench.txt
dev=${CLEMBED_TEST_DEVICE:-}
. "$top_srcdir/tests/tap.sh"
run() { if [ -n "$dev" ]; then "$bin" "$@" --device "$dev"; else "$bin" "$@"; fi; }
devarg=${dev:+--device $dev}
export CLEMBED_LOG=error

"$bin" embed --help >/dev/null 2>&1 || { echo "1..0 # SKIP $bin does not run"; exit 0; }
if ! run embed -m "$model" </dev/null >/dev/null 2>"$tmp/err"; then
    if grep -q "no usable OpenCL device\|not found" "$tmp/err"; then
        echo "1..0 # SKIP no OpenCL device"; exit 0
    fi
fi

head -n 300 "$bench" >"$tmp/in.txt"

# ---- the rename, and the row count -------------------------------------------
run embed -m "$model" -i "$tmp/in.txt" -f npy -o "$tmp/a.npy" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && [ -f "$tmp/a.npy" ] && [ ! -e "$tmp/a.npy.partial" ] && [ ! -e "$tmp/a.npy.journal" ] &&
    head -c 128 "$tmp/a.npy" | grep -q "'shape': (300, 32)" && [ "$(wc -c <"$tmp/a.npy")" -eq $((128 + 300 * 32 * 4)) ]
check $? "npy: FILE whole with shape (300, 32); no .partial or journal left"

run embed -m "$model" -i "$tmp/in.txt" -f npy -o "$tmp/nodir/a.npy" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "cannot create $tmp/nodir/a.npy.partial" "$tmp/err"
check $? "an unwritable output is an error naming it"

"$bin" embed -m "$tmp/no-such-model" -i "$tmp/in.txt" -o "$tmp/nodir/x.jsonl" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "nodir/x.jsonl.partial" "$tmp/err" && ! grep -q "no-such-model" "$tmp/err"
check $? "the output is checked before the model is loaded"

# ---- bad lines -------------------------------------------------------------
{ head -n 100 "$tmp/in.txt"; printf 'broken \303\050 text here\n'; sed -n '101,200p' "$tmp/in.txt"; } >"$tmp/bad.txt"
run embed -m "$model" -i "$tmp/bad.txt" -f f32 -o "$tmp/bad.f32" --window-bytes 2000 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "bad.txt:101: invalid UTF-8 at byte 8 of the line: \"broken \\\\xc3( text here\"" "$tmp/err" &&
    [ ! -e "$tmp/bad.f32" ] && [ -e "$tmp/bad.f32.partial" ]
check $? "an invalid line: exit 1, the line number and its first characters, no FILE"

run embed -m "$model" -i "$tmp/bad.txt" -f f32 -o "$tmp/skip.f32" --on-error skip -v 2>"$tmp/err"
rc=$?
head -n 200 "$tmp/in.txt" | run embed -m "$model" -f f32 -o "$tmp/good.f32" 2>>"$tmp/err"
# Row 101 (index 100) is zeros; the others are the good run's rows.
zeros=$(od -An -v -f -w128 -j $((100 * 128)) -N 128 "$tmp/skip.f32" | tr -s ' ' '\n' | awk '$1 != "" && $1 != 0 { b++ } END { print b + 0 }')
{ head -c $((100 * 128)) "$tmp/skip.f32"; tail -c $((100 * 128)) "$tmp/skip.f32"; } | cmp -s - "$tmp/good.f32"
same=$?
[ $rc -eq 0 ] && [ "$(wc -c <"$tmp/skip.f32")" -eq $((201 * 128)) ] && [ "$zeros" -eq 0 ] && [ $same -eq 0 ] &&
    grep -q "bad.txt:101: skipped: invalid UTF-8" "$tmp/err" && grep -q "skipped lines: 101" "$tmp/err" &&
    grep -q "1 skipped" "$tmp/err"
check $? "--on-error skip: a zero vector in the bad line's row, the others unchanged, listed on stderr and in -v"

printf 'short\n%0300d\nshort too\n' 0 >"$tmp/long.txt"
run embed -m "$model" -i "$tmp/long.txt" --max-line-bytes 100 >/dev/null 2>"$tmp/err"
rc=$?
run embed -m "$model" -i "$tmp/long.txt" --max-line-bytes 100 --on-error skip >"$tmp/long.jsonl" 2>>"$tmp/err"
rc2=$?
[ $rc -eq 1 ] && grep -q "long.txt:2: the line is longer than 100 bytes" "$tmp/err" && [ $rc2 -eq 0 ] &&
    [ "$(wc -l <"$tmp/long.jsonl")" -eq 3 ]
check $? "a line over --max-line-bytes is a bad line (fail, or skipped)"

printf '"a\\u0000b"\n' >"$tmp/nul.jsonl"
run embed -m "$model" -i "$tmp/nul.jsonl" --input-format jsonl >"$tmp/nul.out" 2>"$tmp/err"
rc=$?
printf 'a\000b\n' | run embed -m "$model" >/dev/null 2>>"$tmp/err"
rc2=$?
printf '"a\\\\u0000b"\n{"text": "fine", "note": "x"}\n' | run embed -m "$model" --input-format jsonl >"$tmp/esc.out" 2>>"$tmp/err"
rc3=$?
[ $rc -eq 1 ] && [ ! -s "$tmp/nul.out" ] && grep -q "nul.jsonl:1: the line holds a NUL character" "$tmp/err" &&
    [ $rc2 -eq 1 ] && grep -q ":1: the line holds a NUL byte" "$tmp/err" && [ $rc3 -eq 0 ] && [ "$(wc -l <"$tmp/esc.out")" -eq 2 ]
check $? "JSON \"a\\u0000b\" is refused like a NUL byte in text, never embedded as \"a\"; an escaped backslash is fine"

# ---- a 50 MB line: only the prefix truncation needs is tokenized ---------------------
tr '\n' ' ' <"$bench" >"$tmp/para.txt"
: >"$tmp/huge.txt"
while [ "$(wc -c <"$tmp/huge.txt")" -lt 52428800 ]; do cat "$tmp/para.txt" "$tmp/para.txt" "$tmp/para.txt" "$tmp/para.txt" >>"$tmp/huge.txt"; done
echo >>"$tmp/huge.txt"
# The reference: a 2000-byte start of the line, cut at a space: short enough to be
# tokenized whole, long enough to hold more tokens than the model keeps.
head -c 2000 "$tmp/huge.txt" | sed 's/ [^ ]*$//' >"$tmp/start.txt"
echo >>"$tmp/start.txt"
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$tmp/peak" "$bin" embed -m "$model" -i "$tmp/huge.txt" -f f32 -o "$tmp/huge.f32" $devarg 2>"$tmp/err"
    rc=$?
    peak=$(tail -n 1 "$tmp/peak")
    run embed -m "$model" -i "$tmp/start.txt" -f f32 -o "$tmp/start.f32" 2>>"$tmp/err"
    [ $rc -eq 0 ] && [ "$peak" -lt 512000 ] && cmp -s "$tmp/huge.f32" "$tmp/start.f32"
    check $? "a $(($(wc -c <"$tmp/huge.txt") / 1048576)) MiB line: peak $((peak / 1024)) MiB resident (under 500), the same vector as its start tokenized whole"
else
    ok "a 50 MB line # SKIP /usr/bin/time is not installed"
fi
rm -f "$tmp/huge.txt" "$tmp/para.txt"

# ---- a full disk: a file-size limit ----------------------------------------------
(ulimit -f 8; run embed -m "$model" -i "$tmp/in.txt" -f f32 -o "$tmp/full.f32") 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "writing $tmp/full.f32.partial: File too large" "$tmp/err" && [ ! -e "$tmp/full.f32" ]
check $? "a full disk (ulimit -f): exit 1, a message, no FILE"

# A device failure (the fault switch, lib/runtime/fault.h): the lines and the device error.
CLEMBED_FAULT=enqueue:40 run embed -m "$model" -i "$tmp/in.txt" -f npy -o "$tmp/fault.npy" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "in.txt: lines 1-300: device out of memory: .*CL_OUT_OF_RESOURCES" "$tmp/err" && [ ! -e "$tmp/fault.npy" ]
check $? "a device error (CLEMBED_FAULT=enqueue:40): exit 1, the lines and the driver's error, no FILE"

# Standard output keeps streaming, but the status tells.
{ head -n 50 "$tmp/in.txt"; printf 'bad \377\n'; } | run embed -m "$model" --window-bytes 1000 >"$tmp/part.jsonl" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$tmp/part.jsonl")" -ge 1 ] && grep -q ":51: invalid UTF-8" "$tmp/err"
check $? "stdout: the rows before a bad line stream out, and the exit status is 1"

# ---- threads: byte-identical on every device -----------------------------------------
devices=$("$bin" info 2>/dev/null | sed -n 's/^device \([0-9]*\):.*/\1/p')
[ -n "$dev" ] && devices=$dev
for d in $devices; do
    "$bin" embed -m "$model" -i "$tmp/in.txt" -f f32 -o "$tmp/t1.f32" --threads 1 --window-bytes 3000 -d "$d" 2>"$tmp/err"
    r1=$?
    "$bin" embed -m "$model" -i "$tmp/in.txt" -f f32 -o "$tmp/t4.f32" --threads 4 --window-bytes 3000 -d "$d" 2>>"$tmp/err"
    r4=$?
    "$bin" embed -m "$model" -i "$tmp/in.txt" -f f32 -o "$tmp/tw.f32" --window-bytes 1000000 --batch-tokens 512 -d "$d" 2>>"$tmp/err"
    [ $r1 -eq 0 ] && [ $r4 -eq 0 ] && cmp -s "$tmp/t1.f32" "$tmp/t4.f32" && [ "$(wc -c <"$tmp/t1.f32")" -eq $((300 * 128)) ]
    check $? "device $d: --threads 1 and --threads 4 write the same bytes"
    cmp -s "$tmp/t1.f32" "$tmp/tw.f32"
    check $? "device $d: other windows and batches (padding neighbours) give the same bytes"
done

# ---- killed at a random point and resumed --------------------------------------------
cat "$bench" "$bench" >"$tmp/big.txt"
args="-m $model -i $tmp/big.txt --window-bytes 8192 --max-tokens 48"
run embed $args -f npy -o "$tmp/ref.npy" 2>"$tmp/err"
run embed $args -f jsonl -o "$tmp/ref.jsonl" 2>>"$tmp/err"
resumed=0
for fmt in npy jsonl; do
    out=$tmp/k.$fmt
    killed=0
    for attempt in 1 2 3 4 5; do
        rm -f "$out" "$out.partial" "$out.journal"
        # shellcheck disable=SC2086
        "$bin" embed $args $devarg -f $fmt -o "$out" 2>"$tmp/err" &
        pid=$!
        # Once the first window is journaled, a random moment later.
        w=0
        while [ ! -e "$out.journal" ] && [ $w -lt 600 ] && kill -0 $pid 2>/dev/null; do sleep 0.05; w=$((w + 1)); done
        t_kill=$(awk -v a=$attempt 'BEGIN { srand(); printf "%.2f", rand() * 0.8 / a }')
        sleep "$t_kill"
        if kill -KILL $pid 2>/dev/null; then
            wait $pid 2>/dev/null
            killed=1
            break
        fi
        wait $pid 2>/dev/null
    done
    rows_done=$(sed -n 's/^rows_done //p' "$out.journal" 2>/dev/null)
    [ ! -e "$out" ]
    whole_missing=$?
    run embed $args -f $fmt -o "$out" --resume 2>"$tmp/err"
    rc=$?
    [ $killed -eq 1 ] && [ $whole_missing -eq 0 ] && [ $rc -eq 0 ] && cmp -s "$out" "$tmp/ref.$fmt" &&
        [ ! -e "$out.journal" ] && [ ! -e "$out.partial" ]
    check $? "$fmt: SIGKILL ${t_kill}s after the first checkpoint (journal at ${rows_done:-no} of 4800 rows), --resume: byte-identical to an uninterrupted run"
    [ -n "$rows_done" ] && resumed=$((resumed + 1))
done
[ $resumed -gt 0 ] || echo "# no kill landed after a checkpoint (a fast machine): the resume started over"

# A journal from other settings, other input or another model is refused, saying what.
"$bin" embed $args $devarg -f npy -o "$tmp/m.npy" --window-bytes 4096 2>/dev/null &
pid=$!
sleep 0.5
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
if [ ! -e "$tmp/m.npy.journal" ]; then
    # Too fast to catch: make a journal by failing on a bad last line instead.
    { cat "$tmp/big.txt"; printf 'bad \377\n'; } >"$tmp/big2.txt"
    cp "$tmp/big2.txt" "$tmp/big.txt"
    run embed $args -f npy -o "$tmp/m.npy" --window-bytes 4096 2>/dev/null
fi
run embed $args -f npy -o "$tmp/m.npy" --window-bytes 4096 --resume --normalize 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "other settings: normalize '1' (journal: '-1')" "$tmp/err"
check $? "--resume with other settings is refused, naming them"
sed '1s/^./X/' "$tmp/big.txt" >"$tmp/other.txt"
run embed -m "$model" -i "$tmp/other.txt" -f npy -o "$tmp/m.npy" --window-bytes 4096 --max-tokens 48 --resume 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "bytes of $tmp/other.txt differ from those" "$tmp/err"
check $? "--resume over another input is refused"
cp -r "$model" "$tmp/model2"
printf '\n' >>"$tmp/model2/config.json"
run embed -m "$tmp/model2" -i "$tmp/big.txt" -f npy -o "$tmp/m.npy" --window-bytes 4096 --max-tokens 48 --resume 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "written for another model" "$tmp/err"
check $? "--resume with another model is refused"
run embed -m "$model" -i "$tmp/big.txt" -f npy -o "$tmp/m.npy" --max-tokens 48 --resume 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "window_bytes '2097152' (journal: '4096')" "$tmp/err"
check $? "--resume needs the same windows"

echo "1..$n"
[ $failed -eq 0 ]
