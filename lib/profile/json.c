/* Profiles as JSON: written with every number exact, read with a message naming the field that is
 * wrong. */
#define _POSIX_C_SOURCE 200809L
#include "profile/priv.h"
#include "core/util.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON out ------------------------------------------------------------- */

/* Numbers in the shortest form that reads back to the same double: cJSON's
 * own printing may drop the last bit, and a profile must round-trip. */
static void add_number(cJSON *o, const char *key, double v)
{
    char buf[40];
    if (!isfinite(v))
        v = 0;
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* JSON's decimal point, whatever LC_NUMERIC the program set. */
    for (char *c = buf; *c; c++)
        if (!strchr("0123456789+-eE", *c))
            *c = '.';
    cJSON_AddItemToObject(o, key, cJSON_CreateRaw(buf));
}

static cJSON *shape_json(const clembed__shape *s, int is_gemm)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (is_gemm) {
        add_number(o, "m", s->tokens);
        add_number(o, "n", s->inter);
        add_number(o, "k", s->hidden);
        return o;
    }
    add_number(o, "tokens", s->tokens);
    add_number(o, "hidden", s->hidden);
    add_number(o, "heads", s->heads);
    add_number(o, "seq", s->seq);
    add_number(o, "batch", s->batch);
    add_number(o, "inter", s->inter);
    return o;
}

static cJSON *entry_json(const clembed__profile_entry *e)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (!e->is_gemm)
        cJSON_AddStringToObject(o, "op", e->op);
    cJSON_AddStringToObject(o, "kernel", e->kernel);
    cJSON_AddItemToObject(o, "shape", shape_json(&e->shape, e->is_gemm));
    cJSON *params = cJSON_AddObjectToObject(o, "params");
    for (size_t i = 0; params && i < e->n_params; i++)
        add_number(params, e->pnames[i], e->pvalues[i]);
    add_number(o, "default_s", e->default_s);
    add_number(o, "tuned_s", e->tuned_s);
    add_number(o, "roofline_s", e->roofline_s);
    if (e->roofline_s > 0 && e->tuned_s > 0)
        add_number(o, "roofline_fraction", e->roofline_s / e->tuned_s);
    add_number(o, "bytes", e->bytes);
    add_number(o, "flops", e->flops);
    add_number(o, "max_err", e->max_err);
    add_number(o, "candidates", e->candidates);
    add_number(o, "outliers", e->outliers);
    add_number(o, "rejected_count", e->n_rejected_total);
    cJSON *rej = cJSON_AddArrayToObject(o, "rejected");
    for (size_t i = 0; rej && i < e->n_rejected; i++)
        cJSON_AddItemToArray(rej, cJSON_CreateString(e->rejected[i]));
    if (!e->is_gemm)
        cJSON_AddBoolToObject(o, "chosen", e->chosen);
    return o;
}

