/* The model's weights: one safetensors file or the shards of an index, tensor lookup with or
 * without the architecture prefix, and conversion to fp32. */
#include "model/arch.h"
#include "model/files.h"
#include "model/weights.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P(s, b) clembed__mj_printable((s), (b), sizeof (b))

/* ---- model.safetensors.index.json ------------------------------------------ */

void clembed__index_free(clembed__index *ix)
{
    for (size_t i = 0; i < ix->n_files; i++)
        free(ix->files[i]);
    for (size_t i = 0; i < ix->n_names; i++)
        free(ix->names[i]);
    free(ix->files);
    free(ix->names);
    free(ix->file_of);
    memset(ix, 0, sizeof *ix);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Far more shards than any model has; bounds the files a hostile index opens. */
#define CLEMBED__MAX_SHARDS 4096

clembed_status clembed__parse_index(const char *label, const cJSON *root, clembed__index *ix)
{
    clembed_status rc = CLEMBED_OK;
    char b[160], b2[160];
    const char **vals = NULL, **sortv = NULL;
    memset(ix, 0, sizeof *ix);
    if (!cJSON_IsObject(root))
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: must be a JSON object, not %s", label,
                             clembed__mj_kind(root));
    const cJSON *meta, *map;
    if ((rc = clembed__mj_get_obj(label, root, "metadata", 1, &meta)) ||
        (rc = clembed__mj_get_obj(label, root, "weight_map", 0, &map)))
        return rc;
    if (!map)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: no 'weight_map'", label);
    const cJSON *ts = clembed__mj_get(meta, "total_size");
    if (ts && !cJSON_IsNull(ts)) {
        if ((rc = clembed__mj_num(label, "metadata.total_size", ts, 0, 1e300, &ix->total_size)))
            return rc;
        ix->has_total_size = 1;
    }
    size_t n = (size_t)cJSON_GetArraySize(map);
    if (n == 0)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: 'weight_map' is empty", label);
    if (n > CLEMBED__ST_MAX_TENSORS)
        return clembed__fail(CLEMBED_ERR_TOO_LARGE, "%s: 'weight_map' lists %zu tensors, more than the "
                             "limit of %u", label, n, CLEMBED__ST_MAX_TENSORS);
    ix->names = calloc(n, sizeof *ix->names);
    ix->file_of = calloc(n, sizeof *ix->file_of);
    ix->files = calloc(n, sizeof *ix->files);
    vals = calloc(n, sizeof *vals);
    sortv = calloc(n, sizeof *sortv);
    if (!ix->names || !ix->file_of || !ix->files || !vals || !sortv) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "%s: out of memory", label);
        goto fail;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, map) {
        if (!cJSON_IsString(it)) {
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: weight_map '%s' must be a file name, not %s",
                               label, P(it->string, b), clembed__mj_kind(it));
            goto fail;
        }
        const char *f = it->valuestring;
        size_t fl = strlen(f);
        if (fl == 0 || strchr(f, '/') || strchr(f, '\\') || fl < 12 ||
            strcmp(f + fl - 12, ".safetensors") != 0) {
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: weight_map '%s' names '%s'; shards must be "
                               ".safetensors files in the same directory", label, P(it->string, b),
                               P(f, b2));
            goto fail;
        }
        if (!(ix->names[ix->n_names] = clembed__strdup(it->string))) {
            rc = clembed__fail(CLEMBED_ERR_NOMEM, "%s: out of memory", label);
            goto fail;
        }
        sortv[ix->n_names] = f;
        vals[ix->n_names++] = f;
    }
    /* The shards, numbered in the sorted order of their names. */
    qsort(sortv, ix->n_names, sizeof *sortv, str_cmp);
    for (size_t i = 0; i < ix->n_names; i++) {
        if (i == 0 || strcmp(sortv[i - 1], sortv[i]) != 0) {
            if (ix->n_files == CLEMBED__MAX_SHARDS) {
                rc = clembed__fail(CLEMBED_ERR_TOO_LARGE, "%s: more than %d shard files", label,
                                   CLEMBED__MAX_SHARDS);
                goto fail;
            }
            if (!(ix->files[ix->n_files++] = clembed__strdup(sortv[i]))) {
                rc = clembed__fail(CLEMBED_ERR_NOMEM, "%s: out of memory", label);
                goto fail;
            }
        }
    }
    for (size_t i = 0; i < ix->n_names; i++) {
        char *const *hit = bsearch(&vals[i], ix->files, ix->n_files, sizeof *ix->files, str_cmp);
        ix->file_of[i] = (size_t)(hit - ix->files);
    }
    {
        char **sorted = malloc(ix->n_names * sizeof *sorted);
        if (!sorted) {
            rc = clembed__fail(CLEMBED_ERR_NOMEM, "%s: out of memory", label);
            goto fail;
        }
        memcpy(sorted, ix->names, ix->n_names * sizeof *sorted);
        qsort(sorted, ix->n_names, sizeof *sorted, str_cmp);
        for (size_t i = 1; i < ix->n_names && rc == CLEMBED_OK; i++)
            if (strcmp(sorted[i - 1], sorted[i]) == 0)
                rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s' appears twice in weight_map",
                                   label, P(sorted[i], b));
        free(sorted);
        if (rc != CLEMBED_OK)
            goto fail;
    }
    free(sortv);
    free(vals);
    return CLEMBED_OK;
