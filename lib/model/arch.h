/* Internal to libclembed: encoder architectures as data.  One row per config.json model_type
 * says how the family embeds tokens, where positions come from, which norms it uses and where,
 * how attention and the feed-forward are built, whether layers share weights, what its
 * config.json keys are called (in both the transformers 4 and 5 forms) and what its weights are
 * named.  The config reader, the weight check and the encoder read the row; a new family is a new
 * row.  Not installed. */
#ifndef CLEMBED_ARCH_H
#define CLEMBED_ARCH_H

#include "core/internal.h"

#include <stdint.h>

/* Weights the encoder reads, by role.  A row names each as a module path template (printf with
 * the weight set's group and inner index, see clembed__arch_weight_name), the tensors being
 * path + ".weight" and path + ".bias"; alternatives are separated by '|'. */
#define CLEMBED__WROLE_LIST(X)                                                               \
    X(WORD, 0)        /* token embeddings [vocab, E] */                                      \
    X(POS, 0)         /* learned positions [max_position_embeddings, E] */                   \
    X(TYPE, 0)        /* token types [type_vocab_size, E] */                                 \
    X(EMB_NORM, 0)    /* norm after the embeddings [E] */                                    \
    X(EMB_PROJ, 0)    /* E -> H (ALBERT's factorised embeddings) */                          \
    X(REL_BIAS, 0)    /* relative position bias [buckets, heads] */                          \
    X(FINAL_NORM, 0)  /* norm after the last layer [H] */                                    \
    X(Q, 1)           /* [heads * head_dim, H] */                                            \
    X(K, 1)           /* [kv_heads * head_dim, H] */                                         \
    X(V, 1)                                                                                  \
    X(QKV, 1)         /* q, k and v stacked in one tensor */                                 \
    X(O, 1)           /* [H, heads * head_dim] */                                            \
    X(Q_NORM, 1)      /* RMSNorm over each query head [head_dim] */                          \
    X(K_NORM, 1)                                                                             \
    X(ATTN_NORM, 1)   /* post-norm: after attention; pre-norm: before it */                  \
    X(FFN_IN, 1)      /* [I, H]; gated: the activated half */                                \
    X(FFN_UP, 1)      /* gated: the linear half [I, H] */                                    \
    X(FFN_INUP, 1)    /* gated: both halves stacked, activated first [2 I, H] */             \
    X(FFN_OUT, 1)     /* [H, I] */                                                           \
    X(FFN_NORM, 1)    /* post-norm: after the feed-forward; pre-norm: before it */

typedef enum clembed__wrole {
#define CLEMBED_X_(r, per_layer) CLEMBED__W_##r,
    CLEMBED__WROLE_LIST(CLEMBED_X_)
#undef CLEMBED_X_
    CLEMBED__N_WROLES
} clembed__wrole;

/* Whether a role is per layer (else once per model), and its name for messages ("FFN_IN"). */
int clembed__wrole_per_layer(clembed__wrole r);
const char *clembed__wrole_name(clembed__wrole r);

/* Values a config.json gives, by id.  A row names the key of each (transformers 4 and 5 spell
 * some differently: the reader tries every name listed) and the default of its configuration
 * class; a value with no key in a row is the row's fixed default. */
#define CLEMBED__CKEY_LIST(X)                                                                    \
    X(VOCAB) X(HIDDEN) X(EMB_SIZE) X(LAYERS) X(HEADS) X(KV_HEADS) X(HEAD_DIM) X(INTER) X(POSITIONS) \
    X(TYPES) X(EPS) X(PAD) X(GROUPS) X(INNER) X(REL_BUCKETS) X(REL_MAX_DIST) X(ROPE_THETA)         \
    X(ROPE_THETA_LOCAL) X(ROPE_FRACTION) X(WINDOW) X(GLOBAL_EVERY) X(USE_SLIDING)                  \
    X(MAX_WINDOW_LAYERS) X(ATTN_BIAS) X(MLP_BIAS) X(NORM_BIAS)

typedef enum clembed__ckey {
#define CLEMBED_X_(k) CLEMBED__C_##k,
    CLEMBED__CKEY_LIST(CLEMBED_X_)
#undef CLEMBED_X_
    CLEMBED__N_CKEYS
} clembed__ckey;

typedef enum clembed__norm_kind {
    CLEMBED__NORM_LAYER = 0,   /* (x - mean) / sqrt(var + eps) * w + b */
    CLEMBED__NORM_RMS          /* x / sqrt(mean(x^2) + eps) * w */
} clembed__norm_kind;

