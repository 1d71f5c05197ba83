/* OpenCL platform and device enumeration, identity and selection. */
#define _POSIX_C_SOURCE 200809L
#include "runtime/device.h"
#include "core/util.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef CL_DEVICE_UUID_KHR
#define CL_DEVICE_UUID_KHR 0x106A
#endif

static pthread_once_t enum_once = PTHREAD_ONCE_INIT;
static clembed__device *devices;
static size_t n_devices;

static struct platform_entry {
    char       *name;
    size_t      n_devices;
    const char *hint;
} *platforms;
static size_t n_platforms;

static const char rusticl_hint[] =
    "Mesa rusticl lists devices only when RUSTICL_ENABLE names their drivers, "
    "e.g. RUSTICL_ENABLE=radeonsi for AMD GPUs or RUSTICL_ENABLE=llvmpipe for the CPU";

/* Records a platform; returns its hint ("" when none). */
static const char *add_platform(const char *name, size_t nd)
{
    const char *hint = nd == 0 && strstr(name, "rusticl") && !getenv("RUSTICL_ENABLE") ? rusticl_hint : "";
    struct platform_entry *grown = realloc(platforms, (n_platforms + 1) * sizeof *platforms);
    if (!grown)
        return hint;
    platforms = grown;
    platforms[n_platforms].name = clembed__strdup(name);
    platforms[n_platforms].n_devices = nd;
    platforms[n_platforms].hint = hint;
    if (platforms[n_platforms].name)
        n_platforms++;
    return hint;
}

const char *clembed__cl_error_name(cl_int err)
{
    switch (err) {
#define E(x) case x: return #x;
        E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND) E(CL_DEVICE_NOT_AVAILABLE) E(CL_COMPILER_NOT_AVAILABLE)
        E(CL_MEM_OBJECT_ALLOCATION_FAILURE) E(CL_OUT_OF_RESOURCES) E(CL_OUT_OF_HOST_MEMORY)
        E(CL_PROFILING_INFO_NOT_AVAILABLE) E(CL_MEM_COPY_OVERLAP) E(CL_BUILD_PROGRAM_FAILURE)
        E(CL_MAP_FAILURE) E(CL_INVALID_VALUE) E(CL_INVALID_DEVICE_TYPE) E(CL_INVALID_PLATFORM)
        E(CL_INVALID_DEVICE) E(CL_INVALID_CONTEXT) E(CL_INVALID_QUEUE_PROPERTIES)
        E(CL_INVALID_COMMAND_QUEUE) E(CL_INVALID_HOST_PTR) E(CL_INVALID_MEM_OBJECT)
        E(CL_INVALID_BINARY) E(CL_INVALID_BUILD_OPTIONS) E(CL_INVALID_PROGRAM)
        E(CL_INVALID_PROGRAM_EXECUTABLE) E(CL_INVALID_KERNEL_NAME) E(CL_INVALID_KERNEL_DEFINITION)
        E(CL_INVALID_KERNEL) E(CL_INVALID_ARG_INDEX) E(CL_INVALID_ARG_VALUE) E(CL_INVALID_ARG_SIZE)
        E(CL_INVALID_KERNEL_ARGS) E(CL_INVALID_WORK_DIMENSION) E(CL_INVALID_WORK_GROUP_SIZE)
        E(CL_INVALID_WORK_ITEM_SIZE) E(CL_INVALID_GLOBAL_OFFSET) E(CL_INVALID_EVENT_WAIT_LIST)
        E(CL_INVALID_EVENT) E(CL_INVALID_OPERATION) E(CL_INVALID_BUFFER_SIZE)
        E(CL_INVALID_GLOBAL_WORK_SIZE)
#undef E
    }
    return "unknown OpenCL error";
}

clembed_status clembed__cl_fail(cl_int err, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    clembed_status st = CLEMBED_ERR_OPENCL;
    if (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES ||
        err == CL_INVALID_BUFFER_SIZE)
        st = CLEMBED_ERR_DEVICE_MEMORY;
    else if (err == CL_OUT_OF_HOST_MEMORY)
        st = CLEMBED_ERR_NOMEM;
    return clembed__fail(st, "%s: %s (%d)", what, clembed__cl_error_name(err), (int)err);
}

