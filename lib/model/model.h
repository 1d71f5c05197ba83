/* Internal to libclembed: an opened model directory (config, weights, sentence-transformers modules).
 * The model is immutable after clembed_model_open() and shared by contexts and threads. */
#ifndef CLEMBED_MODEL_H
#define CLEMBED_MODEL_H

#include "core/internal.h"
#include "model/arch.h"

#include <stddef.h>
#include <stdint.h>

typedef enum clembed__dtype {
    CLEMBED__F32 = 0,
    CLEMBED__F16,
    CLEMBED__BF16,
    CLEMBED__OTHER   /* present in the file (e.g. I64 position_ids) but not a weight type */
} clembed__dtype;

typedef struct clembed__tensor {
    const char    *name;      /* as stored in the file */
    clembed__dtype dtype;
    int            ndim;
    int64_t        shape[4];
    const void    *data;      /* inside the mapping; valid while the model lives; aligned to
                               * the element size (F32: 4 bytes, F16/BF16: 2 bytes) */
    size_t         nbytes;
} clembed__tensor;

typedef enum clembed__act {
    CLEMBED__ACT_GELU = 0,    /* exact, erf: "gelu" */
    CLEMBED__ACT_GELU_TANH,   /* "gelu_new", "gelu_pytorch_tanh", "gelu_fast" */
    CLEMBED__ACT_RELU,
    CLEMBED__ACT_SILU,        /* "silu", "swish" */
    CLEMBED__ACT_QUICK_GELU,
    CLEMBED__ACT_TANH,        /* Dense default in sentence-transformers */
    CLEMBED__ACT_IDENTITY
} clembed__act;

/* Pooling modes, as bits, in the order legacy configs (pooling_mode_* booleans) concatenate them;
 * clembed__module.pool_list holds the actual order. */
enum {
    CLEMBED__POOL_CLS = 1 << 0,
    CLEMBED__POOL_MAX = 1 << 1,
    CLEMBED__POOL_MEAN = 1 << 2,
    CLEMBED__POOL_MEAN_SQRT_LEN = 1 << 3,
    CLEMBED__POOL_WEIGHTED_MEAN = 1 << 4,
    CLEMBED__POOL_LAST_TOKEN = 1 << 5
};

/* Layers a model may have. */
#define CLEMBED__MAX_LAYERS 1024

/* config.json resolved against the family's row (model/arch.h): what the encoder runs. */
typedef struct clembed__encoder_config {
    char         model_type[32];   /* "bert", "roberta", "t5", ... */
    const clembed__arch *arch;
    int          vocab_size;
    int          hidden_size;      /* H, the width of the layers */
    int          emb_size;         /* E, the width of the embeddings (ALBERT), else H */
    int          num_layers;
    int          num_heads;
    int          num_kv_heads;     /* key/value heads (grouped-query attention), else num_heads */
    int          head_dim;         /* may differ from H / heads (T5's d_kv, Qwen3's head_dim) */
    int          intermediate_size;
    clembed__act hidden_act;
    int          gated;            /* the feed-forward is act(in x) * (up x) */
    float        layer_norm_eps;
    int          max_position_embeddings;   /* positions the model can number */
    int          type_vocab_size;  /* 0 when the family has no token types */
    int          pad_token_id;     /* -1 when none */
    int          position_offset;  /* first position id: 0 for BERT, pad_token_id + 1 for RoBERTa */
    int          num_groups, inner_group_num;   /* ALBERT's weight sharing, else 1, 1 */
    int          rel_buckets, rel_max_distance; /* relative position buckets, 0 when none */
    int          rel_table_rows;   /* rows of the relative bias table */
    double       rope_theta, rope_theta_local;  /* rotary bases of global and sliding layers */
    int          rope_dim;         /* leading dimensions of a head that rotate, 0 without rotary */
    int          window_left, window_right;     /* keys a sliding layer sees on each side */
    int          attn_bias, mlp_bias, norm_bias;
    unsigned char sliding[CLEMBED__MAX_LAYERS]; /* per layer: 1 attends within the window */
    char         architecture[64]; /* architectures[0] of config.json ("BertModel"), "" when absent */
} clembed__encoder_config;

