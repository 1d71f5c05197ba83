/* The model's weights on the device: converted to float32, matrices transposed to the layout
 * the GEMMs read, query/key/value fused, held once (a device sharing host memory uses them in
 * place; what is copied to the device leaves the process's resident set). */
#define _DEFAULT_SOURCE   /* madvise */
#include "encoder/encoder.h"
#include "core/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Host memory for converted or fused weights: page-aligned, so that a device
 * sharing host memory can use it in place. */
static void *host_alloc(size_t bytes)
{
    void *p = NULL;
    return posix_memalign(&p, 4096, bytes ? bytes : 1) == 0 ? p : NULL;
}

static void drop_pages(const void *data, size_t bytes);

/* A read-only device buffer over `bytes` of host data (`owned`: the context's
 * own copy from host_alloc, which this takes over; NULL when data is in the
 * model's mapping).  Where the device shares host memory the buffer uses the
 * data in place, so weights are not held twice; data it could not use in
 * place (not aligned as CL_DEVICE_MEM_BASE_ADDR_ALIGN says: PoCL's kernels
 * then fault on aligned vector loads) is copied first. */
static clembed_status make_weight(clembed_context *ctx, const void *data, size_t bytes, void *owned,
                                  const char *what, cl_mem *out)
{
    cl_int err;
    const void *mapped = owned ? NULL : data;
    int in_place = ctx->dev->info.unified_memory;
    /* Room to keep the copy before the buffer points into it. */
    void **grown = realloc(ctx->host_copies, (ctx->n_host_copies + 1) * sizeof *grown);
    if (!grown) {
        free(owned);
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    }
    ctx->host_copies = grown;
    if (in_place && !owned && (uintptr_t)data % ctx->host_align != 0) {
        if (!(owned = host_alloc(bytes)))
            return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory copying '%s'", what);
        memcpy(owned, data, bytes);
        data = owned;
    }
    *out = clembed__create_buffer(ctx->cl, CL_MEM_READ_ONLY | (in_place ? CL_MEM_USE_HOST_PTR : CL_MEM_COPY_HOST_PTR),
                          bytes, (void *)data, &err);
    if (!*out) {
        free(owned);
        return clembed__cl_fail(err, "%s: uploading weight '%s' (%zu bytes)", ctx->dev->info.name,
                                what, bytes);
    }
    ctx->weight_bytes += bytes;
    if (mapped && !(in_place && data == mapped))
        drop_pages(mapped, bytes);   /* copied: the device's copy is the one that stays */
    if (owned && in_place)
        ctx->host_copies[ctx->n_host_copies++] = owned;
    else
        free(owned);
    return CLEMBED_OK;
}

static clembed_status want(const clembed_model *m, const char *name, int64_t rows, int64_t cols,
                           const clembed__tensor **out)
{
    const clembed__tensor *t = clembed__model_tensor(m, name);
    *out = t;
    if (!t)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: the weights have no tensor '%s'", m->dir, name);
    if (t->dtype == CLEMBED__OTHER)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: tensor '%s' is not F32, F16 or BF16",
                             m->dir, name);
    size_t numel = clembed__tensor_numel(t);
    if (cols ? (t->ndim != 2 || t->shape[0] < rows || t->shape[1] != cols)
             : (numel != (size_t)rows))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s' has %zu elements in %d dimensions, "
                             "expected %lld x %lld", m->dir, name, numel, t->ndim, (long long)rows,
                             (long long)(cols ? cols : 1));
    return CLEMBED_OK;
}

/* Drops the pages of a tensor we copied from the process's resident set:
 * the model's mapping is read-only and private, so this only returns memory
 * (pages come back from the page cache if anything reads them again), and
 * the model's weights are then held once, as the device's copy. */
static void drop_pages(const void *data, size_t bytes)
{
    const uintptr_t page = 4096, start = ((uintptr_t)data + page - 1) & ~(page - 1);
    const uintptr_t end = ((uintptr_t)data + bytes) & ~(page - 1);
    if (end > start)
        madvise((void *)start, end - start, MADV_DONTNEED);
}

/* A weight matrix [rows, cols] (nn.Linear: [out, in]) converted to float32
 * and transposed to [cols, rows] into dst, the layout the GEMMs read. */
static void transpose_into(const clembed__tensor *t, size_t row0, size_t rows, size_t cols, float *dst,
                           size_t dst_ld, float *scratch)
{
    clembed__tensor_to_f32(t, scratch);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            dst[c * dst_ld + row0 + r] = scratch[r * cols + c];
    drop_pages(t->data, t->nbytes);
}