enum {
    /* embeddings */
    CLEMBED__A_POS_LEARNED = 1 << 0,    /* learned absolute positions */
    CLEMBED__A_POS_OFFSET = 1 << 1,     /* positions start at pad_token_id + 1 (RoBERTa) */
    CLEMBED__A_TOKEN_TYPES = 1 << 2,
    CLEMBED__A_EMB_NORM = 1 << 3,       /* a norm after the embeddings */
    CLEMBED__A_EMB_PROJ = 1 << 4,       /* embeddings of size E projected to H */
    /* positions in attention */
    CLEMBED__A_REL_BUCKETS = 1 << 5,    /* a relative position bias by T5's buckets */
    CLEMBED__A_ROTARY = 1 << 6,         /* rotary positions on queries and keys (rotate-half) */
    /* norms */
    CLEMBED__A_PRE_NORM = 1 << 7,       /* norm before attention and feed-forward (else after) */
    CLEMBED__A_FINAL_NORM = 1 << 8,
    /* attention */
    CLEMBED__A_UNSCALED = 1 << 9,       /* no 1/sqrt(head_dim) (T5) */
    CLEMBED__A_CAUSAL = 1 << 10,        /* each token sees itself and those before it */
    CLEMBED__A_QK_NORM = 1 << 11,       /* RMSNorm over each query and key head */
    CLEMBED__A_FUSED_QKV = 1 << 12,     /* q, k and v stacked in one tensor (QKV) */
    /* feed-forward */
    CLEMBED__A_GATED = 1 << 13,         /* act(in x) * (up x) */
    CLEMBED__A_FUSED_GATE = 1 << 14,    /* gated, both halves in one tensor (FFN_INUP) */
    /* layers */
    CLEMBED__A_GROUPS = 1 << 15,        /* layers share weights by groups (ALBERT) */
    CLEMBED__A_FIRST_NO_ATTN_NORM = 1 << 16, /* layer 0 has no attention norm (ModernBERT) */
    CLEMBED__A_SLIDING = 1 << 17,       /* some layers attend within a window (layer kinds) */
};

/* How the activation is given: a name (hidden_act), or T5's feed_forward_proj
 * ("relu", "gated-gelu"), which also says whether the feed-forward is gated. */
enum { CLEMBED__ACT_BY_NAME, CLEMBED__ACT_BY_FF_PROJ };

#define CLEMBED__MAX_KEY_NAMES 3

typedef struct clembed__arch {
    const char *model_type;          /* config.json model_type */
    const char *family;              /* for messages and clembed info */
    unsigned    flags;               /* CLEMBED__A_* */
    clembed__norm_kind norm;
    /* config.json: key names per value (NULL: not read, the default is fixed) and defaults */
    const char *keys[CLEMBED__N_CKEYS][CLEMBED__MAX_KEY_NAMES];
    double      defaults[CLEMBED__N_CKEYS];
    const char *act_keys[CLEMBED__MAX_KEY_NAMES];
    int         act_how;             /* CLEMBED__ACT_BY_* */
    const char *act_default;
    /* fixed relative-bucket parameters, when the family ignores its config (MPNet), else 0 */
    int         fixed_buckets, fixed_max_distance;
    /* weight module paths by role (NULL: the family has none) */
    const char *weights[CLEMBED__N_WROLES];
    /* the names other families' checkpoints put before every weight ("bert.") */
    const char *prefixes[4];
    /* with CLEMBED__A_POS_OFFSET: the first position id where the family's code fixes it (MPNet:
     * 2, its padding index being 1 whatever the config says); 0: pad_token_id + 1 */
    int         position_start;
} clembed__arch;

extern const clembed__arch clembed__archs[];
extern const size_t clembed__n_archs;

/* The row for a model_type, NULL when none. */
const clembed__arch *clembed__arch_find(const char *model_type);
/* What a CLEMBED__A_* bit means ("rotary positions"), NULL for an unknown bit. */
const char *clembed__arch_flag_name(unsigned bit);
/* "bert, roberta, ..." for messages. */
const char *clembed__arch_supported(void);

/* Whether a row has role r (a name). */
static inline int clembed__arch_has(const clembed__arch *a, clembed__wrole r)
{
    return a->weights[r] != NULL;
}

/* The i-th alternative ('|'-separated) of role r's module path for weight set (group, inner),
 * with `suffix` (".weight", ".bias") appended, into buf.  0 when there is no i-th. */
int clembed__arch_weight_name(const clembed__arch *a, clembed__wrole r, int alt, int group, int inner,
                              const char *suffix, char *buf, size_t cap);

#endif
