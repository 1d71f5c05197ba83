/* Contexts: a device queue, the model's weights on it, built kernels and the
 * scratch for one batch under the token budget. */
#include "encoder/encoder.h"
#include "runtime/memory.h"
#include "core/util.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sequences per device batch at most: bounds the pooled-vector buffers. */
#define MAX_BATCH 512u
/* Head sizes the attention kernel keeps in private arrays. */
#define MAX_HEAD_DIM 256

/* One OpenCL context per device for the whole process, shared by every
 * clembed context on it: CLBlast caches its compiled GEMM kernels per OpenCL
 * context and only in memory, so a fresh OpenCL context per clembed context
 * would recompile them (seconds to minutes on CPU drivers) each time.  The
 * table keeps one reference for the life of the process. */
#define MAX_SHARED_DEVICES 64
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static cl_context shared[MAX_SHARED_DEVICES];

static cl_context shared_cl_context(const clembed__device *dev, size_t index, cl_int *err)
{
    *err = CL_SUCCESS;
    if (index >= MAX_SHARED_DEVICES)
        return clCreateContext(NULL, 1, &dev->id, NULL, NULL, err);
    pthread_mutex_lock(&shared_lock);
    if (!shared[index])
        shared[index] = clCreateContext(NULL, 1, &dev->id, NULL, NULL, err);
    cl_context c = shared[index];
    if (c)
        clRetainContext(c);   /* the caller's reference */
    pthread_mutex_unlock(&shared_lock);
    return c;
}

void clembed_context_params_init(clembed_context_params *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->size = sizeof *p;
    p->normalize = -1;
}

static const char *act_supported(clembed__act a)
{
    return a <= CLEMBED__ACT_IDENTITY ? NULL : "an activation this library does not know";
}

/* The transformer's configuration and the module chain, checked against what
 * the encoder implements; fills the chain fields of ctx. */
static clembed_status check_model(clembed_context *ctx)
{
    const clembed_model *m = ctx->model;
    const clembed__encoder_config *c = &m->cfg;
    if (!c->arch || !m->enc_sets)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "%s: the model has no encoder description", m->dir);
    if (c->hidden_size <= 0 || c->num_heads <= 0 || c->head_dim <= 0 || c->head_dim > MAX_HEAD_DIM ||
        c->num_layers < 0 || c->intermediate_size <= 0 || c->vocab_size <= 0 ||
        c->max_position_embeddings <= 0 || c->position_offset < 0 ||
        c->position_offset >= c->max_position_embeddings)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: config.json: hidden size %d, %d heads of %d, "
                             "intermediate size %d, max_position_embeddings %d: expected positive "
                             "sizes and heads of at most %d", m->dir, c->hidden_size, c->num_heads,
                             c->head_dim, c->intermediate_size, c->max_position_embeddings, MAX_HEAD_DIM);
    if (act_supported(c->hidden_act))
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: hidden_act is %s", m->dir,
                             act_supported(c->hidden_act));
    size_t i = 0;
    if (m->n_modules == 0 || m->modules[0].kind != CLEMBED__MOD_TRANSFORMER)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: the module chain does not start with the "
                             "transformer", m->dir);
    for (i = 1; i < m->n_modules && m->modules[i].kind != CLEMBED__MOD_POOLING; i++)
        ;
    if (i != 1 || i == m->n_modules)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: modules.json: expected a Pooling module "
                             "right after the transformer", m->dir);
    const clembed__module *pool = &m->modules[1];
    if (pool->n_pool < 1 || pool->n_pool > CLEMBED__POOL_MAX_MODES)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: %s: %d pooling modes; expected 1 to %d",
                             m->dir, pool->path, pool->n_pool, CLEMBED__POOL_MAX_MODES);
    if (pool->pool_in_dim && pool->pool_in_dim != c->hidden_size)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: %s: word_embedding_dimension %d differs from "
                             "hidden_size %d", m->dir, pool->path, pool->pool_in_dim, c->hidden_size);
    ctx->pool_order = 0;
    for (int k = 0; k < pool->n_pool; k++) {
        unsigned bit = pool->pool_list[k], num = 0;
        while (num < 6 && bit != 1u << num)
            num++;
        if (num == 6)
            return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: %s: unknown pooling mode", m->dir,
                                 pool->path);
        ctx->pool_order |= num << (3 * k);
    }
    ctx->pool_n = (uint32_t)pool->n_pool;
    ctx->pool_width = ctx->pool_n * (uint32_t)c->hidden_size;
    ctx->max_width = ctx->pool_width;
    uint32_t width = ctx->pool_width;
    ctx->head = calloc(m->n_modules, sizeof *ctx->head);
    if (!ctx->head)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    for (i = 2; i < m->n_modules; i++) {
        const clembed__module *mod = &m->modules[i];
        clembed__head_step *s = &ctx->head[ctx->n_head++];
        s->kind = mod->kind;
        s->mod = mod;
        if (mod->kind == CLEMBED__MOD_NORMALIZE)
            continue;
        if (mod->kind != CLEMBED__MOD_DENSE)
            return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: module '%s' after pooling: only Dense "
                                 "and Normalize are supported there", m->dir, mod->path);
        if (mod->in_features != (int)width || mod->out_features <= 0)
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: Dense module '%s' takes %d features, but "
                                 "the chain gives it %u", m->dir, mod->path, mod->in_features, width);
        if (act_supported(mod->dense_act))
            return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: Dense module '%s' has %s", m->dir,
                                 mod->path, act_supported(mod->dense_act));
        s->in = width;
        s->out = width = (uint32_t)mod->out_features;
        s->act = mod->dense_act;
        if (width > ctx->max_width)
            ctx->max_width = width;
    }
    ctx->chain_dim = width;
    /* The zero bias serves every width that may lack one. */
    size_t z = (size_t)(c->num_heads + 2 * c->num_kv_heads) * (size_t)c->head_dim;
    size_t wide[] = {2 * (size_t)c->intermediate_size, (size_t)c->hidden_size, ctx->max_width,
                     (size_t)c->emb_size};
    for (size_t k = 0; k < CLEMBED_ARRAY_LEN(wide); k++)
        z = wide[k] > z ? wide[k] : z;
    ctx->zeros_n = z;
    return CLEMBED_OK;
}

