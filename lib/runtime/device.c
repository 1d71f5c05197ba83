/* OpenCL platform and device enumeration, identity and selection. */
#define _POSIX_C_SOURCE 200809L
#include "runtime/device.h"
#include "runtime/memory.h"
#include "runtime/fault.h"
#include "core/util.h"

#include <ctype.h>
#include <pthread.h>
#include <stddef.h>
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

/* Queries that are not in every header, by their registered numbers. */
enum {
    Q_PCI_BUS_INFO_KHR = 0x410F,     /* cl_khr_pci_bus_info: four cl_uint */
    Q_TOPOLOGY_AMD = 0x4037,         /* cl_amd_device_attribute_query: cl_device_topology_amd */
    Q_BOARD_NAME_AMD = 0x4038,
    Q_CC_MAJOR_NV = 0x4000,          /* cl_nv_device_attribute_query */
    Q_CC_MINOR_NV = 0x4001,
    Q_PCI_BUS_ID_NV = 0x4008,
    Q_PCI_SLOT_ID_NV = 0x4009,
    Q_PCI_DOMAIN_ID_NV = 0x400A,
    Q_OPENCL_C_FEATURES = 0x106F,    /* OpenCL 3.0: cl_name_version[] */
    TOPOLOGY_TYPE_PCIE_AMD = 1
};

/* CL_DEVICE_OPENCL_C_FEATURES' names, space-separated ("" before OpenCL 3.0). */
static char *c_features(cl_device_id d)
{
    struct name_version {
        cl_uint version;
        char name[64];
    } *v = NULL;
    size_t n = 0;
    if (clGetDeviceInfo(d, Q_OPENCL_C_FEATURES, 0, NULL, &n) != CL_SUCCESS || n < sizeof *v ||
        !(v = malloc(n)) || clGetDeviceInfo(d, Q_OPENCL_C_FEATURES, n, v, NULL) != CL_SUCCESS) {
        free(v);
        return clembed__strdup("");
    }
    size_t count = n / sizeof *v, used = 0;
    char *s = calloc(count * 65 + 1, 1);
    for (size_t i = 0; s && i < count; i++) {
        v[i].name[sizeof v[i].name - 1] = '\0';
        used += (size_t)sprintf(s + used, "%s%s", used ? " " : "", v[i].name);
    }
    free(v);
    return s ? s : clembed__strdup("");
}

/* Where the device sits on the PCI bus, from whichever query its driver answers. */
static void pci_location(cl_device_id d, const char *exts, clembed__device_desc *out)
{
    cl_uint v[4] = {0};
    if (has_ext(exts, "cl_khr_pci_bus_info") &&
        clGetDeviceInfo(d, Q_PCI_BUS_INFO_KHR, sizeof v, v, NULL) == CL_SUCCESS) {
        out->has_pci = 1;
        out->pci_domain = v[0], out->pci_bus = v[1], out->pci_device = v[2], out->pci_function = v[3];
        return;
    }
    unsigned char topo[24] = {0};
    if (has_ext(exts, "cl_amd_device_attribute_query") &&
        clGetDeviceInfo(d, Q_TOPOLOGY_AMD, sizeof topo, topo, NULL) == CL_SUCCESS) {
        cl_uint type;
        memcpy(&type, topo, sizeof type);
        if (type == TOPOLOGY_TYPE_PCIE_AMD) {   /* bus, device, function: its last three bytes */
            out->has_pci = 1;
            out->pci_bus = topo[21], out->pci_device = topo[22], out->pci_function = topo[23];
        }
        return;
    }
    cl_uint bus = 0, slot = 0, domain = 0;
    if (has_ext(exts, "cl_nv_device_attribute_query") &&
        clGetDeviceInfo(d, Q_PCI_BUS_ID_NV, sizeof bus, &bus, NULL) == CL_SUCCESS &&
        clGetDeviceInfo(d, Q_PCI_SLOT_ID_NV, sizeof slot, &slot, NULL) == CL_SUCCESS) {
        if (clGetDeviceInfo(d, Q_PCI_DOMAIN_ID_NV, sizeof domain, &domain, NULL) != CL_SUCCESS)
            domain = 0;
        out->has_pci = 1;
        out->pci_domain = domain, out->pci_bus = bus, out->pci_device = slot >> 3, out->pci_function = slot & 7;
    }
}

/* What the driver answers for device d: the description clembed__device_describe() reads.
 * Strings are allocated and live as long as the process. */
