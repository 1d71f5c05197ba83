/* Contexts: a device queue, the model's weights on it, built kernels and the
 * scratch for one batch under the token budget. */
#include "encoder.h"
#include "util.h"

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
    if (strcmp(c->model_type, "bert") != 0)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: model_type '%s': this encoder runs BERT "
                             "models (model_type 'bert')", m->dir, c->model_type);
    if (c->hidden_size <= 0 || c->num_heads <= 0 || c->hidden_size % c->num_heads != 0 ||
        c->hidden_size / c->num_heads > MAX_HEAD_DIM || c->num_layers < 0 ||
        c->intermediate_size <= 0 || c->vocab_size <= 0 || c->max_position_embeddings <= 0 ||
        c->position_offset < 0 || c->position_offset >= c->max_position_embeddings)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: config.json: hidden_size %d, "
                             "num_attention_heads %d, intermediate_size %d, max_position_embeddings "
                             "%d: expected positive sizes, heads dividing hidden_size into heads of at "
                             "most %d", m->dir, c->hidden_size, c->num_heads, c->intermediate_size,
                             c->max_position_embeddings, MAX_HEAD_DIM);
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
        clembed__profile_variant(ctx->profile, op, s, ctx->dev->info.type == CLEMBED_DEVICE_CPU);
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

static clembed_status scratch(clembed_context *ctx, size_t bytes, cl_mem_flags flags, const char *what,
                              cl_mem *out)
{
    cl_int err;
    *out = clCreateBuffer(ctx->cl, flags, bytes, NULL, &err);
    if (!*out)
        return clembed__cl_fail(err, "%s: allocating %s (%zu bytes) for batch_tokens %u; a smaller "
                                "batch_tokens (--batch-tokens) needs less", ctx->dev->info.name, what,
                                bytes, ctx->batch_tokens);
    ctx->scratch_bytes += bytes;
    return CLEMBED_OK;
}

/* What the context will hold on the device, checked against the device's
 * limits before anything is allocated. */
static clembed_status check_memory(clembed_context *ctx)
{
    const clembed__encoder_config *c = &ctx->model->cfg;
    const uint64_t T = ctx->batch_tokens, H = (uint64_t)c->hidden_size;
    const uint64_t I = (uint64_t)c->intermediate_size;
    const uint64_t biggest = 4 * T * (3 * H > I ? 3 * H : I);
    const uint64_t scratch_bytes = 4 * T * (5 * H + I) + 8 * T + 12ull * ctx->max_batch * ctx->max_width;
    uint64_t weights = 0;
    for (size_t i = 0; i < ctx->model->n_tensors; i++)
        weights += 4 * (uint64_t)clembed__tensor_numel(&ctx->model->tensors[i]);
    const clembed_device_info *d = &ctx->dev->info;
    if (biggest > d->max_alloc_bytes)
        return clembed__fail(CLEMBED_ERR_DEVICE_MEMORY, "%s: batch_tokens %u needs buffers of %.1f MiB, "
                             "more than the device's largest allocation (%.1f MiB); use a batch_tokens "
                             "(--batch-tokens) of at most %llu", d->name, ctx->batch_tokens,
                             biggest / 1048576.0, d->max_alloc_bytes / 1048576.0,
                             (unsigned long long)(T * d->max_alloc_bytes / biggest));
    if (scratch_bytes + weights > d->global_mem_bytes)
        return clembed__fail(CLEMBED_ERR_DEVICE_MEMORY, "%s: the model (%.1f MiB) and scratch for "
                             "batch_tokens %u (%.1f MiB) exceed the device's %.1f MiB; use a smaller "
                             "batch_tokens (--batch-tokens)", d->name, weights / 1048576.0,
                             ctx->batch_tokens, scratch_bytes / 1048576.0,
                             d->global_mem_bytes / 1048576.0);
    return CLEMBED_OK;
}