/* The prompt and how many of its tokens pooling leaves out, as
 * sentence-transformers counts them: the prompt encoded alone, less a
 * trailing special token. */
static clembed_status resolve_prompt(clembed_context *ctx, const clembed_context_params *p)
{
    const clembed_model *m = ctx->model;
    const char *text = p->prompt;
    if (!text) {
        const char *name = p->prompt_name ? p->prompt_name : m->default_prompt_name;
        if (name) {
            text = clembed__model_prompt(m, name);
            if (!text) {
                char list[512] = "";
                size_t used = 0;
                for (size_t i = 0; i < m->n_prompts && used < sizeof list; i++)
                    used += (size_t)snprintf(list + used, sizeof list - used, "%s'%s'", i ? ", " : "",
                                             m->prompts[i].name);
                return clembed__fail(CLEMBED_ERR_NOT_FOUND, "%s: no prompt named '%s' (the model has %s)",
                                     m->dir, name, m->n_prompts ? list : "none");
            }
        }
    }
    if (!text || !*text)
        return CLEMBED_OK;
    if (!(ctx->prompt = clembed__strdup(text)))
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    if (m->modules[1].include_prompt)
        return CLEMBED_OK;
    if (!m->tokenizer)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "%s: the model was opened without its "
                             "tokenizer, which counts the prompt's tokens", m->dir);
    clembed_encode_params ep;
    clembed_encode_params_init(&ep);
    ep.truncation = 1;
    ep.max_length = ctx->max_tokens;
    ep.padding = 0;
    clembed_encoding *enc = NULL;
    char *seen = clembed__model_text(m, NULL, text);
    if (!seen)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    clembed_status rc = clembed_tokenizer_encode(m->tokenizer, seen, (size_t)-1, NULL, 0, &ep, &enc);
    free(seen);
    if (rc != CLEMBED_OK) {
        clembed__errmsg_prefix("prompt");
        return rc;
    }
    size_t n = enc->n;
    if (n > 0 && enc->special_mask[n - 1])
        n--;
    ctx->prompt_tokens = (uint32_t)n;
    clembed_encoding_free(enc);
    return CLEMBED_OK;
}

/* Builds op's kernel: the profile's choice, else the built-in defaults;
 * parameters that do not fit this model (a vector wider than a row, tiles
 * larger than local memory) are halved until they do. */
