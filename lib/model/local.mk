# model: the model directory reader (config.json, sentence-transformers modules, safetensors
# weights), its tests and fuzz targets.
libclembed_core_la_SOURCES += \
	lib/model/model.c lib/model/config.c lib/model/st_modules.c lib/model/weights.c \
	lib/model/json.c lib/model/safetensors.c lib/model/arch.c
noinst_HEADERS += lib/model/model.h lib/model/arch.h lib/model/files.h lib/model/json.h lib/model/weights.h \
	lib/model/safetensors.h
# clembed info -m parses the description with cJSON.
clembed_LDADD += $(CJSON_LIBS)

check_PROGRAMS += tests/test_safetensors tests/test_model tests/test_model_malformed
tests_test_safetensors_LDADD = $(TEST_LDADD)
tests_test_model_LDADD = $(TEST_LDADD)
tests_test_model_malformed_LDADD = $(TEST_LDADD)
TESTS += tests/test_safetensors tests/test_model tests/test_model_malformed tests/model_info.sh
EXTRA_DIST += tests/model_info.sh tests/data/model tools/gen_st_configs.py tools/gen_malformed.py \
	tools/requirements-st-legacy.txt

# Fuzz targets: the safetensors header and each JSON reader of a model directory.
check_PROGRAMS += tests/fuzz_safetensors tests/fuzz_config_model tests/fuzz_config_modules \
	tests/fuzz_config_pooling tests/fuzz_config_dense tests/fuzz_config_normalize \
	tests/fuzz_config_sbert tests/fuzz_config_tokenizer tests/fuzz_config_st tests/fuzz_config_index
TESTS += tests/fuzz_safetensors tests/fuzz_config_model tests/fuzz_config_modules \
	tests/fuzz_config_pooling tests/fuzz_config_dense tests/fuzz_config_normalize \
	tests/fuzz_config_sbert tests/fuzz_config_tokenizer tests/fuzz_config_st tests/fuzz_config_index
noinst_HEADERS += fuzz/fuzz_config.h
EXTRA_DIST += fuzz/corpus/safetensors fuzz/corpus/config_model fuzz/corpus/config_modules \
	fuzz/corpus/config_pooling fuzz/corpus/config_dense fuzz/corpus/config_normalize \
	fuzz/corpus/config_sbert fuzz/corpus/config_tokenizer fuzz/corpus/config_st \
	fuzz/corpus/config_index
tests_fuzz_safetensors_SOURCES = fuzz/fuzz_safetensors.c fuzz/driver.c
tests_fuzz_safetensors_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"fuzz/corpus/safetensors"'
tests_fuzz_safetensors_LDADD = libclembed_core.la
tests_fuzz_config_model_SOURCES = fuzz/fuzz_config_model.c fuzz/driver.c
tests_fuzz_config_model_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"fuzz/corpus/config_model"'
tests_fuzz_config_model_LDADD = libclembed_core.la
tests_fuzz_config_modules_SOURCES = fuzz/fuzz_config_modules.c fuzz/driver.c
tests_fuzz_config_modules_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"fuzz/corpus/config_modules"'
tests_fuzz_config_modules_LDADD = libclembed_core.la
tests_fuzz_config_pooling_SOURCES = fuzz/fuzz_config_pooling.c fuzz/driver.c
tests_fuzz_config_pooling_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"fuzz/corpus/config_pooling"'
tests_fuzz_config_pooling_LDADD = libclembed_core.la
tests_fuzz_config_dense_SOURCES = fuzz/fuzz_config_dense.c fuzz/driver.c
tests_fuzz_config_dense_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"fuzz/corpus/config_dense"'
tests_fuzz_config_dense_LDADD = libclembed_core.la
tests_fuzz_config_normalize_SOURCES = fuzz/fuzz_config_normalize.c fuzz/driver.c
tests_fuzz_config_normalize_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"fuzz/corpus/config_normalize"'
tests_fuzz_config_normalize_LDADD = libclembed_core.la
tests_fuzz_config_sbert_SOURCES = fuzz/fuzz_config_sbert.c fuzz/driver.c
tests_fuzz_config_sbert_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"fuzz/corpus/config_sbert"'
tests_fuzz_config_sbert_LDADD = libclembed_core.la
tests_fuzz_config_tokenizer_SOURCES = fuzz/fuzz_config_tokenizer.c fuzz/driver.c
tests_fuzz_config_tokenizer_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"fuzz/corpus/config_tokenizer"'
tests_fuzz_config_tokenizer_LDADD = libclembed_core.la
tests_fuzz_config_st_SOURCES = fuzz/fuzz_config_st.c fuzz/driver.c
tests_fuzz_config_st_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"fuzz/corpus/config_st"'
tests_fuzz_config_st_LDADD = libclembed_core.la
tests_fuzz_config_index_SOURCES = fuzz/fuzz_config_index.c fuzz/driver.c
tests_fuzz_config_index_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"fuzz/corpus/config_index"'
tests_fuzz_config_index_LDADD = libclembed_core.la
if FUZZERS
noinst_PROGRAMS += fuzz/fuzz_safetensors fuzz/fuzz_config_model fuzz/fuzz_config_modules \
	fuzz/fuzz_config_pooling fuzz/fuzz_config_dense fuzz/fuzz_config_normalize \
	fuzz/fuzz_config_sbert fuzz/fuzz_config_tokenizer fuzz/fuzz_config_st fuzz/fuzz_config_index
fuzz_fuzz_safetensors_SOURCES = fuzz/fuzz_safetensors.c
fuzz_fuzz_safetensors_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_safetensors_LDADD = libclembed_core.la
fuzz_fuzz_config_model_SOURCES = fuzz/fuzz_config_model.c
fuzz_fuzz_config_model_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_config_model_LDADD = libclembed_core.la
fuzz_fuzz_config_modules_SOURCES = fuzz/fuzz_config_modules.c
fuzz_fuzz_config_modules_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_config_modules_LDADD = libclembed_core.la
fuzz_fuzz_config_pooling_SOURCES = fuzz/fuzz_config_pooling.c
fuzz_fuzz_config_pooling_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_config_pooling_LDADD = libclembed_core.la
fuzz_fuzz_config_dense_SOURCES = fuzz/fuzz_config_dense.c
fuzz_fuzz_config_dense_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_config_dense_LDADD = libclembed_core.la
fuzz_fuzz_config_normalize_SOURCES = fuzz/fuzz_config_normalize.c
fuzz_fuzz_config_normalize_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_config_normalize_LDADD = libclembed_core.la
fuzz_fuzz_config_sbert_SOURCES = fuzz/fuzz_config_sbert.c
fuzz_fuzz_config_sbert_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_config_sbert_LDADD = libclembed_core.la
fuzz_fuzz_config_tokenizer_SOURCES = fuzz/fuzz_config_tokenizer.c
fuzz_fuzz_config_tokenizer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_config_tokenizer_LDADD = libclembed_core.la
fuzz_fuzz_config_st_SOURCES = fuzz/fuzz_config_st.c
fuzz_fuzz_config_st_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_config_st_LDADD = libclembed_core.la
fuzz_fuzz_config_index_SOURCES = fuzz/fuzz_config_index.c
fuzz_fuzz_config_index_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_config_index_LDADD = libclembed_core.la
endif
