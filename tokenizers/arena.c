/* Bump allocation for one encoding, and the vocabulary hash table. */
#include "tk.h"

#include <stdlib.h>
#include <string.h>

struct clembed__arena_chunk {
    clembed__arena_chunk *next;
    size_t                cap;
    _Alignas(16) unsigned char data[];
};

void *clembed__arena_alloc(clembed__arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->used + n > a->head->cap) {
        size_t cap = a->head ? a->head->cap * 2 : 64 * 1024;
        while (cap < n)
            cap *= 2;
        clembed__arena_chunk *c = malloc(sizeof *c + cap);
        if (!c) {
            a->failed = 1;
            return NULL;
        }
        c->next = a->head;
        c->cap = cap;
        a->head = c;
        a->used = 0;
    }
    void *p = a->head->data + a->used;
    a->used += n;
    return p;
}

void clembed__arena_reset(clembed__arena *a)
{
    if (a->head) {
        clembed__arena_chunk *c = a->head->next;
        a->head->next = NULL;
        while (c) {
            clembed__arena_chunk *next = c->next;
            free(c);
            c = next;
        }
    }
    a->used = 0;
    a->failed = 0;
}

void clembed__arena_free(clembed__arena *a)
{
    clembed__arena_reset(a);
    free(a->head);
    a->head = NULL;
}

int clembed__vec_grow(clembed__arena *a, void **v, size_t *cap, size_t elem, size_t need)
{
    if (need <= *cap)
        return 1;
    size_t ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    void *nv = clembed__arena_alloc(a, ncap * elem);
    if (!nv)
        return 0;
    if (*cap)
        memcpy(nv, *v, *cap * elem);
    *v = nv;
    *cap = ncap;
    return 1;
}
