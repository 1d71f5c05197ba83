#!/bin/sh
# The manual pages: lint-clean (mandoc -Tlint, else groff -ww), the same options
# as each program's --help (both ways: none missing from the page, none the
# program lacks; clembed-mpi's where it was built), the same commands as
# `clembed --help`, the version of the programs, and every public function of
# clembed.h named in libclembed(3) and in the Debian symbols file.
srcdir=${top_srcdir:-.}
bin=${CLEMBED_BIN:-./clembed}
tune=${CLEMBED_TUNE_BIN:-$(dirname "$bin")/tuner/clembed-tune}
mpibin=${CLEMBED_MPI_BIN:-$(dirname "$bin")/clembed-mpi}
pages="$srcdir/man/clembed.1 $srcdir/man/clembed-tune.1 $srcdir/man/libclembed.3 $srcdir/man/clembed-mpi.1"
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 reads the pages"; exit 0; }
n=0; fail=0
t() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }

for p in $pages; do
    name=$(basename "$p")
    if command -v mandoc >/dev/null 2>&1; then
        out=$(mandoc -Tlint -Wwarning "$p" 2>&1)
        t "$name: mandoc -Tlint -Wwarning is clean" '[ -z "$out" ] || { echo "$out" | sed "s/^/# /"; false; }'
    elif command -v groff >/dev/null 2>&1; then
        out=$(groff -man -z -ww "$p" 2>&1)
        t "$name: groff -man -z -ww is clean" '[ -z "$out" ] || { echo "$out" | sed "s/^/# /"; false; }'
    else
        n=$((n + 1)); echo "ok $n # SKIP $name: neither mandoc nor groff (apt-get install mandoc)"
    fi
done

# Options: "NAME|PAGE|SECTION|HELP COMMAND" per program or subcommand.
check_options() {
    python3 - "$@" <<'PY'
import re, subprocess, sys
name, page, section, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
opt = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")
# The page: the tag line after each .TP of the section (.SS or .SH named SECTION).
lines = open(page, encoding="utf-8").read().split("\n")
in_sec, after_tp, man = False, False, set()
for line in lines:
    if line.startswith((".SS", ".SH")):
        in_sec = line.split(None, 1)[1].strip('"') == section if " " in line else False
        continue
    if in_sec and after_tp:
        man.update(opt.findall(line.replace("\\-", "-").replace("\\fI", " ").replace("\\fR", " ")))
    after_tp = in_sec and line.startswith(".TP")
# The program: lines of --help that start with an option; the column before the description.
out = subprocess.run(cmd + ["--help"], capture_output=True, text=True).stdout
helped = set()
for line in out.split("\n"):
    if line.strip().startswith("-"):
        helped.update(opt.findall(re.split(r"\s{2,}", line.strip())[0]))
missing, extra = sorted(helped - man), sorted(man - helped)
print("# %s: --help has %d options, the page %d" % (name, len(helped), len(man)))
if missing:
    print("# in --help, not in %s (%s): %s" % (page, section, " ".join(missing)))
if extra:
    print("# in %s (%s), not in --help: %s" % (page, section, " ".join(extra)))
sys.exit(0 if helped and not missing and not extra else 1)
PY
}
for c in embed info tokenize bench; do
    out=$(check_options "clembed $c" "$srcdir/man/clembed.1" "clembed $c" $bin $c 2>&1); rc=$?
    echo "$out"
    t "clembed.1 and 'clembed $c --help' list the same options" '[ $rc -eq 0 ]'
done
if [ -x "$tune" ]; then
    out=$(check_options clembed-tune "$srcdir/man/clembed-tune.1" OPTIONS "$tune" 2>&1); rc=$?
    echo "$out"
    t "clembed-tune.1 and 'clembed-tune --help' list the same options" '[ $rc -eq 0 ]'
else
    n=$((n + 1)); echo "ok $n # SKIP no $tune"
fi
# clembed-mpi runs --help without MPI starting.
if [ -x "$mpibin" ]; then
    out=$(check_options "clembed-mpi embed" "$srcdir/man/clembed-mpi.1" OPTIONS "$mpibin" embed 2>&1); rc=$?
    echo "$out"
    t "clembed-mpi.1 and 'clembed-mpi embed --help' list the same options" '[ $rc -eq 0 ]'
    v=$("$mpibin" --version | sed 's/^clembed-mpi //')
    t "clembed-mpi --version is clembed's ($v)" '[ "$v" = "$($bin --version | sed "s/^clembed //")" ]'
else
    n=$((n + 1)); echo "ok $n # SKIP clembed-mpi was not built (configure found no MPI)"
fi
cmds=$($bin --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p' | sort | tr '\n' ' ')
pagecmds=$(sed -n 's/^\.SS clembed \([a-z]*\)$/\1/p' "$srcdir/man/clembed.1" | sort | tr '\n' ' ')
t "clembed.1 has a section for each command of 'clembed --help' ($cmds)" '[ -n "$cmds" ] && [ "$cmds" = "$pagecmds" ] || echo "# page: $pagecmds"'
version=$($bin --version | sed 's/^clembed //')
t "every page is of version $version" \
    '[ "$(grep -l "^\.TH .*\"clembed $version\"" $pages | wc -l)" -eq "$(echo $pages | wc -w)" ]'
missing=$(grep -o 'CLEMBED_API [^(]*(' "$srcdir/lib/clembed.h" | sed 's/($//; s/.*[ *]//' | grep '^clembed_' |
    while read -r f; do grep -q "$f ()" "$srcdir/man/libclembed.3" || echo "$f"; done)
t "libclembed.3 names every public function of clembed.h" '[ -z "$missing" ] || { echo "# missing: $missing"; false; }'
# dpkg-gensymbols would stamp a symbol missing from the symbols file with the
# Debian revision, which lintian refuses: the file must list each one.
unlisted=$(grep -o 'CLEMBED_API [^(]*(' "$srcdir/lib/clembed.h" | sed 's/($//; s/.*[ *]//' | grep '^clembed_' |
    while read -r f; do grep -q "^ $f@Base " "$srcdir/debian/libclembed0.symbols" || echo "$f"; done)
t "debian/libclembed0.symbols lists every public function of clembed.h" '[ -z "$unlisted" ] || { echo "# unlisted: $unlisted"; false; }'
echo "1..$n"
exit $fail
