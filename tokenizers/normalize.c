/* Normalized pieces and the normalizers of tokenizer.json.
 *
 * Alignment rules follow the reference's NormalizedString::transform_range;
 * where a normalizer only maps each char to zero or more chars, every output
 * char keeps the span of its source char, which is what transform_range gives,
 * and that is done in one pass without building change lists. */
#include "tk.h"
#include "tk_load.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- Unicode normalization forms (the reference's iterators) ------------ */

typedef CLEMBED__VEC(clembed__change) changes;

/* Canonical ordering as unicode-normalization-alignments does it: pending
 * marks are sorted (stably, by class) when a starter arrives; the change
 * flag travels with its char. */
/* Stable insertion sort of v[from..to) by class. */
static void sort_by_class(clembed__change *v, uint8_t *cls, size_t from, size_t to)
{
    for (size_t x = from + 1; x < to; x++) {
        clembed__change it = v[x];
        uint8_t ic = cls[x];
        size_t y = x;
        while (y > from && cls[y - 1] > ic) {
            v[y] = v[y - 1];
            cls[y] = cls[y - 1];
            y--;
        }
        v[y] = it;
        cls[y] = ic;
    }
}

static int decompose_all(clembed__arena *a, const char *s, size_t len, int compat, changes *out,
                         uint8_t **cls_out)
{
    CLEMBED__VEC(uint8_t) cls = {0};
    size_t pend = 0;
    for (size_t i = 0; i < len;) {
        uint32_t c, d[18];
        i += clembed__utf8_dec(s + i, len - i, &c);
        size_t nd = clembed__uc_decompose(c, compat, d);
        for (size_t k = 0; k < nd; k++) {
            uint8_t cc = (uint8_t)clembed__uc_ccc_of(d[k]);
            if (cc == 0) {
                sort_by_class(out->v, cls.v, pend, out->n);
                pend = out->n;
            }
            clembed__change ch = {d[k], k == 0 ? 0 : 1};
            if (!CLEMBED__VEC_PUSH(a, *out, ch) || !CLEMBED__VEC_PUSH(a, cls, cc))
                return 0;
        }
    }
    sort_by_class(out->v, cls.v, pend, out->n);
    *cls_out = cls.v;
    return 1;
}

/* The Recompositions state machine of unicode-normalization-alignments. */
static int recompose(clembed__arena *a, const changes *in, const uint8_t *cls, changes *out)
{
    CLEMBED__VEC(clembed__change) buf = {0};
    int have_k = 0, have_last = 0;
    clembed__change k = {0, 0};
    unsigned last_ccc = 0;
    for (size_t i = 0; i < in->n; i++) {
        clembed__change ch = in->v[i];
        unsigned cc = cls[i];
        if (!have_k) {
            if (cc != 0) {
                if (!CLEMBED__VEC_PUSH(a, *out, ch))
                    return 0;
                continue;
            }
            k = ch;
            have_k = 1;
            continue;
        }
        if (!have_last) {
            uint32_t r = clembed__uc_compose(k.c, ch.c);
            if (r) {
                k.c = r;
                k.change = k.change + ch.change - 1;
                continue;
            }
            if (cc == 0) {
                if (!CLEMBED__VEC_PUSH(a, *out, k))
                    return 0;
                k = ch;
                continue;
            }
            if (!CLEMBED__VEC_PUSH(a, buf, ch))
                return 0;
            last_ccc = cc;
            have_last = 1;
            continue;
        }
        if (last_ccc >= cc) {
            if (cc == 0) {
                if (!CLEMBED__VEC_PUSH(a, *out, k))
                    return 0;
                for (size_t j = 0; j < buf.n; j++)
                    if (!CLEMBED__VEC_PUSH(a, *out, buf.v[j]))
                        return 0;
                buf.n = 0;
                k = ch;
                have_last = 0;
                continue;
            }
            if (!CLEMBED__VEC_PUSH(a, buf, ch))
                return 0;
            last_ccc = cc;
            continue;
        }
        uint32_t r = clembed__uc_compose(k.c, ch.c);
        if (r) {
            k.c = r;
            k.change = k.change + ch.change - 1;
            continue;
        }
        if (!CLEMBED__VEC_PUSH(a, buf, ch))
            return 0;
        last_ccc = cc;
    }
    if (have_k && !CLEMBED__VEC_PUSH(a, *out, k))
        return 0;
    for (size_t j = 0; j < buf.n; j++)
        if (!CLEMBED__VEC_PUSH(a, *out, buf.v[j]))
            return 0;
    return 1;
}

