/* The model's weights on the device: converted to float32, matrices transposed to the layout
 * the GEMMs read, query/key/value fused, held once (a device sharing host memory uses them in
 * place; what is copied to the device leaves the process's resident set). */
#define _DEFAULT_SOURCE   /* madvise */
#include "encoder/encoder.h"
#include "runtime/memory.h"
#include "core/util.h"

#include <math.h>
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
    clembed_status rc = clembed__device_check_buffer(ctx->dev, bytes, what);
    if (rc != CLEMBED_OK) {
        free(owned);
        return rc;
    }
    const void *mapped = owned ? NULL : data;
    int in_place = clembed__device_host_ptr_ok(ctx->dev);
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
    *out = clembed__device_weight_buffer(ctx->cl, ctx->dev, data, bytes, what, &in_place, &rc);
    if (!*out) {
        free(owned);
        return rc;
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

/* IEEE half of a float, rounded to nearest even; overflow to infinity. */
static uint16_t float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, e = (x >> 23) & 0xffu, m = x & 0x7fffffu;
    if (e == 0xff)
        return (uint16_t)(sign | 0x7c00u | (m ? 0x200u : 0));
    int ex = (int)e - 127 + 15;
    if (ex >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (ex <= 0) {
        if (ex < -10)
            return (uint16_t)sign;
        m |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - ex), half = m >> shift, rest = m & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rest > mid || (rest == mid && (half & 1)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t h = ((uint32_t)ex << 10) | (m >> 13), rest = m & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1)))
        h++;   /* may carry into the exponent, up to infinity: as it should */
    return (uint16_t)(sign | h);
}

/* The elements of t in 16-bit storage wdt: the file's own bits where it has that dtype, else
 * float rounded to half. */
static void tensor_to_16(const clembed__tensor *t, int wdt, uint16_t *out, float *scratch)
{
    const size_t n = clembed__tensor_numel(t);
    if ((wdt == CLEMBED__WDT_F16 && t->dtype == CLEMBED__F16) ||
        (wdt == CLEMBED__WDT_BF16 && t->dtype == CLEMBED__BF16)) {
        const uint8_t *d = t->data;
        for (size_t i = 0; i < n; i++)
            out[i] = (uint16_t)(d[2 * i] | d[2 * i + 1] << 8);
        return;
    }
    clembed__tensor_to_f32(t, scratch);
    for (size_t i = 0; i < n; i++) {
        if (wdt == CLEMBED__WDT_F16) {
            out[i] = float_to_half(scratch[i]);
        } else {
            uint32_t x;
            memcpy(&x, &scratch[i], 4);
            out[i] = (uint16_t)((x + 0x7fffu + ((x >> 16) & 1)) >> 16);   /* bfloat16, nearest even */
        }
    }
}

/* Matrices of nn.Linear ([out, in]) stacked along out and transposed into one [in, sum of
 * outs] buffer in storage wdt, the layout the GEMMs read: query, key and value become one GEMM,
 * a gated pair another. */
static clembed_status upload_stack_t(clembed_context *ctx, const clembed__tensor *const *parts, size_t n,
                                     int wdt, cl_mem *out)
{
    size_t rows = 0, cols = (size_t)parts[0]->shape[1], most = 0;
    const size_t es = wdt == CLEMBED__WDT_F32 ? 4 : 2;
    for (size_t i = 0; i < n; i++) {
        size_t numel = clembed__tensor_numel(parts[i]);
        rows += (size_t)parts[i]->shape[0];
        most = numel > most ? numel : most;
    }
    uint8_t *f = host_alloc(rows * cols * es);
    float *tmp = malloc(most * sizeof *tmp);
    uint16_t *t16 = es == 2 ? malloc(most * sizeof *t16) : NULL;
    if (!f || !tmp || (es == 2 && !t16)) {
        free(f);
        free(tmp);
        free(t16);
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory converting '%s'", parts[0]->name);
    }
    for (size_t i = 0, row0 = 0; i < n; row0 += (size_t)parts[i]->shape[0], i++) {
        const size_t pr = (size_t)parts[i]->shape[0];
        if (es == 4) {
            float *d = (float *)f;
            clembed__tensor_to_f32(parts[i], tmp);
            for (size_t r = 0; r < pr; r++)
                for (size_t c = 0; c < cols; c++)
                    d[c * rows + row0 + r] = tmp[r * cols + c];
        } else {
            uint16_t *d = (uint16_t *)f;
            tensor_to_16(parts[i], wdt, t16, tmp);
            for (size_t r = 0; r < pr; r++)
                for (size_t c = 0; c < cols; c++)
                    d[c * rows + row0 + r] = t16[r * cols + c];
        }
        drop_pages(parts[i]->data, parts[i]->nbytes);
    }
    free(tmp);
    free(t16);
    return make_weight(ctx, f, rows * cols * es, f, parts[0]->name, out);
}

