/* Patterns, splitting, and the pre-tokenizers of tokenizer.json. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tk.h"
#include "tk_load.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON helpers ------------------------------------------------------- */

const char *clembed__tkjson_str(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int clembed__tkjson_bool(const cJSON *j, const char *key, int dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    return dflt;
}

long long clembed__tkjson_int(const cJSON *j, const char *key, long long dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    /* in range before the conversion, which is undefined outside it */
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= -9.0e18 && v->valuedouble <= 9.0e18) ||
        v->valuedouble != (double)(long long)v->valuedouble)
        return dflt;
    return (long long)v->valuedouble;
}

char *clembed__tkjson_strdup(const char *s, size_t *len)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    if (len)
        *len = n;
    return d;
}

/* ---- patterns ----------------------------------------------------------- */

struct clembed__regex {
    pcre2_code *code;
};

/* \p{L}, \p{N}, \s, \w and \d as class bodies ("\x{41}-\x{5a}..."), from
 * the reference's tables: PCRE2's Unicode version differs from the one the
 * reference's regex engine has. */
enum { CL_LETTER, CL_NUMBER, CL_SPACE, CL_WORD, CL_DIGIT, N_CLASSES };
/* For each class: `native` is what PCRE2 knows it by ("\\p{L}", or "" when
 * the whole class is spelled out), `extra` the code points the reference
 * has in it and PCRE2 lacks, `excl` the reverse (both as class bodies).
 * Large spelled-out classes are slow to match, so letters and numbers keep
 * PCRE2's classes and only their differences are spelled out (spaces are
 * few; PCRE2 still counts U+180E among them, which cannot be taken out of a
 * negated class). */
static const char *const class_native[N_CLASSES] = {"\\p{L}", "\\p{N}", "", "", ""};
static char *class_extra[N_CLASSES], *class_excl[N_CLASSES];
static pthread_once_t class_once = PTHREAD_ONCE_INIT;

typedef struct sbuf_ { char *s; size_t n, cap; } sbuf_;

static int add_range(sbuf_ *b, uint32_t c, uint32_t e)
{
    if (b->n + 40 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        char *nb = realloc(b->s, cap);
        if (!nb)
            return 0;
        b->s = nb;
        b->cap = cap;
    }
    b->n += (size_t)snprintf(b->s + b->n, b->cap - b->n, e > c ? "\\x{%x}-\\x{%x}" : "\\x{%x}", c, e);
    return 1;
}

/* Runs of code points where want(c) holds, appended to b. */
static int collect(sbuf_ *b, const uint8_t *ours, const uint8_t *pcre)
{
    for (uint32_t c = 0; c < 0x110000;) {
        if (!(ours[c] && !pcre[c])) {
            c++;
            continue;
        }
        uint32_t e = c;
        while (e + 1 < 0x110000 && ours[e + 1] && !pcre[e + 1])
            e++;
        if (!add_range(b, c, e))
            return 0;
        c = e + 1;
    }
    if (!b->s && !(b->s = calloc(1, 1)))
        return 0;
    return 1;
}

static void class_init(void)
{
    static const unsigned flag[N_CLASSES] = {CLEMBED__UC_RE_L, CLEMBED__UC_RE_N, CLEMBED__UC_RE_S,
                                             CLEMBED__UC_RE_W, CLEMBED__UC_RE_D};
    uint8_t *ours = malloc(0x110000), *pc = malloc(0x110000);
    pcre2_match_data *md = NULL;
    for (int k = 0; ours && pc && k < N_CLASSES; k++) {
        for (uint32_t c = 0; c < 0x110000; c++) {
            ours[c] = (clembed__uc_flags(c) & flag[k]) != 0;
            pc[c] = 0;
        }
        if (class_native[k][0]) {
            /* what PCRE2 puts in the class, where it knows any property */
            int err;
            PCRE2_SIZE off;
            pcre2_code *code = pcre2_compile((PCRE2_SPTR)class_native[k], PCRE2_ZERO_TERMINATED,
                                             PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &err, &off, NULL);
            if (!code)
                break;
            pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
            md = pcre2_match_data_create(1, NULL);
            for (uint32_t c = 0; md && c < 0x110000; c++) {
                if ((c >= 0xD800 && c < 0xE000) || (c >= 0x40000 && c < 0xE0000) || c >= 0xF0000)
                    continue;
                char u[4];
                size_t l = clembed__utf8_enc(c, u);
                pc[c] = pcre2_match(code, (PCRE2_SPTR)u, l, 0, 0, md, NULL) >= 0;
            }
            pcre2_match_data_free(md);
            md = NULL;
            pcre2_code_free(code);
        }
        sbuf_ ex = {0}, nx = {0};
        if (!collect(&ex, ours, pc) || !collect(&nx, pc, ours)) {
            free(ex.s);
            free(nx.s);
            break;
        }
        class_extra[k] = ex.s;
        class_excl[k] = nx.s;
    }
    free(ours);
    free(pc);
}

/* The class an escape at re (after the backslash) names: its index, whether
 * it is negated, and its length; -1 when it is not one of ours. */
