/* Decoders: ids back to text, as tokenizer.json's decoder says. */
#include "tk_tokenizer.h"

#include <stdlib.h>
#include <string.h>

enum dkind { D_WORDPIECE, D_BYTELEVEL, D_METASPACE, D_BPE, D_REPLACE, D_BYTEFALLBACK, D_FUSE,
             D_STRIP, D_CTC, D_SEQ };

struct clembed__decoder {
    enum dkind kind;
    char *a, *b, *c;          /* prefix / suffix / pattern literal, content, word delimiter */
    size_t a_len, b_len, c_len;
    clembed__pattern pat;
    uint32_t rep;             /* Metaspace replacement, Strip content */
    int cleanup, prepend_never;
    size_t start, stop;
    clembed__decoder **seq;
    size_t n_seq;
};

/* A list of malloc'ed strings. */
typedef struct slist {
    char  **s;
    size_t *len;
    size_t  n, cap;
} slist;

static int sl_push(slist *l, const char *s, size_t n)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **ns = realloc(l->s, cap * sizeof *ns);
        if (!ns)
            return 0;
        l->s = ns;
        size_t *nl = realloc(l->len, cap * sizeof *nl);
        if (!nl)
            return 0;
        l->len = nl;
        l->cap = cap;
    }
    char *d = malloc(n + 1);
    if (!d)
        return 0;
    memcpy(d, s, n);
    d[n] = 0;
    l->s[l->n] = d;
    l->len[l->n++] = n;
    return 1;
}

static void sl_free(slist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->s[i]);
    free(l->s);
    free(l->len);
    memset(l, 0, sizeof *l);
}