static clembed_status build_op(clembed_context *ctx, const char *op, const clembed__shape *s,
                               int scalar, clembed__kinst *out)
{
    const clembed__kernel_def *k =
        clembed__profile_variant(ctx->profile, op, s, clembed__device_cpu_kind(ctx->dev));
    if (!k)
        return clembed__fail(CLEMBED_ERR_INTERNAL, "no kernel for op '%s' in the registry", op);
    int v[CLEMBED_MAX_PARAMS];
    if (ctx->profile && clembed__profile_nearest(ctx->profile, k->kernel, s)) {
        clembed__profile_params(ctx->profile, k, s, v);
        clembed__kernel_fit(k, v, s, ctx->dev, scalar);
    } else {
        clembed__kernel_defaults(k, ctx->dev, s, scalar, v);
    }
    return clembed__kinst_build(ctx->cl, ctx->dev, k, v, s, out);
}

/* The scratch of one batch, listed once: the memory check, the allocation and the release all
 * read this table.  A buffer holds rows x cols floats (int32 for ids) times `mult`, where rows
 * are the batch's tokens (T = batch_tokens) or sequences (B = max_batch), and cols one of the
 * widths below. */
enum { ROWS_T, ROWS_B };
enum {
    COLS_1,
    COLS_H,        /* the hidden size */
    COLS_PRE,      /* H where norms come first (pre-norm), else nothing */
    COLS_QKV,      /* the query, key and value heads, at least H (the attention's projection) */
    COLS_ATTN,     /* the attention's output, H (the feed-forward's), E (ALBERT's embeddings) */
    COLS_INTER,    /* the feed-forward's first GEMM: I, or 2 I gated */
    COLS_GLU,      /* I where the feed-forward is gated, else nothing */
    COLS_WIDTH     /* the widest vector of the module chain */
};

static const struct scratch_def {
    const char *what;         /* for messages */
    size_t field;             /* the cl_mem in clembed_context */
    cl_mem_flags flags;
    int rows, cols;
    unsigned mult;
    const char *writer, *reader;
} scratch_defs[] = {
    {"token ids", offsetof(clembed_context, ids), CL_MEM_READ_ONLY, ROWS_T, COLS_1, 1, "host", "embeddings"},
    {"token types", offsetof(clembed_context, types), CL_MEM_READ_ONLY, ROWS_T, COLS_1, 1, "host",
     "embeddings"},
    {"token positions", offsetof(clembed_context, tpos), CL_MEM_READ_ONLY, ROWS_T, COLS_1, 1, "host",
     "embeddings, qk_prep"},
    {"lengths", offsetof(clembed_context, lens), CL_MEM_READ_ONLY, ROWS_B, COLS_1, 1, "host",
     "attention, pooling"},
    {"sequence offsets", offsetof(clembed_context, offs), CL_MEM_READ_ONLY, ROWS_B, COLS_1, 2, "host",
     "attention, pooling"},
    {"hidden states", offsetof(clembed_context, hidden), CL_MEM_READ_WRITE, ROWS_T, COLS_H, 1,
     "embeddings, layer norms", "GEMMs, pooling"},
    {"normed hidden states", offsetof(clembed_context, normed), CL_MEM_READ_WRITE, ROWS_T, COLS_PRE, 1,
     "the norms of pre-norm layers", "gemm qkv, gemm ffn in, pooling"},
    {"query/key/value", offsetof(clembed_context, qkv), CL_MEM_READ_WRITE, ROWS_T, COLS_QKV, 1,
     "gemm qkv, qk_prep, gemm attention out", "qk_prep, attention, attention layer norm"},
    {"attention output", offsetof(clembed_context, ctxb), CL_MEM_READ_WRITE, ROWS_T, COLS_ATTN, 1,
     "embeddings (projected), attention, gemm ffn out",
     "gemm embedding projection, gemm attention out, feed-forward layer norm"},
    {"feed-forward activations", offsetof(clembed_context, inter), CL_MEM_READ_WRITE, ROWS_T, COLS_INTER, 1,
     "gemm ffn in", "gemm ffn out, glu"},
    {"gated feed-forward activations", offsetof(clembed_context, glu), CL_MEM_READ_WRITE, ROWS_T, COLS_GLU,
     1, "glu", "gemm ffn out"},
    {"pooled vectors", offsetof(clembed_context, vec_a), CL_MEM_READ_WRITE, ROWS_B, COLS_WIDTH, 1,
     "pooling, Dense", "Dense, Normalize"},
    {"pooled vectors", offsetof(clembed_context, vec_b), CL_MEM_READ_WRITE, ROWS_B, COLS_WIDTH, 1,
     "Dense", "Dense, Normalize"},
    {"output vectors", offsetof(clembed_context, vec_out), CL_MEM_WRITE_ONLY, ROWS_B, COLS_WIDTH, 1,
     "truncation and normalization", "host"},
};

