/* clembed_model_open: a Hugging Face / sentence-transformers directory as it was downloaded,
 * read the way sentence-transformers 6 reads it, and the description of what was understood. */
#include "model/files.h"
#include "model/weights.h"
#include "core/util.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P(s, b) clembed__mj_printable((s), (b), sizeof (b))

void clembed_model_params_init(clembed_model_params *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->size = sizeof *p;
    p->load_tokenizer = 1;
}

void clembed_model_free(clembed_model *m)
{
    if (!m)
        return;
    clembed__modules_free(m->modules, m->n_modules);
    for (size_t i = 0; i < m->n_prompts; i++) {
        free(m->prompts[i].name);
        free(m->prompts[i].text);
    }
    free(m->prompts);
    free(m->default_prompt_name);
    free(m->similarity_fn);
    free(m->tensors);
    free(m->enc_sets);
    clembed_tokenizer_free(m->tokenizer);
    clembed__weights_free(m->priv);
    free(m->dir);
    free(m);
}

size_t clembed_model_dim(const clembed_model *m)
{
    return m ? m->out_dim : 0;
}

size_t clembed_model_max_tokens(const clembed_model *m)
{
    return m ? m->max_seq_length : 0;
}

const clembed_tokenizer *clembed_model_tokenizer(const clembed_model *m)
{
    return m ? m->tokenizer : NULL;
}

/* Loads dir/name as JSON; *root = NULL without error when the file is absent and optional. */
static clembed_status load_json(const char *dir, const char *name, int optional, char **label,
                                cJSON **root)
{
    *root = NULL;
    *label = clembed__path_join(dir, name);
    if (!*label)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    if (optional && !clembed__file_exists(*label))
        return CLEMBED_OK;
    return clembed__mj_load(*label, CLEMBED__CONFIG_MAX_BYTES, root);
}

static clembed_status default_chain(clembed_model *m)
{
    m->modules = calloc(2, sizeof *m->modules);
    if (!m->modules)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    m->n_modules = 2;
    m->modules[0].kind = CLEMBED__MOD_TRANSFORMER;
    m->modules[1].kind = CLEMBED__MOD_POOLING;
    m->modules[1].pool_modes = CLEMBED__POOL_MEAN;
    m->modules[1].n_pool = 1;
    m->modules[1].pool_list[0] = CLEMBED__POOL_MEAN;
    m->modules[1].include_prompt = 1;
    m->modules[1].pool_in_dim = m->cfg.hidden_size;
    for (int i = 0; i < 2; i++) {
        m->modules[i].include_prompt = 1;
        if (!(m->modules[i].path = clembed__strdup("")))
            return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    }
    return CLEMBED_OK;
}

/* Reads each module's config (and Dense weights); dense_file[i] gets the weights file. */
static clembed_status read_modules(clembed_model *m, size_t *dense_file, int *dense_bias)
{
    clembed_status rc = CLEMBED_OK;
    char *label = NULL, *mdir = NULL;
    cJSON *root = NULL;
    for (size_t i = 1; i < m->n_modules && rc == CLEMBED_OK; i++) {
        clembed__module *mod = &m->modules[i];
        free(mdir);
        free(label);
        cJSON_Delete(root);
        label = NULL, root = NULL;
        if (!(mdir = clembed__path_join(m->dir, mod->path))) {
            rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
            break;
        }
        switch (mod->kind) {
        case CLEMBED__MOD_POOLING:
            if ((rc = load_json(mdir, "config.json", 0, &label, &root)) == CLEMBED_OK)
                rc = clembed__parse_pooling(label, root, mod);
            if (rc == CLEMBED_OK && mod->pool_in_dim != m->cfg.hidden_size)
                rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: embedding_dimension %d does not match the "
                                   "Transformer's hidden_size %d", label, mod->pool_in_dim,
                                   m->cfg.hidden_size);
            break;
        case CLEMBED__MOD_DENSE:
            if ((rc = load_json(mdir, "config.json", 0, &label, &root)) == CLEMBED_OK)
                rc = clembed__parse_dense(label, root, mod, &dense_bias[i]);
            if (rc == CLEMBED_OK)
                rc = clembed__weights_open_module(m, mdir, &dense_file[i]);
            break;
        case CLEMBED__MOD_NORMALIZE:
            if ((rc = load_json(mdir, "config.json", 1, &label, &root)) == CLEMBED_OK && root)
                rc = clembed__parse_normalize(label, root);
            break;
        default:
            break;
        }
    }
    free(mdir);
    free(label);
    cJSON_Delete(root);
    return rc;
}

