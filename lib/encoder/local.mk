# encoder: contexts, weights on the device, the forward pass, GEMMs, batching and embedding.
libclembed_core_la_SOURCES += lib/encoder/upload.c lib/encoder/forward.c lib/encoder/gemm.c \
	lib/encoder/context.c lib/encoder/embed.c
noinst_HEADERS += lib/encoder/encoder.h
clembed_SOURCES += tools/cmd_embed.c tools/cmd_bench.c

check_PROGRAMS += tests/test_ops tests/test_tiny_models tests/test_fidelity tests/test_embed_errors
tests_test_ops_LDADD = $(TEST_LDADD)
tests_test_tiny_models_LDADD = $(TEST_LDADD)
tests_test_fidelity_LDADD = $(TEST_LDADD)
tests_test_embed_errors_LDADD = $(TEST_LDADD)
noinst_HEADERS += tests/test_fidelity_data.h
TESTS += tests/test_ops tests/test_tiny_models tests/test_fidelity tests/test_embed_errors tests/embed.sh
EXTRA_DIST += tests/embed.sh

# Reference data (tools/gen_reference.py writes it with the pinned references).
EXTRA_DIST += tests/data/fidelity tests/data/models tools/gen_reference.py \
	tools/requirements-reference.txt tools/gen_bench_corpus.py tools/bench_st.py tests/data/corpus/README.md

# The benchmark corpus of clembed bench, installed for it.
corpusdir = $(pkgdatadir)/corpus
dist_corpus_DATA = tests/data/corpus/bench.txt

# Every encoder family, tiny models against sentence-transformers.  Their weights are
# regenerated from tests/data/families/*/weights.json into the build tree first.
check_PROGRAMS += tests/test_families
tests_test_families_LDADD = $(TEST_LDADD)
TESTS += tests/test_families
check_DATA = tests/families.stamp
tests/families.stamp: $(top_srcdir)/tools/tiny_weights.py \
	$(wildcard $(top_srcdir)/tests/data/families/*/weights.json)
	$(AM_V_GEN)for w in $(top_srcdir)/tests/data/families/*/weights.json; do \
	  d=$$(dirname "$$w"); \
	  $(PYTHON3) $(top_srcdir)/tools/tiny_weights.py "$$d" "tests/families/$$(basename "$$d")" \
	    >/dev/null || exit 1; \
	done; touch $@
CLEANFILES += tests/families.stamp
clean-local: clean-families
clean-families:
	-rm -rf tests/families
.PHONY: clean-families
EXTRA_DIST += tests/data/families tools/tiny_weights.py tools/gen_families.py tools/fetch_mpnet.sh \
	tools/sts_eval.py