static int escape_class(const char *re, int *neg, size_t *len)
{
    static const char simple[] = "sSwWdD";
    const char *q = strchr(simple, re[0]);
    if (re[0] && q) {
        static const int cls[] = {CL_SPACE, CL_SPACE, CL_WORD, CL_WORD, CL_DIGIT, CL_DIGIT};
        *neg = (int)(q - simple) & 1;
        *len = 1;
        return cls[q - simple];
    }
    if (re[0] != 'p' && re[0] != 'P')
        return -1;
    *neg = re[0] == 'P';
    if (re[1] == 'L' || re[1] == 'N') {
        *len = 2;
        return re[1] == 'L' ? CL_LETTER : CL_NUMBER;
    }
    if (!strncmp(re + 1, "{L}", 3) || !strncmp(re + 1, "{N}", 3)) {
        *len = 4;
        return re[2] == 'L' ? CL_LETTER : CL_NUMBER;
    }
    return -1;
}

/* Appends the class k (negated or not; inside a class or not) to o. */
static size_t put_class(char *o, size_t cap, int k, int neg, int in_class)
{
    const char *nat = class_native[k], *ex = class_extra[k], *nx = class_excl[k];
    if (in_class) /* exclusions cannot be expressed inside a class */
        return (size_t)snprintf(o, cap, "%s%s", nat, ex);
    if (!nat[0] && !ex[0])
        return (size_t)snprintf(o, cap, neg ? "(?s:.)" : "(?!)");
    if (!nx[0])
        return (size_t)snprintf(o, cap, "[%s%s%s]", neg ? "^" : "", nat, ex);
    if (neg)
        return (size_t)snprintf(o, cap, "(?:[%s]|[^%s%s])", nx, nat, ex);
    return (size_t)snprintf(o, cap, "(?:(?![%s])[%s%s])", nx, nat, ex);
}

/* Rewrites those escapes (a negated one only outside a class); NULL on out
 * of memory. */
static char *rewrite_classes(const char *re)
{
    pthread_once(&class_once, class_init);
    size_t extra = 8;
    for (int k = 0; k < N_CLASSES; k++) {
        if (!class_extra[k] || !class_excl[k])
            return NULL;
        size_t l = strlen(class_extra[k]) + strlen(class_excl[k]) + 32;
        if (l > extra)
            extra = l;
    }
    size_t count = 0;
    for (const char *q = re; *q; q++)
        count += *q == '\\';
    size_t cap = strlen(re) + 1 + count * extra, n = 0;
    char *o = malloc(cap);
    if (!o)
        return NULL;
    int in_class = 0;
    for (size_t i = 0; re[i];) {
        if (re[i] == '\\' && re[i + 1]) {
            int neg;
            size_t len;
            int k = escape_class(re + i + 1, &neg, &len);
            if (k >= 0 && !(neg && in_class)) {
                n += put_class(o + n, cap - n, k, neg, in_class);
                i += 1 + len;
                continue;
            }
            o[n++] = re[i++];
            o[n++] = re[i++];
            continue;
        }
        if (re[i] == '[' && !in_class) {
            in_class = 1;
            o[n++] = re[i++];
            if (re[i] == '^')
                o[n++] = re[i++];
            if (re[i] == ']')
                o[n++] = re[i++];
            continue;
        }
        if (re[i] == ']' && in_class)
            in_class = 0;
        o[n++] = re[i++];
    }
    o[n] = 0;
    return o;
}

clembed_status clembed__pattern_compile(const char *regex, clembed__pattern *out)
{
    int err;
    PCRE2_SIZE erroff;
    char *re = rewrite_classes(regex);
    if (!re)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
                                     &err, &erroff, NULL);
    free(re);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return clembed__fail(CLEMBED_ERR_FORMAT, "tokenizer.json: regex /%s/: %s", regex, (const char *)msg);
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    out->re = malloc(sizeof *out->re);
    if (!out->re) {
        pcre2_code_free(code);
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    }
    out->re->code = code;
    return CLEMBED_OK;
}

clembed_status clembed__pattern_load(const cJSON *j, clembed__pattern *out)
{
    memset(out, 0, sizeof *out);
    const char *s;
    if ((s = clembed__tkjson_str(j, "String")) != NULL) {
        out->lit = clembed__tkjson_strdup(s, &out->lit_len);
        return out->lit ? CLEMBED_OK : clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    }
    if ((s = clembed__tkjson_str(j, "Regex")) != NULL)
        return clembed__pattern_compile(s, out);
    return clembed__fail(CLEMBED_ERR_FORMAT, "tokenizer.json: a pattern is neither {\"String\"} nor {\"Regex\"}");
}

void clembed__pattern_free(clembed__pattern *pat)
{
    free(pat->lit);
    if (pat->re) {
        pcre2_code_free(pat->re->code);
        free(pat->re);
    }
    memset(pat, 0, sizeof *pat);
}

