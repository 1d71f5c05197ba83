/* Normalized strings: builders that keep each char's original span, slices,
 * and the reference's NormalizedString::transform_range. */
#include "tk.h"

#include <stdlib.h>
#include <string.h>

int clembed__nb_init(clembed__arena *a, clembed__nbuild *b, size_t cap)
{
    if (cap < 16)
        cap = 16;
    b->s = clembed__arena_alloc(a, cap);
    b->al = clembed__arena_alloc(a, cap * sizeof *b->al);
    b->len = 0;
    b->cap = cap;
    return b->s && b->al;
}

static int nb_reserve(clembed__arena *a, clembed__nbuild *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 1;
    size_t cap = b->cap * 2;
    while (cap < b->len + more)
        cap *= 2;
    char *s = clembed__arena_alloc(a, cap);
    clembed__span *al = clembed__arena_alloc(a, cap * sizeof *al);
    if (!s || !al)
        return 0;
    memcpy(s, b->s, b->len);
    memcpy(al, b->al, b->len * sizeof *al);
    b->s = s;
    b->al = al;
    b->cap = cap;
    return 1;
}

int clembed__nb_push(clembed__arena *a, clembed__nbuild *b, uint32_t c, clembed__span sp)
{
    if (b->len + 4 > b->cap && !nb_reserve(a, b, 4))
        return 0;
    size_t k = clembed__utf8_enc(c, b->s + b->len);
    for (size_t i = 0; i < k; i++)
        b->al[b->len + i] = sp;
    b->len += k;
    return 1;
}

int clembed__nb_bytes(clembed__arena *a, clembed__nbuild *b, const char *s, size_t n,
                      const clembed__span *al)
{
    if (!nb_reserve(a, b, n))
        return 0;
    memcpy(b->s + b->len, s, n);
    memcpy(b->al + b->len, al, n * sizeof *al);
    b->len += n;
    return 1;
}

void clembed__nb_finish(clembed__nbuild *b, clembed__piece *p)
{
    p->s = b->s;
    p->al = b->al;
    p->len = (uint32_t)b->len;
}

clembed__span clembed__piece_orig(const clembed__piece *p, size_t s, size_t e)
{
    clembed__span r;
    if (s >= e || e > p->len) {
        /* The reference returns the normalized range itself, shifted. */
        r.s = p->shift + (uint32_t)s;
        r.e = p->shift + (uint32_t)e;
        return r;
    }
    r.s = p->al[s].s;
    r.e = p->al[e - 1].e;
    return r;
}

clembed__piece clembed__piece_slice(const clembed__piece *p, size_t s, size_t e)
{
    clembed__piece q;
    q.s = p->s + s;
    q.al = p->al + s;
    q.len = (uint32_t)(e - s);
    q.shift = e > s ? p->al[s].s : p->shift;
    q.added = -1;
    return q;
}

int clembed__transform(clembed__arena *a, clembed__piece *p, size_t rs, size_t re,
                       const clembed__change *items, size_t n, size_t initial)
{
    size_t add = 0;
    for (size_t i = 0; i < n; i++)
        add += clembed__utf8_len(items[i].c);
    size_t cap = rs + add + (p->len - re);
    char *s = clembed__arena_alloc(a, cap + 1);
    clembed__span *al = clembed__arena_alloc(a, (cap + 1) * sizeof *al);
    if (!s || !al)
        return 0;
    memcpy(s, p->s, rs);
    memcpy(al, p->al, rs * sizeof *al);
    size_t q = rs;
    for (size_t k = 0; k < initial && q < re; k++)
        q += clembed__utf8_seqlen((unsigned char)p->s[q]);
    size_t o = rs;
    clembed__span empty = {p->shift, p->shift};
    for (size_t i = 0; i < n; i++) {
        clembed__span sp;
        int32_t ch = items[i].change;
        if (ch > 0)
            sp = q < 1 ? empty : p->al[q - 1];
        else
            sp = q < p->len ? p->al[q] : (p->len ? p->al[p->len - 1] : empty);
        if (ch <= 0 && q < re)
            q += clembed__utf8_seqlen((unsigned char)p->s[q]);
        for (int32_t k = 0; k < -ch && q < re; k++)
            q += clembed__utf8_seqlen((unsigned char)p->s[q]);
        size_t l = clembed__utf8_enc(items[i].c, s + o);
        for (size_t j = 0; j < l; j++)
            al[o + j] = sp;
        o += l;
    }
    memcpy(s + o, p->s + re, p->len - re);
    memcpy(al + o, p->al + re, (p->len - re) * sizeof *al);
    o += p->len - re;
    p->s = s;
    p->al = al;
    p->len = (uint32_t)o;
    return 1;
}