static int is_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return 0;
    return 1;
}

static int unicode_form(clembed__arena *a, clembed__piece *p, int compat, int compose)
{
    if (is_ascii(p->s, p->len))
        return 1;
    if (!compose) {
        /* nothing decomposes and no mark to reorder: NFD/NFKD is the identity */
        unsigned need = (compat ? CLEMBED__UC_NFKD : CLEMBED__UC_NFD) | CLEMBED__UC_CCC;
        int any = 0;
        for (size_t i = 0; i < p->len && !any;) {
            uint32_t c;
            i += clembed__utf8_dec(p->s + i, p->len - i, &c);
            any = (clembed__uc_flags(c) & need) || (c >= 0xAC00 && c < 0xAC00 + 11172);
        }
        if (!any)
            return 1;
    }
    changes d = {0};
    uint8_t *cls = NULL;
    if (!decompose_all(a, p->s, p->len, compat, &d, &cls))
        return 0;
    if (!compose)
        return clembed__transform(a, p, 0, p->len, d.v, d.n, 0);
    changes c = {0};
    if (!recompose(a, &d, cls, &c))
        return 0;
    return clembed__transform(a, p, 0, p->len, c.v, c.n, 0);
}

/* ---- normalizers -------------------------------------------------------- */

enum nkind { N_BERT, N_NFD, N_NFKD, N_NFC, N_NFKC, N_LOWER, N_STRIP_ACCENTS, N_REPLACE,
             N_PREPEND, N_STRIP, N_PRECOMPILED, N_SEQ, N_NMT, N_BYTELEVEL };

struct clembed__normalizer {
    enum nkind kind;
    int clean_text, chinese, strip_accents, lowercase;  /* BertNormalizer */
    int left, right;                                    /* Strip */
    clembed__pattern pat;                               /* Replace */
    char *str;                                          /* Replace content, Prepend */
    size_t str_len;
    uint32_t *trie;                                     /* Precompiled */
    size_t trie_n;
    char *norm;
    size_t norm_len;
    clembed__normalizer **seq;
    size_t n_seq;
};

/* One pass of per-char rules.  Returns 0 on out of memory. */
enum { R_CLEAN = 1, R_CHINESE = 2, R_STRIP_MN = 4, R_LOWER = 8, R_NMT = 16, R_BERT_MN = 32 };

static int per_char(clembed__arena *a, clembed__piece *p, unsigned rules)
{
    clembed__nbuild b;
    if (!clembed__nb_init(a, &b, p->len + p->len / 4 + 8))
        return 0;
    for (size_t i = 0; i < p->len;) {
        uint32_t c;
        size_t k = clembed__utf8_dec(p->s + i, p->len - i, &c);
        clembed__span sp = p->al[i];
        unsigned f = clembed__uc_flags(c);
        i += k;
        if (rules & R_NMT) {
            if ((c >= 1 && c <= 8) || c == 0xB || (c >= 0xE && c <= 0x1F) || c == 0x7F || c == 0x8F ||
                c == 0x9F)
                continue;
            if (c == 9 || c == 0xA || c == 0xC || c == 0xD || c == 0x1680 || (c >= 0x200B && c <= 0x200F) ||
                c == 0x2028 || c == 0x2029 || c == 0x2581 || c == 0xFEFF || c == 0xFFFD)
                c = ' ';
        }
        if (rules & R_CLEAN) {
            if (f & CLEMBED__UC_BERT_DROP)
                continue;
            if (f & CLEMBED__UC_BERT_SPACE)
                c = ' ';
        }
        if ((rules & R_STRIP_MN) && (f & CLEMBED__UC_MN))
            continue;
        if ((rules & R_BERT_MN) && (f & CLEMBED__UC_BERT_MN))
            continue;
        if ((rules & R_CHINESE) && (f & CLEMBED__UC_CJK)) {
            if (!clembed__nb_push(a, &b, ' ', sp) || !clembed__nb_push(a, &b, c, sp) ||
                !clembed__nb_push(a, &b, ' ', sp))
                return 0;
            continue;
        }
        if (rules & R_LOWER) {
            uint32_t lo[3];
            size_t nl = clembed__uc_tolower(c, lo);
            for (size_t j = 0; j < nl; j++)
                if (!clembed__nb_push(a, &b, lo[j], sp))
                    return 0;
            continue;
        }
        if (!clembed__nb_push(a, &b, c, sp))
            return 0;
    }
    clembed__nb_finish(&b, p);
    return 1;
}

