/* The forward pass over one packed batch: the encoder's layers and the sentence-transformers
 * module chain after them (pooling, Dense, Normalize, truncation). */
#include "encoder/encoder.h"
#include "core/util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* After a launch: keep its event for profiling, or map its error. */
static clembed_status launched(clembed_context *ctx, int op, cl_int err, cl_event ev, const char *what)
{
    if (err != CL_SUCCESS) {
        if (ev)
            clReleaseEvent(ev);
        return clembed__cl_fail(err, "%s: %s", ctx->dev->info.name, what);
    }
    return ev ? clembed__timeline_track(&ctx->timeline, ctx->q, op, ev, NULL) : CLEMBED_OK;
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

    clembed__timeline_begin(&ctx->timeline);
    RUN(CLEMBED__OP_WRITE, clembed__enqueue_write(q, ctx->ids, T * sizeof(int32_t), ctx->h_ids, EV),
        "writing token ids");
    RUN(CLEMBED__OP_WRITE, clembed__enqueue_write(q, ctx->types, T * sizeof(int32_t), ctx->h_types, EV),
        "writing token types");
    RUN(CLEMBED__OP_WRITE, clembed__enqueue_write(q, ctx->lens, batch * sizeof(uint32_t), ctx->h_lens, EV),
        "writing lengths");
    RUN(CLEMBED__OP_EMB, clembed__launch_embeddings(q, &ctx->k[CLEMBED__K_EMB], ctx->ids, ctx->types, ctx->word,
                                                    ctx->pos, ctx->type, ctx->emb_g, ctx->emb_b,
                                                    ctx->hidden, T, H, seq, c->position_offset, eps, EV),
        "embeddings");
    for (int l = 0; l < ctx->n_layers; l++) {
        const clembed__layer_w *w = &ctx->layers[l];
        if ((rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_QKV, T, 3 * H, H, ctx->hidden, w->qkv_w,
                                ctx->qkv, &ctx->k[CLEMBED__K_QKV], NULL, 0, NULL)) != CLEMBED_OK)
            goto fail;
        RUN(CLEMBED__OP_ATTN, clembed__launch_attention(q, &ctx->k[CLEMBED__K_ATTN], ctx->qkv, w->qkv_b, ctx->lens,
                                                        ctx->ctxb, batch, seq, H, NH, scale, EV),
            "attention");
        if ((rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_O, T, H, H, ctx->ctxb, w->o_w, ctx->qkv, &ctx->k[CLEMBED__K_O],
                                NULL, 0, NULL)))
            goto fail;
        /* The projections write into buffers whose contents are spent: the
         * attention's into qkv, the feed-forward's into ctxb. */
        RUN(CLEMBED__OP_LN, clembed__launch_add_layernorm(q, &ctx->k[CLEMBED__K_LN], ctx->qkv, w->o_b, ctx->hidden,
                                                          w->ln1_g, w->ln1_b, ctx->hidden, T, H, eps, EV),
            "attention output layer norm");
        if ((rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_FFN_IN, T, I, H, ctx->hidden, w->i_w, ctx->inter,
                                &ctx->k[CLEMBED__K_FFN_IN], w->i_b, (int)c->hidden_act, &ctx->k[CLEMBED__K_ACT])))
            goto fail;
        if ((rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_FFN_OUT, T, H, I, ctx->inter, w->out_w, ctx->ctxb,
                                &ctx->k[CLEMBED__K_FFN_OUT], NULL, 0, NULL)))
            goto fail;
        RUN(CLEMBED__OP_LN, clembed__launch_add_layernorm(q, &ctx->k[CLEMBED__K_LN], ctx->ctxb, w->out_b, ctx->hidden,
                                                          w->ln2_g, w->ln2_b, ctx->hidden, T, H, eps, EV),
            "feed-forward layer norm");
    }
    RUN(CLEMBED__OP_POOL, clembed__launch_pooling(q, &ctx->k[CLEMBED__K_POOL], ctx->hidden, ctx->lens, ctx->vec_a,
                                                  batch, seq, H, ctx->pool_order, ctx->pool_n,
                                                  ctx->prompt_tokens, EV),
        "pooling");
    cl_mem cur = ctx->vec_a, spare = ctx->vec_b;
    uint32_t width = ctx->pool_width;
    for (size_t i = 0; i < ctx->n_head; i++) {
        const clembed__head_step *s = &ctx->head[i];
        if (s->kind == CLEMBED__MOD_DENSE) {
            if ((rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_DENSE, batch, s->out, s->in, cur, s->w, spare,
                                    &ctx->k[CLEMBED__K_GEMM_HEAD], s->b, (int)s->act, &ctx->k[CLEMBED__K_ACT_HEAD])))
                goto fail;
            cl_mem t = cur;
            cur = spare;
            spare = t;
            width = s->out;
        } else if (ctx->normalize != 0) {
            RUN(CLEMBED__OP_L2, clembed__launch_l2norm(q, &ctx->k[CLEMBED__K_L2], cur, width, cur, width, batch, width,
                                                       1, EV),
                "Normalize");
        }
    }
    RUN(CLEMBED__OP_L2, clembed__launch_l2norm(q, &ctx->k[CLEMBED__K_L2], cur, width, ctx->vec_out, ctx->out_dim,
                                               batch, ctx->out_dim, ctx->normalize == 1, EV),
        "truncation and normalization");
    RUN(CLEMBED__OP_READ, clembed__enqueue_read(q, ctx->vec_out, (size_t)batch * ctx->out_dim * sizeof(float),
                                                ctx->h_out, EV),
        "reading the vectors");
    return clembed__timeline_collect(&ctx->timeline, q);
fail:
    clFinish(q);
    {
        char *msg = clembed__strdup(clembed_errmsg());
        clembed__timeline_collect(&ctx->timeline, q);
        clembed__fail(rc, "%s", msg ? msg : "");
        free(msg);
    }
    return rc;
}