/* Strings from clGet*Info, trimmed; never NULL. */
static char *platform_str(cl_platform_id p, cl_platform_info what)
{
    size_t n = 0;
    if (clGetPlatformInfo(p, what, 0, NULL, &n) != CL_SUCCESS || n == 0)
        return clembed__strdup("");
    char *s = calloc(n + 1, 1);
    if (s && clGetPlatformInfo(p, what, n, s, NULL) != CL_SUCCESS)
        s[0] = '\0';
    return s ? s : clembed__strdup("");
}

static char *device_str(cl_device_id d, cl_device_info what)
{
    size_t n = 0;
    if (clGetDeviceInfo(d, what, 0, NULL, &n) != CL_SUCCESS || n == 0)
        return clembed__strdup("");
    char *s = calloc(n + 1, 1);
    if (s && clGetDeviceInfo(d, what, n, s, NULL) != CL_SUCCESS)
        s[0] = '\0';
    if (s) {
        size_t l = strlen(s);
        while (l > 0 && isspace((unsigned char)s[l - 1]))
            s[--l] = '\0';
    }
    return s ? s : clembed__strdup("");
}

static uint64_t device_u64(cl_device_id d, cl_device_info what, size_t size)
{
    uint64_t v = 0;
    if (size == sizeof(cl_uint)) {
        cl_uint u = 0;
        if (clGetDeviceInfo(d, what, sizeof u, &u, NULL) == CL_SUCCESS)
            v = u;
    } else if (size == sizeof(cl_ulong)) {
        cl_ulong u = 0;
        if (clGetDeviceInfo(d, what, sizeof u, &u, NULL) == CL_SUCCESS)
            v = u;
    }
    return v;
}

static int has_ext(const char *exts, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = exts; (p = strstr(p, name)) != NULL; p += n)
        if ((p == exts || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

static void fill_device(clembed__device *dev, cl_platform_id p, cl_device_id d, char *pname,
                        char *pvendor, char *pversion)
{
    clembed_device_info *in = &dev->info;
    dev->platform = p;
    dev->id = d;
    in->platform_name = pname;
    in->platform_vendor = pvendor;
    in->platform_version = pversion;
    in->name = device_str(d, CL_DEVICE_NAME);
    in->vendor = device_str(d, CL_DEVICE_VENDOR);
    in->driver_version = device_str(d, CL_DRIVER_VERSION);
    in->device_version = device_str(d, CL_DEVICE_VERSION);
    in->opencl_c_version = device_str(d, CL_DEVICE_OPENCL_C_VERSION);
    in->extensions = device_str(d, CL_DEVICE_EXTENSIONS);
    cl_device_type t = 0;
    clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof t, &t, NULL);
    in->type = (t & CL_DEVICE_TYPE_GPU)           ? CLEMBED_DEVICE_GPU
               : (t & CL_DEVICE_TYPE_CPU)         ? CLEMBED_DEVICE_CPU
               : (t & CL_DEVICE_TYPE_ACCELERATOR) ? CLEMBED_DEVICE_ACCELERATOR
                                                  : CLEMBED_DEVICE_OTHER;
    in->vendor_id = (uint32_t)device_u64(d, CL_DEVICE_VENDOR_ID, sizeof(cl_uint));
    in->compute_units = (uint32_t)device_u64(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(cl_uint));
    in->max_clock_mhz = (uint32_t)device_u64(d, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof(cl_uint));
    in->global_mem_bytes = device_u64(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof(cl_ulong));
    in->max_alloc_bytes = device_u64(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof(cl_ulong));
    in->local_mem_bytes = device_u64(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof(cl_ulong));
    in->global_cache_bytes = device_u64(d, CL_DEVICE_GLOBAL_MEM_CACHE_SIZE, sizeof(cl_ulong));
    in->preferred_vector_width_float =
        (uint32_t)device_u64(d, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, sizeof(cl_uint));
    clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof in->max_work_group_size,
                    &in->max_work_group_size, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof in->max_work_item_sizes,
                    in->max_work_item_sizes, NULL);
    in->fp16 = has_ext(in->extensions, "cl_khr_fp16");
    in->fp64 = has_ext(in->extensions, "cl_khr_fp64");
    in->subgroups = has_ext(in->extensions, "cl_khr_subgroups") ||
                    has_ext(in->extensions, "cl_intel_subgroups");
    cl_bool b = CL_FALSE;
    if (clGetDeviceInfo(d, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof b, &b, NULL) == CL_SUCCESS)
        in->unified_memory = b == CL_TRUE;
    if (in->type == CLEMBED_DEVICE_CPU)
        in->unified_memory = 1;
    cl_command_queue_properties qp = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_QUEUE_PROPERTIES, sizeof qp, &qp, NULL) == CL_SUCCESS)
        in->profiling = (qp & CL_QUEUE_PROFILING_ENABLE) != 0;
    if (has_ext(in->extensions, "cl_khr_device_uuid") &&
        clGetDeviceInfo(d, CL_DEVICE_UUID_KHR, sizeof in->uuid, in->uuid, NULL) == CL_SUCCESS)
        in->has_uuid = 1;
    dev->stack_id = clembed__asprintf("%s|%s|%s|%s|%s", pname, pversion, in->name, in->driver_version,
                                      in->opencl_c_version);
}

