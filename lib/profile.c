/* Tuning profiles: identity, JSON form, lookup, and what the runtime reads from them.
 * Without a profile, the registry's built-in defaults apply. */
#define _GNU_SOURCE /* dladdr */
#include "profile.h"
#include "program.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <clblast_c.h>
#include <ctype.h>
#include <dlfcn.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

extern char **environ;

#define MAX_REJECTED_KEPT 16
#define MAX_ENV 32
#define MAX_CLBLAST_PARAMS 32

typedef struct clblast_set {
    char *kernel;
    int precision;
    size_t n;
    char **names;
    size_t *values;
} clblast_set;

struct clembed_profile {
    /* identity: hardware */
    char *dev_name, *dev_vendor;
    uint32_t vendor_id, compute_units;
    uint64_t global_mem, local_mem, max_alloc;
    char *dev_type;
    char uuid[40];                 /* "" when the device has none */
    size_t max_wg;                 /* not identity: validates parameter sets */
    /* identity: software */
    char *platform, *platform_version, *driver_version, *device_version, *opencl_c_version;
    char ext_hash[17], kernels_hash[17];
    char *clblast_version, *library_version;
    size_t n_env;
    char *env_names[MAX_ENV], *env_values[MAX_ENV];
    /* run */
    char *created;
    int complete;
    double elapsed;
    unsigned stages_done;
    int has_probe;
    clembed_probe_result probe;
    uint32_t batch_tokens;
    clembed__profile_entry *entries;
    size_t n_entries, cap_entries;
    clblast_set *clblast;
    size_t n_clblast;
    /* as loaded for a device */
    clembed_profile_state state;
    char *path;
};

/* ---- small helpers -------------------------------------------------------- */

static void hex64(uint64_t v, char out[17])
{
    snprintf(out, 17, "%016llx", (unsigned long long)v);
}

static int str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static const char *type_str(clembed_device_type t)
{
    static const char *const names[] = {"other", "cpu", "gpu", "accelerator"};
    return (unsigned)t < 4 ? names[t] : "other";
}

void clembed__shape_string(const clembed__shape *s, char *buf, size_t cap)
{
    static const char *const names[] = {"tokens", "hidden", "heads", "seq", "batch", "inter"};
    const uint32_t v[] = {s->tokens, s->hidden, s->heads, s->seq, s->batch, s->inter};
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < 6 && used < cap; i++)
        if (v[i])
            used += (size_t)snprintf(buf + used, cap - used, "%s%s=%u", used ? " " : "", names[i], v[i]);
}

static void gemm_shape_string(const clembed__shape *s, char *buf, size_t cap)
{
    snprintf(buf, cap, "m=%u n=%u k=%u", s->tokens, s->inter, s->hidden);
}

/* Environment variables that change how drivers generate code. */
static int env_relevant(const char *name)
{
    static const char *const prefixes[] = {"POCL_", "RUSTICL_", "MESA_", "LP_", "GALLIUM_",
                                           "AMD_", "IGC_", "CLBLAST_"};
    static const char *const ignored[] = {"CACHE", "DEBUG", "LOG", "DUMP", "TRACE", "VERBOSE"};
    int match = 0;
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(prefixes); i++)
        match |= strncmp(name, prefixes[i], strlen(prefixes[i])) == 0;
    if (!match || strcmp(name, "RUSTICL_ENABLE") == 0)
        return 0;
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(ignored); i++)
        if (strstr(name, ignored[i]))
            return 0;
    return 1;
}

static char clblast_version[32] = "unknown";

/* The real file behind the loaded libclblast names its version
 * (libclblast.so.1.5.3): what runs, not what was built against. */
static void find_clblast_version(void)
{
    union {
        CLBlastStatusCode (*fn)(const cl_device_id);
        void *ptr;
    } sym;
    sym.fn = CLBlastFillCache;
    Dl_info info;
    if (!dladdr(sym.ptr, &info) || !info.dli_fname)
        return;
    char *real = realpath(info.dli_fname, NULL);
    const char *v = real ? strstr(real, ".so.") : NULL;
    if (v && strlen(v + 4) < sizeof clblast_version && strspn(v + 4, "0123456789.") == strlen(v + 4))
        snprintf(clblast_version, sizeof clblast_version, "%s", v + 4);
    free(real);
}

const char *clembed__clblast_version(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, find_clblast_version);
    return clblast_version;
}

/* ---- the profile object ----------------------------------------------------- */

static void entry_clear(clembed__profile_entry *e)
{
    free(e->op);
    free(e->kernel);
    for (size_t i = 0; i < e->n_params; i++)
        free(e->pnames[i]);
    for (size_t i = 0; i < e->n_rejected; i++)
        free(e->rejected[i]);
    free(e->rejected);
    free(e->shape_str);
    free(e->params_str);
    memset(e, 0, sizeof *e);
}

static void set_clear(clblast_set *s)
{
    free(s->kernel);
    for (size_t i = 0; i < s->n; i++)
        free(s->names[i]);
    free(s->names);
    free(s->values);
    memset(s, 0, sizeof *s);
}

void clembed_profile_free(clembed_profile *p)
{
    if (!p)
        return;
    free(p->dev_name);
    free(p->dev_vendor);
    free(p->dev_type);
    free(p->platform);
    free(p->platform_version);
    free(p->driver_version);
    free(p->device_version);
    free(p->opencl_c_version);
    free(p->clblast_version);
    free(p->library_version);
    for (size_t i = 0; i < p->n_env; i++) {
        free(p->env_names[i]);
        free(p->env_values[i]);
    }
    free(p->created);
    for (size_t i = 0; i < p->n_entries; i++)
        entry_clear(&p->entries[i]);
    free(p->entries);
    for (size_t i = 0; i < p->n_clblast; i++)
        set_clear(&p->clblast[i]);
    free(p->clblast);
    free(p->path);
    free(p);
}