/* A tensor as it is (vectors, embedding tables), converted to float32 where it is not. */
static clembed_status upload_plain(clembed_context *ctx, const clembed__tensor *t, cl_mem *out)
{
    size_t numel = clembed__tensor_numel(t);
    if (t->dtype == CLEMBED__F32)
        return make_weight(ctx, t->data, numel * sizeof(float), NULL, t->name, out);
    float *f = host_alloc(numel * sizeof *f);
    if (!f)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory converting '%s'", t->name);
    clembed__tensor_to_f32(t, f);
    return make_weight(ctx, f, numel * sizeof(float), f, t->name, out);
}

/* An embedding table in storage wdt (the file's 16 bits kept in place where they match). */
static clembed_status upload_table(clembed_context *ctx, const clembed__tensor *t, int wdt, cl_mem *out)
{
    if (wdt == CLEMBED__WDT_F32)
        return upload_plain(ctx, t, out);
    const size_t n = clembed__tensor_numel(t);
    if ((wdt == CLEMBED__WDT_F16 && t->dtype == CLEMBED__F16) || (wdt == CLEMBED__WDT_BF16 && t->dtype == CLEMBED__BF16))
        return make_weight(ctx, t->data, n * 2, NULL, t->name, out);
    uint16_t *h = host_alloc(n * sizeof *h);
    float *tmp = malloc(n * sizeof *tmp);
    if (!h || !tmp) {
        free(h);
        free(tmp);
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory converting '%s'", t->name);
    }
    tensor_to_16(t, wdt, h, tmp);
    free(tmp);
    return make_weight(ctx, h, n * sizeof *h, h, t->name, out);
}

/* Vectors side by side (the biases of stacked matrices); all NULL: no buffer. */
static clembed_status upload_stack_vec(clembed_context *ctx, const clembed__tensor *const *parts, size_t n,
                                       cl_mem *out)
{
    size_t total = 0, have = 0;
    for (size_t i = 0; i < n; i++)
        if (parts[i])
            have++, total += clembed__tensor_numel(parts[i]);
    if (!have)
        return CLEMBED_OK;
    if (have != n)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: some of the stacked projections have biases and "
                             "some do not", ctx->model->dir);
    if (n == 1)
        return upload_plain(ctx, parts[0], out);
    float *f = host_alloc(total * sizeof *f);
    if (!f)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    for (size_t i = 0, at = 0; i < n; at += clembed__tensor_numel(parts[i]), i++)
        clembed__tensor_to_f32(parts[i], f + at);
    return make_weight(ctx, f, total * sizeof *f, f, parts[0]->name, out);
}

/* Host data the context computed (tables of positions), as a weight. */
static clembed_status upload_host(clembed_context *ctx, float *f, size_t n, const char *what, cl_mem *out)
{
    return make_weight(ctx, f, n * sizeof *f, f, what, out);
}

static clembed_status upload_pair(clembed_context *ctx, const clembed__wpair *p, cl_mem *w, cl_mem *b)
{
    clembed_status rc = p->w ? upload_plain(ctx, p->w, w) : CLEMBED_OK;
    if (rc == CLEMBED_OK && p->b)
        rc = upload_plain(ctx, p->b, b);
    return rc;
}

