/* The architecture table: one row per model_type (see arch.h).  Defaults are those of
 * transformers' configuration classes; weight names are those transformers saves. */
#include "model/arch.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int per_layer;
} roles[CLEMBED__N_WROLES] = {
#define CLEMBED_X_(r, per_layer) {#r, per_layer},
    CLEMBED__WROLE_LIST(CLEMBED_X_)
#undef CLEMBED_X_
};

int clembed__wrole_per_layer(clembed__wrole r)
{
    return (unsigned)r < CLEMBED__N_WROLES && roles[r].per_layer;
}

const char *clembed__wrole_name(clembed__wrole r)
{
    return (unsigned)r < CLEMBED__N_WROLES ? roles[r].name : "?";
}

/* Key names and defaults, by value id. */
#define K(id, ...) [CLEMBED__C_##id] = {__VA_ARGS__}
#define D(id, v) [CLEMBED__C_##id] = (v)
#define W(role, path) [CLEMBED__W_##role] = (path)

/* BERT's encoder layer names, shared by the families that kept them. */
#define BERT_LAYER(pre)                                                                   \
    W(Q, pre "attention.self.query"), W(K, pre "attention.self.key"),                     \
    W(V, pre "attention.self.value"), W(O, pre "attention.output.dense"),                 \
    W(ATTN_NORM, pre "attention.output.LayerNorm"), W(FFN_IN, pre "intermediate.dense"),  \
    W(FFN_OUT, pre "output.dense"), W(FFN_NORM, pre "output.LayerNorm")
#define BERT_EMBEDDINGS                                                                   \
    W(WORD, "embeddings.word_embeddings"), W(POS, "embeddings.position_embeddings"),      \
    W(TYPE, "embeddings.token_type_embeddings"), W(EMB_NORM, "embeddings.LayerNorm")
#define BERT_KEYS                                                                         \
    K(VOCAB, "vocab_size"), K(HIDDEN, "hidden_size"), K(LAYERS, "num_hidden_layers"),     \
    K(HEADS, "num_attention_heads"), K(INTER, "intermediate_size"),                       \
    K(POSITIONS, "max_position_embeddings"), K(TYPES, "type_vocab_size"),                 \
    K(EPS, "layer_norm_eps"), K(PAD, "pad_token_id")
#define BERT_DEFAULTS(vocab, pad)                                                         \
    D(VOCAB, vocab), D(HIDDEN, 768), D(LAYERS, 12), D(HEADS, 12), D(INTER, 3072),         \
    D(POSITIONS, 512), D(TYPES, 2), D(EPS, 1e-12), D(PAD, pad), D(ATTN_BIAS, 1),          \
    D(MLP_BIAS, 1), D(NORM_BIAS, 1)
#define BERT_FLAGS (CLEMBED__A_POS_LEARNED | CLEMBED__A_TOKEN_TYPES | CLEMBED__A_EMB_NORM)
#define LLAMA_KEYS                                                                        \
    K(VOCAB, "vocab_size"), K(HIDDEN, "hidden_size"), K(LAYERS, "num_hidden_layers"),     \
    K(HEADS, "num_attention_heads"), K(KV_HEADS, "num_key_value_heads"), K(HEAD_DIM, "head_dim"), \
    K(INTER, "intermediate_size"), K(POSITIONS, "max_position_embeddings"), K(EPS, "rms_norm_eps"), \
    K(PAD, "pad_token_id"), K(ROPE_THETA, "rope_theta"), K(ROPE_FRACTION, "partial_rotary_factor"), \
    K(ATTN_BIAS, "attention_bias"), K(MLP_BIAS, "mlp_bias")
#define LLAMA_WEIGHTS                                                                     \
    W(WORD, "embed_tokens"), W(Q, "layers.%d.self_attn.q_proj"), W(K, "layers.%d.self_attn.k_proj"), \
    W(V, "layers.%d.self_attn.v_proj"), W(O, "layers.%d.self_attn.o_proj"),                  \
    W(ATTN_NORM, "layers.%d.input_layernorm"), W(FFN_IN, "layers.%d.mlp.gate_proj"),         \
    W(FFN_UP, "layers.%d.mlp.up_proj"), W(FFN_OUT, "layers.%d.mlp.down_proj"),               \
    W(FFN_NORM, "layers.%d.post_attention_layernorm"), W(FINAL_NORM, "norm")
