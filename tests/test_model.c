/* Model directories against what sentence-transformers 6.2 makes of them: the tiny directories of
 * tests/data/model/st (written with sentence-transformers 5.3 and 6.2 by tools/gen_st_configs.py,
 * legacy and 5.4+ forms) and the real all-MiniLM-L6-v2 when models/ has it.  Each *.expected.json
 * holds the reference's view: configuration, module chain, dimensions, effective max length,
 * prompts, parameter counts and sample tensor values. */
#define _DEFAULT_SOURCE
#include "model/model.h"
#include "tap.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = buf ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!buf)
        return NULL;
    buf[got] = '\0';
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    return j;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int streq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static const char *const kind_names[] = {"Transformer", "Pooling", "Dense", "Normalize"};
static const char *const act_names[] = {"gelu", "gelu_tanh", "relu", "silu", "quick_gelu", "tanh",
                                        "identity"};

static const char *pool_name(unsigned bit)
{
    static const char *const names[] = {"cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean",
                                        "lasttoken"};
    for (unsigned i = 0; i < 6; i++)
        if (bit == 1u << i)
            return names[i];
    return "?";
}

static void check_modules(const char *name, const clembed_model *m, const cJSON *exp)
{
    const cJSON *mods = cJSON_GetObjectItemCaseSensitive(exp, "modules");
    is_int(m->n_modules, cJSON_GetArraySize(mods), "%s: %d modules", name, cJSON_GetArraySize(mods));
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, mods) {
        if (i >= m->n_modules)
            break;
        const clembed__module *mod = &m->modules[i++];
        const char *type = str(e, "type");
        ok(streq(kind_names[mod->kind], type), "%s: module %zu is %s", name, i - 1, type);
        if (mod->kind == CLEMBED__MOD_POOLING) {
            const cJSON *modes = cJSON_GetObjectItemCaseSensitive(e, "pooling_mode"), *pm;
            char got[128] = "", want[128] = "";
            for (int k = 0; k < mod->n_pool; k++) {
                strcat(got, pool_name(mod->pool_list[k]));
                strcat(got, " ");
            }
            cJSON_ArrayForEach(pm, modes) {
                strcat(want, pm->valuestring);
                strcat(want, " ");
            }
            ok(strcmp(got, want) == 0, "%s: pooling modes in order: %s", name, want);
            if (strcmp(got, want) != 0)
                diag("  got %s", got);
            unsigned bits = 0;
            for (int k = 0; k < mod->n_pool; k++)
                bits |= mod->pool_list[k];
            ok(bits == mod->pool_modes, "%s: pool_modes is the union of pool_list", name);
            is_int(mod->include_prompt, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "include_prompt")),
                   "%s: include_prompt", name);
            is_int(mod->pool_in_dim, num(e, "embedding_dimension"), "%s: pooling embedding_dimension", name);
        } else if (mod->kind == CLEMBED__MOD_DENSE) {
            is_int(mod->in_features, num(e, "in_features"), "%s: Dense in_features", name);
            is_int(mod->out_features, num(e, "out_features"), "%s: Dense out_features", name);
            ok(streq(act_names[mod->dense_act], str(e, "activation")), "%s: Dense activation %s", name,
               str(e, "activation"));
            int bias = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "bias"));
            ok((mod->dense_bias != NULL) == bias, "%s: Dense bias %s", name, bias ? "present" : "absent");
            ok(mod->dense_weight && mod->dense_weight->ndim == 2 &&
               mod->dense_weight->shape[0] == mod->out_features &&
               mod->dense_weight->shape[1] == mod->in_features, "%s: Dense weight [out, in]", name);
        }
    }
}

static void check_tensors(const char *name, const clembed_model *m, const cJSON *exp)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(exp, "tensors")) {
        const clembed__tensor *x = clembed__model_tensor(m, t->string);
        const cJSON *shape = cJSON_GetObjectItemCaseSensitive(t, "shape");
        if (!ok(x != NULL, "%s: tensor %s found", name, t->string))
            continue;
        int same_shape = x->ndim == cJSON_GetArraySize(shape);
        for (int d = 0; same_shape && d < x->ndim; d++)
            same_shape = x->shape[d] == (int64_t)cJSON_GetArrayItem(shape, d)->valuedouble;
        ok(same_shape, "%s: %s shape", name, t->string);
        size_t n = clembed__tensor_numel(x);
        float *v = malloc(n * sizeof *v + 1);
        clembed__tensor_to_f32(x, v);
        const cJSON *first = cJSON_GetObjectItemCaseSensitive(t, "first");
        int exact = 1;
        for (int k = 0; k < cJSON_GetArraySize(first) && (size_t)k < n; k++)
            exact &= (double)v[k] == cJSON_GetArrayItem(first, k)->valuedouble;
        ok(exact, "%s: %s (%s) first values convert exactly", name, t->string, str(t, "dtype"));
        double sum = 0, want = num(t, "sum");
        for (size_t k = 0; k < n; k++)
            sum += v[k];
        ok(fabs(sum - want) <= 1e-9 * (1 + fabs(want)) * (double)n, "%s: %s sum %.9g", name, t->string, want);
        free(v);
    }
}