static cl_mem *scratch_mem(clembed_context *ctx, const struct scratch_def *d)
{
    return (cl_mem *)((char *)ctx + d->field);
}

static uint64_t scratch_size(const clembed_context *ctx, const struct scratch_def *d)
{
    const clembed__encoder_config *c = &ctx->model->cfg;
    const uint64_t rows = d->rows == ROWS_T ? ctx->batch_tokens : ctx->max_batch;
    const uint64_t H = (uint64_t)c->hidden_size, I = (uint64_t)c->intermediate_size;
    const uint64_t qw = (uint64_t)c->num_heads * c->head_dim, kw = (uint64_t)c->num_kv_heads * c->head_dim;
    const int pre = (c->arch->flags & CLEMBED__A_PRE_NORM) != 0;
    uint64_t cols = 1;
    switch (d->cols) {
    case COLS_H: cols = H; break;
    case COLS_PRE: cols = pre ? H : 0; break;
    case COLS_QKV: cols = qw + 2 * kw > H ? qw + 2 * kw : H; break;
    case COLS_ATTN: cols = qw > H ? qw : H, cols = (uint64_t)c->emb_size > cols ? (uint64_t)c->emb_size : cols; break;
    case COLS_INTER: cols = c->gated ? 2 * I : I; break;
    case COLS_GLU: cols = c->gated ? I : 0; break;
    case COLS_WIDTH: cols = ctx->max_width; break;
    default: break;
    }
    return 4 * rows * cols * d->mult;
}

/* What the context will hold on the device, checked against the device's
 * limits before anything is allocated. */
static clembed_status check_memory(clembed_context *ctx)
{
    const uint64_t T = ctx->batch_tokens;
    uint64_t biggest = 0, scratch_bytes = 0, weights = 0;
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(scratch_defs); i++) {
        uint64_t b = scratch_size(ctx, &scratch_defs[i]);
        scratch_bytes += b;
        if (b > biggest)
            biggest = b;
    }
    for (size_t i = 0; i < ctx->model->n_tensors; i++) {
        const clembed__tensor *t = &ctx->model->tensors[i];
        weights += (t->ndim == 2 && ctx->wdt != CLEMBED__WDT_F32 ? 2 : 4) * (uint64_t)clembed__tensor_numel(t);
    }
    const clembed_device_info *d = &ctx->dev->info;
    clembed__mem_plan plan;
    clembed__device_mem_plan(ctx->dev, &plan);
    if (biggest > plan.max_alloc)
        return clembed__fail(CLEMBED_ERR_DEVICE_MEMORY, "%s: batch_tokens %u needs buffers of %.1f MiB, "
                             "more than the device's largest allocation (%.1f MiB); use a batch_tokens "
                             "(--batch-tokens) of at most %llu", d->name, ctx->batch_tokens,
                             biggest / 1048576.0, plan.max_alloc / 1048576.0,
                             (unsigned long long)(T * plan.max_alloc / biggest));
    if (scratch_bytes + weights > plan.usable)
        return clembed__fail(CLEMBED_ERR_DEVICE_MEMORY, "%s: the model (%.1f MiB) and scratch for "
                             "batch_tokens %u (%.1f MiB) exceed the device's %.1f MiB%s; use a smaller "
                             "batch_tokens (--batch-tokens)", d->name, weights / 1048576.0,
                             ctx->batch_tokens, scratch_bytes / 1048576.0, plan.usable / 1048576.0,
                             plan.host_bound ? " (the host's available memory, which it shares)" : "");
    return CLEMBED_OK;
}

