/* The tokenizer: tokenizer.json loading, the encode pipeline (added tokens,
 * normalizer, pre-tokenizer, model, truncation, post-processor, padding) and
 * the public API. */
#define _POSIX_C_SOURCE 200809L
#include "tk_tokenizer.h"
#include "core/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- added tokens ------------------------------------------------------- */

/* Leftmost-longest matching of added tokens, as the reference's
 * Aho-Corasick automaton with MatchKind::LeftmostLongest. */
static int added_find(const clembed__added_set *set, const char *s, size_t len, size_t i,
                      const clembed__added **hit)
{
    unsigned char b = (unsigned char)s[i];
    uint32_t from = set->first[b], to = set->first[b + 1];
    for (uint32_t k = from; k < to; k++) {
        const clembed__added *t = set->v[k];
        const char *pat = set->normalized ? t->norm : t->content;
        size_t pl = set->normalized ? t->norm_len : t->len;
        if (pl <= len - i && memcmp(s + i, pat, pl) == 0) {
            *hit = t;   /* sorted longest first */
            return 1;
        }
    }
    return 0;
}

static int is_w(uint32_t c)
{
    return (clembed__uc_flags(c) & CLEMBED__UC_W) != 0;
}

static int is_s(uint32_t c)
{
    return (clembed__uc_flags(c) & CLEMBED__UC_S) != 0;
}

/* The char ending at byte e of s (e > 0). */
static uint32_t char_before(const char *s, size_t e)
{
    size_t j = e - 1;
    while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80)
        j--;
    uint32_t c;
    clembed__utf8_dec(s + j, e - j, &c);
    return c;
}

/* Splits piece p by the tokens of `set`, appending to out. */
static int split_added(clembed__arena *a, const clembed__tokenizer_impl *tk, const clembed__added_set *set,
                       const clembed__piece *p, clembed__pieces *out)
{
    if (!set->n || p->len == 0)
        return p->len == 0 || CLEMBED__VEC_PUSH(a, *out, *p);
    const char *s = p->s;
    size_t len = p->len, start_off = 0;
    size_t i = 0;
    (void)tk;
    while (i < len) {
        const clembed__added *t;
        unsigned char b = (unsigned char)s[i];
        if (set->first[b] == set->first[b + 1] || !added_find(set, s, len, i, &t)) {
            i++;
            continue;
        }
        size_t start = i, stop = i + (set->normalized ? t->norm_len : t->len);
        if (t->single_word) {
            int start_space = start == 0 || !is_w(char_before(s, start));
            uint32_t c = 0;
            if (stop < len)
                clembed__utf8_dec(s + stop, len - stop, &c);
            int stop_space = stop == len || !is_w(c);
            if (!start_space || !stop_space) {
                i = stop;
                continue;
            }
        }
        if (t->lstrip) {
            size_t ns = start;
            while (ns > 0) {
                size_t j = ns - 1;
                while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80)
                    j--;
                uint32_t c;
                clembed__utf8_dec(s + j, ns - j, &c);
                if (!is_s(c))
                    break;
                ns = j;
            }
            start = ns > start_off ? ns : start_off;
        }
        if (t->rstrip) {
            while (stop < len) {
                uint32_t c;
                size_t k = clembed__utf8_dec(s + stop, len - stop, &c);
                if (!is_s(c))
                    break;
                stop += k;
            }
        }
        if (start_off < start) {
            clembed__piece q = clembed__piece_slice(p, start_off, start);
            if (!CLEMBED__VEC_PUSH(a, *out, q))
                return 0;
        }
        clembed__piece q = clembed__piece_slice(p, start, stop);
        q.added = t->id;
        if (!CLEMBED__VEC_PUSH(a, *out, q))
            return 0;
        start_off = stop;
        i = stop;
    }
    if (start_off != len) {
        clembed__piece q = clembed__piece_slice(p, start_off, len);
        if (!CLEMBED__VEC_PUSH(a, *out, q))
            return 0;
    }
    return 1;
}

