/* clembed_embed: tokenize, sort by length, pack device batches under the token
 * budget, run them, and write each vector to its caller's row. */
#include "encoder/encoder.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* Texts tokenized at once: bounds the encodings held in memory. */
#define CHUNK 4096

struct ranked {
    size_t len, index;
};

/* Longest first, as sentence-transformers orders its batches; ties by index
 * so the order does not depend on qsort. */
static int by_length_desc(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? 1 : -1;
    return x->index < y->index ? -1 : x->index > y->index;
}

clembed_status clembed__embed_seqs(clembed_context *ctx, const clembed__seq *seqs, size_t n, float *out)
{
    const clembed_model *m = ctx->model;
    const int32_t pad = m->cfg.pad_token_id >= 0 ? m->cfg.pad_token_id : 0;   /* any id: masked */
    const int32_t types_n = m->cfg.type_vocab_size > 0 ? m->cfg.type_vocab_size : 1;
    clembed_status rc = CLEMBED_OK;
    struct ranked *rank = malloc((n ? n : 1) * sizeof *rank);
    if (!rank)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (seqs[i].n > ctx->max_tokens) {
            rc = clembed__fail(CLEMBED_ERR_TOO_LARGE, "sequence %zu has %zu tokens; the context takes at "
                               "most %u", i, seqs[i].n, ctx->max_tokens);
            goto done;
        }
        for (size_t j = 0; j < seqs[i].n; j++) {
            int32_t id = seqs[i].ids[j], ty = seqs[i].types ? seqs[i].types[j] : 0;
            if (id < 0 || id >= m->cfg.vocab_size || ty < 0 || ty >= types_n) {
                rc = clembed__fail(CLEMBED_ERR_FORMAT, "sequence %zu: token id %d (type %d) is outside the "
                                   "model's %d ids (%d types)", i, id, ty, m->cfg.vocab_size, types_n);
                goto done;
            }
        }
        rank[i] = (struct ranked){seqs[i].n, i};
    }
    qsort(rank, n, sizeof *rank, by_length_desc);
    for (size_t i = 0; i < n;) {
        /* The sequences' rows back to back, no padding: a batch is as many as fit the token
         * budget.  A sequence without tokens keeps one row (pooled as sentence-transformers
         * pools an all-padding row). */
        const uint32_t seq = rank[i].len ? (uint32_t)rank[i].len : 1;
        uint32_t nb = 0, rows = 0;
        while (i + nb < n && nb < ctx->max_batch) {
            const uint32_t r = rank[i + nb].len ? (uint32_t)rank[i + nb].len : 1;
            if ((uint64_t)rows + r > ctx->batch_tokens)
                break;
            rows += r;
            nb++;
        }
        rows = 0;
        for (uint32_t b = 0; b < nb; b++) {
            const clembed__seq *e = &seqs[rank[i + b].index];
            int32_t *ids = ctx->h_ids + rows, *types = ctx->h_types + rows, *tpos = ctx->h_tpos + rows;
            memcpy(ids, e->ids, e->n * sizeof *ids);
            if (e->types)
                memcpy(types, e->types, e->n * sizeof *types);
            else
                memset(types, 0, e->n * sizeof *types);
            for (size_t j = 0; j < e->n; j++)
                tpos[j] = (int32_t)j;
            if (e->n == 0)
                ids[0] = pad, types[0] = 0, tpos[0] = 0;
            ctx->h_lens[b] = (uint32_t)e->n;
            ctx->h_offs[b] = rows;
            rows += e->n ? (uint32_t)e->n : 1;
        }
        ctx->h_offs[nb] = rows;
        if ((rc = clembed__encoder_run(ctx, nb, seq)) != CLEMBED_OK)
            goto done;
        for (uint32_t b = 0; b < nb; b++)
            memcpy(out + rank[i + b].index * ctx->out_dim, ctx->h_out + (size_t)b * ctx->out_dim,
                   ctx->out_dim * sizeof *out);
        i += nb;
    }
done:
    free(rank);
    return rc;
}

/* A chunk of texts: encode, pack, run; vectors go to out rows first..first+n-1. */
static clembed_status embed_chunk(clembed_context *ctx, const char *const *texts, size_t first, size_t n,
                                  float *out, clembed_embed_info *info)
{
    const clembed_model *m = ctx->model;
    char **joined = NULL;
    const char **inputs = (const char **)texts + first;
    clembed_encoding **encs = calloc(n, sizeof *encs);
    clembed_status rc = CLEMBED_OK;
    if (!encs) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (!texts[first + i]) {
            rc = clembed__fail(CLEMBED_ERR_INVALID_ARG, "texts[%zu] is NULL", first + i);
            goto done;
        }
    if (ctx->prompt || m->do_lower_case) {
        joined = calloc(n, sizeof *joined);
        if (!joined) {
            rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            if (!(joined[i] = clembed__model_text(m, ctx->prompt, texts[first + i]))) {
                rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
                goto done;
            }
        inputs = (const char **)joined;
    }
    clembed_encode_params ep;
    clembed_encode_params_init(&ep);
    ep.add_special = 1;
    ep.truncation = 1;
    ep.max_length = ctx->max_tokens;
    ep.padding = 0;
    rc = clembed_tokenizer_encode_batch(m->tokenizer, inputs, NULL, n, &ep, 0, encs);
    if (rc != CLEMBED_OK) {
        if (first)
            clembed__errmsg_prefix("texts from index %zu on", first);
        goto done;
    }

    clembed__seq *seqs = malloc(n * sizeof *seqs);
    if (!seqs) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        seqs[i] = (clembed__seq){encs[i]->ids, encs[i]->type_ids, encs[i]->n};
        if (info) {
            info[first + i].tokens = (uint32_t)encs[i]->n;
            info[first + i].truncated = encs[i]->truncated;
        }
    }
    rc = clembed__embed_seqs(ctx, seqs, n, out + first * ctx->out_dim);
    if (rc != CLEMBED_OK && first)
        clembed__errmsg_prefix("texts from index %zu on", first);
    free(seqs);
done:
    for (size_t i = 0; encs && i < n; i++)
        clembed_encoding_free(encs[i]);
    for (size_t i = 0; joined && i < n; i++)
        free(joined[i]);
    free(joined);
    free(encs);
    return rc;
}

clembed_status clembed_embed(clembed_context *ctx, const char *const *texts, size_t n, float *out,
                             size_t out_len, clembed_embed_info *info)
{
    if (!ctx)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_embed: ctx is NULL");
    if (n == 0)
        return CLEMBED_OK;
    if (!texts || !out)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_embed: %s is NULL", texts ? "out" : "texts");
    if (!ctx->model->tokenizer)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "%s: the model was opened without its tokenizer "
                             "(clembed_model_params.load_tokenizer = 0)", ctx->model->dir);
    if (out_len / ctx->out_dim < n)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_embed: out holds %zu floats; %zu texts of "
                             "dimension %u need %zu", out_len, n, ctx->out_dim, n * ctx->out_dim);
    for (size_t first = 0; first < n; first += CHUNK) {
        clembed_status rc = embed_chunk(ctx, texts, first, n - first < CHUNK ? n - first : CHUNK, out,
                                        info);
        if (rc != CLEMBED_OK)
            return rc;
    }
    return CLEMBED_OK;
}
