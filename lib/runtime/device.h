/* Internal to libclembed: OpenCL devices and error mapping. */
#ifndef CLEMBED_DEVICE_H
#define CLEMBED_DEVICE_H

#include "core/internal.h"
#include "runtime/identity.h"

#include <CL/cl.h>

/* What the OpenCL queries answered for one device.  The enumeration fills it from the driver,
 * the tests from public clinfo outputs; both become a clembed__device through
 * clembed__device_describe(), so identity, capabilities, memory planning and grouping run the
 * same code for both.  Strings must outlive the device (the enumeration never frees them). */
typedef struct clembed__device_desc {
    const char *platform_name, *platform_vendor, *platform_version;
    const char *name, *vendor, *driver_version, *device_version, *opencl_c_version;
    const char *extensions;
    const char *opencl_c_features;  /* CL_DEVICE_OPENCL_C_FEATURES' names, space-separated; "" before 3.0 */
    const char *board_name;         /* CL_DEVICE_BOARD_NAME_AMD; "" elsewhere */
    clembed_device_type type;
    uint32_t vendor_id, compute_units, max_clock_mhz;
    uint64_t global_mem_bytes, max_alloc_bytes, local_mem_bytes, global_cache_bytes;
    size_t max_work_group_size, max_work_item_sizes[3];
    uint32_t preferred_vector_width_float;
    int host_unified_memory;        /* CL_DEVICE_HOST_UNIFIED_MEMORY as answered */
    int profiling;
    int has_uuid;                   /* cl_khr_device_uuid */
    uint8_t uuid[16];
    int has_pci;                    /* cl_khr_pci_bus_info, CL_DEVICE_TOPOLOGY_AMD or NVIDIA's attributes */
    uint32_t pci_domain, pci_bus, pci_device, pci_function;
    uint32_t nv_cc;                 /* NVIDIA compute capability, major * 10 + minor; 0 elsewhere */
} clembed__device_desc;

typedef struct clembed__device {
    cl_platform_id platform;
    cl_device_id   id;
    clembed_device_info info;
    /* "platform|platform version|device|driver|OpenCL C": what changes
     * generated code, for cache keys and profile identity. */
    char *stack_id;
    /* Derived by clembed__device_describe(). */
    clembed__name_split split;      /* hardware and software parts of the name, architecture */
    char pci_bus_id[16];            /* "0000:c3:00.0"; "" when the driver does not say */
    const char *board_name;
    const char *opencl_c_features;
    const char *subgroups_from;     /* what grants sub-groups: "cl_khr_subgroups", ...; "" */
    int subgroup_shuffle, subgroup_shuffle_relative;
    int host_unified_memory;        /* as the driver answered; info.unified_memory is what holds */
    const char *platform_kind;      /* "rocm", "rusticl", "pocl", ... (clembed__device_describe) */
    int platform_rank;              /* for one GPU on several platforms: lower is preferred */
    /* Set by clembed__devices_group() over the whole list. */
    size_t group;                   /* index of the first device that is the same hardware */
    size_t group_size;              /* devices, on all platforms, that are this hardware */
    int twin;                       /* another device of this platform is the same model */
} clembed__device;

/* Fills dev from a description: info (the public facts), the name split, capabilities from
 * the OpenCL 3.0 queries and extensions, the PCI bus id and the platform's kind.  dev->group
 * is dev->info.index until clembed__devices_group() runs. */
void clembed__device_describe(clembed__device *dev, const clembed__device_desc *d, size_t index);

/* Groups devices that are the same hardware seen through several platforms: the same PCI bus
 * id, else the same UUID (GPUs and accelerators: CPU drivers derive theirs from the driver
 * version, llvmpipe's reads "mesa25.0.7"), and the host's CPU on every CPU platform.  Marks
 * twins: two devices of one platform that are the same model (two identical GPUs). */
void clembed__devices_group(clembed__device *devs, size_t n);

/* 1 when a and b are the same model of hardware: the name's model (see clembed__name_split), architecture,
 * vendor id, type, compute units and local memory (where it sits is not part of it). */
int clembed__device_same_model(const clembed__device *a, const clembed__device *b);

/* Replaces the process-wide device list with described devices (the tests' table of real
 * devices, for clembed info and the default choice); n = 0 empties it.  Devices of an earlier
 * described list are freed.  Not thread-safe: for tests, before anything else looks at devices. */
void clembed__devices_replace(const clembed__device_desc *descs, size_t n);

/* Kinds of CPU device, as the kernel registry's cpu defaults name them. */
enum {
    CLEMBED__CPU_ANY = 1u << 0,    /* every CPU device */
    CLEMBED__CPU_LOOP = 1u << 1    /* CPU runtimes that run a work-group as a loop (PoCL) */
};

/* What kind of CPU runtime dev is, for the kernel registry's cpu defaults (CLEMBED__CPU_*
 * of kernels.h): 0 for a GPU or accelerator; CLEMBED__CPU_ANY for a CPU device, with
 * CLEMBED__CPU_LOOP where the runtime runs a work-group as a loop over its work-items (PoCL,
 * vendors' CPU runtimes) rather than its work-items in SIMD lanes as a GPU does (Mesa's
 * llvmpipe under rusticl or Clover). */
unsigned clembed__device_cpu_kind(const clembed__device *dev);

/* Whether weights may be used in place (CL_MEM_USE_HOST_PTR) on dev: it shares the host's
 * memory, CLEMBED_HOST_PTR is not "off", and it has not refused a host pointer in this process. */
int clembed__device_host_ptr_ok(const clembed__device *dev);

/* A read-only buffer over `bytes` of host data, named `what` in messages: in place when
 * *in_place (CL_MEM_USE_HOST_PTR), else a copy (CL_MEM_COPY_HOST_PTR).  A driver that refuses
 * the host pointer (ROCm's pinned host memory has failed on gfx1151) gets a copy instead:
 * *in_place becomes 0, the refusal is said once, and later calls for dev copy at once.  NULL
 * with *rc set when the copy fails too. */
cl_mem clembed__device_weight_buffer(cl_context cl, const clembed__device *dev, const void *data,
                                     size_t bytes, const char *what, int *in_place, clembed_status *rc);

/* Tests: the next n host-pointer buffers are refused as a driver refuses them. */
void clembed__device_refuse_host_ptr(unsigned n);

/* The device at `index` of the process-wide list, or NULL past the end. */
const clembed__device *clembed__device_at(size_t index);

/* "CL_OUT_OF_RESOURCES" and so on. */
const char *clembed__cl_error_name(cl_int err);

/* Records "<what>: <CL error name>" and returns the matching status:
 * allocation failures become CLEMBED_ERR_DEVICE_MEMORY. */
clembed_status clembed__cl_fail(cl_int err, const char *fmt, ...) CLEMBED_PRINTF(2, 3);

#endif
