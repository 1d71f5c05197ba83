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

/* Flags of a norm: the model's kind, beta where the weights have one. */
static int norm_flags(const clembed__encoder_config *c, cl_mem beta)
{
    return (c->arch->norm == CLEMBED__NORM_RMS ? CLEMBED__NF_RMS : CLEMBED__NF_LAYER) |
           (beta ? CLEMBED__NF_BETA : 0);
}

/* The work of one batch's ops besides the GEMMs (gemm.c counts those): what they had to compute
 * and move at least, for the rooflines of clembed bench. */
static void count_work(clembed_context *ctx, uint32_t batch)
{
    const clembed__encoder_config *c = &ctx->model->cfg;
    const unsigned af = c->arch->flags;
    const double T = ctx->h_offs[batch], H = c->hidden_size, E = c->emb_size, I = c->intermediate_size;
    const double HD = c->head_dim, QW = (double)c->num_heads * HD, KW = (double)c->num_kv_heads * HD;
    const double blocks = (double)c->num_layers * c->inner_group_num;
    clembed__timeline *tl = &ctx->timeline;
    /* keys seen by the queries of the batch, summed */
    double keys = 0;
    for (uint32_t b = 0; b < batch; b++) {
        double L = ctx->h_lens[b];
        keys += (af & CLEMBED__A_CAUSAL) ? L * (L + 1) / 2 : L * L;
    }
    clembed__timeline_work(tl, CLEMBED__OP_WRITE, 0, 4.0 * (T * (ctx->gw[CLEMBED__GW_TYPE] ? 3 : 2) + 2 * batch + 1));
    clembed__timeline_work(tl, CLEMBED__OP_EMB, 8.0 * T * E, 4.0 * T * E * 4);
    clembed__timeline_work(tl, CLEMBED__OP_LN, blocks * 2 * 8.0 * T * H, blocks * 2 * 4.0 * T * H * 4);
    if (clembed__encoder_needs_prep(c))
        clembed__timeline_work(tl, CLEMBED__OP_PREP, blocks * 10.0 * T * (QW + KW), blocks * 8.0 * T * (QW + 2 * KW));
    clembed__timeline_work(tl, CLEMBED__OP_ATTN, blocks * 4.0 * keys * QW, blocks * 4.0 * T * (2 * QW + 2 * KW));
    if (c->gated)
        clembed__timeline_work(tl, CLEMBED__OP_GLU, blocks * 20.0 * T * I, blocks * 12.0 * T * I);
    clembed__timeline_work(tl, CLEMBED__OP_POOL, 5.0 * T * H * ctx->pool_n, 4.0 * T * H);
    clembed__timeline_work(tl, CLEMBED__OP_READ, 0, 4.0 * batch * ctx->out_dim);
}