#define ALBERT_LAYER "encoder.albert_layer_groups.%d.albert_layers.%d."
#define T5_LAYER "encoder.block.%d.layer."
const clembed__arch clembed__archs[] = {
    {.model_type = "bert", .family = "bert", .flags = BERT_FLAGS, .norm = CLEMBED__NORM_LAYER,
     .keys = {BERT_KEYS}, .defaults = {BERT_DEFAULTS(30522, 0)}, .act_keys = {"hidden_act"},
     .act_default = "gelu", .weights = {BERT_EMBEDDINGS, BERT_LAYER("encoder.layer.%d.")},
     .prefixes = {"bert.", "model.", "encoder_model."}},
    /* RoBERTa and its kin: BERT's layers, positions numbered after the padding index. */
    {.model_type = "roberta", .family = "roberta", .flags = BERT_FLAGS | CLEMBED__A_POS_OFFSET,
     .norm = CLEMBED__NORM_LAYER, .keys = {BERT_KEYS}, .defaults = {BERT_DEFAULTS(50265, 1)},
     .act_keys = {"hidden_act"}, .act_default = "gelu",
     .weights = {BERT_EMBEDDINGS, BERT_LAYER("encoder.layer.%d.")}, .prefixes = {"roberta.", "model."}},
    {.model_type = "xlm-roberta", .family = "roberta", .flags = BERT_FLAGS | CLEMBED__A_POS_OFFSET,
     .norm = CLEMBED__NORM_LAYER, .keys = {BERT_KEYS}, .defaults = {BERT_DEFAULTS(30522, 1)},
     .act_keys = {"hidden_act"}, .act_default = "gelu",
     .weights = {BERT_EMBEDDINGS, BERT_LAYER("encoder.layer.%d.")}, .prefixes = {"roberta.", "model."}},
    {.model_type = "camembert", .family = "roberta", .flags = BERT_FLAGS | CLEMBED__A_POS_OFFSET,
     .norm = CLEMBED__NORM_LAYER, .keys = {BERT_KEYS}, .defaults = {BERT_DEFAULTS(30522, 1)},
     .act_keys = {"hidden_act"}, .act_default = "gelu",
     .weights = {BERT_EMBEDDINGS, BERT_LAYER("encoder.layer.%d.")}, .prefixes = {"roberta.", "model."}},
    /* DistilBERT: no token types; its LayerNorm eps is fixed. */
    {.model_type = "distilbert", .family = "distilbert",
     .flags = CLEMBED__A_POS_LEARNED | CLEMBED__A_EMB_NORM, .norm = CLEMBED__NORM_LAYER,
     .keys = {K(VOCAB, "vocab_size"), K(HIDDEN, "dim"), K(LAYERS, "n_layers"), K(HEADS, "n_heads"),
              K(INTER, "hidden_dim"), K(POSITIONS, "max_position_embeddings"), K(PAD, "pad_token_id")},
     .defaults = {D(VOCAB, 30522), D(HIDDEN, 768), D(LAYERS, 6), D(HEADS, 12), D(INTER, 3072),
                  D(POSITIONS, 512), D(EPS, 1e-12), D(PAD, 0), D(ATTN_BIAS, 1), D(MLP_BIAS, 1),
                  D(NORM_BIAS, 1)},
     .act_keys = {"activation"}, .act_default = "gelu",
     .weights = {W(WORD, "embeddings.word_embeddings"), W(POS, "embeddings.position_embeddings"),
                 W(EMB_NORM, "embeddings.LayerNorm"), W(Q, "transformer.layer.%d.attention.q_lin"),
                 W(K, "transformer.layer.%d.attention.k_lin"), W(V, "transformer.layer.%d.attention.v_lin"),
                 W(O, "transformer.layer.%d.attention.out_lin"),
                 W(ATTN_NORM, "transformer.layer.%d.sa_layer_norm"), W(FFN_IN, "transformer.layer.%d.ffn.lin1"),
                 W(FFN_OUT, "transformer.layer.%d.ffn.lin2"),
                 W(FFN_NORM, "transformer.layer.%d.output_layer_norm")},
     .prefixes = {"distilbert.", "model."}},
    /* ALBERT: embeddings of size E projected to H; layers share weights by groups. */
    {.model_type = "albert", .family = "albert",
     .flags = BERT_FLAGS | CLEMBED__A_EMB_PROJ | CLEMBED__A_GROUPS, .norm = CLEMBED__NORM_LAYER,
     .keys = {BERT_KEYS, K(EMB_SIZE, "embedding_size"), K(GROUPS, "num_hidden_groups"),
              K(INNER, "inner_group_num")},
     .defaults = {D(VOCAB, 30000), D(EMB_SIZE, 128), D(HIDDEN, 4096), D(LAYERS, 12), D(HEADS, 64),
                  D(INTER, 16384), D(POSITIONS, 512), D(TYPES, 2), D(EPS, 1e-12), D(PAD, 0), D(GROUPS, 1),
                  D(INNER, 1), D(ATTN_BIAS, 1), D(MLP_BIAS, 1), D(NORM_BIAS, 1)},
     .act_keys = {"hidden_act"}, .act_default = "gelu_new",
     .weights = {BERT_EMBEDDINGS, W(EMB_PROJ, "encoder.embedding_hidden_mapping_in"),
                 W(Q, ALBERT_LAYER "attention.query"), W(K, ALBERT_LAYER "attention.key"),
                 W(V, ALBERT_LAYER "attention.value"), W(O, ALBERT_LAYER "attention.dense"),
                 W(ATTN_NORM, ALBERT_LAYER "attention.LayerNorm"), W(FFN_IN, ALBERT_LAYER "ffn"),
                 W(FFN_OUT, ALBERT_LAYER "ffn_output"), W(FFN_NORM, ALBERT_LAYER "full_layer_layer_norm")},
     .prefixes = {"albert.", "model."}},
    /* T5's encoder: RMSNorm before each sublayer, no biases, unscaled attention with a bucketed
     * relative bias that block 0 owns, the embedding table shared with the decoder. */
    {.model_type = "t5", .family = "t5",
     .flags = CLEMBED__A_REL_BUCKETS | CLEMBED__A_PRE_NORM | CLEMBED__A_FINAL_NORM | CLEMBED__A_UNSCALED,
     .norm = CLEMBED__NORM_RMS,
     .keys = {K(VOCAB, "vocab_size"), K(HIDDEN, "d_model"), K(HEAD_DIM, "d_kv"), K(LAYERS, "num_layers"),
              K(HEADS, "num_heads"), K(INTER, "d_ff"), K(EPS, "layer_norm_epsilon"), K(PAD, "pad_token_id"),
              K(REL_BUCKETS, "relative_attention_num_buckets"),
              K(REL_MAX_DIST, "relative_attention_max_distance")},
     .defaults = {D(VOCAB, 32128), D(HIDDEN, 512), D(HEAD_DIM, 64), D(LAYERS, 6), D(HEADS, 8),
                  D(INTER, 2048), D(POSITIONS, 1 << 20), D(EPS, 1e-6), D(PAD, 0), D(REL_BUCKETS, 32),
                  D(REL_MAX_DIST, 128)},
     .act_keys = {"feed_forward_proj"}, .act_how = CLEMBED__ACT_BY_FF_PROJ, .act_default = "relu",
     .weights = {W(WORD, "encoder.embed_tokens|shared"),
                 W(REL_BIAS, "encoder.block.0.layer.0.SelfAttention.relative_attention_bias"),
                 W(Q, T5_LAYER "0.SelfAttention.q"), W(K, T5_LAYER "0.SelfAttention.k"),
                 W(V, T5_LAYER "0.SelfAttention.v"), W(O, T5_LAYER "0.SelfAttention.o"),
                 W(ATTN_NORM, T5_LAYER "0.layer_norm"),
                 W(FFN_IN, T5_LAYER "1.DenseReluDense.wi|" T5_LAYER "1.DenseReluDense.wi_0"),
                 W(FFN_UP, T5_LAYER "1.DenseReluDense.wi_1"), W(FFN_OUT, T5_LAYER "1.DenseReluDense.wo"),
                 W(FFN_NORM, T5_LAYER "1.layer_norm"), W(FINAL_NORM, "encoder.final_layer_norm")},
     .prefixes = {"model."}},
    /* MPNet: learned positions after a padding index its code fixes at 1, and a bucketed
     * relative bias (buckets fixed in its code) computed once for every layer, added after the
     * scaling. */
    {.model_type = "mpnet", .family = "mpnet",
     .flags = CLEMBED__A_POS_LEARNED | CLEMBED__A_POS_OFFSET | CLEMBED__A_EMB_NORM | CLEMBED__A_REL_BUCKETS,
     .norm = CLEMBED__NORM_LAYER,
     .keys = {K(VOCAB, "vocab_size"), K(HIDDEN, "hidden_size"), K(LAYERS, "num_hidden_layers"),
              K(HEADS, "num_attention_heads"), K(INTER, "intermediate_size"),
              K(POSITIONS, "max_position_embeddings"), K(EPS, "layer_norm_eps"), K(PAD, "pad_token_id"),
              K(REL_BUCKETS, "relative_attention_num_buckets")},
     .defaults = {D(VOCAB, 30527), D(HIDDEN, 768), D(LAYERS, 12), D(HEADS, 12), D(INTER, 3072),
                  D(POSITIONS, 514), D(EPS, 1e-12), D(PAD, 1), D(REL_BUCKETS, 32), D(ATTN_BIAS, 1),
                  D(MLP_BIAS, 1), D(NORM_BIAS, 1)},
     .act_keys = {"hidden_act"}, .act_default = "gelu", .fixed_buckets = 32, .fixed_max_distance = 128,
     .weights = {W(WORD, "embeddings.word_embeddings"), W(POS, "embeddings.position_embeddings"),
                 W(EMB_NORM, "embeddings.LayerNorm"), W(REL_BIAS, "encoder.relative_attention_bias"),
                 W(Q, "encoder.layer.%d.attention.attn.q"), W(K, "encoder.layer.%d.attention.attn.k"),
                 W(V, "encoder.layer.%d.attention.attn.v"), W(O, "encoder.layer.%d.attention.attn.o"),
                 W(ATTN_NORM, "encoder.layer.%d.attention.LayerNorm"),
                 W(FFN_IN, "encoder.layer.%d.intermediate.dense"), W(FFN_OUT, "encoder.layer.%d.output.dense"),
                 W(FFN_NORM, "encoder.layer.%d.output.LayerNorm")},
     .prefixes = {"mpnet.", "model."}, .position_start = 2},
    /* ModernBERT: rotary positions with a theta per layer kind, every n-th layer global and the
     * others in a sliding window, GeGLU, pre-norm (none before layer 0's attention), no biases. */
    {.model_type = "modernbert", .family = "modernbert",
     .flags = CLEMBED__A_EMB_NORM | CLEMBED__A_ROTARY | CLEMBED__A_PRE_NORM | CLEMBED__A_FINAL_NORM |
              CLEMBED__A_FUSED_QKV | CLEMBED__A_GATED | CLEMBED__A_FUSED_GATE | CLEMBED__A_SLIDING |
              CLEMBED__A_FIRST_NO_ATTN_NORM,
     .norm = CLEMBED__NORM_LAYER,
     .keys = {K(VOCAB, "vocab_size"), K(HIDDEN, "hidden_size"), K(LAYERS, "num_hidden_layers"),
              K(HEADS, "num_attention_heads"), K(INTER, "intermediate_size"),
              K(POSITIONS, "max_position_embeddings"), K(EPS, "norm_eps"), K(PAD, "pad_token_id"),
              K(ROPE_THETA, "global_rope_theta"), K(ROPE_THETA_LOCAL, "local_rope_theta"),
              K(WINDOW, "local_attention"), K(GLOBAL_EVERY, "global_attn_every_n_layers"),
              K(ROPE_FRACTION, "partial_rotary_factor"), K(ATTN_BIAS, "attention_bias"),
              K(MLP_BIAS, "mlp_bias"), K(NORM_BIAS, "norm_bias")},
     .defaults = {D(VOCAB, 50368), D(HIDDEN, 768), D(LAYERS, 22), D(HEADS, 12), D(INTER, 1152),
                  D(POSITIONS, 8192), D(EPS, 1e-5), D(PAD, 50283), D(ROPE_THETA, 160000),
                  D(ROPE_THETA_LOCAL, 10000), D(ROPE_FRACTION, 1), D(WINDOW, 128), D(GLOBAL_EVERY, 3)},
     .act_keys = {"hidden_activation"}, .act_default = "gelu",
     .weights = {W(WORD, "embeddings.tok_embeddings"), W(EMB_NORM, "embeddings.norm"),
                 W(QKV, "layers.%d.attn.Wqkv"), W(O, "layers.%d.attn.Wo"), W(ATTN_NORM, "layers.%d.attn_norm"),
                 W(FFN_INUP, "layers.%d.mlp.Wi"), W(FFN_OUT, "layers.%d.mlp.Wo"),
                 W(FFN_NORM, "layers.%d.mlp_norm"), W(FINAL_NORM, "final_norm")},
     .prefixes = {"model."}},
    /* Qwen3 (Qwen3-Embedding): a decoder used as an encoder: causal attention with grouped
     * query heads, RMSNorm on each query and key head before rotary positions, SwiGLU. */
    {.model_type = "qwen3", .family = "qwen3",
     .flags = CLEMBED__A_ROTARY | CLEMBED__A_PRE_NORM | CLEMBED__A_FINAL_NORM | CLEMBED__A_CAUSAL |
              CLEMBED__A_QK_NORM | CLEMBED__A_GATED | CLEMBED__A_SLIDING,
     .norm = CLEMBED__NORM_RMS,
     .keys = {K(VOCAB, "vocab_size"), K(HIDDEN, "hidden_size"), K(LAYERS, "num_hidden_layers"),
              K(HEADS, "num_attention_heads"), K(KV_HEADS, "num_key_value_heads"), K(HEAD_DIM, "head_dim"),
              K(INTER, "intermediate_size"), K(POSITIONS, "max_position_embeddings"), K(EPS, "rms_norm_eps"),
              K(PAD, "pad_token_id"), K(ROPE_THETA, "rope_theta"), K(ROPE_FRACTION, "partial_rotary_factor"),
              K(WINDOW, "sliding_window"), K(USE_SLIDING, "use_sliding_window"),
              K(MAX_WINDOW_LAYERS, "max_window_layers"), K(ATTN_BIAS, "attention_bias")},
     .defaults = {D(VOCAB, 151936), D(HIDDEN, 4096), D(LAYERS, 32), D(HEADS, 32), D(HEAD_DIM, 128),
                  D(INTER, 22016), D(POSITIONS, 32768), D(EPS, 1e-6), D(PAD, -1), D(ROPE_THETA, 10000),
                  D(ROPE_FRACTION, 1), D(WINDOW, 4096), D(MAX_WINDOW_LAYERS, 28)},
     .act_keys = {"hidden_act"}, .act_default = "silu",
     .weights = {W(WORD, "embed_tokens"), W(Q, "layers.%d.self_attn.q_proj"), W(K, "layers.%d.self_attn.k_proj"),
                 W(V, "layers.%d.self_attn.v_proj"), W(O, "layers.%d.self_attn.o_proj"),
                 W(Q_NORM, "layers.%d.self_attn.q_norm"), W(K_NORM, "layers.%d.self_attn.k_norm"),
                 W(ATTN_NORM, "layers.%d.input_layernorm"), W(FFN_IN, "layers.%d.mlp.gate_proj"),
                 W(FFN_UP, "layers.%d.mlp.up_proj"), W(FFN_OUT, "layers.%d.mlp.down_proj"),
                 W(FFN_NORM, "layers.%d.post_attention_layernorm"), W(FINAL_NORM, "norm")},
     .prefixes = {"model."}},
    /* Llama: Qwen3 without the q/k norms (Llama-based embedders). */
    {.model_type = "llama", .family = "llama",
     .flags = CLEMBED__A_ROTARY | CLEMBED__A_PRE_NORM | CLEMBED__A_FINAL_NORM | CLEMBED__A_CAUSAL |
              CLEMBED__A_GATED,
     .norm = CLEMBED__NORM_RMS,
     .keys = {LLAMA_KEYS},
     .defaults = {D(VOCAB, 32000), D(HIDDEN, 4096), D(LAYERS, 32), D(HEADS, 32), D(INTER, 11008),
                  D(POSITIONS, 2048), D(EPS, 1e-6), D(PAD, -1), D(ROPE_THETA, 10000), D(ROPE_FRACTION, 1)},
     .act_keys = {"hidden_act"}, .act_default = "silu", .weights = {LLAMA_WEIGHTS}, .prefixes = {"model."}},
    /* Mistral (e5-mistral, SFR-Embedding-Mistral): Llama with a causal window in every layer. */
    {.model_type = "mistral", .family = "mistral",
     .flags = CLEMBED__A_ROTARY | CLEMBED__A_PRE_NORM | CLEMBED__A_FINAL_NORM | CLEMBED__A_CAUSAL |
              CLEMBED__A_GATED | CLEMBED__A_SLIDING,
     .norm = CLEMBED__NORM_RMS,
     .keys = {LLAMA_KEYS, K(WINDOW, "sliding_window")},
     .defaults = {D(VOCAB, 32000), D(HIDDEN, 4096), D(LAYERS, 32), D(HEADS, 32), D(KV_HEADS, 8),
                  D(INTER, 14336), D(POSITIONS, 131072), D(EPS, 1e-6), D(PAD, -1), D(ROPE_THETA, 10000),
                  D(ROPE_FRACTION, 1), D(WINDOW, 4096), D(USE_SLIDING, 1)},
     .act_keys = {"hidden_act"}, .act_default = "silu", .weights = {LLAMA_WEIGHTS}, .prefixes = {"model."}},
};

