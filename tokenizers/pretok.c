/* Splitting pieces by matches, and the pre-tokenizers of tokenizer.json. */
#include "tk.h"
#include "tk_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- splitting ---------------------------------------------------------- */

static int emit(clembed__arena *a, const clembed__piece *p, size_t s, size_t e, clembed__pieces *out)
{
    if (e <= s)
        return 1;
    clembed__piece q = clembed__piece_slice(p, s, e);
    return CLEMBED__VEC_PUSH(a, *out, q);
}

int clembed__split_matches(clembed__arena *a, const clembed__piece *p, clembed__matches *m,
                           clembed__behavior beh, clembed__pieces *out)
{
    clembed__match *v = m->v;
    size_t n = m->n, k = 0;
    switch (beh) {
    case CLEMBED__REMOVED:
        for (size_t i = 0; i < n; i++)
            if (!v[i].m && !emit(a, p, v[i].s, v[i].e, out))
                return 0;
        return 1;
    case CLEMBED__ISOLATED:
        for (size_t i = 0; i < n; i++)
            if (!emit(a, p, v[i].s, v[i].e, out))
                return 0;
        return 1;
    case CLEMBED__CONTIGUOUS: {
        int prevm = 0;
        for (size_t i = 0; i < n; i++) {
            if (v[i].m == prevm && k > 0)
                v[k - 1].e = v[i].e;
            else
                v[k++] = v[i];
            prevm = v[i].m;
        }
        break;
    }
    case CLEMBED__MERGED_PREV: {
        int prevm = 0;
        for (size_t i = 0; i < n; i++) {
            if (v[i].m && !prevm && k > 0)
                v[k - 1].e = v[i].e;
            else
                v[k++] = v[i];
            prevm = v[i].m;
        }
        break;
    }
    case CLEMBED__MERGED_NEXT: {
        /* right to left, then the kept ones are at the end of v, reversed */
        int prevm = 0;
        size_t w = n;
        for (size_t i = n; i-- > 0;) {
            clembed__match x = v[i];
            if (x.m && !prevm && w < n)
                v[w].s = x.s;
            else
                v[--w] = x;
            prevm = x.m;
        }
        for (size_t i = w; i < n; i++)
            if (!emit(a, p, v[i].s, v[i].e, out))
                return 0;
        return 1;
    }
    }
    for (size_t i = 0; i < k; i++)
        if (!emit(a, p, v[i].s, v[i].e, out))
            return 0;
    return 1;
}

/* Matches where each char with any of `flags` is a match of its own. */
static int char_matches(clembed__arena *a, const clembed__piece *p, unsigned flags, int ascii_punct,
                        uint32_t only, clembed__matches *m)
{
    m->n = 0;
    if (p->len == 0)
        return clembed__match_push(a, m, 0, 0, 0);
    size_t last = 0;
    for (size_t i = 0; i < p->len;) {
        uint32_t c;
        size_t k = clembed__utf8_dec(p->s + i, p->len - i, &c);
        int hit = only ? c == only
                       : ((clembed__uc_flags(c) & flags) != 0 ||
                          (ascii_punct && c < 0x80 && c > 0x20 && c != 0x7F &&
                           !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))));
        if (hit) {
            if (last < i && !clembed__match_push(a, m, last, i, 0))
                return 0;
            if (!clembed__match_push(a, m, i, i + k, 1))
                return 0;
            last = i + k;
        }
        i += k;
    }
    if (last < p->len && !clembed__match_push(a, m, last, p->len, 0))
        return 0;
    return 1;
}

