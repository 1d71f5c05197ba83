# The tokenizer (tokenizer.json), see tokenizers/.
libclembed_core_la_SOURCES += \
	tokenizers/unicode.c tokenizers/unicode_tables.c tokenizers/arena.c \
	tokenizers/normalize.c tokenizers/pretok.c tokenizers/models.c tokenizers/bpe.c \
	tokenizers/unigram.c tokenizers/post.c tokenizers/decode.c tokenizers/load.c \
	tokenizers/tokenizer.c
noinst_HEADERS += tokenizers/tk.h tokenizers/tk_load.h tokenizers/tk_model.h tokenizers/tk_tokenizer.h
dist_noinst_SCRIPTS += tools/gen_unicode_tables.py
clembed_SOURCES += tools/cmd_tokenize.c

check_PROGRAMS += tests/test_tok_api
tests_test_tok_api_LDADD = $(TEST_LDADD)
TESTS += tests/test_tok_api

check_PROGRAMS += tests/test_tok_golden
tests_test_tok_golden_LDADD = $(TEST_LDADD)
TESTS += tests/test_tok_golden
EXTRA_DIST += tests/data/tokenizers tools/gen_tokenizer_golden.py
