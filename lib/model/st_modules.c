/* sentence-transformers' files: modules.json, the Pooling, Dense and Normalize configs,
 * sentence_bert_config.json, tokenizer_config.json and config_sentence_transformers.json, read as
 * sentence-transformers 6 reads them (legacy and 5.4+ forms alike). */
#include "model/files.h"
#include "core/util.h"
#include "tokenizers/tk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P(s, b) clembed__mj_printable((s), (b), sizeof (b))

/* ---- modules.json -------------------------------------------------------- */

/* Every class path under which sentence-transformers 6 (and its legacy aliases) finds a module. */
static const struct {
    const char          *type;
    clembed__module_kind kind;
} module_types[] = {
    {"sentence_transformers.models.Transformer", CLEMBED__MOD_TRANSFORMER},
    {"sentence_transformers.base.modules.Transformer", CLEMBED__MOD_TRANSFORMER},
    {"sentence_transformers.base.modules.transformer.Transformer", CLEMBED__MOD_TRANSFORMER},
    {"sentence_transformers.sentence_transformer.modules.Transformer", CLEMBED__MOD_TRANSFORMER},
    {"sentence_transformers.models.Pooling", CLEMBED__MOD_POOLING},
    {"sentence_transformers.models.pooling.Pooling", CLEMBED__MOD_POOLING},
    {"sentence_transformers.sentence_transformer.modules.Pooling", CLEMBED__MOD_POOLING},
    {"sentence_transformers.sentence_transformer.modules.pooling.Pooling", CLEMBED__MOD_POOLING},
    {"sentence_transformers.models.Dense", CLEMBED__MOD_DENSE},
    {"sentence_transformers.base.modules.Dense", CLEMBED__MOD_DENSE},
    {"sentence_transformers.base.modules.dense.Dense", CLEMBED__MOD_DENSE},
    {"sentence_transformers.sentence_transformer.modules.Dense", CLEMBED__MOD_DENSE},
    {"sentence_transformers.models.Normalize", CLEMBED__MOD_NORMALIZE},
    {"sentence_transformers.base.modules.Normalize", CLEMBED__MOD_NORMALIZE},
    {"sentence_transformers.base.modules.normalize.Normalize", CLEMBED__MOD_NORMALIZE},
    {"sentence_transformers.sentence_transformer.modules.Normalize", CLEMBED__MOD_NORMALIZE},
    {"sentence_transformers.sentence_transformer.modules.normalize.Normalize", CLEMBED__MOD_NORMALIZE},
};

static const char *const kind_names[] = {"Transformer", "Pooling", "Dense", "Normalize"};

void clembed__modules_free(clembed__module *mods, size_t n)
{
    for (size_t i = 0; mods && i < n; i++)
        free(mods[i].path);
    free(mods);
}

/* sentence-transformers refuses rooted paths and '..' components, in POSIX and Windows syntax. */
static int path_ok(const char *p)
{
    if (p[0] == '/' || p[0] == '\\' || (p[0] && p[1] == ':'))
        return 0;
    for (const char *s = p; *s;) {
        size_t l = strcspn(s, "/\\");
        if (l == 2 && s[0] == '.' && s[1] == '.')
            return 0;
        s += l;
        if (*s)
            s++;
    }
    return 1;
}