static void enumerate(void)
{
    cl_uint np = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &np);
    if (err != CL_SUCCESS || np == 0) {
        clembed__info("no OpenCL platform found (%s)", clembed__cl_error_name(err));
        return;
    }
    cl_platform_id *plats = calloc(np, sizeof *plats);
    if (!plats || clGetPlatformIDs(np, plats, NULL) != CL_SUCCESS) {
        free(plats);
        return;
    }
    for (cl_uint i = 0; i < np; i++) {
        cl_uint nd = 0;
        err = clGetDeviceIDs(plats[i], CL_DEVICE_TYPE_ALL, 0, NULL, &nd);
        char *pname = platform_str(plats[i], CL_PLATFORM_NAME);
        if (err == CL_DEVICE_NOT_FOUND || (err == CL_SUCCESS && nd == 0)) {
            const char *hint = add_platform(pname, 0);
            clembed__info("OpenCL platform '%s' has no devices%s%s", pname, *hint ? ": " : "", hint);
            free(pname);
            continue;
        }
        if (err != CL_SUCCESS) {
            clembed__warn("OpenCL platform '%s' did not answer (%s); skipping it", pname,
                          clembed__cl_error_name(err));
            free(pname);
            continue;
        }
        cl_device_id *ids = calloc(nd, sizeof *ids);
        clembed__device *grown = realloc(devices, (n_devices + nd) * sizeof *devices);
        if (!ids || !grown || clGetDeviceIDs(plats[i], CL_DEVICE_TYPE_ALL, nd, ids, NULL) != CL_SUCCESS) {
            clembed__warn("OpenCL platform '%s': cannot list its devices; skipping it", pname);
            free(ids);
            if (grown)
                devices = grown;
            free(pname);
            continue;
        }
        devices = grown;
        add_platform(pname, nd);
        char *pvendor = platform_str(plats[i], CL_PLATFORM_VENDOR);
        char *pversion = platform_str(plats[i], CL_PLATFORM_VERSION);
        for (cl_uint j = 0; j < nd; j++) {
            clembed__device *dev = &devices[n_devices];
            memset(dev, 0, sizeof *dev);
            fill_device(dev, plats[i], ids[j], pname, pvendor, pversion);
            dev->info.index = n_devices++;
        }
        free(ids);
    }
    free(plats);
}

size_t clembed_platform_count(void)
{
    pthread_once(&enum_once, enumerate);
    return n_platforms;
}

clembed_status clembed_platform_get(size_t index, const char **name, size_t *nd, const char **hint)
{
    if (index >= clembed_platform_count())
        return clembed__fail(CLEMBED_ERR_NOT_FOUND, "no OpenCL platform with index %zu (there are %zu)",
                             index, n_platforms);
    if (name)
        *name = platforms[index].name;
    if (nd)
        *nd = platforms[index].n_devices;
    if (hint)
        *hint = platforms[index].hint;
    return CLEMBED_OK;
}

