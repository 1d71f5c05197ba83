/* Internal to libclembed: how much a context may put on a device, and how large one buffer may be. */
#ifndef CLEMBED_MEMORY_H
#define CLEMBED_MEMORY_H

#include "runtime/device.h"

/* Memory as a context plans it. */
typedef struct clembed__mem_plan {
    uint64_t usable;          /* bytes weights and scratch may take together */
    uint64_t max_alloc;       /* bytes one buffer may take */
    uint64_t device_global;   /* CL_DEVICE_GLOBAL_MEM_SIZE */
    uint64_t device_max_alloc;/* CL_DEVICE_MAX_MEM_ALLOC_SIZE */
    uint64_t host_available;  /* the host's available memory; 0 when unknown */
    int host_bound;           /* usable is the host's available memory (the device shares it) */
    int env_limit;            /* CLEMBED_MAX_ALLOC lowered max_alloc */
} clembed__mem_plan;

/* The plan for a device described by info (unified_memory as clembed__device_describe() set
 * it), given the host's available memory (0 = unknown) and a buffer limit (0 = none).  A
 * device that shares the host's memory is bounded by what the host has available, not by a
 * small CL_DEVICE_GLOBAL_MEM_SIZE (an APU's BIOS carve-out: 512 MiB on a Strix Halo under
 * rusticl); every buffer stays under CL_DEVICE_MAX_MEM_ALLOC_SIZE (2 GiB under rusticl). */
void clembed__mem_plan_for(const clembed_device_info *info, uint64_t host_available, uint64_t limit,
                           clembed__mem_plan *out);

/* The plan for dev on this host now: MemAvailable from /proc/meminfo, CLEMBED_MAX_ALLOC. */
void clembed__device_mem_plan(const clembed__device *dev, clembed__mem_plan *out);

/* The host's available memory in bytes (MemAvailable, else free pages); 0 when unknown. */
uint64_t clembed__host_available_memory(void);

/* CLEMBED_MAX_ALLOC ("256M", "2G", "1048576"): a cap on every buffer, for tests and for drivers
 * whose limit is lower than they say; 0 when unset.  A bad value is warned about once. */
uint64_t clembed__env_max_alloc(void);

/* CLEMBED_ERR_DEVICE_MEMORY naming `what` and the limit when `bytes` is more than one buffer
 * may hold under plan. */
clembed_status clembed__mem_check_buffer(const clembed__mem_plan *plan, const clembed__device *dev,
                                         uint64_t bytes, const char *what);

/* clembed__mem_check_buffer() against dev's limit now (CLEMBED_MAX_ALLOC read, not the host's
 * memory): one call per buffer. */
clembed_status clembed__device_check_buffer(const clembed__device *dev, uint64_t bytes, const char *what);

#endif