clembed_status clembed__parse_modules(const char *label, const cJSON *root, clembed__module **out,
                                      size_t *n_out)
{
    clembed_status rc = CLEMBED_OK;
    char b1[160], b2[160];
    *out = NULL;
    *n_out = 0;
    if (!cJSON_IsArray(root))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: must be a list of modules, not %s", label,
                             clembed__mj_kind(root));
    int n = cJSON_GetArraySize(root);
    if (n == 0)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: lists no modules", label);
    if (n > 64)
        return clembed__fail(CLEMBED_ERR_TOO_LARGE, "%s: lists %d modules, more than the limit of 64",
                             label, n);
    clembed__module *mods = calloc((size_t)n, sizeof *mods);
    const char **names = calloc((size_t)n, sizeof *names);
    if (!mods || !names) {
        free(mods);
        free(names);
        return clembed__fail(CLEMBED_ERR_NOMEM, "%s: out of memory", label);
    }
    size_t k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, root) {
        const char *name, *path, *type;
        int pn, pp, pt;
        if (!cJSON_IsObject(it)) {
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: module %zu must be an object, not %s", label,
                               k, clembed__mj_kind(it));
            goto fail;
        }
        if ((rc = clembed__mj_get_str(label, it, "name", 0, &name, &pn)) ||
            (rc = clembed__mj_get_str(label, it, "path", 0, &path, &pp)) ||
            (rc = clembed__mj_get_str(label, it, "type", 0, &type, &pt)))
            goto fail;
        if (!pn || !pp || !pt) {
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: module %zu has no '%s'", label, k,
                               !pn ? "name" : !pp ? "path" : "type");
            goto fail;
        }
        const cJSON *v = clembed__mj_get(it, "idx");
        int64_t idx;
        if (v && (rc = clembed__mj_int(label, "idx", v, 0, 1 << 20, &idx)) != CLEMBED_OK)
            goto fail;
        v = clembed__mj_get(it, "kwargs");
        if (v && !cJSON_IsArray(v) && !cJSON_IsNull(v)) {
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: module '%s': 'kwargs' must be a list, not %s",
                               label, P(name, b1), clembed__mj_kind(v));
            goto fail;
        }
        if (!path_ok(path)) {
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: module '%s': path '%s' must be relative, "
                               "without '..'", label, P(name, b1), P(path, b2));
            goto fail;
        }
        for (size_t j = 0; j < k; j++)
            if (strcmp(names[j], name) == 0) {
                rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: module name '%s' appears twice", label,
                                   P(name, b1));
                goto fail;
            }
        size_t t = 0;
        while (t < CLEMBED_ARRAY_LEN(module_types) && strcmp(module_types[t].type, type) != 0)
            t++;
        if (t == CLEMBED_ARRAY_LEN(module_types)) {
            if (strncmp(type, "sentence_transformers.", 22) == 0)
                rc = clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: module '%s' of type '%s' is not "
                                   "supported (supported: Transformer, Pooling, Dense, Normalize)",
                                   label, P(name, b1), P(type, b2));
            else
                rc = clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: module '%s' is the custom class '%s', "
                                   "code from the model repository, which clembed cannot run", label,
                                   P(name, b1), P(type, b2));
            goto fail;
        }
        names[k] = name;
        mods[k].kind = module_types[t].kind;
        mods[k].include_prompt = 1;
        if (!(mods[k].path = clembed__strdup(path))) {
            rc = clembed__fail(CLEMBED_ERR_NOMEM, "%s: out of memory", label);
            goto fail;
        }
        k++;
    }
    /* The chains clembed runs: Transformer, Pooling, then Dense and Normalize in any order. */
    for (size_t i = 0; i < k; i++) {
        clembed__module_kind want = i == 0 ? CLEMBED__MOD_TRANSFORMER : CLEMBED__MOD_POOLING;
        int ok = i < 2 ? mods[i].kind == want
                       : mods[i].kind == CLEMBED__MOD_DENSE || mods[i].kind == CLEMBED__MOD_NORMALIZE;
        if (!ok) {
            rc = clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: module %zu is a %s where a %s is needed; "
                               "supported chains are Transformer, Pooling, then Dense and Normalize "
                               "modules", label, i, kind_names[mods[i].kind],
                               i < 2 ? kind_names[want] : "Dense or Normalize");
            goto fail;
        }
    }
    if (k < 2) {
        rc = clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: no Pooling module after the Transformer; token "
                           "embeddings as output are not supported", label);
        goto fail;
    }
    free(names);
    *out = mods;
    *n_out = k;
    return CLEMBED_OK;
fail:
    free(names);
    clembed__modules_free(mods, (size_t)n);
    return rc;
}

/* ---- Pooling ------------------------------------------------------------- */