void clembed__profile_free(clembed__profile *p)
{
    clembed_profile_free(p);
}

/* Fills the identity of dev into p (strings owned by p); 0 on out of memory. */
static int identity_from_device(clembed__profile *p, const clembed__device *dev)
{
    const clembed_device_info *in = &dev->info;
    p->dev_name = clembed__strdup(in->name);
    p->dev_vendor = clembed__strdup(in->vendor);
    p->dev_type = clembed__strdup(type_str(in->type));
    p->vendor_id = in->vendor_id;
    p->compute_units = in->compute_units;
    p->global_mem = in->global_mem_bytes;
    p->local_mem = in->local_mem_bytes;
    p->max_alloc = in->max_alloc_bytes;
    p->max_wg = in->max_work_group_size;
    p->uuid[0] = '\0';
    if (in->has_uuid)
        for (int i = 0; i < 16; i++)
            snprintf(p->uuid + 2 * i, 3, "%02x", in->uuid[i]);
    p->platform = clembed__strdup(in->platform_name);
    p->platform_version = clembed__strdup(in->platform_version);
    p->driver_version = clembed__strdup(in->driver_version);
    p->device_version = clembed__strdup(in->device_version);
    p->opencl_c_version = clembed__strdup(in->opencl_c_version);
    hex64(clembed__hash_finish(clembed__hash64_str(CLEMBED_HASH_INIT, in->extensions)), p->ext_hash);
    hex64(clembed__cl_sources_hash(), p->kernels_hash);
    p->clblast_version = clembed__strdup(clembed__clblast_version());
    p->library_version = clembed__strdup(clembed_version_string());
    p->n_env = 0;
    for (char **e = environ; e && *e && p->n_env < MAX_ENV; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        char *name = clembed__strdup(*e);
        if (!name)
            return 0;
        name[eq - *e] = '\0';
        if (!env_relevant(name)) {
            free(name);
            continue;
        }
        p->env_names[p->n_env] = name;
        p->env_values[p->n_env] = clembed__strdup(eq + 1);
        if (!p->env_values[p->n_env])
            return 0;
        p->n_env++;
    }
    /* Sorted names and their values, so that equal environments compare equal. */
    for (size_t i = 1; i < p->n_env; i++)
        for (size_t j = i; j > 0 && strcmp(p->env_names[j - 1], p->env_names[j]) > 0; j--) {
            char *t = p->env_names[j];
            p->env_names[j] = p->env_names[j - 1];
            p->env_names[j - 1] = t;
            t = p->env_values[j];
            p->env_values[j] = p->env_values[j - 1];
            p->env_values[j - 1] = t;
        }
    return p->dev_name && p->dev_vendor && p->dev_type && p->platform && p->platform_version &&
           p->driver_version && p->device_version && p->opencl_c_version && p->clblast_version &&
           p->library_version;
}

static char *iso_now(void)
{
    time_t t = time(NULL);
    struct tm tm;
    char buf[32];
    if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return clembed__strdup("");
    return clembed__strdup(buf);
}

clembed_status clembed__profile_new(const clembed__device *dev, clembed__profile **out)
{
    *out = NULL;
    clembed__profile *p = calloc(1, sizeof *p);
    if (!p || !identity_from_device(p, dev) || !(p->created = iso_now())) {
        clembed_profile_free(p);
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    }
    p->state = CLEMBED_PROFILE_USED;
    *out = p;
    return CLEMBED_OK;
}

/* ---- identity ------------------------------------------------------------- */

static uint64_t hardware_hash(const clembed__device *dev)
{
    const clembed_device_info *in = &dev->info;
    uint64_t h = CLEMBED_HASH_INIT;
    h = clembed__hash64_str(h, in->name);
    h = clembed__hash64_str(h, in->vendor);
    /* Not the global memory size: PoCL derives it from the free memory. */
    uint64_t nums[] = {in->vendor_id, in->compute_units, in->local_mem_bytes};
    h = clembed__hash64(h, nums, sizeof nums);
    if (in->has_uuid)
        h = clembed__hash64(h, in->uuid, sizeof in->uuid);
    return clembed__hash_finish(h);
}

clembed_status clembed__profile_file_name(const clembed__device *dev, char *buf, size_t cap)
{
    if (!buf || cap < 64)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "profile file name: a buffer of at least 64 bytes is needed");
    char stem[41];
    size_t n = 0;
    for (const char *s = dev->info.name; *s && n < sizeof stem - 1; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c))
            stem[n++] = (char)tolower(c);
        else if (n > 0 && stem[n - 1] != '-')
            stem[n++] = '-';
    }
    while (n > 0 && stem[n - 1] == '-')
        n--;
    stem[n] = '\0';
    char h[17];
    hex64(hardware_hash(dev), h);
    snprintf(buf, cap, "%s%s%.12s.json", stem, n ? "-" : "", h);
    return CLEMBED_OK;
}

clembed_status clembed_profile_file_name(size_t device, char *buf, size_t cap)
{
    const clembed__device *dev = clembed__device_at(device);
    if (!dev)
        return clembed__fail(CLEMBED_ERR_NOT_FOUND, "no OpenCL device with index %zu", device);
    return clembed__profile_file_name(dev, buf, cap);
}