/* ---- encoding one sequence ---------------------------------------------- */

/* Byte offset -> char offset over the input, as the reference's
 * BytesToCharOffsetConverter. */
typedef struct conv {
    uint32_t *tab;   /* NULL: ASCII, identity */
    size_t    len;
} conv;

static void conv_offsets(const conv *cv, size_t *s, size_t *e)
{
    if (!cv->tab)
        return;
    if (*s >= cv->len)
        return;   /* not in the map: left as bytes */
    size_t cs = cv->tab[*s], ce;
    if (*e < cv->len)
        ce = cv->tab[*e];
    else
        ce = (*e >= 1 && *e - 1 < cv->len) ? cv->tab[*e - 1] + 1 : cs + 1;
    *s = cs;
    *e = ce;
}

static clembed_status tk_fail_nomem(void)
{
    return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory while encoding");
}

/* Encodes one text into seq tokens (offsets in chars, not yet post-processed). */
static clembed_status encode_seq(clembed__arena *a, const clembed__tokenizer_impl *tk, const char *text,
                                 size_t len, int type_id, int seq_id, clembed__etoks *out)
{
    if (len >= UINT32_MAX / 2)
        return clembed__fail(CLEMBED_ERR_TOO_LARGE, "tokenizer: text of %zu bytes is too long", len);
    clembed__span *al = clembed__arena_alloc(a, (len + 1) * sizeof *al);
    conv cv = {NULL, len};
    int ascii = 1;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] >= 0x80) {
            ascii = 0;
            break;
        }
    if (!ascii)
        cv.tab = clembed__arena_alloc(a, (len + 1) * sizeof *cv.tab);
    if (!al || (!ascii && !cv.tab))
        return tk_fail_nomem();
    uint32_t ci = 0;
    for (size_t i = 0; i < len;) {
        size_t k = ascii ? 1 : clembed__utf8_seqlen((unsigned char)text[i]);
        if (k > len - i)
            k = len - i;
        clembed__span sp = {(uint32_t)i, (uint32_t)(i + k)};
        for (size_t j = 0; j < k; j++) {
            al[i + j] = sp;
            if (cv.tab)
                cv.tab[i + j] = ci;
        }
        ci++;
        i += k;
    }
    clembed__piece whole = {text, al, (uint32_t)len, 0, -1};
    clembed__pieces p1 = {0}, p2 = {0}, p3 = {0};
    if (!split_added(a, tk, &tk->added_raw, &whole, &p1))
        return tk_fail_nomem();
    for (size_t i = 0; i < p1.n; i++) {
        clembed__piece p = p1.v[i];
        if (p.added >= 0) {
            if (!CLEMBED__VEC_PUSH(a, p2, p))
                return tk_fail_nomem();
            continue;
        }
        if (tk->normalizer && !clembed__normalize(a, tk->normalizer, &p))
            return tk_fail_nomem();
        if (!split_added(a, tk, &tk->added_norm, &p, &p2))
            return tk_fail_nomem();
    }
    clembed__pieces *pre = &p2;
    if (tk->pretok) {
        if (!clembed__pretokenize(a, tk->pretok, &p2, &p3))
            return tk_fail_nomem();
        pre = &p3;
    }
    clembed__toks toks = {0};
    for (size_t i = 0; i < pre->n; i++) {
        const clembed__piece *p = &pre->v[i];
        if (p->len == 0)
            continue;
        toks.n = 0;
        if (p->added >= 0) {
            clembed__tok t = {p->added, p->len, p->s, 0, p->len};
            if (!CLEMBED__VEC_PUSH(a, toks, t))
                return tk_fail_nomem();
        } else {
            int r = clembed__model_tokenize(a, tk->model, p, &toks);
            if (r == CLEMBED__TK_NOMEM)
                return tk_fail_nomem();
            if (r == CLEMBED__TK_NO_UNK)
                return clembed__fail(CLEMBED_ERR_FORMAT,
                                     "tokenizer: a word is not in the vocabulary and the model has no unk_token");
        }
        for (size_t j = 0; j < toks.n; j++) {
            clembed__tok t = toks.v[j];
            clembed__span sp;
            if (t.e > p->len)
                sp = (clembed__span){t.s, t.e};
            else
                sp = clembed__piece_orig(p, t.s, t.e);
            size_t s = sp.s, e = sp.e;
            conv_offsets(&cv, &s, &e);
            clembed__etok et = {t.id, type_id, 0, (int8_t)seq_id, t.vlen, t.val, s, e};
            if (!CLEMBED__VEC_PUSH(a, *out, et))
                return tk_fail_nomem();
        }
    }
    return CLEMBED_OK;
}