static int bert(clembed__arena *a, const clembed__normalizer *n, clembed__piece *p)
{
    int strip = n->strip_accents < 0 ? n->lowercase : n->strip_accents;
    unsigned first = (n->clean_text ? R_CLEAN : 0) | (n->chinese ? R_CHINESE : 0);
    if (!strip) {
        /* clean, chinese and lowercase each map one char to chars, so they fuse. */
        return per_char(a, p, first | (n->lowercase ? R_LOWER : 0));
    }
    if (first && !per_char(a, p, first))
        return 0;
    if (!unicode_form(a, p, 0, 0))
        return 0;
    return per_char(a, p, R_BERT_MN | (n->lowercase ? R_LOWER : 0));
}

static int is_rws(uint32_t c)
{
    return clembed__uc_flags(c) & CLEMBED__UC_RWS;
}

static int strip(clembed__arena *a, const clembed__normalizer *n, clembed__piece *p)
{
    (void)a;
    size_t s = 0, e = p->len;
    if (n->left)
        while (s < e) {
            uint32_t c;
            size_t k = clembed__utf8_dec(p->s + s, e - s, &c);
            if (!is_rws(c))
                break;
            s += k;
        }
    if (n->right)
        while (e > s) {
            size_t j = e - 1;
            while (j > s && ((unsigned char)p->s[j] & 0xC0) == 0x80)
                j--;
            uint32_t c;
            clembed__utf8_dec(p->s + j, e - j, &c);
            if (!is_rws(c))
                break;
            e = j;
        }
    if (s == 0 && e == p->len)
        return 1;
    /* Kept chars keep their own spans: a plain slice of the buffers. */
    p->s += s;
    p->al += s;
    p->len = (uint32_t)(e - s);
    return 1;
}

static int replace(clembed__arena *a, const clembed__normalizer *n, clembed__piece *p)
{
    clembed__matches m = {0};
    if (!clembed__pattern_find(a, &n->pat, p->s, p->len, &m))
        return 0;
    int any = 0;
    for (size_t i = 0; i < m.n; i++)
        any |= m.v[i].m;
    if (!any)
        return 1;
    clembed__nbuild b;
    if (!clembed__nb_init(a, &b, p->len + 16))
        return 0;
    clembed__span empty = {p->shift, p->shift};
    for (size_t i = 0; i < m.n; i++) {
        clembed__match x = m.v[i];
        if (!x.m) {
            if (!clembed__nb_bytes(a, &b, p->s + x.s, x.e - x.s, p->al + x.s))
                return 0;
            continue;
        }
        /* Inserted chars take the span of the last replaced byte. */
        clembed__span sp = x.e < 1 ? empty : p->al[x.e - 1];
        for (size_t j = 0; j < n->str_len;) {
            uint32_t c;
            j += clembed__utf8_dec(n->str + j, n->str_len - j, &c);
            if (!clembed__nb_push(a, &b, c, sp))
                return 0;
        }
    }
    clembed__nb_finish(&b, p);
    return 1;
}

static int prepend(clembed__arena *a, const clembed__normalizer *n, clembed__piece *p)
{
    if (p->len == 0)
        return 1;
    clembed__nbuild b;
    if (!clembed__nb_init(a, &b, p->len + n->str_len))
        return 0;
    clembed__span sp = p->al[0];
    for (size_t j = 0; j < n->str_len;) {
        uint32_t c;
        j += clembed__utf8_dec(n->str + j, n->str_len - j, &c);
        if (!clembed__nb_push(a, &b, c, sp))
            return 0;
    }
    if (!clembed__nb_bytes(a, &b, p->s, p->len, p->al))
        return 0;
    /* the first char keeps its span: it was (c, +1) after the prepended ones */
    clembed__nb_finish(&b, p);
    return 1;
}