static clembed_status alloc_scratch(clembed_context *ctx)
{
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(scratch_defs); i++) {
        const struct scratch_def *d = &scratch_defs[i];
        size_t bytes = (size_t)scratch_size(ctx, d);
        cl_int err;
        cl_mem *m = scratch_mem(ctx, d);
        if (!bytes)
            continue;   /* this model does without it */
        *m = clembed__create_buffer(ctx->cl, d->flags, bytes, NULL, &err);
        if (!*m)
            return clembed__cl_fail(err, "%s: allocating %s (%zu bytes) for batch_tokens %u; a smaller "
                                    "batch_tokens (--batch-tokens) needs less", ctx->dev->info.name,
                                    d->what, bytes, ctx->batch_tokens);
        ctx->scratch_bytes += bytes;
    }
    const size_t T = ctx->batch_tokens, V = (size_t)ctx->max_batch * ctx->max_width * sizeof(float);
    ctx->h_ids = malloc(T * sizeof *ctx->h_ids);
    ctx->h_types = malloc(T * sizeof *ctx->h_types);
    ctx->h_tpos = malloc(T * sizeof *ctx->h_tpos);
    ctx->h_lens = malloc(ctx->max_batch * sizeof *ctx->h_lens);
    ctx->h_offs = malloc((ctx->max_batch + 1) * sizeof *ctx->h_offs);
    ctx->h_out = malloc(V);
    if (!ctx->h_ids || !ctx->h_types || !ctx->h_tpos || !ctx->h_lens || !ctx->h_offs || !ctx->h_out)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    return CLEMBED_OK;
}

/* The shape kernel `which` (CLEMBED__KERNEL_LIST) is built for.  GEMM shapes
 * are m = tokens, n = inter, k = hidden, as clembed__op_shapes has them; the
 * attention's are its heads (hidden = heads * head_dim). */
enum { SHAPE_MAIN, SHAPE_ACT, SHAPE_EMB, SHAPE_ATTN, SHAPE_HEAD, SHAPE_GEMM_QKV, SHAPE_GEMM_O, SHAPE_GEMM_FFN_IN,
       SHAPE_GEMM_FFN_OUT, SHAPE_GEMM_HEAD, SHAPE_GEMM_EMB_PROJ };

static clembed__shape kernel_shape(const clembed_context *ctx, int which)
{
    const clembed__encoder_config *c = &ctx->model->cfg;
    const uint32_t H = (uint32_t)c->hidden_size, I = (uint32_t)c->intermediate_size;
    const uint32_t QW = (uint32_t)(c->num_heads * c->head_dim), KW = (uint32_t)(c->num_kv_heads * c->head_dim);
    clembed__shape s = {.tokens = ctx->batch_tokens, .hidden = H, .heads = (uint32_t)c->num_heads,
                        .seq = ctx->max_tokens, .batch = ctx->max_batch, .inter = I};
    if (which == SHAPE_EMB || (which >= SHAPE_GEMM_QKV && which != SHAPE_GEMM_HEAD))
        s.wdtype = (uint32_t)ctx->wdt;
    switch (which) {
    case SHAPE_ACT: {
        /* bias_act serves every GEMM a provider leaves the epilogue of: its vectors divide all
         * their widths. */
        uint32_t g = I, h = H;
        while (h) {
            uint32_t r = g % h;
            g = h, h = r;
        }
        s.inter = g;
        break;
    }
    case SHAPE_EMB: s.hidden = (uint32_t)c->emb_size; break;
    case SHAPE_ATTN: s.hidden = QW; break;
    case SHAPE_HEAD:
    case SHAPE_GEMM_HEAD:
        s.tokens = s.batch;
        s.hidden = ctx->max_width;
        s.inter = 1;
        break;
    case SHAPE_GEMM_QKV: s.inter = QW + 2 * KW; break;
    case SHAPE_GEMM_O: s.inter = H, s.hidden = QW; break;
    case SHAPE_GEMM_FFN_IN: s.inter = c->gated ? 2 * I : I; break;
    case SHAPE_GEMM_FFN_OUT: s.inter = H, s.hidden = I; break;
    case SHAPE_GEMM_EMB_PROJ: s.inter = H, s.hidden = (uint32_t)c->emb_size; break;
    default: break;
    }
    return s;
}

/* The GEMMs of a context: the op they are timed under, their kernel and its shape. */
static const struct gemm_use {
    int op, kernel, shape;
} gemm_uses[] = {
    {CLEMBED__OP_GEMM_EMB, CLEMBED__K_EMB_PROJ, SHAPE_GEMM_EMB_PROJ},
    {CLEMBED__OP_GEMM_QKV, CLEMBED__K_QKV, SHAPE_GEMM_QKV},
    {CLEMBED__OP_GEMM_O, CLEMBED__K_O, SHAPE_GEMM_O},
    {CLEMBED__OP_GEMM_FFN_IN, CLEMBED__K_FFN_IN, SHAPE_GEMM_FFN_IN},
    {CLEMBED__OP_GEMM_FFN_OUT, CLEMBED__K_FFN_OUT, SHAPE_GEMM_FFN_OUT},
    {CLEMBED__OP_GEMM_DENSE, CLEMBED__K_GEMM_HEAD, SHAPE_GEMM_HEAD},
};