fail:
    free(sortv);
    free(vals);
    clembed__index_free(ix);
    return rc;
}

/* ---- opening ------------------------------------------------------------- */

static clembed_status add_file(clembed__model_priv *p, clembed__st_file *f, size_t *idx)
{
    clembed__st_file **nf = realloc(p->files, (p->n_files + 1) * sizeof *nf);
    if (!nf) {
        clembed__st_free(f);
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    }
    p->files = nf;
    if (idx)
        *idx = p->n_files;
    p->files[p->n_files++] = f;
    return CLEMBED_OK;
}

/* Weights only in formats clembed does not read get a hint instead of "not found". */
static clembed_status no_safetensors(const char *dir, const char *what)
{
    static const char *const others[] = {"pytorch_model.bin", "pytorch_model.bin.index.json",
                                         "tf_model.h5", "flax_model.msgpack", "model.onnx",
                                         "onnx/model.onnx", "openvino/openvino_model.xml"};
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(others); i++) {
        char *p = clembed__path_join(dir, others[i]);
        int there = p && clembed__file_exists(p);
        if (there) {
            clembed_status rc = clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: %s has weights only in %s, "
                                              "which clembed does not read; convert them to "
                                              "model.safetensors", p, what, others[i]);
            free(p);
            return rc;
        }
        free(p);
    }
    return clembed__fail(CLEMBED_ERR_NOT_FOUND, "%s: no model.safetensors or "
                         "model.safetensors.index.json (%s weights)", dir, what);
}

static clembed_status open_sharded(clembed_model *m, const char *dir, const char *ixpath)
{
    clembed__model_priv *p = m->priv;
    clembed__index ix;
    cJSON *root = NULL;
    char b[160], b2[160];
    clembed_status rc = clembed__mj_load(ixpath, CLEMBED__CONFIG_MAX_BYTES * 4, &root);
    if (rc != CLEMBED_OK)
        return rc;
    rc = clembed__parse_index(ixpath, root, &ix);
    cJSON_Delete(root);
    if (rc != CLEMBED_OK)
        return rc;
    size_t first = p->n_files;
    for (size_t i = 0; i < ix.n_files && rc == CLEMBED_OK; i++) {
        char *path = clembed__path_join(dir, ix.files[i]);
        clembed__st_file *f = NULL;
        if (!path) {
            rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
            break;
        }
        rc = clembed__st_open(path, &f);
        if (rc == CLEMBED_ERR_NOT_FOUND)
            rc = clembed__fail(rc, "%s: shard '%s' listed in %s does not exist", path,
                               P(ix.files[i], b), ixpath);
        free(path);
        if (rc == CLEMBED_OK)
            rc = add_file(p, f, NULL);
    }
    double mapped = 0;
    for (size_t i = 0; i < ix.n_names && rc == CLEMBED_OK; i++) {
        const clembed__tensor *t = clembed__st_find(p->files[first + ix.file_of[i]], ix.names[i]);
        if (!t)
            rc = clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s' is mapped to %s, which holds no "
                               "such tensor", ixpath, P(ix.names[i], b), P(ix.files[ix.file_of[i]], b2));
        else
            mapped += (double)t->nbytes;
    }
    if (rc == CLEMBED_OK && ix.has_total_size && ix.total_size != mapped)
        clembed__info("%s: metadata.total_size %.0f differs from the %.0f bytes of the mapped "
                      "tensors", ixpath, ix.total_size, mapped);
    clembed__index_free(&ix);
    return rc;
}