static clembed_status alloc_scratch(clembed_context *ctx)
{
    const clembed__encoder_config *c = &ctx->model->cfg;
    const size_t T = ctx->batch_tokens, H = (size_t)c->hidden_size, I = (size_t)c->intermediate_size;
    const size_t V = (size_t)ctx->max_batch * ctx->max_width * sizeof(float);
    const cl_mem_flags rw = CL_MEM_READ_WRITE;
    clembed_status rc;
    if ((rc = scratch(ctx, T * 4, CL_MEM_READ_ONLY, "token ids", &ctx->ids)) ||
        (rc = scratch(ctx, T * 4, CL_MEM_READ_ONLY, "token types", &ctx->types)) ||
        (rc = scratch(ctx, ctx->max_batch * 4, CL_MEM_READ_ONLY, "lengths", &ctx->lens)) ||
        (rc = scratch(ctx, T * H * 4, rw, "hidden states", &ctx->hidden)) ||
        (rc = scratch(ctx, T * 3 * H * 4, rw, "query/key/value", &ctx->qkv)) ||
        (rc = scratch(ctx, T * H * 4, rw, "attention output", &ctx->ctxb)) ||
        (rc = scratch(ctx, T * I * 4, rw, "feed-forward activations", &ctx->inter)) ||
        (rc = scratch(ctx, V, rw, "pooled vectors", &ctx->vec_a)) ||
        (rc = scratch(ctx, V, rw, "pooled vectors", &ctx->vec_b)) ||
        (rc = scratch(ctx, V, CL_MEM_WRITE_ONLY, "output vectors", &ctx->vec_out)))
        return rc;
    ctx->h_ids = malloc(T * sizeof *ctx->h_ids);
    ctx->h_types = malloc(T * sizeof *ctx->h_types);
    ctx->h_lens = malloc(ctx->max_batch * sizeof *ctx->h_lens);
    ctx->h_out = malloc(V);
    if (!ctx->h_ids || !ctx->h_types || !ctx->h_lens || !ctx->h_out)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    return CLEMBED_OK;
}

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
    if ((rc = clembed_device_select(p.device, &index)) != CLEMBED_OK)
        goto fail;
    ctx->dev = clembed__device_at(index);
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
    if ((rc = resolve_prompt(ctx, &p)) != CLEMBED_OK || (rc = check_memory(ctx)) != CLEMBED_OK)
        goto fail;

    const clembed__shape s = {.tokens = ctx->batch_tokens, .hidden = (uint32_t)c->hidden_size,
                              .heads = (uint32_t)c->num_heads, .seq = ctx->max_tokens,
                              .batch = ctx->max_batch, .inter = (uint32_t)c->intermediate_size};
    clembed__shape head = s;
    head.tokens = head.batch;
    head.hidden = ctx->max_width;
    head.inter = 1;
    if ((rc = build_op(ctx, "embeddings", &s, 0, &ctx->k_emb)) ||
        (rc = build_op(ctx, "add_layernorm", &s, 0, &ctx->k_ln)) ||
        (rc = build_op(ctx, "bias_act", &s, 0, &ctx->k_act)) ||
        (rc = build_op(ctx, "bias_act", &head, 1, &ctx->k_act_head)) ||
        (rc = build_op(ctx, "attention", &s, 0, &ctx->k_attn)) ||
        (rc = build_op(ctx, "pooling", &s, 0, &ctx->k_pool)) ||
        (rc = build_op(ctx, "l2norm", &head, 0, &ctx->k_l2)))
        goto fail;
    ctx->gemm_clblast = clembed__gemm_uses_clblast(ctx->dev);
    if (!ctx->gemm_clblast) {
        /* GEMM shapes: m = tokens, n = inter, k = hidden (as clembed__op_shapes has them). */
        const uint32_t H = s.hidden, I = s.inter;
        clembed__shape qkv = s, o = s, ffn_in = s, ffn_out = s, gh = head;
        qkv.inter = 3 * H;
        o.inter = H;
        ffn_in.inter = I;
        ffn_out.inter = H;
        ffn_out.hidden = I;
        gh.inter = 1;
        if ((rc = build_op(ctx, "gemm", &qkv, 0, &ctx->k_qkv)) || (rc = build_op(ctx, "gemm", &o, 0, &ctx->k_o)) ||
            (rc = build_op(ctx, "gemm", &ffn_in, 0, &ctx->k_ffn_in)) ||
            (rc = build_op(ctx, "gemm", &ffn_out, 0, &ctx->k_ffn_out)) ||
            (rc = build_op(ctx, "gemm", &gh, 1, &ctx->k_gemm_head)))
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
    for (size_t i = 0; i < ctx->n_events; i++) {
        clReleaseEvent(ctx->events[i].a);
        if (ctx->events[i].b)
            clReleaseEvent(ctx->events[i].b);
    }
    free(ctx->events);
    cl_mem *bufs[] = {&ctx->ids, &ctx->types, &ctx->lens, &ctx->hidden, &ctx->qkv, &ctx->ctxb,
                      &ctx->inter, &ctx->vec_a, &ctx->vec_b, &ctx->vec_out};
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(bufs); i++)
        if (*bufs[i])
            clReleaseMemObject(*bufs[i]);
    clembed__encoder_release(ctx);
    clembed__kinst *ks[] = {&ctx->k_emb, &ctx->k_ln, &ctx->k_act, &ctx->k_act_head, &ctx->k_attn,
                            &ctx->k_pool, &ctx->k_l2, &ctx->k_gemm_head, &ctx->k_qkv, &ctx->k_o,
                            &ctx->k_ffn_in, &ctx->k_ffn_out};
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(ks); i++)
        clembed__kinst_release(ks[i]);
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
        if (!ctx->op_calls[i])
            continue;
        if (n < cap && times) {
            times[n].op = names[i];
            times[n].seconds = ctx->op_seconds[i];
            times[n].calls = ctx->op_calls[i];
        }
        n++;
    }
    return n;
}
