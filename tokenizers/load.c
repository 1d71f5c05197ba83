/* Opening a tokenizer.json: the components, added tokens, truncation, padding. */
#include "tk_tokenizer.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

#define TOKENIZER_MAX_BYTES ((size_t)1 << 30)
/* Padding beyond this many tokens is refused rather than allocated. */
#define PAD_MAX (1 << 24)

static int by_len_desc(const void *x, const void *y)
{
    const clembed__added *a = *(const clembed__added *const *)x, *b = *(const clembed__added *const *)y;
    const char *sa = a->normalized && a->norm ? a->norm : a->content;
    const char *sb = b->normalized && b->norm ? b->norm : b->content;
    size_t la = a->normalized && a->norm ? a->norm_len : a->len;
    size_t lb = b->normalized && b->norm ? b->norm_len : b->len;
    if ((unsigned char)sa[0] != (unsigned char)sb[0])
        return (unsigned char)sa[0] < (unsigned char)sb[0] ? -1 : 1;
    if (la != lb)
        return la > lb ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static clembed_status build_set(clembed__tokenizer_impl *tk, clembed__added_set *set, int normalized)
{
    set->normalized = normalized;
    set->v = calloc(tk->n_added ? tk->n_added : 1, sizeof *set->v);
    if (!set->v)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    for (size_t i = 0; i < tk->n_added; i++) {
        clembed__added *t = &tk->added[i];
        if (t->id < 0 || (!t->normalized) != !normalized)
            continue;
        if (normalized && t->norm_len == 0)
            continue;
        set->v[set->n++] = t;
    }
    qsort(set->v, set->n, sizeof *set->v, by_len_desc);
    size_t k = 0;
    for (unsigned b = 0; b < 256; b++) {
        set->first[b] = (uint32_t)k;
        while (k < set->n) {
            const clembed__added *t = set->v[k];
            unsigned char fb = (unsigned char)(normalized ? t->norm[0] : t->content[0]);
            if (fb != b)
                break;
            k++;
        }
    }
    set->first[256] = (uint32_t)k;
    return CLEMBED_OK;
}

static int by_id_then_index(const void *x, const void *y)
{
    const clembed__added *a = x, *b = y;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return a < b ? -1 : a > b;
}

static clembed_status load_added(const cJSON *arr, clembed__tokenizer_impl *tk)
{
    if (!arr || cJSON_IsNull(arr))
        return CLEMBED_OK;
    if (!cJSON_IsArray(arr))
        return clembed__fail(CLEMBED_ERR_FORMAT, "tokenizer.json: added_tokens is not an array");
    size_t n = (size_t)cJSON_GetArraySize(arr);
    tk->added = calloc(n ? n : 1, sizeof *tk->added);
    if (!tk->added)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    /* As the reference's AddedVocabulary::add_tokens: ids come from the
     * vocabularies, new ones after the model's. */
    int64_t next_id = (int64_t)tk->model->vocab.n_ids;
    size_t model_n = 0;
    for (size_t i = 0; i < tk->model->vocab.n_ids; i++)
        model_n += tk->model->vocab.off[i] != UINT32_MAX;
    next_id = (int64_t)model_n;
    /* content -> index in tk->added, to find tokens given twice */
    size_t hcap = 16;
    while (hcap < 2 * n + 2)
        hcap *= 2;
    uint32_t *seen = calloc(hcap, sizeof *seen);
    if (!seen)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    clembed_status rc = CLEMBED_OK;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) {
        const char *content = clembed__tkjson_str(e, "content");
        if (!content) {
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "tokenizer.json: an added token has no content");
            break;
        }
        if (!*content)
            continue;
        clembed__added t = {0};
        t.special = clembed__tkjson_bool(e, "special", 0);
        t.single_word = clembed__tkjson_bool(e, "single_word", 0);
        t.lstrip = clembed__tkjson_bool(e, "lstrip", 0);
        t.rstrip = clembed__tkjson_bool(e, "rstrip", 0);
        t.normalized = clembed__tkjson_bool(e, "normalized", !t.special);
        size_t clen = strlen(content);
        size_t h = (size_t)clembed__strhash(content, clen) & (hcap - 1);
        int32_t id = -1;
        while (seen[h]) {
            const clembed__added *o = &tk->added[seen[h] - 1];
            if (o->len == clen && memcmp(o->content, content, clen) == 0) {
                id = o->id;
                break;
            }
            h = (h + 1) & (hcap - 1);
        }
        if (id < 0)
            id = clembed__vocab_get(&tk->model->vocab, content, clen);
        if (id < 0) {
            if (next_id > 0x7FFFFFF0) {
                rc = clembed__fail(CLEMBED_ERR_FORMAT, "tokenizer.json: too many added tokens");
                break;
            }
            id = (int32_t)next_id++;
        }
        t.id = id;
        if (!(t.content = clembed__tkjson_strdup(content, &t.len))) {
            rc = clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
            break;
        }
        if (t.normalized && tk->normalizer) {
            clembed__arena a = {0};
            clembed__span *al = clembed__arena_alloc(&a, (clen + 1) * sizeof *al);
            clembed__piece p = {t.content, al, (uint32_t)clen, 0, -1};
            int ok = al != NULL;
            for (size_t k = 0; ok && k < clen; k++)
                al[k] = (clembed__span){(uint32_t)k, (uint32_t)k + 1};
            ok = ok && clembed__normalize(&a, tk->normalizer, &p);
            if (ok && (t.norm = malloc(p.len + 1)) != NULL) {
                memcpy(t.norm, p.s, p.len);
                t.norm[p.len] = 0;
                t.norm_len = p.len;
            }
            clembed__arena_free(&a);
            if (!t.norm) {
                free(t.content);
                rc = clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
                break;
            }
        } else if (t.normalized) {
            t.norm = clembed__tkjson_strdup(content, &t.norm_len);
            if (!t.norm) {
                free(t.content);
                rc = clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
                break;
            }
        }
        if (!seen[h])
            seen[h] = (uint32_t)tk->n_added + 1;
        tk->added[tk->n_added++] = t;
    }
    free(seen);
    if (rc != CLEMBED_OK)
        return rc;
    /* A later token with the same id replaces an earlier one. */
    qsort(tk->added, tk->n_added, sizeof *tk->added, by_id_then_index);
    size_t k = 0;
    for (size_t i = 0; i < tk->n_added; i++) {
        if (i + 1 < tk->n_added && tk->added[i + 1].id == tk->added[i].id) {
            free(tk->added[i].content);
            free(tk->added[i].norm);
            continue;
        }
        tk->added[k++] = tk->added[i];
    }
    tk->n_added = k;
    return CLEMBED_OK;
}

