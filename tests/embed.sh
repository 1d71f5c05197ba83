#!/bin/sh
# clembed embed and clembed bench from the command line, on a tiny model:
# output formats agree, JSON lines input, empty input, invalid UTF-8,
# truncation and normalization options, prompts, the bench's JSON.
set -u
top_srcdir=${top_srcdir:-.}
bin=${CLEMBED_BIN:-./clembed}
model=$top_srcdir/tests/data/models/tiny-gelu-mean
prompted=$top_srcdir/tests/data/models/tiny-prompt
dev=${CLEMBED_TEST_DEVICE:-}
. "$top_srcdir/tests/tap.sh"
# make check-valgrind sets CLEMBED_BIN_WRAPPER to run the command under memcheck.
wrap=${CLEMBED_BIN_WRAPPER:-}
run() { if [ -n "$dev" ]; then $wrap "$bin" "$@" --device "$dev"; else $wrap "$bin" "$@"; fi; }

"$bin" embed --help >/dev/null 2>&1 || { echo "1..0 # SKIP $bin does not run"; exit 0; }
if ! run embed -m "$model" </dev/null >/dev/null 2>"$tmp/err"; then
    if grep -q "no usable OpenCL device\|not found" "$tmp/err"; then
        echo "1..0 # SKIP no OpenCL device"; exit 0
    fi
fi

printf 'A cat sits on the mat.\nA dog runs in the park.\n\nThe end.\n' >"$tmp/in.txt"

run embed -m "$model" -i "$tmp/in.txt" >"$tmp/out.jsonl" 2>"$tmp/err"
rc=$?
lines=$(wc -l <"$tmp/out.jsonl")
fields=$(head -n 1 "$tmp/out.jsonl" | tr ',' '\n' | wc -l)
[ $rc -eq 0 ] && [ "$lines" -eq 4 ] && [ "$fields" -eq 32 ]
check $? "jsonl: one array of 32 floats per line, empty line included ($lines lines, $fields fields)"

# Every value, one per line, from JSON lines and from raw float32.
values_jsonl() { tr -d '[]' <"$1" | tr ',' '\n' | sed '/^$/d'; }
values_f32() { od -An -v -f -w4 "$1" | sed 's/^ *//;/^$/d'; }
same_values() {
    paste -d ' ' "$1" "$2" | awk '{ d = $1 - $2; if (d < 0) d = -d; m = $1 < 0 ? -$1 : $1;
        if (d > 1e-6 * (1 + m)) bad++ } END { exit (bad > 0 || NR == 0) }'
}
values_jsonl "$tmp/out.jsonl" >"$tmp/v.jsonl"

run embed -m "$model" -i "$tmp/in.txt" -f f32 -o "$tmp/out.f32" 2>"$tmp/err"
rc=$?
values_f32 "$tmp/out.f32" >"$tmp/v.f32"
[ $rc -eq 0 ] && [ "$(wc -c <"$tmp/out.f32")" -eq $((4 * 32 * 4)) ] && same_values "$tmp/v.jsonl" "$tmp/v.f32"
check $? "f32: 4 x 32 little-endian floats equal to the JSON lines"

run embed -m "$model" -i "$tmp/in.txt" --format npy -o "$tmp/out.npy" 2>"$tmp/err"
rc=$?
size=$(wc -c <"$tmp/out.npy")
hdr=$((size - 4 * 32 * 4))
tail -c $((4 * 32 * 4)) "$tmp/out.npy" >"$tmp/npy.data"
values_f32 "$tmp/npy.data" >"$tmp/v.npy"
[ $rc -eq 0 ] && head -c 6 "$tmp/out.npy" | od -An -c | grep -q 'N   U   M   P   Y' &&
    head -c "$hdr" "$tmp/out.npy" | grep -q "'shape': (4, 32)" && [ $((hdr % 64)) -eq 0 ] &&
    same_values "$tmp/v.jsonl" "$tmp/v.npy"
check $? "npy: version 1 header with shape (4, 32), 64-byte aligned, same values"

printf '"A cat sits on the mat."\n{"text": "A dog runs in the park."}\n""\n{"text": "The end.", "id": 7}\n' \
    >"$tmp/in.jsonl"
run embed -m "$model" -i "$tmp/in.jsonl" --input-format jsonl >"$tmp/out2.jsonl" 2>"$tmp/err"
rc=$?
values_jsonl "$tmp/out2.jsonl" >"$tmp/v2.jsonl"
[ $rc -eq 0 ] && same_values "$tmp/v.jsonl" "$tmp/v2.jsonl"
check $? "--input-format jsonl (strings and {\"text\": ...}) gives the same vectors"

printf '{"txt": 1}\n' | run embed -m "$model" --input-format jsonl >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -ne 0 ] && grep -q ':1: expected a JSON string' "$tmp/err"
check $? "a JSON line without text is an error naming the line"

run embed -m "$model" </dev/null >"$tmp/empty.jsonl" 2>"$tmp/err"
rc=$?
run embed -m "$model" -f npy -o "$tmp/empty.npy" </dev/null 2>>"$tmp/err"
rc2=$?
[ $rc -eq 0 ] && [ ! -s "$tmp/empty.jsonl" ] && [ $rc2 -eq 0 ] && grep -q "'shape': (0, 32)" "$tmp/empty.npy"
check $? "empty input: no lines, an npy of shape (0, 32)"

printf 'fine\nbroken \303\050 text\n' | run embed -m "$model" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q ":2: invalid UTF-8 at byte 8" "$tmp/err"
check $? "invalid UTF-8: exit 1 and a message naming the line and byte"

