# The encoder: kernels' launchers, the op harness, GEMMs, contexts, embedding.
libclembed_core_la_SOURCES += lib/encoder_launch.c lib/ops.c
noinst_HEADERS += lib/encoder_launch.h

check_PROGRAMS += tests/test_ops
tests_test_ops_LDADD = $(TEST_LDADD)
TESTS += tests/test_ops

# Reference data (tools/gen_reference.py writes it with the pinned references).
EXTRA_DIST += tests/data/fidelity tests/data/models tools/gen_reference.py \
	tools/requirements-reference.txt