/* Dense weights against their config, and every module's input against the dimension the
 * previous one produces. */
static clembed_status check_chain(clembed_model *m, const size_t *dense_file, const int *dense_bias)
{
    size_t dim = (size_t)m->cfg.hidden_size;
    char b[160];
    for (size_t i = 1; i < m->n_modules; i++) {
        clembed__module *mod = &m->modules[i];
        if (mod->kind == CLEMBED__MOD_POOLING) {
            dim = (size_t)mod->n_pool * (size_t)mod->pool_in_dim;
            continue;
        }
        if (mod->kind != CLEMBED__MOD_DENSE)
            continue;
        const clembed__st_file *f = ((clembed__model_priv *)m->priv)->files[dense_file[i]];
        char cfgname[512];
        snprintf(cfgname, sizeof cfgname, "%s/config.json", mod->path);
        if ((size_t)mod->in_features != dim)
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s/%s: in_features %d does not match the %zu "
                                 "values the previous module produces", m->dir, cfgname,
                                 mod->in_features, dim);
        const clembed__tensor *w = clembed__weights_in_file(m, dense_file[i], "linear.weight");
        const clembed__tensor *bias = clembed__weights_in_file(m, dense_file[i], "linear.bias");
        if (!w)
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: no tensor 'linear.weight'", f->path);
        if (w->dtype == CLEMBED__OTHER || w->ndim != 2 || w->shape[0] != mod->out_features ||
            w->shape[1] != mod->in_features)
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor 'linear.weight' must be F32, F16 or "
                                 "BF16 of shape [%d, %d] (out_features, in_features of %s)", f->path,
                                 mod->out_features, mod->in_features, cfgname);
        if (dense_bias[i] && !bias)
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: no tensor 'linear.bias', but %s says bias "
                                 "is true", f->path, cfgname);
        if (!dense_bias[i] && bias)
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor 'linear.bias' is there, but %s says "
                                 "bias is false", f->path, cfgname);
        if (bias && (bias->dtype == CLEMBED__OTHER || bias->ndim != 1 ||
                     bias->shape[0] != mod->out_features))
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor 'linear.bias' must be F32, F16 or BF16 "
                                 "of shape [%d] (out_features of %s)", f->path, mod->out_features,
                                 cfgname);
        for (size_t t = 0; t < f->n_tensors; t++)
            if (strcmp(f->tensors[t].name, "linear.weight") != 0 &&
                strcmp(f->tensors[t].name, "linear.bias") != 0)
                return clembed__fail(CLEMBED_ERR_FORMAT, "%s: unexpected tensor '%s' (a Dense module "
                                     "holds linear.weight and linear.bias)", f->path,
                                     P(f->tensors[t].name, b));
        mod->dense_weight = w;
        mod->dense_bias = bias;
        dim = (size_t)mod->out_features;
    }
    m->out_dim = dim;
    return CLEMBED_OK;
}

/* The Transformer module's own files: sentence_bert_config.json (only with modules.json, as
 * sentence-transformers reads it only then), tokenizer_config.json, and the effective length. */