run embed -m "$model" -i "$tmp/in.txt" --truncate-dim 8 --normalize >"$tmp/t.jsonl" 2>"$tmp/err"
rc=$?
fields=$(head -n 1 "$tmp/t.jsonl" | tr ',' '\n' | wc -l)
norms=$(tr -d '[]' <"$tmp/t.jsonl" | awk -F, '{ s = 0; for (i = 1; i <= NF; i++) s += $i * $i;
    if (s < 0.9999 || s > 1.0001) bad++ } END { print bad + 0 }')
[ $rc -eq 0 ] && [ "$fields" -eq 8 ] && [ "$norms" -eq 0 ]
check $? "--truncate-dim 8 --normalize: 8 values of unit norm"

run embed -m "$model" -i "$tmp/in.txt" --truncate-dim 8 >"$tmp/t2.jsonl" 2>"$tmp/err"
norms=$(tr -d '[]' <"$tmp/t2.jsonl" | awk -F, '{ s = 0; for (i = 1; i <= NF; i++) s += $i * $i;
    if (s < 0.9999 || s > 1.0001) bad++ } END { print bad + 0 }')
[ "$norms" -gt 0 ]
check $? "--truncate-dim alone keeps sentence-transformers' order: truncated after Normalize, not renormalized"

run embed -m "$model" -i "$tmp/in.txt" --no-normalize >"$tmp/raw.jsonl" 2>"$tmp/err"
norms=$(tr -d '[]' <"$tmp/raw.jsonl" | awk -F, '{ s = 0; for (i = 1; i <= NF; i++) s += $i * $i;
    if (s < 0.9999 || s > 1.0001) bad++ } END { print bad + 0 }')
[ "$norms" -gt 0 ]
check $? "--no-normalize skips the Normalize module"

printf 'what is a cat?\n' | run embed -m "$prompted" >"$tmp/q.jsonl" 2>"$tmp/err"
printf 'what is a cat?\n' | run embed -m "$prompted" --prompt passage >"$tmp/p.jsonl" 2>>"$tmp/err"
printf 'what is a cat?\n' | run embed -m "$prompted" --prompt-text 'passage: ' >"$tmp/p2.jsonl" 2>>"$tmp/err"
values_jsonl "$tmp/q.jsonl" >"$tmp/vq"
values_jsonl "$tmp/p.jsonl" >"$tmp/vp"
values_jsonl "$tmp/p2.jsonl" >"$tmp/vp2"
! same_values "$tmp/vq" "$tmp/vp" && same_values "$tmp/vp" "$tmp/vp2"
check $? "--prompt NAME changes the vector; --prompt-text with the same text agrees"

printf 'x\n' | run embed -m "$prompted" --prompt nosuch >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "nosuch" "$tmp/err"
check $? "an unknown prompt name is an error naming it"

run embed -m "$model" -i "$tmp/in.txt" -v >/dev/null 2>"$tmp/err"
grep -q "4 texts, [0-9]* tokens, 0 truncated, dimension 32" "$tmp/err"
check $? "-v prints a summary ($(grep texts "$tmp/err"))"

"$bin" embed -i "$tmp/in.txt" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "usage" "$tmp/err"
check $? "no model: usage and exit 2"

run embed -m "$model" --batch-tokens 0 </dev/null >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "positive integer" "$tmp/err"
check $? "--batch-tokens 0 is refused"

run embed -m "$model" -i "$tmp/in.txt" --precision fp16 -f f32 -o "$tmp/half.f32" 2>"$tmp/err"
rc=$?
values_f32 "$tmp/half.f32" >"$tmp/v.half"
[ $rc -eq 0 ] && [ "$(wc -c <"$tmp/half.f32")" -eq $((4 * 32 * 4)) ] && ! cmp -s "$tmp/out.f32" "$tmp/half.f32" &&
    paste -d ' ' "$tmp/v.f32" "$tmp/v.half" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 2e-3) bad++ }
        END { exit (bad > 0 || NR != 128) }'
check $? "--precision fp16: other bytes, values within 2e-3 of fp32's"

run embed -m "$model" -i "$tmp/in.txt" --precision half >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "precision 'half'" "$tmp/err" && grep -q "fp32, fp16 or auto" "$tmp/err"
check $? "--precision half is refused, naming the choices"

head -n 40 "$top_srcdir/tests/data/corpus/bench.txt" >"$tmp/corpus.txt"
run bench -m "$model" --json "$tmp/corpus.txt" >"$tmp/bench.json" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && grep -q '"sentences":40' "$tmp/bench.json" && grep -q '"sentences_per_s":[0-9.]*' "$tmp/bench.json" &&
    grep -q '"tokens_per_s":' "$tmp/bench.json" && grep -q '"peak_rss_bytes":[1-9]' "$tmp/bench.json" &&
    grep -q '"ops":\[{"op":' "$tmp/bench.json" && grep -q '"gemm qkv","provider":"[a-z]*"' "$tmp/bench.json" &&
    grep -q '"precision":"fp32"' "$tmp/bench.json"
check $? "bench --json: sentences, rates, peak memory, precision and ops with the GEMMs' providers"

run bench -m "$model" "$tmp/corpus.txt" >"$tmp/bench.txt" 2>"$tmp/err"
grep -q "sentences/s" "$tmp/bench.txt" && grep -q "share" "$tmp/bench.txt"
check $? "bench prints throughput and the op table"

echo "1..$n"
[ $failed -eq 0 ]
