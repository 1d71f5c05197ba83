/* Patterns of Replace and Split: literal strings and regexes (PCRE2, with the
 * reference's Unicode classes spelled out where PCRE2's differ). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tk.h"
#include "tk_load.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int clembed__pattern_find(clembed__arena *a, const clembed__pattern *pat, const char *s, size_t len,
                          clembed__matches *out)
{
    out->n = 0;
    if (len == 0)
        return clembed__match_push(a, out, 0, 0, 0);
    size_t prev = 0;
    if (pat->lit) {
        if (pat->lit_len == 0)
            return clembed__match_push(a, out, 0, len, 0);
        for (size_t i = 0; i + pat->lit_len <= len;) {
            if (memcmp(s + i, pat->lit, pat->lit_len) == 0) {
                if (prev != i && !clembed__match_push(a, out, prev, i, 0))
                    return 0;
                if (!clembed__match_push(a, out, i, i + pat->lit_len, 1))
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
            if (prev != ms && !clembed__match_push(a, out, prev, ms, 0)) {
                pcre2_match_data_free(md);
                return 0;
            }
            if (!clembed__match_push(a, out, ms, me, 1)) {
                pcre2_match_data_free(md);
                return 0;
            }
            prev = me;
            last_match_end = me;
            pos = me;
        }
        pcre2_match_data_free(md);
    }
    if (prev != len && !clembed__match_push(a, out, prev, len, 0))
        return 0;
    return 1;
}
