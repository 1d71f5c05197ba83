/* Test helper: the OpenCL devices a test runs on (every device of every platform present). */
#ifndef CLEMBED_TESTDEV_H
#define CLEMBED_TESTDEV_H

#include "runtime/device.h"
#include "tap.h"

/* Devices to test: all, or those matching CLEMBED_TEST_DEVICE when set. */
static size_t test_devices(size_t *idx, size_t cap)
{
    size_t n = clembed_device_count(), k = 0;
    const char *want = getenv("CLEMBED_TEST_DEVICE");
    for (size_t i = 0; i < n && k < cap; i++) {
        const clembed__device *d = clembed__device_at(i);
        if (want && *want) {
            size_t sel;
            if (clembed_device_select(want, &sel) != CLEMBED_OK || sel != i)
                continue;
        }
        (void)d;
        idx[k++] = i;
    }
    if (k == 0)
        skip_all("no OpenCL device (install pocl-opencl-icd, or mesa-opencl-icd with RUSTICL_ENABLE=llvmpipe)");
    return k;
}

/* A context and in-order profiling queue on a device. */
#if defined(__GNUC__)
__attribute__((unused))
#endif
static int test_queue(const clembed__device *d, cl_context *ctx, cl_command_queue *q)
{
    cl_int err;
    *ctx = clCreateContext(NULL, 1, &d->id, NULL, NULL, &err);
    if (!*ctx)
        return 0;
    *q = clCreateCommandQueue(*ctx, d->id, 0, &err);
    return *q != NULL;
}

#endif