/* ---- truncation and padding --------------------------------------------- */

static int truncate_to(clembed__etoks *e, size_t n, int left)
{
    if (e->n <= n)
        return 0;
    if (left)
        memmove(e->v, e->v + (e->n - n), n * sizeof *e->v);
    e->n = n;
    return 1;
}

/* The reference's truncate_encodings; -1 when the strategy cannot apply. */
static int truncate_pair(clembed__etoks *a, clembed__etoks *b, const clembed__trunc *t, size_t max_length)
{
    int left = t->left;
    if (max_length == 0) {
        int r = truncate_to(a, 0, left);
        if (b)
            r |= truncate_to(b, 0, left);
        return r;
    }
    size_t total = a->n + (b ? b->n : 0);
    if (total <= max_length)
        return 0;
    size_t to_remove = total - max_length;
    if (t->strategy == CLEMBED__TRUNC_LONGEST_FIRST) {
        if (!b)
            return truncate_to(a, total - to_remove, left);
        size_t n1 = a->n, n2 = b->n;
        int swap = 0;
        if (n1 > n2) {
            swap = 1;
            size_t x = n1;
            n1 = n2;
            n2 = x;
        }
        if (n1 > max_length)
            n2 = n1;
        else
            n2 = n1 > max_length - n1 ? n1 : max_length - n1;
        if (n1 + n2 > max_length) {
            n1 = max_length / 2;
            n2 = n1 + max_length % 2;
        }
        if (swap) {
            size_t x = n1;
            n1 = n2;
            n2 = x;
        }
        int r = truncate_to(a, n1, left);
        r |= truncate_to(b, n2, left);
        return r;
    }
    clembed__etoks *target = t->strategy == CLEMBED__TRUNC_ONLY_FIRST ? a : b;
    if (!target)
        return -1;
    if (target->n > to_remove)
        return truncate_to(target, target->n - to_remove, left);
    return -1;
}

/* ---- the output --------------------------------------------------------- */