static const struct {
    const char *name;        /* pooling_mode value */
    const char *legacy;      /* pooling_mode_* key */
    unsigned    bit;
} pools[] = {
    {"cls", "pooling_mode_cls_token", CLEMBED__POOL_CLS},
    {"max", "pooling_mode_max_tokens", CLEMBED__POOL_MAX},
    {"mean", "pooling_mode_mean_tokens", CLEMBED__POOL_MEAN},
    {"mean_sqrt_len_tokens", "pooling_mode_mean_sqrt_len_tokens", CLEMBED__POOL_MEAN_SQRT_LEN},
    {"weightedmean", "pooling_mode_weightedmean_tokens", CLEMBED__POOL_WEIGHTED_MEAN},
    {"lasttoken", "pooling_mode_lasttoken", CLEMBED__POOL_LAST_TOKEN},
};

const char *clembed__pool_name(unsigned mode)
{
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(pools); i++)
        if (pools[i].bit == mode)
            return pools[i].name;
    return "unknown";
}

/* Adds the mode named by the string v. */
static clembed_status add_pool(const char *label, clembed__module *m, const cJSON *v)
{
    char b[64];
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(pools); i++)
        if (strcmp(pools[i].name, v->valuestring) == 0) {
            if (m->n_pool == (int)CLEMBED_ARRAY_LEN(m->pool_list))
                return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: more than %zu pooling modes", label,
                                     CLEMBED_ARRAY_LEN(m->pool_list));
            m->pool_list[m->n_pool++] = pools[i].bit;
            m->pool_modes |= pools[i].bit;
            return CLEMBED_OK;
        }
    return clembed__fail(CLEMBED_ERR_FORMAT, "%s: pooling mode '%s' is not one of cls, max, mean, "
                         "mean_sqrt_len_tokens, weightedmean, lasttoken", label,
                         P(v->valuestring, b));
}

clembed_status clembed__parse_pooling(const char *label, const cJSON *root, clembed__module *m)
{
    clembed_status rc;
    char b[96];
    if (!cJSON_IsObject(root))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: must be a JSON object, not %s", label,
                             clembed__mj_kind(root));
    /* sentence-transformers passes the keys to Pooling(), which takes no others. */
    const cJSON *it;
    cJSON_ArrayForEach(it, root) {
        int known = strcmp(it->string, "embedding_dimension") == 0 ||
                    strcmp(it->string, "word_embedding_dimension") == 0 ||
                    strcmp(it->string, "pooling_mode") == 0 || strcmp(it->string, "include_prompt") == 0;
        for (size_t i = 0; i < CLEMBED_ARRAY_LEN(pools); i++)
            known |= strcmp(it->string, pools[i].legacy) == 0;
        if (!known)
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: unknown key '%s' (Pooling takes "
                                 "embedding_dimension, pooling_mode, include_prompt)", label,
                                 P(it->string, b));
    }
    int64_t dim = 0;
    int present;
    const char *dim_key = "embedding_dimension";
    if ((rc = clembed__mj_get_int(label, root, dim_key, 0, 1, 1 << 20, &dim, &present)))
        return rc;
    if (!present) {
        dim_key = "word_embedding_dimension";
        if ((rc = clembed__mj_get_int(label, root, dim_key, 0, 1, 1 << 20, &dim, &present)))
            return rc;
    }
    if (!present)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: no 'embedding_dimension' (or "
                             "'word_embedding_dimension')", label);
    m->pool_in_dim = (int)dim;
    m->pool_modes = 0;
    m->n_pool = 0;
    const cJSON *mode = clembed__mj_get(root, "pooling_mode");
    if (mode) {
        if (cJSON_IsArray(mode)) {
            if (!mode->child)
                return clembed__fail(CLEMBED_ERR_FORMAT, "%s: 'pooling_mode' is an empty list", label);
            cJSON_ArrayForEach(it, mode) {
                if (!cJSON_IsString(it))
                    return clembed__fail(CLEMBED_ERR_FORMAT, "%s: 'pooling_mode' must be a string or a "
                                         "list of strings, not a list holding %s", label,
                                         clembed__mj_kind(it));
                if ((rc = add_pool(label, m, it)) != CLEMBED_OK)
                    return rc;
            }
        } else if (cJSON_IsString(mode)) {
            if ((rc = add_pool(label, m, mode)) != CLEMBED_OK)
                return rc;
        } else {
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: 'pooling_mode' must be a string or a list of "
                                 "strings, not %s", label, clembed__mj_kind(mode));
        }
    }
    /* Legacy booleans are checked even when pooling_mode wins, as they are still JSON to honour. */
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(pools); i++) {
        int on = 0;
        if ((rc = clembed__mj_get_bool(label, root, pools[i].legacy, 0, &on, &present)))
            return rc;
        if (!mode && on) {
            m->pool_list[m->n_pool++] = pools[i].bit;
            m->pool_modes |= pools[i].bit;
        }
    }
    if (m->n_pool == 0) {
        /* No mode at all: sentence-transformers' default. */
        m->pool_list[m->n_pool++] = CLEMBED__POOL_MEAN;
        m->pool_modes = CLEMBED__POOL_MEAN;
    }
    m->include_prompt = 1;
    if ((rc = clembed__mj_get_bool(label, root, "include_prompt", 0, &m->include_prompt, &present)))
        return rc;
    return CLEMBED_OK;
}