clembed_status clembed__encoder_run(clembed_context *ctx, uint32_t batch, uint32_t seq)
{
    const clembed__encoder_config *c = &ctx->model->cfg;
    const unsigned af = c->arch->flags;
    const uint32_t H = (uint32_t)c->hidden_size, I = (uint32_t)c->intermediate_size;
    const uint32_t E = (uint32_t)c->emb_size, NH = (uint32_t)c->num_heads, HD = (uint32_t)c->head_dim;
    const uint32_t NKV = (uint32_t)c->num_kv_heads, QW = NH * HD, QKVW = (NH + 2 * NKV) * HD;
    const uint32_t T = ctx->h_offs[batch];
    const int pre = (af & CLEMBED__A_PRE_NORM) != 0, prep = clembed__encoder_needs_prep(c);
    const float eps = c->layer_norm_eps;
    const cl_mem *gw = ctx->gw;
    cl_command_queue q = ctx->q;
    clembed_status rc = CLEMBED_OK;

    clembed__timeline_begin(&ctx->timeline);
    if (ctx->profiling)
        count_work(ctx, batch);
    RUN(CLEMBED__OP_WRITE, clembed__enqueue_write(q, ctx->ids, T * sizeof(int32_t), ctx->h_ids, EV),
        "writing token ids");
    if (gw[CLEMBED__GW_TYPE])
        RUN(CLEMBED__OP_WRITE, clembed__enqueue_write(q, ctx->types, T * sizeof(int32_t), ctx->h_types, EV),
            "writing token types");
    RUN(CLEMBED__OP_WRITE, clembed__enqueue_write(q, ctx->tpos, T * sizeof(int32_t), ctx->h_tpos, EV),
        "writing token positions");
    RUN(CLEMBED__OP_WRITE, clembed__enqueue_write(q, ctx->lens, batch * sizeof(uint32_t), ctx->h_lens, EV),
        "writing lengths");
    RUN(CLEMBED__OP_WRITE, clembed__enqueue_write(q, ctx->offs, (batch + 1) * sizeof(uint32_t), ctx->h_offs, EV),
        "writing sequence offsets");

    /* Embeddings: word, token type (NF_B), position (NF_C), the norm; ALBERT's then projected. */
    const int proj = (af & CLEMBED__A_EMB_PROJ) != 0;
    const int emb_flags = (gw[CLEMBED__GW_TYPE] ? CLEMBED__NF_B : 0) | (gw[CLEMBED__GW_POS] ? CLEMBED__NF_C : 0) |
                          (gw[CLEMBED__GW_EMB_G] ? norm_flags(c, gw[CLEMBED__GW_EMB_B]) : 0);
    RUN(CLEMBED__OP_EMB, clembed__launch_embeddings(q, &ctx->k[CLEMBED__K_EMB], ctx->ids, ctx->types,
                                                    gw[CLEMBED__GW_WORD], gw[CLEMBED__GW_POS],
                                                    gw[CLEMBED__GW_TYPE], gw[CLEMBED__GW_EMB_G],
                                                    gw[CLEMBED__GW_EMB_B], proj ? ctx->ctxb : ctx->hidden,
                                                    T, E, ctx->tpos, c->position_offset, eps, emb_flags, EV),
        "embeddings");
    if (proj && (rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_EMB, T, H, E, ctx->ctxb, gw[CLEMBED__GW_PROJ_W],
                                    ctx->hidden, &ctx->k[CLEMBED__K_EMB_PROJ], gw[CLEMBED__GW_PROJ_B],
                                    CLEMBED__ACT_IDENTITY, &ctx->k[CLEMBED__K_ACT])))
        goto fail;

    /* Pre-norm layers read `normed`, the residual stream `hidden` with the next norm applied; the
     * first block's comes here, each later one with the residual add that ends a block. */
    const int n_blocks = c->num_layers * c->inner_group_num;
    if (pre && n_blocks > 0) {
        const clembed__layer_w *w0 = &ctx->layers[clembed__model_block_set(ctx->model, 0)];
        if (w0->m[CLEMBED__LW_ATTN_G])
            RUN(CLEMBED__OP_LN, clembed__launch_add_layernorm(q, &ctx->k[CLEMBED__K_LN], ctx->hidden, NULL, NULL,
                                                              w0->m[CLEMBED__LW_ATTN_G], w0->m[CLEMBED__LW_ATTN_B],
                                                              ctx->normed, NULL, T, H, eps,
                                                              norm_flags(c, w0->m[CLEMBED__LW_ATTN_B]), EV),
                "attention norm");
    }
    clembed__attn_args aa = {.ld = QKVW, .q_col = 0, .k_col = QW, .v_col = QW + NKV * HD, .heads = NH,
                             .kv_group = NH / NKV,
                             .scale = (af & CLEMBED__A_UNSCALED) ? 1.0f : 1.0f / sqrtf((float)HD),
                             .posb = gw[CLEMBED__GW_POSB], .pb_stride = ctx->pb_stride,
                             .pb_center = ctx->pb_center,
                             .flags = ((af & CLEMBED__A_CAUSAL) ? CLEMBED__AF_CAUSAL : 0) |
                                      (gw[CLEMBED__GW_POSB] ? CLEMBED__AF_POS_BIAS : 0)};
    for (int blk = 0; blk < n_blocks; blk++) {
        const int layer = blk / c->inner_group_num;
        const clembed__layer_w *w = &ctx->layers[clembed__model_block_set(ctx->model, blk)];
        const cl_mem *m = w->m;
        const cl_mem src = pre && m[CLEMBED__LW_ATTN_G] ? ctx->normed : ctx->hidden;
        const int slide = c->sliding[layer];
        if ((rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_QKV, T, QKVW, H, src, m[CLEMBED__LW_QKV_W], ctx->qkv,
                                &ctx->k[CLEMBED__K_QKV], NULL, CLEMBED__ACT_IDENTITY, NULL)) != CLEMBED_OK)
            goto fail;
        cl_mem qkv_bias = m[CLEMBED__LW_QKV_B] ? m[CLEMBED__LW_QKV_B] : gw[CLEMBED__GW_ZEROS];
        if (prep) {
            int local = slide && gw[CLEMBED__GW_COS_LOCAL];
            int fl = (m[CLEMBED__LW_QKV_B] ? CLEMBED__QF_BIAS : 0) | (m[CLEMBED__LW_QN] ? CLEMBED__QF_NORM : 0) |
                     ((af & CLEMBED__A_ROTARY) ? CLEMBED__QF_ROPE : 0);
            RUN(CLEMBED__OP_PREP, clembed__launch_qk_prep(q, &ctx->k[CLEMBED__K_PREP], ctx->qkv, m[CLEMBED__LW_QKV_B],
                                                          m[CLEMBED__LW_QN], m[CLEMBED__LW_KN],
                                                          gw[local ? CLEMBED__GW_COS_LOCAL : CLEMBED__GW_COS],
                                                          gw[local ? CLEMBED__GW_SIN_LOCAL : CLEMBED__GW_SIN],
                                                          ctx->tpos, T, QKVW, NH, NKV, (uint32_t)c->rope_dim, eps,
                                                          fl, EV),
                "queries and keys");
            qkv_bias = gw[CLEMBED__GW_ZEROS];
        }
        aa.win_left = slide ? c->window_left : -1;
        aa.win_right = slide ? c->window_right : -1;
        RUN(CLEMBED__OP_ATTN, clembed__launch_attention(q, &ctx->k[CLEMBED__K_ATTN], ctx->qkv, qkv_bias, ctx->lens,
                                                        ctx->offs, ctx->ctxb, batch, seq, &aa, EV),
            "attention");
        /* The projections write into buffers whose contents are spent: the
         * attention's into qkv, the feed-forward's into ctxb. */
        if ((rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_O, T, H, QW, ctx->ctxb, m[CLEMBED__LW_O_W], ctx->qkv,
                                &ctx->k[CLEMBED__K_O], NULL, CLEMBED__ACT_IDENTITY, NULL)))
            goto fail;
        const int ob = m[CLEMBED__LW_O_B] ? CLEMBED__NF_B : 0;
        if (!pre)
            RUN(CLEMBED__OP_LN, clembed__launch_add_layernorm(q, &ctx->k[CLEMBED__K_LN], ctx->qkv, m[CLEMBED__LW_O_B],
                                                              ctx->hidden, m[CLEMBED__LW_ATTN_G], m[CLEMBED__LW_ATTN_B],
                                                              ctx->hidden, NULL, T, H, eps,
                                                              ob | CLEMBED__NF_C | norm_flags(c, m[CLEMBED__LW_ATTN_B]),
                                                              EV),
                "attention output layer norm");
        else
            RUN(CLEMBED__OP_LN, clembed__launch_add_layernorm(q, &ctx->k[CLEMBED__K_LN], ctx->qkv, m[CLEMBED__LW_O_B],
                                                              ctx->hidden, m[CLEMBED__LW_FFN_G], m[CLEMBED__LW_FFN_B],
                                                              ctx->normed, ctx->hidden, T, H, eps,
                                                              ob | CLEMBED__NF_C | CLEMBED__NF_SUM |
                                                                  norm_flags(c, m[CLEMBED__LW_FFN_B]),
                                                              EV),
                "attention residual and feed-forward norm");
        const cl_mem src2 = pre ? ctx->normed : ctx->hidden;
        cl_mem ffn_src = ctx->inter;
        if (!c->gated) {
            if ((rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_FFN_IN, T, I, H, src2, m[CLEMBED__LW_IN_W], ctx->inter,
                                    &ctx->k[CLEMBED__K_FFN_IN], m[CLEMBED__LW_IN_B], (int)c->hidden_act,
                                    &ctx->k[CLEMBED__K_ACT])))
                goto fail;
        } else {
            if ((rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_FFN_IN, T, 2 * I, H, src2, m[CLEMBED__LW_IN_W], ctx->inter,
                                    &ctx->k[CLEMBED__K_FFN_IN], NULL, CLEMBED__ACT_IDENTITY, NULL)))
                goto fail;
            RUN(CLEMBED__OP_GLU, clembed__launch_glu(q, &ctx->k[CLEMBED__K_GLU], ctx->inter, m[CLEMBED__LW_IN_B], ctx->glu,
                                                     T, I, (int)c->hidden_act, EV),
                "gated feed-forward");
            ffn_src = ctx->glu;
        }
        if ((rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_FFN_OUT, T, H, I, ffn_src, m[CLEMBED__LW_OUT_W], ctx->ctxb,
                                &ctx->k[CLEMBED__K_FFN_OUT], NULL, CLEMBED__ACT_IDENTITY, NULL)))
            goto fail;
        const int fb = m[CLEMBED__LW_OUT_B] ? CLEMBED__NF_B : 0;
        if (!pre) {
            RUN(CLEMBED__OP_LN, clembed__launch_add_layernorm(q, &ctx->k[CLEMBED__K_LN], ctx->ctxb, m[CLEMBED__LW_OUT_B],
                                                              ctx->hidden, m[CLEMBED__LW_FFN_G], m[CLEMBED__LW_FFN_B],
                                                              ctx->hidden, NULL, T, H, eps,
                                                              fb | CLEMBED__NF_C | norm_flags(c, m[CLEMBED__LW_FFN_B]),
                                                              EV),
                "feed-forward layer norm");
            continue;
        }
        /* Pre-norm: the residual add, and the next block's attention norm (or the final norm). */
        cl_mem g = gw[CLEMBED__GW_FINAL_G], be = gw[CLEMBED__GW_FINAL_B];
        if (blk + 1 < n_blocks) {
            const clembed__layer_w *next = &ctx->layers[clembed__model_block_set(ctx->model, blk + 1)];
            g = next->m[CLEMBED__LW_ATTN_G];
            be = next->m[CLEMBED__LW_ATTN_B];
        }
        RUN(CLEMBED__OP_LN, clembed__launch_add_layernorm(q, &ctx->k[CLEMBED__K_LN], ctx->ctxb, m[CLEMBED__LW_OUT_B],
                                                          ctx->hidden, g, be, ctx->normed, ctx->hidden, T, H, eps,
                                                          fb | CLEMBED__NF_C | CLEMBED__NF_SUM |
                                                              (g ? norm_flags(c, be) : 0),
                                                          EV),
            "feed-forward residual and norm");
    }
    /* What pooling reads: a pre-norm model's last normed stream (its final norm applied), or the
     * hidden states, final-normed in place where a post-norm model has one. */
    cl_mem last = pre && n_blocks > 0 ? ctx->normed : ctx->hidden;
    if ((!pre || n_blocks == 0) && gw[CLEMBED__GW_FINAL_G])
        RUN(CLEMBED__OP_LN, clembed__launch_add_layernorm(q, &ctx->k[CLEMBED__K_LN], ctx->hidden, NULL, NULL,
                                                          gw[CLEMBED__GW_FINAL_G], gw[CLEMBED__GW_FINAL_B],
                                                          ctx->hidden, NULL, T, H, eps,
                                                          norm_flags(c, gw[CLEMBED__GW_FINAL_B]), EV),
            "final norm");
    RUN(CLEMBED__OP_POOL, clembed__launch_pooling(q, &ctx->k[CLEMBED__K_POOL], last, ctx->lens, ctx->offs,
                                                  ctx->vec_a, batch, H, ctx->pool_order, ctx->pool_n,
                                                  ctx->prompt_tokens, EV),
        "pooling");
    cl_mem cur = ctx->vec_a, spare = ctx->vec_b;
    uint32_t width = ctx->pool_width;
    for (size_t i = 0; i < ctx->n_head; i++) {
        const clembed__head_step *s = &ctx->head[i];
        if (s->kind == CLEMBED__MOD_DENSE) {
            if ((rc = clembed__gemm(ctx, CLEMBED__OP_GEMM_DENSE, batch, s->out, s->in, cur, s->w, spare,
                                    &ctx->k[CLEMBED__K_GEMM_HEAD], s->b, (int)s->act,
                                    &ctx->k[CLEMBED__K_ACT_HEAD])))
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