static clembed_status build_encoding(const clembed__etoks *e, int truncated, size_t pad_to,
                                     const clembed__padding *pad, clembed_encoding **out)
{
    size_t n = e->n > pad_to ? e->n : pad_to;
    size_t npad = n - e->n;
    size_t strbytes = 0;
    for (size_t i = 0; i < e->n; i++)
        strbytes += e->v[i].vlen + 1;
    strbytes += npad * (pad ? pad->token_len + 1 : 1);
    size_t sz = sizeof(clembed_encoding);
    size_t o_off = (sz + 15) & ~(size_t)15;
    size_t o_tokens = o_off + n * sizeof(size_t[2]);
    size_t o_ids = o_tokens + n * sizeof(char *);
    size_t o_types = o_ids + n * sizeof(int32_t);
    size_t o_att = o_types + n * sizeof(int32_t);
    size_t o_spec = o_att + n;
    size_t o_seq = o_spec + n;
    size_t o_str = o_seq + n;
    char *mem = malloc(o_str + strbytes + 1);
    if (!mem)
        return tk_fail_nomem();
    clembed_encoding *enc = (clembed_encoding *)mem;
    enc->n = n;
    enc->offsets = (size_t(*)[2])(mem + o_off);
    enc->tokens = (char **)(mem + o_tokens);
    enc->ids = (int32_t *)(mem + o_ids);
    enc->type_ids = (int32_t *)(mem + o_types);
    enc->attention_mask = (uint8_t *)(mem + o_att);
    enc->special_mask = (uint8_t *)(mem + o_spec);
    enc->sequence_ids = (int8_t *)(mem + o_seq);
    enc->truncated = truncated;
    char *sp = mem + o_str;
    size_t base = pad && pad->left ? npad : 0;
    for (size_t i = 0; i < e->n; i++) {
        const clembed__etok *t = &e->v[i];
        size_t k = base + i;
        enc->ids[k] = t->id;
        enc->type_ids[k] = t->type;
        enc->attention_mask[k] = 1;
        enc->special_mask[k] = t->special;
        enc->sequence_ids[k] = t->seq;
        enc->offsets[k][0] = t->s;
        enc->offsets[k][1] = t->e;
        enc->tokens[k] = sp;
        memcpy(sp, t->val, t->vlen);
        sp[t->vlen] = 0;
        sp += t->vlen + 1;
    }
    for (size_t i = 0; i < npad; i++) {
        size_t k = pad->left ? i : e->n + i;
        enc->ids[k] = pad->id;
        enc->type_ids[k] = pad->type_id;
        enc->attention_mask[k] = 0;
        enc->special_mask[k] = 1;
        enc->sequence_ids[k] = -1;
        enc->offsets[k][0] = enc->offsets[k][1] = 0;
        enc->tokens[k] = sp;
        memcpy(sp, pad->token, pad->token_len);
        sp[pad->token_len] = 0;
        sp += pad->token_len + 1;
    }
    *out = enc;
    return CLEMBED_OK;
}

/* ---- encode ------------------------------------------------------------- */

typedef struct resolved {
    int    add_special;
    int    truncate;
    size_t max_length;
    int    pad;            /* 0 off, 1 as tokenizer.json, 2 to the longest */
    int    replace_invalid;
} resolved;

static void resolve(const clembed__tokenizer_impl *tk, const clembed_encode_params *p, resolved *r)
{
    clembed_encode_params d;
    if (!p) {
        clembed_encode_params_init(&d);
        p = &d;
    }
    r->add_special = p->add_special != 0;
    r->truncate = p->truncation < 0 ? tk->trunc.enabled : p->truncation != 0;
    r->max_length = p->truncation > 0 && p->max_length ? p->max_length : tk->trunc.max_length;
    r->pad = p->padding < 0 ? tk->pad.enabled : p->padding > 0 ? 2 : 0;
    r->replace_invalid = p->replace_invalid_utf8 != 0;
}

/* Makes text valid UTF-8: an error naming the byte offset, or U+FFFD for
 * each maximal invalid subpart. */
static clembed_status check_utf8(clembed__arena *a, const char **text, size_t *len, int replace,
                                 const char *which)
{
    size_t bad = clembed__utf8_check(*text, *len);
    if (bad == *len)
        return CLEMBED_OK;
    if (!replace)
        return clembed__fail(CLEMBED_ERR_UTF8, "tokenizer: %s text has invalid UTF-8 at byte %zu", which, bad);
    char *o = clembed__arena_alloc(a, *len * 3 + 1);
    if (!o)
        return tk_fail_nomem();
    const char *s = *text;
    size_t n = 0, i = 0;
    while (i < *len) {
        size_t ok = clembed__utf8_check(s + i, *len - i);
        memcpy(o + n, s + i, ok);
        n += ok;
        i += ok;
        if (i < *len) {
            i += clembed__utf8_maximal_invalid(s + i, *len - i);
            memcpy(o + n, "\xEF\xBF\xBD", 3);
            n += 3;
        }
    }
    *text = o;
    *len = n;
    return CLEMBED_OK;
}

