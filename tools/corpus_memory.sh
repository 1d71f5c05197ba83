#!/bin/sh
# Peak resident memory of clembed embed over a corpus of N lines made from the bench corpus
# (repeated), for several N: streaming keeps it flat.
#   sh tools/corpus_memory.sh [MODEL_DIR] [N...]     (default: the tiny test model; 50000 1000000)
# Extra options for clembed embed go in CLEMBED_EMBED_ARGS (e.g. "--max-tokens 32").
set -eu
cd "$(dirname "$0")/.."
model=${1:-tests/data/models/tiny-gelu-mean}
[ $# -gt 0 ] && shift
sizes=${*:-50000 1000000}
bin=${CLEMBED_BIN:-./clembed}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in $sizes; do
    awk -v n="$n" '{ l[NR] = $0 } END { for (i = 0; i < n; i++) print l[i % NR + 1] }' \
        tests/data/corpus/bench.txt >"$tmp/in.txt"
    # shellcheck disable=SC2086
    /usr/bin/time -f "%M %e" -o "$tmp/time" "$bin" embed -m "$model" -i "$tmp/in.txt" -f npy \
        -o "$tmp/out.npy" ${CLEMBED_EMBED_ARGS:-} -v 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
    read -r kib secs <"$tmp/time"
    printf '%8d lines  %6.1f MiB input  peak RSS %6.1f MiB  %7.1f s  output %s\n' "$n" \
        "$(awk -v b="$(wc -c <"$tmp/in.txt")" 'BEGIN { print b / 1048576 }')" \
        "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')" "$secs" "$(head -c 128 "$tmp/out.npy" | tr -cd '[:print:]' | sed -n "s/.*'shape': \(([0-9, ]*)\).*/\1/p")"
done