clembed_status clembed__weights_open(clembed_model *m, const char *dir)
{
    clembed__model_priv *p = m->priv;
    char *single = clembed__path_join(dir, "model.safetensors");
    char *index = clembed__path_join(dir, "model.safetensors.index.json");
    clembed_status rc;
    if (!single || !index) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    } else if (clembed__file_exists(single)) {
        /* transformers prefers the single file when both are there. */
        clembed__st_file *f = NULL;
        rc = clembed__st_open(single, &f);
        if (rc == CLEMBED_OK)
            rc = add_file(p, f, NULL);
        p->weights_label = single;
        single = NULL;
    } else if (clembed__file_exists(index)) {
        rc = open_sharded(m, dir, index);
        p->weights_label = index;
        index = NULL;
    } else {
        rc = no_safetensors(dir, "the Transformer");
    }
    p->n_enc_files = p->n_files;
    free(single);
    free(index);
    return rc;
}

clembed_status clembed__weights_open_module(clembed_model *m, const char *dir, size_t *file)
{
    char *path = clembed__path_join(dir, "model.safetensors");
    clembed_status rc;
    if (!path)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    if (!clembed__file_exists(path)) {
        rc = no_safetensors(dir, "the Dense module");
    } else {
        clembed__st_file *f = NULL;
        rc = clembed__st_open(path, &f);
        if (rc == CLEMBED_OK)
            rc = add_file(m->priv, f, file);
    }
    free(path);
    return rc;
}

/* ---- gathering and lookup ----------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const clembed__tensor *const *)a)->name, (*(const clembed__tensor *const *)b)->name);
}

clembed_status clembed__weights_finish(clembed_model *m)
{
    clembed__model_priv *p = m->priv;
    size_t n = 0;
    for (size_t i = 0; i < p->n_files; i++)
        n += p->files[i]->n_tensors;
    m->tensors = calloc(n + 1, sizeof *m->tensors);
    p->file_of = calloc(n + 1, sizeof *p->file_of);
    p->dtype_names = calloc(n + 1, sizeof *p->dtype_names);
    p->by_name = calloc(n + 1, sizeof *p->by_name);
    if (!m->tensors || !p->file_of || !p->dtype_names || !p->by_name)
        return clembed__fail(CLEMBED_ERR_NOMEM, "%s: out of memory", m->dir);
    size_t k = 0;
    m->n_params = 0;
    m->weight_bytes = 0;
    for (size_t i = 0; i < p->n_files; i++) {
        const clembed__st_file *f = p->files[i];
        for (size_t j = 0; j < f->n_tensors; j++, k++) {
            m->tensors[k] = f->tensors[j];
            p->file_of[k] = i;
            p->dtype_names[k] = f->dtype_names[j];
            if (f->tensors[j].dtype != CLEMBED__OTHER)
                m->n_params += clembed__tensor_numel(&f->tensors[j]);
            m->weight_bytes += f->tensors[j].nbytes;
        }
        if (i + 1 == p->n_enc_files)
            p->n_enc_tensors = k;
    }
    m->n_tensors = n;
    for (size_t i = 0; i < p->n_enc_tensors; i++)
        p->by_name[i] = &m->tensors[i];
    qsort(p->by_name, p->n_enc_tensors, sizeof *p->by_name, by_name);
    for (size_t i = 1; i < p->n_enc_tensors; i++)
        if (strcmp(p->by_name[i - 1]->name, p->by_name[i]->name) == 0) {
            char b[160];
            return clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s' is in two shards (%s and %s)",
                                 p->weights_label, P(p->by_name[i]->name, b),
                                 p->files[p->file_of[p->by_name[i - 1] - m->tensors]]->path,
                                 p->files[p->file_of[p->by_name[i] - m->tensors]]->path);
        }
    /* The prefix is whatever comes before the word embeddings' name (any of its spellings). */
    p->prefix[0] = '\0';
    char anchor[192];
    int found = 0;
    for (int alt = 0; !found && m->cfg.arch &&
                      clembed__arch_weight_name(m->cfg.arch, CLEMBED__W_WORD, alt, 0, 0, ".weight", anchor,
                                                sizeof anchor); alt++) {
        size_t al = strlen(anchor);
        for (size_t i = 0; i < p->n_enc_tensors && !found; i++)
            found = strcmp(m->tensors[i].name, anchor) == 0;
        for (size_t i = 0; i < p->n_enc_tensors && !found; i++) {
            const char *name = m->tensors[i].name;
            size_t l = strlen(name);
            if (l > al && name[l - al - 1] == '.' && strcmp(name + l - al, anchor) == 0 &&
                l - al < sizeof p->prefix) {
                memcpy(p->prefix, name, l - al);
                p->prefix[l - al] = '\0';
                found = 1;
            }
        }
    }
    return CLEMBED_OK;
}