static int push_match(clembed__arena *a, clembed__matches *out, size_t s, size_t e, int m)
{
    clembed__match x = {(uint32_t)s, (uint32_t)e, m};
    return CLEMBED__VEC_PUSH(a, *out, x);
}

int clembed__pattern_find(clembed__arena *a, const clembed__pattern *pat, const char *s, size_t len,
                          clembed__matches *out)
{
    out->n = 0;
    if (len == 0)
        return push_match(a, out, 0, 0, 0);
    size_t prev = 0;
    if (pat->lit) {
        if (pat->lit_len == 0)
            return push_match(a, out, 0, len, 0);
        for (size_t i = 0; i + pat->lit_len <= len;) {
            if (memcmp(s + i, pat->lit, pat->lit_len) == 0) {
                if (prev != i && !push_match(a, out, prev, i, 0))
                    return 0;
                if (!push_match(a, out, i, i + pat->lit_len, 1))
                    return 0;
                i += pat->lit_len;
                prev = i;
            } else {
                i++;
            }
        }
    } else if (pat->re) {
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(pat->re->code, NULL);
        if (!md)
            return 0;
        /* The reference's engine iterates like the regex crate: an empty
         * match right where the previous match ended is skipped, and the
         * search goes on one char further. */
        size_t pos = 0, last_match_end = (size_t)-1;
        while (pos <= len) {
            /* the text is valid UTF-8 (checked on entry): no check per call, which
             * would rescan the subject for every match */
            int rc = pcre2_match(pat->re->code, (PCRE2_SPTR)s, len, pos, PCRE2_NO_UTF_CHECK, md, NULL);
            if (rc < 0)
                break;
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            size_t ms = ov[0], me = ov[1];
            if (me < ms)
                break;
            if (ms == me && me == last_match_end) {
                if (pos >= len)
                    break;
                pos += clembed__utf8_seqlen((unsigned char)s[pos]);
                continue;
            }
            if (prev != ms && !push_match(a, out, prev, ms, 0)) {
                pcre2_match_data_free(md);
                return 0;
            }
            if (!push_match(a, out, ms, me, 1)) {
                pcre2_match_data_free(md);
                return 0;
            }
            prev = me;
            last_match_end = me;
            pos = me;
        }
        pcre2_match_data_free(md);
    }
    if (prev != len && !push_match(a, out, prev, len, 0))
        return 0;
    return 1;
}

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
        return push_match(a, m, 0, 0, 0);
    size_t last = 0;
    for (size_t i = 0; i < p->len;) {
        uint32_t c;
        size_t k = clembed__utf8_dec(p->s + i, p->len - i, &c);
        int hit = only ? c == only
                       : ((clembed__uc_flags(c) & flags) != 0 ||
                          (ascii_punct && c < 0x80 && c > 0x20 && c != 0x7F &&
                           !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))));
        if (hit) {
            if (last < i && !push_match(a, m, last, i, 0))
                return 0;
            if (!push_match(a, m, i, i + k, 1))
                return 0;
            last = i + k;
        }
        i += k;
    }
    if (last < p->len && !push_match(a, m, last, p->len, 0))
        return 0;
    return 1;
}

/* ---- byte level --------------------------------------------------------- */

uint32_t clembed__bytelevel_char(unsigned char b)
{
    if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE)
        return b;
    /* the others, in byte order, get 256, 257, ... */
    unsigned n = 0;
    for (unsigned x = 0; x < b; x++)
        if (!((x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || x >= 0xAE))
            n++;
    return 256 + n;
}

static uint32_t bl_table[256];
static int16_t bl_rev[324];
static pthread_once_t bl_once = PTHREAD_ONCE_INIT;

static void bl_fill(void)
{
    for (unsigned b = 0; b < 324; b++)
        bl_rev[b] = -1;
    for (unsigned b = 0; b < 256; b++) {
        uint32_t c = clembed__bytelevel_char((unsigned char)b);
        bl_rev[c] = (int16_t)b;
    }
    for (unsigned b = 0; b < 256; b++)
        bl_table[b] = clembed__bytelevel_char((unsigned char)b);
}

static void bl_init(void)
{
    pthread_once(&bl_once, bl_fill);
}

int clembed__bytelevel_byte(uint32_t c)
{
    bl_init();
    return c < 324 ? bl_rev[c] : -1;
}

int clembed__bytelevel_map(clembed__arena *a, clembed__piece *p)
{
    bl_init();
    clembed__nbuild b;
    if (!clembed__nb_init(a, &b, p->len * 2 + 8))
        return 0;
    for (size_t i = 0; i < p->len;) {
        size_t k = clembed__utf8_seqlen((unsigned char)p->s[i]);
        if (k > p->len - i)
            k = p->len - i;
        clembed__span sp = p->al[i];
        for (size_t j = 0; j < k; j++)
            if (!clembed__nb_push(a, &b, bl_table[(unsigned char)p->s[i + j]], sp))
                return 0;
        i += k;
    }
    clembed__nb_finish(&b, p);
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
        return push_match(a, m, 0, 0, 0);
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
        if (!push_match(a, m, i, e, 1))
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
