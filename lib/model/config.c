/* config.json: the encoder's hyperparameters, read through the family's row of the architecture
 * table (model/arch.h).  Absent keys take the defaults of transformers' configuration classes;
 * the transformers 5 forms (rope_parameters, layer_types) and the transformers 4 forms
 * (rope_theta, global_rope_theta, local_rope_theta, global_attn_every_n_layers,
 * use_sliding_window) are both read. */
#include "model/arch.h"
#include "model/files.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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

/* How each value is read: an integer in [min, max] (null meaning "not given" where null_ok), a
 * number in (0, max], or a boolean. */
enum { INT, NUM, BOOL };
static const struct {
    int kind, null_ok;
    double min, max;
} value_rules[CLEMBED__N_CKEYS] = {
    [CLEMBED__C_VOCAB] = {INT, 0, 1, 1 << 24},
    [CLEMBED__C_HIDDEN] = {INT, 0, 1, 1 << 16},
    [CLEMBED__C_EMB_SIZE] = {INT, 0, 1, 1 << 16},
    [CLEMBED__C_LAYERS] = {INT, 0, 1, CLEMBED__MAX_LAYERS},
    [CLEMBED__C_HEADS] = {INT, 0, 1, 1 << 16},
    [CLEMBED__C_KV_HEADS] = {INT, 1, 1, 1 << 16},
    [CLEMBED__C_HEAD_DIM] = {INT, 1, 1, 1 << 12},
    [CLEMBED__C_INTER] = {INT, 0, 1, 1 << 20},
    [CLEMBED__C_POSITIONS] = {INT, 0, 1, 1 << 20},
    [CLEMBED__C_TYPES] = {INT, 0, 1, 1 << 16},
    [CLEMBED__C_EPS] = {NUM, 0, 0, 1},
    [CLEMBED__C_PAD] = {INT, 1, 0, 0 /* the vocabulary */},
    [CLEMBED__C_GROUPS] = {INT, 0, 1, CLEMBED__MAX_LAYERS},
    [CLEMBED__C_INNER] = {INT, 0, 1, 64},
    [CLEMBED__C_REL_BUCKETS] = {INT, 0, 1, 1 << 16},
    [CLEMBED__C_REL_MAX_DIST] = {INT, 0, 1, 1 << 20},
    [CLEMBED__C_ROPE_THETA] = {NUM, 0, 0, 1e12},
    [CLEMBED__C_ROPE_THETA_LOCAL] = {NUM, 0, 0, 1e12},
    [CLEMBED__C_ROPE_FRACTION] = {NUM, 1, 0, 1},
    [CLEMBED__C_WINDOW] = {INT, 1, 1, 1 << 20},
    [CLEMBED__C_GLOBAL_EVERY] = {INT, 0, 1, CLEMBED__MAX_LAYERS},
    [CLEMBED__C_USE_SLIDING] = {BOOL, 1, 0, 1},
    [CLEMBED__C_MAX_WINDOW_LAYERS] = {INT, 1, 0, 1 << 20},
    [CLEMBED__C_ATTN_BIAS] = {BOOL, 1, 0, 1},
    [CLEMBED__C_MLP_BIAS] = {BOOL, 1, 0, 1},
    [CLEMBED__C_NORM_BIAS] = {BOOL, 1, 0, 1},
};

/* Value `id` of the row's keys: the first key present, else the row's default.  *given says
 * whether a key was there (null counts as absent where the rule allows null). */
static clembed_status value(const char *label, const cJSON *root, const clembed__arch *a,
                            clembed__ckey id, double vmax, double *out, int *given)
{
    *out = a->defaults[id];
    if (given)
        *given = 0;
    for (int i = 0; i < CLEMBED__MAX_KEY_NAMES && a->keys[id][i]; i++) {
        const char *key = a->keys[id][i];
        clembed_status rc = CLEMBED_OK;
        int present = 0;
        if (value_rules[id].kind == INT) {
            int64_t v = 0;
            rc = clembed__mj_get_int(label, root, key, value_rules[id].null_ok, (int64_t)value_rules[id].min,
                                     (int64_t)(vmax > 0 ? vmax : value_rules[id].max), &v, &present);
            if (present)
                *out = (double)v;
        } else if (value_rules[id].kind == BOOL) {
            int v = 0;
            rc = clembed__mj_get_bool(label, root, key, value_rules[id].null_ok, &v, &present);
            if (present)
                *out = v;
        } else {
            const cJSON *j = clembed__mj_get(root, key);
            present = j && !(value_rules[id].null_ok && cJSON_IsNull(j));
            if (present) {
                double v = 0;
                rc = clembed__mj_num(label, key, j, 0, value_rules[id].max, &v);
                if (rc == CLEMBED_OK && !(v > 0))
                    return clembed__fail(CLEMBED_ERR_FORMAT, "%s: '%s' must be positive, not %g", label,
                                         key, v);
                *out = v;
            }
        }
        if (rc != CLEMBED_OK)
            return rc;
        if (present) {
            if (given)
                *given = 1;
            return CLEMBED_OK;
        }
    }
    return CLEMBED_OK;
}