/* ---- tokenizing only as far as truncation needs ------------------------------
 *
 * With right truncation of a single text to `keep` tokens, only the first tokens matter,
 * yet the reference tokenizes the whole text and then cuts: a 50 MB line would cost
 * gigabytes.  A prefix gives the same first tokens as the whole text when nothing near
 * its end reaches back to them.  Normalizers (NFC composition, Precompiled and Replace
 * patterns), pre-tokenizer look-aheads (ByteLevel's \s+(?!\S)), WordPiece's
 * max_input_chars_per_word, added tokens and Unigram's best path all look at most a
 * word or so ahead in practice, but not by a bound we can state for every
 * tokenizer.json.  So the result is not trusted from one prefix: prefixes double in
 * length until two in a row give more than `keep` tokens and agree on the first `keep`
 * (ids, types and offsets).  A text whose first tokens are still unsettled (one word
 * longer than the prefixes, say) ends in the whole text being tokenized, as before. */

/* The first prefix's length in bytes: some 16 bytes a token, at least 4 KiB. */
#define PREFIX_MIN 4096

/* Where to cut text near `at`: before an ASCII space within the last 64 bytes when there is
 * one, else at the character boundary at or before `at`. */
static size_t prefix_cut(const char *text, size_t at)
{
    for (size_t i = at; i > 0 && at - i < 64; i--)
        if (text[i] == ' ' || text[i] == '\n' || text[i] == '\t')
            return i;
    while (at > 0 && ((unsigned char)text[at] & 0xC0) == 0x80)
        at--;
    return at;
}

static int same_tokens(const clembed__etoks *a, const clembed__etoks *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const clembed__etok *x = &a->v[i], *y = &b->v[i];
        if (x->id != y->id || x->type != y->type || x->s != y->s || x->e != y->e)
            return 0;
    }
    return 1;
}

/* Encodes the first tokens of text (at least `keep` + 1 of them when it has more) into
 * out: a settled prefix's tokens, or the whole text's. */
static clembed_status encode_seq_prefix(clembed__arena *a, const clembed__tokenizer_impl *tk, const char *text,
                                        size_t len, size_t keep, clembed__etoks *out)
{
    clembed__etoks prev = {0};
    int have_prev = 0;
    size_t at = keep * 16 > PREFIX_MIN ? keep * 16 : PREFIX_MIN;
    while (at < len / 2 + 1 && at < len) {
        size_t cut = prefix_cut(text, at);
        clembed__etoks cur = {0};
        clembed_status rc = encode_seq(a, tk, text, cut, 0, 0, &cur);
        if (rc != CLEMBED_OK)
            return rc;
        if (have_prev && prev.n > keep && cur.n > keep && same_tokens(&prev, &cur, keep)) {
            *out = cur;
            return CLEMBED_OK;
        }
        prev = cur;
        have_prev = 1;
        at *= 2;
    }
    return encode_seq(a, tk, text, len, 0, 0, out);
}

/* Encodes without padding into `all` (arena memory). */
static clembed_status encode_one(clembed__arena *a, const clembed__tokenizer_impl *tk, const char *text,
                                 size_t len, const char *pair, size_t pair_len, const resolved *r,
                                 clembed__etoks *all, int *truncated)
{
    clembed__etoks ea = {0}, eb = {0};
    clembed_status rc = check_utf8(a, &text, &len, r->replace_invalid, pair ? "first" : "input");
    if (rc == CLEMBED_OK && pair)
        rc = check_utf8(a, &pair, &pair_len, r->replace_invalid, "second");
    size_t added = r->add_special ? clembed__post_added(tk->post, pair != NULL) : 0;
    if (rc == CLEMBED_OK && r->truncate && !pair && !tk->trunc.left && added <= r->max_length)
        rc = encode_seq_prefix(a, tk, text, len, r->max_length - added, &ea);
    else if (rc == CLEMBED_OK)
        rc = encode_seq(a, tk, text, len, 0, 0, &ea);
    if (rc == CLEMBED_OK && pair)
        rc = encode_seq(a, tk, pair, pair_len, 1, 1, &eb);
    if (rc != CLEMBED_OK)
        return rc;
    *truncated = 0;
    if (r->truncate) {
        /* The reference subtracts in unsigned arithmetic; a wrapped (huge)
         * limit truncates nothing. */
        if (added <= r->max_length) {
            int t = truncate_pair(&ea, pair ? &eb : NULL, &tk->trunc, r->max_length - added);
            if (t < 0)
                return clembed__fail(CLEMBED_ERR_INVALID_ARG,
                                     "tokenizer: truncation strategy cannot reach max_length %zu", r->max_length);
            *truncated = t;
        }
    }
    return clembed__post_process(a, tk->post, &ea, pair ? &eb : NULL, r->add_special, all);
}