/* GPT-2's pattern, by hand:
 * 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
enum { CL_L = 1, CL_N = 2, CL_S = 3, CL_O = 4 };

static int cls_at(const char *s, size_t len, size_t i, size_t *k)
{
    uint32_t c;
    *k = clembed__utf8_dec(s + i, len - i, &c);
    unsigned f = clembed__uc_flags(c);
    if (f & CLEMBED__UC_L)
        return CL_L;
    if (f & CLEMBED__UC_N)
        return CL_N;
    if (f & CLEMBED__UC_S)
        return CL_S;
    return CL_O;
}

static size_t run_of(const char *s, size_t len, size_t i, int cl)
{
    while (i < len) {
        size_t k;
        if (cls_at(s, len, i, &k) != cl)
            break;
        i += k;
    }
    return i;
}

static int gpt2_matches(clembed__arena *a, const char *s, size_t len, clembed__matches *m)
{
    m->n = 0;
    if (len == 0)
        return clembed__match_push(a, m, 0, 0, 0);
    size_t i = 0;
    while (i < len) {
        size_t e = 0, k;
        if (s[i] == '\'' && i + 1 < len) {
            char c1 = s[i + 1], c2 = i + 2 < len ? s[i + 2] : 0;
            if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd')
                e = i + 2;
            else if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l'))
                e = i + 3;
        }
        if (!e) {
            int cl = cls_at(s, len, i, &k);
            if (s[i] == ' ' && i + 1 < len) {
                size_t k2;
                int cl2 = cls_at(s, len, i + 1, &k2);
                if (cl2 != CL_S) {
                    e = run_of(s, len, i + 1 + k2, cl2);
                    cl = 0;
                }
            }
            if (!e) {
                if (cl == CL_S) {
                    size_t r = run_of(s, len, i, CL_S);
                    if (r == len) {
                        e = r;
                    } else {
                        /* \s+(?!\S): leave the last space before a non-space */
                        size_t last = r - 1;
                        while (last > i && ((unsigned char)s[last] & 0xC0) == 0x80)
                            last--;
                        e = last > i ? last : r;
                    }
                } else {
                    e = run_of(s, len, i + k, cl);
                }
            }
        }
        if (!clembed__match_push(a, m, i, e, 1))
            return 0;
        i = e;
    }
    return 1;
}

/* ---- pre-tokenizers ----------------------------------------------------- */

enum pkind { P_BERT, P_WS, P_WSSPLIT, P_BYTELEVEL, P_METASPACE, P_SPLIT, P_PUNCT, P_DIGITS,
             P_CHARDELIM, P_SEQ };
enum { PREPEND_ALWAYS, PREPEND_FIRST, PREPEND_NEVER };

struct clembed__pretok {
    enum pkind kind;
    int add_prefix_space, use_regex;
    uint32_t rep;           /* Metaspace replacement, CharDelimiterSplit delimiter */
    char rep_s[5];
    size_t rep_len;
    int prepend_scheme, split;
    clembed__pattern pat;   /* Split */
    clembed__behavior beh;
    int invert, individual;
    clembed__pretok **seq;
    size_t n_seq;
};