/* The activation: a name, or T5's feed_forward_proj ("relu", "gated-gelu", "gated-silu"). */
static clembed_status read_act(const char *label, const cJSON *root, const clembed__arch *a,
                               clembed__encoder_config *cfg)
{
    const char *act = a->act_default, *key = a->act_keys[0];
    clembed_status rc;
    char buf[96], name[64];
    for (int i = 0; i < CLEMBED__MAX_KEY_NAMES && a->act_keys[i]; i++) {
        int present = 0;
        const char *s = NULL;
        if ((rc = clembed__mj_get_str(label, root, a->act_keys[i], 0, &s, &present)) != CLEMBED_OK)
            return rc;
        if (present) {
            act = s;
            key = a->act_keys[i];
            break;
        }
    }
    snprintf(name, sizeof name, "%s", act);
    if (a->act_how == CLEMBED__ACT_BY_FF_PROJ) {
        /* transformers: "gated-<act>" or "<act>"; gated-gelu means gelu_new. */
        const char *dash = strchr(act, '-');
        if (dash && (strncmp(act, "gated-", 6) != 0 || strchr(dash + 1, '-')))
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: %s '%s' is not '<activation>' or "
                                 "'gated-<activation>'", label, key, clembed__mj_printable(act, buf, sizeof buf));
        cfg->gated = dash != NULL;
        snprintf(name, sizeof name, "%s", dash ? dash + 1 : act);
        if (strcmp(name, "gelu") == 0 && dash)
            snprintf(name, sizeof name, "gelu_new");
    }
    size_t k = 0;
    while (k < CLEMBED_ARRAY_LEN(acts) && strcmp(acts[k].name, name) != 0)
        k++;
    if (k == CLEMBED_ARRAY_LEN(acts))
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: %s '%s' is not supported (supported: "
                             "gelu, gelu_python, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu, "
                             "swish, quick_gelu, tanh, linear%s)", label, key,
                             clembed__mj_printable(act, buf, sizeof buf),
                             a->act_how == CLEMBED__ACT_BY_FF_PROJ ? ", each also as gated-<name>" : "");
    cfg->hidden_act = acts[k].act;
    return CLEMBED_OK;
}

/* Rotary parameters in the transformers 5 form: rope_parameters, flat ({"rope_theta": ...}) or
 * per layer kind ({"full_attention": {...}, "sliding_attention": {...}}). */
static clembed_status rope_object(const char *label, const cJSON *rp, const char *where, double *theta,
                                  double *fraction)
{
    char buf[96], key[96];
    const char *type = NULL;
    int present = 0;
    clembed_status rc;
    snprintf(key, sizeof key, "%s.rope_type", where);
    if ((rc = clembed__mj_get_str(label, rp, "rope_type", 1, &type, &present)) != CLEMBED_OK)
        return rc;
    if (present && strcmp(type, "default") != 0)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: %s is '%s'; only 'default' rotary positions "
                             "(no scaling) are supported", label, key, clembed__mj_printable(type, buf, sizeof buf));
    const cJSON *t = clembed__mj_get(rp, "rope_theta");
    if (t) {
        snprintf(key, sizeof key, "%s.rope_theta", where);
        if ((rc = clembed__mj_num(label, key, t, 0, 1e12, theta)) != CLEMBED_OK)
            return rc;
        if (!(*theta > 0))
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: '%s' must be positive", label, key);
    }
    const cJSON *f = clembed__mj_get(rp, "partial_rotary_factor");
    if (f && !cJSON_IsNull(f)) {
        snprintf(key, sizeof key, "%s.partial_rotary_factor", where);
        if ((rc = clembed__mj_num(label, key, f, 0, 1, fraction)) != CLEMBED_OK)
            return rc;
    }
    return CLEMBED_OK;
}