/* The provider of each GEMM: CLEMBED_GEMM, else the profile's fastest at the nearest shape,
 * else the device's default. */
static void choose_gemm_providers(clembed_context *ctx)
{
    const int env = clembed__gemm_provider_env(ctx->dev), def = clembed__gemm_provider_default(ctx->dev);
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(gemm_uses); i++) {
        int p = env;
        if (p < 0) {
            const clembed__shape s = kernel_shape(ctx, gemm_uses[i].shape);
            const char *name = clembed__profile_gemm_provider(ctx->profile, &s);
            p = clembed__gemm_provider_find(name);
            if (!clembed__gemm_provider_available(p, ctx->dev))
                p = def;
        }
        ctx->gemm_prov[gemm_uses[i].op] = p;
    }
}

/* The dtype the model's encoder matrices are stored in: F16 or BF16 when all of them are,
 * else F32. */
static int file_wdtype(const clembed_model *m)
{
    int seen = -1;
    for (size_t s = 0; s < m->n_enc_sets; s++)
        for (int r = 0; r < CLEMBED__N_WROLES; r++) {
            const clembed__tensor *t = m->enc_sets[s][r].w;
            if (!t || t->ndim != 2)
                continue;
            int d = t->dtype == CLEMBED__F16 ? CLEMBED__WDT_F16 : t->dtype == CLEMBED__BF16 ? CLEMBED__WDT_BF16
                                                                                          : CLEMBED__WDT_F32;
            if (seen >= 0 && d != seen)
                return CLEMBED__WDT_F32;
            seen = d;
        }
    return seen < 0 ? CLEMBED__WDT_F32 : seen;
}

/* How the encoder's matrices and embedding tables are stored (ctx->wdt): see
 * clembed_context_params.precision.  16-bit storage makes the encoder's GEMMs run on the kernel,
 * the provider that reads it. */
static clembed_status choose_precision(clembed_context *ctx, const char *param)
{
    const char *p = param, *from = "precision";
    if (!p || !*p || !strcmp(p, "auto")) {
        p = getenv("CLEMBED_PRECISION");
        from = "CLEMBED_PRECISION";
    }
    const int file = file_wdtype(ctx->model);
    int kernel_everywhere = 1;
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(gemm_uses); i++)
        if (gemm_uses[i].op != CLEMBED__OP_GEMM_DENSE && ctx->gemm_prov[gemm_uses[i].op] != CLEMBED__GP_KERNEL)
            kernel_everywhere = 0;
    ctx->wdt = kernel_everywhere ? file : CLEMBED__WDT_F32;
    if (!p || !*p || !strcmp(p, "auto"))
        return CLEMBED_OK;
    if (!strcmp(p, "fp32")) {
        ctx->wdt = CLEMBED__WDT_F32;
        return CLEMBED_OK;
    }
    if (strcmp(p, "fp16") != 0) {
        if (param == p)
            return clembed__fail(CLEMBED_ERR_INVALID_ARG, "precision '%s': expected fp32, fp16 or auto", p);
        if (clembed__log_once("CLEMBED_PRECISION"))
            clembed__warn("%s='%s' is not fp32, fp16 or auto; ignored", from, p);
        return CLEMBED_OK;
    }
    ctx->wdt = file == CLEMBED__WDT_BF16 ? CLEMBED__WDT_BF16 : CLEMBED__WDT_F16;
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(gemm_uses); i++)
        if (gemm_uses[i].op != CLEMBED__OP_GEMM_DENSE)
            ctx->gemm_prov[gemm_uses[i].op] = CLEMBED__GP_KERNEL;
    return CLEMBED_OK;
}

