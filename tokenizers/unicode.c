/* UTF-8 and the Unicode operations of the reference tokenizer, over the
 * tables in unicode_tables.c. */
#include "tk.h"

size_t clembed__utf8_enc(uint32_t c, char *out)
{
    unsigned char *u = (unsigned char *)out;
    if (c < 0x80) {
        u[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        u[0] = (unsigned char)(0xC0 | (c >> 6));
        u[1] = (unsigned char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        u[0] = (unsigned char)(0xE0 | (c >> 12));
        u[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (c & 0x3F));
        return 3;
    }
    u[0] = (unsigned char)(0xF0 | (c >> 18));
    u[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
    u[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    u[3] = (unsigned char)(0x80 | (c & 0x3F));
    return 4;
}

/* Length of the valid UTF-8 sequence at s, 0 if invalid (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF). */
static size_t valid_seq(const unsigned char *s, size_t n)
{
    unsigned char b = s[0];
    if (b < 0x80)
        return 1;
    if (b < 0xC2)
        return 0;
    if (b < 0xE0)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (b < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (b == 0xE0 && s[1] < 0xA0)
            return 0;
        if (b == 0xED && s[1] >= 0xA0)
            return 0;
        return 3;
    }
    if (b > 0xF4 || n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
        return 0;
    if (b == 0xF0 && s[1] < 0x90)
        return 0;
    if (b == 0xF4 && s[1] >= 0x90)
        return 0;
    return 4;
}

size_t clembed__utf8_check(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = valid_seq(u + i, len - i);
        if (!k)
            return i;
        i += k;
    }
    return len;
}

/* Length of the maximal subpart of an ill-formed sequence at s (Unicode
 * "U+FFFD substitution of maximal subparts", what Python's errors="replace"
 * does). */
size_t clembed__utf8_maximal_invalid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char b = u[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b < 0xE0)
        need = 2;
    else if (b >= 0xE0 && b < 0xF0) {
        need = 3;
        if (b == 0xE0)
            lo = 0xA0;
        if (b == 0xED)
            hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 4;
        if (b == 0xF0)
            lo = 0x90;
        if (b == 0xF4)
            hi = 0x8F;
    } else
        return 1;
    size_t k = 1;
    while (k < need && k < n) {
        unsigned char c = u[k];
        if (k == 1 ? (c < lo || c > hi) : (c & 0xC0) != 0x80)
            break;
        k++;
    }
    return k;
}

const clembed__uc_map *clembed__uc_find_map(const clembed__uc_map *t, size_t n, uint32_t c)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t[mid].cp < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && t[lo].cp == c ? &t[lo] : NULL;
}

size_t clembed__uc_tolower(uint32_t c, uint32_t out[3])
{
    if (c < 0x80) {
        out[0] = c >= 'A' && c <= 'Z' ? c + 32 : c;
        return 1;
    }
    if (!(clembed__uc_flags(c) & CLEMBED__UC_LOWER)) {
        out[0] = c;
        return 1;
    }
    const clembed__uc_map *m = clembed__uc_find_map(clembed__uc_lower, clembed__uc_lower_len, c);
    if (!m) {
        out[0] = c;
        return 1;
    }
    size_t n = m->n > 3 ? 3 : m->n;
    for (size_t i = 0; i < n; i++)
        out[i] = clembed__uc_pool[m->off + i];
    return n;
}

enum { SBASE = 0xAC00, LBASE = 0x1100, VBASE = 0x1161, TBASE = 0x11A7,
       LCOUNT = 19, VCOUNT = 21, TCOUNT = 28, NCOUNT = VCOUNT * TCOUNT, SCOUNT = LCOUNT * NCOUNT };

size_t clembed__uc_decompose(uint32_t c, int compat, uint32_t out[18])
{
    if (c >= SBASE && c < SBASE + SCOUNT) {
        uint32_t si = c - SBASE;
        out[0] = LBASE + si / NCOUNT;
        out[1] = VBASE + (si % NCOUNT) / TCOUNT;
        if (si % TCOUNT) {
            out[2] = TBASE + si % TCOUNT;
            return 3;
        }
        return 2;
    }
    unsigned f = clembed__uc_flags(c);
    if (!(f & (compat ? CLEMBED__UC_NFKD : CLEMBED__UC_NFD))) {
        out[0] = c;
        return 1;
    }
    const clembed__uc_map *m = compat ? clembed__uc_find_map(clembed__uc_nfkd, clembed__uc_nfkd_len, c)
                                      : clembed__uc_find_map(clembed__uc_nfd, clembed__uc_nfd_len, c);
    if (!m) {
        out[0] = c;
        return 1;
    }
    size_t n = m->n > 18 ? 18 : m->n;
    for (size_t i = 0; i < n; i++)
        out[i] = clembed__uc_pool[m->off + i];
    return n;
}

unsigned clembed__uc_ccc_of(uint32_t c)
{
    if (c < 0x300 || !(clembed__uc_flags(c) & CLEMBED__UC_CCC))
        return 0;
    size_t lo = 0, hi = clembed__uc_ccc_len;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (clembed__uc_ccc_table[mid].cp < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < clembed__uc_ccc_len && clembed__uc_ccc_table[lo].cp == c ? clembed__uc_ccc_table[lo].ccc : 0;
}

uint32_t clembed__uc_compose(uint32_t a, uint32_t b)
{
    if (a >= LBASE && a < LBASE + LCOUNT && b >= VBASE && b < VBASE + VCOUNT)
        return SBASE + ((a - LBASE) * VCOUNT + (b - VBASE)) * TCOUNT;
    if (a >= SBASE && a < SBASE + SCOUNT && (a - SBASE) % TCOUNT == 0 && b > TBASE && b < TBASE + TCOUNT)
        return a + (b - TBASE);
    size_t lo = 0, hi = clembed__uc_comp_len;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const clembed__uc_comp *e = &clembed__uc_comp_table[mid];
        if (e->a < a || (e->a == a && e->b < b))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < clembed__uc_comp_len && clembed__uc_comp_table[lo].a == a && clembed__uc_comp_table[lo].b == b)
        return clembed__uc_comp_table[lo].c;
    return 0;
}