/* Uploads a weight matrix of nn.Linear ([rows, cols]) transposed. */
static clembed_status upload_t(clembed_context *ctx, const char *name, int64_t rows, int64_t cols,
                               cl_mem *out)
{
    const clembed__tensor *t;
    clembed_status rc = want(ctx->model, name, rows, cols, &t);
    if (rc != CLEMBED_OK)
        return rc;
    size_t n = (size_t)rows * (size_t)cols;
    float *f = host_alloc(n * sizeof *f), *tmp = malloc(n * sizeof *tmp);
    if (!f || !tmp) {
        free(f);
        free(tmp);
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory converting '%s'", name);
    }
    transpose_into(t, 0, (size_t)rows, (size_t)cols, f, (size_t)rows, tmp);
    free(tmp);
    return make_weight(ctx, f, n * sizeof *f, f, name, out);
}

/* Uploads the first `rows` rows (all of a vector) of tensor `name`. */
static clembed_status upload(clembed_context *ctx, const char *name, int64_t rows, int64_t cols,
                             cl_mem *out)
{
    const clembed__tensor *t;
    clembed_status rc = want(ctx->model, name, rows, cols, &t);
    if (rc != CLEMBED_OK)
        return rc;
    size_t numel = (size_t)rows * (size_t)(cols ? cols : 1);
    if (t->dtype == CLEMBED__F32)
        return make_weight(ctx, t->data, numel * sizeof(float), NULL, name, out);
    float *f = host_alloc(clembed__tensor_numel(t) * sizeof *f);
    if (!f)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory converting '%s'", name);
    clembed__tensor_to_f32(t, f);
    return make_weight(ctx, f, numel * sizeof(float), f, name, out);
}

/* Query, key and value projections side by side: one GEMM for the three,
 * with the weights transposed to [H, 3H]. */
static clembed_status upload_qkv(clembed_context *ctx, int layer, int64_t h, cl_mem *w, cl_mem *b)
{
    static const char *const parts[3] = {"query", "key", "value"};
    float *fw = host_alloc((size_t)(3 * h * h) * sizeof *fw), *fb = host_alloc((size_t)(3 * h) * sizeof *fb);
    float *tmp = malloc((size_t)(h * h) * sizeof *tmp);
    clembed_status rc = CLEMBED_OK;
    char name[128];
    if (!fw || !fb || !tmp) {
        free(fw);
        free(fb);
        free(tmp);
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    }
    for (int p = 0; p < 3 && rc == CLEMBED_OK; p++) {
        const clembed__tensor *tw, *tb;
        snprintf(name, sizeof name, "encoder.layer.%d.attention.self.%s.weight", layer, parts[p]);
        if ((rc = want(ctx->model, name, h, h, &tw)) != CLEMBED_OK)
            break;
        snprintf(name, sizeof name, "encoder.layer.%d.attention.self.%s.bias", layer, parts[p]);
        if ((rc = want(ctx->model, name, h, 0, &tb)) != CLEMBED_OK)
            break;
        transpose_into(tw, (size_t)(p * h), (size_t)h, (size_t)h, fw, (size_t)(3 * h), tmp);
        clembed__tensor_to_f32(tb, fb + (size_t)(p * h));
    }
    free(tmp);
    if (rc != CLEMBED_OK) {
        free(fw);
        free(fb);
        return rc;
    }
    snprintf(name, sizeof name, "encoder.layer.%d.attention.self.qkv", layer);
    if ((rc = make_weight(ctx, fw, (size_t)(3 * h * h) * sizeof *fw, fw, name, w)) != CLEMBED_OK) {
        free(fb);
        return rc;
    }
    return make_weight(ctx, fb, (size_t)(3 * h) * sizeof *fb, fb, name, b);
}

static clembed_status zeros(clembed_context *ctx, size_t n, const char *what, cl_mem *out)
{
    float *z = host_alloc(n * sizeof *z);
    if (!z)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    memset(z, 0, n * sizeof *z);
    return make_weight(ctx, z, n * sizeof *z, z, what, out);
}