/* Writes "<field> <now> (profile: <then>)" into why and returns 1 when they differ. */
static int differs(const char *field, const char *now, const char *then, char *why, size_t cap)
{
    if (str_eq(now, then))
        return 0;
    if (why && cap)
        snprintf(why, cap, "%s '%s' (profile: '%s')", field, now ? now : "", then ? then : "");
    return 1;
}

static int differs_u64(const char *field, uint64_t now, uint64_t then, char *why, size_t cap)
{
    if (now == then)
        return 0;
    if (why && cap)
        snprintf(why, cap, "%s %llu (profile: %llu)", field, (unsigned long long)now,
                 (unsigned long long)then);
    return 1;
}

/* Global memory as drivers report it moves a little (PoCL derives it from
 * the free memory); a quarter more or less is another configuration. */
static int mem_moved(uint64_t now, uint64_t then)
{
    double a = (double)now, b = (double)then;
    return a > 1.25 * b || b > 1.25 * a;
}

clembed_profile_state clembed__profile_match_device(const clembed__profile *p, const clembed__device *dev,
                                                   char *why, size_t cap)
{
    clembed__profile *now = NULL;
    if (why && cap)
        why[0] = '\0';
    if (clembed__profile_new(dev, &now) != CLEMBED_OK) {
        clembed__errmsg_clear();
        return CLEMBED_PROFILE_FOREIGN;
    }
    clembed_profile_state st = CLEMBED_PROFILE_USED;
    if (differs("device", now->dev_name, p->dev_name, why, cap) ||
        differs("vendor", now->dev_vendor, p->dev_vendor, why, cap) ||
        differs_u64("vendor id", now->vendor_id, p->vendor_id, why, cap) ||
        differs_u64("compute units", now->compute_units, p->compute_units, why, cap) ||
        differs_u64("local memory bytes", now->local_mem, p->local_mem, why, cap) ||
        (now->uuid[0] && p->uuid[0] && differs("uuid", now->uuid, p->uuid, why, cap))) {
        st = CLEMBED_PROFILE_FOREIGN;
    } else if (differs("platform", now->platform, p->platform, why, cap) ||
               differs("platform version", now->platform_version, p->platform_version, why, cap) ||
               differs("driver version", now->driver_version, p->driver_version, why, cap) ||
               differs("device version", now->device_version, p->device_version, why, cap) ||
               differs("OpenCL C version", now->opencl_c_version, p->opencl_c_version, why, cap) ||
               differs("extensions hash", now->ext_hash, p->ext_hash, why, cap) ||
               differs("kernel sources hash", now->kernels_hash, p->kernels_hash, why, cap) ||
               differs("CLBlast version", now->clblast_version, p->clblast_version, why, cap) ||
               differs("library version", now->library_version, p->library_version, why, cap) ||
               (mem_moved(now->global_mem, p->global_mem) &&
                differs_u64("global memory bytes", now->global_mem, p->global_mem, why, cap))) {
        st = CLEMBED_PROFILE_STALE;
    } else {
        /* The environment, as name=value pairs in name order. */
        size_t i = 0;
        for (; i < now->n_env || i < p->n_env; i++) {
            const char *nn = i < now->n_env ? now->env_names[i] : NULL;
            const char *pn = i < p->n_env ? p->env_names[i] : NULL;
            const char *nv = i < now->n_env ? now->env_values[i] : NULL;
            const char *pv = i < p->n_env ? p->env_values[i] : NULL;
            if (!str_eq(nn, pn) || !str_eq(nv, pv)) {
                if (why && cap) {
                    const char *name = nn && (!pn || strcmp(nn, pn) < 0) ? nn : pn;
                    const char *a = str_eq(name, nn) ? nv : NULL, *b = str_eq(name, pn) ? pv : NULL;
                    snprintf(why, cap, "environment %s=%s (profile: %s%s%s)", name, a ? a : "(unset)",
                             b ? name : "", b ? "=" : "", b ? b : "unset");
                }
                st = CLEMBED_PROFILE_STALE;
                break;
            }
        }
    }
    clembed_profile_free(now);
    return st;
}

clembed_profile_state clembed_profile_match(const clembed_profile *p, size_t device, char *why,
                                            size_t why_cap)
{
    const clembed__device *dev = clembed__device_at(device);
    if (why && why_cap)
        why[0] = '\0';
    if (!p || !dev) {
        if (why && why_cap)
            snprintf(why, why_cap, "%s", !p ? "no profile" : "no such device");
        return CLEMBED_PROFILE_FOREIGN;
    }
    return clembed__profile_match_device(p, dev, why, why_cap);
}

int clembed_profile_complete(const clembed_profile *p)
{
    return p && p->complete;
}

const char *clembed_profile_state_name(clembed_profile_state state)
{
    static const char *const names[] = {"none", "used", "stale", "foreign", "corrupt", "off"};
    return (unsigned)state < CLEMBED_ARRAY_LEN(names) ? names[state] : "unknown";
}

/* ---- entries ----------------------------------------------------------------- */

static int shape_eq(const clembed__shape *a, const clembed__shape *b)
{
    return a->tokens == b->tokens && a->hidden == b->hidden && a->heads == b->heads &&
           a->seq == b->seq && a->batch == b->batch && a->inter == b->inter;
}

static double shape_dist(const clembed__shape *a, const clembed__shape *b)
{
    const uint32_t x[] = {a->tokens, a->hidden, a->heads, a->seq, a->batch, a->inter};
    const uint32_t y[] = {b->tokens, b->hidden, b->heads, b->seq, b->batch, b->inter};
    double d = 0;
    for (int i = 0; i < 6; i++)
        d += fabs(log2(((double)x[i] + 1) / ((double)y[i] + 1)));
    return d;
}