static const clembed__tensor *exact(const clembed_model *m, const char *name)
{
    const clembed__model_priv *p = m->priv;
    size_t lo = 0, hi = p->n_enc_tensors;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(p->by_name[mid]->name, name);
        if (c == 0)
            return p->by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static const clembed__tensor *with_prefixes(const clembed_model *m, const char *name)
{
    const clembed__model_priv *p = m->priv;
    const clembed__tensor *t = exact(m, name);
    char buf[512];
    if (t)
        return t;
    if (p->prefix[0] && snprintf(buf, sizeof buf, "%s%s", p->prefix, name) < (int)sizeof buf &&
        (t = exact(m, buf)))
        return t;
    /* A name asked for with a prefix the family's checkpoints use, or the file's own. */
    const size_t n_known = m->cfg.arch ? CLEMBED_ARRAY_LEN(m->cfg.arch->prefixes) : 0;
    for (size_t i = 0; i <= n_known; i++) {
        const char *pre = i < n_known ? m->cfg.arch->prefixes[i] : p->prefix;
        if (!pre)
            continue;
        size_t l = strlen(pre);
        if (l && strncmp(name, pre, l) == 0) {
            if ((t = exact(m, name + l)))
                return t;
            if (p->prefix[0] && snprintf(buf, sizeof buf, "%s%s", p->prefix, name + l) < (int)sizeof buf &&
                (t = exact(m, buf)))
                return t;
        }
    }
    return NULL;
}

const clembed__tensor *clembed__model_tensor(const clembed_model *m, const char *name)
{
    if (!m || !m->priv || !name)
        return NULL;
    const clembed__tensor *t = with_prefixes(m, name);
    if (t)
        return t;
    /* Old checkpoints name LayerNorm parameters gamma and beta; transformers renames them. */
    size_t l = strlen(name);
    char buf[512];
    if (l > 17 && l < sizeof buf && strcmp(name + l - 17, ".LayerNorm.weight") == 0) {
        snprintf(buf, sizeof buf, "%.*s.LayerNorm.gamma", (int)(l - 17), name);
        return with_prefixes(m, buf);
    }
    if (l > 15 && l < sizeof buf && strcmp(name + l - 15, ".LayerNorm.bias") == 0) {
        snprintf(buf, sizeof buf, "%.*s.LayerNorm.beta", (int)(l - 15), name);
        return with_prefixes(m, buf);
    }
    return NULL;
}

const clembed__tensor *clembed__weights_in_file(const clembed_model *m, size_t file, const char *name)
{
    const clembed__model_priv *p = m->priv;
    for (size_t i = 0; i < m->n_tensors; i++)
        if (p->file_of[i] == file && strcmp(m->tensors[i].name, name) == 0)
            return &m->tensors[i];
    return NULL;
}

const char *clembed__weights_file_of(const clembed_model *m, const clembed__tensor *t)
{
    const clembed__model_priv *p = m->priv;
    if (t < m->tensors || t >= m->tensors + m->n_tensors)
        return p->weights_label;
    return p->files[p->file_of[t - m->tensors]]->path;
}

void clembed__weights_free(clembed__model_priv *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_files; i++)
        clembed__st_free(p->files[i]);
    free(p->files);
    free(p->file_of);
    free(p->dtype_names);
    free(p->by_name);
    free(p->weights_label);
    free(p);
}