static clembed_status read_rope(const char *label, const cJSON *root, clembed__encoder_config *cfg,
                                double *fraction)
{
    clembed_status rc;
    char buf[96];
    const cJSON *scaling = clembed__mj_get(root, "rope_scaling");
    if (scaling && !cJSON_IsNull(scaling))
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: rope_scaling is %s; only rotary positions "
                             "without scaling are supported", label, clembed__mj_kind(scaling));
    const cJSON *rp = clembed__mj_get(root, "rope_parameters");
    if (!rp || cJSON_IsNull(rp))
        return CLEMBED_OK;
    if (!cJSON_IsObject(rp))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: 'rope_parameters' must be an object, not %s", label,
                             clembed__mj_kind(rp));
    const cJSON *full = clembed__mj_get(rp, "full_attention"), *slide = clembed__mj_get(rp, "sliding_attention");
    if (!full && !slide)
        return rope_object(label, rp, "rope_parameters", &cfg->rope_theta, fraction);
    const cJSON *it;
    cJSON_ArrayForEach(it, rp) {
        if (strcmp(it->string, "full_attention") != 0 && strcmp(it->string, "sliding_attention") != 0)
            return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: rope_parameters has an entry for '%s'; "
                                 "layer kinds known: full_attention, sliding_attention", label,
                                 clembed__mj_printable(it->string, buf, sizeof buf));
        if (!cJSON_IsObject(it))
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: 'rope_parameters.%s' must be an object, not %s",
                                 label, it->string, clembed__mj_kind(it));
    }
    if (full && (rc = rope_object(label, full, "rope_parameters.full_attention", &cfg->rope_theta,
                                  fraction)) != CLEMBED_OK)
        return rc;
    if (slide && (rc = rope_object(label, slide, "rope_parameters.sliding_attention",
                                   &cfg->rope_theta_local, fraction)) != CLEMBED_OK)
        return rc;
    return CLEMBED_OK;
}