const size_t clembed__n_archs = sizeof clembed__archs / sizeof clembed__archs[0];

const clembed__arch *clembed__arch_find(const char *model_type)
{
    for (size_t i = 0; model_type && i < clembed__n_archs; i++)
        if (strcmp(clembed__archs[i].model_type, model_type) == 0)
            return &clembed__archs[i];
    return NULL;
}

const char *clembed__arch_flag_name(unsigned bit)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {CLEMBED__A_POS_LEARNED, "learned positions"}, {CLEMBED__A_POS_OFFSET, "positions after the padding index"},
        {CLEMBED__A_TOKEN_TYPES, "token types"}, {CLEMBED__A_EMB_NORM, "embedding norm"},
        {CLEMBED__A_EMB_PROJ, "factorised embeddings"}, {CLEMBED__A_REL_BUCKETS, "relative position buckets"},
        {CLEMBED__A_ROTARY, "rotary positions"}, {CLEMBED__A_PRE_NORM, "pre-norm"},
        {CLEMBED__A_FINAL_NORM, "final norm"}, {CLEMBED__A_UNSCALED, "unscaled attention"},
        {CLEMBED__A_CAUSAL, "causal attention"}, {CLEMBED__A_QK_NORM, "query/key norms"},
        {CLEMBED__A_FUSED_QKV, "fused query/key/value weights"}, {CLEMBED__A_GATED, "gated feed-forward"},
        {CLEMBED__A_FUSED_GATE, "fused gate weights"}, {CLEMBED__A_GROUPS, "shared layer groups"},
        {CLEMBED__A_FIRST_NO_ATTN_NORM, "no norm before the first attention"},
        {CLEMBED__A_SLIDING, "sliding-window layers"},
    };
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(names); i++)
        if (names[i].bit == bit)
            return names[i].name;
    return NULL;
}

const char *clembed__arch_supported(void)
{
    static char list[512];
    if (!list[0]) {
        size_t used = 0;
        for (size_t i = 0; i < clembed__n_archs && used < sizeof list; i++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                     clembed__archs[i].model_type);
    }
    return list;
}

int clembed__arch_weight_name(const clembed__arch *a, clembed__wrole r, int alt, int group, int inner,
                              const char *suffix, char *buf, size_t cap)
{
    const char *p = a->weights[r];
    if (!p)
        return 0;
    for (; alt > 0; alt--) {
        p = strchr(p, '|');
        if (!p)
            return 0;
        p++;
    }
    size_t len = strcspn(p, "|");
    char tmpl[192];
    if (len >= sizeof tmpl)
        return 0;
    memcpy(tmpl, p, len);
    tmpl[len] = '\0';
    /* The templates are this file's own: at most two %d, for the group and the inner index. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#endif
    int n = snprintf(buf, cap, tmpl, group, inner);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
    if (n < 0 || (size_t)n >= cap)
        return 0;
    return snprintf(buf + n, cap - (size_t)n, "%s", suffix) < (int)(cap - (size_t)n);
}
