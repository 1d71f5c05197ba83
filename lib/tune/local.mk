# tune: the tuner's library side (no file or terminal I/O): probe, op harness with host
# references, op search, CLBlast GEMM search, and the run that strings them together.
libclembed_core_la_SOURCES += lib/tune/harness.c lib/tune/probe.c lib/tune/tuner.c \
	lib/tune/search.c lib/tune/gemm_search.c lib/tune/providers.c lib/tune/tune.c
noinst_HEADERS += lib/tune/harness.h lib/tune/tune.h

check_PROGRAMS += tests/test_tune
tests_test_tune_LDADD = $(TEST_LDADD)
TESTS += tests/test_tune