size_t clembed_device_count(void)
{
    pthread_once(&enum_once, enumerate);
    return n_devices;
}

const clembed__device *clembed__device_at(size_t index)
{
    return index < clembed_device_count() ? &devices[index] : NULL;
}

clembed_status clembed_device_get(size_t index, clembed_device_info *info)
{
    const clembed__device *d = clembed__device_at(index);
    if (!d)
        return clembed__fail(CLEMBED_ERR_NOT_FOUND, "no OpenCL device with index %zu (there are %zu)",
                             index, n_devices);
    if (info)
        *info = d->info;
    return CLEMBED_OK;
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return n == 0;
}

/* Selector words: each row says which devices it matches.  A word picks
 * among them as the default selection picks among all devices (the first
 * GPU, else the first), so `amd` on an APU machine with PoCL on the same chip
 * takes the GPU.  Vendor words match the hardware vendor (PCI vendor id or
 * the vendor string), so `intel` also matches PoCL on an Intel CPU. */
static int is_pocl(const clembed_device_info *d)
{
    return contains_ci(d->platform_name, "Portable Computing Language") ||
           contains_ci(d->platform_name, "pocl") || contains_ci(d->platform_vendor, "pocl");
}
static int is_rusticl(const clembed_device_info *d) { return contains_ci(d->platform_name, "rusticl"); }
static int is_cpu(const clembed_device_info *d) { return d->type == CLEMBED_DEVICE_CPU; }
static int is_gpu(const clembed_device_info *d) { return d->type == CLEMBED_DEVICE_GPU; }
static int is_nvidia(const clembed_device_info *d)
{
    return d->vendor_id == 0x10de || contains_ci(d->vendor, "nvidia");
}
static int is_amd(const clembed_device_info *d)
{
    return d->vendor_id == 0x1002 || d->vendor_id == 0x1022 || contains_ci(d->vendor, "amd") ||
           contains_ci(d->vendor, "Advanced Micro Devices");
}
static int is_intel(const clembed_device_info *d)
{
    return d->vendor_id == 0x8086 || contains_ci(d->vendor, "intel");
}

static const struct selector_word {
    const char *word;
    int (*matches)(const clembed_device_info *d);
} selector_words[] = {
    {"pocl", is_pocl},     {"rusticl", is_rusticl}, {"cpu", is_cpu},     {"gpu", is_gpu},
    {"nvidia", is_nvidia}, {"amd", is_amd},         {"intel", is_intel},
};
#define N_WORDS (sizeof selector_words / sizeof selector_words[0])

const char *clembed_device_selector_word(size_t i)
{
    return i < N_WORDS ? selector_words[i].word : NULL;
}

/* "0: platform / name; 1: ..." of the devices whose name is `sel` (exact) or
 * contains it; all devices when sel is NULL. */
static void device_list(const clembed_device_info *const *dev, size_t n, char *list, size_t cap,
                        const char *sel, int exact)
{
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < n && used < cap - 1; i++) {
        char full[1024];
        snprintf(full, sizeof full, "%s / %s", dev[i]->platform_name, dev[i]->name);
        if (sel && !(exact ? strcasecmp(dev[i]->name, sel) == 0 : contains_ci(full, sel)))
            continue;
        int w = snprintf(list + used, cap - used, "%s%zu: %s", used ? "; " : "", i, full);
        used += w > 0 ? (size_t)w : 0;
    }
}

/* The first GPU among the devices `word` matches (all when NULL), else the
 * first of them; n when none. */
static size_t first_pick(const clembed_device_info *const *dev, size_t n, const struct selector_word *word)
{
    size_t first = n;
    for (size_t i = 0; i < n; i++) {
        if (word && !word->matches(dev[i]))
            continue;
        if (dev[i]->type == CLEMBED_DEVICE_GPU)
            return i;
        if (first == n)
            first = i;
    }
    return first;
}

