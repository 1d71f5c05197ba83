/* Tuning profiles: the object, the identity of a device and its software stack, the entries, and
 * what the runtime reads from a profile.  Without a profile, the registry's built-in defaults
 * apply.  The JSON form is in json.c, finding and loading files in lookup.c. */
#define _GNU_SOURCE /* dladdr */
#include "profile/priv.h"
#include "runtime/program.h"
#include "runtime/identity.h"
#include "core/util.h"

#include <clblast_c.h>
#include <ctype.h>
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern char **environ;

/* ---- small helpers -------------------------------------------------------- */

void clembed__hex64(uint64_t v, char out[17])
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

void clembed__profile_entry_clear(clembed__profile_entry *e)
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
    free(p->hw_name);
    free(p->model);
    free(p->arch);
    free(p->family);
    free(p->pci_bus_id);
    free(p->name_software);
    free(p->level_key);
    free(p->sources);
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
        clembed__profile_entry_clear(&p->entries[i]);
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
    p->hw_name = clembed__strdup(dev->split.hardware);
    p->model = clembed__strdup(dev->split.model);
    p->arch = clembed__strdup(dev->split.arch);
    p->family = clembed__strdup(dev->split.family);
    p->pci_bus_id = clembed__strdup(dev->pci_bus_id);
    p->name_software = clembed__strdup(dev->split.software);
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
    clembed__hex64(clembed__hash_finish(clembed__hash64_str(CLEMBED_HASH_INIT, in->extensions)), p->ext_hash);
    clembed__hex64(clembed__cl_sources_hash(), p->kernels_hash);
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
    return p->dev_name && p->dev_vendor && p->dev_type && p->hw_name && p->model && p->arch && p->family &&
           p->pci_bus_id && p->name_software && p->platform && p->platform_version &&
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

int clembed__profile_read_identity(clembed__profile *p)
{
    clembed__name_input in = {p->platform, p->dev_name, p->device_version, 0};
    clembed__name_split sp;
    clembed__name_split_read(&in, &sp);
    char *stored_arch = p->arch;
    p->arch = NULL;
    free(p->hw_name);
    free(p->model);
    free(p->family);
    free(p->name_software);
    p->hw_name = clembed__strdup(sp.hardware);
    p->model = clembed__strdup(sp.model);
    p->name_software = clembed__strdup(sp.software);
    /* NVIDIA's architecture comes from a query, not the name: keep what was stored. */
    if (sp.arch[0] || !stored_arch) {
        p->arch = clembed__strdup(sp.arch);
        p->family = clembed__strdup(sp.family);
        free(stored_arch);
    } else {
        clembed__name_input a = {"", "", "", 0};
        unsigned major = 0, minor = 0;
        if (sscanf(stored_arch, "sm_%1u%1u", &major, &minor) == 2)
            a.nv_cc = major * 10 + minor;
        clembed__name_split_read(&a, &sp);
        p->arch = stored_arch;
        p->family = clembed__strdup(sp.family);
    }
    if (!p->pci_bus_id)
        p->pci_bus_id = clembed__strdup("");
    return p->hw_name && p->model && p->name_software && p->arch && p->family && p->pci_bus_id;
}

/* Where a device sits: its PCI bus id, else a GPU's UUID (CPU drivers derive theirs from the
 * driver version: llvmpipe's reads "mesa25.0.7"). */
static const char *location(const clembed__device *dev, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (dev->pci_bus_id[0])
        snprintf(buf, cap, "%s", dev->pci_bus_id);
    else if (dev->info.has_uuid && dev->info.type != CLEMBED_DEVICE_CPU)
        for (int i = 0; i < 16 && 2 * (size_t)i + 2 < cap; i++)
            snprintf(buf + 2 * i, 3, "%02x", dev->info.uuid[i]);
    return buf;
}

/* The model of hardware on its platform: what the file name hashes.  Not the software part of
 * the name, so driver, compiler and kernel updates keep the file (nor, under radeonsi, the
 * marketing name libdrm's table gives, which the architecture stands for); not the global memory size
 * (PoCL derives it from the free memory); not where the device sits, unless a twin of it on the
 * same platform needs telling apart. */
static uint64_t hardware_hash(const clembed__device *dev)
{
    const clembed_device_info *in = &dev->info;
    uint64_t h = CLEMBED_HASH_INIT;
    h = clembed__hash64_str(h, dev->split.model);
    h = clembed__hash64_str(h, dev->split.arch);
    h = clembed__hash64_str(h, in->platform_name ? in->platform_name : "");
    uint64_t nums[] = {in->vendor_id, (uint64_t)in->type, in->compute_units, in->local_mem_bytes};
    h = clembed__hash64(h, nums, sizeof nums);
    char where[40];
    if (dev->twin && *location(dev, where, sizeof where))
        h = clembed__hash64_str(h, where);
    return clembed__hash_finish(h);
}

