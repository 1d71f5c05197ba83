/* Unigram language model: Viterbi over the vocabulary's pieces, unknown
 * chars scored below the lowest piece and fused, as the reference does. */
#include "tk_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A byte trie over the pieces in a hash table: (node, byte) -> child. */
typedef struct edge { uint64_t key; uint32_t child; } edge;

struct clembed__unigram {
    double  *scores;    /* by id */
    size_t   n;
    double   min_score;
    int32_t  unk_id;    /* -1 when none */
    int      byte_fallback;
    edge    *edges;
    size_t   emask;
    int32_t *node_id;   /* piece id ending at a node, -1 */
    size_t   n_nodes, cap_nodes;
};

static size_t ehash(uint64_t k, size_t mask)
{
    k ^= k >> 31;
    k *= 0x9E3779B97F4A7C15ull;
    k ^= k >> 29;
    return (size_t)k & mask;
}

static uint32_t child(const clembed__unigram *u, uint32_t node, unsigned char c)
{
    uint64_t k = ((uint64_t)node << 8 | c) + 1;
    for (size_t i = ehash(k, u->emask);; i = (i + 1) & u->emask) {
        if (u->edges[i].key == k)
            return u->edges[i].child;
        if (!u->edges[i].key)
            return 0;
    }
}

typedef struct best { double score; int32_t id; int32_t start; } best;

int clembed__unigram_tokenize(clembed__arena *a, const clembed__model *m, const clembed__piece *p,
                              clembed__toks *out)
{
    const clembed__unigram *u = m->uni;
    const char *s = p->s;
    size_t size = p->len;
    if (size == 0)
        return CLEMBED__TK_OK;
    best *b = clembed__arena_alloc(a, (size + 1) * sizeof *b);
    if (!b)
        return CLEMBED__TK_NOMEM;
    for (size_t i = 0; i <= size; i++)
        b[i] = (best){0.0, 0, -1};
    double unk_score = u->min_score - 10.0;
    for (size_t st = 0; st < size;) {
        double here = b[st].score;
        size_t mblen = clembed__utf8_seqlen((unsigned char)s[st]);
        if (mblen > size - st)
            mblen = size - st;
        int single = 0;
        uint32_t node = 0;
        for (size_t k = st; k < size; k++) {
            node = child(u, node, (unsigned char)s[k]);
            if (!node)
                break;
            int32_t id = u->node_id[node];
            if (id < 0)
                continue;
            size_t end = k + 1;
            double cand = u->scores[id] + here;
            if (b[end].start < 0 || cand > b[end].score) {
                b[end].score = cand;
                b[end].start = (int32_t)st;
                b[end].id = id;
            }
            if (end - st == mblen)
                single = 1;
        }
        if (!single) {
            if (u->unk_id < 0)
                return CLEMBED__TK_NO_UNK;
            double cand = unk_score + here;
            size_t end = st + mblen;
            if (b[end].start < 0 || cand > b[end].score) {
                b[end].score = cand;
                b[end].start = (int32_t)st;
                b[end].id = u->unk_id;
            }
        }
        st += mblen;
    }
    /* walk back, fusing runs of unknowns */
    size_t nt = 0;
    uint32_t *rs = clembed__arena_alloc(a, (size + 1) * sizeof *rs), *re = clembed__arena_alloc(a, (size + 1) * sizeof *re);
    if (!rs || !re)
        return CLEMBED__TK_NOMEM;
    size_t e = size, fuse_end = 0;
    int fusing = 0;
    while (e > 0) {
        size_t st = (size_t)b[e].start;
        if (u->unk_id >= 0 && b[e].id == u->unk_id) {
            if (!fusing) {
                fusing = 1;
                fuse_end = e;
            }
        } else {
            if (fusing) {
                rs[nt] = (uint32_t)e;
                re[nt++] = (uint32_t)fuse_end;
                fusing = 0;
            }
            rs[nt] = (uint32_t)st;
            re[nt++] = (uint32_t)e;
        }
        e = st;
    }
    if (fusing) {
        rs[nt] = 0;
        re[nt++] = (uint32_t)fuse_end;
    }
    for (size_t i = nt; i-- > 0;) {
        size_t ts = rs[i], te = re[i];
        int32_t id = clembed__vocab_get(&m->vocab, s + ts, te - ts);
        if (id < 0 && u->byte_fallback) {
            int all = 1;
            for (size_t k = ts; k < te && all; k++) {
                char code[8];
                snprintf(code, sizeof code, "<0x%02X>", (unsigned char)s[k]);
                all = clembed__vocab_get(&m->vocab, code, 6) >= 0;
            }
            if (all) {
                for (size_t k = ts; k < te; k++) {
                    char code[8];
                    snprintf(code, sizeof code, "<0x%02X>", (unsigned char)s[k]);
                    int32_t bid = clembed__vocab_get(&m->vocab, code, 6);
                    size_t n = 0;
                    const char *v = clembed__vocab_str(&m->vocab, (uint32_t)bid, &n);
                    clembed__tok t = {bid, (uint32_t)n, v, (uint32_t)ts, (uint32_t)te};
                    if (!CLEMBED__VEC_PUSH(a, *out, t))
                        return CLEMBED__TK_NOMEM;
                }
                continue;
            }
        }
        if (id < 0) {
            if (u->unk_id < 0)
                return CLEMBED__TK_NO_UNK;
            id = u->unk_id;
        }
        /* the token's string is the text itself */
        clembed__tok t = {id, (uint32_t)(te - ts), s + ts, (uint32_t)ts, (uint32_t)te};
        if (!CLEMBED__VEC_PUSH(a, *out, t))
            return CLEMBED__TK_NOMEM;
    }
    return CLEMBED__TK_OK;
}

