# Debian packaging (debian/), in the tarball so that packages build from it:
# tools/build-deb.sh makes the tarball, unpacks it in a temporary directory and
# runs dpkg-buildpackage there, leaving this tree's build alone.
EXTRA_DIST += debian/changelog debian/control debian/copyright debian/rules debian/source/format \
	debian/libclembed0.install debian/libclembed0.symbols debian/libclembed-dev.install \
	debian/libclembed-dev.docs debian/libclembed-dev.examples debian/clembed.install \
	debian/clembed.dirs debian/clembed.postinst debian/clembed.postrm debian/clembed.README.Debian \
	tools/build-deb.sh tools/deb-check.sh