/* The display strings and the per-op choice, after any change to the entries. */
static int refresh(clembed__profile *p)
{
    for (size_t i = 0; i < p->n_entries; i++) {
        clembed__profile_entry *e = &p->entries[i];
        char buf[512];
        free(e->shape_str);
        free(e->params_str);
        if (e->is_gemm)
            gemm_shape_string(&e->shape, buf, sizeof buf);
        else
            clembed__shape_string(&e->shape, buf, sizeof buf);
        e->shape_str = clembed__strdup(buf);
        size_t used = 0;
        buf[0] = '\0';
        for (size_t j = 0; j < e->n_params && used < sizeof buf; j++)
            used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s=%d", j ? " " : "",
                                     e->pnames[j], e->pvalues[j]);
        e->params_str = clembed__strdup(buf);
        if (!e->shape_str || !e->params_str)
            return 0;
        e->chosen = 1;
        for (size_t j = 0; j < p->n_entries && e->chosen; j++) {
            const clembed__profile_entry *o = &p->entries[j];
            if (j == i || o->is_gemm != e->is_gemm || strcmp(o->op, e->op) != 0 ||
                !shape_eq(&o->shape, &e->shape))
                continue;
            if (o->tuned_s < e->tuned_s || (o->tuned_s == e->tuned_s && j < i))
                e->chosen = 0;
        }
    }
    return 1;
}

static clembed_status entry_copy(clembed__profile_entry *dst, const clembed__profile_entry *src)
{
    memset(dst, 0, sizeof *dst);
    dst->op = clembed__strdup(src->op);
    dst->kernel = clembed__strdup(src->kernel);
    dst->shape = src->shape;
    dst->is_gemm = src->is_gemm;
    dst->default_s = src->default_s;
    dst->tuned_s = src->tuned_s;
    dst->roofline_s = src->roofline_s;
    dst->max_err = src->max_err;
    dst->bytes = src->bytes;
    dst->flops = src->flops;
    dst->candidates = src->candidates;
    dst->outliers = src->outliers;
    dst->n_rejected_total = src->n_rejected_total;
    int okay = dst->op && dst->kernel && src->n_params <= CLEMBED_MAX_PARAMS;
    for (size_t i = 0; okay && i < src->n_params; i++) {
        dst->pnames[i] = clembed__strdup(src->pnames[i]);
        dst->pvalues[i] = src->pvalues[i];
        dst->n_params = i + 1;
        okay = dst->pnames[i] != NULL;
    }
    size_t nr = src->n_rejected < MAX_REJECTED_KEPT ? src->n_rejected : MAX_REJECTED_KEPT;
    if (okay && nr) {
        dst->rejected = calloc(nr, sizeof *dst->rejected);
        okay = dst->rejected != NULL;
        for (size_t i = 0; okay && i < nr; i++) {
            dst->rejected[i] = clembed__strdup(src->rejected[i]);
            dst->n_rejected = i + 1;
            okay = dst->rejected[i] != NULL;
        }
    }
    if (dst->n_rejected_total < dst->n_rejected)
        dst->n_rejected_total = (unsigned)dst->n_rejected;
    if (!okay) {
        entry_clear(dst);
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    }
    return CLEMBED_OK;
}

static clembed__profile_entry *find_exact(const clembed__profile *p, const char *kernel,
                                          const clembed__shape *shape, int is_gemm)
{
    for (size_t i = 0; i < p->n_entries; i++)
        if (p->entries[i].is_gemm == is_gemm && strcmp(p->entries[i].kernel, kernel) == 0 &&
            shape_eq(&p->entries[i].shape, shape))
            return &p->entries[i];
    return NULL;
}

static clembed_status put_entry(clembed__profile *p, const clembed__profile_entry *e, int do_refresh)
{
    clembed__profile_entry copy;
    clembed_status rc = entry_copy(&copy, e);
    if (rc != CLEMBED_OK)
        return rc;
    clembed__profile_entry *old = find_exact(p, e->kernel, &e->shape, e->is_gemm);
    if (old) {
        entry_clear(old);
        *old = copy;
    } else {
        if (p->n_entries == p->cap_entries) {
            size_t cap = p->cap_entries ? 2 * p->cap_entries : 16;
            clembed__profile_entry *grown = realloc(p->entries, cap * sizeof *grown);
            if (!grown) {
                entry_clear(&copy);
                return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
            }
            p->entries = grown;
            p->cap_entries = cap;
        }
        p->entries[p->n_entries++] = copy;
    }
    if (do_refresh && !refresh(p))
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    return CLEMBED_OK;
}

clembed_status clembed__profile_put(clembed__profile *p, const clembed__profile_entry *e)
{
    return put_entry(p, e, 1);
}

const clembed__profile_entry *clembed__profile_find(const clembed__profile *p, const char *kernel,
                                                    const clembed__shape *shape)
{
    if (!p)
        return NULL;
    const clembed__profile_entry *e = find_exact(p, kernel, shape, 0);
    return e ? e : find_exact(p, kernel, shape, 1);
}

const clembed__profile_entry *clembed__profile_nearest(const clembed__profile *p, const char *kernel,
                                                       const clembed__shape *shape)
{
    const clembed__profile_entry *best = NULL;
    double bd = 0;
    for (size_t i = 0; p && i < p->n_entries; i++) {
        const clembed__profile_entry *e = &p->entries[i];
        if (e->is_gemm || strcmp(e->kernel, kernel) != 0)
            continue;
        double d = shape_dist(&e->shape, shape);
        if (!best || d < bd) {
            best = e;
            bd = d;
        }
    }
    return best;
}