/* A weight and its bias (NULL when the configuration gives it none), resolved from the
 * architecture's names when the model is opened. */
typedef struct clembed__wpair {
    const clembed__tensor *w, *b;
} clembed__wpair;

typedef enum clembed__module_kind {
    CLEMBED__MOD_TRANSFORMER,
    CLEMBED__MOD_POOLING,
    CLEMBED__MOD_DENSE,
    CLEMBED__MOD_NORMALIZE
} clembed__module_kind;

typedef struct clembed__module {
    clembed__module_kind kind;
    char *path;                       /* relative folder, "" for the root */
    /* pooling */
    unsigned pool_modes;              /* CLEMBED__POOL_* bits: the union of pool_list */
    int      n_pool;                  /* entries in pool_list */
    unsigned pool_list[8];            /* the modes in concatenation order (one CLEMBED__POOL_* bit
                                       * each): pooling_mode ["mean", "cls"] gives mean, then cls;
                                       * a mode may repeat; out dim = n_pool * pool_in_dim */
    int      include_prompt;          /* 1 unless the pooling config says false */
    int      pool_in_dim;             /* word_embedding_dimension */
    /* dense */
    int          in_features, out_features;
    clembed__act dense_act;
    const clembed__tensor *dense_weight;   /* [out, in] */
    const clembed__tensor *dense_bias;     /* [out] or NULL */
} clembed__module;

typedef struct clembed__prompt {
    char *name;
    char *text;
} clembed__prompt;

struct clembed_model {
    char                   *dir;
    clembed__encoder_config cfg;
    clembed__module        *modules;
    size_t                  n_modules;
    size_t                  out_dim;        /* after the whole chain */
    size_t                  max_seq_length; /* effective, sentence-transformers' rules, at most the
                                             * positions the model has */
    int                     do_lower_case;  /* sentence_bert_config.json */
    size_t                  truncate_dim;   /* config_sentence_transformers.json; 0 = none */
    int                     has_modules_json; /* 0: sentence-transformers' default chain */
    clembed__prompt        *prompts;
    size_t                  n_prompts;
    char                   *default_prompt_name;  /* NULL when none */
    char                   *similarity_fn;         /* NULL when not given */
    clembed_tokenizer      *tokenizer;      /* NULL when not loaded */
    /* The encoder's weights by role: enc[] for the roles once per model, enc_sets[s][] for each
     * weight set (a layer, or ALBERT's group and inner layer; clembed__model_block_set). */
    clembed__wpair          enc[CLEMBED__N_WROLES];
    clembed__wpair        (*enc_sets)[CLEMBED__N_WROLES];
    size_t                  n_enc_sets;
    /* Weights: every tensor of every file (shards included). */
    clembed__tensor        *tensors;
    size_t                  n_tensors;
    uint64_t                n_params;
    uint64_t                weight_bytes;
    void                   *priv;           /* mappings and parse state, model.c's own */
};

/* The tensor `name` ("encoder.layer.0.attention.self.query.weight"), found with
 * or without the architecture prefix ("bert.", "roberta.", "model.", ...);
 * NULL when absent. */
const clembed__tensor *clembed__model_tensor(const clembed_model *m, const char *name);

/* The weight set block `block` of the encoder runs (num_layers * inner_group_num blocks). */
size_t clembed__model_block_set(const clembed_model *m, int block);

/* Converts a tensor to fp32 into out (numel floats). */
void clembed__tensor_to_f32(const clembed__tensor *t, float *out);
size_t clembed__tensor_numel(const clembed__tensor *t);

/* The text of a prompt by name, NULL when the model has none of that name. */
const char *clembed__model_prompt(const clembed_model *m, const char *name);

/* The text as m's tokenizer sees it: prompt (may be NULL) before it, and
 * lowercased as Python's str.lower() does when sentence_bert_config.json
 * says do_lower_case.  Invalid UTF-8 is left for the tokenizer to report.
 * NULL when out of memory; the caller frees it. */
char *clembed__model_text(const clembed_model *m, const char *prompt, const char *text);

#endif