clembed_status clembed__encoder_upload(clembed_context *ctx)
{
    cl_uint align_bits = 0;
    clGetDeviceInfo(ctx->dev->id, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof align_bits, &align_bits, NULL);
    ctx->host_align = align_bits / 8 > 64 ? align_bits / 8 : 64;
    const clembed_model *m = ctx->model;
    const clembed__encoder_config *c = &m->cfg;
    const int64_t H = c->hidden_size, I = c->intermediate_size;
    clembed_status rc;
    char name[128];
    if ((rc = upload(ctx, "embeddings.word_embeddings.weight", c->vocab_size, H, &ctx->word)) ||
        (rc = upload(ctx, "embeddings.position_embeddings.weight", c->max_position_embeddings, H,
                     &ctx->pos)) ||
        (rc = upload(ctx, "embeddings.LayerNorm.weight", H, 0, &ctx->emb_g)) ||
        (rc = upload(ctx, "embeddings.LayerNorm.bias", H, 0, &ctx->emb_b)))
        return rc;
    if (clembed__model_tensor(m, "embeddings.token_type_embeddings.weight"))
        rc = upload(ctx, "embeddings.token_type_embeddings.weight", c->type_vocab_size > 0 ? c->type_vocab_size : 1,
                    H, &ctx->type);
    else
        rc = zeros(ctx, (size_t)H, "token types", &ctx->type);
    if (rc != CLEMBED_OK)
        return rc;
    ctx->layers = calloc((size_t)c->num_layers, sizeof *ctx->layers);
    if (!ctx->layers)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    ctx->n_layers = c->num_layers;
    for (int l = 0; l < c->num_layers; l++) {
        clembed__layer_w *w = &ctx->layers[l];
#define LAYER(suffix, rows, cols, dst)                                                  \
    (snprintf(name, sizeof name, "encoder.layer.%d.%s", l, suffix),                      \
     rc = upload(ctx, name, rows, cols, dst))
#define LAYER_T(suffix, rows, cols, dst)                                                \
    (snprintf(name, sizeof name, "encoder.layer.%d.%s", l, suffix),                      \
     rc = upload_t(ctx, name, rows, cols, dst))
        if ((rc = upload_qkv(ctx, l, H, &w->qkv_w, &w->qkv_b)) ||
            LAYER_T("attention.output.dense.weight", H, H, &w->o_w) ||
            LAYER("attention.output.dense.bias", H, 0, &w->o_b) ||
            LAYER("attention.output.LayerNorm.weight", H, 0, &w->ln1_g) ||
            LAYER("attention.output.LayerNorm.bias", H, 0, &w->ln1_b) ||
            LAYER_T("intermediate.dense.weight", I, H, &w->i_w) ||
            LAYER("intermediate.dense.bias", I, 0, &w->i_b) ||
            LAYER_T("output.dense.weight", H, I, &w->out_w) ||
            LAYER("output.dense.bias", H, 0, &w->out_b) ||
            LAYER("output.LayerNorm.weight", H, 0, &w->ln2_g) ||
            LAYER("output.LayerNorm.bias", H, 0, &w->ln2_b))
            return rc;
#undef LAYER
#undef LAYER_T
    }
    for (size_t i = 0; i < ctx->n_head; i++) {
        clembed__head_step *s = &ctx->head[i];
        if (s->kind != CLEMBED__MOD_DENSE)
            continue;
        const clembed__module *mod = s->mod;
        if (!mod || !mod->dense_weight)
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: a Dense module has no weight", m->dir);
        const clembed__tensor *tw = mod->dense_weight, *tb = mod->dense_bias;
        if (tw->ndim != 2 || tw->shape[0] != s->out || tw->shape[1] != s->in ||
            (tb && clembed__tensor_numel(tb) != s->out))
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: Dense module '%s' has weights of %lld x %lld, "
                                 "expected %u x %u", m->dir, mod->path, (long long)tw->shape[0],
                                 (long long)(tw->ndim > 1 ? tw->shape[1] : 1), s->out, s->in);
        float *fw = host_alloc(clembed__tensor_numel(tw) * sizeof *fw);
        float *tmp = malloc(clembed__tensor_numel(tw) * sizeof *tmp);
        if (!fw || !tmp) {
            free(fw);
            free(tmp);
            return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        }
        transpose_into(tw, 0, s->out, s->in, fw, s->out, tmp);
        free(tmp);
        if ((rc = make_weight(ctx, fw, clembed__tensor_numel(tw) * sizeof *fw, fw, mod->path, &s->w)))
            return rc;
        if (tb) {
            float *fb = host_alloc(s->out * sizeof *fb);
            if (!fb)
                return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
            clembed__tensor_to_f32(tb, fb);
            rc = make_weight(ctx, fb, s->out * sizeof *fb, fb, mod->path, &s->b);
        } else {
            rc = zeros(ctx, s->out, mod->path, &s->b);
        }
        if (rc != CLEMBED_OK)
            return rc;
    }
    return CLEMBED_OK;
}

static void release(cl_mem *m)
{
    if (*m)
        clReleaseMemObject(*m);
    *m = NULL;
}

void clembed__encoder_release(clembed_context *ctx)
{
    release(&ctx->word), release(&ctx->pos), release(&ctx->type);
    release(&ctx->emb_g), release(&ctx->emb_b);
    for (int l = 0; ctx->layers && l < ctx->n_layers; l++) {
        clembed__layer_w *w = &ctx->layers[l];
        release(&w->qkv_w), release(&w->qkv_b), release(&w->o_w), release(&w->o_b);
        release(&w->ln1_g), release(&w->ln1_b), release(&w->i_w), release(&w->i_b);
        release(&w->out_w), release(&w->out_b), release(&w->ln2_g), release(&w->ln2_b);
    }
    free(ctx->layers);
    ctx->layers = NULL;
    for (size_t i = 0; ctx->head && i < ctx->n_head; i++)
        release(&ctx->head[i].w), release(&ctx->head[i].b);
    /* The buffers above may point into these, so they go last. */
    for (size_t i = 0; i < ctx->n_host_copies; i++)
        free(ctx->host_copies[i]);
    free(ctx->host_copies);
    ctx->host_copies = NULL;
    ctx->n_host_copies = 0;
}