clembed_status clembed__profile_set_clblast(clembed__profile *p, const char *kernel, int precision,
                                            size_t n, const char *const *names, const size_t *values)
{
    if (n == 0 || n > MAX_CLBLAST_PARAMS)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "CLBlast set '%s': %zu parameters", kernel, n);
    clblast_set s = {0};
    s.kernel = clembed__strdup(kernel);
    s.precision = precision;
    s.names = calloc(n, sizeof *s.names);
    s.values = calloc(n, sizeof *s.values);
    int okay = s.kernel && s.names && s.values;
    for (size_t i = 0; okay && i < n; i++) {
        s.names[i] = clembed__strdup(names[i]);
        s.values[i] = values[i];
        s.n = i + 1;
        okay = s.names[i] != NULL;
    }
    clblast_set *slot = NULL;
    for (size_t i = 0; okay && i < p->n_clblast; i++)
        if (strcmp(p->clblast[i].kernel, kernel) == 0 && p->clblast[i].precision == precision)
            slot = &p->clblast[i];
    if (okay && !slot) {
        clblast_set *grown = realloc(p->clblast, (p->n_clblast + 1) * sizeof *grown);
        okay = grown != NULL;
        if (okay) {
            p->clblast = grown;
            slot = &p->clblast[p->n_clblast++];
            memset(slot, 0, sizeof *slot);
        }
    }
    if (!okay) {
        set_clear(&s);
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    }
    set_clear(slot);
    *slot = s;
    return CLEMBED_OK;
}

size_t clembed__profile_clblast_count(const clembed__profile *p)
{
    return p ? p->n_clblast : 0;
}

int clembed__profile_clblast_get(const clembed__profile *p, size_t i, const char **kernel,
                                 int *precision, size_t *n, const char *const **names,
                                 const size_t **values)
{
    if (!p || i >= p->n_clblast)
        return 0;
    *kernel = p->clblast[i].kernel;
    *precision = p->clblast[i].precision;
    *n = p->clblast[i].n;
    *names = (const char *const *)p->clblast[i].names;
    *values = p->clblast[i].values;
    return 1;
}

clembed_status clembed__profile_merge(clembed__profile *dst, const clembed__profile *src)
{
    if (!src)
        return CLEMBED_OK;
    for (size_t i = 0; i < src->n_entries; i++) {
        const clembed__profile_entry *e = &src->entries[i];
        if (find_exact(dst, e->kernel, &e->shape, e->is_gemm))
            continue;
        clembed_status rc = put_entry(dst, e, 0);
        if (rc != CLEMBED_OK)
            return rc;
    }
    for (size_t i = 0; i < src->n_clblast; i++) {
        const clblast_set *s = &src->clblast[i];
        int have = 0;
        for (size_t j = 0; j < dst->n_clblast; j++)
            have |= strcmp(dst->clblast[j].kernel, s->kernel) == 0 && dst->clblast[j].precision == s->precision;
        if (!have) {
            clembed_status rc = clembed__profile_set_clblast(dst, s->kernel, s->precision, s->n,
                                                             (const char *const *)s->names, s->values);
            if (rc != CLEMBED_OK)
                return rc;
        }
    }
    if (!dst->has_probe && src->has_probe) {
        dst->has_probe = 1;
        dst->probe = src->probe;
    }
    if (!dst->batch_tokens)
        dst->batch_tokens = src->batch_tokens;
    if (!refresh(dst))
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    return CLEMBED_OK;
}

void clembed__profile_set_probe(clembed__profile *p, const clembed_probe_result *r)
{
    p->probe = *r;
    p->has_probe = 1;
}

int clembed__profile_has_probe(const clembed__profile *p)
{
    return p && p->has_probe;
}

void clembed__profile_set_batch_tokens(clembed__profile *p, uint32_t tokens)
{
    p->batch_tokens = tokens;
}

void clembed__profile_set_complete(clembed__profile *p, int complete)
{
    p->complete = complete;
}

double clembed__profile_elapsed(const clembed__profile *p)
{
    return p ? p->elapsed : 0;
}

void clembed__profile_set_elapsed(clembed__profile *p, double seconds)
{
    p->elapsed = seconds;
}

unsigned clembed__profile_stages_done(const clembed__profile *p)
{
    return p ? p->stages_done : 0;
}

void clembed__profile_set_stages_done(clembed__profile *p, unsigned stages)
{
    p->stages_done = stages;
}

clembed_status clembed_profile_probe(const clembed_profile *p, clembed_probe_result *out)
{
    if (!p || !out)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_profile_probe: NULL argument");
    if (!p->has_probe)
        return clembed__fail(CLEMBED_ERR_NOT_FOUND, "the profile has no probe results");
    *out = p->probe;
    return CLEMBED_OK;
}

size_t clembed_profile_result_count(const clembed_profile *p)
{
    return p ? p->n_entries : 0;
}

