# Examples: semantic search in C (search.c) and Python (search.py), and the
# Fortran program (embed.f90).  `make installcheck` builds the C and Fortran
# ones against the installed library through pkg-config, shared and static,
# and runs them; tests/install.sh does the same in a temporary DESTDIR during
# make check, then checks that make uninstall leaves nothing.
EXTRA_DIST += examples/search.c examples/search.py examples/embed.f90 examples/texts.txt \
	examples/check-installed.sh examples/README.md examples/mpi_embed.c
TESTS += tests/install.sh
EXTRA_DIST += tests/install.sh

installcheck-local: installcheck-examples
installcheck-examples:
	PKG_CONFIG_PATH="$(DESTDIR)$(libdir)/pkgconfig$${PKG_CONFIG_PATH:+:$$PKG_CONFIG_PATH}" \
	LD_LIBRARY_PATH="$(DESTDIR)$(libdir)$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}" \
	CC="$(CC)" srcdir="$(abs_top_srcdir)" CLEMBED_CACHE_DIR="$${CLEMBED_CACHE_DIR-$(abs_top_builddir)/tests/kcache}" \
	$(SHELL) $(top_srcdir)/examples/check-installed.sh
.PHONY: installcheck-examples

# The MPI example (per-rank texts embedded with the plain API and gathered), built in the
# tree when configure found MPI; tests/mpi.sh runs it.
if HAVE_MPI
check_PROGRAMS += examples/mpi_embed
examples_mpi_embed_SOURCES = examples/mpi_embed.c
examples_mpi_embed_CFLAGS = $(AM_CFLAGS) $(MPI_CFLAGS)
examples_mpi_embed_LDADD = libclembed.la $(MPI_LIBS) -lm
endif