static void check_dir(const char *name, const char *dir, const cJSON *exp)
{
    clembed_model_params prm;
    clembed_model_params_init(&prm);
    prm.load_tokenizer = 0;
    clembed_model *m = NULL;
    clembed_status rc = clembed_model_open(dir, &prm, &m);
    if (!ok(rc == CLEMBED_OK, "%s opens", name)) {
        diag("  %s: %s", clembed_strerror(rc), clembed_errmsg());
        return;
    }
    const clembed__encoder_config *c = &m->cfg;
    ok(streq(c->model_type, str(exp, "model_type")), "%s: model_type %s", name, str(exp, "model_type"));
    const char *arch = str(exp, "architecture");
    ok(streq(c->architecture, arch ? arch : ""), "%s: architecture %s", name, arch ? arch : "none");
    is_int(c->hidden_size, num(exp, "hidden_size"), "%s: hidden_size", name);
    is_int(c->num_layers, num(exp, "num_layers"), "%s: layers", name);
    is_int(c->num_heads, num(exp, "num_heads"), "%s: heads", name);
    is_int(c->intermediate_size, num(exp, "intermediate_size"), "%s: intermediate_size", name);
    is_int(c->vocab_size, num(exp, "vocab_size"), "%s: vocab_size", name);
    is_int(c->max_position_embeddings, num(exp, "max_position_embeddings"), "%s: positions", name);
    is_int(c->type_vocab_size, num(exp, "type_vocab_size"), "%s: type_vocab_size", name);
    is_int(c->pad_token_id, num(exp, "pad_token_id"), "%s: pad_token_id", name);
    is_int(c->position_offset, num(exp, "position_offset"), "%s: position offset", name);
    ok(streq(act_names[c->hidden_act], str(exp, "hidden_act")), "%s: hidden_act", name);
    ok(c->layer_norm_eps == (float)num(exp, "layer_norm_eps"), "%s: layer_norm_eps", name);
    is_int(m->has_modules_json, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(exp, "modules_json")),
           "%s: modules.json", name);
    check_modules(name, m, exp);
    is_int(clembed_model_dim(m), num(exp, "output_dimension"), "%s: output dimension", name);
    double td = num(exp, "truncate_dim");
    is_int(m->truncate_dim, isnan(td) ? 0 : td, "%s: truncate_dim", name);
    is_int(clembed_model_max_tokens(m), num(exp, "max_seq_length"),
           "%s: max tokens (sentence-transformers truncates at %.0f)", name, num(exp, "truncation_length"));
    is_int(m->do_lower_case, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(exp, "do_lower_case")),
           "%s: do_lower_case", name);
    const cJSON *prompts = cJSON_GetObjectItemCaseSensitive(exp, "prompts"), *p;
    is_int(m->n_prompts, cJSON_GetArraySize(prompts), "%s: prompts", name);
    cJSON_ArrayForEach(p, prompts)
        ok(streq(clembed__model_prompt(m, p->string), p->valuestring), "%s: prompt %s = \"%s\"", name,
           p->string, p->valuestring);
    ok(streq(m->default_prompt_name, str(exp, "default_prompt_name")), "%s: default prompt", name);
    ok(streq(m->similarity_fn, str(exp, "similarity_fn_name")), "%s: similarity function", name);
    is_int(m->n_params, num(exp, "file_parameters"), "%s: parameters", name);
    is_int(m->weight_bytes, num(exp, "file_bytes"), "%s: weight bytes", name);
    is_int(m->n_tensors, num(exp, "file_tensors"), "%s: tensors", name);
    check_tensors(name, m, exp);
    if (m->cfg.architecture[0] && strstr(m->cfg.architecture, "ForMaskedLM")) {
        ok(clembed__model_tensor(m, "embeddings.word_embeddings.weight") ==
           clembed__model_tensor(m, "bert.embeddings.word_embeddings.weight") &&
           strcmp(clembed__model_tensor(m, "embeddings.word_embeddings.weight")->name,
                  "bert.embeddings.word_embeddings.weight") == 0,
           "%s: names found with and without the 'bert.' prefix", name);
    }
    ok(clembed__model_tensor(m, "no.such.tensor") == NULL, "%s: an absent tensor is NULL", name);

    char *desc = NULL;
    rc = clembed_model_describe_json(m, &desc);
    cJSON *d = desc ? cJSON_Parse(desc) : NULL;
    ok(rc == CLEMBED_OK && d && num(d, "output_dimension") == num(exp, "output_dimension") &&
       num(d, "max_seq_length") == num(exp, "max_seq_length") &&
       cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "modules")) ==
       cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(exp, "modules")) &&
       num(cJSON_GetObjectItemCaseSensitive(d, "weights"), "parameters") == num(exp, "file_parameters"),
       "%s: describe_json agrees", name);
    cJSON_Delete(d);
    free(desc);
    ok(clembed_model_tokenizer(m) == NULL, "%s: no tokenizer when not asked for", name);
    clembed_model_free(m);

    /* With the tokenizer (the default). */
    m = NULL;
    rc = clembed_model_open(dir, NULL, &m);
    if (ok(rc == CLEMBED_OK && clembed_model_tokenizer(m) != NULL, "%s opens with its tokenizer", name))
        is_int(clembed_tokenizer_vocab_size(clembed_model_tokenizer(m)), num(exp, "tokenizer_vocab_size"),
               "%s: the tokenizer's vocabulary", name);
    else
        diag("  %s: %s", clembed_strerror(rc), clembed_errmsg());
    clembed_model_free(m);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char dir[2048], path[2600];
    if (!top)
        top = ".";
    clembed_log_set_level(CLEMBED_LOG_ERROR);
    snprintf(dir, sizeof dir, "%s/tests/data/model/st", top);
    DIR *dd = opendir(dir);
    char *names[64];
    size_t n = 0;
    struct dirent *e;
    while (dd && (e = readdir(dd)) != NULL && n < 64) {
        size_t l = strlen(e->d_name);
        if (l > 14 && strcmp(e->d_name + l - 14, ".expected.json") == 0) {
            names[n] = strdup(e->d_name);
            names[n++][l - 14] = '\0';
        }
    }
    if (dd)
        closedir(dd);
    qsort(names, n, sizeof *names, by_name);
    ok(n >= 8, "%zu reference directories in %s", n, dir);
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s.expected.json", dir, names[i]);
        cJSON *exp = load(path);
        if (ok(exp != NULL, "%s parses", path)) {
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            check_dir(names[i], path, exp);
        }
        cJSON_Delete(exp);
        free(names[i]);
    }

    snprintf(path, sizeof path, "%s/models/all-MiniLM-L6-v2", top);
    snprintf(dir, sizeof dir, "%s/tests/data/model/minilm_expected.json", top);
    cJSON *exp = load(dir);
    ok(exp != NULL, "%s parses", dir);
    FILE *probe = fopen(strcat(strcpy(dir, path), "/model.safetensors"), "rb");
    if (probe) {
        fclose(probe);
        check_dir("all-MiniLM-L6-v2", path, exp);
    } else {
        skip("%s is absent (sh tools/setup.sh fetches it)", path);
    }
    cJSON_Delete(exp);

    /* A directory without tokenizer.json opens only when the tokenizer is not asked for. */
    snprintf(dir, sizeof dir, "%s/tests/data/model/malformed/valid", top);
    clembed_model *m = NULL;
    clembed_status rc = clembed_model_open(dir, NULL, &m);
    snprintf(path, sizeof path, "%s/tokenizer.json: no such file", dir);
    ok(rc == CLEMBED_ERR_NOT_FOUND && m == NULL && strstr(clembed_errmsg(), path),
       "no tokenizer.json: not found, naming the file");
    clembed_model_free(m);
    clembed_model_free(NULL);
    ok(clembed_model_open(NULL, NULL, &m) == CLEMBED_ERR_INVALID_ARG && m == NULL, "a NULL directory");
    ok(clembed_model_open(dir, NULL, NULL) == CLEMBED_ERR_INVALID_ARG, "a NULL out");
    snprintf(path, sizeof path, "%s/config.json", dir);
    ok(clembed_model_open(path, NULL, &m) == CLEMBED_ERR_INVALID_ARG && strstr(clembed_errmsg(), "not a directory"),
       "a file instead of a directory");
    ok(clembed_model_dim(NULL) == 0 && clembed_model_max_tokens(NULL) == 0 && !clembed_model_tokenizer(NULL),
       "accessors accept NULL");
    return done_testing();
}