static clembed_status load_trunc(const cJSON *j, clembed__trunc *t)
{
    t->max_length = 512;
    t->strategy = CLEMBED__TRUNC_LONGEST_FIRST;
    if (!j || cJSON_IsNull(j))
        return CLEMBED_OK;
    if (!cJSON_IsObject(j))
        return clembed__fail(CLEMBED_ERR_FORMAT, "tokenizer.json: truncation is not an object");
    t->enabled = 1;
    long long ml = clembed__tkjson_int(j, "max_length", 512);
    if (ml < 0)
        return clembed__fail(CLEMBED_ERR_FORMAT, "tokenizer.json: truncation.max_length is negative");
    t->max_length = (size_t)ml;
    const char *s = clembed__tkjson_str(j, "strategy");
    if (s && !strcmp(s, "OnlyFirst"))
        t->strategy = CLEMBED__TRUNC_ONLY_FIRST;
    else if (s && !strcmp(s, "OnlySecond"))
        t->strategy = CLEMBED__TRUNC_ONLY_SECOND;
    const char *d = clembed__tkjson_str(j, "direction");
    t->left = d && !strcmp(d, "Left");
    return CLEMBED_OK;
}

static clembed_status load_padding(const cJSON *j, clembed__padding *p)
{
    p->token = clembed__tkjson_strdup("[PAD]", &p->token_len);
    if (!p->token)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    if (!j || cJSON_IsNull(j))
        return CLEMBED_OK;
    if (!cJSON_IsObject(j))
        return clembed__fail(CLEMBED_ERR_FORMAT, "tokenizer.json: padding is not an object");
    p->enabled = 1;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "strategy");
    if (cJSON_IsObject(st)) {
        long long f = clembed__tkjson_int(st, "Fixed", -1);
        if (f < 0)
            return clembed__fail(CLEMBED_ERR_FORMAT, "tokenizer.json: padding.strategy.Fixed is not a length");
        if (f > PAD_MAX)
            return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "tokenizer.json: padding to %lld tokens", f);
        p->fixed = (size_t)f;
    }
    long long m = clembed__tkjson_int(j, "pad_to_multiple_of", 0);
    if (m > PAD_MAX)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "tokenizer.json: padding to a multiple of %lld tokens", m);
    p->multiple = m > 0 ? (size_t)m : 0;
    const char *d = clembed__tkjson_str(j, "direction");
    p->left = d && !strcmp(d, "Left");
    long long id = clembed__tkjson_int(j, "pad_id", 0), ty = clembed__tkjson_int(j, "pad_type_id", 0);
    p->id = id >= 0 && id < 0x7FFFFFFF ? (int32_t)id : 0;
    p->type_id = ty >= 0 && ty < 0x7FFFFFFF ? (int32_t)ty : 0;
    const char *tok = clembed__tkjson_str(j, "pad_token");
    if (tok) {
        free(p->token);
        if (!(p->token = clembed__tkjson_strdup(tok, &p->token_len)))
            return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    }
    return CLEMBED_OK;
}