static size_t pad_target(const clembed__padding *pad, int mode, size_t longest)
{
    size_t t = pad->fixed && mode == 1 ? pad->fixed : longest;
    if (pad->multiple > 0 && t % pad->multiple)
        t += pad->multiple - t % pad->multiple;
    return t;
}

clembed_status clembed_tokenizer_encode(const clembed_tokenizer *tok, const char *text, size_t len,
                                        const char *pair, size_t pair_len, const clembed_encode_params *params,
                                        clembed_encoding **out)
{
    if (out)
        *out = NULL;
    if (!tok || !text || !out)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_tokenizer_encode: NULL tokenizer, text or out");
    const clembed__tokenizer_impl *tk = &tok->impl;
    if (len == (size_t)-1)
        len = strlen(text);
    if (pair && pair_len == (size_t)-1)
        pair_len = strlen(pair);
    resolved r;
    resolve(tk, params, &r);
    clembed__arena a = {0};
    clembed__etoks all = {0};
    int truncated = 0;
    clembed_status rc = encode_one(&a, tk, text, len, pair, pair_len, &r, &all, &truncated);
    if (rc == CLEMBED_OK)
        rc = build_encoding(&all, truncated, r.pad ? pad_target(&tk->pad, r.pad, all.n) : 0, &tk->pad, out);
    clembed__arena_free(&a);
    return rc;
}

void clembed_encoding_free(clembed_encoding *enc)
{
    free(enc);
}

void clembed_encode_params_init(clembed_encode_params *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->size = sizeof *p;
    p->add_special = 1;
    p->truncation = -1;
    p->padding = -1;
}

/* ---- batch -------------------------------------------------------------- */

typedef struct batch {
    const clembed__tokenizer_impl *tk;
    const char *const *texts, *const *pairs;
    size_t n;
    resolved r;
    clembed_encoding **out;
    size_t next;
    pthread_mutex_t lock;
    size_t fail_index;
    clembed_status fail_rc;
    char fail_msg[512];
} batch;

static void *batch_worker(void *arg)
{
    batch *b = arg;
    clembed__arena a = {0};
    for (;;) {
        pthread_mutex_lock(&b->lock);
        size_t i = b->next++;
        int stop = b->fail_rc != CLEMBED_OK;
        pthread_mutex_unlock(&b->lock);
        if (i >= b->n || stop)
            break;
        clembed__etoks all = {0};
        int truncated = 0;
        const char *pair = b->pairs ? b->pairs[i] : NULL;
        clembed_status rc;
        if (!b->texts[i])
            rc = clembed__fail(CLEMBED_ERR_INVALID_ARG, "text is NULL");
        else
            rc = encode_one(&a, b->tk, b->texts[i], strlen(b->texts[i]), pair, pair ? strlen(pair) : 0, &b->r,
                            &all, &truncated);
        if (rc == CLEMBED_OK)
            rc = build_encoding(&all, truncated, 0, NULL, &b->out[i]);
        clembed__arena_reset(&a);
        if (rc != CLEMBED_OK) {
            pthread_mutex_lock(&b->lock);
            if (b->fail_rc == CLEMBED_OK || i < b->fail_index) {
                b->fail_rc = rc;
                b->fail_index = i;
                snprintf(b->fail_msg, sizeof b->fail_msg, "%s", clembed_errmsg());
            }
            pthread_mutex_unlock(&b->lock);
        }
    }
    clembed__arena_free(&a);
    return NULL;
}

