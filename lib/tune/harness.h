/* Internal to libclembed: runnable instances of registry kernels on a shape, with a host reference.
 * The encoder's tests, the tuner and the benchmarks all use these. */
#ifndef CLEMBED_OPS_H
#define CLEMBED_OPS_H

#include "model/model.h"
#include "runtime/device.h"
#include "runtime/kernels.h"

#include <stdint.h>

typedef struct clembed__op_bench clembed__op_bench;

/* Sets up inputs from `seed` for kernel k at `shape` on a context whose queue
 * q has profiling enabled, and computes the host reference output. */
clembed_status clembed__op_bench_new(cl_context ctx, cl_command_queue q, const clembed__device *dev,
                                     const clembed__kernel_def *k, const clembed__shape *shape,
                                     uint64_t seed, clembed__op_bench **out);

/* Builds the kernel with parameter `values` (NULL: the defaults), runs it once
 * and compares with the reference: *max_err is the largest error relative to
 * the op's tolerance scale; above tolerance the result is CLEMBED_ERR_MISMATCH
 * and nothing is timed.  Then times `reps` runs (event profiling) into
 * times[0..reps-1] in seconds.  An invalid parameter set gives
 * CLEMBED_ERR_INVALID_ARG, a failed build CLEMBED_ERR_BUILD. */
clembed_status clembed__op_bench_run(clembed__op_bench *b, const int *values, unsigned reps,
                                     double *times, double *max_err);

/* For a GEMM bench (the registry's gemm kernel): runs GEMM provider `provider` (encoder.h's
 * CLEMBED__GP_*) on the same inputs, the kernel provider with `values` (NULL: defaults), checks
 * it against the reference as op_bench_run does, then times `reps` runs on the wall clock with
 * the queue drained (a host BLAS runs on the host).  CLEMBED_ERR_UNSUPPORTED where the provider
 * does not run on the device. */
clembed_status clembed__op_bench_run_provider(clembed__op_bench *b, int provider, const int *values,
                                              unsigned reps, double *times, double *max_err);

/* Bytes the op must move and floating-point operations it must do: its roofline. */
double clembed__op_bench_bytes(const clembed__op_bench *b);
double clembed__op_bench_flops(const clembed__op_bench *b);
void clembed__op_bench_free(clembed__op_bench *b);

/* The shapes kernel k runs at for model m, or standard buckets of common
 * models when m is NULL; returns the count (at most cap written). */
size_t clembed__op_shapes(const clembed__kernel_def *k, const clembed_model *m, clembed__shape *out,
                          size_t cap);

#endif