static void impl_free(clembed__tokenizer_impl *tk)
{
    clembed__normalizer_free(tk->normalizer);
    clembed__pretok_free(tk->pretok);
    clembed__model_free(tk->model);
    clembed__post_free(tk->post);
    clembed__decoder_free(tk->decoder);
    for (size_t i = 0; i < tk->n_added; i++) {
        free(tk->added[i].content);
        free(tk->added[i].norm);
    }
    free(tk->added);
    free(tk->added_raw.v);
    free(tk->added_norm.v);
    free(tk->pad.token);
}

clembed_status clembed__tokenizer_from_json(const char *json, size_t len, clembed_tokenizer **out)
{
    *out = NULL;
    size_t bad = clembed__utf8_check(json, len);
    if (bad != len)
        return clembed__fail(CLEMBED_ERR_FORMAT, "tokenizer.json: invalid UTF-8 at byte %zu", bad);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root)
        return clembed__fail(CLEMBED_ERR_FORMAT, "tokenizer.json: not valid JSON (near byte %zu)",
                             cJSON_GetErrorPtr() ? (size_t)(cJSON_GetErrorPtr() - json) : (size_t)0);
    clembed_tokenizer *tok = calloc(1, sizeof *tok);
    if (!tok) {
        cJSON_Delete(root);
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    }
    clembed__tokenizer_impl *tk = &tok->impl;
    clembed_status rc = CLEMBED_OK;
    const cJSON *v;
    if (!cJSON_IsObject(root))
        rc = clembed__fail(CLEMBED_ERR_FORMAT, "tokenizer.json: not a JSON object");
    if (rc == CLEMBED_OK && (v = cJSON_GetObjectItemCaseSensitive(root, "normalizer")) && !cJSON_IsNull(v))
        rc = clembed__normalizer_load(v, 0, &tk->normalizer);
    if (rc == CLEMBED_OK && (v = cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer")) && !cJSON_IsNull(v))
        rc = clembed__pretok_load(v, 0, &tk->pretok);
    if (rc == CLEMBED_OK)
        rc = clembed__model_load(cJSON_GetObjectItemCaseSensitive(root, "model"), &tk->model);
    if (rc == CLEMBED_OK && (v = cJSON_GetObjectItemCaseSensitive(root, "post_processor")) && !cJSON_IsNull(v))
        rc = clembed__post_load(v, tk, 0, &tk->post);
    if (rc == CLEMBED_OK && (v = cJSON_GetObjectItemCaseSensitive(root, "decoder")) && !cJSON_IsNull(v))
        rc = clembed__decoder_load(v, 0, &tk->decoder);
    if (rc == CLEMBED_OK)
        rc = load_added(cJSON_GetObjectItemCaseSensitive(root, "added_tokens"), tk);
    if (rc == CLEMBED_OK)
        rc = build_set(tk, &tk->added_raw, 0);
    if (rc == CLEMBED_OK)
        rc = build_set(tk, &tk->added_norm, 1);
    if (rc == CLEMBED_OK)
        rc = load_trunc(cJSON_GetObjectItemCaseSensitive(root, "truncation"), &tk->trunc);
    if (rc == CLEMBED_OK)
        rc = load_padding(cJSON_GetObjectItemCaseSensitive(root, "padding"), &tk->pad);
    if (rc == CLEMBED_OK) {
        size_t n = 0;
        for (size_t i = 0; i < tk->model->vocab.n_ids; i++)
            n += tk->model->vocab.off[i] != UINT32_MAX;
        for (size_t i = 0; i < tk->n_added; i++)
            n += clembed__vocab_get(&tk->model->vocab, tk->added[i].content, tk->added[i].len) < 0;
        tk->vocab_size = n;
    }
    cJSON_Delete(root);
    if (rc != CLEMBED_OK) {
        impl_free(tk);
        free(tok);
        return rc;
    }
    *out = tok;
    return CLEMBED_OK;
}

clembed_status clembed_tokenizer_open(const char *path, clembed_tokenizer **out)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_tokenizer_open: NULL path or out");
    char *file = clembed__dir_exists(path) ? clembed__path_join(path, "tokenizer.json") : clembed__strdup(path);
    if (!file)
        return clembed__fail(CLEMBED_ERR_NOMEM, "tokenizer: out of memory");
    char *data = NULL;
    size_t len = 0;
    clembed_status rc = clembed__read_file(file, TOKENIZER_MAX_BYTES, &data, &len);
    if (rc == CLEMBED_OK) {
        rc = clembed__tokenizer_from_json(data, len, out);
        if (rc != CLEMBED_OK)
            clembed__errmsg_prefix("%s", file);
    }
    free(data);
    free(file);
    return rc;
}

void clembed_tokenizer_free(clembed_tokenizer *tok)
{
    if (!tok)
        return;
    impl_free(&tok->impl);
    free(tok);
}
