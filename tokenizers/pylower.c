/* Python's str.lower(), which sentence-transformers applies to texts when
 * sentence_bert_config.json has "do_lower_case": true.  It differs from the
 * tokenizers library's Lowercase in its Unicode version and in the
 * Final_Sigma rule: U+03A3 becomes U+03C2 when a cased letter precedes it and
 * none follows, skipping case-ignorable characters both ways. */
#include "tk.h"

#include <stdlib.h>

enum { OTHER = 0, CASED = 1, IGNORABLE = 2 };

static int sigma_class(uint32_t c)
{
    size_t lo = 0, hi = clembed__pylower_class_len;  /* last run starting at or before c */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (clembed__pylower_class[mid].cp <= c)
            lo = mid;
        else
            hi = mid;
    }
    return clembed__pylower_class[lo].cls;
}

/* The class of the first character at or before end (going back) or from
 * start on (going forward) that is not case-ignorable; OTHER at either end. */
static int neighbour(const char *s, size_t n, size_t at, int forward)
{
    if (forward) {
        while (at < n) {
            uint32_t c;
            at += clembed__utf8_dec(s + at, n - at, &c);
            int k = sigma_class(c);
            if (k != IGNORABLE)
                return k;
        }
        return OTHER;
    }
    while (at > 0) {
        size_t b = at - 1;
        while (b > 0 && ((unsigned char)s[b] & 0xC0) == 0x80)
            b--;
        uint32_t c;
        clembed__utf8_dec(s + b, at - b, &c);
        int k = sigma_class(c);
        if (k != IGNORABLE)
            return k;
        at = b;
    }
    return OTHER;
}

char *clembed__py_lower(const char *s, size_t n, size_t *out_len)
{
    /* No mapping more than doubles a character's UTF-8 length (the
     * generator checks it). */
    char *out = malloc(2 * n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80) {
            out[o++] = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
            i++;
            continue;
        }
        uint32_t c;
        size_t len = clembed__utf8_dec(s + i, n - i, &c);
        if (c == 0x3A3) {
            int final = neighbour(s, n, i, 0) == CASED && neighbour(s, n, i + len, 1) != CASED;
            o += clembed__utf8_enc(final ? 0x3C2 : 0x3C3, out + o);
        } else {
            const clembed__uc_map *m =
                clembed__uc_find_map(clembed__pylower_map, clembed__pylower_map_len, c);
            if (!m)
                for (size_t k = 0; k < len; k++)
                    out[o++] = s[i + k];
            else
                for (uint32_t k = 0; k < m->n; k++)
                    o += clembed__utf8_enc(clembed__pylower_pool[m->off + k], out + o);
        }
        i += len;
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return out;
}