clembed_status clembed__profile_file_name(const clembed__device *dev, char *buf, size_t cap)
{
    if (!buf || cap < 64)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "profile file name: a buffer of at least 64 bytes is needed");
    char stem[41];
    size_t n = 0;
    for (const char *s = dev->split.model[0] ? dev->split.model : dev->info.name; *s && n < sizeof stem - 1; s++) {
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
    clembed__hex64(hardware_hash(dev), h);
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

/* Where the device sits, compared only where both sides know it the same way. */
static int location_differs(const clembed__profile *now, const clembed__profile *p, char *why, size_t cap)
{
    if (now->pci_bus_id[0] && p->pci_bus_id[0])
        return differs("PCI bus id", now->pci_bus_id, p->pci_bus_id, why, cap);
    int cpu = strcmp(now->dev_type, "cpu") == 0;
    return !cpu && !now->pci_bus_id[0] && !p->pci_bus_id[0] && now->uuid[0] && p->uuid[0] &&
           differs("uuid", now->uuid, p->uuid, why, cap);
}

static const char *type_of(const clembed__device *dev)
{
    return type_str(dev->info.type);
}

void clembed__class_key(clembed_profile_level level, const char *arch, const char *family, uint32_t vendor_id,
                        const char *type, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (level == CLEMBED_PROFILE_LEVEL_ARCHITECTURE && arch && *arch)
        snprintf(buf, cap, "%s", arch);
    else if (level == CLEMBED_PROFILE_LEVEL_FAMILY && family && *family)
        snprintf(buf, cap, "%s", family);
    else if (level == CLEMBED_PROFILE_LEVEL_VENDOR && type && *type)
        snprintf(buf, cap, "%04x-%s", vendor_id, type);
}

/* A class-level profile serves the devices of its class. */
static clembed_profile_state class_match(const clembed__profile *p, const clembed__device *dev, char *why,
                                         size_t cap)
{
    char key[64];
    clembed__class_key(p->level, dev->split.arch, dev->split.family, dev->info.vendor_id, type_of(dev), key,
                       sizeof key);
    if (!key[0] || !str_eq(key, p->level_key)) {
        if (why && cap)
            snprintf(why, cap, "%s profile for '%s', the device's is '%s'", clembed__level_names[p->level],
                     p->level_key ? p->level_key : "", key);
        return CLEMBED_PROFILE_FOREIGN;
    }
    if (differs_u64("vendor id", dev->info.vendor_id, p->vendor_id, why, cap) ||
        differs("device type", type_of(dev), p->dev_type, why, cap))
        return CLEMBED_PROFILE_FOREIGN;
    return CLEMBED_PROFILE_USED;
}

clembed_profile_state clembed__profile_match_device(const clembed__profile *p, const clembed__device *dev,
                                                   char *why, size_t cap)
{
    clembed__profile *now = NULL;
    if (why && cap)
        why[0] = '\0';
    if (p->level != CLEMBED_PROFILE_LEVEL_DEVICE)
        return class_match(p, dev, why, cap);
    if (clembed__profile_new(dev, &now) != CLEMBED_OK) {
        clembed__errmsg_clear();
        return CLEMBED_PROFILE_FOREIGN;
    }
    /* Hardware: the name's model (read from both names by today's rules), vendor id,
     * type, architecture, compute units, local memory, and where it sits.  The vendor string is
     * not: llvmpipe's went from "Mesa/X.org" to "Mesa". */
    clembed_profile_state st = CLEMBED_PROFILE_USED;
    if (differs("device", now->model, p->model, why, cap) ||
        differs_u64("vendor id", now->vendor_id, p->vendor_id, why, cap) ||
        differs("device type", now->dev_type, p->dev_type, why, cap) ||
        (now->arch[0] && p->arch && p->arch[0] && differs("architecture", now->arch, p->arch, why, cap)) ||
        differs_u64("compute units", now->compute_units, p->compute_units, why, cap) ||
        differs_u64("local memory bytes", now->local_mem, p->local_mem, why, cap) ||
        location_differs(now, p, why, cap)) {
        st = CLEMBED_PROFILE_FOREIGN;
    } else if (differs("device name", now->hw_name, p->hw_name, why, cap) ||
               differs("software in the device name", now->name_software, p->name_software, why, cap) ||
               differs("vendor", now->dev_vendor, p->dev_vendor, why, cap) ||
               differs("platform", now->platform, p->platform, why, cap) ||
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

/* ---- levels ------------------------------------------------------------------ */

const char *const clembed__level_names[4] = {"device", "architecture", "family", "vendor"};

const char *clembed_profile_level_name(clembed_profile_level level)
{
    return (unsigned)level < 4 ? clembed__level_names[level] : "unknown";
}

clembed_profile_level clembed__profile_level(const clembed__profile *p)
{
    return p ? p->level : CLEMBED_PROFILE_LEVEL_DEVICE;
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
int clembed__profile_refresh(clembed__profile *p)
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
        clembed__profile_entry_clear(dst);
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    }
    return CLEMBED_OK;
}

clembed__profile_entry *clembed__profile_find_exact(const clembed__profile *p, const char *kernel,
                                                    const clembed__shape *shape, int is_gemm)
{
    for (size_t i = 0; i < p->n_entries; i++)
        if (p->entries[i].is_gemm == is_gemm && strcmp(p->entries[i].kernel, kernel) == 0 &&
            shape_eq(&p->entries[i].shape, shape))
            return &p->entries[i];
    return NULL;
}

clembed_status clembed__profile_put_entry(clembed__profile *p, const clembed__profile_entry *e, int do_refresh)
{
    clembed__profile_entry copy;
    clembed_status rc = entry_copy(&copy, e);
    if (rc != CLEMBED_OK)
        return rc;
    clembed__profile_entry *old = clembed__profile_find_exact(p, e->kernel, &e->shape, e->is_gemm);
    if (old) {
        clembed__profile_entry_clear(old);
        *old = copy;
    } else {
        if (p->n_entries == p->cap_entries) {
            size_t cap = p->cap_entries ? 2 * p->cap_entries : 16;
            clembed__profile_entry *grown = realloc(p->entries, cap * sizeof *grown);
            if (!grown) {
                clembed__profile_entry_clear(&copy);
                return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
            }
            p->entries = grown;
            p->cap_entries = cap;
        }
        p->entries[p->n_entries++] = copy;
    }
    if (do_refresh && !clembed__profile_refresh(p))
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    return CLEMBED_OK;
}

clembed_status clembed__profile_put(clembed__profile *p, const clembed__profile_entry *e)
{
    return clembed__profile_put_entry(p, e, 1);
}

const clembed__profile_entry *clembed__profile_find(const clembed__profile *p, const char *kernel,
                                                    const clembed__shape *shape)
{
    if (!p)
        return NULL;
    const clembed__profile_entry *e = clembed__profile_find_exact(p, kernel, shape, 0);
    return e ? e : clembed__profile_find_exact(p, kernel, shape, 1);
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
        if (clembed__profile_find_exact(dst, e->kernel, &e->shape, e->is_gemm))
            continue;
        clembed_status rc = clembed__profile_put_entry(dst, e, 0);
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
    if (!clembed__profile_refresh(dst))
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    return CLEMBED_OK;
}

static int has_op(const clembed__profile *p, size_t n, const clembed__profile_entry *e)
{
    for (size_t i = 0; i < n; i++)
        if (p->entries[i].is_gemm == e->is_gemm && (e->is_gemm || strcmp(p->entries[i].op, e->op) == 0))
            return 1;
    return 0;
}

clembed_status clembed__profile_fill(clembed__profile *dst, const clembed__profile *src, size_t *ops,
                                     size_t *sets)
{
    size_t n_ops = 0, n_sets = 0, had = dst->n_entries, first_added = dst->n_entries;
    for (size_t i = 0; src && i < src->n_entries; i++) {
        const clembed__profile_entry *e = &src->entries[i];
        if (has_op(dst, had, e))
            continue;
        /* A new op: count it once, however many entries it brings. */
        int seen = 0;
        for (size_t j = first_added; j < dst->n_entries && !seen; j++)
            seen = dst->entries[j].is_gemm == e->is_gemm && (e->is_gemm || strcmp(dst->entries[j].op, e->op) == 0);
        clembed_status rc = clembed__profile_put_entry(dst, e, 0);
        if (rc != CLEMBED_OK)
            return rc;
        n_ops += !seen;
    }
    for (size_t i = 0; src && i < src->n_clblast; i++) {
        const clblast_set *s = &src->clblast[i];
        int have = 0;
        for (size_t j = 0; j < dst->n_clblast; j++)
            have |= strcmp(dst->clblast[j].kernel, s->kernel) == 0 && dst->clblast[j].precision == s->precision;
        if (have)
            continue;
        clembed_status rc = clembed__profile_set_clblast(dst, s->kernel, s->precision, s->n,
                                                         (const char *const *)s->names, s->values);
        if (rc != CLEMBED_OK)
            return rc;
        n_sets++;
    }
    if (src && !dst->has_probe && src->has_probe) {
        dst->has_probe = 1;
        dst->probe = src->probe;
    }
    if (src && !dst->batch_tokens)
        dst->batch_tokens = src->batch_tokens;
    if (!clembed__profile_refresh(dst))
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    if (ops)
        *ops = n_ops;
    if (sets)
        *sets = n_sets;
    return CLEMBED_OK;
}

int clembed__profile_compare_speed(const clembed__profile *a, const clembed__profile *b, double *ta,
                                   double *tb, size_t *shared)
{
    double sa = 0, sb = 0;
    size_t n = 0;
    for (size_t i = 0; a && b && i < a->n_entries; i++) {
        const clembed__profile_entry *x = &a->entries[i];
        if (!x->chosen || x->tuned_s <= 0)
            continue;
        for (size_t j = 0; j < b->n_entries; j++) {
            const clembed__profile_entry *y = &b->entries[j];
            if (y->chosen && y->tuned_s > 0 && y->is_gemm == x->is_gemm && strcmp(y->op, x->op) == 0 &&
                shape_eq(&y->shape, &x->shape)) {
                sa += x->tuned_s;
                sb += y->tuned_s;
                n++;
                break;
            }
        }
    }
    if (ta)
        *ta = sa;
    if (tb)
        *tb = sb;
    if (shared)
        *shared = n;
    if (n)
        return sa < sb ? -1 : sa > sb ? 1 : 0;
    if (a && b && a->has_probe && b->has_probe && a->probe.read_bandwidth > 0 && b->probe.read_bandwidth > 0)
        return a->probe.read_bandwidth > b->probe.read_bandwidth ? -1
               : a->probe.read_bandwidth < b->probe.read_bandwidth ? 1
                                                                   : 0;
    return 0;
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
    out->flops = e->flops;
    out->bytes = e->bytes;
    return CLEMBED_OK;
}

uint32_t clembed_profile_batch_tokens(const clembed_profile *p)
{
    return p ? p->batch_tokens : 0;
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
                                                    const clembed__shape *shape, unsigned cpu)
{
    const clembed__kernel_def *first = NULL, *best = NULL;
    double bd = 0;
    unsigned fit = 0;
    for (size_t i = 0; i < clembed__n_kernels; i++) {
        const clembed__kernel_def *k = &clembed__kernels[i];
        if (strcmp(k->op, op) == 0 && (!first || (k->cpu & cpu) > fit))
            first = k, fit = k->cpu & cpu;
    }
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

const char *clembed__profile_gemm_provider(const clembed__profile *p, const clembed__shape *shape)
{
    const clembed__profile_entry *best = NULL;
    double bd = 0;
    for (size_t i = 0; p && i < p->n_entries; i++) {
        const clembed__profile_entry *e = &p->entries[i];
        if (e->is_gemm || !e->chosen || strcmp(e->op, CLEMBED__PROFILE_GEMM_PROVIDER_OP) != 0)
            continue;
        double d = shape_dist(&e->shape, shape);
        if (!best || d < bd) {
            best = e;
            bd = d;
        }
    }
    return best ? best->kernel : NULL;
}

const char *clembed__profile_path(const clembed__profile *p)
{
    return p && p->path ? p->path : "";
}

uint32_t clembed__profile_batch_tokens(const clembed__profile *p)
{
    return p ? p->batch_tokens : 0;
}

/* Devices whose CLBlast parameters a profile changed in this process. */
static pthread_mutex_t applied_lock = PTHREAD_MUTEX_INITIALIZER;
static cl_device_id applied[16];
static size_t n_applied;

int clembed__profile_clblast_applied(const clembed__device *dev, int mark)
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
        clembed__profile_clblast_applied(dev, 1);
    for (size_t i = 0; i < p->n_clblast; i++) {
        const clblast_set *s = &p->clblast[i];
        CLBlastStatusCode st = CLBlastOverrideParameters(dev->id, s->kernel, precision_of(s->precision),
                                                         s->n, (const char **)s->names, s->values);
        if (st != CLBlastSuccess) {
            char key[256];
            snprintf(key, sizeof key, "clblast|%zu|%s|%d", dev->info.index, s->kernel, s->precision);
            if (clembed__log_once(key))
                clembed__warn("profile %s: CLBlast refused the %s parameters (status %d); its own "
                              "defaults apply for that kernel",
                              clembed__profile_path(p), s->kernel, (int)st);
        }
    }
}
