/* Device time per op (see timeline.h). */
#include "runtime/timeline.h"
#include "core/util.h"
#include "runtime/device.h"

#include <stdlib.h>

double clembed__event_seconds(cl_event ev)
{
    cl_ulong a = 0, b = 0;
    if (clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof a, &a, NULL) != CL_SUCCESS ||
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof b, &b, NULL) != CL_SUCCESS || b < a)
        return -1;
    return 1e-9 * (double)(b - a);
}

static double stamp(cl_event e, cl_profiling_info what)
{
    cl_ulong t = 0;
    clGetEventProfilingInfo(e, what, sizeof t, &t, NULL);
    return 1e-9 * (double)t;
}

static void release_pair(cl_event a, cl_event b)
{
    clReleaseEvent(a);
    if (b)
        clReleaseEvent(b);
}

void clembed__timeline_begin(clembed__timeline *tl)
{
    tl->host_t0 = clembed__now();
}

clembed_status clembed__timeline_track(clembed__timeline *tl, cl_command_queue q, int op, cl_event a,
                                       cl_event b)
{
    if (op < 0 || op >= CLEMBED__TIMELINE_MAX_OPS) {
        release_pair(a, b);
        return clembed__fail(CLEMBED_ERR_INTERNAL, "op %d outside the timeline", op);
    }
    if (tl->host_timing) {
        cl_int err = clFinish(q);
        double now = clembed__now();
        tl->seconds[op] += now - tl->host_t0;
        tl->calls[op]++;
        tl->host_t0 = now;
        release_pair(a, b);
        return err == CL_SUCCESS ? CLEMBED_OK : clembed__cl_fail(err, "%s: running the encoder", tl->label);
    }
    if (tl->n_events == tl->cap_events) {
        size_t cap = tl->cap_events ? 2 * tl->cap_events : 256;
        struct clembed__timed *grown = realloc(tl->events, cap * sizeof *grown);
        if (!grown) {
            release_pair(a, b);
            return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        }
        tl->events = grown;
        tl->cap_events = cap;
    }
    tl->events[tl->n_events++] = (struct clembed__timed){op, a, b};
    return CLEMBED_OK;
}

void clembed__timeline_add(clembed__timeline *tl, int op, double seconds)
{
    if (op < 0 || op >= CLEMBED__TIMELINE_MAX_OPS)
        return;
    tl->seconds[op] += seconds > 0 ? seconds : 0;
    tl->calls[op]++;
    tl->host_t0 = clembed__now();
}

clembed_status clembed__timeline_collect(clembed__timeline *tl, cl_command_queue q)
{
    cl_int err = clFinish(q);
    int stamped = 0;
    for (size_t i = 0; i < tl->n_events && err == CL_SUCCESS; i++)
        stamped |= !tl->events[i].b && stamp(tl->events[i].a, CL_PROFILING_COMMAND_END) -
                                            stamp(tl->events[i].a, CL_PROFILING_COMMAND_START) > 1e-6;
    if (tl->n_events && err == CL_SUCCESS && !stamped) {
        clembed__info("%s gives no event timestamps; ops are timed on the host from now on", tl->label);
        tl->host_timing = 1;
    }
    for (size_t i = 0; i < tl->n_events; i++) {
        struct clembed__timed *t = &tl->events[i];
        if (err == CL_SUCCESS && stamped) {
            double s = t->b ? stamp(t->b, CL_PROFILING_COMMAND_END) - stamp(t->a, CL_PROFILING_COMMAND_END)
                            : stamp(t->a, CL_PROFILING_COMMAND_END) - stamp(t->a, CL_PROFILING_COMMAND_START);
            tl->seconds[t->op] += s > 0 ? s : 0;
            tl->calls[t->op]++;
        }
        release_pair(t->a, t->b);
    }
    tl->n_events = 0;
    if (err != CL_SUCCESS)
        return clembed__cl_fail(err, "%s: running the encoder", tl->label);
    return CLEMBED_OK;
}

void clembed__timeline_release(clembed__timeline *tl)
{
    for (size_t i = 0; i < tl->n_events; i++)
        release_pair(tl->events[i].a, tl->events[i].b);
    free(tl->events);
    tl->events = NULL;
    tl->n_events = tl->cap_events = 0;
}