/* ---- encoder tensors ------------------------------------------------------ */

/* The shape a role has under cfg: rows, and columns (0 for a vector). */
static void role_shape(const clembed__encoder_config *c, clembed__wrole r, int64_t *rows, int64_t *cols)
{
    const int64_t H = c->hidden_size, E = c->emb_size, I = c->intermediate_size, hd = c->head_dim;
    const int64_t QW = (int64_t)c->num_heads * hd, KW = (int64_t)c->num_kv_heads * hd;
    *cols = 0;
    switch (r) {
    case CLEMBED__W_WORD: *rows = c->vocab_size, *cols = E; break;
    case CLEMBED__W_POS: *rows = c->max_position_embeddings, *cols = E; break;
    case CLEMBED__W_TYPE: *rows = c->type_vocab_size, *cols = E; break;
    case CLEMBED__W_EMB_NORM: *rows = E; break;
    case CLEMBED__W_EMB_PROJ: *rows = H, *cols = E; break;
    case CLEMBED__W_REL_BIAS: *rows = c->rel_table_rows, *cols = c->num_heads; break;
    case CLEMBED__W_Q: *rows = QW, *cols = H; break;
    case CLEMBED__W_K:
    case CLEMBED__W_V: *rows = KW, *cols = H; break;
    case CLEMBED__W_QKV: *rows = QW + 2 * KW, *cols = H; break;
    case CLEMBED__W_O: *rows = H, *cols = QW; break;
    case CLEMBED__W_Q_NORM:
    case CLEMBED__W_K_NORM: *rows = hd; break;
    case CLEMBED__W_FFN_IN:
    case CLEMBED__W_FFN_UP: *rows = I, *cols = H; break;
    case CLEMBED__W_FFN_INUP: *rows = 2 * I, *cols = H; break;
    case CLEMBED__W_FFN_OUT: *rows = H, *cols = I; break;
    default: *rows = H; break;   /* the norms after the layers */
    }
}

/* Whether cfg's encoder reads role r, and whether with a bias. */
static int role_used(const clembed__encoder_config *c, clembed__wrole r, int *bias)
{
    const clembed__arch *a = c->arch;
    const unsigned f = a->flags;
    int norm_bias = c->norm_bias && a->norm == CLEMBED__NORM_LAYER;
    *bias = 0;
    switch (r) {
    case CLEMBED__W_WORD: return 1;
    case CLEMBED__W_POS: return (f & CLEMBED__A_POS_LEARNED) != 0;
    case CLEMBED__W_TYPE: return (f & CLEMBED__A_TOKEN_TYPES) != 0;
    case CLEMBED__W_EMB_NORM: *bias = norm_bias; return (f & CLEMBED__A_EMB_NORM) != 0;
    case CLEMBED__W_EMB_PROJ: *bias = 1; return (f & CLEMBED__A_EMB_PROJ) != 0;
    case CLEMBED__W_REL_BIAS: return (f & CLEMBED__A_REL_BUCKETS) != 0;
    case CLEMBED__W_FINAL_NORM: *bias = norm_bias; return (f & CLEMBED__A_FINAL_NORM) != 0;
    case CLEMBED__W_Q:
    case CLEMBED__W_K:
    case CLEMBED__W_V: *bias = c->attn_bias; return !(f & CLEMBED__A_FUSED_QKV);
    case CLEMBED__W_QKV: *bias = c->attn_bias; return (f & CLEMBED__A_FUSED_QKV) != 0;
    case CLEMBED__W_O: *bias = c->attn_bias; return 1;
    case CLEMBED__W_Q_NORM:
    case CLEMBED__W_K_NORM: return (f & CLEMBED__A_QK_NORM) != 0;
    case CLEMBED__W_FFN_IN: *bias = c->mlp_bias; return !(f & CLEMBED__A_FUSED_GATE);
    case CLEMBED__W_FFN_UP: *bias = c->mlp_bias; return c->gated && !(f & CLEMBED__A_FUSED_GATE);
    case CLEMBED__W_FFN_INUP: *bias = c->mlp_bias; return (f & CLEMBED__A_FUSED_GATE) != 0;
    case CLEMBED__W_FFN_OUT: *bias = c->mlp_bias; return 1;
    case CLEMBED__W_ATTN_NORM:
    case CLEMBED__W_FFN_NORM: *bias = norm_bias; return 1;
    default: return 0;
    }
}

