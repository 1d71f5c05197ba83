#!/bin/sh
# The Fortran module (fortran/clembed.f90) built with gfortran against this
# build's library: the test program against sentence-transformers' vectors on
# the tiny models and all-MiniLM-L6-v2, the example program, and its status
# codes against clembed.h's list.
# Skips (TAP "1..0 # SKIP", exit 0: the TAP driver counts exit 77 as an error) without gfortran.
FC=${FC:-gfortran}
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
if ! command -v "$FC" >/dev/null 2>&1; then
    echo "1..0 # SKIP no Fortran compiler ($FC; apt-get install gfortran)"; exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "1..0 # SKIP python3 is needed to read the reference cases"; exit 0
fi
lib=$builddir/.libs
[ -f "$lib/libclembed.so" ] || { echo "1..0 # SKIP no shared library in $lib (configure --disable-shared?)"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/clembed-fortran.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

n=0; fail=0
t() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }

# Status codes: the Fortran parameters equal clembed.h's CLEMBED_STATUS_LIST.
sed -n 's/^ *X(\([A-Z_0-9]*\), *\([0-9]*\),.*/CLEMBED_\1 \2/p' "$srcdir/lib/clembed.h" >"$tmp/c.codes"
sed -n 's/.*integer, parameter, public :: \(CLEMBED_[A-Z_0-9]*\) = \([0-9]*\).*/\1 \2/p' \
    "$srcdir/fortran/clembed.f90" >"$tmp/f.codes"
t "status codes agree with clembed.h ($(wc -l <"$tmp/c.codes") codes)" \
    '[ -s "$tmp/c.codes" ] && cmp -s "$tmp/c.codes" "$tmp/f.codes"'

FFLAGS="-std=f2008 -Wall -Wextra -Werror -Wno-compare-reals"
link="-L$lib -lclembed -Wl,-rpath,$(cd "$lib" && pwd)"
# LDFLAGS carries the sanitizer flags of an --enable-sanitizers build.
t "the module compiles cleanly (-std=f2008 -Wall -Wextra -Werror)" \
    '(cd "$tmp" && $FC $FFLAGS -c "$srcdir/fortran/clembed.f90") >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; false; }'
t "the test program builds" \
    '(cd "$tmp" && $FC $FFLAGS -o test_fortran "$srcdir/tests/test_fortran.f90" clembed.o $LDFLAGS $link) >"$tmp/build.log" 2>&1 || { sed "s/^/# /" "$tmp/build.log"; false; }'
t "the example builds" \
    '(cd "$tmp" && $FC $FFLAGS -o embed_f "$srcdir/examples/embed.f90" clembed.o $LDFLAGS $link) >"$tmp/build.log" 2>&1 || { sed "s/^/# /" "$tmp/build.log"; false; }'

# Reference cases: texts one per line (those a Fortran line holds as they are:
# no newline, no trailing blank) and their expected rows, n x dim float32.
python3 - "$srcdir" "$tmp" <<'PY' >"$tmp/cases"
import json, os, sys
src, tmp = sys.argv[1], sys.argv[2]
fid = os.path.join(src, "tests/data/fidelity")
texts = [json.loads(l) for l in open(os.path.join(fid, "texts.jsonl"), encoding="utf-8")]
cases = json.load(open(os.path.join(fid, "cases.json")))["cases"]
# all-MiniLM-L6-v2 on 40 texts (about 2 s on PoCL), a tiny model with a prompt, truncation and L2.
want = {"minilm": 40, "tiny-gelu-mean": None, "tiny-prompt-query": None, "minilm-trunc128-norm": None}
for c in cases:
    if c["name"] not in want:
        continue
    model = os.path.join(src, c["model"])
    rows = open(os.path.join(fid, c["vectors"]), "rb").read()
    size = 4 * c["dim"]
    keep = [k for k, i in enumerate(c["texts"])
            if "\n" not in texts[i] and "\r" not in texts[i] and texts[i] == texts[i].rstrip()
            and len(texts[i].encode()) < 4000]
    keep = keep[: want[c["name"]] or len(keep)]
    with open(os.path.join(tmp, c["name"] + ".txt"), "w", encoding="utf-8") as f:
        f.writelines(texts[c["texts"][k]] + "\n" for k in keep)
    with open(os.path.join(tmp, c["name"] + ".f32"), "wb") as f:
        f.writelines(rows[k * size:(k + 1) * size] for k in keep)
    print(c["name"], model, len(keep), c["dim"], c["prompt_name"] or "-", c["truncate_dim"], c["normalize"])
PY
while read -r name model count dim prompt trunc norm; do
    if [ ! -f "$model/model.safetensors" ]; then
        n=$((n + 1)); echo "ok $n # SKIP $name: no $model (sh tools/setup.sh fetches it)"; continue
    fi
    "$tmp/test_fortran" "$model" "$tmp/$name.txt" "$tmp/$name.f32" "$count" "$dim" "$prompt" "$trunc" "$norm" \
        >"$tmp/$name.log" 2>&1
    rc=$?
    sed -n 's/^# /# /p; s/^not ok/# not ok/p' "$tmp/$name.log"
    t "$name: $(grep -c '^ok' "$tmp/$name.log") checks pass, $count texts" \
        '[ $rc -eq 0 ] && ! grep -q "^not ok" "$tmp/$name.log" || { sed "s/^/# /" "$tmp/$name.log"; false; }'
done <"$tmp/cases"

model=$srcdir/tests/data/models/tiny-gelu-mean
out=$("$tmp/embed_f" "$model" 'one text' 'another text' 2>&1); rc=$?
t "the example embeds and prints a similarity" '[ $rc -eq 0 ] && echo "$out" | grep -q "^embedded 2 texts into 32 dimensions" && echo "$out" | grep -q "\"one text\" ~ \"another text\""'
out=$("$tmp/embed_f" /no/such/model 2>&1); rc=$?
t "the example reports a missing model with clembed's message" '[ $rc -ne 0 ] && echo "$out" | grep -q "embed_f: not found: .*/no/such/model"'
echo "1..$n"
exit $fail