/* Whether the model runs kernel `which` at all. */
static int kernel_needed(const clembed_context *ctx, int which)
{
    const clembed__encoder_config *c = &ctx->model->cfg;
    const unsigned f = c->arch->flags;
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(gemm_uses); i++)
        if (gemm_uses[i].kernel == which)
            return ctx->gemm_prov[gemm_uses[i].op] == CLEMBED__GP_KERNEL &&
                   (which != CLEMBED__K_EMB_PROJ || (f & CLEMBED__A_EMB_PROJ));
    switch (which) {
    case CLEMBED__K_PREP: return clembed__encoder_needs_prep(c);
    case CLEMBED__K_GLU: return c->gated;
    default: return 1;
    }
}

static const struct kernel_use {
    const char *op;
    int shape, scalar;
} kernel_uses[CLEMBED__N_KERNELS] = {
#define CLEMBED_X_(id, op, shape, scalar) {op, SHAPE_##shape, scalar},
    CLEMBED__KERNEL_LIST(CLEMBED_X_)
#undef CLEMBED_X_
};

clembed_status clembed_context_new(const clembed_model *model, const clembed_context_params *params,
                                   clembed_context **out)
{
    clembed_context_params p;
    clembed_context_params_init(&p);
    if (!out)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_context_new: out is NULL");
    *out = NULL;
    if (!model)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_context_new: model is NULL");
    if (params) {
        if (params->size < offsetof(clembed_context_params, device) || params->size > sizeof p)
            return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_context_new: params.size is %zu; "
                                 "call clembed_context_params_init() first", params->size);
        memcpy(&p, params, params->size);
    }
    if (p.normalize < -1 || p.normalize > 1)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "normalize is %d: expected -1, 0 or 1", p.normalize);

    clembed_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    ctx->model = model;
    ctx->normalize = p.normalize;
    ctx->profiling = p.profiling != 0;
    const clembed__encoder_config *c = &model->cfg;
    clembed_status rc = check_model(ctx);
    if (rc != CLEMBED_OK)
        goto fail;

    /* Sequence length: the caller's, else the model's, within the position table. */
    uint32_t positions = (uint32_t)(c->max_position_embeddings - c->position_offset);
    ctx->max_tokens = p.max_tokens ? p.max_tokens : (uint32_t)model->max_seq_length;
    if (!ctx->max_tokens || ctx->max_tokens > positions)
        ctx->max_tokens = positions;
    if (ctx->max_tokens < 2) {
        rc = clembed__fail(CLEMBED_ERR_INVALID_ARG, "max_tokens %u leaves no room for text", ctx->max_tokens);
        goto fail;
    }
    /* truncate_dim: the caller's, else the model's (config_sentence_transformers.json). */
    size_t truncate = p.truncate_dim ? p.truncate_dim : model->truncate_dim;
    if (truncate > ctx->chain_dim) {
        rc = clembed__fail(CLEMBED_ERR_INVALID_ARG, "truncate_dim %zu exceeds the model's dimension %u",
                           truncate, ctx->chain_dim);
        goto fail;
    }
    ctx->out_dim = truncate ? (uint32_t)truncate : ctx->chain_dim;

    size_t index;
    rc = p.device && *p.device ? clembed_device_select(p.device, &index) : clembed_device_default(&index, NULL, 0);
    if (rc != CLEMBED_OK)
        goto fail;
    ctx->dev = clembed__device_at(index);
    ctx->timeline.label = ctx->dev->info.name;
    cl_int err;
    ctx->cl = shared_cl_context(ctx->dev, index, &err);
    if (!ctx->cl) {
        rc = clembed__cl_fail(err, "%s: clCreateContext", ctx->dev->info.name);
        goto fail;
    }
    ctx->q = clCreateCommandQueue(ctx->cl, ctx->dev->id, ctx->profiling ? CL_QUEUE_PROFILING_ENABLE : 0,
                                  &err);
    if (!ctx->q) {
        rc = clembed__cl_fail(err, "%s: clCreateCommandQueue", ctx->dev->info.name);
        goto fail;
    }
    if ((rc = clembed__profile_load_for_device(ctx->dev, p.profile, &ctx->profile)) != CLEMBED_OK)
        goto fail;

    ctx->batch_tokens = p.batch_tokens ? p.batch_tokens : clembed__profile_batch_tokens(ctx->profile);
    if (!ctx->batch_tokens)
        ctx->batch_tokens = CLEMBED__DEFAULT_BATCH_TOKENS;
    if (ctx->batch_tokens < ctx->max_tokens) {
        clembed__info("batch_tokens %u raised to the sequence length %u", ctx->batch_tokens,
                      ctx->max_tokens);
        ctx->batch_tokens = ctx->max_tokens;
    }
    ctx->max_batch = ctx->batch_tokens < MAX_BATCH ? ctx->batch_tokens : MAX_BATCH;
    if ((rc = resolve_prompt(ctx, &p)) != CLEMBED_OK)
        goto fail;
    choose_gemm_providers(ctx);
    if ((rc = choose_precision(ctx, p.size > offsetof(clembed_context_params, precision) ? p.precision : NULL)) ||
        (rc = check_memory(ctx)) != CLEMBED_OK)
        goto fail;
    for (int i = 0; i < CLEMBED__N_KERNELS; i++) {
        const struct kernel_use *u = &kernel_uses[i];
        if (!kernel_needed(ctx, i))
            continue;
        const clembed__shape s = kernel_shape(ctx, u->shape);
        if ((rc = build_op(ctx, u->op, &s, u->scalar, &ctx->k[i])) != CLEMBED_OK)
            goto fail;
    }
    if ((rc = clembed__encoder_upload(ctx)) != CLEMBED_OK || (rc = alloc_scratch(ctx)) != CLEMBED_OK)
        goto fail;
    clembed__debug("context on %s: %u tokens per sequence, %u per batch, %.1f MiB on the device",
                   ctx->dev->info.name, ctx->max_tokens, ctx->batch_tokens,
                   (ctx->weight_bytes + ctx->scratch_bytes) / 1048576.0);
    *out = ctx;
    return CLEMBED_OK;