/* The tensor of role r for weight set (group, inner) with suffix: the first spelling found. */
static const clembed__tensor *role_tensor(const clembed_model *m, clembed__wrole r, int group, int inner,
                                          const char *suffix, char *name, size_t cap)
{
    char alt[192];
    name[0] = '\0';
    for (int i = 0; clembed__arch_weight_name(m->cfg.arch, r, i, group, inner, suffix, alt, sizeof alt); i++) {
        if (!name[0])
            snprintf(name, cap, "%s", alt);
        const clembed__tensor *t = clembed__model_tensor(m, alt);
        if (t)
            return t;
    }
    return NULL;
}

static clembed_status check_tensor(const clembed_model *m, const char *config_label, const clembed__tensor *t,
                                   int64_t rows, int64_t cols)
{
    const clembed__model_priv *p = m->priv;
    const char *file = clembed__weights_file_of(m, t);
    if (t->dtype == CLEMBED__OTHER)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: tensor '%s' is %s; weights must be F32, F16 "
                             "or BF16", file, t->name, p->dtype_names[t - m->tensors]);
    if (t->ndim == (cols ? 2 : 1) && t->shape[0] == rows && (!cols || t->shape[1] == cols))
        return CLEMBED_OK;
    char got[96], want[64];
    size_t n = (size_t)snprintf(got, sizeof got, "[");
    for (int i = 0; i < t->ndim && n < sizeof got; i++)
        n += (size_t)snprintf(got + n, sizeof got - n, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
    if (n < sizeof got)
        snprintf(got + n, sizeof got - n, "]");
    if (cols)
        snprintf(want, sizeof want, "[%lld, %lld]", (long long)rows, (long long)cols);
    else
        snprintf(want, sizeof want, "[%lld]", (long long)rows);
    return clembed__fail(CLEMBED_ERR_FORMAT, "%s: tensor '%s' has shape %s, but %s implies %s", file,
                         t->name, got, config_label, want);
}

/* Resolves role r of weight set s into *out: required tensors must be there with their shapes;
 * a tensor the configuration does not use but the family names is refused (a gated checkpoint
 * under a plain configuration would otherwise run wrong). */
static clembed_status resolve_role(clembed_model *m, const char *config_label, clembed__wrole r, size_t s,
                                   clembed__wpair *out)
{
    const clembed__encoder_config *c = &m->cfg;
    const clembed__model_priv *p = m->priv;
    int group = (int)s, inner = 0, bias = 0;
    if (c->arch->flags & CLEMBED__A_GROUPS)
        group = (int)s / c->inner_group_num, inner = (int)s % c->inner_group_num;
    char name[256];
    int used = role_used(c, r, &bias);
    /* ModernBERT's first layer has no norm before its attention, whatever the file holds. */
    if (r == CLEMBED__W_ATTN_NORM && s == 0 && (c->arch->flags & CLEMBED__A_FIRST_NO_ATTN_NORM))
        return CLEMBED_OK;
    const clembed__tensor *w = role_tensor(m, r, group, inner, ".weight", name, sizeof name);
    if (!used) {
        if (w && r != CLEMBED__W_REL_BIAS)
            return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "%s: tensor '%s' is there, but %s does not "
                                 "describe a model that uses it (%s; check feed_forward_proj, the "
                                 "gated or fused layout and model_type)", clembed__weights_file_of(m, w),
                                 w->name, config_label, clembed__wrole_name(r));
        return CLEMBED_OK;
    }
    if (!w)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: no tensor '%s%s'%s; %s (model_type '%s') needs it",
                             p->weights_label, p->prefix, name,
                             p->prefix[0] ? "" : " (with or without a prefix such as 'bert.')",
                             config_label, c->model_type);
    int64_t rows, cols;
    role_shape(c, r, &rows, &cols);
    clembed_status rc = check_tensor(m, config_label, w, rows, cols);
    if (rc != CLEMBED_OK)
        return rc;
    out->w = w;
    if (!bias)
        return CLEMBED_OK;
    const clembed__tensor *b = role_tensor(m, r, group, inner, ".bias", name, sizeof name);
    if (!b)
        return clembed__fail(CLEMBED_ERR_FORMAT, "%s: no tensor '%s%s'; %s (model_type '%s') gives it "
                             "a bias", p->weights_label, p->prefix, name, config_label, c->model_type);
    if ((rc = check_tensor(m, config_label, b, rows, 0)) != CLEMBED_OK)
        return rc;
    out->b = b;
    return CLEMBED_OK;
}

