#!/bin/sh
# Installs the packages that tools/build-deb.sh built into this machine (as root,
# with apt-get, which brings their dependencies), checks them as a user would,
# then purges them so the machine is as it was.  TAP output; exit 1 on failure.
#   sh tools/deb-check.sh DEBDIR
# Checks: the installed clembed embeds a sentence with models/all-MiniLM-L6-v2 to
# sentence-transformers' vector; man finds the pages; the C and Fortran examples
# build through pkg-config against libclembed-dev (shared and static) and run;
# `pip install ./python` runs the Python example on the installed library.
debs=$(cd "${1:-deb}" && pwd)
src=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/clembed-debcheck.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0; fail=0
t() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
export CLEMBED_LOG=error

# Packages from an earlier run go first, so that this one configures afresh.
dpkg --purge clembed libclembed-dev libclembed0 >/dev/null 2>&1
pkgs="$debs/libclembed0_*.deb $debs/libclembed-dev_*.deb $debs/clembed_*.deb"
# shellcheck disable=SC2086
t "apt-get installs libclembed0, libclembed-dev and clembed" \
    'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs >"$tmp/apt.log" 2>&1 || { tail -n 20 "$tmp/apt.log" | sed "s/^/# /"; false; }'
t "the postinst says to run clembed-tune --system" 'grep -q "clembed-tune --system" "$tmp/apt.log" || { grep -i clembed "$tmp/apt.log" | sed "s/^/# /"; false; }'
t "the installed clembed is /usr/bin/clembed" '[ "$(command -v clembed)" = /usr/bin/clembed ]'

model=$src/models/all-MiniLM-L6-v2
if [ -f "$model/model.safetensors" ]; then
    out=$(printf 'A cat sits on the mat.\n' | /usr/bin/clembed embed -m "$model" 2>"$tmp/err")
    cos=$(echo "$out" | python3 -c '
import json, math, struct, sys
v = json.loads(sys.stdin.readline())
ref = struct.unpack("<384f", open(sys.argv[1], "rb").read(384 * 4))
print("%.7f" % (sum(a * b for a, b in zip(v, ref)) / math.sqrt(sum(a * a for a in v) * sum(b * b for b in ref))))
' "$src/tests/data/fidelity/minilm.f32" 2>&1)
    t "installed clembed embed: cosine $cos to sentence-transformers' vector" \
        'python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 0.99999 else 1)" "$cos" 2>/dev/null || sed "s/^/# /" "$tmp/err"'
    printf 'A cat sits on the mat.\nA dog runs.\n' | /usr/bin/clembed embed -m "$model" -f h5 -o "$tmp/v.h5" 2>"$tmp/err"
    t "installed clembed writes HDF5 (-f h5)" '[ -s "$tmp/v.h5" ] || sed "s/^/# /" "$tmp/err"'
else
    n=$((n + 1)); echo "ok $n # SKIP no $model (sh tools/setup.sh fetches it)"
fi
if command -v man >/dev/null 2>&1; then
    t "man finds clembed(1), clembed-tune(1) and libclembed(3)" \
        'man -w clembed >/dev/null && man -w clembed-tune >/dev/null && man -w 3 libclembed >/dev/null'
else
    t "the pages are installed (no man here)" \
        'ls /usr/share/man/man1/clembed.1.gz /usr/share/man/man1/clembed-tune.1.gz /usr/share/man/man3/libclembed.3.gz >/dev/null'
fi

srcdir=$src sh "$src/examples/check-installed.sh" >"$tmp/examples.log" 2>&1; rc=$?
sed 's/^\(ok\|not ok\)/# \1/' "$tmp/examples.log" | grep -v '^1\.\.'
t "C and Fortran examples against libclembed-dev ($(grep -c '^ok' "$tmp/examples.log") checks)" '[ $rc -eq 0 ]'

py=
for cand in python3 /usr/bin/python3; do
    "$cand" -c 'import numpy, setuptools' 2>/dev/null && { py=$cand; break; }
done
if [ -n "$py" ]; then
    # A copy: pip writes build/ and *.egg-info beside the sources.
    cp -r "$src/python" "$tmp/python-src"
    t "pip install ./python" \
        '"$py" -m pip install -q --no-deps --no-build-isolation --target "$tmp/site" "$tmp/python-src" >"$tmp/pip.log" 2>&1 || { sed "s/^/# /" "$tmp/pip.log"; false; }'
    m=$model; [ -f "$m/model.safetensors" ] || m=$src/tests/data/models/tiny-gelu-mean
    out=$(env -u CLEMBED_LIBRARY PYTHONPATH="$tmp/site" "$py" "$src/examples/search.py" "$m" "$src/examples/texts.txt" -k 1 \
        "a kitten lying on a rug" 2>&1); rc=$?
    echo "$out" | sed 's/^/# /'
    t "the Python example runs on the installed library" '[ $rc -eq 0 ] && echo "$out" | grep -q "^15 texts, "'
else
    n=$((n + 1)); echo "ok $n # SKIP no python3 with numpy and setuptools"
fi

t "apt-get purge removes them" \
    'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q libclembed0 libclembed-dev clembed >"$tmp/purge.log" 2>&1 && [ ! -e /usr/bin/clembed ] && [ ! -e /var/lib/clembed ]'
echo "1..$n"
exit $fail