/* Which layers slide: layer_types (transformers 5), else the family's older keys. */
static clembed_status read_layer_kinds(const char *label, const cJSON *root, const clembed__arch *a,
                                       clembed__encoder_config *cfg)
{
    clembed_status rc;
    char buf[96];
    const cJSON *lt = clembed__mj_get(root, "layer_types");
    if (lt && !cJSON_IsNull(lt)) {
        if (!cJSON_IsArray(lt) || cJSON_GetArraySize(lt) != cfg->num_layers)
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: 'layer_types' must be a list of %d strings "
                                 "(one per layer)", label, cfg->num_layers);
        int l = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, lt) {
            if (!cJSON_IsString(it))
                return clembed__fail(CLEMBED_ERR_FORMAT, "%s: 'layer_types' must hold strings, not %s",
                                     label, clembed__mj_kind(it));
            if (strcmp(it->valuestring, "sliding_attention") == 0 && (a->flags & CLEMBED__A_SLIDING))
                cfg->sliding[l] = 1;
            else if (strcmp(it->valuestring, "full_attention") != 0)
                return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: layer_types[%d] is '%s'; %s layers "
                                     "are full_attention%s", label, l,
                                     clembed__mj_printable(it->valuestring, buf, sizeof buf), a->family,
                                     a->flags & CLEMBED__A_SLIDING ? " or sliding_attention" : "");
            l++;
        }
        return CLEMBED_OK;
    }
    if (!(a->flags & CLEMBED__A_SLIDING))
        return CLEMBED_OK;
    double every, use, from;
    int has_every = a->keys[CLEMBED__C_GLOBAL_EVERY][0] != NULL;
    if (has_every) {
        if ((rc = value(label, root, a, CLEMBED__C_GLOBAL_EVERY, 0, &every, NULL)) != CLEMBED_OK)
            return rc;
        for (int l = 0; l < cfg->num_layers; l++)
            cfg->sliding[l] = l % (int)every != 0;
        return CLEMBED_OK;
    }
    if ((rc = value(label, root, a, CLEMBED__C_USE_SLIDING, 0, &use, NULL)) != CLEMBED_OK ||
        (rc = value(label, root, a, CLEMBED__C_MAX_WINDOW_LAYERS, 0, &from, NULL)) != CLEMBED_OK)
        return rc;
    for (int l = 0; use && l < cfg->num_layers; l++)
        cfg->sliding[l] = l >= (int)from;
    return CLEMBED_OK;
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
    const clembed__arch *a = clembed__arch_find(type);
    if (!a)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: model_type '%s' is not supported "
                             "(supported: %s)", label, clembed__mj_printable(type, buf, sizeof buf),
                             clembed__arch_supported());
    cfg->arch = a;
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

    double v[CLEMBED__N_CKEYS] = {0};
    int given[CLEMBED__N_CKEYS] = {0};
    for (int id = 0; id < CLEMBED__N_CKEYS; id++)
        if (id != CLEMBED__C_PAD &&
            (rc = value(label, root, a, (clembed__ckey)id, 0, &v[id], &given[id])) != CLEMBED_OK)
            return rc;
    cfg->vocab_size = (int)v[CLEMBED__C_VOCAB];
    cfg->hidden_size = (int)v[CLEMBED__C_HIDDEN];
    cfg->num_layers = (int)v[CLEMBED__C_LAYERS];
    cfg->num_heads = (int)v[CLEMBED__C_HEADS];
    cfg->intermediate_size = (int)v[CLEMBED__C_INTER];
    cfg->max_position_embeddings = (int)v[CLEMBED__C_POSITIONS];
    cfg->type_vocab_size = (a->flags & CLEMBED__A_TOKEN_TYPES) ? (int)v[CLEMBED__C_TYPES] : 0;
    cfg->layer_norm_eps = (float)v[CLEMBED__C_EPS];
    cfg->emb_size = (a->flags & CLEMBED__A_EMB_PROJ) ? (int)v[CLEMBED__C_EMB_SIZE] : cfg->hidden_size;
    cfg->num_kv_heads = given[CLEMBED__C_KV_HEADS] ? (int)v[CLEMBED__C_KV_HEADS] : cfg->num_heads;
    cfg->num_groups = (a->flags & CLEMBED__A_GROUPS) ? (int)v[CLEMBED__C_GROUPS] : 1;
    cfg->inner_group_num = (a->flags & CLEMBED__A_GROUPS) ? (int)v[CLEMBED__C_INNER] : 1;
    cfg->attn_bias = (int)v[CLEMBED__C_ATTN_BIAS];
    cfg->mlp_bias = (int)v[CLEMBED__C_MLP_BIAS];
    cfg->norm_bias = (int)v[CLEMBED__C_NORM_BIAS];
    if (a->keys[CLEMBED__C_HEAD_DIM][0] && (given[CLEMBED__C_HEAD_DIM] || a->defaults[CLEMBED__C_HEAD_DIM] > 0))
        cfg->head_dim = (int)v[CLEMBED__C_HEAD_DIM];
    else if (cfg->hidden_size % cfg->num_heads != 0)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: %s %d is not a multiple of %s %d", label,
                             a->keys[CLEMBED__C_HIDDEN][0], cfg->hidden_size, a->keys[CLEMBED__C_HEADS][0],
                             cfg->num_heads);
    else
        cfg->head_dim = cfg->hidden_size / cfg->num_heads;
    if (cfg->num_heads % cfg->num_kv_heads != 0)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: num_attention_heads %d is not a multiple of "
                             "num_key_value_heads %d", label, cfg->num_heads, cfg->num_kv_heads);
    if (cfg->num_groups > cfg->num_layers)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: num_hidden_groups %d exceeds num_hidden_layers %d",
                             label, cfg->num_groups, cfg->num_layers);
    if (!(cfg->layer_norm_eps > 0))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: '%s' must be positive, not %g", label,
                             a->keys[CLEMBED__C_EPS][0] ? a->keys[CLEMBED__C_EPS][0] : "eps",
                             cfg->layer_norm_eps);
    if ((rc = read_act(label, root, a, cfg)) != CLEMBED_OK)
        return rc;
    if (a->flags & CLEMBED__A_GATED)
        cfg->gated = 1;

    /* Positions. */
    const char *pet = NULL;
    if ((rc = clembed__mj_get_str(label, root, "position_embedding_type", 1, &pet, &present)))
        return rc;
    if (present && strcmp(pet, "absolute") != 0)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: position_embedding_type '%s' is not "
                             "supported (only 'absolute')", label,
                             clembed__mj_printable(pet, buf, sizeof buf));
    if (a->flags & CLEMBED__A_REL_BUCKETS) {
        cfg->rel_table_rows = (int)v[CLEMBED__C_REL_BUCKETS];
        cfg->rel_buckets = a->fixed_buckets ? a->fixed_buckets : cfg->rel_table_rows;
        cfg->rel_max_distance = a->fixed_max_distance ? a->fixed_max_distance : (int)v[CLEMBED__C_REL_MAX_DIST];
        if (cfg->rel_table_rows < cfg->rel_buckets)
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: relative_attention_num_buckets is %d; %s "
                                 "numbers %d buckets", label, cfg->rel_table_rows, a->family,
                                 cfg->rel_buckets);
        if (cfg->rel_buckets < 4)
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: relative_attention_num_buckets %d: at least 4 "
                                 "are needed (two directions, exact and logarithmic)", label,
                                 cfg->rel_buckets);
    }
    if (a->flags & CLEMBED__A_ROTARY) {
        double fraction = v[CLEMBED__C_ROPE_FRACTION] > 0 ? v[CLEMBED__C_ROPE_FRACTION] : 1;
        cfg->rope_theta = v[CLEMBED__C_ROPE_THETA];
        /* Sliding layers have their own base only where the family says so. */
        cfg->rope_theta_local = a->keys[CLEMBED__C_ROPE_THETA_LOCAL][0] ? v[CLEMBED__C_ROPE_THETA_LOCAL] : -1;
        if ((rc = read_rope(label, root, cfg, &fraction)) != CLEMBED_OK)
            return rc;
        if (cfg->rope_theta_local < 0)
            cfg->rope_theta_local = cfg->rope_theta;
        cfg->rope_dim = (int)(cfg->head_dim * fraction) & ~1;
        if (cfg->rope_dim < 2)
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: partial_rotary_factor %g leaves no rotary "
                                 "dimensions of the head's %d", label, fraction, cfg->head_dim);
    }
    if ((rc = read_layer_kinds(label, root, a, cfg)) != CLEMBED_OK)
        return rc;
    /* A window size of null (or none where the family has no default) means full attention in
     * every layer, as transformers builds its masks. */
    int w = (int)v[CLEMBED__C_WINDOW];
    for (int i = 0; i < CLEMBED__MAX_KEY_NAMES && a->keys[CLEMBED__C_WINDOW][i]; i++) {
        const cJSON *wj = clembed__mj_get(root, a->keys[CLEMBED__C_WINDOW][i]);
        if (wj && cJSON_IsNull(wj))
            w = 0;
    }
    for (int l = 0; l < cfg->num_layers; l++)
        if (w <= 0)
            cfg->sliding[l] = 0;
        else if (cfg->sliding[l]) {
            /* Causal: the key itself and the w - 1 before it; else w / 2 on each side. */
            cfg->window_left = (a->flags & CLEMBED__A_CAUSAL) ? w - 1 : w / 2;
            cfg->window_right = (a->flags & CLEMBED__A_CAUSAL) ? 0 : w / 2;
        }

    int dec = 0;
    if ((rc = clembed__mj_get_bool(label, root, "is_decoder", 1, &dec, &present)) != CLEMBED_OK)
        return rc;
    if (dec && !(a->flags & CLEMBED__A_CAUSAL))
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: is_decoder is true (causal attention); only "
                             "bidirectional encoders are supported", label);

    int64_t pad = (int64_t)a->defaults[CLEMBED__C_PAD];
    const char *pad_key = a->keys[CLEMBED__C_PAD][0];
    present = 0;
    if (pad_key && (rc = clembed__mj_get_int(label, root, pad_key, 1, 0, cfg->vocab_size - 1, &pad,
                                             &present)) != CLEMBED_OK)
        return rc;
    if (pad_key && !present && clembed__mj_get(root, pad_key)) {
        /* null: no padding index; families that number positions from it need one. */
        if ((a->flags & CLEMBED__A_POS_OFFSET) && !a->position_start)
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: pad_token_id is null, but %s numbers "
                                 "positions from the padding index", label, cfg->model_type);
        pad = -1;
    }
    if (pad >= cfg->vocab_size)
        pad = -1;
    cfg->pad_token_id = (int)pad;
    if (a->flags & CLEMBED__A_POS_OFFSET)
        cfg->position_offset = a->position_start ? a->position_start : (int)pad + 1;
    if (cfg->position_offset >= cfg->max_position_embeddings)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: max_position_embeddings %d leaves no positions "
                             "after the offset %d (pad_token_id + 1)", label,
                             cfg->max_position_embeddings, cfg->position_offset);
    return CLEMBED_OK;
}