clembed_status clembed__weights_check_encoder(clembed_model *m, const char *config_label)
{
    const clembed__encoder_config *c = &m->cfg;
    const size_t n_sets = (c->arch->flags & CLEMBED__A_GROUPS)
                              ? (size_t)c->num_groups * (size_t)c->inner_group_num : (size_t)c->num_layers;
    clembed_status rc;
    m->enc_sets = calloc(n_sets ? n_sets : 1, sizeof *m->enc_sets);
    if (!m->enc_sets)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    m->n_enc_sets = n_sets;
    for (int r = 0; r < CLEMBED__N_WROLES; r++) {
        if (!clembed__arch_has(c->arch, (clembed__wrole)r))
            continue;
        if (!clembed__wrole_per_layer((clembed__wrole)r)) {
            if ((rc = resolve_role(m, config_label, (clembed__wrole)r, 0, &m->enc[r])) != CLEMBED_OK)
                return rc;
            continue;
        }
        for (size_t s = 0; s < n_sets; s++)
            if ((rc = resolve_role(m, config_label, (clembed__wrole)r, s, &m->enc_sets[s][r])) != CLEMBED_OK)
                return rc;
    }
    return CLEMBED_OK;
}

size_t clembed__model_block_set(const clembed_model *m, int block)
{
    const clembed__encoder_config *c = &m->cfg;
    if (!(c->arch->flags & CLEMBED__A_GROUPS))
        return (size_t)block;
    /* transformers: group int(layer / (num_hidden_layers / num_hidden_groups)), then each of
     * its inner layers in turn. */
    int layer = block / c->inner_group_num, inner = block % c->inner_group_num;
    int group = (int)(layer / ((double)c->num_layers / c->num_groups));
    return (size_t)group * (size_t)c->inner_group_num + (size_t)inner;
}

/* ---- conversion ------------------------------------------------------------ */

size_t clembed__tensor_numel(const clembed__tensor *t)
{
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= (size_t)t->shape[i];
    return n;
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else {
        /* Subnormal half: normalise into a float. */
        int e = -1;
        do {
            e++;
            man <<= 1;
        } while (!(man & 0x400));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static int host_little_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

void clembed__tensor_to_f32(const clembed__tensor *t, float *out)
{
    size_t n = clembed__tensor_numel(t);
    const uint8_t *d = t->data;
    int le = host_little_endian();
    switch (t->dtype) {
    case CLEMBED__F32:
        if (le) {
            memcpy(out, d, n * 4);
        } else {
            for (size_t i = 0; i < n; i++) {
                uint32_t u = (uint32_t)d[4 * i] | (uint32_t)d[4 * i + 1] << 8 |
                             (uint32_t)d[4 * i + 2] << 16 | (uint32_t)d[4 * i + 3] << 24;
                memcpy(&out[i], &u, 4);
            }
        }
        break;
    case CLEMBED__F16:
        for (size_t i = 0; i < n; i++)
            out[i] = half_to_float((uint16_t)(d[2 * i] | d[2 * i + 1] << 8));
        break;
    case CLEMBED__BF16:
        for (size_t i = 0; i < n; i++) {
            uint32_t u = (uint32_t)(d[2 * i] | d[2 * i + 1] << 8) << 16;
            memcpy(&out[i], &u, 4);
        }
        break;
    default:
        memset(out, 0, n * sizeof *out);
        break;
    }
}
