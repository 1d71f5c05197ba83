# The tokenizer (tokenizer.json), see tokenizers/.
libclembed_core_la_SOURCES += \
	tokenizers/unicode.c tokenizers/unicode_tables.c tokenizers/arena.c tokenizers/vocab.c \
	tokenizers/piece.c tokenizers/tkjson.c tokenizers/pattern.c tokenizers/bytelevel.c \
	tokenizers/normalize.c tokenizers/pretok.c tokenizers/models.c tokenizers/bpe.c \
	tokenizers/unigram.c tokenizers/post.c tokenizers/decode.c tokenizers/load.c \
	tokenizers/tokenizer.c tokenizers/pylower.c tokenizers/pylower_tables.c
noinst_HEADERS += tokenizers/tk.h tokenizers/tk_load.h tokenizers/tk_model.h tokenizers/tk_tokenizer.h
dist_noinst_SCRIPTS += tools/gen_unicode_tables.py tools/gen_pylower_tables.py
clembed_SOURCES += tools/cmd_tokenize.c

check_PROGRAMS += tests/test_tok_api
tests_test_tok_api_LDADD = $(TEST_LDADD)
TESTS += tests/test_tok_api

check_PROGRAMS += tests/test_tok_golden
tests_test_tok_golden_LDADD = $(TEST_LDADD)
TESTS += tests/test_tok_golden
EXTRA_DIST += tests/data/tokenizers tools/gen_tokenizer_golden.py

# Fuzz targets (see fuzz/local.mk)
check_PROGRAMS += tests/fuzz_tokenizer_json tests/fuzz_tokenizer_encode
tests_fuzz_tokenizer_json_SOURCES = fuzz/fuzz_tokenizer_json.c fuzz/driver.c
tests_fuzz_tokenizer_json_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"fuzz/corpus/tokenizer_json"'
tests_fuzz_tokenizer_json_LDADD = libclembed_core.la
tests_fuzz_tokenizer_encode_SOURCES = fuzz/fuzz_tokenizer_encode.c fuzz/driver.c
tests_fuzz_tokenizer_encode_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"fuzz/corpus/tokenizer_encode"'
tests_fuzz_tokenizer_encode_LDADD = libclembed_core.la
TESTS += tests/fuzz_tokenizer_json tests/fuzz_tokenizer_encode
EXTRA_DIST += fuzz/fuzz_tokenizer_json.c fuzz/fuzz_tokenizer_encode.c fuzz/corpus/tokenizer_json \
	fuzz/corpus/tokenizer_encode
if FUZZERS
noinst_PROGRAMS += fuzz/fuzz_tokenizer_json fuzz/fuzz_tokenizer_encode
fuzz_fuzz_tokenizer_json_SOURCES = fuzz/fuzz_tokenizer_json.c
fuzz_fuzz_tokenizer_json_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_tokenizer_json_LDADD = libclembed_core.la
fuzz_fuzz_tokenizer_encode_SOURCES = fuzz/fuzz_tokenizer_encode.c
fuzz_fuzz_tokenizer_encode_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_tokenizer_encode_LDADD = libclembed_core.la
endif

check_PROGRAMS += tests/test_tok_unicode
tests_test_tok_unicode_LDADD = $(TEST_LDADD)
TESTS += tests/test_tok_unicode

# Benchmark against the reference: tools/bench_tokenizer.py
noinst_PROGRAMS += tools/bench-tokenizer
tools_bench_tokenizer_SOURCES = tools/bench_tokenizer.c
tools_bench_tokenizer_LDADD = libclembed.la
dist_noinst_SCRIPTS += tools/bench_tokenizer.py

TESTS += tests/tok_cli.sh
EXTRA_DIST += tests/tok_cli.sh
EXTRA_DIST += tokenizers/README.md

check_PROGRAMS += tests/test_pylower
tests_test_pylower_LDADD = $(TEST_LDADD)
TESTS += tests/test_pylower
EXTRA_DIST += tests/data/pylower.jsonl

# Truncation that tokenizes a prefix equals the whole text cut (tokenizer.c).
check_PROGRAMS += tests/test_tok_prefix
tests_test_tok_prefix_LDADD = $(TEST_LDADD)
TESTS += tests/test_tok_prefix
