# Tests: TAP programs and scripts under automake's parallel driver.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_DRIVER = $(LOG_DRIVER)
TEST_EXTENSIONS = .sh
# Kernel binaries are cached in the build tree, so a second `make check` reuses them.
AM_TESTS_ENVIRONMENT = \
	RUSTICL_ENABLE=$${RUSTICL_ENABLE-llvmpipe}; export RUSTICL_ENABLE; \
	CLEMBED_CACHE_DIR=$${CLEMBED_CACHE_DIR-$(abs_top_builddir)/tests/kcache}; export CLEMBED_CACHE_DIR; \
	CLEMBED_BIN=$(abs_top_builddir)/clembed; export CLEMBED_BIN; \
	top_srcdir=$(abs_top_srcdir); export top_srcdir; \
	top_builddir=$(abs_top_builddir); export top_builddir; \
	LSAN_OPTIONS=suppressions=$(abs_top_srcdir)/tests/lsan.supp:print_suppressions=0; export LSAN_OPTIONS;
EXTRA_DIST += build-aux/tap-driver.sh tests/lsan.supp
noinst_HEADERS += tests/tap.h tests/testdev.h
TEST_LDADD = libclembed_core.la

check_PROGRAMS += tests/test_core tests/test_device tests/test_program
tests_test_core_LDADD = $(TEST_LDADD)
tests_test_device_LDADD = $(TEST_LDADD)
tests_test_program_LDADD = $(TEST_LDADD)

TESTS += tests/test_core tests/test_device tests/test_program tests/info.sh
EXTRA_DIST += tests/info.sh

clean-local: clean-kcache
clean-kcache:
	-rm -rf tests/kcache
.PHONY: clean-kcache

# make check-valgrind: the same tests under memcheck (driver internals suppressed).
EXTRA_DIST += tests/valgrind.supp
VALGRIND_CMD = $(LIBTOOL) --mode=execute valgrind -q --error-exitcode=9 --leak-check=full \
	--errors-for-leak-kinds=definite --suppressions=$(abs_top_srcdir)/tests/valgrind.supp
check-valgrind:
	$(MAKE) $(AM_MAKEFLAGS) check LOG_COMPILER="$(VALGRIND_CMD)" \
		SH_LOG_COMPILER="env CLEMBED_BIN_WRAPPER='$(VALGRIND_CMD)' $(SHELL)"
.PHONY: check-valgrind

# Layers: includes and calls run down them (README.md, "Hacking").
TESTS += tests/layers.sh
EXTRA_DIST += tests/layers.sh tools/check_layers.py

# Real devices from public clinfo outputs (tests/devtable.h) through the live devices' code.
check_PROGRAMS += tests/test_devtable
tests_test_devtable_LDADD = $(TEST_LDADD)
TESTS += tests/test_devtable
noinst_HEADERS += tests/devtable.h
EXTRA_DIST += tests/data/profiles

# clembed info over the table's Strix Halo: the program's sources, its main renamed.
check_PROGRAMS += tests/test_devinfo
tests_test_devinfo_SOURCES = tests/test_devinfo.c $(clembed_SOURCES)
tests_test_devinfo_CPPFLAGS = $(CLI_CPPFLAGS) -Dmain=clembed_cli_main
tests_test_devinfo_LDADD = $(TEST_LDADD) $(CLI_LIBS)
TESTS += tests/test_devinfo

# Buffers under the allocation limit, host pointers refused: on every device present.
check_PROGRAMS += tests/test_memlimit
tests_test_memlimit_LDADD = $(TEST_LDADD)
TESTS += tests/test_memlimit

# The fault switch (lib/runtime/fault.h) and a soak: failures are clean, nothing grows.
check_PROGRAMS += tests/test_faults tests/test_soak
tests_test_faults_LDADD = $(TEST_LDADD)
tests_test_soak_LDADD = $(TEST_LDADD)
TESTS += tests/test_faults tests/test_soak

# CI's sanitizer and valgrind stages (.ci/run runs them).
EXTRA_DIST += .ci/sanitizers .ci/valgrind

# clembed-mpi on 1, 2 and 4 ranks against clembed embed, kills, resumes and failing ranks
# (skipped when configure found no MPI).
TESTS += tests/mpi.sh
EXTRA_DIST += tests/mpi.sh
AM_TESTS_ENVIRONMENT += CLEMBED_MPI_BIN=$(abs_top_builddir)/clembed-mpi; export CLEMBED_MPI_BIN; \
	MPIEXEC='$(MPIEXEC)'; export MPIEXEC;
