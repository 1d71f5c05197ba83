/* Internal to libclembed: a context's device state (queue, kernels, weights,
 * scratch) and the encoder's forward pass over one packed batch.  context.c
 * builds and frees it, upload.c puts the weights on the device, forward.c
 * runs the transformer and the sentence-transformers module chain, gemm.c the
 * GEMMs, embed.c tokenizes, packs batches and writes results in the caller's
 * order. */
#ifndef CLEMBED_ENCODER_H
#define CLEMBED_ENCODER_H

#include "runtime/launch.h"
#include "runtime/timeline.h"
#include "model/model.h"
#include "profile/profile.h"

#include <stdint.h>

/* Ops whose device time a context records (clembed_context_op_times). */
#define CLEMBED__OP_LIST(X)                                                     \
    X(WRITE, "write ids")                                                       \
    X(EMB, "embeddings")                                                        \
    X(GEMM_EMB, "gemm embedding projection")                                    \
    X(GEMM_QKV, "gemm qkv")                                                     \
    X(PREP, "qk_prep")                                                          \
    X(ATTN, "attention")                                                        \
    X(GEMM_O, "gemm attention out")                                             \
    X(LN, "add_layernorm")                                                      \
    X(GEMM_FFN_IN, "gemm ffn in")  /* with bias and activation where fused */   \
    X(ACT, "bias_act")                                                          \
    X(GLU, "glu")                                                               \
    X(GEMM_FFN_OUT, "gemm ffn out")                                             \
    X(POOL, "pooling")                                                          \
    X(GEMM_DENSE, "gemm dense")                                                 \
    X(L2, "l2norm")                                                             \
    X(READ, "read vectors")

enum {
#define CLEMBED_X_(id, name) CLEMBED__OP_##id,
    CLEMBED__OP_LIST(CLEMBED_X_)
#undef CLEMBED_X_
    CLEMBED__N_OPS
};
_Static_assert(CLEMBED__N_OPS <= CLEMBED__TIMELINE_MAX_OPS, "ops a timeline sums");

/* The kernels a context builds: id, op, the shape it is built for (see
 * context.c), and whether vector widths are 1 (widths that need not divide
 * by a vector).  GEMM kernels are built only where GEMMs do not run on
 * CLBlast; each encoder GEMM has its own, tuned for its own n and k. */
#define CLEMBED__KERNEL_LIST(X)                          \
    X(EMB, "embeddings", EMB, 0)                          \
    X(LN, "add_layernorm", MAIN, 0)                       \
    X(ACT, "bias_act", ACT, 0)                            \
    X(ACT_HEAD, "bias_act", HEAD, 1)                      \
    X(ATTN, "attention", ATTN, 0)                         \
    X(PREP, "qk_prep", ATTN, 0)                           \
    X(GLU, "glu", MAIN, 0)                                \
    X(POOL, "pooling", MAIN, 0)                           \
    X(L2, "l2norm", HEAD, 0)                              \
    X(QKV, "gemm", GEMM_QKV, 0)                           \
    X(O, "gemm", GEMM_O, 0)                               \
    X(FFN_IN, "gemm", GEMM_FFN_IN, 0)                     \
    X(FFN_OUT, "gemm", GEMM_FFN_OUT, 0)                   \
    X(GEMM_HEAD, "gemm", GEMM_HEAD, 1)                    \
    X(EMB_PROJ, "gemm", GEMM_EMB_PROJ, 0)

enum {
#define CLEMBED_X_(id, op, shape, scalar) CLEMBED__K_##id,
    CLEMBED__KERNEL_LIST(CLEMBED_X_)
#undef CLEMBED_X_
    CLEMBED__N_KERNELS
};

/* A weight set on the device (a layer; ALBERT's sets serve several), by slot; matrices
 * transposed to [in, out], absent ones NULL. */
enum {
    CLEMBED__LW_QKV_W,   /* query, key and value heads stacked: [H, (heads + 2 kv_heads) head_dim] */
    CLEMBED__LW_QKV_B,
    CLEMBED__LW_O_W, CLEMBED__LW_O_B,
    CLEMBED__LW_ATTN_G, CLEMBED__LW_ATTN_B,   /* the attention norm */
    CLEMBED__LW_QN, CLEMBED__LW_KN,           /* per-head RMSNorm of queries and keys */
    CLEMBED__LW_IN_W,    /* [H, I], or [H, 2 I] for a gated pair (activated half first) */
    CLEMBED__LW_IN_B,
    CLEMBED__LW_OUT_W, CLEMBED__LW_OUT_B,
    CLEMBED__LW_FFN_G, CLEMBED__LW_FFN_B,     /* the feed-forward norm */
    CLEMBED__N_LW
};
typedef struct clembed__layer_w {
    cl_mem m[CLEMBED__N_LW];
} clembed__layer_w;