static clembed_status read_transformer_files(clembed_model *m, const char *tdir)
{
    clembed_status rc = CLEMBED_OK;
    clembed__sbert_config sb;
    int have_sb = 0;
    char *label = NULL;
    cJSON *root = NULL;
    memset(&sb, 0, sizeof sb);
    for (size_t i = 0; m->has_modules_json && clembed__sbert_config_names[i] && !have_sb; i++) {
        free(label);
        if ((rc = load_json(tdir, clembed__sbert_config_names[i], 1, &label, &root)) != CLEMBED_OK)
            goto done;
        if (root) {
            have_sb = 1;
            if ((rc = clembed__parse_sbert_config(label, root, &sb)) != CLEMBED_OK)
                goto done;
            m->do_lower_case = sb.do_lower_case;
            cJSON_Delete(root);
            root = NULL;
        }
    }
    free(label);
    label = NULL;
    int tok_has = 0;
    double tok_mml = 0;
    if ((rc = load_json(tdir, "tokenizer_config.json", 1, &label, &root)) != CLEMBED_OK)
        goto done;
    if (root && (rc = clembed__parse_tokenizer_config(label, root, &tok_has, &tok_mml)) != CLEMBED_OK)
        goto done;
    rc = clembed__effective_max_len(m->dir, have_sb ? &sb : NULL, tok_has, tok_mml, &m->cfg,
                                    &m->max_seq_length);
done:
    free(label);
    cJSON_Delete(root);
    return rc;
}

/* The tokenizer lives with the Transformer module.  Only tokenizer.json is read: a directory with
 * just the slow tokenizer's files (vocab.txt, sentencepiece models) gets a hint. */
static clembed_status open_tokenizer(clembed_model *m, const char *tdir)
{
    char *path = clembed__path_join(tdir, "tokenizer.json");
    clembed_status rc;
    if (!path)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    if (!clembed__file_exists(path)) {
        static const char *const slow[] = {"vocab.txt", "sentencepiece.bpe.model", "spiece.model",
                                           "vocab.json"};
        const char *found = NULL;
        for (size_t i = 0; i < CLEMBED_ARRAY_LEN(slow) && !found; i++) {
            char *p = clembed__path_join(tdir, slow[i]);
            if (p && clembed__file_exists(p))
                found = slow[i];
            free(p);
        }
        if (found)
            rc = clembed__fail(CLEMBED_ERR_NOT_FOUND, "%s: no such file; the directory has %s, but "
                               "only the fast tokenizer's tokenizer.json is read (save the tokenizer "
                               "with transformers to write one)", path, found);
        else
            rc = clembed__fail(CLEMBED_ERR_NOT_FOUND, "%s: no such file", path);
    } else {
        rc = clembed_tokenizer_open(path, &m->tokenizer);
    }
    free(path);
    return rc;
}