clembed_status clembed_profile_result(const clembed_profile *p, size_t i, clembed_tune_result *out)
{
    if (!p || !out)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_profile_result: NULL argument");
    if (i >= p->n_entries)
        return clembed__fail(CLEMBED_ERR_NOT_FOUND, "profile result %zu of %zu", i, p->n_entries);
    const clembed__profile_entry *e = &p->entries[i];
    out->op = e->op;
    out->kernel = e->kernel;
    out->shape = e->shape_str;
    out->params = e->params_str;
    out->default_s = e->default_s;
    out->tuned_s = e->tuned_s;
    out->roofline_s = e->roofline_s;
    out->max_err = e->max_err;
    out->candidates = e->candidates;
    out->rejected = e->n_rejected_total;
    out->outliers = e->outliers;
    out->chosen = e->chosen;
    return CLEMBED_OK;
}

uint32_t clembed_profile_batch_tokens(const clembed_profile *p)
{
    return p ? p->batch_tokens : 0;
}

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
        if (rc == CLEMBED_OK && find_exact(p, e.kernel, &e.shape, is_gemm))
            rc = clembed__fail(CLEMBED_ERR_PROFILE, "profile: %s repeats kernel '%s' at the same shape",
                               r.where, e.kernel);
        if (rc == CLEMBED_OK)
            rc = put_entry(p, &e, 0);
        entry_clear(&e);
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
    if (!refresh(p))
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
        if (at >= len || (len - at) < 2)
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

/* ---- lookup ------------------------------------------------------------------ */

static pthread_once_t dirs_once = PTHREAD_ONCE_INIT;
static char *dirs[3];

static void resolve_dirs(void)
{
    const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (x && *x == '/')
        dirs[0] = clembed__asprintf("%s/clembed/profiles", x);
    else if (home && *home)
        dirs[0] = clembed__asprintf("%s/.local/share/clembed/profiles", home);
#ifdef CLEMBED_LOCALSTATEDIR
    dirs[1] = clembed__strdup(CLEMBED_LOCALSTATEDIR "/lib/clembed/profiles");
#endif
#ifdef CLEMBED_PKGDATADIR
    dirs[2] = clembed__strdup(CLEMBED_PKGDATADIR "/profiles");
#endif
}

const char *clembed_profile_dir_path(clembed_profile_dir which)
{
    pthread_once(&dirs_once, resolve_dirs);
    return (unsigned)which < 3 ? dirs[which] : NULL;
}

static int is_off(const char *s)
{
    return s && (strcasecmp(s, "off") == 0 || strcmp(s, "0") == 0 || strcasecmp(s, "none") == 0);
}

/* Reads and checks one file.  Returns its state; *out is set for USED and
 * STALE; detail says what is wrong otherwise. */
static clembed_profile_state try_file(const clembed__device *dev, const char *path,
                                      clembed__profile **out, char *detail, size_t cap)
{
    char *data = NULL;
    size_t len = 0;
    *out = NULL;
    detail[0] = '\0';
    clembed_status rc = clembed__read_file(path, CLEMBED_PROFILE_MAX_BYTES, &data, &len);
    if (rc != CLEMBED_OK) {
        snprintf(detail, cap, "%s", clembed_errmsg());
        clembed__errmsg_clear();
        return rc == CLEMBED_ERR_NOT_FOUND ? CLEMBED_PROFILE_NONE : CLEMBED_PROFILE_CORRUPT;
    }
    clembed__profile *p = NULL;
    rc = clembed_profile_parse(data, len, &p);
    free(data);
    if (rc != CLEMBED_OK) {
        const char *m = clembed_errmsg();
        snprintf(detail, cap, "%s", strncmp(m, "profile: ", 9) == 0 ? m + 9 : m);
        clembed__errmsg_clear();
        return CLEMBED_PROFILE_CORRUPT;
    }
    clembed_profile_state st = clembed__profile_match_device(p, dev, detail, cap);
    if (st == CLEMBED_PROFILE_FOREIGN) {
        clembed_profile_free(p);
        return st;
    }
    p->state = st;
    p->max_wg = dev->info.max_work_group_size;
    p->path = clembed__strdup(path);
    *out = p;
    return st;
}

typedef struct lookup {
    clembed_profile_state state;
    clembed__profile *profile;      /* USED or STALE */
    char path[4096];
    char detail[512];
    /* Problems met on the way (a corrupt file in the user directory while
     * the system one is used): reported, not fatal. */
    size_t n_problems;
    struct {
        clembed_profile_state state;
        char path[4096];
        char detail[512];
    } problems[4];
} lookup;

static void note_problem(lookup *lk, clembed_profile_state st, const char *path, const char *detail)
{
    if (lk->n_problems < CLEMBED_ARRAY_LEN(lk->problems)) {
        lk->problems[lk->n_problems].state = st;
        snprintf(lk->problems[lk->n_problems].path, sizeof lk->problems[0].path, "%s", path);
        snprintf(lk->problems[lk->n_problems].detail, sizeof lk->problems[0].detail, "%s", detail);
        lk->n_problems++;
    }
}