/* ---- Dense and Normalize --------------------------------------------------- */

static const struct {
    const char  *cls;
    const char  *path;     /* module path inside torch.nn.modules */
    clembed__act act;
} torch_acts[] = {
    {"Tanh", "activation", CLEMBED__ACT_TANH},
    {"Identity", "linear", CLEMBED__ACT_IDENTITY},
    {"ReLU", "activation", CLEMBED__ACT_RELU},
    {"GELU", "activation", CLEMBED__ACT_GELU},
    {"SiLU", "activation", CLEMBED__ACT_SILU},
};

static clembed_status dense_act(const char *label, const char *s, clembed__act *out)
{
    char b[160];
    if (strncmp(s, "torch.", 6) != 0) {
        /* sentence-transformers imports only torch classes without trust_remote_code. */
        clembed__warn("%s: activation_function '%s' is not a torch class; using Tanh, as "
                      "sentence-transformers does without trust_remote_code", label, P(s, b));
        *out = CLEMBED__ACT_TANH;
        return CLEMBED_OK;
    }
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(torch_acts); i++) {
        char full[96], shrt[64];
        snprintf(full, sizeof full, "torch.nn.modules.%s.%s", torch_acts[i].path, torch_acts[i].cls);
        snprintf(shrt, sizeof shrt, "torch.nn.%s", torch_acts[i].cls);
        if (strcmp(s, full) == 0 || strcmp(s, shrt) == 0) {
            *out = torch_acts[i].act;
            return CLEMBED_OK;
        }
    }
    return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: activation_function '%s' is not supported "
                         "(supported: torch.nn Tanh, Identity, ReLU, GELU, SiLU)", label, P(s, b));
}

/* module_input_name / module_output_name: clembed runs modules on the sentence embedding only. */
static clembed_status io_names(const char *label, const cJSON *root)
{
    const char *in = "sentence_embedding", *outn = NULL;
    char b[96];
    int present;
    clembed_status rc;
    if ((rc = clembed__mj_get_str(label, root, "module_input_name", 0, &in, &present)) ||
        (rc = clembed__mj_get_str(label, root, "module_output_name", 1, &outn, &present)))
        return rc;
    if (strcmp(in, "sentence_embedding") != 0)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: module_input_name '%s' is not supported "
                             "(only 'sentence_embedding')", label, P(in, b));
    if (outn && strcmp(outn, in) != 0)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: module_output_name '%s' is not supported "
                             "(only 'sentence_embedding')", label, P(outn, b));
    return CLEMBED_OK;
}

