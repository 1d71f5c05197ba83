/* Byte-pair encoding, as the reference's BPE model (merge ranks, byte
 * fallback, continuing prefix and end-of-word suffix, unk fusion). */
#include "tk_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct merge_slot { uint64_t key; uint32_t rank, new_id; } merge_slot;

enum { CHAR_IDS = 0x10000 };

struct clembed__bpe {
    merge_slot *slots;   /* key 0 = empty; key = (a + 1) << 32 | (b + 1) */
    size_t      mask;
    char       *prefix, *suffix;
    size_t      prefix_len, suffix_len;
    int         byte_fallback, fuse_unk, ignore_merges;
    int32_t     byte_ids[256];   /* "<0xNN>" ids, -1 when absent */
    int32_t    *char_ids;        /* ids of one-char tokens in the BMP (-1: none) */
};

static uint64_t mkey(uint32_t a, uint32_t b)
{
    return ((uint64_t)a + 1) << 32 | ((uint64_t)b + 1);
}

static size_t mhash(uint64_t k, size_t mask)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return (size_t)k & mask;
}

static const merge_slot *merge_get(const clembed__bpe *b, uint32_t x, uint32_t y)
{
    if (!b->slots)
        return NULL;
    uint64_t k = mkey(x, y);
    for (size_t i = mhash(k, b->mask);; i = (i + 1) & b->mask) {
        if (b->slots[i].key == k)
            return &b->slots[i];
        if (!b->slots[i].key)
            return NULL;
    }
}

typedef struct sym { int32_t id; int32_t prev, next; uint32_t len; } sym;
typedef struct hitem { uint32_t rank, pos, new_id; } hitem;

static int hless(hitem a, hitem b)
{
    return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos);
}

static void hpush(hitem *h, size_t *n, hitem x)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!hless(x, h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

static hitem hpop(hitem *h, size_t *n)
{
    hitem top = h[0], x = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        hitem best = x;
        if (l < *n && hless(h[l], best)) {
            m = l;
            best = h[l];
        }
        if (r < *n && hless(h[r], best))
            m = r;
        if (m == i)
            break;
        h[i] = h[m];
        i = m;
    }
    if (*n)
        h[i] = x;
    return top;
}

static int push_id(clembed__arena *a, const clembed__model *m, clembed__toks *out, int32_t id, size_t s,
                   size_t e)
{
    size_t n = 0;
    const char *v = clembed__vocab_str(&m->vocab, (uint32_t)id, &n);
    clembed__tok t = {id, (uint32_t)n, v ? v : "", (uint32_t)s, (uint32_t)e};
    return CLEMBED__VEC_PUSH(a, *out, t);
}