/* `explicit_path`: NULL = CLEMBED_PROFILE, then the directories. */
static void find_profile(const clembed__device *dev, const char *explicit_path, lookup *lk)
{
    char name[256], detail[512];
    memset(lk, 0, sizeof *lk);
    lk->state = CLEMBED_PROFILE_NONE;
    if (clembed__profile_file_name(dev, name, sizeof name) != CLEMBED_OK) {
        clembed__errmsg_clear();
        return;
    }
    const char *given = explicit_path;
    if (!given || !*given) {
        given = getenv("CLEMBED_PROFILE");
        if (given && !*given)
            given = NULL;
    }
    if (is_off(given)) {
        lk->state = CLEMBED_PROFILE_OFF;
        return;
    }
    const char *cands[3];
    char *owned = NULL;
    size_t n = 0;
    if (given) {
        if (clembed__dir_exists(given)) {
            owned = clembed__path_join(given, name);
            cands[n++] = owned ? owned : given;
        } else {
            cands[n++] = given;
        }
    } else {
        for (int i = 0; i < 3; i++) {
            const char *dir = clembed_profile_dir_path((clembed_profile_dir)i);
            if (!dir)
                continue;
            char *path = clembed__path_join(dir, name);
            if (path) {
                cands[n++] = path;
            }
        }
    }
    clembed__profile *stale = NULL;
    for (size_t i = 0; i < n; i++) {
        clembed__profile *p = NULL;
        clembed_profile_state st = try_file(dev, cands[i], &p, detail, sizeof detail);
        if (st == CLEMBED_PROFILE_USED) {
            clembed_profile_free(stale);
            stale = NULL;
            lk->state = st;
            lk->profile = p;
            snprintf(lk->path, sizeof lk->path, "%s", cands[i]);
            lk->detail[0] = '\0';
            break;
        }
        if (st == CLEMBED_PROFILE_STALE && !stale) {
            stale = p;
            lk->state = st;
            snprintf(lk->path, sizeof lk->path, "%s", cands[i]);
            snprintf(lk->detail, sizeof lk->detail, "%s", detail);
            continue;
        }
        clembed_profile_free(p);
        if (st == CLEMBED_PROFILE_NONE && !given)
            continue;
        if (st == CLEMBED_PROFILE_NONE) {
            /* An explicit file that is not there is a problem worth saying. */
            st = CLEMBED_PROFILE_CORRUPT;
        }
        note_problem(lk, st, cands[i], detail);
    }
    if (stale) {
        lk->profile = stale;
    } else if (lk->state == CLEMBED_PROFILE_NONE && lk->n_problems) {
        /* Nothing usable: the first problem is the answer. */
        lk->state = lk->problems[0].state;
        snprintf(lk->path, sizeof lk->path, "%s", lk->problems[0].path);
        snprintf(lk->detail, sizeof lk->detail, "%s", lk->problems[0].detail);
    }
    if (!given)
        for (size_t i = 0; i < n; i++)
            free((char *)cands[i]);
    free(owned);
}

clembed_profile_state clembed_device_profile_state(size_t device, const char *path, char *path_out,
                                                   size_t path_cap, char *detail, size_t detail_cap)
{
    if (path_out && path_cap)
        path_out[0] = '\0';
    if (detail && detail_cap)
        detail[0] = '\0';
    const clembed__device *dev = clembed__device_at(device);
    if (!dev)
        return CLEMBED_PROFILE_NONE;
    lookup *lk = malloc(sizeof *lk);
    if (!lk)
        return CLEMBED_PROFILE_NONE;
    /* A query: the caller's last error message stays as it was. */
    char saved[1024];
    snprintf(saved, sizeof saved, "%s", clembed_errmsg());
    find_profile(dev, path, lk);
    clembed_profile_state st = lk->state;
    if (path_out && path_cap)
        snprintf(path_out, path_cap, "%s", lk->path);
    if (detail && detail_cap)
        snprintf(detail, detail_cap, "%s", lk->detail);
    clembed_profile_free(lk->profile);
    free(lk);
    if (*saved)
        clembed__fail(CLEMBED_OK, "%s", saved);
    else
        clembed__errmsg_clear();
    return st;
}

/* Each message once per process. */
static pthread_mutex_t said_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t said[64];
static size_t n_said;

static int first_time(const char *key)
{
    uint64_t h = clembed__hash_finish(clembed__hash64_str(CLEMBED_HASH_INIT, key));
    int first = 1;
    pthread_mutex_lock(&said_lock);
    for (size_t i = 0; i < n_said && first; i++)
        first = said[i] != h;
    if (first && n_said < CLEMBED_ARRAY_LEN(said))
        said[n_said++] = h;
    pthread_mutex_unlock(&said_lock);
    return first;
}

static void report_problem(const clembed__device *dev, clembed_profile_state st, const char *path,
                           const char *detail, int falling_back)
{
    char key[4200];
    snprintf(key, sizeof key, "%d|%zu|%s", (int)st, dev->info.index, path);
    if (!first_time(key))
        return;
    const char *then = falling_back ? "built-in defaults apply" : "looking further";
    if (st == CLEMBED_PROFILE_FOREIGN)
        clembed__warn("profile %s was measured on other hardware (%s); ignoring it, %s", path, detail,
                      then);
    else
        clembed__warn("profile %s is unusable: %s; ignoring it, %s", path, detail, then);
}

static int clblast_applied(const clembed__device *dev, int mark);

