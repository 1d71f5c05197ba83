/* Conformance with Hugging Face tokenizers: every text of
 * tests/data/tokenizers/corpus.jsonl through every committed tokenizer.json,
 * compared with the reference's output (tests/data/tokenizers/golden/, made
 * by tools/gen_tokenizer_golden.py): ids, type ids, attention mask, special
 * tokens mask, offsets, and token strings.  Mismatches are printed with the
 * text and the first differing token.
 *
 * Usage: test_tok_golden [NAME...]   (default: all committed tokenizers) */
#define _POSIX_C_SOURCE 200809L
#include "tokenizers/tk_tokenizer.h"
#include "tap.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const all_names[] = {"bert-base-uncased", "all-MiniLM-L6-v2", "all-mpnet-base-v2",
                                        "roberta-base", "t5-small", "synth-wordpiece", "synth-bpe-fallback",
                                        "synth-unigram", "synth-bytelevel-split", "synth-wordlevel",
                                        "synth-bpe-suffix", "synth-empty-matches", "xlm-roberta-base",
                                        "albert-t5vocab", "modernbert", "qwen3", "mistral", "llama3"};

static char *slurp_cmd(const char *cmd, size_t *len)
{
    FILE *f = popen(cmd, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (pclose(f) != 0) {
        free(buf);
        return NULL;
    }
    if (buf)
        buf[n] = 0;
    *len = n;
    return buf;
}

typedef struct text { char *s; size_t len; } text;

static text *load_corpus(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    text *v = NULL;
    size_t k = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t got;
    while ((got = getline(&line, &lcap, f)) > 0) {
        cJSON *j = cJSON_ParseWithLength(line, (size_t)got);
        if (!cJSON_IsString(j)) {
            cJSON_Delete(j);
            continue;
        }
        if (k == cap) {
            cap = cap ? cap * 2 : 1024;
            v = realloc(v, cap * sizeof *v);
        }
        /* the string may hold NULs: cJSON keeps them, strlen would not */
        v[k].s = strdup(j->valuestring);
        v[k].len = strlen(j->valuestring);
        k++;
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    *n = k;
    return v;
}

static void print_escaped(const char *s, size_t n)
{
    size_t lim = n > 240 ? 240 : n;
    printf("#   text: \"");
    for (size_t i = 0; i < lim; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            printf("\\n");
        else if (c == '\t')
            printf("\\t");
        else if (c < 0x20 || c == 0x7F)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    printf("\"%s\n", n > lim ? "..." : "");
}

typedef struct expected {
    size_t   n;
    int32_t *ids, *types;
    uint8_t *att, *spec;
    size_t  *off;
    const cJSON *tokens;
} expected;

/* Index of the first difference, or (size_t)-1 when equal. */
static size_t first_diff(const expected *x, const clembed_encoding *e, const char **what)
{
    size_t n = x->n < e->n ? x->n : e->n;
    for (size_t i = 0; i < n; i++) {
        const cJSON *tk = x->tokens ? cJSON_GetArrayItem(x->tokens, (int)i) : NULL;
        if (x->ids[i] != e->ids[i])
            *what = "id";
        else if (x->types[i] != e->type_ids[i])
            *what = "type id";
        else if (x->att[i] != e->attention_mask[i])
            *what = "attention mask";
        else if (x->spec[i] != e->special_mask[i])
            *what = "special tokens mask";
        else if (x->off[2 * i] != e->offsets[i][0] || x->off[2 * i + 1] != e->offsets[i][1])
            *what = "offsets";
        else if (tk && (!cJSON_IsString(tk) || strcmp(tk->valuestring, e->tokens[i])))
            *what = "token string";
        else
            continue;
        return i;
    }
    if (x->n != e->n) {
        *what = "length";
        return n;
    }
    return (size_t)-1;
}

static void show(const expected *x, const clembed_encoding *e, size_t at)
{
    size_t from = at > 3 ? at - 3 : 0;
    for (size_t i = from; i < at + 4; i++) {
        const cJSON *tk = x->tokens ? cJSON_GetArrayItem(x->tokens, (int)i) : NULL;
        if (i < x->n)
            printf("#   %s[%zu] want %d %s (%zu,%zu) t%d a%d s%d", i == at ? ">" : " ", i, x->ids[i],
                   cJSON_IsString(tk) ? tk->valuestring : "", x->off[2 * i], x->off[2 * i + 1], x->types[i], x->att[i],
                   x->spec[i]);
        else
            printf("#   %s[%zu] want -", i == at ? ">" : " ", i);
        if (i < e->n)
            printf(" | got %d %s (%zu,%zu) t%d a%d s%d\n", e->ids[i], e->tokens[i], e->offsets[i][0],
                   e->offsets[i][1], e->type_ids[i], e->attention_mask[i], e->special_mask[i]);
        else
            printf(" | got -\n");
        if (i >= x->n && i >= e->n)
            break;
    }
}

enum { CFG_RAW, CFG_PAIR, CFG_NOSPECIAL, CFG_TRUNC, CFG_CONF, N_CFG };
static const char *const cfg_names[N_CFG] = {"raw", "pair", "nospecial", "trunc", "conf"};

static int run(const char *top, const char *name, const text *corpus, size_t n_corpus)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "gzip -dc '%s/tests/data/tokenizers/%s.json.gz'", top, name);
    size_t jlen = 0;
    char *json = slurp_cmd(cmd, &jlen);
    clembed_tokenizer *tok = NULL;
    clembed_status rc = json ? clembed__tokenizer_from_json(json, jlen, &tok) : CLEMBED_ERR_IO;
    free(json);
    if (!ok(rc == CLEMBED_OK, "%s: load tokenizer.json", name)) {
        diag("%s", clembed_errmsg());
        return 1;
    }
    snprintf(cmd, sizeof cmd, "gzip -dc '%s/tests/data/tokenizers/golden/%s.jsonl.gz'", top, name);
    size_t glen = 0;
    char *gold = slurp_cmd(cmd, &glen);
    if (!ok(gold != NULL, "%s: read golden data", name)) {
        clembed_tokenizer_free(tok);
        return 1;
    }
    size_t total[N_CFG] = {0}, bad[N_CFG] = {0}, dec_total = 0, dec_bad = 0;
    char *save = NULL;
    for (char *line = strtok_r(gold, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *r = cJSON_Parse(line);
        const char *c = r ? (cJSON_GetObjectItem(r, "c") ? cJSON_GetObjectItem(r, "c")->valuestring : NULL) : NULL;
        int cfg = -1;
        for (int k = 0; c && k < N_CFG; k++)
            if (!strcmp(c, cfg_names[k]))
                cfg = k;
        const cJSON *ji = cJSON_GetObjectItem(r, "i"), *jj = cJSON_GetObjectItem(r, "j");
        if (cfg < 0 || !cJSON_IsNumber(ji) || (size_t)ji->valuedouble >= n_corpus) {
            cJSON_Delete(r);
            continue;
        }
        const text *t = &corpus[(size_t)ji->valuedouble];
        const text *pt = cJSON_IsNumber(jj) && (size_t)jj->valuedouble < n_corpus ? &corpus[(size_t)jj->valuedouble]
                                                                                 : NULL;
        clembed_encode_params p;
        clembed_encode_params_init(&p);
        if (cfg != CFG_CONF) {
            p.truncation = 0;
            p.padding = 0;
        }
        if (cfg == CFG_NOSPECIAL)
            p.add_special = 0;
        if (cfg == CFG_TRUNC) {
            p.truncation = 1;
            p.max_length = 16;
        }
        clembed_encoding *e = NULL;
        rc = clembed_tokenizer_encode(tok, t->s, t->len, pt ? pt->s : NULL, pt ? pt->len : 0, &p, &e);
        total[cfg]++;
        if (cJSON_GetObjectItem(r, "err")) {
            /* the reference refused (a truncation strategy that cannot apply) */
            if (rc == CLEMBED_OK && ++bad[cfg] <= 3)
                printf("# %s %s text %zu: the reference fails, clembed does not\n", name, cfg_names[cfg],
                       (size_t)ji->valuedouble);
            clembed_encoding_free(e);
            cJSON_Delete(r);
            continue;
        }
        /* expected */
        const cJSON *ids = cJSON_GetObjectItem(r, "ids"), *o = cJSON_GetObjectItem(r, "o"),
                    *pad = cJSON_GetObjectItem(r, "p");
        const char *ty = cJSON_GetObjectItem(r, "t")->valuestring, *at = cJSON_GetObjectItem(r, "a")->valuestring,
                   *sp = cJSON_GetObjectItem(r, "s")->valuestring;
        size_t n0 = (size_t)cJSON_GetArraySize(ids), np = pad ? (size_t)cJSON_GetArrayItem(pad, 0)->valuedouble : 0;
        expected x;
        x.n = n0 + np;
        x.ids = malloc((x.n + 1) * sizeof *x.ids);
        x.types = malloc((x.n + 1) * sizeof *x.types);
        x.att = malloc(x.n + 1);
        x.spec = malloc(x.n + 1);
        x.off = malloc((2 * x.n + 1) * sizeof *x.off);
        x.tokens = cJSON_GetObjectItem(r, "k");
        size_t prev_end = 0;
        for (size_t i = 0; i < n0; i++) {
            x.ids[i] = (int32_t)cJSON_GetArrayItem(ids, (int)i)->valuedouble;
            x.types[i] = ty[i] - '0';
            x.att[i] = (uint8_t)(at[i] - '0');
            x.spec[i] = (uint8_t)(sp[i] - '0');
            /* stored as differences: start - previous end, end - start */
            x.off[2 * i] = (size_t)((double)prev_end + cJSON_GetArrayItem(o, (int)(2 * i))->valuedouble);
            x.off[2 * i + 1] = x.off[2 * i] + (size_t)cJSON_GetArrayItem(o, (int)(2 * i + 1))->valuedouble;
            prev_end = x.off[2 * i + 1];
        }
        for (size_t i = n0; i < x.n; i++) {
            x.ids[i] = (int32_t)cJSON_GetArrayItem(pad, 1)->valuedouble;
            x.types[i] = (int32_t)cJSON_GetArrayItem(pad, 2)->valuedouble;
            x.att[i] = 0;
            x.spec[i] = 1;
            x.off[2 * i] = x.off[2 * i + 1] = 0;
        }
        const cJSON *dj = cJSON_GetObjectItem(r, "d");
        if (cJSON_IsString(dj) && rc == CLEMBED_OK) {
            char *dec = NULL;
            dec_total++;
            if (clembed_tokenizer_decode(tok, e->ids, e->n, 1, &dec) != CLEMBED_OK || strcmp(dec, dj->valuestring)) {
                if (++dec_bad <= 3) {
                    printf("# %s decode of text %zu differs\n", name, (size_t)ji->valuedouble);
                    print_escaped(dj->valuestring, strlen(dj->valuestring));
                    print_escaped(dec ? dec : "", dec ? strlen(dec) : 0);
                }
            }
            free(dec);
        }
        const char *what = "";
        size_t at_i = rc == CLEMBED_OK ? first_diff(&x, e, &what) : 0;
        if (rc != CLEMBED_OK || at_i != (size_t)-1) {
            if (++bad[cfg] <= 3) {
                printf("# %s %s text %zu%s: ", name, cfg_names[cfg], (size_t)ji->valuedouble, pt ? " (pair)" : "");
                if (rc != CLEMBED_OK)
                    printf("error %s: %s\n", clembed_strerror(rc), clembed_errmsg());
                else
                    printf("first %s difference at token %zu of %zu (want %zu)\n", what, at_i, e->n, x.n);
                print_escaped(t->s, t->len);
                if (pt)
                    print_escaped(pt->s, pt->len);
                if (rc == CLEMBED_OK)
                    show(&x, e, at_i);
            }
        }
        free(x.ids);
        free(x.types);
        free(x.att);
        free(x.spec);
        free(x.off);
        clembed_encoding_free(e);
        cJSON_Delete(r);
    }
    for (int k = 0; k < N_CFG; k++)
        if (total[k])
            ok(bad[k] == 0, "%s %s: %zu of %zu texts match", name, cfg_names[k], total[k] - bad[k], total[k]);
    ok(dec_total > 0 && dec_bad == 0, "%s decode: %zu of %zu match", name, dec_total - dec_bad, dec_total);

    /* The batch call on several threads gives what one call at a time gives. */
    const char **tx = malloc(n_corpus * sizeof *tx);
    clembed_encoding **be = calloc(n_corpus, sizeof *be);
    size_t nb = 0, diff = 0;
    for (size_t i = 0; i < n_corpus; i++)
        if (strlen(corpus[i].s) == corpus[i].len)
            tx[nb++] = corpus[i].s;
    clembed_encode_params bp;
    clembed_encode_params_init(&bp);
    bp.truncation = 0;
    bp.padding = 0;
    rc = clembed_tokenizer_encode_batch(tok, tx, NULL, nb, &bp, 4, be);
    for (size_t i = 0; rc == CLEMBED_OK && i < nb; i++) {
        clembed_encoding *one = NULL;
        if (clembed_tokenizer_encode(tok, tx[i], (size_t)-1, NULL, 0, &bp, &one) != CLEMBED_OK || one->n != be[i]->n ||
            memcmp(one->ids, be[i]->ids, one->n * sizeof *one->ids) ||
            memcmp(one->offsets, be[i]->offsets, one->n * sizeof *one->offsets))
            diff++;
        clembed_encoding_free(one);
    }
    ok(rc == CLEMBED_OK && diff == 0, "%s: a 4-thread batch of %zu texts equals single calls (%zu differ)", name, nb,
       diff);
    for (size_t i = 0; i < nb; i++)
        clembed_encoding_free(be[i]);
    free(be);
    free(tx);
    free(gold);
    clembed_tokenizer_free(tok);
    return 0;
}

int main(int argc, char **argv)
{
    const char *top = getenv("top_srcdir");
    if (!top)
        top = ".";
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/tokenizers/corpus.jsonl", top);
    size_t n = 0;
    text *corpus = load_corpus(path, &n);
    if (!corpus)
        skip_all("cannot read %s", path);
    ok(n >= 3000, "corpus has %zu texts", n);
    if (argc > 1)
        for (int i = 1; i < argc; i++)
            run(top, argv[i], corpus, n);
    else
        for (size_t i = 0; i < CLEMBED_ARRAY_LEN(all_names); i++)
            run(top, all_names[i], corpus, n);
    for (size_t i = 0; i < n; i++)
        free(corpus[i].s);
    free(corpus);
    return done_testing();
}