static void query_device(cl_device_id d, char *pname, char *pvendor, char *pversion, clembed__device_desc *q)
{
    memset(q, 0, sizeof *q);
    q->platform_name = pname;
    q->platform_vendor = pvendor;
    q->platform_version = pversion;
    q->name = device_str(d, CL_DEVICE_NAME);
    q->vendor = device_str(d, CL_DEVICE_VENDOR);
    q->driver_version = device_str(d, CL_DRIVER_VERSION);
    q->device_version = device_str(d, CL_DEVICE_VERSION);
    q->opencl_c_version = device_str(d, CL_DEVICE_OPENCL_C_VERSION);
    q->extensions = device_str(d, CL_DEVICE_EXTENSIONS);
    q->opencl_c_features = strncmp(q->device_version, "OpenCL 3.", 9) == 0 ? c_features(d) : "";
    q->board_name = has_ext(q->extensions, "cl_amd_device_attribute_query") ? device_str(d, Q_BOARD_NAME_AMD) : "";
    cl_device_type t = 0;
    clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof t, &t, NULL);
    q->type = (t & CL_DEVICE_TYPE_GPU)           ? CLEMBED_DEVICE_GPU
              : (t & CL_DEVICE_TYPE_CPU)         ? CLEMBED_DEVICE_CPU
              : (t & CL_DEVICE_TYPE_ACCELERATOR) ? CLEMBED_DEVICE_ACCELERATOR
                                                 : CLEMBED_DEVICE_OTHER;
    q->vendor_id = (uint32_t)device_u64(d, CL_DEVICE_VENDOR_ID, sizeof(cl_uint));
    q->compute_units = (uint32_t)device_u64(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(cl_uint));
    q->max_clock_mhz = (uint32_t)device_u64(d, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof(cl_uint));
    q->global_mem_bytes = device_u64(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof(cl_ulong));
    q->max_alloc_bytes = device_u64(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof(cl_ulong));
    q->local_mem_bytes = device_u64(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof(cl_ulong));
    q->global_cache_bytes = device_u64(d, CL_DEVICE_GLOBAL_MEM_CACHE_SIZE, sizeof(cl_ulong));
    q->preferred_vector_width_float =
        (uint32_t)device_u64(d, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, sizeof(cl_uint));
    clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof q->max_work_group_size,
                    &q->max_work_group_size, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof q->max_work_item_sizes,
                    q->max_work_item_sizes, NULL);
    cl_bool b = CL_FALSE;
    if (clGetDeviceInfo(d, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof b, &b, NULL) == CL_SUCCESS)
        q->host_unified_memory = b == CL_TRUE;
    cl_command_queue_properties qp = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_QUEUE_PROPERTIES, sizeof qp, &qp, NULL) == CL_SUCCESS)
        q->profiling = (qp & CL_QUEUE_PROFILING_ENABLE) != 0;
    if (has_ext(q->extensions, "cl_khr_device_uuid") &&
        clGetDeviceInfo(d, CL_DEVICE_UUID_KHR, sizeof q->uuid, q->uuid, NULL) == CL_SUCCESS)
        q->has_uuid = 1;
    pci_location(d, q->extensions, q);
    cl_uint major = 0, minor = 0;
    if (has_ext(q->extensions, "cl_nv_device_attribute_query") &&
        clGetDeviceInfo(d, Q_CC_MAJOR_NV, sizeof major, &major, NULL) == CL_SUCCESS &&
        clGetDeviceInfo(d, Q_CC_MINOR_NV, sizeof minor, &minor, NULL) == CL_SUCCESS && major < 100 && minor < 10)
        q->nv_cc = major * 10 + minor;
}

/* The platforms clembed knows by name.  rank: of one GPU seen through several platforms, the
 * lowest is the default when no profile says which is faster: ROCm over rusticl over the
 * others, and Clover (deprecated, removed from Mesa in 25.2) last. */
static const struct platform_kind {
    const char *kind, *name_prefix;
    int rank;
} platform_kinds[] = {
    {"rocm", "AMD Accelerated Parallel Processing", 0},
    {"rusticl", "rusticl", 1},
    {"nvidia", "NVIDIA CUDA", 2},
    {"intel", "Intel(R) OpenCL", 2},
    {"pocl", "Portable Computing Language", 2},
    {"clover", "Clover", 3},
};