clembed_status clembed__profile_load_for_device(const clembed__device *dev, const char *path,
                                                clembed__profile **out)
{
    *out = NULL;
    if (!dev)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "profile: no device");
    lookup *lk = malloc(sizeof *lk);
    if (!lk)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    find_profile(dev, path, lk);
    int have = lk->profile != NULL;
    for (size_t i = 0; i < lk->n_problems; i++)
        report_problem(dev, lk->problems[i].state, lk->problems[i].path, lk->problems[i].detail,
                       !have && i + 1 == lk->n_problems);
    if (lk->state == CLEMBED_PROFILE_STALE) {
        char key[4200];
        snprintf(key, sizeof key, "stale|%zu|%s", dev->info.index, lk->path);
        if (first_time(key))
            clembed__warn("profile %s is stale for '%s': %s; its choices are used as a starting "
                          "point; run clembed-tune to measure this stack",
                          lk->path, dev->info.name, lk->detail);
    } else if (lk->state == CLEMBED_PROFILE_NONE) {
        char key[64];
        snprintf(key, sizeof key, "none|%zu", dev->info.index);
        if (first_time(key))
            clembed__warn("no tuning profile for '%s': built-in defaults apply; run clembed-tune "
                          "once to tune this machine",
                          dev->info.name);
    } else if (lk->state == CLEMBED_PROFILE_USED) {
        clembed__info("profile %s for '%s'", lk->path, dev->info.name);
    }
    *out = lk->profile;
    free(lk);
    if (*out)
        clembed__profile_apply_clblast(*out, dev);
    else if (clblast_applied(dev, 0)) {
        char key[64];
        snprintf(key, sizeof key, "clblast-stays|%zu", dev->info.index);
        if (first_time(key))
            clembed__warn("'%s': CLBlast keeps the GEMM parameters an earlier context's profile set in this "
                          "process (it cannot restore its own); compare with the defaults in a separate process",
                          dev->info.name);
    }
    return CLEMBED_OK;
}

clembed_profile_state clembed__profile_state(const clembed__profile *p)
{
    return p ? p->state : CLEMBED_PROFILE_NONE;
}

const char *clembed__profile_path(const clembed__profile *p)
{
    return p && p->path ? p->path : "";
}

/* ---- runtime choices ----------------------------------------------------------- */

static void defaults(const clembed__kernel_def *k, int *values)
{
    for (size_t i = 0; i < CLEMBED_MAX_PARAMS; i++)
        values[i] = i < clembed__kernel_n_params(k) ? k->params[i].def : 0;
}

/* The entry's values in the registry's order, missing ones at their
 * defaults; 0 when they do not make a valid set. */
static int entry_values(const clembed__profile *p, const clembed__profile_entry *e,
                        const clembed__kernel_def *k, int *values)
{
    defaults(k, values);
    size_t n = clembed__kernel_n_params(k);
    for (size_t i = 0; i < e->n_params; i++)
        for (size_t j = 0; j < n; j++)
            if (strcmp(e->pnames[i], k->params[j].name) == 0)
                values[j] = e->pvalues[i];
    size_t max_wg = p->max_wg ? p->max_wg : 1024;
    return !k->valid || k->valid(values, max_wg);
}

const clembed__kernel_def *clembed__profile_variant(const clembed__profile *p, const char *op,
                                                    const clembed__shape *shape)
{
    const clembed__kernel_def *first = NULL, *best = NULL;
    double bd = 0;
    for (size_t i = 0; i < clembed__n_kernels && !first; i++)
        if (strcmp(clembed__kernels[i].op, op) == 0)
            first = &clembed__kernels[i];
    for (size_t i = 0; p && shape && i < p->n_entries; i++) {
        const clembed__profile_entry *e = &p->entries[i];
        if (e->is_gemm || !e->chosen || strcmp(e->op, op) != 0)
            continue;
        const clembed__kernel_def *k = clembed__kernel_find(e->kernel);
        int values[CLEMBED_MAX_PARAMS];
        if (!k || strcmp(k->op, op) != 0 || !entry_values(p, e, k, values))
            continue;
        double d = shape_dist(&e->shape, shape);
        if (!best || d < bd) {
            best = k;
            bd = d;
        }
    }
    return best ? best : first;
}

void clembed__profile_params(const clembed__profile *p, const clembed__kernel_def *k,
                             const clembed__shape *shape, int *values)
{
    defaults(k, values);
    if (!p || !shape)
        return;
    const clembed__profile_entry *e = clembed__profile_nearest(p, k->kernel, shape);
    if (e && !entry_values(p, e, k, values))
        defaults(k, values);
}

uint32_t clembed__profile_batch_tokens(const clembed__profile *p)
{
    return p ? p->batch_tokens : 0;
}

/* Devices whose CLBlast parameters a profile changed in this process. */
static pthread_mutex_t applied_lock = PTHREAD_MUTEX_INITIALIZER;
static cl_device_id applied[16];
static size_t n_applied;

static int clblast_applied(const clembed__device *dev, int mark)
{
    int found = 0;
    pthread_mutex_lock(&applied_lock);
    for (size_t i = 0; i < n_applied && !found; i++)
        found = applied[i] == dev->id;
    if (!found && mark && n_applied < CLEMBED_ARRAY_LEN(applied))
        applied[n_applied++] = dev->id;
    pthread_mutex_unlock(&applied_lock);
    return found;
}

static CLBlastPrecision precision_of(int bits)
{
    return bits == 16 ? CLBlastPrecisionHalf : bits == 64 ? CLBlastPrecisionDouble : CLBlastPrecisionSingle;
}

void clembed__profile_apply_clblast(const clembed__profile *p, const clembed__device *dev)
{
    if (!p || !dev || !dev->id)
        return;
    if (p->n_clblast)
        clblast_applied(dev, 1);
    for (size_t i = 0; i < p->n_clblast; i++) {
        const clblast_set *s = &p->clblast[i];
        CLBlastStatusCode st = CLBlastOverrideParameters(dev->id, s->kernel, precision_of(s->precision),
                                                         s->n, (const char **)s->names, s->values);
        if (st != CLBlastSuccess) {
            char key[256];
            snprintf(key, sizeof key, "clblast|%zu|%s|%d", dev->info.index, s->kernel, s->precision);
            if (first_time(key))
                clembed__warn("profile %s: CLBlast refused the %s parameters (status %d); its own "
                              "defaults apply for that kernel",
                              clembed__profile_path(p), s->kernel, (int)st);
        }
    }
}