fail:
    clembed_context_free(ctx);
    return rc;
}

void clembed_context_free(clembed_context *ctx)
{
    if (!ctx)
        return;
    if (ctx->q)
        clFinish(ctx->q);
    clembed__timeline_release(&ctx->timeline);
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(scratch_defs); i++) {
        cl_mem *m = scratch_mem(ctx, &scratch_defs[i]);
        if (*m)
            clReleaseMemObject(*m);
    }
    clembed__encoder_release(ctx);
    for (int i = 0; i < CLEMBED__N_KERNELS; i++)
        clembed__kinst_release(&ctx->k[i]);
    if (ctx->q)
        clReleaseCommandQueue(ctx->q);
    if (ctx->cl)
        clReleaseContext(ctx->cl);
    clembed__profile_free(ctx->profile);
    free(ctx->head);
    free(ctx->prompt);
    free(ctx->h_ids);
    free(ctx->h_types);
    free(ctx->h_lens);
    free(ctx->h_tpos);
    free(ctx->h_offs);
    free(ctx->h_out);
    free(ctx);
}

size_t clembed_context_dim(const clembed_context *ctx)
{
    return ctx ? ctx->out_dim : 0;
}

clembed_status clembed_context_device_bytes(const clembed_context *ctx, size_t *weights, size_t *scratch)
{
    if (!ctx)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_context_device_bytes: ctx is NULL");
    if (weights)
        *weights = (size_t)ctx->weight_bytes;
    if (scratch)
        *scratch = (size_t)ctx->scratch_bytes;
    return CLEMBED_OK;
}

const char *clembed_context_precision(const clembed_context *ctx)
{
    static const char *const names[] = {"fp32", "fp16", "bf16"};
    return ctx ? names[ctx->wdt] : NULL;
}

size_t clembed_context_op_times(const clembed_context *ctx, clembed_op_time *times, size_t cap)
{
    static const char *const names[] = {
#define CLEMBED_X_(id, name) name,
        CLEMBED__OP_LIST(CLEMBED_X_)
#undef CLEMBED_X_
    };
    size_t n = 0;
    if (!ctx)
        return 0;
    for (size_t i = 0; i < CLEMBED__N_OPS; i++) {
        if (!ctx->timeline.calls[i])
            continue;
        if (n < cap && times) {
            times[n].op = names[i];
            times[n].seconds = ctx->timeline.seconds[i];
            times[n].calls = ctx->timeline.calls[i];
            times[n].flops = ctx->timeline.flops[i];
            times[n].bytes = ctx->timeline.bytes[i];
            times[n].provider = NULL;
            for (size_t g = 0; g < CLEMBED_ARRAY_LEN(gemm_uses); g++)
                if (gemm_uses[g].op == (int)i)
                    times[n].provider = clembed__gemm_provider_name(ctx->gemm_prov[i]);
        }
        n++;
    }
    return n;
}
