#!/bin/sh
# make install into a temporary DESTDIR: the examples build against it through
# pkg-config (examples/check-installed.sh) and run; then make uninstall leaves
# no file or link behind (directories are left, as GNU make uninstall does).
srcdir=$(cd "${top_srcdir:-.}" && pwd)
builddir=$(cd "${top_builddir:-.}" && pwd)
MAKE=${MAKE:-make}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/clembed-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
n=0; fail=0
t() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }

# A make of its own: not the jobserver of the `make check` that runs this.
unset MAKEFLAGS MFLAGS MAKELEVEL
t "make install DESTDIR=..." '$MAKE -C "$builddir" install DESTDIR="$root" >"$tmp/install.log" 2>&1 || { tail -n 20 "$tmp/install.log" | sed "s/^/# /"; false; }'
prefix=$(sed -n 's/^prefix=//p' "$builddir/clembed.pc")
pcdir=$(find "$root" -name clembed.pc -path "*pkgconfig*" | head -n 1)
# clembed-mpi and its page where configure found MPI.
mpi=
[ -x "$builddir/clembed-mpi" ] && mpi="bin/clembed-mpi share/man/man1/clembed-mpi.1"
for f in bin/clembed bin/clembed-tune include/clembed.h include/clembed.f90 share/man/man1/clembed.1 \
         share/man/man1/clembed-tune.1 share/man/man3/libclembed.3 $mpi; do
    t "installed $f" '[ -e "$root$prefix/$f" ]'
done
if [ -n "$pcdir" ]; then
    export PKG_CONFIG_PATH; PKG_CONFIG_PATH=$(dirname "$pcdir")
    pc="pkg-config --define-variable=prefix=$root$prefix"
    LD_LIBRARY_PATH=$($pc --variable=libdir clembed)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} PKG_CONFIG=$pc \
    srcdir=$srcdir sh "$srcdir/examples/check-installed.sh" >"$tmp/examples.log" 2>&1
    rc=$?
    sed 's/^\(ok\|not ok\)/# \1/' "$tmp/examples.log" | grep -v '^1\.\.'
    t "the examples build and run against the installed files ($(grep -c '^ok' "$tmp/examples.log") checks)" '[ $rc -eq 0 ]'
else
    t "clembed.pc is installed" false
fi
t "make uninstall" '$MAKE -C "$builddir" uninstall DESTDIR="$root" >"$tmp/uninstall.log" 2>&1 || { tail -n 20 "$tmp/uninstall.log" | sed "s/^/# /"; false; }'
left=$(cd "$root" && find . -type f -o -type l)
t "nothing is left after make uninstall" '[ -z "$left" ] || { echo "$left" | sed "s/^/# left: /"; false; }'
echo "1..$n"
exit $fail