/* ---- Precompiled (SentencePiece charsmap) ------------------------------- */

/* darts-clone common prefix search; the value of the shortest match, or -1. */
static int64_t trie_first(const clembed__normalizer *n, const unsigned char *key, size_t len)
{
    const uint32_t *t = n->trie;
    size_t N = n->trie_n;
    if (N == 0)
        return -1;
#define OFFSET(u) (((u) >> 10) << (((u) & (1u << 9)) >> 6))
#define LABEL(u) ((u) & ((1u << 31) | 0xFFu))
#define HAS_LEAF(u) (((u) >> 8) & 1)
#define VALUE(u) ((u) & ((1u << 31) - 1))
    size_t pos = OFFSET(t[0]);
    for (size_t i = 0; i < len; i++) {
        unsigned c = key[i];
        if (c == 0)
            break;
        pos ^= c;
        if (pos >= N)
            return -1;
        uint32_t u = t[pos];
        if (LABEL(u) != c)
            return -1;
        pos ^= OFFSET(u);
        if (pos >= N)
            return -1;
        if (HAS_LEAF(u))
            return VALUE(t[pos]);
    }
    return -1;
#undef OFFSET
#undef LABEL
#undef HAS_LEAF
#undef VALUE
}

static const char *pc_transform(const clembed__normalizer *n, const char *s, size_t len, size_t *out_len)
{
    int64_t v = trie_first(n, (const unsigned char *)s, len);
    if (v < 0 || (size_t)v >= n->norm_len)
        return NULL;
    const char *r = n->norm + v;
    size_t l = 0;
    while ((size_t)v + l < n->norm_len && r[l])
        l++;
    *out_len = l;
    return r;
}

static int pc_replace(clembed__arena *a, changes *t, const char *norm, size_t nlen, size_t old_count)
{
    size_t new_count = 0;
    for (size_t j = 0; j < nlen;) {
        uint32_t c;
        j += clembed__utf8_dec(norm + j, nlen - j, &c);
        clembed__change ch = {c, 0};
        if (!CLEMBED__VEC_PUSH(a, *t, ch))
            return 0;
        new_count++;
    }
    if (new_count > old_count) {
        size_t diff = new_count - old_count;
        for (size_t j = 0; j < diff && j < t->n; j++)
            t->v[t->n - 1 - j].change = 1;
    } else if (new_count < old_count && t->n) {
        t->v[t->n - 1].change -= (int32_t)(old_count - new_count);
    }
    return 1;
}

static int precompiled(clembed__arena *a, const clembed__normalizer *n, clembed__piece *p)
{
    if (!n->trie_n)
        return 1;
    changes t = {0};
    int modified = 0;
    utf8proc_int32_t state = 0;
    uint32_t prev = 0;
    size_t ge = 0;
    if (p->len)
        ge += clembed__utf8_dec(p->s, p->len, &prev);
    for (size_t gs = 0; gs < p->len;) {
        /* extend the grapheme starting at gs */
        while (ge < p->len) {
            uint32_t c;
            size_t k = clembed__utf8_dec(p->s + ge, p->len - ge, &c);
            int brk = utf8proc_grapheme_break_stateful((utf8proc_int32_t)prev, (utf8proc_int32_t)c, &state);
            prev = c;
            if (brk)
                break;
            ge += k;
        }
        const char *g = p->s + gs;
        size_t glen = ge - gs;
        size_t nl;
        const char *norm;
        if (glen < 6 && (norm = pc_transform(n, g, glen, &nl)) != NULL) {
            size_t cnt = 0;
            for (size_t j = 0; j < glen; j += clembed__utf8_seqlen((unsigned char)g[j]))
                cnt++;
            modified = 1;
            if (!pc_replace(a, &t, norm, nl, cnt))
                return 0;
        } else {
            for (size_t j = 0; j < glen;) {
                uint32_t c;
                size_t k = clembed__utf8_dec(g + j, glen - j, &c);
                if ((norm = pc_transform(n, g + j, k, &nl)) != NULL) {
                    modified = 1;
                    if (!pc_replace(a, &t, norm, nl, 1))
                        return 0;
                } else {
                    clembed__change ch = {c, 0};
                    if (!CLEMBED__VEC_PUSH(a, t, ch))
                        return 0;
                }
                j += k;
            }
        }
        gs = ge;
        if (ge < p->len)
            ge += clembed__utf8_seqlen((unsigned char)p->s[ge]);
    }
    if (!modified)
        return 1;
    return clembed__transform(a, p, 0, p->len, t.v, t.n, 0);
}