/* Pads a finished encoding to n tokens (the batch's padding). */
static clembed_status repad(clembed_encoding **e, size_t n, const clembed__padding *pad)
{
    clembed_encoding *old = *e;
    if (old->n >= n)
        return CLEMBED_OK;
    clembed__etoks tmp = {0};
    clembed__arena a = {0};
    for (size_t i = 0; i < old->n; i++) {
        clembed__etok t = {old->ids[i], old->type_ids[i], old->special_mask[i], old->sequence_ids[i],
                           (uint32_t)strlen(old->tokens[i]), old->tokens[i], old->offsets[i][0],
                           old->offsets[i][1]};
        if (!CLEMBED__VEC_PUSH(&a, tmp, t)) {
            clembed__arena_free(&a);
            return tk_fail_nomem();
        }
    }
    clembed_encoding *ne = NULL;
    clembed_status rc = build_encoding(&tmp, old->truncated, n, pad, &ne);
    clembed__arena_free(&a);
    if (rc == CLEMBED_OK) {
        free(old);
        *e = ne;
    }
    return rc;
}

clembed_status clembed_tokenizer_encode_batch(const clembed_tokenizer *tok, const char *const *texts,
                                              const char *const *pairs, size_t n,
                                              const clembed_encode_params *params, unsigned threads,
                                              clembed_encoding **out)
{
    if (!tok || (!texts && n) || (!out && n))
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_tokenizer_encode_batch: NULL argument");
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    if (n == 0)
        return CLEMBED_OK;
    batch b;
    memset(&b, 0, sizeof b);
    b.tk = &tok->impl;
    b.texts = texts;
    b.pairs = pairs;
    b.n = n;
    b.out = out;
    resolve(b.tk, params, &b.r);
    pthread_mutex_init(&b.lock, NULL);
    if (threads == 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        threads = nc > 0 ? (unsigned)nc : 1;
    }
    if (threads > n)
        threads = (unsigned)n;
    if (threads > 256)
        threads = 256;
    pthread_t tid[256];
    unsigned started = 0;
    for (unsigned t = 1; t < threads; t++) {
        if (pthread_create(&tid[started], NULL, batch_worker, &b) != 0)
            break;
        started++;
    }
    batch_worker(&b);
    for (unsigned t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&b.lock);
    clembed_status rc = b.fail_rc;
    if (rc == CLEMBED_OK && b.r.pad) {
        size_t longest = 0;
        for (size_t i = 0; i < n; i++)
            if (out[i]->n > longest)
                longest = out[i]->n;
        size_t target = pad_target(&b.tk->pad, b.r.pad, longest);
        for (size_t i = 0; i < n && rc == CLEMBED_OK; i++) {
            rc = repad(&out[i], target, &b.tk->pad);
            if (rc != CLEMBED_OK) {
                b.fail_index = i;
                snprintf(b.fail_msg, sizeof b.fail_msg, "%s", clembed_errmsg());
            }
        }
    }
    if (rc != CLEMBED_OK) {
        for (size_t i = 0; i < n; i++) {
            clembed_encoding_free(out[i]);
            out[i] = NULL;
        }
        return clembed__fail(rc, "text %zu: %s", b.fail_index, b.fail_msg);
    }
    return CLEMBED_OK;
}

/* ---- vocabulary --------------------------------------------------------- */

size_t clembed_tokenizer_vocab_size(const clembed_tokenizer *tok)
{
    return tok ? tok->impl.vocab_size : 0;
}
