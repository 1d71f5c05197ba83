/* Internal to libclembed: the tuner's parts (probe, op search, CLBlast GEMM search) and timing helpers. */
#ifndef CLEMBED_TUNE_H
#define CLEMBED_TUNE_H

#include "tune/harness.h"
#include "profile/profile.h"

/* The op harness the search runs on: harness.h's functions over the registry,
 * or a test's own harness. */
typedef struct clembed__tune_backend {
    const clembed__kernel_def *kernels;
    size_t n_kernels;
    size_t (*shapes)(const clembed__kernel_def *k, const clembed_model *m, clembed__shape *out,
                     size_t cap);
    clembed_status (*bench_new)(cl_context ctx, cl_command_queue q, const clembed__device *dev,
                                const clembed__kernel_def *k, const clembed__shape *shape,
                                uint64_t seed, clembed__op_bench **out);
    clembed_status (*bench_run)(clembed__op_bench *b, const int *values, unsigned reps,
                                double *times, double *max_err);
    double (*bytes)(const clembed__op_bench *b);
    double (*flops)(const clembed__op_bench *b);
    void (*bench_free)(clembed__op_bench *b);
} clembed__tune_backend;

/* harness.h over the registry (lib/tune/tune.c). */
extern const clembed__tune_backend clembed__tune_default_backend;

/* clembed_tune() with an explicit backend; the public function passes the default. */
clembed_status clembed__tune(size_t device, const clembed_tune_params *params,
                             const clembed__tune_backend *backend, clembed__profile **out);

/* ---- shared between the stages -------------------------------------------- */

typedef struct clembed__tuner clembed__tuner;

struct clembed__tuner {
    const clembed__device *dev;
    const clembed_tune_params *params;
    cl_context ctx;
    cl_command_queue q;             /* in order, profiling */
    clembed__profile *prof;         /* being built */
    double t0;                      /* monotonic start of this run */
    double elapsed0;                /* seconds the resumed run had spent */
    double deadline;                /* monotonic end of the whole budget */
    double done;                    /* fraction of planned work done */
    int stopped;                    /* the progress callback asked to stop */
    int wall_timing;                /* the driver's event times are not real: use the wall clock */
    int gemm_clblast;               /* GEMMs run on CLBlast here, else on the gemm kernel */
};

/* Seconds counted against the budget so far (resumed time included). */
double clembed__tuner_elapsed(const clembed__tuner *t);
/* Sends an event (elapsed, budget and done filled in); returns nonzero when
 * the caller asked to stop. */
int clembed__tuner_emit(clembed__tuner *t, clembed_tune_event *ev);
void clembed__tuner_note(clembed__tuner *t, const char *fmt, ...) CLEMBED_PRINTF(2, 3);
/* Saves the profile so far through the checkpoint callback. */
void clembed__tuner_checkpoint(clembed__tuner *t);

/* The probe on an existing context and profiling queue.  `quick` uses
 * smaller buffers and fewer repeats (short budgets, tests). */
clembed_status clembed__probe(cl_context ctx, cl_command_queue q, const clembed__device *dev, int quick,
                              clembed_probe_result *out);

/* The stages; each stops at `deadline` (monotonic seconds). */
clembed_status clembed__tune_ops(clembed__tuner *t, const clembed__tune_backend *be, double deadline);
clembed_status clembed__tune_gemm(clembed__tuner *t, double deadline);
clembed_status clembed__tune_providers(clembed__tuner *t, double deadline);

/* Least time for moving `bytes` and doing `flops` on what the probe measured; 0 when unknown. */
double clembed__roofline(const clembed_probe_result *pr, double bytes, double flops);

#endif