int clembed__bpe_tokenize(clembed__arena *a, const clembed__model *m, const clembed__piece *p,
                          clembed__toks *out)
{
    const clembed__bpe *b = m->bpe;
    const char *w = p->s;
    size_t len = p->len;
    if (len == 0)
        return CLEMBED__TK_OK;
    if (b->ignore_merges) {
        int32_t id = clembed__vocab_get(&m->vocab, w, len);
        if (id >= 0)
            return push_id(a, m, out, id, 0, len) ? CLEMBED__TK_OK : CLEMBED__TK_NOMEM;
    }
    /* each char gives one symbol, or with byte fallback one per byte of
     * prefix + char + suffix */
    size_t per = b->byte_fallback ? 1 + b->prefix_len + b->suffix_len : 1;
    sym *syms = clembed__arena_alloc(a, (len * per + 1) * sizeof *syms);
    char *buf = clembed__arena_alloc(a, len + b->prefix_len + b->suffix_len + 8);
    if (!syms || !buf)
        return CLEMBED__TK_NOMEM;
    size_t ns = 0;
    int32_t unk_id = -1;
    size_t unk_len = 0;
    int have_unk = 0;
    for (size_t i = 0; i < len;) {
        size_t k = clembed__utf8_seqlen((unsigned char)w[i]);
        if (k > len - i)
            k = len - i;
        int first = i == 0, last = i + k == len;
        size_t bl = 0;
        if (!first && b->prefix_len) {
            memcpy(buf, b->prefix, b->prefix_len);
            bl = b->prefix_len;
        }
        memcpy(buf + bl, w + i, k);
        bl += k;
        if (last && b->suffix_len) {
            memcpy(buf + bl, b->suffix, b->suffix_len);
            bl += b->suffix_len;
        }
        int32_t id;
        if (bl == k && k <= 3 && !b->prefix_len && !b->suffix_len) {
            uint32_t c;
            clembed__utf8_dec(w + i, k, &c);
            id = b->char_ids[c];
        } else {
            id = clembed__vocab_get(&m->vocab, buf, bl);
        }
        if (id >= 0) {
            if (have_unk) {
                syms[ns] = (sym){unk_id, (int32_t)ns - 1, (int32_t)ns + 1, (uint32_t)unk_len};
                ns++;
                have_unk = 0;
            }
            syms[ns] = (sym){id, (int32_t)ns - 1, (int32_t)ns + 1, (uint32_t)k};
            ns++;
            i += k;
            continue;
        }
        if (b->byte_fallback) {
            int all = 1;
            for (size_t j = 0; j < bl; j++)
                if (b->byte_ids[(unsigned char)buf[j]] < 0)
                    all = 0;
            if (all) {
                for (size_t j = 0; j < bl; j++) {
                    syms[ns] = (sym){b->byte_ids[(unsigned char)buf[j]], (int32_t)ns - 1, (int32_t)ns + 1, 1};
                    ns++;
                }
                i += k;
                continue;
            }
        }
        if (m->unk) {
            int32_t uid = clembed__vocab_get(&m->vocab, m->unk, m->unk_len);
            if (uid < 0)
                return CLEMBED__TK_NO_UNK;
            if (have_unk && b->fuse_unk) {
                unk_len += k;
            } else {
                if (have_unk) {
                    syms[ns] = (sym){unk_id, (int32_t)ns - 1, (int32_t)ns + 1, (uint32_t)unk_len};
                    ns++;
                }
                unk_id = uid;
                unk_len = k;
                have_unk = 1;
            }
        }
        i += k;
    }
    if (have_unk) {
        syms[ns] = (sym){unk_id, (int32_t)ns - 1, (int32_t)ns + 1, (uint32_t)unk_len};
        ns++;
    }
    if (ns == 0)
        return CLEMBED__TK_OK;
    syms[ns - 1].next = -1;
    /* merge_all */
    hitem *heap = clembed__arena_alloc(a, (ns * 2 + 4) * sizeof *heap);
    if (!heap)
        return CLEMBED__TK_NOMEM;
    size_t hn = 0, hcap = ns * 2 + 4;
    for (size_t i = 0; i + 1 < ns; i++) {
        const merge_slot *ms = merge_get(b, (uint32_t)syms[i].id, (uint32_t)syms[i + 1].id);
        if (ms)
            hpush(heap, &hn, (hitem){ms->rank, (uint32_t)i, ms->new_id});
    }
    while (hn) {
        hitem top = hpop(heap, &hn);
        sym *cur = &syms[top.pos];
        if (cur->len == 0 || cur->next < 0)
            continue;
        sym right = syms[cur->next];
        const merge_slot *ms = merge_get(b, (uint32_t)cur->id, (uint32_t)right.id);
        if (!ms || ms->new_id != top.new_id)
            continue;
        cur->id = (int32_t)top.new_id;
        cur->len += right.len;
        syms[cur->next].len = 0;
        int32_t nx = right.next;
        cur->next = nx;
        if (nx >= 0 && (size_t)nx < ns)
            syms[nx].prev = (int32_t)top.pos;
        if (hn + 2 > hcap) {
            hitem *nh = clembed__arena_alloc(a, hcap * 2 * sizeof *nh);
            if (!nh)
                return CLEMBED__TK_NOMEM;
            memcpy(nh, heap, hn * sizeof *heap);
            heap = nh;
            hcap *= 2;
        }
        if (cur->prev >= 0) {
            const merge_slot *pm = merge_get(b, (uint32_t)syms[cur->prev].id, (uint32_t)cur->id);
            if (pm)
                hpush(heap, &hn, (hitem){pm->rank, (uint32_t)cur->prev, pm->new_id});
        }
        if (nx >= 0 && (size_t)nx < ns) {
            const merge_slot *nm = merge_get(b, (uint32_t)cur->id, (uint32_t)syms[nx].id);
            if (nm)
                hpush(heap, &hn, (hitem){nm->rank, top.pos, nm->new_id});
        }
    }
    size_t off = 0;
    for (size_t i = 0; i < ns; i++) {
        if (syms[i].len == 0)
            continue;
        if (!push_id(a, m, out, syms[i].id, off, off + syms[i].len))
            return CLEMBED__TK_NOMEM;
        off += syms[i].len;
    }
    return CLEMBED__TK_OK;
}

void clembed__bpe_free(clembed__bpe *b)
{
    if (!b)
        return;
    free(b->slots);
    free(b->char_ids);
    free(b->prefix);
    free(b->suffix);
    free(b);
}