static int bert_split(clembed__arena *a, const clembed__piece *p, clembed__pieces *out)
{
    size_t start = 0;
    for (size_t i = 0; i < p->len;) {
        unsigned char b = (unsigned char)p->s[i];
        uint32_t c;
        size_t k;
        unsigned f;
        if (b < 0x80) {
            c = b;
            k = 1;
            f = clembed__uc_flags(c);
            if (!(f & CLEMBED__UC_RWS) && c > 0x20 && c != 0x7F &&
                !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
                f |= CLEMBED__UC_BERT_PUNC;
        } else {
            k = clembed__utf8_dec(p->s + i, p->len - i, &c);
            f = clembed__uc_flags(c);
        }
        if (f & CLEMBED__UC_RWS) {
            if (!emit(a, p, start, i, out))
                return 0;
            start = i + k;
        } else if (f & CLEMBED__UC_BERT_PUNC) {
            if (!emit(a, p, start, i, out) || !emit(a, p, i, i + k, out))
                return 0;
            start = i + k;
        }
        i += k;
    }
    return emit(a, p, start, p->len, out);
}

/* Runs of \w and runs of [^\w\s]; \s dropped. */
static int ws_split(clembed__arena *a, const clembed__piece *p, clembed__pieces *out)
{
    size_t start = 0;
    int cur = 0; /* 0 space, 1 word, 2 other */
    for (size_t i = 0; i < p->len;) {
        uint32_t c;
        size_t k = clembed__utf8_dec(p->s + i, p->len - i, &c);
        unsigned f = clembed__uc_flags(c);
        int t = (f & CLEMBED__UC_W) ? 1 : (f & CLEMBED__UC_S) ? 0 : 2;
        if (t != cur) {
            if (cur && !emit(a, p, start, i, out))
                return 0;
            start = i;
            cur = t;
        }
        i += k;
    }
    return !cur || emit(a, p, start, p->len, out);
}

static int wssplit(clembed__arena *a, const clembed__piece *p, clembed__pieces *out)
{
    size_t start = 0;
    for (size_t i = 0; i < p->len;) {
        uint32_t c;
        size_t k = clembed__utf8_dec(p->s + i, p->len - i, &c);
        if (clembed__uc_flags(c) & CLEMBED__UC_RWS) {
            if (!emit(a, p, start, i, out))
                return 0;
            start = i + k;
        }
        i += k;
    }
    return emit(a, p, start, p->len, out);
}

static int prepend_str(clembed__arena *a, clembed__piece *p, const char *s, size_t n)
{
    if (p->len == 0)
        return 1;
    clembed__nbuild b;
    if (!clembed__nb_init(a, &b, p->len + n + 4))
        return 0;
    clembed__span sp = p->al[0];
    for (size_t j = 0; j < n;) {
        uint32_t c;
        j += clembed__utf8_dec(s + j, n - j, &c);
        if (!clembed__nb_push(a, &b, c, sp))
            return 0;
    }
    if (!clembed__nb_bytes(a, &b, p->s, p->len, p->al))
        return 0;
    clembed__nb_finish(&b, p);
    return 1;
}

static int one(clembed__arena *a, const clembed__pretok *pt, clembed__piece *p, clembed__pieces *out)
{
    clembed__matches m = {0};
    switch (pt->kind) {
    case P_BERT: return bert_split(a, p, out);
    case P_WS: return ws_split(a, p, out);
    case P_WSSPLIT: return wssplit(a, p, out);
    case P_BYTELEVEL: {
        clembed__piece q = *p;
        if (pt->add_prefix_space && !(q.len > 0 && q.s[0] == ' ') && !prepend_str(a, &q, " ", 1))
            return 0;
        size_t first = out->n;
        if (pt->use_regex) {
            if (!gpt2_matches(a, q.s, q.len, &m) || !clembed__split_matches(a, &q, &m, CLEMBED__ISOLATED, out))
                return 0;
        } else if (q.len && !CLEMBED__VEC_PUSH(a, *out, q)) {
            return 0;
        }
        for (size_t i = first; i < out->n; i++)
            if (!clembed__bytelevel_map(a, &out->v[i]))
                return 0;
        return 1;
    }
    case P_METASPACE: {
        clembed__piece q = *p;
        /* replace ' ' by the replacement, each keeping the space's span */
        if (memchr(q.s, ' ', q.len)) {
            clembed__nbuild b;
            if (!clembed__nb_init(a, &b, q.len * 3 + 8))
                return 0;
            for (size_t i = 0; i < q.len; i++) {
                if (q.s[i] == ' ') {
                    if (!clembed__nb_push(a, &b, pt->rep, q.al[i]))
                        return 0;
                } else if (!clembed__nb_bytes(a, &b, q.s + i, 1, q.al + i)) {
                    return 0;
                }
            }
            clembed__nb_finish(&b, &q);
        }
        int starts = q.len >= pt->rep_len && memcmp(q.s, pt->rep_s, pt->rep_len) == 0;
        if ((pt->prepend_scheme == PREPEND_ALWAYS && !starts) ||
            (pt->prepend_scheme == PREPEND_FIRST && !starts && q.shift == 0)) {
            if (!prepend_str(a, &q, pt->rep_s, pt->rep_len))
                return 0;
        }
        if (!pt->split)
            return !q.len || CLEMBED__VEC_PUSH(a, *out, q);
        return char_matches(a, &q, 0, 0, pt->rep, &m) &&
               clembed__split_matches(a, &q, &m, CLEMBED__MERGED_NEXT, out);
    }
    case P_SPLIT:
        if (!clembed__pattern_find(a, &pt->pat, p->s, p->len, &m))
            return 0;
        if (pt->invert)
            for (size_t i = 0; i < m.n; i++)
                m.v[i].m = !m.v[i].m;
        return clembed__split_matches(a, p, &m, pt->beh, out);
    case P_PUNCT:
        return char_matches(a, p, CLEMBED__UC_PUNCT, 1, 0, &m) && clembed__split_matches(a, p, &m, pt->beh, out);
    case P_DIGITS:
        return char_matches(a, p, CLEMBED__UC_NUMERIC, 0, 0, &m) &&
               clembed__split_matches(a, p, &m, pt->individual ? CLEMBED__ISOLATED : CLEMBED__CONTIGUOUS, out);
    case P_CHARDELIM:
        return char_matches(a, p, 0, 0, pt->rep, &m) && clembed__split_matches(a, p, &m, CLEMBED__REMOVED, out);
    case P_SEQ:
        break;
    }
    return 1;
}

int clembed__pretokenize(clembed__arena *a, const clembed__pretok *pt, clembed__pieces *in,
                         clembed__pieces *out)
{
    if (pt->kind == P_SEQ) {
        clembed__pieces cur = *in, next = {0};
        for (size_t s = 0; s < pt->n_seq; s++) {
            next.n = 0;
            next.v = NULL;
            next.cap = 0;
            if (!clembed__pretokenize(a, pt->seq[s], &cur, &next))
                return 0;
            cur = next;
        }
        out->n = 0;
        for (size_t i = 0; i < cur.n; i++)
            if (!CLEMBED__VEC_PUSH(a, *out, cur.v[i]))
                return 0;
        return 1;
    }
    for (size_t i = 0; i < in->n; i++) {
        clembed__piece p = in->v[i];
        if (p.added >= 0) {
            if (!CLEMBED__VEC_PUSH(a, *out, p))
                return 0;
            continue;
        }
        if (!one(a, pt, &p, out))
            return 0;
    }
    return 1;
}

void clembed__pretok_free(clembed__pretok *pt)
{
    if (!pt)
        return;
    for (size_t i = 0; i < pt->n_seq; i++)
        clembed__pretok_free(pt->seq[i]);
    free(pt->seq);
    clembed__pattern_free(&pt->pat);
    free(pt);
}

static int behavior_of(const char *s, clembed__behavior *b)
{
    static const struct { const char *name; clembed__behavior b; } names[] = {
        {"Removed", CLEMBED__REMOVED}, {"Isolated", CLEMBED__ISOLATED},
        {"MergedWithPrevious", CLEMBED__MERGED_PREV}, {"MergedWithNext", CLEMBED__MERGED_NEXT},
        {"Contiguous", CLEMBED__CONTIGUOUS}};
    for (size_t i = 0; s && i < CLEMBED_ARRAY_LEN(names); i++)
        if (!strcmp(s, names[i].name)) {
            *b = names[i].b;
            return 1;
        }
    return 0;
}

static clembed_status one_char(const char *s, const char *what, uint32_t *c, char *buf, size_t *len)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || clembed__utf8_check(s, n) != n || clembed__utf8_seqlen((unsigned char)s[0]) != n)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: expected one character", what);
    clembed__utf8_dec(s, n, c);
    memcpy(buf, s, n);
    buf[n] = 0;
    *len = n;
    return CLEMBED_OK;
}

