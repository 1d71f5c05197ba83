/* Vocabularies: token string -> id hash tables over a string pool. */
#include "tk.h"
#include "tk_load.h"

#include <stdlib.h>
#include <string.h>

uint64_t clembed__strhash(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    h = (h ^ w) * 0x94d049bb133111ebull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

clembed_status clembed__vocab_add(clembed__vocab *v, const char *s, size_t n, uint32_t id)
{
    if (id >= 0x7FFFFFFF || n >= UINT32_MAX / 2)
        return clembed__fail(CLEMBED_ERR_FORMAT, "tokenizer.json: token id %u out of range", id);
    if (id >= v->n_ids) {
        size_t nn = v->n_ids ? v->n_ids : 1024;
        while (nn <= id)
            nn *= 2;
        uint32_t *off = realloc(v->off, nn * sizeof *off);
        if (!off)
            return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory for the vocabulary");
        v->off = off;
        uint32_t *len = realloc(v->len, nn * sizeof *len);
        if (!len)
            return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory for the vocabulary");
        v->len = len;
        for (size_t i = v->n_ids; i < nn; i++) {
            v->off[i] = UINT32_MAX;
            v->len[i] = 0;
        }
        v->n_ids = nn;
    }
    if (v->pool_len + n + 1 > v->pool_cap) {
        size_t cap = v->pool_cap ? v->pool_cap * 2 : 1 << 16;
        while (cap < v->pool_len + n + 1)
            cap *= 2;
        if (cap >= UINT32_MAX)
            return clembed__fail(CLEMBED_ERR_TOO_LARGE, "tokenizer.json: vocabulary too large");
        char *p = realloc(v->pool, cap);
        if (!p)
            return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory for the vocabulary");
        v->pool = p;
        v->pool_cap = cap;
    }
    memcpy(v->pool + v->pool_len, s, n);
    v->pool[v->pool_len + n] = 0;
    v->off[id] = (uint32_t)v->pool_len;
    v->len[id] = (uint32_t)n;
    v->pool_len += n + 1;
    if (n > v->max_len)
        v->max_len = n;
    return CLEMBED_OK;
}

clembed_status clembed__vocab_index(clembed__vocab *v)
{
    /* Trim the id arrays to the highest id used. */
    size_t top = 0;
    for (size_t i = 0; i < v->n_ids; i++)
        if (v->off[i] != UINT32_MAX)
            top = i + 1;
    v->n_ids = top;
    size_t cap = 16;
    while (cap < top * 2)
        cap *= 2;
    free(v->slots);
    v->slots = calloc(cap, sizeof *v->slots);
    if (!v->slots)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory for the vocabulary");
    v->mask = cap - 1;
    v->len_mask = 0;
    /* A slot holds id + 1 and the hash's high half, so that most misses
     * are decided without touching the strings. */
    for (size_t id = 0; id < top; id++) {
        if (v->off[id] == UINT32_MAX)
            continue;
        const char *s = v->pool + v->off[id];
        size_t n = v->len[id];
        v->len_mask |= (uint64_t)1 << (n < 63 ? n : 63);
        uint64_t h = clembed__strhash(s, n);
        uint64_t tag = h & 0xFFFFFFFF00000000ull;
        size_t i = (size_t)h & v->mask;
        for (;;) {
            uint64_t slot = v->slots[i];
            if (!slot) {
                v->slots[i] = tag | ((uint64_t)id + 1);
                break;
            }
            uint32_t other = (uint32_t)slot - 1;
            if ((slot & 0xFFFFFFFF00000000ull) == tag && v->len[other] == n &&
                memcmp(v->pool + v->off[other], s, n) == 0) {
                v->slots[i] = tag | ((uint64_t)id + 1); /* the highest id wins, as a map filled in order */
                break;
            }
            i = (i + 1) & v->mask;
        }
    }
    return CLEMBED_OK;
}

int32_t clembed__vocab_get(const clembed__vocab *v, const char *s, size_t n)
{
    if (!v->slots || n > v->max_len || !(v->len_mask & ((uint64_t)1 << (n < 63 ? n : 63))))
        return -1;
    uint64_t h = clembed__strhash(s, n);
    uint64_t tag = h & 0xFFFFFFFF00000000ull;
    size_t i = (size_t)h & v->mask;
    for (;;) {
        uint64_t slot = v->slots[i];
        if (!slot)
            return -1;
        if ((slot & 0xFFFFFFFF00000000ull) == tag) {
            uint32_t id = (uint32_t)slot - 1;
            if (v->len[id] == n && memcmp(v->pool + v->off[id], s, n) == 0)
                return (int32_t)id;
        }
        i = (i + 1) & v->mask;
    }
}

void clembed__vocab_free(clembed__vocab *v)
{
    if (!v)
        return;
    free(v->pool);
    free(v->off);
    free(v->len);
    free(v->slots);
    memset(v, 0, sizeof *v);
}

/* A {token: id} object into the vocabulary. */
clembed_status clembed__vocab_load_map(const cJSON *v, clembed__vocab *vocab)
{
    if (!cJSON_IsObject(v))
        return clembed__fail(CLEMBED_ERR_FORMAT, "tokenizer.json: model.vocab is not an object");
    const cJSON *e;
    /* Ids index dense arrays: a vocabulary whose ids leave most numbers
     * unused (never seen in real files) would cost memory out of all
     * proportion, so it is refused. */
    double max_id = -1;
    size_t count = 0;
    cJSON_ArrayForEach(e, v) {
        count++;
        if (cJSON_IsNumber(e) && e->valuedouble > max_id)
            max_id = e->valuedouble;
    }
    if (max_id >= 2.0 * (double)count + 1024)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED,
                             "tokenizer.json: model.vocab ids are sparse (largest %.0f for %zu tokens)", max_id,
                             count);
    cJSON_ArrayForEach(e, v) {
        if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 0x7FFFFFF0 ||
            e->valuedouble != (double)(uint32_t)e->valuedouble)
            return clembed__fail(CLEMBED_ERR_FORMAT, "tokenizer.json: model.vocab[\"%s\"] is not a valid id",
                                 e->string ? e->string : "");
        clembed_status rc = clembed__vocab_add(vocab, e->string, strlen(e->string), (uint32_t)e->valuedouble);
        if (rc != CLEMBED_OK)
            return rc;
    }
    return clembed__vocab_index(vocab);
}
