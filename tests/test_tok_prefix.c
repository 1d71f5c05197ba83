/* Truncation tokenizes only a prefix of a long text (tokenizers/tokenizer.c); its tokens
 * must be the reference's, which tokenizes the whole text and then cuts.  For every
 * committed tokenizer.json and long texts built to trip a prefix (words, whitespace runs,
 * combining marks, CJK without spaces, a word longer than the first prefixes, added
 * tokens, newlines), the truncated encoding's text tokens equal the first tokens of the
 * untruncated encoding: ids, type ids and offsets, and the truncated flag. */
#define _POSIX_C_SOURCE 200809L
#include "tokenizers/tk_tokenizer.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {"bert-base-uncased", "all-MiniLM-L6-v2", "all-mpnet-base-v2",
                                    "roberta-base", "t5-small", "synth-wordpiece", "synth-bpe-fallback",
                                    "synth-unigram", "synth-bytelevel-split", "synth-wordlevel",
                                    "synth-bpe-suffix", "synth-empty-matches", "xlm-roberta-base",
                                    "albert-t5vocab", "modernbert", "qwen3"};

static char *slurp_cmd(const char *cmd, size_t *len)
{
    FILE *f = popen(cmd, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    pclose(f);
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

static void put(sbuf *b, const char *s)
{
    size_t l = strlen(s);
    if (b->n + l + 1 > b->cap) {
        b->cap = (b->n + l + 1) * 2;
        b->s = realloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, l + 1);
    b->n += l;
}

/* The long texts, each some 60 KB. */
enum { T_PROSE, T_LINES, T_SPACES, T_COMBINING, T_CJK, T_LONGWORD, T_ADDED, T_NOSPACE, N_TEXTS };
static const char *const text_names[N_TEXTS] = {"prose", "newlines", "whitespace runs", "combining marks",
                                                "CJK without spaces", "a 9000-byte word first",
                                                "added tokens", "one unbroken word"};

static char *make_text(int kind, const char *corpus)
{
    sbuf b = {0};
    put(&b, "");
    const char *p = corpus;
    size_t k = 0;
    if (kind == T_LONGWORD)
        for (int i = 0; i < 9000; i++)
            put(&b, i % 7 ? "x" : "y");
    while (b.n < 60000) {
        const char *nl = strchr(p, '\n');
        if (!nl) {
            p = corpus;
            continue;
        }
        char line[4096];
        snprintf(line, sizeof line, "%.*s", (int)(nl - p < 4000 ? nl - p : 4000), p);
        p = nl + 1;
        k++;
        switch (kind) {
        case T_LINES: put(&b, line); put(&b, "\n"); break;
        case T_SPACES: put(&b, line); put(&b, k % 3 ? "   \t " : "  "); break;
        case T_COMBINING:
            /* e + combining acute (NFC composes it), n + combining tilde, between words */
            put(&b, line);
            put(&b, k % 2 ? " e\xcc\x81t\xc3\xa9 " : " man\xcc\x83" "ana ");
            break;
        case T_CJK: put(&b, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe6\x96\x87\xe7\xab\xa0"); break;
        case T_ADDED: put(&b, line); put(&b, k % 2 ? " [MASK] <mask> " : " <unk>[SEP]</s> "); break;
        case T_NOSPACE:
            for (const char *c = line; *c; c++)
                if (*c != ' ') {
                    char one[2] = {*c, 0};
                    put(&b, one);
                }
            break;
        default: put(&b, line); put(&b, " "); break;
        }
    }
    return b.s;
}

/* Compares the truncated encoding (max_length) with the whole one (a), cut by hand at
 * the end tokenizer.json truncates from. */
static int check(const clembed_tokenizer *tok, const clembed_encoding *a, const char *text, size_t max_length,
                 char *why, size_t cap)
{
    clembed_encode_params cut;
    clembed_encode_params_init(&cut);
    cut.padding = 0;
    cut.truncation = 1;
    cut.max_length = max_length;
    clembed_encoding *b = NULL;
    clembed_status rb = clembed_tokenizer_encode(tok, text, (size_t)-1, NULL, 0, &cut, &b);
    if (rb != CLEMBED_OK) {
        snprintf(why, cap, "status %s truncated", clembed_strerror(rb));
        return 0;
    }
    /* Text tokens have sequence id 0; the post-processor's have -1. */
    size_t specials = 0, whole = 0;
    for (size_t i = 0; i < b->n; i++)
        specials += b->sequence_ids[i] != 0;
    for (size_t i = 0; i < a->n; i++)
        whole += a->sequence_ids[i] == 0;
    size_t keep = max_length - specials < whole ? max_length - specials : whole;
    size_t skip = tok->impl.trunc.left ? whole - keep : 0;   /* left truncation keeps the end */
    size_t k = 0, seen = 0;
    int good = 1;
    for (size_t i = 0; good && i < b->n; i++) {
        if (b->sequence_ids[i] != 0)
            continue;
        while (k < a->n && (a->sequence_ids[k] != 0 || seen < skip)) {
            seen += a->sequence_ids[k] == 0;
            k++;
        }
        if (k == a->n || a->ids[k] != b->ids[i] || a->type_ids[k] != b->type_ids[i] ||
            a->offsets[k][0] != b->offsets[i][0] || a->offsets[k][1] != b->offsets[i][1]) {
            snprintf(why, cap, "token %zu: %d [%zu, %zu) truncated, %d [%zu, %zu) whole", i, b->ids[i],
                     b->offsets[i][0], b->offsets[i][1], k < a->n ? a->ids[k] : -1,
                     k < a->n ? a->offsets[k][0] : 0, k < a->n ? a->offsets[k][1] : 0);
            good = 0;
        }
        k++;
    }
    if (good && (b->n - specials != keep || b->truncated != (whole > keep))) {
        snprintf(why, cap, "%zu text tokens and truncated %d; the whole text has %zu (keep %zu)",
                 b->n - specials, b->truncated, whole, keep);
        good = 0;
    }
    clembed_encoding_free(b);
    return good;
}

int main(void)
{
    const char *top = getenv("top_srcdir") ? getenv("top_srcdir") : ".";
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cat '%s/tests/data/corpus/bench.txt'", top);
    size_t clen = 0;
    char *corpus = slurp_cmd(cmd, &clen);
    if (!corpus || clen == 0)
        skip_all("tests/data/corpus/bench.txt not found");
    char *texts[N_TEXTS];
    for (int t = 0; t < N_TEXTS; t++)
        texts[t] = make_text(t, corpus);
    const size_t lengths[] = {16, 128, 512};
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        snprintf(cmd, sizeof cmd, "gzip -dc '%s/tests/data/tokenizers/%s.json.gz'", top, names[n]);
        size_t jlen = 0;
        char *json = slurp_cmd(cmd, &jlen);
        clembed_tokenizer *tok = NULL;
        clembed_status rc = json ? clembed__tokenizer_from_json(json, jlen, &tok) : CLEMBED_ERR_IO;
        free(json);
        if (!ok(rc == CLEMBED_OK, "%s: load", names[n])) {
            diag("%s", clembed_errmsg());
            continue;
        }
        for (int t = 0; t < N_TEXTS; t++) {
            char why[512] = "";
            size_t at = 0;
            clembed_encode_params full;
            clembed_encode_params_init(&full);
            full.truncation = 0;
            full.padding = 0;
            clembed_encoding *a = NULL;
            int good = clembed_tokenizer_encode(tok, texts[t], (size_t)-1, NULL, 0, &full, &a) == CLEMBED_OK;
            if (!good)
                snprintf(why, sizeof why, "the whole text: %s", clembed_errmsg());
            for (size_t l = 0; good && l < sizeof lengths / sizeof lengths[0]; l++)
                if (!check(tok, a, texts[t], at = lengths[l], why, sizeof why))
                    good = 0;
            clembed_encoding_free(a);
            ok(good, "%s: %s: truncated to 16, 128 and 512 tokens equals the whole text cut", names[n],
               text_names[t]);
            if (!good)
                diag("  max_length %zu: %s", at, why);
        }
        clembed_tokenizer_free(tok);
    }
    for (int t = 0; t < N_TEXTS; t++)
        free(texts[t]);
    free(corpus);
    return done_testing();
}