clembed_status clembed__parse_dense(const char *label, const cJSON *root, clembed__module *m,
                                    int *bias)
{
    clembed_status rc;
    char b[96];
    int present;
    if (!cJSON_IsObject(root))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: must be a JSON object, not %s", label,
                             clembed__mj_kind(root));
    static const char *const keys[] = {"in_features", "out_features", "bias", "activation_function",
                                       "module_input_name", "module_output_name", "use_residual",
                                       "init_weight", "init_bias"};
    const cJSON *it;
    cJSON_ArrayForEach(it, root) {
        size_t i = 0;
        while (i < CLEMBED_ARRAY_LEN(keys) && strcmp(keys[i], it->string) != 0)
            i++;
        if (i == CLEMBED_ARRAY_LEN(keys))
            clembed__warn("%s: ignoring the unknown key '%s', as sentence-transformers does", label,
                          P(it->string, b));
    }
    int64_t in = 0, outf = 0;
    if ((rc = clembed__mj_get_int(label, root, "in_features", 0, 1, 1 << 20, &in, &present)))
        return rc;
    if (!present)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: no 'in_features'", label);
    if ((rc = clembed__mj_get_int(label, root, "out_features", 0, 1, 1 << 20, &outf, &present)))
        return rc;
    if (!present)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: no 'out_features'", label);
    m->in_features = (int)in;
    m->out_features = (int)outf;
    *bias = 1;
    if ((rc = clembed__mj_get_bool(label, root, "bias", 0, bias, &present)))
        return rc;
    m->dense_act = CLEMBED__ACT_TANH;
    const char *act;
    if ((rc = clembed__mj_get_str(label, root, "activation_function", 0, &act, &present)))
        return rc;
    if (present && (rc = dense_act(label, act, &m->dense_act)) != CLEMBED_OK)
        return rc;
    int residual = 0;
    if ((rc = clembed__mj_get_bool(label, root, "use_residual", 0, &residual, &present)))
        return rc;
    if (residual)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: use_residual is true; residual Dense "
                             "modules are not supported", label);
    const cJSON *iw = clembed__mj_get(root, "init_weight"), *ib = clembed__mj_get(root, "init_bias");
    if ((iw && !cJSON_IsNull(iw)) || (ib && !cJSON_IsNull(ib)))
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: weights given in the config (init_weight, "
                             "init_bias) are not supported", label);
    return io_names(label, root);
}

clembed_status clembed__parse_normalize(const char *label, const cJSON *root)
{
    if (!cJSON_IsObject(root))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: must be a JSON object, not %s", label,
                             clembed__mj_kind(root));
    return io_names(label, root);
}

/* ---- sentence_bert_config.json --------------------------------------------- */

const char *const clembed__sbert_config_names[] = {
    "sentence_bert_config.json",       "sentence_roberta_config.json",
    "sentence_distilbert_config.json", "sentence_camembert_config.json",
    "sentence_albert_config.json",     "sentence_xlm-roberta_config.json",
    "sentence_xlnet_config.json",      NULL,
};

/* A kwargs dict given under its new or legacy name; the legacy one wins, as
 * Transformer._load_init_kwargs renames it over the new. */
static clembed_status kwargs_dict(const char *label, const cJSON *root, const char *newk,
                                  const char *oldk, const cJSON **out)
{
    const cJSON *o = NULL;
    clembed_status rc = clembed__mj_get_obj(label, root, oldk, 1, &o);
    if (rc == CLEMBED_OK && !o)
        rc = clembed__mj_get_obj(label, root, newk, 1, &o);
    *out = o;
    return rc;
}