static clembed_status add_merge(clembed__bpe *b, const clembed__vocab *v, const char *x, size_t xl,
                                const char *y, size_t yl, uint32_t rank, char **tmp, size_t *tmp_cap)
{
    int32_t ia = clembed__vocab_get(v, x, xl), ib = clembed__vocab_get(v, y, yl);
    if (ia < 0 || ib < 0)
        return clembed__fail(CLEMBED_ERR_FORMAT, "BPE: merge %u has a token that is not in the vocabulary", rank);
    size_t pl = b->prefix_len <= yl ? b->prefix_len : yl;
    size_t need = xl + yl - pl + 1;
    if (need > *tmp_cap) {
        char *t = realloc(*tmp, need * 2);
        if (!t)
            return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
        *tmp = t;
        *tmp_cap = need * 2;
    }
    memcpy(*tmp, x, xl);
    memcpy(*tmp + xl, y + pl, yl - pl);
    int32_t nid = clembed__vocab_get(v, *tmp, xl + yl - pl);
    if (nid < 0)
        return clembed__fail(CLEMBED_ERR_FORMAT, "BPE: the result of merge %u is not in the vocabulary", rank);
    uint64_t k = mkey((uint32_t)ia, (uint32_t)ib);
    size_t i = mhash(k, b->mask);
    while (b->slots[i].key && b->slots[i].key != k)
        i = (i + 1) & b->mask;
    /* a later duplicate replaces the earlier one, as a map filled in order */
    b->slots[i] = (merge_slot){k, rank, (uint32_t)nid};
    return CLEMBED_OK;
}

clembed_status clembed__bpe_load(const cJSON *j, clembed__model *m)
{
    clembed__bpe *b = calloc(1, sizeof *b);
    if (!b)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    m->bpe = b;
    const char *s;
    if ((s = clembed__tkjson_str(j, "continuing_subword_prefix")) && *s &&
        !(b->prefix = clembed__tkjson_strdup(s, &b->prefix_len)))
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    if ((s = clembed__tkjson_str(j, "end_of_word_suffix")) && *s &&
        !(b->suffix = clembed__tkjson_strdup(s, &b->suffix_len)))
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    b->byte_fallback = clembed__tkjson_bool(j, "byte_fallback", 0);
    b->fuse_unk = clembed__tkjson_bool(j, "fuse_unk", 0);
    b->ignore_merges = clembed__tkjson_bool(j, "ignore_merges", 0);
    clembed_status rc = clembed__vocab_load_map(cJSON_GetObjectItemCaseSensitive(j, "vocab"), &m->vocab);
    if (rc != CLEMBED_OK)
        return rc;
    b->char_ids = malloc(CHAR_IDS * sizeof *b->char_ids);
    if (!b->char_ids)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    for (uint32_t c = 0; c < CHAR_IDS; c++) {
        char u[4];
        size_t l = clembed__utf8_enc(c, u);
        b->char_ids[c] = clembed__vocab_get(&m->vocab, u, l);
    }
    for (unsigned x = 0; x < 256; x++) {
        char code[8];
        snprintf(code, sizeof code, "<0x%02X>", x);
        b->byte_ids[x] = clembed__vocab_get(&m->vocab, code, 6);
    }
    const cJSON *merges = cJSON_GetObjectItemCaseSensitive(j, "merges");
    if (!cJSON_IsArray(merges))
        return clembed__fail(CLEMBED_ERR_FORMAT, "BPE: no \"merges\" array");
    size_t n = (size_t)cJSON_GetArraySize(merges);
    size_t cap = 16;
    while (cap < n * 2)
        cap *= 2;
    b->slots = calloc(cap, sizeof *b->slots);
    if (!b->slots)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    b->mask = cap - 1;
    char *tmp = NULL;
    size_t tmp_cap = 0;
    uint32_t rank = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, merges) {
        if (cJSON_IsString(e)) {
            const char *line = e->valuestring;
            if (!strncmp(line, "#version", 8))
                continue;
            const char *sp = strchr(line, ' ');
            if (!sp || strchr(sp + 1, ' ')) {
                free(tmp);
                return clembed__fail(CLEMBED_ERR_FORMAT, "BPE: merge %u is not two tokens", rank + 1);
            }
            rc = add_merge(b, &m->vocab, line, (size_t)(sp - line), sp + 1, strlen(sp + 1), rank, &tmp, &tmp_cap);
        } else if (cJSON_IsArray(e) && cJSON_GetArraySize(e) == 2 && cJSON_IsString(cJSON_GetArrayItem(e, 0)) &&
                   cJSON_IsString(cJSON_GetArrayItem(e, 1))) {
            const char *x = cJSON_GetArrayItem(e, 0)->valuestring, *y = cJSON_GetArrayItem(e, 1)->valuestring;
            rc = add_merge(b, &m->vocab, x, strlen(x), y, strlen(y), rank, &tmp, &tmp_cap);
        } else {
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "BPE: merge %u is neither \"a b\" nor [a, b]", rank + 1);
        }
        if (rc != CLEMBED_OK) {
            free(tmp);
            return rc;
        }
        rank++;
    }
    free(tmp);
    return CLEMBED_OK;
}
