/* config.json: the transformer's hyperparameters.  Absent keys take the defaults of
 * transformers' configuration classes (BertConfig, RobertaConfig, ...). */
#include "model/files.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *type;
    int         vocab_size;      /* the class default */
    int         pad_token_id;
    int         roberta;         /* positions start after the padding index */
} archs[] = {
    {"bert", 30522, 0, 0},
    {"roberta", 50265, 1, 1},
    {"xlm-roberta", 30522, 1, 1},
    {"camembert", 30522, 1, 1},
};

static const struct {
    const char  *name;
    clembed__act act;
} acts[] = {
    {"gelu", CLEMBED__ACT_GELU},
    {"gelu_python", CLEMBED__ACT_GELU},
    {"gelu_new", CLEMBED__ACT_GELU_TANH},
    {"gelu_pytorch_tanh", CLEMBED__ACT_GELU_TANH},
    {"gelu_fast", CLEMBED__ACT_GELU_TANH},
    {"relu", CLEMBED__ACT_RELU},
    {"silu", CLEMBED__ACT_SILU},
    {"swish", CLEMBED__ACT_SILU},
    {"quick_gelu", CLEMBED__ACT_QUICK_GELU},
    {"tanh", CLEMBED__ACT_TANH},
    {"linear", CLEMBED__ACT_IDENTITY},
};

const char *clembed__act_name(clembed__act act)
{
    static const char *const names[] = {"gelu", "gelu_tanh", "relu", "silu", "quick_gelu", "tanh",
                                        "identity"};
    return (unsigned)act < CLEMBED_ARRAY_LEN(names) ? names[act] : "unknown";
}

/* An int member with a default, in [min, max]. */
static clembed_status get_int(const char *label, const cJSON *root, const char *key, int def,
                              int min, int max, int *out)
{
    int64_t v = def;
    int present;
    clembed_status rc = clembed__mj_get_int(label, root, key, 0, min, max, &v, &present);
    *out = (int)v;
    return rc;
}

clembed_status clembed__parse_config(const char *label, const cJSON *root,
                                     clembed__encoder_config *cfg)
{
    clembed_status rc;
    char buf[96];
    memset(cfg, 0, sizeof *cfg);
    if (!cJSON_IsObject(root))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: must be a JSON object, not %s", label,
                             clembed__mj_kind(root));
    const char *type = NULL;
    int present;
    if ((rc = clembed__mj_get_str(label, root, "model_type", 0, &type, &present)) != CLEMBED_OK)
        return rc;
    if (!present)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: no 'model_type'; a Hugging Face config.json "
                             "names its architecture there", label);
    size_t a = 0;
    while (a < CLEMBED_ARRAY_LEN(archs) && strcmp(archs[a].type, type) != 0)
        a++;
    if (a == CLEMBED_ARRAY_LEN(archs))
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: model_type '%s' is not supported "
                             "(supported: bert, roberta, xlm-roberta, camembert)", label,
                             clembed__mj_printable(type, buf, sizeof buf));
    snprintf(cfg->model_type, sizeof cfg->model_type, "%s", type);

    const cJSON *arch = clembed__mj_get(root, "architectures");
    if (arch && !cJSON_IsNull(arch)) {
        if (!cJSON_IsArray(arch))
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: 'architectures' must be a list of strings, "
                                 "not %s", label, clembed__mj_kind(arch));
        const cJSON *it;
        cJSON_ArrayForEach(it, arch)
            if (!cJSON_IsString(it))
                return clembed__fail(CLEMBED_ERR_FORMAT, "%s: 'architectures' must be a list of "
                                     "strings, not a list holding %s", label, clembed__mj_kind(it));
        if (arch->child)
            snprintf(cfg->architecture, sizeof cfg->architecture, "%s",
                     clembed__mj_printable(arch->child->valuestring, buf, sizeof buf));
    }

    if ((rc = get_int(label, root, "vocab_size", archs[a].vocab_size, 1, 1 << 24, &cfg->vocab_size)) ||
        (rc = get_int(label, root, "hidden_size", 768, 1, 1 << 16, &cfg->hidden_size)) ||
        (rc = get_int(label, root, "num_hidden_layers", 12, 1, 1024, &cfg->num_layers)) ||
        (rc = get_int(label, root, "num_attention_heads", 12, 1, 1 << 16, &cfg->num_heads)) ||
        (rc = get_int(label, root, "intermediate_size", 3072, 1, 1 << 20, &cfg->intermediate_size)) ||
        (rc = get_int(label, root, "max_position_embeddings", 512, 1, 1 << 20,
                      &cfg->max_position_embeddings)) ||
        (rc = get_int(label, root, "type_vocab_size", 2, 1, 1 << 16, &cfg->type_vocab_size)))
        return rc;
    if (cfg->hidden_size % cfg->num_heads != 0)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: hidden_size %d is not a multiple of "
                             "num_attention_heads %d", label, cfg->hidden_size, cfg->num_heads);

    double eps = 1e-12;
    const cJSON *v = clembed__mj_get(root, "layer_norm_eps");
    if (v && (rc = clembed__mj_num(label, "layer_norm_eps", v, 0, 1, &eps)) != CLEMBED_OK)
        return rc;
    if (!(eps > 0))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: 'layer_norm_eps' must be positive, not %g",
                             label, eps);
    cfg->layer_norm_eps = (float)eps;

    const char *act = "gelu";
    if ((rc = clembed__mj_get_str(label, root, "hidden_act", 0, &act, &present)) != CLEMBED_OK)
        return rc;
    size_t k = 0;
    while (k < CLEMBED_ARRAY_LEN(acts) && strcmp(acts[k].name, act) != 0)
        k++;
    if (k == CLEMBED_ARRAY_LEN(acts))
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: hidden_act '%s' is not supported (supported: "
                             "gelu, gelu_python, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu, "
                             "swish, quick_gelu, tanh, linear)", label, clembed__mj_printable(act, buf, sizeof buf));
    cfg->hidden_act = acts[k].act;

    const char *pet = NULL;
    if ((rc = clembed__mj_get_str(label, root, "position_embedding_type", 1, &pet, &present)))
        return rc;
    if (present && strcmp(pet, "absolute") != 0)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: position_embedding_type '%s' is not "
                             "supported (only 'absolute')", label,
                             clembed__mj_printable(pet, buf, sizeof buf));

    int dec = 0;
    if ((rc = clembed__mj_get_bool(label, root, "is_decoder", 1, &dec, &present)) != CLEMBED_OK)
        return rc;
    if (dec)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: is_decoder is true (causal attention); only "
                             "bidirectional encoders are supported", label);

    int64_t pad = archs[a].pad_token_id;
    if ((rc = clembed__mj_get_int(label, root, "pad_token_id", 1, 0, cfg->vocab_size - 1, &pad,
                                    &present)) != CLEMBED_OK)
        return rc;
    if (!present && clembed__mj_get(root, "pad_token_id")) {
        /* null: BERT has no padding index then; RoBERTa needs one to number positions. */
        if (archs[a].roberta)
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: pad_token_id is null, but %s numbers "
                                 "positions from the padding index", label, cfg->model_type);
        pad = -1;
    }
    cfg->pad_token_id = (int)pad;
    cfg->position_offset = archs[a].roberta ? (int)pad + 1 : 0;
    if (cfg->position_offset >= cfg->max_position_embeddings)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: max_position_embeddings %d leaves no positions "
                             "after the offset %d (pad_token_id + 1)", label,
                             cfg->max_position_embeddings, cfg->position_offset);
    return CLEMBED_OK;
}