void clembed__device_describe(clembed__device *dev, const clembed__device_desc *d, size_t index)
{
    clembed_device_info *in = &dev->info;
    memset(in, 0, sizeof *in);
    in->index = index;
    in->platform_name = d->platform_name;
    in->platform_vendor = d->platform_vendor;
    in->platform_version = d->platform_version;
    in->name = d->name;
    in->vendor = d->vendor;
    in->driver_version = d->driver_version;
    in->device_version = d->device_version;
    in->opencl_c_version = d->opencl_c_version;
    in->extensions = d->extensions ? d->extensions : "";
    in->type = d->type;
    in->vendor_id = d->vendor_id;
    in->compute_units = d->compute_units;
    in->max_clock_mhz = d->max_clock_mhz;
    in->global_mem_bytes = d->global_mem_bytes;
    in->max_alloc_bytes = d->max_alloc_bytes;
    in->local_mem_bytes = d->local_mem_bytes;
    in->global_cache_bytes = d->global_cache_bytes;
    in->max_work_group_size = d->max_work_group_size;
    memcpy(in->max_work_item_sizes, d->max_work_item_sizes, sizeof in->max_work_item_sizes);
    in->preferred_vector_width_float = d->preferred_vector_width_float;
    in->profiling = d->profiling;
    if (d->has_uuid) {
        memcpy(in->uuid, d->uuid, sizeof in->uuid);
        in->has_uuid = 1;
    }
    const char *features = d->opencl_c_features ? d->opencl_c_features : "";
    dev->opencl_c_features = features;
    dev->board_name = d->board_name ? d->board_name : "";
    in->fp16 = has_ext(in->extensions, "cl_khr_fp16");
    in->fp64 = has_ext(in->extensions, "cl_khr_fp64") || has_ext(features, "__opencl_c_fp64");
    /* Sub-groups: the extensions, or OpenCL 3.0's optional feature, which radeonsi under rusticl
     * exposes without cl_khr_subgroups (that needs independent forward progress). */
    dev->subgroups_from = has_ext(in->extensions, "cl_khr_subgroups")      ? "cl_khr_subgroups"
                          : has_ext(features, "__opencl_c_subgroups")      ? "__opencl_c_subgroups"
                          : has_ext(in->extensions, "cl_intel_subgroups") ? "cl_intel_subgroups"
                                                                          : "";
    in->subgroups = dev->subgroups_from[0] != '\0';
    dev->subgroup_shuffle = has_ext(in->extensions, "cl_khr_subgroup_shuffle");
    dev->subgroup_shuffle_relative = has_ext(in->extensions, "cl_khr_subgroup_shuffle_relative");

    clembed__name_input ni = {d->platform_name, d->name, d->device_version, d->nv_cc};
    clembed__name_split_read(&ni, &dev->split);
    /* Host-unified: as the driver says, every CPU, and an APU by its architecture (radeonsi
     * under rusticl answers CL_FALSE on Strix Halo). */
    dev->host_unified_memory = d->host_unified_memory;
    in->unified_memory = d->host_unified_memory || d->type == CLEMBED_DEVICE_CPU ||
                         (d->type == CLEMBED_DEVICE_GPU && dev->split.integrated);
    dev->pci_bus_id[0] = '\0';
    if (d->has_pci)
        snprintf(dev->pci_bus_id, sizeof dev->pci_bus_id, "%04x:%02x:%02x.%x", d->pci_domain & 0xffff,
                 d->pci_bus & 0xff, d->pci_device & 0x1f, d->pci_function & 7);
    dev->platform_kind = "other";
    dev->platform_rank = 2;
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(platform_kinds); i++)
        if (d->platform_name && strncmp(d->platform_name, platform_kinds[i].name_prefix,
                                        strlen(platform_kinds[i].name_prefix)) == 0) {
            dev->platform_kind = platform_kinds[i].kind;
            dev->platform_rank = platform_kinds[i].rank;
            break;
        }
    dev->group = index;
    dev->group_size = 1;
    dev->twin = 0;
    dev->stack_id = clembed__asprintf("%s|%s|%s|%s|%s", d->platform_name, d->platform_version, d->name,
                                      d->driver_version, d->opencl_c_version);
}

int clembed__device_same_model(const clembed__device *a, const clembed__device *b)
{
    return strcmp(a->split.model, b->split.model) == 0 && strcmp(a->split.arch, b->split.arch) == 0 &&
           a->info.vendor_id == b->info.vendor_id && a->info.type == b->info.type &&
           a->info.compute_units == b->info.compute_units && a->info.local_mem_bytes == b->info.local_mem_bytes;
}

