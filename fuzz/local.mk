# Fuzz targets.  Each target is one file defining LLVMFuzzerTestOneInput.  With
# --enable-fuzzers (CC=clang) they build as libFuzzer programs fuzz/fuzz_<name>;
# `make check` always runs their corpora through fuzz/driver.c (see tests/local.mk).
EXTRA_DIST += fuzz/driver.c
EXTRA_DIST += fuzz/README.md
# A target <name> is declared in its owner's fragment like this:
#   check_PROGRAMS += tests/fuzz_<name>
#   tests_fuzz_<name>_SOURCES = fuzz/fuzz_<name>.c fuzz/driver.c
#   tests_fuzz_<name>_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"fuzz/corpus/<name>"'
#   tests_fuzz_<name>_LDADD = libclembed_core.la
#   TESTS += tests/fuzz_<name>
#   EXTRA_DIST += fuzz/fuzz_<name>.c fuzz/corpus/<name>
#   if FUZZERS
#   noinst_PROGRAMS += fuzz/fuzz_<name>
#   fuzz_fuzz_<name>_SOURCES = fuzz/fuzz_<name>.c
#   fuzz_fuzz_<name>_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
#   fuzz_fuzz_<name>_LDADD = libclembed_core.la
#   endif