clembed_status clembed__pretok_load(const cJSON *j, int depth, clembed__pretok **out)
{
    *out = NULL;
    if (depth > 16)
        return clembed__fail(CLEMBED_ERR_FORMAT, "pre_tokenizer: nested too deeply");
    const char *type = clembed__tkjson_str(j, "type");
    if (!type)
        return clembed__fail(CLEMBED_ERR_FORMAT, "pre_tokenizer: no \"type\"");
    clembed__pretok *pt = calloc(1, sizeof *pt);
    if (!pt)
        return clembed__fail(CLEMBED_ERR_NOMEM, "pre_tokenizer: out of memory");
    clembed_status rc = CLEMBED_OK;
    if (!strcmp(type, "BertPreTokenizer")) {
        pt->kind = P_BERT;
    } else if (!strcmp(type, "Whitespace")) {
        pt->kind = P_WS;
    } else if (!strcmp(type, "WhitespaceSplit")) {
        pt->kind = P_WSSPLIT;
    } else if (!strcmp(type, "ByteLevel")) {
        pt->kind = P_BYTELEVEL;
        pt->add_prefix_space = clembed__tkjson_bool(j, "add_prefix_space", 1);
        pt->use_regex = clembed__tkjson_bool(j, "use_regex", 1);
    } else if (!strcmp(type, "Metaspace")) {
        pt->kind = P_METASPACE;
        rc = one_char(clembed__tkjson_str(j, "replacement"), "Metaspace replacement", &pt->rep, pt->rep_s,
                      &pt->rep_len);
        const char *scheme = clembed__tkjson_str(j, "prepend_scheme");
        pt->prepend_scheme = PREPEND_ALWAYS;
        if (scheme && !strcmp(scheme, "first"))
            pt->prepend_scheme = PREPEND_FIRST;
        else if (scheme && !strcmp(scheme, "never"))
            pt->prepend_scheme = PREPEND_NEVER;
        else if (scheme && strcmp(scheme, "always"))
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "Metaspace: unknown prepend_scheme \"%s\"", scheme);
        if (rc == CLEMBED_OK && clembed__tkjson_bool(j, "add_prefix_space", -1) == 0) {
            if (scheme && pt->prepend_scheme != PREPEND_NEVER)
                rc = clembed__fail(CLEMBED_ERR_FORMAT,
                                   "Metaspace: add_prefix_space does not match declared prepend_scheme");
            pt->prepend_scheme = PREPEND_NEVER;
        }
        pt->split = clembed__tkjson_bool(j, "split", 1);
    } else if (!strcmp(type, "Split")) {
        pt->kind = P_SPLIT;
        rc = clembed__pattern_load(cJSON_GetObjectItemCaseSensitive(j, "pattern"), &pt->pat);
        if (rc == CLEMBED_OK && !behavior_of(clembed__tkjson_str(j, "behavior"), &pt->beh))
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "Split: unknown \"behavior\"");
        pt->invert = clembed__tkjson_bool(j, "invert", 0);
    } else if (!strcmp(type, "Punctuation")) {
        pt->kind = P_PUNCT;
        pt->beh = CLEMBED__ISOLATED;
        const char *b = clembed__tkjson_str(j, "behavior");
        if (b && !behavior_of(b, &pt->beh))
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "Punctuation: unknown \"behavior\" \"%s\"", b);
    } else if (!strcmp(type, "Digits")) {
        pt->kind = P_DIGITS;
        pt->individual = clembed__tkjson_bool(j, "individual_digits", 0);
    } else if (!strcmp(type, "CharDelimiterSplit")) {
        pt->kind = P_CHARDELIM;
        rc = one_char(clembed__tkjson_str(j, "delimiter"), "CharDelimiterSplit delimiter", &pt->rep, pt->rep_s,
                      &pt->rep_len);
    } else if (!strcmp(type, "Sequence")) {
        pt->kind = P_SEQ;
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "pretokenizers");
        if (!cJSON_IsArray(arr)) {
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "pre_tokenizer Sequence: no \"pretokenizers\" array");
        } else {
            size_t cnt = (size_t)cJSON_GetArraySize(arr);
            pt->seq = calloc(cnt ? cnt : 1, sizeof *pt->seq);
            if (!pt->seq)
                rc = clembed__fail(CLEMBED_ERR_NOMEM, "pre_tokenizer: out of memory");
            const cJSON *e;
            cJSON_ArrayForEach(e, arr) {
                if (rc != CLEMBED_OK)
                    break;
                rc = clembed__pretok_load(e, depth + 1, &pt->seq[pt->n_seq]);
                if (rc == CLEMBED_OK)
                    pt->n_seq++;
            }
        }
    } else {
        rc = clembed__fail(CLEMBED_ERR_UNSUPPORTED, "pre_tokenizer type \"%s\" is not supported", type);
    }
    if (rc != CLEMBED_OK) {
        clembed__pretok_free(pt);
        return rc;
    }
    *out = pt;
    return CLEMBED_OK;
}
