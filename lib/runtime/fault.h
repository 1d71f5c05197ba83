/* Internal to libclembed: a fault switch for tests.  It makes the Nth device enqueue (a
 * kernel launch), buffer allocation, host-to-device write or device-to-host read fail with
 * the error a driver would give, so that tests can show each such failure ends in a clean
 * error, without a leak, and leaves a context that keeps working.
 *
 *   CLEMBED_FAULT="enqueue:N,alloc:N,write:N,read:N"  any of them; read at the first call.
 *   clembed__fault_set(kind, n)                       the nth call from now (0: none).
 *
 * Calls are counted per kind over the whole process, from every thread; only the Nth
 * fails, those after it run again.  Without the variable the cost is one atomic add. */
#ifndef CLEMBED_RUNTIME_FAULT_H
#define CLEMBED_RUNTIME_FAULT_H

#include "runtime/device.h"

#include <stdint.h>

typedef enum clembed__fault_kind {
    CLEMBED__FAULT_ENQUEUE, /* clEnqueueNDRangeKernel: CL_OUT_OF_RESOURCES */
    CLEMBED__FAULT_ALLOC,   /* clCreateBuffer: CL_MEM_OBJECT_ALLOCATION_FAILURE */
    CLEMBED__FAULT_WRITE,   /* clEnqueueWriteBuffer: CL_OUT_OF_RESOURCES */
    CLEMBED__FAULT_READ,    /* clEnqueueReadBuffer: CL_OUT_OF_RESOURCES */
    CLEMBED__N_FAULTS
} clembed__fault_kind;

/* Counts a call of `kind`: CL_SUCCESS, or the error it is to fail with instead. */
cl_int clembed__fault(clembed__fault_kind kind);
/* Tests: the nth call of `kind` from now fails (0: none). */
void clembed__fault_set(clembed__fault_kind kind, uint64_t nth);
/* Tests: calls of `kind` counted so far. */
uint64_t clembed__fault_calls(clembed__fault_kind kind);

/* The OpenCL calls the switch reaches, as the encoder makes them. */
cl_mem clembed__create_buffer(cl_context ctx, cl_mem_flags flags, size_t size, void *host, cl_int *err);
cl_int clembed__enqueue_write(cl_command_queue q, cl_mem mem, size_t size, const void *ptr, cl_event *ev);
cl_int clembed__enqueue_read(cl_command_queue q, cl_mem mem, size_t size, void *ptr, cl_event *ev);

#endif
