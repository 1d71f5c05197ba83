/* The BERT encoder and the sentence-transformers module chain on the device:
 * weight upload, and the forward pass over one packed batch. */
#define _DEFAULT_SOURCE   /* madvise */
#include "encoder.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* ---- weights ------------------------------------------------------------ */

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
    *out = clCreateBuffer(ctx->cl, CL_MEM_READ_ONLY | (in_place ? CL_MEM_USE_HOST_PTR : CL_MEM_COPY_HOST_PTR),
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

static const clembed__tensor *find(const clembed_model *m, const char *name)
{
    const clembed__tensor *t = clembed__model_tensor(m, name);
    if (t)
        return t;
    /* Checkpoints from the TensorFlow era name layer norms gamma and beta. */
    char alt[256];
    size_t n = strlen(name);
    if (n > 7 && strcmp(name + n - 7, ".weight") == 0) {
        snprintf(alt, sizeof alt, "%.*s.gamma", (int)(n - 7), name);
        return clembed__model_tensor(m, alt);
    }
    if (n > 5 && strcmp(name + n - 5, ".bias") == 0 && strstr(name, "LayerNorm")) {
        snprintf(alt, sizeof alt, "%.*s.beta", (int)(n - 5), name);
        return clembed__model_tensor(m, alt);
    }
    return NULL;
}

static clembed_status want(const clembed_model *m, const char *name, int64_t rows, int64_t cols,
                           const clembed__tensor **out)
{
    const clembed__tensor *t = find(m, name);
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
    if (find(m, "embeddings.token_type_embeddings.weight"))
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

/* ---- profiling ---------------------------------------------------------- */

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

clembed_status clembed__track_event(clembed_context *ctx, int op, cl_event a, cl_event b)
{
    if (ctx->host_timing) {
        /* The driver gives no timestamps: wait for the op and time it here. */
        cl_int err = clFinish(ctx->q);
        double now = wall_s();
        ctx->op_seconds[op] += now - ctx->host_t0;
        ctx->op_calls[op]++;
        ctx->host_t0 = now;
        clReleaseEvent(a);
        if (b)
            clReleaseEvent(b);
        return err == CL_SUCCESS ? CLEMBED_OK
                                 : clembed__cl_fail(err, "%s: running the encoder", ctx->dev->info.name);
    }
    if (ctx->n_events == ctx->cap_events) {
        size_t cap = ctx->cap_events ? 2 * ctx->cap_events : 256;
        struct clembed__timed *grown = realloc(ctx->events, cap * sizeof *grown);
        if (!grown) {
            clReleaseEvent(a);
            if (b)
                clReleaseEvent(b);
            return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        }
        ctx->events = grown;
        ctx->cap_events = cap;
    }
    ctx->events[ctx->n_events++] = (struct clembed__timed){op, a, b};
    return CLEMBED_OK;
}

static double stamp(cl_event e, cl_profiling_info what)
{
    cl_ulong t = 0;
    clGetEventProfilingInfo(e, what, sizeof t, &t, NULL);
    return 1e-9 * (double)t;
}

clembed_status clembed__collect_events(clembed_context *ctx)
{
    cl_int err = clFinish(ctx->q);
    int stamped = 0;
    for (size_t i = 0; i < ctx->n_events && err == CL_SUCCESS; i++)
        stamped |= !ctx->events[i].b && stamp(ctx->events[i].a, CL_PROFILING_COMMAND_END) -
                                                stamp(ctx->events[i].a, CL_PROFILING_COMMAND_START) > 1e-6;
    if (ctx->n_events && err == CL_SUCCESS && !stamped) {
        /* Mesa's rusticl 22 stamps every command 0, 1, 2, 3 (nanoseconds). */
        clembed__info("%s gives no event timestamps; ops are timed on the host from now on",
                      ctx->dev->info.name);
        ctx->host_timing = 1;
    }
    for (size_t i = 0; i < ctx->n_events; i++) {
        struct clembed__timed *t = &ctx->events[i];
        if (err == CL_SUCCESS && stamped) {
            double s = t->b ? stamp(t->b, CL_PROFILING_COMMAND_END) - stamp(t->a, CL_PROFILING_COMMAND_END)
                            : stamp(t->a, CL_PROFILING_COMMAND_END) - stamp(t->a, CL_PROFILING_COMMAND_START);
            ctx->op_seconds[t->op] += s > 0 ? s : 0;
            ctx->op_calls[t->op]++;
        }
        clReleaseEvent(t->a);
        if (t->b)
            clReleaseEvent(t->b);
    }
    ctx->n_events = 0;
    if (err != CL_SUCCESS)
        return clembed__cl_fail(err, "%s: running the encoder", ctx->dev->info.name);
    return CLEMBED_OK;
}

/* ---- the forward pass --------------------------------------------------- */

/* After a launch: keep its event for profiling, or map its error. */
static clembed_status launched(clembed_context *ctx, int op, cl_int err, cl_event ev, const char *what)
{
    if (err != CL_SUCCESS) {
        if (ev)
            clReleaseEvent(ev);
        return clembed__cl_fail(err, "%s: %s", ctx->dev->info.name, what);
    }
    return ev ? clembed__track_event(ctx, op, ev, NULL) : CLEMBED_OK;
}

#define EV (ctx->profiling ? &ev : NULL)
#define RUN(op, call, what)                                                   \
    do {                                                                      \
        cl_event ev = NULL;                                                   \
        cl_int err_ = (call);                                                 \
        if ((rc = launched(ctx, (op), err_, ev, (what))) != CLEMBED_OK)        \
            goto fail;                                                        \
    } while (0)

clembed_status clembed__encoder_run(clembed_context *ctx, uint32_t batch, uint32_t seq)
{
    const clembed__encoder_config *c = &ctx->model->cfg;
    const uint32_t H = (uint32_t)c->hidden_size, I = (uint32_t)c->intermediate_size;
    const uint32_t NH = (uint32_t)c->num_heads, T = batch * seq;
    const float eps = c->layer_norm_eps, scale = 1.0f / sqrtf((float)(H / NH));
    cl_command_queue q = ctx->q;
    clembed_status rc = CLEMBED_OK;

    ctx->host_t0 = wall_s();
    RUN(CLEMBED__OP_WRITE, clEnqueueWriteBuffer(q, ctx->ids, CL_FALSE, 0, T * sizeof(int32_t),
                                                ctx->h_ids, 0, NULL, EV), "writing token ids");
    RUN(CLEMBED__OP_WRITE, clEnqueueWriteBuffer(q, ctx->types, CL_FALSE, 0, T * sizeof(int32_t),
                                                ctx->h_types, 0, NULL, EV), "writing token types");
    RUN(CLEMBED__OP_WRITE, clEnqueueWriteBuffer(q, ctx->lens, CL_FALSE, 0, batch * sizeof(uint32_t),
                                                ctx->h_lens, 0, NULL, EV), "writing lengths");
    RUN(CLEMBED__OP_EMB, clembed__launch_embeddings(q, &ctx->k_emb, ctx->ids, ctx->types, ctx->word,
                                                    ctx->pos, ctx->type, ctx->emb_g, ctx->emb_b,
                                                    ctx->hidden, T, H, seq, c->position_offset, eps, EV),
        "embeddings");
    for (int l = 0; l < ctx->n_layers; l++) {
        const clembed__layer_w *w = &ctx->layers[l];
        if ((rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_QKV, T, 3 * H, H, ctx->hidden, w->qkv_w,
                                ctx->qkv, &ctx->k_qkv, NULL, 0, NULL)) != CLEMBED_OK)
            goto fail;
        RUN(CLEMBED__OP_ATTN, clembed__launch_attention(q, &ctx->k_attn, ctx->qkv, w->qkv_b, ctx->lens,
                                                        ctx->ctxb, batch, seq, H, NH, scale, EV),
            "attention");
        if ((rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_O, T, H, H, ctx->ctxb, w->o_w, ctx->qkv, &ctx->k_o,
                                NULL, 0, NULL)))
            goto fail;
        /* The projections write into buffers whose contents are spent: the
         * attention's into qkv, the feed-forward's into ctxb. */
        RUN(CLEMBED__OP_LN, clembed__launch_add_layernorm(q, &ctx->k_ln, ctx->qkv, w->o_b, ctx->hidden,
                                                          w->ln1_g, w->ln1_b, ctx->hidden, T, H, eps, EV),
            "attention output layer norm");
        if ((rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_FFN_IN, T, I, H, ctx->hidden, w->i_w, ctx->inter,
                                &ctx->k_ffn_in, w->i_b, (int)c->hidden_act, &ctx->k_act)))
            goto fail;
        if ((rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_FFN_OUT, T, H, I, ctx->inter, w->out_w, ctx->ctxb,
                                &ctx->k_ffn_out, NULL, 0, NULL)))
            goto fail;
        RUN(CLEMBED__OP_LN, clembed__launch_add_layernorm(q, &ctx->k_ln, ctx->ctxb, w->out_b, ctx->hidden,
                                                          w->ln2_g, w->ln2_b, ctx->hidden, T, H, eps, EV),
            "feed-forward layer norm");
    }
    RUN(CLEMBED__OP_POOL, clembed__launch_pooling(q, &ctx->k_pool, ctx->hidden, ctx->lens, ctx->vec_a,
                                                  batch, seq, H, ctx->pool_order, ctx->pool_n,
                                                  ctx->prompt_tokens, EV),
        "pooling");
    cl_mem cur = ctx->vec_a, spare = ctx->vec_b;
    uint32_t width = ctx->pool_width;
    for (size_t i = 0; i < ctx->n_head; i++) {
        const clembed__head_step *s = &ctx->head[i];
        if (s->kind == CLEMBED__MOD_DENSE) {
            if ((rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_DENSE, batch, s->out, s->in, cur, s->w, spare,
                                    &ctx->k_gemm_head, s->b, (int)s->act, &ctx->k_act_head)))
                goto fail;
            cl_mem t = cur;
            cur = spare;
            spare = t;
            width = s->out;
        } else if (ctx->normalize != 0) {
            RUN(CLEMBED__OP_L2, clembed__launch_l2norm(q, &ctx->k_l2, cur, width, cur, width, batch, width,
                                                       1, EV),
                "Normalize");
        }
    }
    RUN(CLEMBED__OP_L2, clembed__launch_l2norm(q, &ctx->k_l2, cur, width, ctx->vec_out, ctx->out_dim,
                                               batch, ctx->out_dim, ctx->normalize == 1, EV),
        "truncation and normalization");
    RUN(CLEMBED__OP_READ, clEnqueueReadBuffer(q, ctx->vec_out, CL_FALSE, 0,
                                              (size_t)batch * ctx->out_dim * sizeof(float), ctx->h_out,
                                              0, NULL, EV),
        "reading the vectors");
    return clembed__collect_events(ctx);
fail:
    clFinish(q);
    {
        char *msg = clembed__strdup(clembed_errmsg());
        clembed__collect_events(ctx);
        clembed__fail(rc, "%s", msg ? msg : "");
        free(msg);
    }
    return rc;
}