clembed_status clembed_model_open(const char *dir, const clembed_model_params *params,
                                  clembed_model **out)
{
    clembed_model_params prm;
    clembed_model_params_init(&prm);
    if (params && params->size >= offsetof(clembed_model_params, load_tokenizer) + sizeof(int))
        prm.load_tokenizer = params->load_tokenizer;
    if (!out)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_model_open: out is NULL");
    *out = NULL;
    if (!dir || !*dir)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_model_open: no directory given");
    if (!clembed__dir_exists(dir))
        return clembed__fail(clembed__file_exists(dir) ? CLEMBED_ERR_INVALID_ARG : CLEMBED_ERR_NOT_FOUND,
                             "%s: %s", dir, clembed__file_exists(dir) ? "not a directory; a model is a "
                             "directory holding config.json and model.safetensors" : "no such directory");
    clembed_status rc = CLEMBED_OK;
    char *label = NULL, *tdir = NULL;
    cJSON *root = NULL;
    size_t *dense_file = NULL;
    int *dense_bias = NULL;
    clembed_model *m = calloc(1, sizeof *m);
    if (!m || !(m->dir = clembed__strdup(dir)) || !(m->priv = calloc(1, sizeof(clembed__model_priv)))) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto fail;
    }

    /* The module chain, or sentence-transformers' default without modules.json. */
    if ((rc = load_json(dir, "modules.json", 1, &label, &root)) != CLEMBED_OK)
        goto fail;
    m->has_modules_json = root != NULL;
    if (root && (rc = clembed__parse_modules(label, root, &m->modules, &m->n_modules)) != CLEMBED_OK)
        goto fail;
    cJSON_Delete(root);
    root = NULL;
    free(label);
    label = NULL;
    if (!(tdir = m->modules && m->modules[0].path[0] ? clembed__path_join(dir, m->modules[0].path)
                                                     : clembed__strdup(dir))) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto fail;
    }

    if ((rc = load_json(tdir, "config.json", 0, &label, &root)) != CLEMBED_OK ||
        (rc = clembed__parse_config(label, root, &m->cfg)) != CLEMBED_OK)
        goto fail;
    if (!m->has_modules_json) {
        clembed__info("%s: no modules.json; using sentence-transformers' default: the Transformer "
                      "then mean pooling", dir);
        if ((rc = default_chain(m)) != CLEMBED_OK)
            goto fail;
    }
    if ((rc = clembed__weights_open(m, tdir)) != CLEMBED_OK)
        goto fail;
    dense_file = calloc(m->n_modules, sizeof *dense_file);
    dense_bias = calloc(m->n_modules, sizeof *dense_bias);
    if (!dense_file || !dense_bias) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((m->has_modules_json && (rc = read_modules(m, dense_file, dense_bias)) != CLEMBED_OK) ||
        (rc = clembed__weights_finish(m)) != CLEMBED_OK ||
        (rc = clembed__weights_check_encoder(m, label)) != CLEMBED_OK ||
        (rc = check_chain(m, dense_file, dense_bias)) != CLEMBED_OK ||
        (rc = read_transformer_files(m, tdir)) != CLEMBED_OK)
        goto fail;
    cJSON_Delete(root);
    root = NULL;
    free(label);
    label = NULL;

    /* Prompts and the rest: config_sentence_transformers.json is read only with modules.json. */
    if (m->has_modules_json &&
        (rc = load_json(dir, "config_sentence_transformers.json", 1, &label, &root)) != CLEMBED_OK)
        goto fail;
    if ((rc = clembed__parse_st_config(label, root, m)) != CLEMBED_OK)
        goto fail;

    if (prm.load_tokenizer && (rc = open_tokenizer(m, tdir)) != CLEMBED_OK)
        goto fail;

    clembed__info("%s: %s (%s), %d layers, hidden %d, %d heads; %zu modules; %zu dimensions; "
                  "max %zu tokens; %llu parameters", dir, m->cfg.architecture[0] ?
                  m->cfg.architecture : "-", m->cfg.model_type, m->cfg.num_layers,
                  m->cfg.hidden_size, m->cfg.num_heads, m->n_modules, m->out_dim,
                  m->max_seq_length, (unsigned long long)m->n_params);
    free(label);
    free(tdir);
    cJSON_Delete(root);
    free(dense_file);
    free(dense_bias);
    *out = m;
    return CLEMBED_OK;
fail:
    free(label);
    free(tdir);
    cJSON_Delete(root);
    free(dense_file);
    free(dense_bias);
    clembed_model_free(m);
    return rc;
}

/* ---- description ---------------------------------------------------------- */

static const char *weights_dtype(const clembed_model *m)
{
    const clembed__model_priv *p = m->priv;
    const char *seen = NULL;
    for (size_t i = 0; i < m->n_tensors; i++) {
        if (m->tensors[i].dtype == CLEMBED__OTHER)
            continue;
        if (!seen)
            seen = p->dtype_names[i];
        else if (strcmp(seen, p->dtype_names[i]) != 0)
            return "mixed";
    }
    return seen ? seen : "none";
}

static const char *const kind_json[] = {"Transformer", "Pooling", "Dense", "Normalize"};

