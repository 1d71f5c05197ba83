/* Memory as a context plans it: the bound for weights and scratch together, and the largest
 * buffer.  Drivers report what they were built to report: a Strix Halo under rusticl says 512
 * MiB of global memory (the BIOS carve-out) while its GPU reaches most of the machine's, and
 * caps each buffer at 2 GiB (gallium's 32-bit sizes).  On a device that shares the host's
 * memory the host's available memory is the bound; a driver limit below it shows up as an
 * allocation error naming the buffer. */
#define _POSIX_C_SOURCE 200809L
#include "runtime/memory.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void clembed__mem_plan_for(const clembed_device_info *info, uint64_t host_available, uint64_t limit,
                           clembed__mem_plan *out)
{
    memset(out, 0, sizeof *out);
    out->device_global = info->global_mem_bytes;
    out->device_max_alloc = info->max_alloc_bytes;
    out->host_available = host_available;
    out->usable = info->global_mem_bytes;
    if (info->unified_memory && host_available) {
        out->usable = host_available;
        out->host_bound = 1;
    }
    /* Not clipped to usable: rusticl's 2 GiB limit is real where its 512 MiB global memory is not. */
    out->max_alloc = info->max_alloc_bytes ? info->max_alloc_bytes : out->usable;
    if (limit && limit < out->max_alloc) {
        out->max_alloc = limit;
        out->env_limit = 1;
    }
}

uint64_t clembed__host_available_memory(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kib = 0;
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f))
        found = sscanf(line, "MemAvailable: %llu kB", &kib) == 1;
    if (f)
        fclose(f);
    if (found)
        return (uint64_t)kib * 1024;
#if defined(_SC_AVPHYS_PAGES) && defined(_SC_PAGESIZE)
    long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0)
        return (uint64_t)pages * (uint64_t)page;
#endif
    return 0;
}

uint64_t clembed__env_max_alloc(void)
{
    const char *s = getenv("CLEMBED_MAX_ALLOC");
    if (!s || !*s)
        return 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    int shift = 0;
    const char *u = end;
    if (u && *u) {   /* K, M or G, then an optional "B" or "iB" */
        int c = toupper((unsigned char)*u++);
        shift = c == 'K' ? 10 : c == 'M' ? 20 : c == 'G' ? 30 : -1;
        if (toupper((unsigned char)*u) == 'I')
            u++;
        if (toupper((unsigned char)*u) == 'B')
            u++;
        if (*u)
            shift = -1;
    }
    if (end == s || shift < 0 || v == 0 || v > (~0ull >> shift)) {
        if (clembed__log_once("CLEMBED_MAX_ALLOC"))
            clembed__warn("CLEMBED_MAX_ALLOC='%s' is not a size such as 256M or 1G; ignoring it", s);
        return 0;
    }
    return (uint64_t)v << shift;
}

void clembed__device_mem_plan(const clembed__device *dev, clembed__mem_plan *out)
{
    clembed__mem_plan_for(&dev->info, dev->info.unified_memory ? clembed__host_available_memory() : 0,
                          clembed__env_max_alloc(), out);
}

/* "2048.0 MiB", or exact bytes below a MiB, where rounding would hide the difference. */
static const char *size_str(uint64_t bytes, char *buf, size_t cap)
{
    if (bytes >= ((uint64_t)1 << 20))
        snprintf(buf, cap, "%.1f MiB", bytes / 1048576.0);
    else
        snprintf(buf, cap, "%llu bytes", (unsigned long long)bytes);
    return buf;
}

clembed_status clembed__mem_check_buffer(const clembed__mem_plan *plan, const clembed__device *dev,
                                         uint64_t bytes, const char *what)
{
    if (bytes <= plan->max_alloc)
        return CLEMBED_OK;
    char need[32], limit[32];
    return clembed__fail(CLEMBED_ERR_DEVICE_MEMORY,
                         "%s: '%s' needs one buffer of %s, more than the device's largest allocation of %s (%s)",
                         dev->info.name, what, size_str(bytes, need, sizeof need),
                         size_str(plan->max_alloc, limit, sizeof limit),
                         plan->env_limit ? "CLEMBED_MAX_ALLOC" : "CL_DEVICE_MAX_MEM_ALLOC_SIZE");
}

clembed_status clembed__device_check_buffer(const clembed__device *dev, uint64_t bytes, const char *what)
{
    clembed__mem_plan plan;
    clembed__mem_plan_for(&dev->info, 0, clembed__env_max_alloc(), &plan);
    return clembed__mem_check_buffer(&plan, dev, bytes, what);
}
