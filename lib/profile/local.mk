# profile: the tuning profile object, its JSON form, and the lookup of a device's profile.
libclembed_core_la_SOURCES += lib/profile/profile.c lib/profile/json.c lib/profile/lookup.c \
	lib/profile/choose.c
noinst_HEADERS += lib/profile/profile.h lib/profile/priv.h

check_PROGRAMS += tests/test_profile
tests_test_profile_LDADD = $(TEST_LDADD)
TESTS += tests/test_profile

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