static int uuid_known(const clembed__device *d)
{
    static const uint8_t zero[16];
    return d->info.has_uuid && d->info.type != CLEMBED_DEVICE_CPU && memcmp(d->info.uuid, zero, 16) != 0;
}

/* Whether a and b, on different platforms, are one piece of hardware. */
static int same_hardware(const clembed__device *a, const clembed__device *b)
{
    if (a->info.type == CLEMBED_DEVICE_CPU && b->info.type == CLEMBED_DEVICE_CPU)
        return 1;   /* the host's processor */
    if (a->pci_bus_id[0] && b->pci_bus_id[0])
        return strcmp(a->pci_bus_id, b->pci_bus_id) == 0;
    return uuid_known(a) && uuid_known(b) && memcmp(a->info.uuid, b->info.uuid, 16) == 0;
}

static int same_platform(const clembed__device *a, const clembed__device *b)
{
    return strcmp(a->info.platform_name ? a->info.platform_name : "",
                  b->info.platform_name ? b->info.platform_name : "") == 0;
}

void clembed__devices_group(clembed__device *devs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        devs[i].group = i;
        devs[i].group_size = 1;
        devs[i].twin = 0;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) {
            if (same_platform(&devs[i], &devs[j])) {
                if (clembed__device_same_model(&devs[i], &devs[j]))
                    devs[i].twin = devs[j].twin = 1;
                continue;
            }
            if (devs[i].group == i && same_hardware(&devs[i], &devs[j])) {
                devs[i].group = devs[j].group;
                devs[devs[j].group].group_size++;
            }
        }
    for (size_t i = 0; i < n; i++)
        devs[i].group_size = devs[devs[i].group].group_size;
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
            clembed__device_desc q;
            memset(dev, 0, sizeof *dev);
            dev->platform = plats[i];
            dev->id = ids[j];
            query_device(ids[j], pname, pvendor, pversion, &q);
            clembed__device_describe(dev, &q, n_devices++);
        }
        free(ids);
    }
    free(plats);
    clembed__devices_group(devices, n_devices);
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

/* ---- described devices (tests) --------------------------------------------------------------- */

/* The enumerated list stays reachable here when described devices replace it: its strings may
 * still be held by callers.  A described list is freed when the next one replaces it. */
static clembed__device *volatile enumerated_devices;
static struct platform_entry *volatile enumerated_platforms;
static int described;

void clembed__devices_replace(const clembed__device_desc *descs, size_t n)
{
    pthread_once(&enum_once, enumerate);
    if (described) {
        for (size_t i = 0; i < n_devices; i++)
            free(devices[i].stack_id);
        for (size_t i = 0; i < n_platforms; i++)
            free(platforms[i].name);
        free(devices);
        free(platforms);
    } else {
        enumerated_devices = devices;
        enumerated_platforms = platforms;
    }
    described = 1;
    devices = n ? calloc(n, sizeof *devices) : NULL;
    platforms = NULL;
    n_devices = n_platforms = 0;
    if (n && !devices)
        return;
    for (size_t i = 0; i < n; i++) {
        clembed__device_describe(&devices[i], &descs[i], i);
        size_t p = 0;
        while (p < n_platforms && strcmp(platforms[p].name, descs[i].platform_name) != 0)
            p++;
        if (p == n_platforms)
            add_platform(descs[i].platform_name, 1);
        else
            platforms[p].n_devices++;
    }
    n_devices = n;
    clembed__devices_group(devices, n_devices);
}

/* ---- weights over host memory -------------------------------------------------------------------- */

static pthread_mutex_t host_ptr_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t host_ptr_refused[4];   /* by device index, a bit each */
static unsigned refusals_to_fake;

static int refused(size_t index, int mark)
{
    int was = 0;
    pthread_mutex_lock(&host_ptr_lock);
    if (index < 64 * CLEMBED_ARRAY_LEN(host_ptr_refused)) {
        was = (int)((host_ptr_refused[index / 64] >> (index % 64)) & 1);
        if (mark)
            host_ptr_refused[index / 64] |= (uint64_t)1 << (index % 64);
    }
    pthread_mutex_unlock(&host_ptr_lock);
    return was;
}

void clembed__device_refuse_host_ptr(unsigned n)
{
    pthread_mutex_lock(&host_ptr_lock);
    refusals_to_fake = n;
    pthread_mutex_unlock(&host_ptr_lock);
}

