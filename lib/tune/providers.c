/* The GEMM provider stage: at each GEMM shape of the model (or of common models), every provider
 * the device runs (clembed's kernel with the op search's parameters, CLBlast where it is the
 * device's default or asked for, a host BLAS where the device shares the host's memory), each
 * checked against the op harness's reference before it is timed, on the wall clock with the
 * queue drained: a host BLAS's time is the host's.  Each result is a profile entry of op
 * "gemm_provider" named after the provider; the runtime runs the fastest at the nearest shape. */
#include "encoder/encoder.h"
#include "tune/tune.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

#define MAX_SHAPES 32
#define REPS 5

/* Whether the stage tries provider p on t's device: CLBlast only where it already runs GEMMs (its
 * first builds take minutes on a CPU driver). */
static int worth_trying(const clembed__tuner *t, int p)
{
    if (!clembed__gemm_provider_available(p, t->dev))
        return 0;
    if (p == CLEMBED__GP_CLBLAST)
        return clembed__gemm_uses_clblast(t->dev);
    return 1;
}

clembed_status clembed__tune_providers(clembed__tuner *t, double deadline)
{
    const clembed__kernel_def *k = clembed__kernel_find("gemm_nn_f32");
    clembed__shape shapes[MAX_SHAPES];
    size_t ns = clembed__op_shapes(k, t->params->model, shapes, MAX_SHAPES);
    clembed_status rc = CLEMBED_OK;
    clembed_probe_result pr;
    int have_probe = clembed_profile_probe(t->prof, &pr) == CLEMBED_OK;
    clembed__errmsg_clear();
    for (size_t i = 0; i < ns && !t->stopped && clembed__now() < deadline; i++) {
        clembed__op_bench *b = NULL;
        char shape[128];
        clembed__shape_string(&shapes[i], shape, sizeof shape);
        if ((rc = clembed__op_bench_new(t->ctx, t->q, t->dev, k, &shapes[i], 0, &b)) != CLEMBED_OK) {
            clembed__tuner_note(t, "GEMM providers at %s: %s", shape, clembed_errmsg());
            rc = CLEMBED_OK;
            continue;
        }
        int v[CLEMBED_MAX_PARAMS];
        if (clembed__profile_nearest(t->prof, k->kernel, &shapes[i])) {
            clembed__profile_params(t->prof, k, &shapes[i], v);
            clembed__kernel_fit(k, v, &shapes[i], t->dev, 0);
        } else {
            clembed__kernel_defaults(k, t->dev, &shapes[i], 0, v);
        }
        for (int p = 0; p < CLEMBED__N_GP && !t->stopped; p++) {
            if (!worth_trying(t, p))
                continue;
            double times[REPS], err = 0;
            rc = clembed__op_bench_run_provider(b, p, v, REPS, times, &err);
            if (rc != CLEMBED_OK) {
                clembed__tuner_note(t, "GEMM provider %s at %s: %s", clembed__gemm_provider_name(p), shape,
                                    clembed_errmsg());
                rc = CLEMBED_OK;
                continue;
            }
            clembed__profile_entry e;
            memset(&e, 0, sizeof e);
            e.op = CLEMBED__PROFILE_GEMM_PROVIDER_OP;
            e.kernel = (char *)clembed__gemm_provider_name(p);
            e.shape = shapes[i];
            e.tuned_s = e.default_s = clembed__median(times, REPS);
            e.bytes = clembed__op_bench_bytes(b);
            e.flops = clembed__op_bench_flops(b);
            e.roofline_s = have_probe ? clembed__roofline(&pr, e.bytes, e.flops) : 0;
            e.max_err = err;
            e.candidates = 1;
            if ((rc = clembed__profile_put(t->prof, &e)) != CLEMBED_OK)
                break;
            clembed_tune_event ev;
            memset(&ev, 0, sizeof ev);
            ev.kind = CLEMBED_TUNE_RESULT;
            ev.op = CLEMBED__PROFILE_GEMM_PROVIDER_OP;
            ev.kernel = e.kernel;
            ev.shape = shape;
            ev.params = "";
            ev.seconds = ev.best_s = ev.default_s = e.tuned_s;
            clembed__tuner_emit(t, &ev);
        }
        clembed__op_bench_free(b);
        if (rc != CLEMBED_OK)
            break;
    }
    return rc;
}