/* The weights once per model on the device, and tables the context computes. */
enum {
    CLEMBED__GW_WORD, CLEMBED__GW_POS, CLEMBED__GW_TYPE, CLEMBED__GW_EMB_G, CLEMBED__GW_EMB_B,
    CLEMBED__GW_PROJ_W, CLEMBED__GW_PROJ_B, CLEMBED__GW_FINAL_G, CLEMBED__GW_FINAL_B,
    CLEMBED__GW_POSB,                           /* relative position bias per head and distance */
    CLEMBED__GW_COS, CLEMBED__GW_SIN,           /* rotary tables, global layers */
    CLEMBED__GW_COS_LOCAL, CLEMBED__GW_SIN_LOCAL, /* and sliding ones, where their theta differs */
    CLEMBED__GW_ZEROS,                          /* the bias of what has none */
    CLEMBED__N_GW
};

/* One step of the module chain after pooling. */
typedef struct clembed__head_step {
    clembed__module_kind kind;   /* DENSE or NORMALIZE */
    const clembed__module *mod;
    uint32_t in, out;
    clembed__act act;
    cl_mem w, b;                 /* dense only */
} clembed__head_step;

struct clembed_context {
    const clembed_model *model;
    const clembed__device *dev;
    cl_context cl;
    cl_command_queue q;
    clembed__profile *profile;
    int profiling;

    /* what the params resolved to */
    uint32_t max_tokens;      /* per sequence, special tokens included */
    uint32_t batch_tokens;    /* padded tokens per device batch */
    uint32_t max_batch;       /* sequences per device batch */
    int normalize;            /* -1 as the chain says, 0 off, 1 L2 after truncation */
    uint32_t chain_dim;       /* width after the module chain */
    uint32_t out_dim;         /* after truncate_dim */
    char *prompt;             /* prepended to every text; NULL when none */
    uint32_t prompt_tokens;   /* positions pooling skips (include_prompt false), else 0 */
    uint32_t pool_order;      /* pooling modes, packed for pooling_f32 */
    uint32_t pool_n;          /* how many */
    uint32_t pool_width;      /* pool_n * hidden */
    uint32_t max_width;       /* widest vector of the chain */

    /* the kernels, CLEMBED__KERNEL_LIST's, built for the context's shapes */
    clembed__kinst k[CLEMBED__N_KERNELS];
    int gemm_prov[CLEMBED__N_OPS];   /* the provider of each GEMM op (CLEMBED__GP_*) */
    int wdt;                  /* storage of the encoder's matrices and tables (CLEMBED__WDT_*) */

    /* weights on the device */
    cl_mem gw[CLEMBED__N_GW];
    clembed__layer_w *layers;  /* one per weight set of the model */
    size_t n_layers;
    size_t zeros_n;            /* floats of gw[CLEMBED__GW_ZEROS] */
    uint32_t pb_stride, pb_center;   /* of gw[CLEMBED__GW_POSB] */
    clembed__head_step *head;
    size_t n_head;
    size_t host_align;        /* alignment for using host memory in place */
    void **host_copies;       /* converted or fused weights the buffers may point into */
    size_t n_host_copies;
    uint64_t weight_bytes;    /* on the device */
    uint64_t scratch_bytes;

    /* scratch for one batch: context.c's scratch_defs lists them */
    cl_mem ids, types, tpos, lens, offs;
    cl_mem hidden, normed, qkv, ctxb, inter, glu;
    cl_mem vec_a, vec_b, vec_out;
    int32_t *h_ids, *h_types, *h_tpos;
    uint32_t *h_lens, *h_offs;
    float *h_out;

    /* profiling: device time per CLEMBED__OP_* */
    clembed__timeline timeline;
};

/* Whether the encoder prepares queries and keys before attention (rotary
 * positions, per-head norms): then qk_prep adds the q/k/v biases too. */
static inline int clembed__encoder_needs_prep(const clembed__encoder_config *c)
{
    return (c->arch->flags & (CLEMBED__A_ROTARY | CLEMBED__A_QK_NORM)) != 0;
}

