/* The tokenizer API on all-MiniLM-L6-v2 (BERT WordPiece): single texts, pairs,
 * truncation, batch padding, decode, errors.  Expected values come from
 * Hugging Face tokenizers 0.23.3 on the same tokenizer.json. */
#define _POSIX_C_SOURCE 200809L
#include "clembed.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int same_ids(const clembed_encoding *e, const int32_t *want, size_t n)
{
    if (e->n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (e->ids[i] != want[i])
            return 0;
    return 1;
}

static int same_offsets(const clembed_encoding *e, const size_t (*want)[2], size_t n)
{
    if (e->n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (e->offsets[i][0] != want[i][0] || e->offsets[i][1] != want[i][1])
            return 0;
    return 1;
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char path[4096], tmpdir[] = "/tmp/test_tok_api.XXXXXX";
    int made = 0;
    snprintf(path, sizeof path, "%s/models/all-MiniLM-L6-v2", top ? top : ".");
    clembed_tokenizer *tok = NULL;
    clembed_status rc = clembed_tokenizer_open(path, &tok);
    if (rc == CLEMBED_ERR_NOT_FOUND && mkdtemp(tmpdir)) {
        /* without the model: the copy of its tokenizer.json in tests/data */
        char cmd[8192];
        snprintf(cmd, sizeof cmd, "gzip -dc '%s/tests/data/tokenizers/all-MiniLM-L6-v2.json.gz' > '%s/tokenizer.json'",
                 top ? top : ".", tmpdir);
        made = 1;
        if (system(cmd) == 0) {
            snprintf(path, sizeof path, "%s", tmpdir);
            rc = clembed_tokenizer_open(path, &tok);
        }
    }
    if (rc == CLEMBED_ERR_NOT_FOUND)
        skip_all("%s is absent (tools/setup.sh fetches it)", path);
    if (!ok(rc == CLEMBED_OK && tok, "open %s", path)) {
        diag("%s", clembed_errmsg());
        return done_testing();
    }
    is_int(clembed_tokenizer_vocab_size(tok), 30522, "vocab size");

    clembed_encode_params p;
    clembed_encode_params_init(&p);
    p.padding = 0;
    clembed_encoding *e = NULL;
    const char *text = "Hello, world! This is a TEST of [MASK] tokenization.";
    rc = clembed_tokenizer_encode(tok, text, (size_t)-1, NULL, 0, &p, &e);
    static const int32_t ids1[] = {101, 7592, 1010, 2088, 999, 2023, 2003, 1037, 3231, 1997, 103, 19204, 3989, 1012, 102};
    static const size_t off1[][2] = {{0, 0}, {0, 5}, {5, 6}, {7, 12}, {12, 13}, {14, 18}, {19, 21}, {22, 23},
                                     {24, 28}, {29, 31}, {32, 38}, {39, 44}, {44, 51}, {51, 52}, {0, 0}};
    ok(rc == CLEMBED_OK && same_ids(e, ids1, 15), "ids of an English sentence with [MASK]");
    ok(e && same_offsets(e, off1, 15), "offsets of an English sentence");
    ok(e && e->special_mask[0] == 1 && e->special_mask[10] == 0 && e->special_mask[14] == 1,
       "special tokens mask marks [CLS] and [SEP] only");
    ok(e && !strcmp(e->tokens[12], "##ization"), "token strings");
    clembed_encoding_free(e);

    rc = clembed_tokenizer_encode(tok, "Café naïve 東京 🎉", (size_t)-1, NULL, 0, &p, &e);
    static const int32_t ids2[] = {101, 7668, 15743, 1879, 1755, 100, 102};
    static const size_t off2[][2] = {{0, 0}, {0, 4}, {5, 10}, {11, 12}, {12, 13}, {14, 15}, {0, 0}};
    ok(rc == CLEMBED_OK && same_ids(e, ids2, 7) && same_offsets(e, off2, 7),
       "accents stripped, CJK split, emoji unknown, offsets in code points");
    clembed_encoding_free(e);

    rc = clembed_tokenizer_encode(tok, "a\0b", 3, NULL, 0, &p, &e);
    static const int32_t ids_nul[] = {101, 11113, 102};
    ok(rc == CLEMBED_OK && same_ids(e, ids_nul, 3) && e->offsets[1][0] == 0 && e->offsets[1][1] == 3,
       "a NUL inside a counted text is a char like others (BERT drops it)");
    clembed_encoding_free(e);

    p.truncation = 1;
    p.max_length = 8;
    rc = clembed_tokenizer_encode(tok, "The quick brown fox jumps over the lazy dog again and again.", (size_t)-1,
                                  NULL, 0, &p, &e);
    static const int32_t ids3[] = {101, 1996, 4248, 2829, 4419, 14523, 2058, 102};
    ok(rc == CLEMBED_OK && same_ids(e, ids3, 8) && e->truncated, "truncation to 8 keeps [CLS] ... [SEP]");
    clembed_encoding_free(e);

    p.truncation = 0;
    rc = clembed_tokenizer_encode(tok, "A question?", (size_t)-1, "An answer.", (size_t)-1, &p, &e);
    static const int32_t ids4[] = {101, 1037, 3160, 1029, 102, 2019, 3437, 1012, 102};
    static const size_t off4[][2] = {{0, 0}, {0, 1}, {2, 10}, {10, 11}, {0, 0}, {0, 2}, {3, 9}, {9, 10}, {0, 0}};
    ok(rc == CLEMBED_OK && same_ids(e, ids4, 9) && same_offsets(e, off4, 9), "a pair");
    ok(e && e->type_ids[4] == 0 && e->type_ids[5] == 1 && e->type_ids[8] == 1 && e->sequence_ids[5] == 1 &&
           e->sequence_ids[4] == -1,
       "pair type ids and sequence ids");
    clembed_encoding_free(e);

    /* tokenizer.json pads to 128: the default */
    rc = clembed_tokenizer_encode(tok, "short", (size_t)-1, NULL, 0, NULL, &e);
    ok(rc == CLEMBED_OK && e->n == 128 && e->attention_mask[3] == 0 && e->ids[127] == 0,
       "default parameters follow tokenizer.json (padding to 128)");
    clembed_encoding_free(e);

    const char *texts[] = {"short", "a bit longer text here"};
    clembed_encoding *out[2] = {NULL, NULL};
    p.truncation = 1;
    p.max_length = 256;
    p.padding = -1;
    rc = clembed_tokenizer_encode_batch(tok, texts, NULL, 2, &p, 2, out);
    ok(rc == CLEMBED_OK && out[0]->n == 128 && out[1]->n == 128, "batch with tokenizer.json's fixed padding");
    clembed_encoding_free(out[0]);
    clembed_encoding_free(out[1]);

    p.padding = 1; /* pad to the longest of the batch */
    clembed_tokenizer *t2 = tok;
    rc = clembed_tokenizer_encode_batch(t2, texts, NULL, 2, &p, 2, out);
    static const int32_t b0[] = {101, 2460, 102, 0, 0, 0, 0};
    static const int32_t b1[] = {101, 1037, 2978, 2936, 3793, 2182, 102};
    ok(rc == CLEMBED_OK && same_ids(out[0], b0, 7) && out[0]->attention_mask[3] == 0 && same_ids(out[1], b1, 7),
       "padding = 1 pads to the longest of the batch, as sentence-transformers does");
    clembed_encoding_free(out[0]);
    clembed_encoding_free(out[1]);
    p.padding = 0;
    rc = clembed_tokenizer_encode_batch(t2, texts, NULL, 2, &p, 2, out);
    ok(rc == CLEMBED_OK && out[0]->n == 3 && same_ids(out[1], b1, 7), "batch without padding");
    clembed_encoding_free(out[0]);
    clembed_encoding_free(out[1]);

    char *dec = NULL;
    static const int32_t ids5[] = {101, 7592, 1010, 2088, 999, 102};
    rc = clembed_tokenizer_decode(tok, ids5, 6, 1, &dec);
    ok(rc == CLEMBED_OK && dec && !strcmp(dec, "hello, world!"), "decode skipping special tokens: '%s'",
       dec ? dec : "");
    free(dec);

    rc = clembed_tokenizer_encode(tok, "bad \xff byte", (size_t)-1, NULL, 0, &p, &e);
    ok(rc == CLEMBED_ERR_UTF8 && e == NULL && strstr(clembed_errmsg(), "byte 4"),
       "invalid UTF-8 is an error naming the byte offset");
    p.replace_invalid_utf8 = 1;
    rc = clembed_tokenizer_encode(tok, "bad \xff byte", (size_t)-1, NULL, 0, &p, &e);
    ok(rc == CLEMBED_OK && e->n == 4 && e->offsets[2][0] == 6, "or U+FFFD when asked (which BERT drops)");
    clembed_encoding_free(e);

    const char *bad[] = {"fine", "bad \xc3"};
    out[0] = out[1] = (clembed_encoding *)1;
    p.replace_invalid_utf8 = 0;
    rc = clembed_tokenizer_encode_batch(tok, bad, NULL, 2, &p, 1, out);
    ok(rc == CLEMBED_ERR_UTF8 && !out[0] && !out[1] && strstr(clembed_errmsg(), "text 1"),
       "a batch failure names the text and leaves no encodings");

    clembed_tokenizer *none = NULL;
    ok(clembed_tokenizer_open("/nonexistent/tokenizer.json", &none) == CLEMBED_ERR_NOT_FOUND && !none,
       "a missing file is CLEMBED_ERR_NOT_FOUND");
    clembed_tokenizer_free(tok);
    clembed_tokenizer_free(NULL);
    if (made) {
        char f[4200];
        snprintf(f, sizeof f, "%s/tokenizer.json", tmpdir);
        remove(f);
        remove(tmpdir);
    }
    clembed_encoding_free(NULL);
    return done_testing();
}