unsigned clembed__device_cpu_kind(const clembed__device *dev)
{
    if (dev->info.type != CLEMBED_DEVICE_CPU)
        return 0;
    int lanes = strstr(dev->info.platform_name, "rusticl") || strstr(dev->info.platform_name, "Clover");
    return CLEMBED__CPU_ANY | (lanes ? 0u : CLEMBED__CPU_LOOP);
}

int clembed__device_host_ptr_ok(const clembed__device *dev)
{
    const char *env = getenv("CLEMBED_HOST_PTR");
    if (env && *env && strcasecmp(env, "auto") != 0) {
        if (strcasecmp(env, "off") == 0 || strcmp(env, "0") == 0)
            return 0;
        if (clembed__log_once("CLEMBED_HOST_PTR"))
            clembed__warn("CLEMBED_HOST_PTR='%s' is not 'auto' or 'off'; using 'auto'", env);
    }
    return dev->info.unified_memory && !refused(dev->info.index, 0);
}

cl_mem clembed__device_weight_buffer(cl_context cl, const clembed__device *dev, const void *data,
                                     size_t bytes, const char *what, int *in_place, clembed_status *rc)
{
    cl_int err = CL_SUCCESS;
    cl_mem m = NULL;
    *rc = CLEMBED_OK;
    if (*in_place) {
        int fake = 0;
        pthread_mutex_lock(&host_ptr_lock);
        if (refusals_to_fake) {
            refusals_to_fake--;
            fake = 1;
        }
        pthread_mutex_unlock(&host_ptr_lock);
        if (fake)
            err = CL_INVALID_HOST_PTR;
        else
            m = clembed__create_buffer(cl, CL_MEM_READ_ONLY | CL_MEM_USE_HOST_PTR, bytes, (void *)data, &err);
        if (m)
            return m;
        if (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES || err == CL_OUT_OF_HOST_MEMORY) {
            /* out of memory, not a refusal of host pointers: a copy would need more */
            *rc = clembed__cl_fail(err, "%s: uploading weight '%s' (%zu bytes)", dev->info.name, what, bytes);
            return NULL;
        }
        *in_place = 0;
        refused(dev->info.index, 1);
        char key[64];
        snprintf(key, sizeof key, "host-ptr|%zu", dev->info.index);
        if (clembed__log_once(key))
            clembed__warn("%s: the driver refused weight '%s' in host memory (%s); weights are copied "
                          "to the device instead (CLEMBED_HOST_PTR=off does so from the start)",
                          dev->info.name, what, clembed__cl_error_name(err));
    }
    m = clembed__create_buffer(cl, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes, (void *)data, &err);
    if (!m)
        *rc = clembed__cl_fail(err, "%s: uploading weight '%s' (%zu bytes)", dev->info.name, what, bytes);
    return m;
}

clembed_status clembed_device_details_get(size_t index, clembed_device_details *details)
{
    const clembed__device *d = clembed__device_at(index);
    if (!details || details->size < offsetof(clembed_device_details, software_part))
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_device_details_get: set details->size "
                             "to sizeof(clembed_device_details) first");
    if (!d)
        return clembed__fail(CLEMBED_ERR_NOT_FOUND, "no OpenCL device with index %zu (there are %zu)",
                             index, n_devices);
    clembed__mem_plan plan;
    clembed__device_mem_plan(d, &plan);
    clembed_device_details full = {
        .size = details->size,
        .hardware_name = d->split.hardware,
        .software_part = d->split.software,
        .architecture = d->split.arch,
        .family = d->split.family,
        .board_name = d->board_name ? d->board_name : "",
        .pci_bus_id = d->pci_bus_id,
        .platform_kind = d->platform_kind ? d->platform_kind : "other",
        .subgroups_from = d->subgroups_from ? d->subgroups_from : "",
        .subgroup_shuffle = d->subgroup_shuffle,
        .subgroup_shuffle_relative = d->subgroup_shuffle_relative,
        .host_unified_memory = d->host_unified_memory,
        .integrated = d->split.integrated,
        .same_hardware = d->group,
        .same_hardware_count = d->group_size,
        .usable_bytes = plan.usable,
        .max_buffer_bytes = plan.max_alloc,
        .host_available_bytes = plan.host_bound ? plan.host_available : 0,
        .host_pointers = clembed__device_host_ptr_ok(d),
    };
    memcpy(details, &full, details->size < sizeof full ? details->size : sizeof full);
    return CLEMBED_OK;
}
