/* The tuner's run: budget, stages (probe, op search, GEMM search), progress, checkpoints and
 * resume.  No file or terminal I/O: clembed-tune does it. */
#define _POSIX_C_SOURCE 200809L
#include "encoder/encoder.h"
#include "tune/tune.h"
#include "core/util.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BUDGET_S 150.0

const clembed__tune_backend clembed__tune_default_backend = {
    clembed__kernels,       0 /* set at run time: clembed__n_kernels is not a constant */,
    clembed__op_shapes,     clembed__op_bench_new,   clembed__op_bench_run,
    clembed__op_bench_bytes, clembed__op_bench_flops, clembed__op_bench_free,
};

void clembed_tune_params_init(clembed_tune_params *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->size = sizeof *p;
    p->budget_s = DEFAULT_BUDGET_S;
    p->stages = CLEMBED_TUNE_ALL;
}

static int emit_stage(clembed__tuner *t, const char *name)
{
    clembed_tune_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = CLEMBED_TUNE_STAGE;
    ev.message = name;
    return clembed__tuner_emit(t, &ev);
}

clembed_status clembed__tune(size_t device, const clembed_tune_params *params,
                             const clembed__tune_backend *backend, clembed__profile **out)
{
    if (!out)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_tune: NULL out");
    *out = NULL;
    clembed_tune_params p;
    clembed_tune_params_init(&p);
    if (params) {
        /* An older caller's smaller struct: its fields, defaults for the rest. */
        if (params->size < offsetof(clembed_tune_params, model) || params->size > 65536)
            return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_tune: params not set up with "
                                                          "clembed_tune_params_init()");
        memcpy(&p, params, params->size < sizeof p ? params->size : sizeof p);
        p.size = sizeof p;
    }
    if (!(p.budget_s > 0))
        p.budget_s = DEFAULT_BUDGET_S;
    if (!p.stages)
        p.stages = CLEMBED_TUNE_ALL;
    const clembed__device *dev = clembed__device_at(device);
    if (!dev)
        return clembed__fail(CLEMBED_ERR_NOT_FOUND, "no OpenCL device with index %zu (there are %zu)",
                             device, clembed_device_count());
    char why[512];
    if (p.resume && clembed_profile_match(p.resume, device, why, sizeof why) != CLEMBED_PROFILE_USED)
        return clembed__fail(CLEMBED_ERR_PROFILE, "the run to resume was measured elsewhere: %s", why);
    if (p.start && clembed_profile_match(p.start, device, why, sizeof why) == CLEMBED_PROFILE_FOREIGN)
        return clembed__fail(CLEMBED_ERR_PROFILE, "the starting profile is for other hardware: %s", why);

    clembed__tuner t;
    memset(&t, 0, sizeof t);
    t.dev = dev;
    t.gemm_clblast = clembed__gemm_uses_clblast(dev);
    t.params = &p;
    t.t0 = clembed__now();
    t.elapsed0 = p.resume ? clembed__profile_elapsed(p.resume) : 0;
    double left = p.budget_s - t.elapsed0;
    /* A resumed run that had used its budget still finishes what is cheap. */
    if (left < 0.1 * p.budget_s)
        left = 0.1 * p.budget_s;
    t.deadline = t.t0 + left;
    cl_int err;
    clembed_status rc = clembed__profile_new(dev, &t.prof);
    if (rc != CLEMBED_OK)
        return rc;
    t.ctx = clCreateContext(NULL, 1, &dev->id, NULL, NULL, &err);
    if (!t.ctx) {
        rc = clembed__cl_fail(err, "tuning '%s': creating a context", dev->info.name);
        goto done;
    }
    t.q = clCreateCommandQueue(t.ctx, dev->id, CL_QUEUE_PROFILING_ENABLE, &err);
    if (!t.q) {
        rc = clembed__cl_fail(err, "tuning '%s': creating a profiling queue", dev->info.name);
        goto done;
    }
    unsigned done_stages = 0;
    if (p.resume) {
        done_stages = clembed__profile_stages_done(p.resume);
        /* The resumed run's probe and finished GEMM search carry over; its op
         * entries are taken one by one as the search reaches them. */
        clembed_probe_result pr;
        if (clembed_profile_probe(p.resume, &pr) == CLEMBED_OK) {
            clembed__profile_set_probe(t.prof, &pr);
            t.wall_timing = !pr.event_timing;
        } else {
            done_stages &= ~(unsigned)CLEMBED_TUNE_PROBE;
        }
        clembed__errmsg_clear();
    }

    int quick = p.budget_s < 30;
    if ((p.stages & CLEMBED_TUNE_PROBE) && !(done_stages & CLEMBED_TUNE_PROBE) && !t.stopped) {
        emit_stage(&t, "probe");
        clembed_probe_result pr;
        rc = clembed__probe(t.ctx, t.q, dev, quick, &pr);
        if (rc != CLEMBED_OK)
            goto done;
        clembed__profile_set_probe(t.prof, &pr);
        t.wall_timing = !pr.event_timing;
        done_stages |= CLEMBED_TUNE_PROBE;
        clembed__profile_set_stages_done(t.prof, done_stages);
        clembed__tuner_checkpoint(&t);
    }
    clembed__profile_set_stages_done(t.prof, done_stages);

    /* GEMM and the ops share what is left.  GEMM goes first: it is most of
     * an encoder's time, and its builds are costly (up to a minute each for
     * CLBlast on a CPU), so it needs its part in one piece; the op search
     * makes good use of whatever it leaves. */
    int do_ops = (p.stages & CLEMBED_TUNE_OPS) && !(done_stages & CLEMBED_TUNE_OPS);
    int do_gemm = (p.stages & CLEMBED_TUNE_GEMM) && !(done_stages & CLEMBED_TUNE_GEMM);
    if (do_gemm && !t.gemm_clblast) {
        /* Here GEMMs run on the registry's kernel, which the op search tunes. */
        clembed__tuner_note(&t, "GEMMs run on clembed's own kernel on this device (CLEMBED_GEMM=clblast "
                                "would use CLBlast): the op search tunes it, CLBlast is left alone");
        do_gemm = 0;
        done_stages |= CLEMBED_TUNE_GEMM;
        clembed__profile_set_stages_done(t.prof, done_stages);
    }
    if (do_gemm && !t.stopped) {
        double now = clembed__now();
        double gemm_end = do_ops ? now + 0.5 * (t.deadline - now) : t.deadline;
        emit_stage(&t, "gemm");
        rc = clembed__tune_gemm(&t, gemm_end);
        if (rc != CLEMBED_OK)
            goto done;
        if (!t.stopped) {
            done_stages |= CLEMBED_TUNE_GEMM;
            clembed__profile_set_stages_done(t.prof, done_stages);
            clembed__tuner_checkpoint(&t);
        }
    }
    if (do_ops && !t.stopped) {
        emit_stage(&t, "ops");
        clembed__tune_backend be = *backend;
        if (backend == &clembed__tune_default_backend)
            be.n_kernels = clembed__n_kernels;
        /* A build that ran long in the GEMM stage does not starve the ops:
         * they keep a fifth of the budget. */
        double ops_end = t.deadline;
        if (ops_end < clembed__now() + 0.2 * p.budget_s)
            ops_end = clembed__now() + 0.2 * p.budget_s;
        rc = clembed__tune_ops(&t, &be, ops_end);
        if (rc != CLEMBED_OK)
            goto done;
        if (!t.stopped) {
            done_stages |= CLEMBED_TUNE_OPS;
            clembed__profile_set_stages_done(t.prof, done_stages);
            clembed__tuner_checkpoint(&t);
        }
    }
    /* Which GEMM provider is fastest at each GEMM shape, with the kernel's parameters the op
     * search found: a few seconds. */
    if ((p.stages & CLEMBED_TUNE_PROVIDERS) && !(done_stages & CLEMBED_TUNE_PROVIDERS) && !t.stopped) {
        emit_stage(&t, "providers");
        double end = t.deadline;
        if (end < clembed__now() + 0.1 * p.budget_s)
            end = clembed__now() + 0.1 * p.budget_s;
        rc = clembed__tune_providers(&t, end);
        if (rc != CLEMBED_OK)
            goto done;
        if (!t.stopped) {
            done_stages |= CLEMBED_TUNE_PROVIDERS;
            clembed__profile_set_stages_done(t.prof, done_stages);
            clembed__tuner_checkpoint(&t);
        }
    }
    /* What the resumed run and the starting profile knew beyond this run's
     * shapes stays: a later run for another model adds to the profile.  A
     * stale start's entries were measured on another stack: they seeded the
     * search but do not pass for measurements of this one. */
    if ((rc = clembed__profile_merge(t.prof, p.resume)) != CLEMBED_OK)
        goto done;
    if (p.start && clembed_profile_match(p.start, device, NULL, 0) == CLEMBED_PROFILE_USED &&
        (rc = clembed__profile_merge(t.prof, p.start)) != CLEMBED_OK)
        goto done;
    clembed__profile_set_elapsed(t.prof, clembed__tuner_elapsed(&t));
    clembed__profile_set_complete(t.prof, !t.stopped);
    if (!t.stopped) {
        t.done = 1;
        emit_stage(&t, "done");
    }
done:
    if (t.q)
        clReleaseCommandQueue(t.q);
    if (t.ctx)
        clReleaseContext(t.ctx);
    if (rc != CLEMBED_OK) {
        clembed__profile_free(t.prof);
        return rc;
    }
    *out = t.prof;
    return CLEMBED_OK;
}

clembed_status clembed_tune(size_t device, const clembed_tune_params *params, clembed_profile **out)
{
    return clembed__tune(device, params, &clembed__tune_default_backend, out);
}