/* One weight set: attention, its norms, the feed-forward. */
static clembed_status upload_set(clembed_context *ctx, size_t s, clembed__layer_w *lw)
{
    const clembed_model *m = ctx->model;
    const clembed__wpair *w = m->enc_sets[s];
    const unsigned f = m->cfg.arch->flags;
    cl_mem *d = lw->m;
    clembed_status rc;
    if (f & CLEMBED__A_FUSED_QKV) {
        const clembed__tensor *qkv[1] = {w[CLEMBED__W_QKV].w}, *b[1] = {w[CLEMBED__W_QKV].b};
        if ((rc = upload_stack_t(ctx, qkv, 1, ctx->wdt, &d[CLEMBED__LW_QKV_W])) ||
            (rc = upload_stack_vec(ctx, b, 1, &d[CLEMBED__LW_QKV_B])))
            return rc;
    } else {
        const clembed__tensor *qkv[3] = {w[CLEMBED__W_Q].w, w[CLEMBED__W_K].w, w[CLEMBED__W_V].w};
        const clembed__tensor *b[3] = {w[CLEMBED__W_Q].b, w[CLEMBED__W_K].b, w[CLEMBED__W_V].b};
        if ((rc = upload_stack_t(ctx, qkv, 3, ctx->wdt, &d[CLEMBED__LW_QKV_W])) ||
            (rc = upload_stack_vec(ctx, b, 3, &d[CLEMBED__LW_QKV_B])))
            return rc;
    }
    const clembed__tensor *o[1] = {w[CLEMBED__W_O].w};
    if ((rc = upload_stack_t(ctx, o, 1, ctx->wdt, &d[CLEMBED__LW_O_W])) ||
        (w[CLEMBED__W_O].b && (rc = upload_plain(ctx, w[CLEMBED__W_O].b, &d[CLEMBED__LW_O_B]))) ||
        (rc = upload_pair(ctx, &w[CLEMBED__W_ATTN_NORM], &d[CLEMBED__LW_ATTN_G], &d[CLEMBED__LW_ATTN_B])) ||
        (rc = upload_pair(ctx, &w[CLEMBED__W_Q_NORM], &d[CLEMBED__LW_QN], &d[CLEMBED__LW_QN])) ||
        (rc = upload_pair(ctx, &w[CLEMBED__W_K_NORM], &d[CLEMBED__LW_KN], &d[CLEMBED__LW_KN])))
        return rc;
    /* The feed-forward's input: one matrix, a gated pair stacked, or the pair as the file has it. */
    const clembed__wrole in = (f & CLEMBED__A_FUSED_GATE) ? CLEMBED__W_FFN_INUP : CLEMBED__W_FFN_IN;
    const size_t n_in = m->cfg.gated && !(f & CLEMBED__A_FUSED_GATE) ? 2 : 1;
    const clembed__tensor *iw[2] = {w[in].w, w[CLEMBED__W_FFN_UP].w}, *ib[2] = {w[in].b, w[CLEMBED__W_FFN_UP].b};
    const clembed__tensor *ow[1] = {w[CLEMBED__W_FFN_OUT].w};
    if ((rc = upload_stack_t(ctx, iw, n_in, ctx->wdt, &d[CLEMBED__LW_IN_W])) ||
        (rc = upload_stack_vec(ctx, ib, n_in, &d[CLEMBED__LW_IN_B])) ||
        (rc = upload_stack_t(ctx, ow, 1, ctx->wdt, &d[CLEMBED__LW_OUT_W])) ||
        (w[CLEMBED__W_FFN_OUT].b && (rc = upload_plain(ctx, w[CLEMBED__W_FFN_OUT].b, &d[CLEMBED__LW_OUT_B]))) ||
        (rc = upload_pair(ctx, &w[CLEMBED__W_FFN_NORM], &d[CLEMBED__LW_FFN_G], &d[CLEMBED__LW_FFN_B])))
        return rc;
    return CLEMBED_OK;
}

/* transformers' bucket of a relative position (key - query) for T5 and MPNet, bidirectional,
 * in float32 as torch computes it. */
int clembed__rel_bucket(int rel, int num_buckets, int max_distance)
{
    const int half = num_buckets / 2, max_exact = half / 2;
    int bucket = rel > 0 ? half : 0, n = rel < 0 ? -rel : rel;
    if (n < max_exact)
        return bucket + n;
    float r = logf((float)n / (float)max_exact);
    r = r / (float)log((double)max_distance / max_exact);
    r = r * (float)(half - max_exact);
    int large = max_exact + (int)r;
    return bucket + (large < half - 1 ? large : half - 1);
}

/* The relative position bias of every head at every distance the context can see, [heads,
 * 2 max_tokens - 1], from the model's table [buckets, heads]. */
static clembed_status upload_rel_bias(clembed_context *ctx)
{
    const clembed__encoder_config *c = &ctx->model->cfg;
    const clembed__tensor *t = ctx->model->enc[CLEMBED__W_REL_BIAS].w;
    const size_t L = ctx->max_tokens, width = 2 * L - 1, NH = (size_t)c->num_heads;
    float *tab = malloc(clembed__tensor_numel(t) * sizeof *tab), *f = host_alloc(NH * width * sizeof *f);
    if (!tab || !f) {
        free(tab);
        free(f);
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    }
    clembed__tensor_to_f32(t, tab);
    for (size_t d = 0; d < width; d++) {
        int b = clembed__rel_bucket((int)d - (int)(L - 1), c->rel_buckets, c->rel_max_distance);
        for (size_t h = 0; h < NH; h++)
            f[h * width + d] = tab[(size_t)b * NH + h];
    }
    free(tab);
    ctx->pb_stride = (uint32_t)width;
    ctx->pb_center = (uint32_t)(L - 1);
    return upload_host(ctx, f, NH * width, t->name, &ctx->gw[CLEMBED__GW_POSB]);
}