clembed_status clembed__parse_sbert_config(const char *label, const cJSON *root,
                                           clembed__sbert_config *out)
{
    clembed_status rc;
    char b[96], b2[96];
    int present;
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(root))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: must be a JSON object, not %s", label,
                             clembed__mj_kind(root));
    static const char *const keys[] = {
        "max_seq_length", "do_lower_case", "model_args", "model_kwargs", "tokenizer_args",
        "processor_kwargs", "config_args", "config_kwargs", "transformer_task", "modality_config",
        "module_output_name", "processing_kwargs", "unpad_inputs", "query_length",
        "document_length", "query_expansion", "cache_dir", "backend", "tokenizer_name_or_path"};
    const cJSON *it;
    cJSON_ArrayForEach(it, root) {
        size_t i = 0;
        while (i < CLEMBED_ARRAY_LEN(keys) && strcmp(keys[i], it->string) != 0)
            i++;
        if (i == CLEMBED_ARRAY_LEN(keys))
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: unknown key '%s' (the Transformer module "
                                 "takes no such argument)", label, P(it->string, b));
    }
    if ((rc = clembed__mj_get_int(label, root, "max_seq_length", 1, 1, 1 << 30, &out->max_seq_length,
                                    &out->has_max_seq_length)) ||
        (rc = clembed__mj_get_bool(label, root, "do_lower_case", 0, &out->do_lower_case, &present)))
        return rc;

    const char *s;
    if ((rc = clembed__mj_get_str(label, root, "transformer_task", 0, &s, &present)))
        return rc;
    if (present && strcmp(s, "feature-extraction") != 0)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: transformer_task '%s' is not supported "
                             "(only 'feature-extraction')", label, P(s, b));
    if ((rc = clembed__mj_get_str(label, root, "module_output_name", 0, &s, &present)))
        return rc;
    if (present && strcmp(s, "token_embeddings") != 0)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: module_output_name '%s' is not supported "
                             "(only 'token_embeddings')", label, P(s, b));
    if ((rc = clembed__mj_get_str(label, root, "tokenizer_name_or_path", 1, &s, &present)))
        return rc;
    if (present)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: tokenizer_name_or_path '%s': a tokenizer "
                             "from elsewhere is not supported", label, P(s, b));
    if ((rc = clembed__mj_get_str(label, root, "backend", 0, &s, &present)) ||
        (rc = clembed__mj_get_str(label, root, "cache_dir", 1, &s, &present)))
        return rc;
    int unpad;
    if ((rc = clembed__mj_get_bool(label, root, "unpad_inputs", 1, &unpad, &present)))
        return rc;
    int64_t len;
    static const char *const task_lens[] = {"query_length", "document_length"};
    for (size_t i = 0; i < 2; i++) {
        if ((rc = clembed__mj_get_int(label, root, task_lens[i], 1, 1, 1 << 30, &len, &present)))
            return rc;
        if (present)
            clembed__info("%s: %s %lld applies to sentence-transformers' encode_query/"
                          "encode_document only; clembed ignores it", label, task_lens[i],
                          (long long)len);
    }
    const cJSON *o;
    if ((rc = clembed__mj_get_obj(label, root, "query_expansion", 1, &o)))
        return rc;
    if (o)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: query_expansion is not supported", label);

    if ((rc = clembed__mj_get_obj(label, root, "modality_config", 1, &o)))
        return rc;
    cJSON_ArrayForEach(it, o) {
        if (strcmp(it->string, "text") != 0)
            return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: modality_config '%s' is not supported "
                                 "(only text)", label, P(it->string, b));
        if (!cJSON_IsObject(it))
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: 'modality_config.text' must be an object, "
                                 "not %s", label, clembed__mj_kind(it));
        const char *method = "forward", *mo = "last_hidden_state";
        if ((rc = clembed__mj_get_str(label, it, "method", 0, &method, &present)) ||
            (rc = clembed__mj_get_str(label, it, "method_output_name", 1, &mo, &present)))
            return rc;
        if (strcmp(method, "forward") != 0 || strcmp(mo, "last_hidden_state") != 0)
            return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: modality_config.text uses %s/%s; only "
                                 "forward/last_hidden_state is supported", label, P(method, b),
                                 P(mo, b2));
    }

    if ((rc = kwargs_dict(label, root, "model_kwargs", "model_args", &o)))
        return rc;
    if ((rc = kwargs_dict(label, root, "config_kwargs", "config_args", &o)))
        return rc;
    static const char *const harmless[] = {"trust_remote_code", "cache_dir", "revision", "token",
                                           "local_files_only", "subfolder"};
    cJSON_ArrayForEach(it, o) {
        size_t i = 0;
        while (i < CLEMBED_ARRAY_LEN(harmless) && strcmp(harmless[i], it->string) != 0)
            i++;
        if (i == CLEMBED_ARRAY_LEN(harmless))
            return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: config_kwargs overrides '%s' of "
                                 "config.json; overrides are not supported", label, P(it->string, b));
    }
    if ((rc = kwargs_dict(label, root, "processor_kwargs", "tokenizer_args", &o)))
        return rc;
    const cJSON *mml = clembed__mj_get(o, "model_max_length");
    if (mml) {
        out->has_model_max_length = 1;
        out->model_max_length = 1e30;
        if (!cJSON_IsNull(mml) &&
            (rc = clembed__mj_num(label, "processor_kwargs.model_max_length", mml, 0, 1e30,
                                    &out->model_max_length)))
            return rc;
    }

    if ((rc = clembed__mj_get_obj(label, root, "processing_kwargs", 1, &o)))
        return rc;
    static const char *const groups[] = {"common", "text"};   /* text wins over common */
    for (size_t g = 0; g < 2; g++) {
        const cJSON *grp;
        char name[64];
        if ((rc = clembed__mj_get_obj(label, o, groups[g], 1, &grp)))
            return rc;
        if (!grp)
            continue;
        const cJSON *v = clembed__mj_get(grp, "max_length");
        if (v && !cJSON_IsNull(v)) {
            snprintf(name, sizeof name, "processing_kwargs.%s.max_length", groups[g]);
            if ((rc = clembed__mj_int(label, name, v, 1, 1 << 30, &out->max_length)))
                return rc;
            out->has_max_length = 1;
        }
        v = clembed__mj_get(grp, "truncation");
        if (v && cJSON_IsFalse(v))
            return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: processing_kwargs.%s.truncation is "
                                 "false; inputs are always truncated to the model's length", label,
                                 groups[g]);
    }
    const cJSON *ct = clembed__mj_get(o, "chat_template");
    if (ct && !cJSON_IsNull(ct) && !(cJSON_IsObject(ct) && !ct->child))
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: processing_kwargs.chat_template is not "
                             "supported", label);
    return CLEMBED_OK;
}

