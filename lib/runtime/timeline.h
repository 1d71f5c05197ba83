/* Internal to libclembed: device time per op, from profiling events, with the host clock
 * standing in for drivers whose events carry no real timestamps. */
#ifndef CLEMBED_TIMELINE_H
#define CLEMBED_TIMELINE_H

#include "core/internal.h"

#include <CL/cl.h>
#include <stdint.h>

/* Op numbers a timeline sums at most. */
#define CLEMBED__TIMELINE_MAX_OPS 32

typedef struct clembed__timeline {
    const char *label;                           /* the device, for messages */
    double      seconds[CLEMBED__TIMELINE_MAX_OPS];
    uint64_t    calls[CLEMBED__TIMELINE_MAX_OPS];
    double      flops[CLEMBED__TIMELINE_MAX_OPS];   /* the work the ops had to do */
    double      bytes[CLEMBED__TIMELINE_MAX_OPS];
    struct clembed__timed {                      /* pending events of the current batch */
        int      op;
        cl_event a, b;                           /* a kernel's event; or markers around several */
    } *events;
    size_t n_events, cap_events;
    int    host_timing;                          /* 1: no timestamps; ops timed on the host */
    double host_t0;                              /* host timing: when the previous op finished */
} clembed__timeline;

/* Seconds between an event's start and end; -1 when its stamps are not there. */
double clembed__event_seconds(cl_event ev);

/* A batch begins: host timing counts from now. */
void clembed__timeline_begin(clembed__timeline *tl);

/* Keeps the events (taking ownership) to be read after the batch.  With b
 * NULL the op's time is a's run time, else the time between the ends of
 * markers a and b.  Under host timing it waits for q and times the op here. */
clembed_status clembed__timeline_track(clembed__timeline *tl, cl_command_queue q, int op, cl_event a,
                                       cl_event b);

/* Counts the work an op had to do: its roofline, with the device's peaks. */
static inline void clembed__timeline_work(clembed__timeline *tl, int op, double flops, double bytes)
{
    if (op >= 0 && op < CLEMBED__TIMELINE_MAX_OPS) {
        tl->flops[op] += flops;
        tl->bytes[op] += bytes;
    }
}

/* Adds `seconds` the host measured itself (an op run on the host) to op; under host timing the
 * next op's time starts now. */
void clembed__timeline_add(clembed__timeline *tl, int op, double seconds);

/* Waits for q and adds the pending events' times to the op totals.  The
 * first batch whose events all read zero switches the timeline to host
 * timing (Mesa's rusticl 22 stamps commands 0, 1, 2, 3 nanoseconds). */
clembed_status clembed__timeline_collect(clembed__timeline *tl, cl_command_queue q);

/* Releases pending events and frees the timeline's memory. */
void clembed__timeline_release(clembed__timeline *tl);

#endif
