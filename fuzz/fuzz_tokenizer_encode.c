/* Fuzz target: encoding arbitrary bytes with the committed real tokenizers
 * (tests/data/tokenizers/NAME.json.gz under $top_srcdir, or under the current
 * directory).  Byte 0 picks the tokenizer, byte 1 the parameters; with
 * the pair bit a 0x09 byte splits the rest into a pair. */
#define _POSIX_C_SOURCE 200809L
#include "tokenizers/tk_tokenizer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"bert-base-uncased", "all-mpnet-base-v2", "roberta-base", "t5-small",
                                     "synth-bytelevel-split", "synth-empty-matches", "synth-wordpiece",
                                     "synth-unigram"};
#define N_TOKS (sizeof names / sizeof names[0])
static clembed_tokenizer *toks[N_TOKS];
static int loaded;

static clembed_tokenizer *load(const char *name)
{
    const char *top = getenv("top_srcdir");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "gzip -dc '%s/tests/data/tokenizers/%s.json.gz'", top ? top : ".", name);
    FILE *f = popen(cmd, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 22, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    pclose(f);
    clembed_tokenizer *t = NULL;
    if (buf && clembed__tokenizer_from_json(buf, n, &t) != CLEMBED_OK)
        t = NULL;
    free(buf);
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!loaded) {
        for (size_t i = 0; i < N_TOKS; i++)
            toks[i] = load(names[i]);
        loaded = 1;
    }
    if (size < 2)
        return 0;
    clembed_tokenizer *tok = toks[data[0] % N_TOKS];
    unsigned sel = data[1];
    if (!tok)
        return 0;
    const char *text = (const char *)data + 2;
    size_t len = size - 2;
    const char *pair = NULL;
    size_t pair_len = 0;
    if (sel & 4) {
        const char *tab = memchr(text, '\t', len);
        if (tab) {
            pair = tab + 1;
            pair_len = len - (size_t)(pair - text);
            len = (size_t)(tab - text);
        }
    }
    clembed_encode_params p;
    clembed_encode_params_init(&p);
    p.replace_invalid_utf8 = (sel >> 3) & 1;
    p.add_special = !((sel >> 4) & 1);
    p.truncation = (sel >> 5) & 1;
    p.max_length = (sel >> 6) * 5 + 1;
    p.padding = (sel & 3) == 3 ? 1 : 0;
    clembed_encoding *e = NULL;
    if (clembed_tokenizer_encode(tok, text, len, pair, pair_len, &p, &e) == CLEMBED_OK) {
        for (size_t i = 0; i < e->n; i++)
            if (e->offsets[i][0] > e->offsets[i][1] && e->special_mask[i] == 0)
                __builtin_trap();
        char *s = NULL;
        if (clembed_tokenizer_decode(tok, e->ids, e->n, 0, &s) == CLEMBED_OK)
            free(s);
    }
    clembed_encoding_free(e);
    return 0;
}