/* The selection rules over any device list: clembed_device_select() runs
 * them over the process's devices, tests/test_device.c over made-up ones
 * (it declares this itself; device.h stays as it is). */
clembed_status clembed__device_select_from(const clembed_device_info *const *dev, size_t n,
                                           const char *selector, const char *origin, size_t *index);

clembed_status clembed__device_select_from(const clembed_device_info *const *dev, size_t n,
                                           const char *selector, const char *origin, size_t *index)
{
    char list[2048];
    if (n == 0)
        return clembed__fail(CLEMBED_ERR_NO_DEVICE,
                             "no OpenCL device found: install an OpenCL driver (for the CPU, the Debian "
                             "package pocl-opencl-icd) and check it with `clembed info`");
    if (!selector || !*selector) {
        *index = first_pick(dev, n, NULL);
        return CLEMBED_OK;
    }
    char *end = NULL;
    unsigned long v = strtoul(selector, &end, 10);
    if (end != selector && *end == '\0' && isdigit((unsigned char)selector[0])) {
        if (v < n) {
            *index = v;
            return CLEMBED_OK;
        }
        device_list(dev, n, list, sizeof list, NULL, 0);
        return clembed__fail(CLEMBED_ERR_NOT_FOUND, "%s '%s': there is no device %s (devices: %s)", origin,
                             selector, selector, list);
    }
    for (size_t w = 0; w < N_WORDS; w++) {
        if (strcasecmp(selector, selector_words[w].word) != 0)
            continue;
        size_t i = first_pick(dev, n, &selector_words[w]);
        if (i < n) {
            *index = i;
            return CLEMBED_OK;
        }
        device_list(dev, n, list, sizeof list, NULL, 0);
        return clembed__fail(CLEMBED_ERR_NOT_FOUND, "%s '%s' matches no OpenCL device (devices: %s)",
                             origin, selector, list);
    }
    /* A device's whole name wins over substrings; then exactly one device
     * must contain the text, since picking one of several would depend on
     * the order drivers list them. */
    for (int exact = 1; exact >= 0; exact--) {
        size_t found = n, count = 0;
        for (size_t i = 0; i < n; i++) {
            char full[1024];
            snprintf(full, sizeof full, "%s / %s", dev[i]->platform_name, dev[i]->name);
            if (exact ? strcasecmp(dev[i]->name, selector) == 0 : contains_ci(full, selector)) {
                if (found == n)
                    found = i;
                count++;
            }
        }
        if (count == 1) {
            *index = found;
            return CLEMBED_OK;
        }
        if (count > 1) {
            device_list(dev, n, list, sizeof list, selector, exact);
            if (exact) /* identical devices: their name cannot tell them apart */
                return clembed__fail(CLEMBED_ERR_INVALID_ARG,
                                     "%s '%s' is ambiguous: %zu devices have that name (%s); use an index",
                                     origin, selector, count, list);
            return clembed__fail(CLEMBED_ERR_INVALID_ARG,
                                 "%s '%s' is ambiguous: it matches %zu devices (%s); use an index, a "
                                 "longer part of the name, or a word such as cpu or gpu",
                                 origin, selector, count, list);
        }
    }
    device_list(dev, n, list, sizeof list, NULL, 0);
    return clembed__fail(CLEMBED_ERR_NOT_FOUND, "%s '%s' matches no OpenCL device (devices: %s)", origin,
                         selector, list);
}

clembed_status clembed_device_select(const char *selector, size_t *index)
{
    size_t n = clembed_device_count();
    const char *origin = "device selector";
    if (!selector || !*selector) {
        selector = getenv("CLEMBED_DEVICE");
        origin = "CLEMBED_DEVICE";
    }
    const clembed_device_info **dev = calloc(n ? n : 1, sizeof *dev);
    if (!dev)
        return clembed__fail(CLEMBED_ERR_NOMEM, "selecting a device");
    for (size_t i = 0; i < n; i++)
        dev[i] = &devices[i].info;
    clembed_status rc = clembed__device_select_from(dev, n, selector, origin, index);
    free(dev);
    return rc;
}
