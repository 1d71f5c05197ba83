# Tuning profiles (runtime side).
libclembed_core_la_SOURCES += lib/profile.c lib/profile_json.c lib/profile_lookup.c
noinst_HEADERS += lib/profile.h lib/profile_priv.h lib/ops.h lib/model.h
# The tuner's library side: probe, op search, CLBlast GEMM search (no file or terminal I/O).
libclembed_core_la_SOURCES += lib/probe.c lib/tune.c lib/tune_gemm.c
noinst_HEADERS += lib/tune.h

check_PROGRAMS += tests/test_profile
tests_test_profile_LDADD = $(TEST_LDADD)
TESTS += tests/test_profile

check_PROGRAMS += tests/test_tune
tests_test_tune_LDADD = $(TEST_LDADD)
TESTS += tests/test_tune

# Fuzz target for profile files (see fuzz/local.mk for the recipe).
check_PROGRAMS += tests/fuzz_profile
tests_fuzz_profile_SOURCES = fuzz/fuzz_profile.c fuzz/driver.c
tests_fuzz_profile_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"fuzz/corpus/profile"'
tests_fuzz_profile_LDADD = libclembed_core.la
TESTS += tests/fuzz_profile
EXTRA_DIST += fuzz/fuzz_profile.c fuzz/corpus/profile
if FUZZERS
noinst_PROGRAMS += fuzz/fuzz_profile
fuzz_fuzz_profile_SOURCES = fuzz/fuzz_profile.c
fuzz_fuzz_profile_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_profile_LDADD = libclembed_core.la
endif
