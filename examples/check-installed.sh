#!/bin/sh
# Builds the C and Fortran examples against an installed clembed, found only
# through pkg-config (shared, then static: libclembed.a with what
# `pkg-config --static` adds), and the MPI example with mpicc where MPI is
# installed, runs them, and prints TAP.  Used by
# `make installcheck` and tests/install.sh.
#   srcdir=DIR [PKG_CONFIG="pkg-config --define-variable=prefix=..."] sh check-installed.sh
# LD_LIBRARY_PATH must reach the installed library when it is not in a system path;
# LDFLAGS is added to every link (the sanitizer flags of an --enable-sanitizers build).
srcdir=$(cd "${srcdir:-.}" && pwd)
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
CC=${CC:-cc}
FC=${FC:-gfortran}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/clembed-examples.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0; fail=0
t() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
log() { sed 's/^/# /' "$tmp/log"; false; }

if ! $PKG_CONFIG --exists clembed; then
    echo "not ok 1 - pkg-config finds clembed (PKG_CONFIG_PATH=${PKG_CONFIG_PATH:-})"; echo "1..1"; exit 1
fi
cflags=$($PKG_CONFIG --cflags clembed)
libs=$($PKG_CONFIG --libs clembed)
libdir=$($PKG_CONFIG --variable=libdir clembed)
# A static libclembed with its private dependencies (OpenCL and the others stay shared:
# Debian ships no static ICD loader, and a static one could not load drivers anyway).
static_libs=$($PKG_CONFIG --static --libs clembed | sed 's/-lclembed/-Wl,-Bstatic -lclembed -Wl,-Bdynamic/')
fsrc=$($PKG_CONFIG --variable=includedir clembed)/clembed.f90

# The real model gives a meaningful answer to check; a tiny test model only a well-formed one.
model=$srcdir/models/all-MiniLM-L6-v2
[ -f "$model/model.safetensors" ] || model=$srcdir/tests/data/models/tiny-gelu-mean
texts=$srcdir/examples/texts.txt
export CLEMBED_LOG=${CLEMBED_LOG:-error}

for kind in shared static; do
    if [ $kind = shared ]; then l=$libs; else l=$static_libs; fi
    if [ $kind = static ] && [ ! -f "$libdir/libclembed.a" ]; then
        skip "no $libdir/libclembed.a (configure --disable-static)"; continue
    fi
    t "C example links ($kind): $CC search.c $cflags $l" \
        '$CC -std=c11 -Wall -Werror -o "$tmp/search-$kind" "$srcdir/examples/search.c" $cflags $LDFLAGS $l -lm >"$tmp/log" 2>&1 || log'
    if [ $kind = static ]; then
        t "the static C example does not load libclembed.so" '! ldd "$tmp/search-$kind" | grep -q libclembed'
    fi
    out=$("$tmp/search-$kind" "$model" "$texts" -k 2 "a kitten lying on a rug" "I forgot my login" 2>&1); rc=$?
    echo "$out" | sed 's/^/# /'
    t "C example answers queries ($kind, $(basename "$model"))" '[ $rc -eq 0 ] && echo "$out" | grep -q "^15 texts, " &&
        [ "$(echo "$out" | grep -c "^  [0-9.-]*  ")" -eq 4 ] &&
        { case $model in *tiny*) true ;; *) echo "$out" | sed -n 3p | grep -q "A cat sits on the mat." &&
          echo "$out" | sed -n 6p | grep -q "How do I reset my password?" ;; esac; }'

    if ! command -v "$FC" >/dev/null 2>&1; then
        skip "no Fortran compiler ($FC)"; continue
    fi
    t "Fortran example links ($kind) with the installed clembed.f90" \
        '(cd "$tmp" && $FC -std=f2008 -o "embed_f-$kind" "$fsrc" "$srcdir/examples/embed.f90" $LDFLAGS $l) >"$tmp/log" 2>&1 || log'
    out=$("$tmp/embed_f-$kind" "$model" 'A cat sits on the mat.' 'A kitten rests on a rug.' 2>&1); rc=$?
    echo "$out" | sed 's/^/# /'
    t "Fortran example embeds ($kind)" '[ $rc -eq 0 ] && echo "$out" | grep -q "^embedded 2 texts into"'
done
# The MPI example: the MPI compiler wrapper, the installed library, two ranks.
MPICC=${MPICC:-mpicc}
if command -v "$MPICC" >/dev/null 2>&1 && command -v mpirun >/dev/null 2>&1; then
    t "MPI example links: $MPICC mpi_embed.c $cflags $libs" \
        '$MPICC -std=c11 -Wall -Werror -o "$tmp/mpi_embed" "$srcdir/examples/mpi_embed.c" $cflags $LDFLAGS $libs -lm >"$tmp/log" 2>&1 || log'
    # Open MPI refuses root (containers, CI) unless told, and more ranks than cores unless told.
    over=
    mpirun --version 2>&1 | grep -q "Open MPI" && over=--oversubscribe
    out=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun $over -np 2 "$tmp/mpi_embed" "$model" 2>&1); rc=$?
    echo "$out" | sed 's/^/# /'
    t "MPI example gathers two ranks' vectors" '[ $rc -eq 0 ] && echo "$out" | grep -q "^10 texts from 2 ranks, dimension"'
else
    skip "no mpicc and mpirun (apt-get install libopenmpi-dev openmpi-bin)"
fi
echo "1..$n"
exit $fail
