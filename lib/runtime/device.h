/* Internal to libclembed: OpenCL devices and error mapping. */
#ifndef CLEMBED_DEVICE_H
#define CLEMBED_DEVICE_H

#include "core/internal.h"

#include <CL/cl.h>

typedef struct clembed__device {
    cl_platform_id platform;
    cl_device_id   id;
    clembed_device_info info;
    /* "platform|platform version|device|driver|OpenCL C": what changes
     * generated code, for cache keys and profile identity. */
    char *stack_id;
} clembed__device;

/* The device at `index` of the process-wide list, or NULL past the end. */
const clembed__device *clembed__device_at(size_t index);

/* "CL_OUT_OF_RESOURCES" and so on. */
const char *clembed__cl_error_name(cl_int err);

/* Records "<what>: <CL error name>" and returns the matching status:
 * allocation failures become CLEMBED_ERR_DEVICE_MEMORY. */
clembed_status clembed__cl_fail(cl_int err, const char *fmt, ...) CLEMBED_PRINTF(2, 3);

#endif
