#!/bin/sh
# The Python binding (python/clembed) under pytest, against this build's
# library (CLEMBED_LIBRARY): sentence-transformers' vectors for every case of
# tests/data/fidelity/cases.json, the similarity functions, errors, threads and
# the GIL.  pytest's results become TAP lines.  Skipped (1..0 # SKIP) without an
# interpreter that has numpy and pytest (Debian: python3-numpy python3-pytest).
srcdir=$(cd "${top_srcdir:-.}" && pwd)
builddir=$(cd "${top_builddir:-.}" && pwd)
py=
for cand in ${PYTHON:-} python3 /usr/bin/python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import numpy, pytest' 2>/dev/null; then
        py=$cand; break
    fi
done
[ -n "$py" ] || { echo "1..0 # SKIP no python3 with numpy and pytest (apt-get install python3-numpy python3-pytest)"; exit 0; }
lib=$builddir/.libs/libclembed.so
[ -f "$lib" ] || { echo "1..0 # SKIP no shared library $lib (configure --disable-shared?)"; exit 0; }
# A library built with --enable-sanitizers needs their runtimes loaded before
# Python itself; Python's own allocations are not ours to leak-check.
if ldd "$lib" 2>/dev/null | grep -q libasan; then
    LD_PRELOAD="$(${CC:-gcc} -print-file-name=libasan.so) $(${CC:-gcc} -print-file-name=libubsan.so)"
    ASAN_OPTIONS=detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}
    export LD_PRELOAD ASAN_OPTIONS
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/clembed-python.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The model path in cases.json is relative to the source tree's top.
cd "$srcdir" || exit 1
CLEMBED_LIBRARY=$lib CLEMBED_SRCDIR=$srcdir PYTHONPATH=$srcdir/python${PYTHONPATH:+:$PYTHONPATH} \
PYTHONDONTWRITEBYTECODE=1 CLEMBED_LOG=${CLEMBED_LOG:-error} \
    "$py" -m pytest -q -p no:cacheprovider --junitxml="$tmp/results.xml" "$srcdir/python/tests" \
    >"$tmp/pytest.log" 2>&1
rc=$?
sed 's/^/# /' "$tmp/pytest.log"
"$py" - "$tmp/results.xml" "$rc" <<'PY'
import sys
import xml.etree.ElementTree as ET
try:
    cases = list(ET.parse(sys.argv[1]).getroot().iter("testcase"))
except (OSError, ET.ParseError) as e:
    print("not ok 1 - pytest gave no results (%s; exit %s)" % (e, sys.argv[2]))
    print("1..1")
    sys.exit(1)
bad = 0
for n, c in enumerate(cases, 1):
    name = c.get("name")
    if c.find("skipped") is not None:
        print("ok %d - %s # SKIP %s" % (n, name, c.find("skipped").get("message", "")))
    elif c.find("failure") is not None or c.find("error") is not None:
        bad = 1
        print("not ok %d - %s" % (n, name))
    else:
        print("ok %d - %s" % (n, name))
if not cases or sys.argv[2] not in ("0",):
    bad = 1
    print("not ok %d - pytest exited with status %s" % (len(cases) + 1, sys.argv[2]))
    cases.append(None)
print("1..%d" % len(cases))
sys.exit(bad)
PY