static void add_num_or_null(cJSON *o, const char *k, double v)
{
    if (v > 0)
        add_number(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

clembed_status clembed_profile_to_json(const clembed_profile *p, char **out)
{
    if (!p || !out)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_profile_to_json: NULL argument");
    *out = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    add_number(root, "clembed_profile", CLEMBED_PROFILE_SCHEMA);
    if (p->level != CLEMBED_PROFILE_LEVEL_DEVICE) {
        cJSON *lv = cJSON_AddObjectToObject(root, "level");
        if (lv) {
            cJSON_AddStringToObject(lv, "kind", clembed__level_names[p->level]);
            cJSON_AddStringToObject(lv, "key", p->level_key ? p->level_key : "");
        }
    }
    cJSON_AddStringToObject(root, "library_version", p->library_version);
    cJSON_AddStringToObject(root, "kernels_hash", p->kernels_hash);
    cJSON_AddStringToObject(root, "created", p->created ? p->created : "");
    cJSON_AddBoolToObject(root, "complete", p->complete);
    add_number(root, "elapsed_s", p->elapsed);
    cJSON *stages = cJSON_AddArrayToObject(root, "stages_done");
    static const char *const stage_names[] = {"probe", "ops", "gemm"};
    for (unsigned i = 0; stages && i < 3; i++)
        if (p->stages_done & (1u << i))
            cJSON_AddItemToArray(stages, cJSON_CreateString(stage_names[i]));

    cJSON *d = cJSON_AddObjectToObject(root, "device");
    if (d) {
        cJSON_AddStringToObject(d, "name", p->dev_name);
        /* Read from the name again when the file is loaded; written for people and tools. */
        cJSON_AddStringToObject(d, "hardware_name", p->hw_name ? p->hw_name : "");
        cJSON_AddStringToObject(d, "architecture", p->arch ? p->arch : "");
        cJSON_AddStringToObject(d, "family", p->family ? p->family : "");
        if (p->pci_bus_id && p->pci_bus_id[0])
            cJSON_AddStringToObject(d, "pci_bus_id", p->pci_bus_id);
        else
            cJSON_AddNullToObject(d, "pci_bus_id");
        cJSON_AddStringToObject(d, "vendor", p->dev_vendor);
        add_number(d, "vendor_id", p->vendor_id);
        cJSON_AddStringToObject(d, "type", p->dev_type);
        add_number(d, "compute_units", p->compute_units);
        add_number(d, "global_mem_bytes", (double)p->global_mem);
        add_number(d, "local_mem_bytes", (double)p->local_mem);
        add_number(d, "max_alloc_bytes", (double)p->max_alloc);
        add_number(d, "max_work_group_size", (double)p->max_wg);
        if (p->uuid[0])
            cJSON_AddStringToObject(d, "uuid", p->uuid);
        else
            cJSON_AddNullToObject(d, "uuid");
    }
    cJSON *s = cJSON_AddObjectToObject(root, "stack");
    if (s) {
        cJSON_AddStringToObject(s, "platform", p->platform);
        cJSON_AddStringToObject(s, "platform_version", p->platform_version);
        cJSON_AddStringToObject(s, "device_name_software", p->name_software ? p->name_software : "");
        cJSON_AddStringToObject(s, "driver_version", p->driver_version);
        cJSON_AddStringToObject(s, "device_version", p->device_version);
        cJSON_AddStringToObject(s, "opencl_c_version", p->opencl_c_version);
        cJSON_AddStringToObject(s, "extensions_hash", p->ext_hash);
        cJSON_AddStringToObject(s, "clblast_version", p->clblast_version);
        cJSON *env = cJSON_AddObjectToObject(s, "env");
        for (size_t i = 0; env && i < p->n_env; i++)
            cJSON_AddStringToObject(env, p->env_names[i], p->env_values[i]);
    }
    if (p->has_probe) {
        cJSON *pr = cJSON_AddObjectToObject(root, "probe");
        if (pr) {
            add_num_or_null(pr, "read_bandwidth", p->probe.read_bandwidth);
            add_num_or_null(pr, "copy_bandwidth", p->probe.copy_bandwidth);
            add_num_or_null(pr, "fp32_flops", p->probe.fp32_flops);
            add_num_or_null(pr, "fp16_flops", p->probe.fp16_flops);
            add_num_or_null(pr, "launch_s", p->probe.launch_s);
            add_num_or_null(pr, "roundtrip_s", p->probe.roundtrip_s);
            add_num_or_null(pr, "compile_s", p->probe.compile_s);
            cJSON_AddBoolToObject(pr, "event_timing", p->probe.event_timing);
        }
    } else {
        cJSON_AddNullToObject(root, "probe");
    }
    add_number(root, "batch_tokens", p->batch_tokens);
    cJSON *ops = cJSON_AddArrayToObject(root, "ops");
    cJSON *gemm = cJSON_AddArrayToObject(root, "gemm");
    for (size_t i = 0; i < p->n_entries && ops && gemm; i++)
        cJSON_AddItemToArray(p->entries[i].is_gemm ? gemm : ops, entry_json(&p->entries[i]));
    cJSON *cb = cJSON_AddArrayToObject(root, "clblast");
    for (size_t i = 0; cb && i < p->n_clblast; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddStringToObject(o, "kernel", p->clblast[i].kernel);
        add_number(o, "precision", p->clblast[i].precision);
        cJSON *params = cJSON_AddObjectToObject(o, "params");
        for (size_t j = 0; params && j < p->clblast[i].n; j++)
            add_number(params, p->clblast[i].names[j], (double)p->clblast[i].values[j]);
        cJSON_AddItemToArray(cb, o);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory serializing a profile");
    /* cJSON's allocator is malloc unless hooks say otherwise; hand out a
     * plain malloc'ed copy with a final newline. */
    size_t n = strlen(text);
    *out = malloc(n + 2);
    if (*out) {
        memcpy(*out, text, n);
        (*out)[n] = '\n';
        (*out)[n + 1] = '\0';
    }
    cJSON_free(text);
    return *out ? CLEMBED_OK : clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
}

/* ---- JSON in ------------------------------------------------------------------- */

typedef struct reader {
    char where[160];  /* path of the field being read, for messages */
} reader;

static clembed_status bad(const reader *r, const char *field, const char *what)
{
    return clembed__fail(CLEMBED_ERR_PROFILE, "profile: %s%s%s %s", r->where, *r->where ? "." : "",
                         field, what);
}

static const cJSON *member(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static clembed_status get_str(const reader *r, const cJSON *o, const char *k, char **out)
{
    const cJSON *v = member(o, k);
    if (!v)
        return bad(r, k, "is missing");
    if (!cJSON_IsString(v) || !v->valuestring)
        return bad(r, k, "is not a string");
    free(*out);
    *out = clembed__strdup(v->valuestring);
    return *out ? CLEMBED_OK : clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
}

/* A finite number in [lo, hi]. */
static clembed_status get_num(const reader *r, const cJSON *o, const char *k, double lo, double hi,
                              int required, double *out)
{
    const cJSON *v = member(o, k);
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return bad(r, k, "is missing");
        *out = 0;
        return CLEMBED_OK;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return bad(r, k, "is not a number");
    if (v->valuedouble < lo || v->valuedouble > hi) {
        char msg[96];
        snprintf(msg, sizeof msg, "is %g, outside [%g, %g]", v->valuedouble, lo, hi);
        return bad(r, k, msg);
    }
    *out = v->valuedouble;
    return CLEMBED_OK;
}

static clembed_status get_int(const reader *r, const cJSON *o, const char *k, double lo, double hi,
                              int required, double *out)
{
    clembed_status rc = get_num(r, o, k, lo, hi, required, out);
    if (rc == CLEMBED_OK && *out != floor(*out))
        return bad(r, k, "is not an integer");
    return rc;
}

static clembed_status get_hex(const reader *r, const cJSON *o, const char *k, char out[17])
{
    const cJSON *v = member(o, k);
    if (!v)
        return bad(r, k, "is missing");
    if (!cJSON_IsString(v) || !v->valuestring || strlen(v->valuestring) != 16 ||
        strspn(v->valuestring, "0123456789abcdef") != 16)
        return bad(r, k, "is not 16 lowercase hex digits");
    memcpy(out, v->valuestring, 17);
    return CLEMBED_OK;
}

#define TRY(x)                          \
    do {                                \
        clembed_status rc_ = (x);       \
        if (rc_ != CLEMBED_OK)          \
            return rc_;                 \
    } while (0)

static clembed_status read_shape(reader *r, const cJSON *o, int is_gemm, clembed__shape *s)
{
    if (!cJSON_IsObject(o))
        return bad(r, "shape", "is not an object");
    reader sub;
    snprintf(sub.where, sizeof sub.where, "%s.shape", r->where);
    double v[6] = {0};
    static const char *const ops_names[] = {"tokens", "hidden", "heads", "seq", "batch", "inter"};
    static const char *const gemm_names[] = {"m", "k", NULL, NULL, NULL, "n"};
    for (int i = 0; i < 6; i++) {
        const char *name = is_gemm ? gemm_names[i] : ops_names[i];
        if (name)
            TRY(get_int(&sub, o, name, 0, UINT32_MAX, is_gemm, &v[i]));
    }
    s->tokens = (uint32_t)v[0];
    s->hidden = (uint32_t)v[1];
    s->heads = (uint32_t)v[2];
    s->seq = (uint32_t)v[3];
    s->batch = (uint32_t)v[4];
    s->inter = (uint32_t)v[5];
    return CLEMBED_OK;
}

static clembed_status read_entry(reader *r, const cJSON *o, int is_gemm, clembed__profile_entry *e)
{
    if (!cJSON_IsObject(o))
        return bad(r, "", "is not an object");
    if (is_gemm) {
        e->op = clembed__strdup("gemm");
        if (!e->op)
            return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    } else {
        TRY(get_str(r, o, "op", &e->op));
    }
    e->is_gemm = is_gemm;
    TRY(get_str(r, o, "kernel", &e->kernel));
    TRY(read_shape(r, member(o, "shape"), is_gemm, &e->shape));
    const cJSON *params = member(o, "params");
    if (!cJSON_IsObject(params))
        return bad(r, "params", params ? "is not an object" : "is missing");
    const cJSON *it;
    cJSON_ArrayForEach(it, params) {
        if (e->n_params == CLEMBED_MAX_PARAMS)
            return bad(r, "params", "has too many members");
        if (!it->string || !*it->string)
            return bad(r, "params", "has an empty name");
        reader pr;
        snprintf(pr.where, sizeof pr.where, "%s.params", r->where);
        double v;
        TRY(get_int(&pr, params, it->string, INT_MIN, INT_MAX, 1, &v));
        e->pnames[e->n_params] = clembed__strdup(it->string);
        if (!e->pnames[e->n_params])
            return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        e->pvalues[e->n_params++] = (int)v;
    }
    double v;
    TRY(get_num(r, o, "default_s", 0, 1e6, 1, &e->default_s));
    TRY(get_num(r, o, "tuned_s", 0, 1e6, 1, &e->tuned_s));
    TRY(get_num(r, o, "roofline_s", 0, 1e6, 0, &e->roofline_s));
    TRY(get_num(r, o, "bytes", 0, 1e18, 0, &e->bytes));
    TRY(get_num(r, o, "flops", 0, 1e18, 0, &e->flops));
    TRY(get_num(r, o, "max_err", 0, 1e300, 0, &e->max_err));
    TRY(get_int(r, o, "candidates", 0, UINT32_MAX, 0, &v));
    e->candidates = (unsigned)v;
    TRY(get_int(r, o, "outliers", 0, UINT32_MAX, 0, &v));
    e->outliers = (unsigned)v;
    TRY(get_int(r, o, "rejected_count", 0, UINT32_MAX, 0, &v));
    e->n_rejected_total = (unsigned)v;
    const cJSON *rej = member(o, "rejected");
    if (rej && !cJSON_IsArray(rej))
        return bad(r, "rejected", "is not an array");
    int nr = rej ? cJSON_GetArraySize(rej) : 0;
    if (nr > 0) {
        size_t keep = (size_t)nr < MAX_REJECTED_KEPT ? (size_t)nr : MAX_REJECTED_KEPT;
        e->rejected = calloc(keep, sizeof *e->rejected);
        if (!e->rejected)
            return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        cJSON_ArrayForEach(it, rej) {
            if (!cJSON_IsString(it) || !it->valuestring)
                return bad(r, "rejected", "has a member that is not a string");
            if (e->n_rejected < keep) {
                e->rejected[e->n_rejected] = clembed__strdup(it->valuestring);
                if (!e->rejected[e->n_rejected++])
                    return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
            }
        }
    }
    if (e->n_rejected_total < e->n_rejected)
        e->n_rejected_total = (unsigned)e->n_rejected;
    return CLEMBED_OK;
}

static clembed_status read_entries(clembed__profile *p, const cJSON *root, const char *key, int is_gemm)
{
    const cJSON *arr = member(root, key);
    reader r = {""};
    if (!arr)
        return CLEMBED_OK;
    if (!cJSON_IsArray(arr))
        return bad(&r, key, "is not an array");
    const cJSON *it;
    size_t i = 0;
    cJSON_ArrayForEach(it, arr) {
        snprintf(r.where, sizeof r.where, "%s[%zu]", key, i++);
        clembed__profile_entry e;
        memset(&e, 0, sizeof e);
        clembed_status rc = read_entry(&r, it, is_gemm, &e);
        if (rc == CLEMBED_OK && clembed__profile_find_exact(p, e.kernel, &e.shape, is_gemm))
            rc = clembed__fail(CLEMBED_ERR_PROFILE, "profile: %s repeats kernel '%s' at the same shape",
                               r.where, e.kernel);
        if (rc == CLEMBED_OK)
            rc = clembed__profile_put_entry(p, &e, 0);
        clembed__profile_entry_clear(&e);
        if (rc != CLEMBED_OK)
            return rc;
    }
    return CLEMBED_OK;
}

static clembed_status read_clblast(clembed__profile *p, const cJSON *root)
{
    const cJSON *arr = member(root, "clblast");
    reader r = {""};
    if (!arr)
        return CLEMBED_OK;
    if (!cJSON_IsArray(arr))
        return bad(&r, "clblast", "is not an array");
    const cJSON *it;
    size_t i = 0;
    cJSON_ArrayForEach(it, arr) {
        snprintf(r.where, sizeof r.where, "clblast[%zu]", i++);
        if (!cJSON_IsObject(it))
            return bad(&r, "", "is not an object");
        char *kernel = NULL;
        TRY(get_str(&r, it, "kernel", &kernel));
        double prec;
        clembed_status rc = get_int(&r, it, "precision", 16, 64, 1, &prec);
        if (rc == CLEMBED_OK && prec != 16 && prec != 32 && prec != 64)
            rc = bad(&r, "precision", "is not 16, 32 or 64");
        const cJSON *params = member(it, "params");
        if (rc == CLEMBED_OK && !cJSON_IsObject(params))
            rc = bad(&r, "params", params ? "is not an object" : "is missing");
        const char *names[MAX_CLBLAST_PARAMS];
        size_t values[MAX_CLBLAST_PARAMS], n = 0;
        const cJSON *pv;
        reader pr;
        snprintf(pr.where, sizeof pr.where, "%s.params", r.where);
        if (rc == CLEMBED_OK)
            cJSON_ArrayForEach(pv, params) {
                double v;
                if (n == MAX_CLBLAST_PARAMS) {
                    rc = bad(&r, "params", "has too many members");
                    break;
                }
                if (!pv->string || !*pv->string) {
                    rc = bad(&r, "params", "has an empty name");
                    break;
                }
                rc = get_int(&pr, params, pv->string, 0, 1 << 30, 1, &v);
                if (rc != CLEMBED_OK)
                    break;
                names[n] = pv->string;
                values[n++] = (size_t)v;
            }
        if (rc == CLEMBED_OK && n == 0)
            rc = bad(&r, "params", "is empty");
        for (size_t j = 0; rc == CLEMBED_OK && j < p->n_clblast; j++)
            if (strcmp(p->clblast[j].kernel, kernel) == 0 && p->clblast[j].precision == (int)prec)
                rc = bad(&r, "kernel", "repeats an earlier kernel and precision");
        if (rc == CLEMBED_OK)
            rc = clembed__profile_set_clblast(p, kernel, (int)prec, n, names, values);
        free(kernel);
        if (rc != CLEMBED_OK)
            return rc;
    }
    return CLEMBED_OK;
}

static clembed_status read_root(clembed__profile *p, const cJSON *root)
{
    reader r = {""};
    double v;
    if (!cJSON_IsObject(root))
        return clembed__fail(CLEMBED_ERR_PROFILE, "profile: the document is not a JSON object");
    const cJSON *schema = member(root, "clembed_profile");
    if (!schema)
        return clembed__fail(CLEMBED_ERR_PROFILE,
                             "profile: not a clembed profile (no \"clembed_profile\" schema version)");
    TRY(get_int(&r, root, "clembed_profile", 1, 1e9, 1, &v));
    if (v > CLEMBED_PROFILE_SCHEMA)
        return clembed__fail(CLEMBED_ERR_PROFILE,
                             "profile: schema version %.0f is newer than this library reads (%d); "
                             "run clembed-tune again",
                             v, CLEMBED_PROFILE_SCHEMA);
    const cJSON *lv = member(root, "level");
    if (lv && !cJSON_IsNull(lv)) {
        reader lr = {"level"};
        char *kind = NULL;
        if (!cJSON_IsObject(lv))
            return bad(&r, "level", "is not an object");
        TRY(get_str(&lr, lv, "kind", &kind));
        int found = 0;
        for (int i = 1; i < 4 && !found; i++)
            if (strcmp(kind, clembed__level_names[i]) == 0) {
                p->level = (clembed_profile_level)i;
                found = 1;
            }
        free(kind);
        if (!found)
            return bad(&lr, "kind", "is not \"architecture\", \"family\" or \"vendor\"");
        TRY(get_str(&lr, lv, "key", &p->level_key));
        if (!p->level_key[0] || strlen(p->level_key) >= 64)
            return bad(&lr, "key", "is empty or longer than 63 characters");
    }
    TRY(get_str(&r, root, "library_version", &p->library_version));
    TRY(get_hex(&r, root, "kernels_hash", p->kernels_hash));
    if (member(root, "created"))
        TRY(get_str(&r, root, "created", &p->created));
    const cJSON *c = member(root, "complete");
    if (c && !cJSON_IsBool(c))
        return bad(&r, "complete", "is not true or false");
    p->complete = c ? cJSON_IsTrue(c) : 1;
    TRY(get_num(&r, root, "elapsed_s", 0, 1e9, 0, &p->elapsed));
    const cJSON *stages = member(root, "stages_done");
    if (stages && !cJSON_IsArray(stages))
        return bad(&r, "stages_done", "is not an array");
    const cJSON *it;
    cJSON_ArrayForEach(it, stages) {
        static const char *const names[] = {"probe", "ops", "gemm"};
        for (unsigned i = 0; i < 3; i++)
            if (cJSON_IsString(it) && strcmp(it->valuestring, names[i]) == 0)
                p->stages_done |= 1u << i;
    }

    const cJSON *d = member(root, "device");
    if (!cJSON_IsObject(d))
        return bad(&r, "device", d ? "is not an object" : "is missing");
    reader dr = {"device"};
    TRY(get_str(&dr, d, "name", &p->dev_name));
    TRY(get_str(&dr, d, "vendor", &p->dev_vendor));
    TRY(get_str(&dr, d, "type", &p->dev_type));
    /* Written since the name is read apart; the name itself decides (see profile.c), except
     * for an architecture that no name says (NVIDIA's, from a query). */
    const cJSON *arch = member(d, "architecture");
    if (arch && !cJSON_IsNull(arch))
        TRY(get_str(&dr, d, "architecture", &p->arch));
    const cJSON *pci = member(d, "pci_bus_id");
    if (pci && !cJSON_IsNull(pci)) {
        TRY(get_str(&dr, d, "pci_bus_id", &p->pci_bus_id));
        if (strlen(p->pci_bus_id) >= 16)
            return bad(&dr, "pci_bus_id", "is longer than a PCI bus id");
    }
    TRY(get_int(&dr, d, "vendor_id", 0, UINT32_MAX, 1, &v));
    p->vendor_id = (uint32_t)v;
    TRY(get_int(&dr, d, "compute_units", 0, UINT32_MAX, 1, &v));
    p->compute_units = (uint32_t)v;
    TRY(get_int(&dr, d, "global_mem_bytes", 0, 9007199254740992.0, 1, &v));
    p->global_mem = (uint64_t)v;
    TRY(get_int(&dr, d, "local_mem_bytes", 0, 9007199254740992.0, 1, &v));
    p->local_mem = (uint64_t)v;
    TRY(get_int(&dr, d, "max_alloc_bytes", 0, 9007199254740992.0, 0, &v));
    p->max_alloc = (uint64_t)v;
    TRY(get_int(&dr, d, "max_work_group_size", 0, 1 << 30, 0, &v));
    p->max_wg = (size_t)v;
    const cJSON *uuid = member(d, "uuid");
    if (uuid && !cJSON_IsNull(uuid)) {
        if (!cJSON_IsString(uuid) || strlen(uuid->valuestring) != 32 ||
            strspn(uuid->valuestring, "0123456789abcdef") != 32)
            return bad(&dr, "uuid", "is not 32 lowercase hex digits or null");
        memcpy(p->uuid, uuid->valuestring, 33);
    }

    const cJSON *s = member(root, "stack");
    if (!cJSON_IsObject(s))
        return bad(&r, "stack", s ? "is not an object" : "is missing");
    reader sr = {"stack"};
    TRY(get_str(&sr, s, "platform", &p->platform));
    TRY(get_str(&sr, s, "platform_version", &p->platform_version));
    TRY(get_str(&sr, s, "driver_version", &p->driver_version));
    TRY(get_str(&sr, s, "device_version", &p->device_version));
    TRY(get_str(&sr, s, "opencl_c_version", &p->opencl_c_version));
    TRY(get_hex(&sr, s, "extensions_hash", p->ext_hash));
    TRY(get_str(&sr, s, "clblast_version", &p->clblast_version));
    const cJSON *env = member(s, "env");
    if (env && !cJSON_IsObject(env))
        return bad(&sr, "env", "is not an object");
    cJSON_ArrayForEach(it, env) {
        if (p->n_env == MAX_ENV)
            return bad(&sr, "env", "has too many members");
        if (!cJSON_IsString(it) || !it->string)
            return bad(&sr, "env", "has a value that is not a string");
        p->env_names[p->n_env] = clembed__strdup(it->string);
        p->env_values[p->n_env] = clembed__strdup(it->valuestring);
        if (!p->env_names[p->n_env] || !p->env_values[p->n_env]) {
            p->n_env++;
            return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        }
        p->n_env++;
    }
    for (size_t i = 1; i < p->n_env; i++)
        if (strcmp(p->env_names[i - 1], p->env_names[i]) >= 0)
            return bad(&sr, "env", "names are not unique and in order");

    const cJSON *pr = member(root, "probe");
    if (pr && !cJSON_IsNull(pr)) {
        if (!cJSON_IsObject(pr))
            return bad(&r, "probe", "is not an object or null");
        reader prr = {"probe"};
        TRY(get_num(&prr, pr, "read_bandwidth", 0, 1e16, 0, &p->probe.read_bandwidth));
        TRY(get_num(&prr, pr, "copy_bandwidth", 0, 1e16, 0, &p->probe.copy_bandwidth));
        TRY(get_num(&prr, pr, "fp32_flops", 0, 1e19, 0, &p->probe.fp32_flops));
        TRY(get_num(&prr, pr, "fp16_flops", 0, 1e19, 0, &p->probe.fp16_flops));
        TRY(get_num(&prr, pr, "launch_s", 0, 1e3, 0, &p->probe.launch_s));
        TRY(get_num(&prr, pr, "roundtrip_s", 0, 1e3, 0, &p->probe.roundtrip_s));
        TRY(get_num(&prr, pr, "compile_s", 0, 1e6, 0, &p->probe.compile_s));
        const cJSON *et = member(pr, "event_timing");
        if (et && !cJSON_IsBool(et))
            return bad(&prr, "event_timing", "is not true or false");
        p->probe.event_timing = !et || cJSON_IsTrue(et);
        p->has_probe = 1;
    }
    TRY(get_int(&r, root, "batch_tokens", 0, 1 << 24, 0, &v));
    p->batch_tokens = (uint32_t)v;
    TRY(read_entries(p, root, "ops", 0));
    TRY(read_entries(p, root, "gemm", 1));
    TRY(read_clblast(p, root));
    if (!clembed__profile_read_identity(p) || !clembed__profile_refresh(p))
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    return CLEMBED_OK;
}

clembed_status clembed_profile_parse(const char *json, size_t len, clembed_profile **out)
{
    if (!out)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_profile_parse: NULL out");
    *out = NULL;
    if (!json)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_profile_parse: NULL text");
    if (len > CLEMBED_PROFILE_MAX_BYTES)
        return clembed__fail(CLEMBED_ERR_TOO_LARGE, "profile: %zu bytes is larger than a profile can be (%zu)",
                             len, CLEMBED_PROFILE_MAX_BYTES);
    if (len == 0)
        return clembed__fail(CLEMBED_ERR_PROFILE, "profile: the file is empty");
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root) {
        size_t at = end && end >= json ? (size_t)(end - json) : 0;
        /* Cut inside a string (an odd number of quotes), or inside true, false or null: cJSON
         * stops where the token starts. */
        size_t rest = at < len ? len - at : 0, quotes = 0;
        for (size_t i = 0; i < len; i++) {
            if (json[i] == '\\' && (quotes & 1))
                i++;
            else if (json[i] == '"')
                quotes++;
        }
        int cut_literal = (quotes & 1) || (rest > 0 && rest < 5 && (strncmp(json + at, "true", rest) == 0 ||
                                                                    strncmp(json + at, "false", rest) == 0 ||
                                                                    strncmp(json + at, "null", rest) == 0));
        if (at >= len || rest < 2 || cut_literal)
            return clembed__fail(CLEMBED_ERR_PROFILE,
                                 "profile: the JSON ends early at byte %zu of %zu (truncated file?)", at, len);
        return clembed__fail(CLEMBED_ERR_PROFILE, "profile: malformed JSON at byte %zu of %zu", at, len);
    }
    /* Only white space may follow the document. */
    size_t at = end ? (size_t)(end - json) : len;
    while (at < len && (json[at] == ' ' || json[at] == '\n' || json[at] == '\r' || json[at] == '\t'))
        at++;
    if (at < len && !(at == len - 1 && json[at] == '\0')) {
        cJSON_Delete(root);
        return clembed__fail(CLEMBED_ERR_PROFILE, "profile: unexpected data after the JSON document at byte %zu",
                             at);
    }
    clembed__profile *p = calloc(1, sizeof *p);
    if (!p) {
        cJSON_Delete(root);
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    }
    clembed_status rc = read_root(p, root);
    cJSON_Delete(root);
    if (rc != CLEMBED_OK) {
        clembed_profile_free(p);
        return rc;
    }
    p->state = CLEMBED_PROFILE_USED;
    *out = p;
    return CLEMBED_OK;
}

/* ---- class profiles --------------------------------------------------------------- */

clembed_status clembed_profile_for_class(const clembed_profile *p, clembed_profile_level level,
                                         clembed_profile **out, char *file_name, size_t cap)
{
    if (!out)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_profile_for_class: NULL out");
    *out = NULL;
    if (!p || level <= CLEMBED_PROFILE_LEVEL_DEVICE || level > CLEMBED_PROFILE_LEVEL_VENDOR)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_profile_for_class: a profile and a class level "
                             "(architecture, family or vendor) are needed");
    char key[64];
    clembed__class_key(level, p->arch, p->family, p->vendor_id, p->dev_type, key, sizeof key);
    if (!key[0])
        return clembed__fail(CLEMBED_ERR_NOT_FOUND, "the profile's device ('%s') has no known %s",
                             p->dev_name ? p->dev_name : "", clembed__level_names[level]);
    char *json = NULL;
    clembed_profile *q = NULL;
    clembed_status rc = clembed_profile_to_json(p, &json);
    if (rc == CLEMBED_OK)
        rc = clembed_profile_parse(json, strlen(json), &q);
    free(json);
    if (rc != CLEMBED_OK)
        return rc;
    free(q->level_key);
    q->level = level;
    q->level_key = clembed__strdup(key);
    if (!q->level_key) {
        clembed_profile_free(q);
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    }
    if (file_name && cap)
        snprintf(file_name, cap, "%s-%s.json", clembed__level_names[level], key);
    *out = q;
    return CLEMBED_OK;
}