/* Growable byte buffer. */
typedef struct sbuf {
    char  *s;
    size_t n, cap;
    int    failed;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->failed = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

static void sb_cp(sbuf *b, uint32_t c)
{
    char u[4];
    sb_add(b, u, clembed__utf8_enc(c, u));
}

/* Replaces each occurrence of `from` by `to` in s. */
static void sb_replace(sbuf *out, const char *s, size_t n, const char *from, size_t fl, const char *to, size_t tl)
{
    size_t i = 0;
    while (i < n) {
        if (fl && i + fl <= n && memcmp(s + i, from, fl) == 0) {
            sb_add(out, to, tl);
            i += fl;
        } else {
            sb_add(out, s + i, 1);
            i++;
        }
    }
}

static int set_item(slist *l, size_t i, sbuf *b)
{
    if (b->failed)
        return 0;
    free(l->s[i]);
    if (!b->s) {
        b->s = malloc(1);
        if (!b->s)
            return 0;
        b->s[0] = 0;
    }
    l->s[i] = b->s;
    l->len[i] = b->n;
    b->s = NULL;
    b->n = b->cap = 0;
    return 1;
}

static int wp_cleanup(slist *l, size_t i)
{
    static const char *const rules[][2] = {
        {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"}, {" 'm", "'m"},
        {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
    for (size_t r = 0; r < CLEMBED_ARRAY_LEN(rules); r++) {
        sbuf b = {0};
        sb_replace(&b, l->s[i], l->len[i], rules[r][0], strlen(rules[r][0]), rules[r][1], strlen(rules[r][1]));
        if (!set_item(l, i, &b)) {
            free(b.s);
            return 0;
        }
    }
    return 1;
}

static int chain(const clembed__decoder *d, slist *l)
{
    switch (d->kind) {
    case D_WORDPIECE:
        for (size_t i = 0; i < l->n; i++) {
            if (i != 0) {
                sbuf b = {0};
                if (l->len[i] >= d->a_len && memcmp(l->s[i], d->a, d->a_len) == 0) {
                    sb_add(&b, l->s[i] + d->a_len, l->len[i] - d->a_len);
                } else {
                    sb_add(&b, " ", 1);
                    sb_add(&b, l->s[i], l->len[i]);
                }
                if (!set_item(l, i, &b))
                    return 0;
            }
            if (d->cleanup && !wp_cleanup(l, i))
                return 0;
        }
        return 1;
    case D_BYTELEVEL: {
        sbuf bytes = {0};
        for (size_t i = 0; i < l->n; i++) {
            sbuf tb = {0};
            int ok = 1;
            for (size_t j = 0; j < l->len[i];) {
                uint32_t c;
                j += clembed__utf8_dec(l->s[i] + j, l->len[i] - j, &c);
                int b = clembed__bytelevel_byte(c);
                if (b < 0) {
                    ok = 0;
                    break;
                }
                char ch = (char)b;
                sb_add(&tb, &ch, 1);
            }
            if (ok)
                sb_add(&bytes, tb.s ? tb.s : "", tb.n);
            else
                sb_add(&bytes, l->s[i], l->len[i]);
            free(tb.s);
        }
        /* from_utf8_lossy */
        sbuf out = {0};
        for (size_t i = 0; i < bytes.n;) {
            size_t ok = clembed__utf8_check(bytes.s + i, bytes.n - i);
            sb_add(&out, bytes.s + i, ok);
            i += ok;
            if (i < bytes.n) {
                i += clembed__utf8_maximal_invalid(bytes.s + i, bytes.n - i);
                sb_add(&out, "\xEF\xBF\xBD", 3);
            }
        }
        free(bytes.s);
        if (out.failed || bytes.failed) {
            free(out.s);
            return 0;
        }
        for (size_t i = 0; i < l->n; i++)
            free(l->s[i]);
        l->n = 0;
        int ok = sl_push(l, out.s ? out.s : "", out.n);
        free(out.s);
        return ok;
    }
    case D_METASPACE:
        for (size_t i = 0; i < l->n; i++) {
            sbuf b = {0};
            for (size_t j = 0; j < l->len[i];) {
                uint32_t c;
                j += clembed__utf8_dec(l->s[i] + j, l->len[i] - j, &c);
                if (c == d->rep) {
                    if (!(i == 0 && !d->prepend_never))
                        sb_add(&b, " ", 1);
                } else {
                    sb_cp(&b, c);
                }
            }
            if (!set_item(l, i, &b))
                return 0;
        }
        return 1;
    case D_BPE:
        for (size_t i = 0; i < l->n; i++) {
            sbuf b = {0};
            const char *rep = i + 1 == l->n ? "" : " ";
            sb_replace(&b, l->s[i], l->len[i], d->a, d->a_len, rep, strlen(rep));
            if (!set_item(l, i, &b))
                return 0;
        }
        return 1;
    case D_REPLACE: {
        clembed__arena ar = {0};
        for (size_t i = 0; i < l->n; i++) {
            clembed__matches m = {0};
            if (!clembed__pattern_find(&ar, &d->pat, l->s[i], l->len[i], &m)) {
                clembed__arena_free(&ar);
                return 0;
            }
            sbuf b = {0};
            for (size_t k = 0; k < m.n; k++) {
                if (m.v[k].m)
                    sb_add(&b, d->b, d->b_len);
                else
                    sb_add(&b, l->s[i] + m.v[k].s, m.v[k].e - m.v[k].s);
            }
            if (!set_item(l, i, &b)) {
                clembed__arena_free(&ar);
                return 0;
            }
            clembed__arena_reset(&ar);
        }
        clembed__arena_free(&ar);
        return 1;
    }
    case D_BYTEFALLBACK: {
        slist nl = {0};
        sbuf pend = {0};
        size_t npend = 0;
        int ok = 1;
        for (size_t i = 0; i <= l->n && ok; i++) {
            int byte = -1;
            if (i < l->n && l->len[i] == 6 && memcmp(l->s[i], "<0x", 3) == 0 && l->s[i][5] == '>') {
                char hex[3] = {l->s[i][3], l->s[i][4], 0};
                char *end;
                long v = strtol(hex, &end, 16);
                if (*end == 0 && hex[0] != '+' && hex[0] != '-' && hex[0] != ' ')
                    byte = (int)v;
            }
            if (byte >= 0) {
                char ch = (char)byte;
                sb_add(&pend, &ch, 1);
                npend++;
                continue;
            }
            if (npend) {
                if (clembed__utf8_check(pend.s, pend.n) == pend.n)
                    ok = sl_push(&nl, pend.s, pend.n);
                else
                    for (size_t k = 0; k < npend && ok; k++)
                        ok = sl_push(&nl, "\xEF\xBF\xBD", 3);
                pend.n = 0;
                npend = 0;
            }
            if (i < l->n && ok)
                ok = sl_push(&nl, l->s[i], l->len[i]);
        }
        free(pend.s);
        if (!ok || pend.failed) {
            sl_free(&nl);
            return 0;
        }
        sl_free(l);
        *l = nl;
        return 1;
    }
    case D_FUSE: {
        sbuf b = {0};
        for (size_t i = 0; i < l->n; i++)
            sb_add(&b, l->s[i], l->len[i]);
        if (b.failed)
            return 0;
        for (size_t i = 0; i < l->n; i++)
            free(l->s[i]);
        l->n = 0;
        int ok = sl_push(l, b.s ? b.s : "", b.n);
        free(b.s);
        return ok;
    }
    case D_STRIP:
        for (size_t i = 0; i < l->n; i++) {
            uint32_t cs[4096];
            size_t nc = 0;
            for (size_t j = 0; j < l->len[i] && nc < 4096;) {
                j += clembed__utf8_dec(l->s[i] + j, l->len[i] - j, &cs[nc]);
                nc++;
            }
            size_t s0 = 0, e0 = nc;
            for (size_t k = 0; k < d->start && k < nc; k++) {
                if (cs[k] != d->rep)
                    break;
                s0 = k + 1;
            }
            for (size_t k = 0; k < d->stop && k < nc; k++) {
                size_t idx = nc - k - 1;
                if (cs[idx] != d->rep)
                    break;
                e0 = idx;
            }
            sbuf b = {0};
            for (size_t k = s0; k < e0; k++)
                sb_cp(&b, cs[k]);
            if (!set_item(l, i, &b))
                return 0;
        }
        return 1;
    case D_CTC: {
        slist nl = {0};
        int ok = 1;
        for (size_t i = 0; i < l->n && ok; i++) {
            if (i > 0 && l->len[i] == l->len[i - 1] && memcmp(l->s[i], l->s[i - 1], l->len[i]) == 0)
                continue;
            sbuf b = {0};
            sb_replace(&b, l->s[i], l->len[i], d->a, d->a_len, "", 0);
            if (d->cleanup && b.s) {
                slist one = {0};
                ok = sl_push(&one, b.s, b.n) && wp_cleanup(&one, 0);
                free(b.s);
                memset(&b, 0, sizeof b);
                if (ok)
                    sb_replace(&b, one.s[0], one.len[0], d->c, d->c_len, " ", 1);
                sl_free(&one);
            }
            if (ok && b.n)
                ok = sl_push(&nl, b.s, b.n);
            free(b.s);
        }
        if (!ok) {
            sl_free(&nl);
            return 0;
        }
        sl_free(l);
        *l = nl;
        return 1;
    }
    case D_SEQ:
        for (size_t i = 0; i < d->n_seq; i++)
            if (!chain(d->seq[i], l))
                return 0;
        return 1;
    }
    return 1;
}

static const clembed__added *added_by_id(const clembed__tokenizer_impl *tk, int32_t id)
{
    /* tk->added is sorted by id, one token per id */
    size_t lo = 0, hi = tk->n_added;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (tk->added[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < tk->n_added && tk->added[lo].id == id ? &tk->added[lo] : NULL;
}

clembed_status clembed_tokenizer_decode(const clembed_tokenizer *tok, const int32_t *ids, size_t n,
                                        int skip_special, char **out)
{
    if (out)
        *out = NULL;
    if (!tok || (!ids && n) || !out)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_tokenizer_decode: NULL argument");
    const clembed__tokenizer_impl *tk = &tok->impl;
    slist l = {0};
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const char *s = NULL;
        /* an added token decodes to its normalized form, as the reference does */
        const clembed__added *ad = added_by_id(tk, ids[i]);
        if (ad) {
            s = ad->norm && ad->normalized ? ad->norm : ad->content;
            len = ad->norm && ad->normalized ? ad->norm_len : ad->len;
        }
        if (!s && ids[i] >= 0)
            s = clembed__vocab_str(&tk->model->vocab, (uint32_t)ids[i], &len);
        if (!s)
            continue;
        if (skip_special && ad && ad->special)
            continue;
        if (!sl_push(&l, s, len)) {
            sl_free(&l);
            return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory while decoding");
        }
    }
    int ok = 1;
    if (tk->decoder && l.n)
        ok = chain(tk->decoder, &l);
    sbuf b = {0};
    for (size_t i = 0; ok && i < l.n; i++) {
        if (!tk->decoder && i)
            sb_add(&b, " ", 1);
        sb_add(&b, l.s[i], l.len[i]);
    }
    sl_free(&l);
    if (!ok || b.failed) {
        free(b.s);
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory while decoding");
    }
    if (!b.s) {
        b.s = malloc(1);
        if (!b.s)
            return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory while decoding");
        b.s[0] = 0;
    }
    *out = b.s;
    return CLEMBED_OK;
}

void clembed__decoder_free(clembed__decoder *d)
{
    if (!d)
        return;
    free(d->a);
    free(d->b);
    free(d->c);
    clembed__pattern_free(&d->pat);
    for (size_t i = 0; i < d->n_seq; i++)
        clembed__decoder_free(d->seq[i]);
    free(d->seq);
    free(d);
}

static int dup_str(const cJSON *j, const char *key, const char *dflt, char **s, size_t *len)
{
    const char *v = clembed__tkjson_str(j, key);
    if (!v)
        v = dflt;
    *s = clembed__tkjson_strdup(v, len);
    return *s != NULL;
}

static clembed_status one_cp(const char *s, uint32_t *c)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || clembed__utf8_check(s, n) != n)
        return clembed__fail(CLEMBED_ERR_FORMAT, "decoder: expected a character");
    clembed__utf8_dec(s, n, c);
    return CLEMBED_OK;
}

clembed_status clembed__decoder_load(const cJSON *j, int depth, clembed__decoder **out)
{
    *out = NULL;
    if (depth > 16)
        return clembed__fail(CLEMBED_ERR_FORMAT, "decoder: nested too deeply");
    const char *type = clembed__tkjson_str(j, "type");
    if (!type)
        return clembed__fail(CLEMBED_ERR_FORMAT, "decoder: no \"type\"");
    clembed__decoder *d = calloc(1, sizeof *d);
    if (!d)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    clembed_status rc = CLEMBED_OK;
    int mem = 1;
    if (!strcmp(type, "WordPiece")) {
        d->kind = D_WORDPIECE;
        mem = dup_str(j, "prefix", "##", &d->a, &d->a_len);
        d->cleanup = clembed__tkjson_bool(j, "cleanup", 1);
    } else if (!strcmp(type, "ByteLevel")) {
        d->kind = D_BYTELEVEL;
    } else if (!strcmp(type, "Metaspace")) {
        d->kind = D_METASPACE;
        rc = one_cp(clembed__tkjson_str(j, "replacement"), &d->rep);
        const char *scheme = clembed__tkjson_str(j, "prepend_scheme");
        d->prepend_never = (scheme && !strcmp(scheme, "never")) || clembed__tkjson_bool(j, "add_prefix_space", 1) == 0;
    } else if (!strcmp(type, "BPEDecoder")) {
        d->kind = D_BPE;
        mem = dup_str(j, "suffix", "</w>", &d->a, &d->a_len);
    } else if (!strcmp(type, "Replace")) {
        d->kind = D_REPLACE;
        rc = clembed__pattern_load(cJSON_GetObjectItemCaseSensitive(j, "pattern"), &d->pat);
        if (rc == CLEMBED_OK)
            mem = dup_str(j, "content", "", &d->b, &d->b_len);
    } else if (!strcmp(type, "ByteFallback")) {
        d->kind = D_BYTEFALLBACK;
    } else if (!strcmp(type, "Fuse")) {
        d->kind = D_FUSE;
    } else if (!strcmp(type, "Strip")) {
        d->kind = D_STRIP;
        rc = one_cp(clembed__tkjson_str(j, "content"), &d->rep);
        long long s = clembed__tkjson_int(j, "start", 0), e = clembed__tkjson_int(j, "stop", 0);
        d->start = s > 0 ? (size_t)s : 0;
        d->stop = e > 0 ? (size_t)e : 0;
    } else if (!strcmp(type, "CTC")) {
        d->kind = D_CTC;
        mem = dup_str(j, "pad_token", "<pad>", &d->a, &d->a_len) &&
              dup_str(j, "word_delimiter_token", "|", &d->c, &d->c_len);
        d->cleanup = clembed__tkjson_bool(j, "cleanup", 1);
    } else if (!strcmp(type, "Sequence")) {
        d->kind = D_SEQ;
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "decoders");
        if (!cJSON_IsArray(arr)) {
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "decoder Sequence: no \"decoders\" array");
        } else {
            size_t cnt = (size_t)cJSON_GetArraySize(arr);
            d->seq = calloc(cnt ? cnt : 1, sizeof *d->seq);
            mem = d->seq != NULL;
            const cJSON *e;
            cJSON_ArrayForEach(e, arr) {
                if (rc != CLEMBED_OK || !mem)
                    break;
                rc = clembed__decoder_load(e, depth + 1, &d->seq[d->n_seq]);
                if (rc == CLEMBED_OK)
                    d->n_seq++;
            }
        }
    } else {
        rc = clembed__fail(CLEMBED_ERR_UNSUPPORTED, "decoder type \"%s\" is not supported", type);
    }
    if (rc == CLEMBED_OK && !mem)
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    if (rc != CLEMBED_OK) {
        clembed__decoder_free(d);
        return rc;
    }
    *out = d;
    return CLEMBED_OK;
}
