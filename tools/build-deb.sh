#!/bin/sh
# Builds the Debian packages libclembed0, libclembed-dev and clembed from this
# build's dist tarball, in a temporary directory (the tree and its build are
# left as they are), then runs lintian on them.
#   sh tools/build-deb.sh [OUTDIR]       run in a configured build tree; .deb files go to OUTDIR
#                                        (default: deb/)
# Tests are not run again (DEB_BUILD_OPTIONS=nocheck) unless DEB_BUILD_OPTIONS says otherwise.
# Needs: dpkg-dev, debhelper, fakeroot (not with Rules-Requires-Root: no), lintian, and the
# Build-Depends of debian/control.
set -eu
out=$(mkdir -p "${1:-deb}" && cd "${1:-deb}" && pwd)
: "${DEB_BUILD_OPTIONS=nocheck}"
export DEB_BUILD_OPTIONS
tmp=$(mktemp -d "${TMPDIR:-/tmp}/clembed-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

version=$(sed -n 's/^PACKAGE_VERSION = //p' Makefile)
t0=$(date +%s)
make -s dist-gzip >/dev/null
mv "clembed-$version.tar.gz" "$tmp/clembed_$version.orig.tar.gz"
tar -C "$tmp" -xzf "$tmp/clembed_$version.orig.tar.gz"
echo "build-deb: tarball in $(( $(date +%s) - t0 )) s"
(cd "$tmp/clembed-$version" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$tmp/build.log" 2>&1 || {
    tail -n 60 "$tmp/build.log"; echo "build-deb: dpkg-buildpackage failed"; exit 1; }
echo "build-deb: packages built in $(( $(date +%s) - t0 )) s"
rm -f "$out"/*.deb
cp "$tmp"/*.deb "$out"/
ls -1 "$out"/*.deb
if command -v lintian >/dev/null 2>&1; then
    # Errors fail the build; warnings are printed.
    lintian --fail-on error --no-tag-display-limit "$tmp"/*.changes || { echo "build-deb: lintian found errors"; exit 1; }
    echo "build-deb: lintian: no errors ($(( $(date +%s) - t0 )) s)"
else
    echo "build-deb: lintian is not installed; packages not checked"
fi