int clembed__normalize(clembed__arena *a, const clembed__normalizer *n, clembed__piece *p)
{
    switch (n->kind) {
    case N_BERT: return bert(a, n, p);
    case N_NFD: return unicode_form(a, p, 0, 0);
    case N_NFKD: return unicode_form(a, p, 1, 0);
    case N_NFC: return unicode_form(a, p, 0, 1);
    case N_NFKC: return unicode_form(a, p, 1, 1);
    case N_LOWER: return per_char(a, p, R_LOWER);
    case N_STRIP_ACCENTS: return per_char(a, p, R_STRIP_MN);
    case N_NMT: return per_char(a, p, R_NMT);
    case N_REPLACE: return replace(a, n, p);
    case N_PREPEND: return prepend(a, n, p);
    case N_STRIP: return strip(a, n, p);
    case N_PRECOMPILED: return precompiled(a, n, p);
    case N_BYTELEVEL: return clembed__bytelevel_map(a, p);
    case N_SEQ:
        for (size_t i = 0; i < n->n_seq; i++)
            if (!clembed__normalize(a, n->seq[i], p))
                return 0;
        return 1;
    }
    return 1;
}

void clembed__normalizer_free(clembed__normalizer *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n_seq; i++)
        clembed__normalizer_free(n->seq[i]);
    free(n->seq);
    clembed__pattern_free(&n->pat);
    free(n->str);
    free(n->trie);
    free(n->norm);
    free(n);
}

/* ---- loading ------------------------------------------------------------ */

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

static clembed_status load_precompiled(const cJSON *j, clembed__normalizer *n)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "precompiled_charsmap");
    if (!m || cJSON_IsNull(m))
        return CLEMBED_OK;
    if (!cJSON_IsString(m))
        return clembed__fail(CLEMBED_ERR_FORMAT, "Precompiled: precompiled_charsmap is not a string");
    const char *s = m->valuestring;
    size_t sl = strlen(s);
    unsigned char *bytes = malloc(sl / 4 * 3 + 4);
    if (!bytes)
        return clembed__fail(CLEMBED_ERR_NOMEM, "Precompiled: out of memory");
    size_t nb = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < sl; i++) {
        if (s[i] == '=')
            break;
        int v = b64val((unsigned char)s[i]);
        if (v < 0) {
            free(bytes);
            return clembed__fail(CLEMBED_ERR_FORMAT, "Precompiled: precompiled_charsmap is not base64");
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes[nb++] = (unsigned char)(acc >> bits);
        }
    }
    if (nb < 4) {
        free(bytes);
        return clembed__fail(CLEMBED_ERR_FORMAT, "Precompiled: charsmap shorter than its header");
    }
    uint32_t tsize = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
                     (uint32_t)bytes[3] << 24;
    if (tsize > nb - 4) {
        free(bytes);
        return clembed__fail(CLEMBED_ERR_FORMAT, "Precompiled: trie size %u past the charsmap's end", tsize);
    }
    n->trie_n = tsize / 4;
    n->trie = malloc((n->trie_n ? n->trie_n : 1) * sizeof *n->trie);
    n->norm_len = nb - 4 - tsize;
    n->norm = malloc(n->norm_len + 1);
    if (!n->trie || !n->norm) {
        free(bytes);
        return clembed__fail(CLEMBED_ERR_NOMEM, "Precompiled: out of memory");
    }
    for (size_t i = 0; i < n->trie_n; i++) {
        const unsigned char *b = bytes + 4 + 4 * i;
        n->trie[i] = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    }
    memcpy(n->norm, bytes + 4 + tsize, n->norm_len);
    n->norm[n->norm_len] = 0;
    free(bytes);
    return CLEMBED_OK;
}

