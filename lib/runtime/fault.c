/* The fault switch for tests (see fault.h). */
#include "runtime/fault.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    cl_int error;
} kinds[CLEMBED__N_FAULTS] = {
    {"enqueue", CL_OUT_OF_RESOURCES},
    {"alloc", CL_MEM_OBJECT_ALLOCATION_FAILURE},
    {"write", CL_OUT_OF_RESOURCES},
    {"read", CL_OUT_OF_RESOURCES},
};

static _Atomic uint64_t calls[CLEMBED__N_FAULTS], fail_at[CLEMBED__N_FAULTS];
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static void read_env(void)
{
    const char *s = getenv("CLEMBED_FAULT");
    while (s && *s) {
        const char *colon = strchr(s, ':'), *comma = strchr(s, ',');
        int k = 0;
        while (colon && k < CLEMBED__N_FAULTS &&
               ((size_t)(colon - s) != strlen(kinds[k].name) || strncmp(s, kinds[k].name, (size_t)(colon - s))))
            k++;
        if (!colon || k == CLEMBED__N_FAULTS || (comma && comma < colon)) {
            clembed__warn("CLEMBED_FAULT='%s': expected kind:N[,kind:N] with kinds enqueue, alloc, write, "
                          "read; ignored from '%s'", getenv("CLEMBED_FAULT"), s);
            return;
        }
        atomic_store(&fail_at[k], strtoull(colon + 1, NULL, 10));
        s = comma ? comma + 1 : NULL;
    }
}

cl_int clembed__fault(clembed__fault_kind kind)
{
    pthread_once(&env_once, read_env);
    uint64_t n = atomic_fetch_add(&calls[kind], 1) + 1, at = atomic_load(&fail_at[kind]);
    if (at == 0 || n != at)
        return CL_SUCCESS;
    clembed__warn("fault switch: failing %s call %llu", kinds[kind].name, (unsigned long long)n);
    return kinds[kind].error;
}

void clembed__fault_set(clembed__fault_kind kind, uint64_t nth)
{
    pthread_once(&env_once, read_env);
    atomic_store(&fail_at[kind], nth ? atomic_load(&calls[kind]) + nth : 0);
}

uint64_t clembed__fault_calls(clembed__fault_kind kind)
{
    return atomic_load(&calls[kind]);
}

cl_mem clembed__create_buffer(cl_context ctx, cl_mem_flags flags, size_t size, void *host, cl_int *err)
{
    cl_int e = clembed__fault(CLEMBED__FAULT_ALLOC);
    if (e != CL_SUCCESS) {
        *err = e;
        return NULL;
    }
    return clCreateBuffer(ctx, flags, size, host, err);
}

cl_int clembed__enqueue_write(cl_command_queue q, cl_mem mem, size_t size, const void *ptr, cl_event *ev)
{
    cl_int e = clembed__fault(CLEMBED__FAULT_WRITE);
    return e != CL_SUCCESS ? e : clEnqueueWriteBuffer(q, mem, CL_FALSE, 0, size, ptr, 0, NULL, ev);
}

cl_int clembed__enqueue_read(cl_command_queue q, cl_mem mem, size_t size, void *ptr, cl_event *ev)
{
    cl_int e = clembed__fault(CLEMBED__FAULT_READ);
    return e != CL_SUCCESS ? e : clEnqueueReadBuffer(q, mem, CL_FALSE, 0, size, ptr, 0, NULL, ev);
}