clembed_status clembed_model_describe_json(const clembed_model *m, char **out)
{
    if (!out)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_model_describe_json: out is NULL");
    *out = NULL;
    if (!m)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_model_describe_json: model is NULL");
    const clembed__encoder_config *c = &m->cfg;
    const clembed__model_priv *p = m->priv;
    cJSON *o = cJSON_CreateObject(), *a, *x;
    if (!o)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    cJSON_AddStringToObject(o, "dir", m->dir);
    if (c->architecture[0])
        cJSON_AddStringToObject(o, "architecture", c->architecture);
    else
        cJSON_AddNullToObject(o, "architecture");
    cJSON_AddStringToObject(o, "model_type", c->model_type);
    cJSON_AddNumberToObject(o, "hidden_size", c->hidden_size);
    cJSON_AddNumberToObject(o, "num_layers", c->num_layers);
    cJSON_AddNumberToObject(o, "num_heads", c->num_heads);
    cJSON_AddNumberToObject(o, "intermediate_size", c->intermediate_size);
    cJSON_AddStringToObject(o, "hidden_act", clembed__act_name(c->hidden_act));
    {
        /* The float as its shortest decimal, not the double it widens to. */
        char eps[32];
        for (int prec = 1; prec <= 9; prec++) {
            snprintf(eps, sizeof eps, "%.*g", prec, c->layer_norm_eps);
            if ((float)strtod(eps, NULL) == c->layer_norm_eps)
                break;
        }
        cJSON_AddNumberToObject(o, "layer_norm_eps", strtod(eps, NULL));
    }
    cJSON_AddNumberToObject(o, "vocab_size", c->vocab_size);
    cJSON_AddNumberToObject(o, "max_position_embeddings", c->max_position_embeddings);
    cJSON_AddNumberToObject(o, "position_offset", c->position_offset);
    cJSON_AddNumberToObject(o, "type_vocab_size", c->type_vocab_size);
    if (c->pad_token_id >= 0)
        cJSON_AddNumberToObject(o, "pad_token_id", c->pad_token_id);
    else
        cJSON_AddNullToObject(o, "pad_token_id");
    if ((x = cJSON_AddObjectToObject(o, "encoder")) && c->arch) {
        /* The architecture as the table resolved it: what the encoder runs. */
        cJSON_AddStringToObject(x, "family", c->arch->family);
        int any_sliding = 0;
        for (int l = 0; l < c->num_layers; l++)
            any_sliding |= c->sliding[l];
        cJSON *fl = cJSON_AddArrayToObject(x, "features");
        for (unsigned bit = 1; fl && bit; bit <<= 1)
            if ((c->arch->flags & bit) && clembed__arch_flag_name(bit) &&
                !(bit == CLEMBED__A_SLIDING && !any_sliding))
                cJSON_AddItemToArray(fl, cJSON_CreateString(clembed__arch_flag_name(bit)));
        cJSON_AddStringToObject(x, "norm", c->arch->norm == CLEMBED__NORM_RMS ? "rms" : "layer");
        cJSON_AddStringToObject(x, "norm_placement", (c->arch->flags & CLEMBED__A_PRE_NORM) ? "pre" : "post");
        cJSON_AddNumberToObject(x, "embedding_size", c->emb_size);
        cJSON_AddNumberToObject(x, "kv_heads", c->num_kv_heads);
        cJSON_AddNumberToObject(x, "head_dim", c->head_dim);
        cJSON_AddBoolToObject(x, "gated", c->gated);
        cJSON_AddBoolToObject(x, "attention_bias", c->attn_bias);
        cJSON_AddBoolToObject(x, "mlp_bias", c->mlp_bias);
        cJSON_AddBoolToObject(x, "norm_bias", c->norm_bias && c->arch->norm == CLEMBED__NORM_LAYER);
        if (c->arch->flags & CLEMBED__A_GROUPS) {
            cJSON_AddNumberToObject(x, "layer_groups", c->num_groups);
            cJSON_AddNumberToObject(x, "inner_group_layers", c->inner_group_num);
        }
        if (c->rel_buckets) {
            cJSON_AddNumberToObject(x, "relative_buckets", c->rel_buckets);
            cJSON_AddNumberToObject(x, "relative_max_distance", c->rel_max_distance);
        }
        if (c->rope_dim) {
            cJSON_AddNumberToObject(x, "rope_theta", c->rope_theta);
            cJSON_AddNumberToObject(x, "rope_theta_sliding", c->rope_theta_local);
            cJSON_AddNumberToObject(x, "rope_dim", c->rope_dim);
        }
        cJSON *sl = NULL;
        for (int l = 0; l < c->num_layers; l++)
            if (c->sliding[l] && (sl || (sl = cJSON_AddArrayToObject(x, "sliding_layers"))))
                cJSON_AddItemToArray(sl, cJSON_CreateNumber(l));
        if (sl) {
            cJSON_AddNumberToObject(x, "window_left", c->window_left);
            cJSON_AddNumberToObject(x, "window_right", c->window_right);
        }
    }
    cJSON_AddBoolToObject(o, "modules_json", m->has_modules_json);
    a = cJSON_AddArrayToObject(o, "modules");
    for (size_t i = 0; a && i < m->n_modules; i++) {
        const clembed__module *mod = &m->modules[i];
        cJSON *e = cJSON_CreateObject();
        if (!e)
            break;
        cJSON_AddItemToArray(a, e);
        cJSON_AddStringToObject(e, "type", kind_json[mod->kind]);
        cJSON_AddStringToObject(e, "path", mod->path ? mod->path : "");
        if (mod->kind == CLEMBED__MOD_POOLING) {
            cJSON *pm = cJSON_AddArrayToObject(e, "pooling_mode");
            for (int k = 0; pm && k < mod->n_pool; k++)
                cJSON_AddItemToArray(pm, cJSON_CreateString(clembed__pool_name(mod->pool_list[k])));
            cJSON_AddNumberToObject(e, "embedding_dimension", mod->pool_in_dim);
            cJSON_AddNumberToObject(e, "output_dimension", mod->n_pool * mod->pool_in_dim);
            cJSON_AddBoolToObject(e, "include_prompt", mod->include_prompt);
        } else if (mod->kind == CLEMBED__MOD_DENSE) {
            cJSON_AddNumberToObject(e, "in_features", mod->in_features);
            cJSON_AddNumberToObject(e, "out_features", mod->out_features);
            cJSON_AddBoolToObject(e, "bias", mod->dense_bias != NULL);
            cJSON_AddStringToObject(e, "activation", clembed__act_name(mod->dense_act));
        }
    }
    cJSON_AddNumberToObject(o, "output_dimension", (double)m->out_dim);
    if (m->truncate_dim)
        cJSON_AddNumberToObject(o, "truncate_dim", (double)m->truncate_dim);
    else
        cJSON_AddNullToObject(o, "truncate_dim");
    cJSON_AddNumberToObject(o, "max_seq_length", (double)m->max_seq_length);
    cJSON_AddBoolToObject(o, "do_lower_case", m->do_lower_case);
    if (m->tokenizer) {
        x = cJSON_AddObjectToObject(o, "tokenizer");
        if (x)
            cJSON_AddNumberToObject(x, "vocab_size", (double)clembed_tokenizer_vocab_size(m->tokenizer));
    } else {
        cJSON_AddNullToObject(o, "tokenizer");
    }
    x = cJSON_AddObjectToObject(o, "prompts");
    for (size_t i = 0; x && i < m->n_prompts; i++)
        cJSON_AddStringToObject(x, m->prompts[i].name, m->prompts[i].text);
    if (m->default_prompt_name)
        cJSON_AddStringToObject(o, "default_prompt_name", m->default_prompt_name);
    else
        cJSON_AddNullToObject(o, "default_prompt_name");
    if (m->similarity_fn)
        cJSON_AddStringToObject(o, "similarity_fn_name", m->similarity_fn);
    else
        cJSON_AddNullToObject(o, "similarity_fn_name");
    x = cJSON_AddObjectToObject(o, "weights");
    if (x) {
        cJSON *files = cJSON_AddArrayToObject(x, "files");
        size_t base = strlen(m->dir) + (m->dir[strlen(m->dir) - 1] == '/' ? 0 : 1);
        for (size_t i = 0; files && i < p->n_files; i++) {
            const char *path = p->files[i]->path;
            cJSON_AddItemToArray(files, cJSON_CreateString(strlen(path) > base ? path + base : path));
        }
        cJSON_AddNumberToObject(x, "tensors", (double)m->n_tensors);
        cJSON_AddNumberToObject(x, "parameters", (double)m->n_params);
        cJSON_AddStringToObject(x, "dtype", weights_dtype(m));
        cJSON_AddNumberToObject(x, "bytes", (double)m->weight_bytes);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    *out = clembed__strdup(s);
    cJSON_free(s);
    return *out ? CLEMBED_OK : clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
}