/* ---- tokenizer_config.json and the effective length ------------------------ */

clembed_status clembed__parse_tokenizer_config(const char *label, const cJSON *root, int *has,
                                               double *model_max_length)
{
    *has = 0;
    if (!cJSON_IsObject(root))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: must be a JSON object, not %s", label,
                             clembed__mj_kind(root));
    /* transformers: model_max_length, else the older max_len; null means no limit. */
    static const char *const keys[] = {"model_max_length", "max_len"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *v = clembed__mj_get(root, keys[i]);
        if (!v || cJSON_IsNull(v))
            continue;
        clembed_status rc = clembed__mj_num(label, keys[i], v, 0, 1e300, model_max_length);
        if (rc != CLEMBED_OK)
            return rc;
        *has = 1;
        return CLEMBED_OK;
    }
    return CLEMBED_OK;
}

clembed_status clembed__effective_max_len(const char *dir, const clembed__sbert_config *sb,
                                          int tok_has, double tok_mml,
                                          const clembed__encoder_config *cfg, size_t *out)
{
    double mml;
    int explicit_len = 0;
    const char *from;
    if (sb && sb->has_model_max_length) {
        mml = sb->model_max_length, explicit_len = 1, from = "processor_kwargs.model_max_length";
    } else if (sb && sb->has_max_seq_length) {
        mml = (double)sb->max_seq_length, explicit_len = 1, from = "max_seq_length";
    } else {
        mml = tok_has ? tok_mml : 1e30;
        from = "model_max_length";
    }
    /* Transformer caps the tokenizer's length at max_position_embeddings unless given one. */
    if (!explicit_len && mml > cfg->max_position_embeddings) {
        mml = cfg->max_position_embeddings;
        from = "max_position_embeddings";
    }
    if (sb && sb->has_max_length) {
        mml = (double)sb->max_length;
        from = "processing_kwargs max_length";
    }
    double positions = (double)(cfg->max_position_embeddings - cfg->position_offset);
    if (mml > positions) {
        if (mml > 1e20)
            clembed__warn("%s: %s sets no limit; using the %.0f positions the model has", dir, from,
                          positions);
        else
            clembed__warn("%s: %s %.0f is more than the %.0f positions the model has; using %.0f",
                          dir, from, mml, positions, positions);
        mml = positions;
    }
    if (mml < 1)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: the maximum sequence length (%s) is %.0f; at "
                             "least 1 token is needed", dir, from, mml);
    *out = (size_t)mml;
    return CLEMBED_OK;
}

/* ---- config_sentence_transformers.json -------------------------------------- */

const char *clembed__model_prompt(const clembed_model *m, const char *name)
{
    for (size_t i = 0; m && name && i < m->n_prompts; i++)
        if (strcmp(m->prompts[i].name, name) == 0)
            return m->prompts[i].text;
    return NULL;
}

char *clembed__model_text(const clembed_model *m, const char *prompt, const char *text)
{
    char *t = prompt ? clembed__asprintf("%s%s", prompt, text) : clembed__strdup(text);
    if (!t || !m->do_lower_case)
        return t;
    size_t len = strlen(t);
    if (clembed__utf8_check(t, len) != len)
        return t;
    char *low = clembed__py_lower(t, len, NULL);
    free(t);
    return low;
}