void clembed__unigram_free(clembed__unigram *u)
{
    if (!u)
        return;
    free(u->scores);
    free(u->edges);
    free(u->node_id);
    free(u);
}

static clembed_status trie_add(clembed__unigram *u, const char *s, size_t n, int32_t id)
{
    uint32_t node = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = ((uint64_t)node << 8 | (unsigned char)s[i]) + 1;
        size_t h = ehash(k, u->emask);
        while (u->edges[h].key && u->edges[h].key != k)
            h = (h + 1) & u->emask;
        if (!u->edges[h].key) {
            if (u->n_nodes == u->cap_nodes) {
                size_t cap = u->cap_nodes * 2;
                int32_t *ni = realloc(u->node_id, cap * sizeof *ni);
                if (!ni)
                    return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
                u->node_id = ni;
                u->cap_nodes = cap;
            }
            u->node_id[u->n_nodes] = -1;
            u->edges[h].key = k;
            u->edges[h].child = (uint32_t)u->n_nodes++;
        }
        node = u->edges[h].child;
    }
    if (n > 0)
        u->node_id[node] = id;   /* a later duplicate wins */
    return CLEMBED_OK;
}

clembed_status clembed__unigram_load(const cJSON *j, clembed__model *m)
{
    clembed__unigram *u = calloc(1, sizeof *u);
    if (!u)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    m->uni = u;
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(j, "vocab");
    if (!cJSON_IsArray(vocab))
        return clembed__fail(CLEMBED_ERR_FORMAT, "Unigram: \"vocab\" is not an array");
    size_t n = (size_t)cJSON_GetArraySize(vocab);
    long long unk = clembed__tkjson_int(j, "unk_id", -1);
    if (unk >= 0 && (n == 0 || (size_t)unk >= n))
        return clembed__fail(CLEMBED_ERR_FORMAT, "Unigram: unk_id %lld is not in the vocabulary", unk);
    u->unk_id = (int32_t)unk;
    u->byte_fallback = clembed__tkjson_bool(j, "byte_fallback", 0);
    u->scores = calloc(n ? n : 1, sizeof *u->scores);
    size_t bytes = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, vocab) {
        const cJSON *t = cJSON_GetArrayItem(e, 0);
        if (cJSON_IsString(t))
            bytes += strlen(t->valuestring);
    }
    /* at most one edge per byte of the pieces; load factor below 2/3 */
    size_t cap = 16;
    while (cap < bytes + bytes / 2 + 16)
        cap *= 2;
    u->edges = calloc(cap, sizeof *u->edges);
    u->emask = cap - 1;
    u->cap_nodes = 1024;
    u->node_id = malloc(u->cap_nodes * sizeof *u->node_id);
    if (!u->scores || !u->edges || !u->node_id)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    u->node_id[0] = -1;
    u->n_nodes = 1;
    u->n = n;
    u->min_score = INFINITY;
    size_t id = 0;
    cJSON_ArrayForEach(e, vocab) {
        const cJSON *t = cJSON_GetArrayItem(e, 0), *sc = cJSON_GetArrayItem(e, 1);
        if (!cJSON_IsArray(e) || !cJSON_IsString(t) || !cJSON_IsNumber(sc))
            return clembed__fail(CLEMBED_ERR_FORMAT, "Unigram: vocab entry %zu is not [piece, score]", id);
        size_t l = strlen(t->valuestring);
        clembed_status rc = clembed__vocab_add(&m->vocab, t->valuestring, l, (uint32_t)id);
        if (rc == CLEMBED_OK)
            rc = trie_add(u, t->valuestring, l, (int32_t)id);
        if (rc != CLEMBED_OK)
            return rc;
        u->scores[id] = sc->valuedouble;
        if (sc->valuedouble < u->min_score)
            u->min_score = sc->valuedouble;
        id++;
    }
    return clembed__vocab_index(&m->vocab);
}