/* Rotary cos and sin for every position the context can see, [max_tokens, rope_dim / 2], as
 * transformers computes them in float32: inv_freq = 1 / theta^(2i / dim), angle = pos * inv_freq. */
static clembed_status upload_rope(clembed_context *ctx, double theta, cl_mem *cos_out, cl_mem *sin_out)
{
    const size_t L = ctx->max_tokens, half = (size_t)ctx->model->cfg.rope_dim / 2;
    float *cs = host_alloc(L * half * sizeof *cs), *sn = host_alloc(L * half * sizeof *sn);
    if (!cs || !sn) {
        free(cs);
        free(sn);
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < half; i++) {
        float inv = 1.0f / powf((float)theta, (float)(2 * i) / (float)(2 * half));
        for (size_t p = 0; p < L; p++) {
            float angle = (float)p * inv;
            cs[p * half + i] = (float)cos((double)angle);
            sn[p * half + i] = (float)sin((double)angle);
        }
    }
    clembed_status rc = upload_host(ctx, cs, L * half, "rotary cos", cos_out);
    if (rc != CLEMBED_OK) {
        free(sn);
        return rc;
    }
    return upload_host(ctx, sn, L * half, "rotary sin", sin_out);
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
    const unsigned f = c->arch->flags;
    const clembed__wpair *g = m->enc;
    cl_mem *gw = ctx->gw;
    clembed_status rc;
    if ((rc = upload_table(ctx, g[CLEMBED__W_WORD].w, ctx->wdt, &gw[CLEMBED__GW_WORD])) ||
        (g[CLEMBED__W_POS].w && (rc = upload_table(ctx, g[CLEMBED__W_POS].w, ctx->wdt, &gw[CLEMBED__GW_POS]))) ||
        (g[CLEMBED__W_TYPE].w && (rc = upload_table(ctx, g[CLEMBED__W_TYPE].w, ctx->wdt, &gw[CLEMBED__GW_TYPE]))) ||
        (rc = upload_pair(ctx, &g[CLEMBED__W_EMB_NORM], &gw[CLEMBED__GW_EMB_G], &gw[CLEMBED__GW_EMB_B])) ||
        (rc = upload_pair(ctx, &g[CLEMBED__W_FINAL_NORM], &gw[CLEMBED__GW_FINAL_G], &gw[CLEMBED__GW_FINAL_B])) ||
        (rc = zeros(ctx, ctx->zeros_n, "zeros", &gw[CLEMBED__GW_ZEROS])))
        return rc;
    if (g[CLEMBED__W_EMB_PROJ].w) {
        const clembed__tensor *pw[1] = {g[CLEMBED__W_EMB_PROJ].w};
        if ((rc = upload_stack_t(ctx, pw, 1, ctx->wdt, &gw[CLEMBED__GW_PROJ_W])) ||
            (g[CLEMBED__W_EMB_PROJ].b && (rc = upload_plain(ctx, g[CLEMBED__W_EMB_PROJ].b, &gw[CLEMBED__GW_PROJ_B]))))
            return rc;
    }
    if ((f & CLEMBED__A_REL_BUCKETS) && (rc = upload_rel_bias(ctx)) != CLEMBED_OK)
        return rc;
    if (f & CLEMBED__A_ROTARY) {
        if ((rc = upload_rope(ctx, c->rope_theta, &gw[CLEMBED__GW_COS], &gw[CLEMBED__GW_SIN])))
            return rc;
        int any_sliding = 0;
        for (int l = 0; l < c->num_layers; l++)
            any_sliding |= c->sliding[l];
        if (any_sliding && c->rope_theta_local != c->rope_theta &&
            (rc = upload_rope(ctx, c->rope_theta_local, &gw[CLEMBED__GW_COS_LOCAL], &gw[CLEMBED__GW_SIN_LOCAL])))
            return rc;
    }
    ctx->layers = calloc(m->n_enc_sets ? m->n_enc_sets : 1, sizeof *ctx->layers);
    if (!ctx->layers)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    ctx->n_layers = m->n_enc_sets;
    for (size_t s = 0; s < m->n_enc_sets; s++)
        if ((rc = upload_set(ctx, s, &ctx->layers[s])) != CLEMBED_OK)
            return rc;
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
        const clembed__tensor *dw[1] = {tw};
        if ((rc = upload_stack_t(ctx, dw, 1, CLEMBED__WDT_F32, &s->w)) || (tb && (rc = upload_plain(ctx, tb, &s->b))))
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
    for (int i = 0; i < CLEMBED__N_GW; i++)
        release(&ctx->gw[i]);
    for (size_t l = 0; ctx->layers && l < ctx->n_layers; l++)
        for (int i = 0; i < CLEMBED__N_LW; i++)
            release(&ctx->layers[l].m[i]);
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