/* One packed batch of `batch` sequences, their rows back to back with no padding between them:
 * sequence b's rows start at h_offs[b] (h_offs[batch] rows in all), its tokens are the first
 * h_lens[b] (a sequence without tokens keeps one row), and ctx->h_ids / h_types / h_tpos hold
 * each row's token, type and position in its sequence.  seq is the most rows of a sequence.
 * Runs the encoder and the module chain and reads batch * out_dim floats into ctx->h_out. */
clembed_status clembed__encoder_run(clembed_context *ctx, uint32_t batch, uint32_t seq);

/* A tokenized sequence: ids and type ids (NULL: all 0), special tokens included. */
typedef struct clembed__seq {
    const int32_t *ids, *types;
    size_t n;
} clembed__seq;

/* Embeds n tokenized sequences of at most ctx->max_tokens tokens into out
 * (n * out_dim floats, in order): sorts, packs under the token budget, runs.
 * clembed_embed calls it after the tokenizer; tests call it with reference
 * ids to check the encoder alone. */
clembed_status clembed__embed_seqs(clembed_context *ctx, const clembed__seq *seqs, size_t n, float *out);

/* transformers' bucket of a relative position (key - query), bidirectional, for T5 and MPNet
 * (upload.c; exposed for its test). */
int clembed__rel_bucket(int rel, int num_buckets, int max_distance);

/* Uploads the model's weights to ctx's device (context.c calls it). */
clembed_status clembed__encoder_upload(clembed_context *ctx);
void clembed__encoder_release(clembed_context *ctx);

/* GEMM providers (gemm.c), one contract: C = act(A B + bias), row-major, B a weight [K, N]. */
enum { CLEMBED__GP_KERNEL, CLEMBED__GP_CLBLAST, CLEMBED__GP_BLAS, CLEMBED__N_GP };
/* "kernel", "clblast", "blas"; the provider of a name, -1 when none. */
const char *clembed__gemm_provider_name(int p);
int clembed__gemm_provider_find(const char *name);
/* Whether provider p runs on dev (a host BLAS needs a CPU device sharing the host's memory
 * and a build with one). */
int clembed__gemm_provider_available(int p, const clembed__device *dev);
/* Without a measurement: CLBlast on GPUs, the host BLAS where it runs, else the kernel. */
int clembed__gemm_provider_default(const clembed__device *dev);
/* CLEMBED_GEMM when it names a provider available on dev, else -1 (warning once when set). */
int clembed__gemm_provider_env(const clembed__device *dev);
/* Whether GEMMs run on CLBlast on dev without a profile (the tuner then leaves the kernel). */
int clembed__gemm_uses_clblast(const clembed__device *dev);

/* One GEMM for a provider: C = act(A B + bias) with A [m, k], B [k, n], C [m, n] row-major;
 * ki is the registry GEMM kernel (the kernel provider), act_ki the bias_act kernel the others
 * finish with (zeros: a zero bias at least n wide, for an activation without a bias). */
typedef struct clembed__gemm_call {
    cl_command_queue q;
    const clembed__device *dev;
    size_t m, n, k;
    cl_mem a, b, c;
    const clembed__kinst *ki;
    cl_mem bias;
    int act;
    const clembed__kinst *act_ki;
    cl_mem zeros;
} clembed__gemm_call;

/* Runs g on `provider`, its time added to tl's op (tl may be NULL: no timing). */
clembed_status clembed__gemm_run(int provider, const clembed__gemm_call *g, clembed__timeline *tl, int op);

/* C[M, N] = act(A[M, K] * B[K, N] (+ bias)), row-major, B a weight stored
 * transposed; bias may be NULL, act CLEMBED__ACT_IDENTITY for none.  Runs on
 * the provider ctx->gemm_prov[op] picked for this GEMM.  Through CLBlast and
 * bias_act (act_ki), or the registry's GEMM kernel `ki` with the bias and
 * activation fused, as ctx->gemm_clblast says.  Records device time under op (and
 * bias_act's under its own) when the context profiles. */
clembed_status clembed__gemm(clembed_context *ctx, int op, size_t m, size_t n, size_t k, cl_mem a,
                             cl_mem b, cl_mem c, const clembed__kinst *ki, cl_mem bias, int act,
                             const clembed__kinst *act_ki);

#endif