clembed_status clembed__normalizer_load(const cJSON *j, int depth, clembed__normalizer **out)
{
    *out = NULL;
    if (depth > 16)
        return clembed__fail(CLEMBED_ERR_FORMAT, "normalizer: nested too deeply");
    const char *type = clembed__tkjson_str(j, "type");
    if (!type)
        return clembed__fail(CLEMBED_ERR_FORMAT, "normalizer: no \"type\"");
    clembed__normalizer *n = calloc(1, sizeof *n);
    if (!n)
        return clembed__fail(CLEMBED_ERR_NOMEM, "normalizer: out of memory");
    clembed_status rc = CLEMBED_OK;
    if (!strcmp(type, "BertNormalizer")) {
        n->kind = N_BERT;
        n->clean_text = clembed__tkjson_bool(j, "clean_text", 1);
        n->chinese = clembed__tkjson_bool(j, "handle_chinese_chars", 1);
        n->strip_accents = clembed__tkjson_bool(j, "strip_accents", -1);
        n->lowercase = clembed__tkjson_bool(j, "lowercase", 1);
    } else if (!strcmp(type, "NFD")) {
        n->kind = N_NFD;
    } else if (!strcmp(type, "NFKD")) {
        n->kind = N_NFKD;
    } else if (!strcmp(type, "NFC")) {
        n->kind = N_NFC;
    } else if (!strcmp(type, "NFKC")) {
        n->kind = N_NFKC;
    } else if (!strcmp(type, "Lowercase")) {
        n->kind = N_LOWER;
    } else if (!strcmp(type, "StripAccents")) {
        n->kind = N_STRIP_ACCENTS;
    } else if (!strcmp(type, "Nmt")) {
        n->kind = N_NMT;
    } else if (!strcmp(type, "ByteLevel")) {
        n->kind = N_BYTELEVEL;
    } else if (!strcmp(type, "Strip")) {
        n->kind = N_STRIP;
        n->left = clembed__tkjson_bool(j, "strip_left", 1);
        n->right = clembed__tkjson_bool(j, "strip_right", 1);
    } else if (!strcmp(type, "Replace")) {
        n->kind = N_REPLACE;
        rc = clembed__pattern_load(cJSON_GetObjectItemCaseSensitive(j, "pattern"), &n->pat);
        const char *content = clembed__tkjson_str(j, "content");
        if (rc == CLEMBED_OK && !content)
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "Replace: no \"content\" string");
        if (rc == CLEMBED_OK && !(n->str = clembed__tkjson_strdup(content, &n->str_len)))
            rc = clembed__fail(CLEMBED_ERR_NOMEM, "Replace: out of memory");
    } else if (!strcmp(type, "Prepend")) {
        n->kind = N_PREPEND;
        const char *s = clembed__tkjson_str(j, "prepend");
        if (!s)
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "Prepend: no \"prepend\" string");
        else if (!(n->str = clembed__tkjson_strdup(s, &n->str_len)))
            rc = clembed__fail(CLEMBED_ERR_NOMEM, "Prepend: out of memory");
    } else if (!strcmp(type, "Precompiled")) {
        n->kind = N_PRECOMPILED;
        rc = load_precompiled(j, n);
    } else if (!strcmp(type, "Sequence")) {
        n->kind = N_SEQ;
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "normalizers");
        if (!cJSON_IsArray(arr)) {
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "normalizer Sequence: no \"normalizers\" array");
        } else {
            size_t cnt = (size_t)cJSON_GetArraySize(arr);
            n->seq = calloc(cnt ? cnt : 1, sizeof *n->seq);
            if (!n->seq)
                rc = clembed__fail(CLEMBED_ERR_NOMEM, "normalizer: out of memory");
            const cJSON *e;
            cJSON_ArrayForEach(e, arr) {
                if (rc != CLEMBED_OK)
                    break;
                rc = clembed__normalizer_load(e, depth + 1, &n->seq[n->n_seq]);
                if (rc == CLEMBED_OK)
                    n->n_seq++;
            }
        }
    } else {
        rc = clembed__fail(CLEMBED_ERR_UNSUPPORTED, "normalizer type \"%s\" is not supported", type);
    }
    if (rc != CLEMBED_OK) {
        clembed__normalizer_free(n);
        return rc;
    }
    *out = n;
    return CLEMBED_OK;
}