static clembed_status set_prompt(clembed_model *m, const char *name, const char *text)
{
    for (size_t i = 0; i < m->n_prompts; i++)
        if (strcmp(m->prompts[i].name, name) == 0) {
            char *t = clembed__strdup(text);
            if (!t)
                return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
            free(m->prompts[i].text);
            m->prompts[i].text = t;
            return CLEMBED_OK;
        }
    clembed__prompt *p = realloc(m->prompts, (m->n_prompts + 1) * sizeof *p);
    if (!p)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    m->prompts = p;
    p[m->n_prompts].name = clembed__strdup(name);
    p[m->n_prompts].text = clembed__strdup(text);
    m->n_prompts++;
    if (!p[m->n_prompts - 1].name || !p[m->n_prompts - 1].text)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    return CLEMBED_OK;
}

clembed_status clembed__parse_st_config(const char *label, const cJSON *root, clembed_model *m)
{
    clembed_status rc;
    char b[96];
    int present;
    /* SentenceTransformer's own prompts, filled by the file's and left empty otherwise. */
    if ((rc = set_prompt(m, "query", "")) || (rc = set_prompt(m, "document", "")))
        return rc;
    if (!root)
        return CLEMBED_OK;
    if (!cJSON_IsObject(root))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: must be a JSON object, not %s", label,
                             clembed__mj_kind(root));
    const char *type;
    if ((rc = clembed__mj_get_str(label, root, "model_type", 1, &type, &present)))
        return rc;
    if (present && strcmp(type, "SentenceTransformer") != 0)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: model_type '%s' is not a SentenceTransformer "
                             "(embedding) model", label, P(type, b));
    const cJSON *v = clembed__mj_get(root, "__version__");
    if (v && !cJSON_IsObject(v) && !cJSON_IsNull(v))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: '__version__' must be an object, not %s", label,
                             clembed__mj_kind(v));
    const cJSON *prompts;
    if ((rc = clembed__mj_get_obj(label, root, "prompts", 1, &prompts)))
        return rc;
    const cJSON *it;
    if (cJSON_GetArraySize(prompts) > 4096)
        return clembed__fail(CLEMBED_ERR_TOO_LARGE, "%s: %d prompts, more than the limit of 4096",
                             label, cJSON_GetArraySize(prompts));
    cJSON_ArrayForEach(it, prompts) {
        if (!cJSON_IsString(it) && !cJSON_IsNull(it))
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: prompt '%s' must be a string, not %s", label,
                                 P(it->string, b), clembed__mj_kind(it));
        if ((rc = set_prompt(m, it->string, cJSON_IsString(it) ? it->valuestring : "")))
            return rc;
    }
    const char *s;
    if ((rc = clembed__mj_get_str(label, root, "default_prompt_name", 1, &s, &present)))
        return rc;
    if (present) {
        if (!clembed__model_prompt(m, s))
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: default_prompt_name '%s' is not one of the "
                                 "prompts", label, P(s, b));
        if (!(m->default_prompt_name = clembed__strdup(s)))
            return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    }
    if ((rc = clembed__mj_get_str(label, root, "similarity_fn_name", 1, &s, &present)))
        return rc;
    if (present) {
        static const char *const sims[] = {"cosine", "dot", "euclidean", "manhattan"};
        size_t i = 0;
        while (i < CLEMBED_ARRAY_LEN(sims) && strcmp(sims[i], s) != 0)
            i++;
        if (i == CLEMBED_ARRAY_LEN(sims))
            clembed__info("%s: similarity_fn_name '%s' is not one of cosine, dot, euclidean, "
                          "manhattan; ignored, as sentence-transformers does", label, P(s, b));
        else if (!(m->similarity_fn = clembed__strdup(s)))
            return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    }
    int64_t td = 0;
    if ((rc = clembed__mj_get_int(label, root, "truncate_dim", 1, 1, 1 << 20, &td, &present)))
        return rc;
    m->truncate_dim = present ? (size_t)td : 0;
    return CLEMBED_OK;
}
