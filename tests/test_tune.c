/* The tuner's machinery on real devices: the search over registry parameters, the reference check
 * that rejects wrong candidates (one is wrong on purpose here), checkpoints, interruption and
 * resumption, and that what it chooses computes the same results as the defaults. */
#define _POSIX_C_SOURCE 200809L
#include "encoder/encoder.h"
#include "runtime/program.h"
#include "testdev.h"
#include "tune/tune.h"
#include "core/util.h"

#include <math.h>
#include <string.h>

/* ---- a harness over fill_f32 and copy_f32_vec, with a planted fault ----------- */

#define FAULTY_WG 32   /* copy_f32_vec "miscomputes" with this work-group size */

struct clembed__op_bench {
    cl_context ctx;
    cl_command_queue q;
    const clembed__device *dev;
    const clembed__kernel_def *k;
    size_t n;
    cl_mem dst, src;
    float *ref, *got, value;
};

static clembed__kernel_def kernels[2];

static size_t small_shapes(const clembed__kernel_def *k, const clembed_model *m, clembed__shape *out, size_t cap)
{
    (void)k;
    (void)m;
    static const clembed__shape s[] = {{64, 256, 0, 0, 0, 0}, {512, 256, 0, 0, 0, 0}};
    size_t n = cap < 2 ? cap : 2;
    memcpy(out, s, n * sizeof *s);
    return n;
}

static clembed_status fake_new(cl_context ctx, cl_command_queue q, const clembed__device *dev,
                               const clembed__kernel_def *k, const clembed__shape *shape, uint64_t seed,
                               clembed__op_bench **out)
{
    clembed__op_bench *b = calloc(1, sizeof *b);
    cl_int err;
    b->ctx = ctx;
    b->q = q;
    b->dev = dev;
    b->k = k;
    b->n = (size_t)shape->tokens * shape->hidden;
    b->ref = malloc(b->n * sizeof(float));
    b->got = malloc(b->n * sizeof(float));
    b->value = 1.5f + (float)(seed % 7);
    for (size_t i = 0; i < b->n; i++)
        b->ref[i] = strcmp(k->kernel, "fill_f32") == 0 ? b->value : (float)((i * 2654435761u + seed) % 1000) / 7.0f;
    b->dst = clCreateBuffer(ctx, CL_MEM_READ_WRITE, b->n * sizeof(float), NULL, &err);
    b->src = clCreateBuffer(ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, b->n * sizeof(float), b->ref, &err);
    *out = b;
    return b->dst && b->src ? CLEMBED_OK : clembed__cl_fail(err, "fake harness buffers");
}

static clembed_status fake_run(clembed__op_bench *b, const int *values, unsigned reps, double *times,
                               double *max_err)
{
    *max_err = INFINITY;
    if (b->k->valid && !b->k->valid(values, b->dev->info.max_work_group_size))
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "invalid set");
    int is_copy = strcmp(b->k->kernel, "copy_f32_vec") == 0;
    size_t vec = is_copy ? (size_t)values[1] : 1, wg = (size_t)values[0];
    if (b->n % vec)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "vector width does not divide the size");
    char opts[128];
    clembed__kernel_options(b->k, values, opts, sizeof opts);
    cl_program prog = NULL;
    clembed_status rc = clembed__program_build(b->ctx, b->dev, "common", opts, &prog, NULL);
    if (rc != CLEMBED_OK)
        return rc;
    cl_int err;
    cl_kernel k = clCreateKernel(prog, b->k->kernel, &err);
    cl_uint count = (cl_uint)(b->n / vec);
    size_t global = (count + wg - 1) / wg * wg;
    clSetKernelArg(k, 0, sizeof b->dst, &b->dst);
    if (is_copy) {
        clSetKernelArg(k, 1, sizeof b->src, &b->src);
        clSetKernelArg(k, 2, sizeof count, &count);
    } else {
        clSetKernelArg(k, 1, sizeof b->value, &b->value);
        clSetKernelArg(k, 2, sizeof count, &count);
    }
    float zero = 0;
    err = clEnqueueFillBuffer(b->q, b->dst, &zero, sizeof zero, 0, b->n * sizeof(float), 0, NULL, NULL);
    if (err == CL_SUCCESS)
        err = clEnqueueNDRangeKernel(b->q, k, 1, NULL, &global, &wg, 0, NULL, NULL);
    if (err == CL_SUCCESS)
        err = clEnqueueReadBuffer(b->q, b->dst, CL_TRUE, 0, b->n * sizeof(float), b->got, 0, NULL, NULL);
    if (err != CL_SUCCESS) {
        clReleaseKernel(k);
        clReleaseProgram(prog);
        return clembed__cl_fail(err, "fake harness run");
    }
    if (is_copy && wg == FAULTY_WG)
        b->got[b->n / 2] += 1.0f;
    double worst = 0;
    for (size_t i = 0; i < b->n; i++) {
        double e = fabs((double)b->got[i] - b->ref[i]);
        worst = e > worst ? e : worst;
    }
    *max_err = worst;
    if (worst > 0) {
        clReleaseKernel(k);
        clReleaseProgram(prog);
        return clembed__fail(CLEMBED_ERR_MISMATCH, "%s: an element is off by %g", b->k->kernel, worst);
    }
    for (unsigned r = 0; r < reps && err == CL_SUCCESS; r++) {
        cl_event ev;
        err = clEnqueueNDRangeKernel(b->q, k, 1, NULL, &global, &wg, 0, NULL, &ev);
        if (err != CL_SUCCESS)
            break;
        clWaitForEvents(1, &ev);
        cl_ulong t0 = 0, t1 = 0;
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
        times[r] = 1e-9 * (double)(t1 - t0);
        if (times[r] <= 0)
            times[r] = 1e-9;
        clReleaseEvent(ev);
    }
    clReleaseKernel(k);
    clReleaseProgram(prog);
    return err == CL_SUCCESS ? CLEMBED_OK : clembed__cl_fail(err, "fake harness timing");
}

static double fake_bytes(const clembed__op_bench *b)
{
    return (double)b->n * 8;
}

static double fake_flops(const clembed__op_bench *b)
{
    (void)b;
    return 0;
}

static void fake_free(clembed__op_bench *b)
{
    if (!b)
        return;
    clReleaseMemObject(b->dst);
    clReleaseMemObject(b->src);
    free(b->ref);
    free(b->got);
    free(b);
}

static clembed__tune_backend fake_backend(void)
{
    kernels[0] = *clembed__kernel_find("fill_f32");
    kernels[1] = *clembed__kernel_find("copy_f32_vec");
    clembed__tune_backend be = {kernels, 2, small_shapes, fake_new, fake_run, fake_bytes, fake_flops, fake_free};
    return be;
}

/* ---- what the callbacks see ------------------------------------------------------ */

typedef struct seen {
    unsigned results, rejected_faulty, skipped, stages, checkpoints, out_of_time;
    int stop_after_results;         /* ask to stop after this many results; 0 = never */
    char *last_checkpoint;
} seen;

static int on_event(const clembed_tune_event *ev, void *user)
{
    seen *s = user;
    if (ev->kind == CLEMBED_TUNE_RESULT)
        s->results++;
    if (ev->kind == CLEMBED_TUNE_REJECTED && ev->params && strstr(ev->params, "WG=32") &&
        strstr(ev->message, "does not match"))
        s->rejected_faulty++;
    if (ev->kind == CLEMBED_TUNE_SKIPPED)
        s->skipped++;
    if (ev->kind == CLEMBED_TUNE_STAGE)
        s->stages++;
    if (ev->kind == CLEMBED_TUNE_NOTE && strstr(ev->message, "the budget ran out"))
        s->out_of_time++;
    return s->stop_after_results && s->results >= (unsigned)s->stop_after_results;
}

static void on_checkpoint(const clembed_profile *p, void *user)
{
    seen *s = user;
    s->checkpoints++;
    free(s->last_checkpoint);
    s->last_checkpoint = NULL;
    clembed_profile_to_json(p, &s->last_checkpoint);
}

/* The fake harness's search ends when its few sets are measured, well
 * within a generous budget even under valgrind. */
static void init_params(clembed_tune_params *tp, seen *s, double budget)
{
    clembed_tune_params_init(tp);
    tp->budget_s = budget;
    tp->stages = CLEMBED_TUNE_OPS;
    tp->progress = on_event;
    tp->progress_user = s;
    tp->checkpoint = on_checkpoint;
    tp->checkpoint_user = s;
}

/* The chosen set of every entry, run again on other inputs: it must pass
 * the same check (the tuned choice never changes results). */
static int recheck(const clembed__device *dev, cl_context ctx, cl_command_queue q, const clembed__tune_backend *be,
                   const clembed_profile *p, unsigned *n_checked)
{
    int good = 1;
    *n_checked = 0;
    for (size_t i = 0; i < be->n_kernels; i++) {
        const clembed__kernel_def *k = &be->kernels[i];
        clembed__shape shapes[8];
        size_t ns = be->shapes(k, NULL, shapes, 8);
        for (size_t j = 0; j < ns; j++) {
            const clembed__profile_entry *e = clembed__profile_find(p, k->kernel, &shapes[j]);
            if (!e)
                continue;
            int v[CLEMBED_MAX_PARAMS] = {0};
            for (size_t a = 0; a < clembed__kernel_n_params(k); a++) {
                v[a] = k->params[a].def;
                for (size_t b = 0; b < e->n_params; b++)
                    if (strcmp(e->pnames[b], k->params[a].name) == 0)
                        v[a] = e->pvalues[b];
            }
            clembed__op_bench *b = NULL;
            double t[3], err = 0;
            clembed_status rc = be->bench_new(ctx, q, dev, k, &shapes[j], 977, &b);
            if (rc == CLEMBED_OK)
                rc = be->bench_run(b, v, 3, t, &err);
            if (rc != CLEMBED_OK) {
                diag("  %s at %s with %s: %s", k->kernel, e->shape_str, e->params_str, clembed_errmsg());
                good = 0;
            }
            be->bench_free(b);
            (*n_checked)++;
        }
    }
    return good;
}

static void test_fake(size_t index)
{
    const clembed__device *dev = clembed__device_at(index);
    clembed__tune_backend be = fake_backend();
    seen s;
    memset(&s, 0, sizeof s);
    clembed_tune_params tp;
    init_params(&tp, &s, 600);
    clembed_profile *p = NULL;
    clembed_status rc = clembed__tune(index, &tp, &be, &p);
    ok(rc == CLEMBED_OK && p, "%s: tuning fill and copy works (%s)", dev->info.name, clembed_errmsg());
    if (!p)
        return;
    is_int(clembed_profile_result_count(p), 4, "an entry per kernel and shape");
    ok(clembed_profile_complete(p), "the profile is complete");
    int valid = 1, faulty_chosen = 0, logged = 0;
    for (size_t i = 0; i < clembed_profile_result_count(p); i++) {
        clembed_tune_result r;
        clembed_profile_result(p, i, &r);
        const clembed__kernel_def *k = clembed__kernel_find(r.kernel);
        int v[CLEMBED_MAX_PARAMS] = {0};
        sscanf(r.params, "WG=%d VEC=%d", &v[0], &v[1]);
        if (!k || (k->valid && !k->valid(v, dev->info.max_work_group_size)))
            valid = 0;
        if (strcmp(r.kernel, "copy_f32_vec") == 0) {
            faulty_chosen |= v[0] == FAULTY_WG;
            logged += r.rejected > 0;
        }
        ok(r.tuned_s > 0 && r.default_s > 0 && r.candidates >= 1, "%s at %s: %s, %g s (defaults %g s)", r.kernel,
           r.shape, r.params, r.tuned_s, r.default_s);
    }
    ok(valid, "every chosen set is valid for the registry");
    ok(!faulty_chosen, "the set that fails its check is never chosen");
    ok(s.rejected_faulty > 0, "its rejection is reported as it happens (%u times)", s.rejected_faulty);
    ok(logged >= 1, "and logged in the copy entries that tried it (%d)", logged);
    char *json = NULL;
    clembed_profile_to_json(p, &json);
    ok(json && strstr(json, "WG=32 VEC=") && strstr(json, "does not match the reference"),
       "the profile records what was rejected and why");
    ok(s.checkpoints >= 4, "a checkpoint after each entry (%u)", s.checkpoints);
    clembed_profile *cp = NULL;
    ok(s.last_checkpoint && clembed_profile_parse(s.last_checkpoint, strlen(s.last_checkpoint), &cp) == CLEMBED_OK,
       "the last checkpoint parses");
    clembed_profile_free(cp);
    unsigned n_checked = 0;
    cl_context ctx;
    cl_command_queue q;
    if (test_queue(dev, &ctx, &q)) {
        cl_int err;
        cl_command_queue pq = clCreateCommandQueue(ctx, dev->id, CL_QUEUE_PROFILING_ENABLE, &err);
        int good = pq && recheck(dev, ctx, pq, &be, p, &n_checked);
        ok(good && n_checked == 4, "the chosen sets pass the check on other inputs (%u checked)", n_checked);
        if (pq)
            clReleaseCommandQueue(pq);
        clReleaseCommandQueue(q);
        clReleaseContext(ctx);
    }
    free(json);

    /* Interrupted after the first result, then resumed. */
    seen s1;
    memset(&s1, 0, sizeof s1);
    s1.stop_after_results = 1;
    init_params(&tp, &s1, 600);
    clembed_profile *part = NULL;
    rc = clembed__tune(index, &tp, &be, &part);
    ok(rc == CLEMBED_OK && part && !clembed_profile_complete(part), "a stopped run returns an incomplete profile");
    is_int(clembed_profile_result_count(part), 1, "holding what it finished");
    char *pj = NULL;
    clembed_profile_to_json(part, &pj);
    clembed_profile *reread = NULL;
    ok(pj && clembed_profile_parse(pj, strlen(pj), &reread) == CLEMBED_OK && !clembed_profile_complete(reread),
       "which survives being written and read as a journal");
    seen s2;
    memset(&s2, 0, sizeof s2);
    init_params(&tp, &s2, 600);
    tp.resume = reread;
    clembed_profile *full = NULL;
    rc = clembed__tune(index, &tp, &be, &full);
    ok(rc == CLEMBED_OK && full && clembed_profile_complete(full), "the resumed run completes");
    is_int(s2.skipped, 1, "it takes the finished entry over without measuring it");
    is_int(clembed_profile_result_count(full), 4, "and does the rest");
    clembed_tune_result a, b;
    int same = 0;
    if (clembed_profile_result(reread, 0, &a) == CLEMBED_OK)
        for (size_t i = 0; full && i < clembed_profile_result_count(full); i++)
            if (clembed_profile_result(full, i, &b) == CLEMBED_OK && strcmp(a.kernel, b.kernel) == 0 &&
                strcmp(a.shape, b.shape) == 0)
                same = strcmp(a.params, b.params) == 0 && a.tuned_s == b.tuned_s && a.default_s == b.default_s;
    ok(same, "the resumed entry is kept as measured");

    /* A journal from other hardware is refused, not mixed in. */
    char *foreign = pj ? clembed__strdup(pj) : NULL;
    char *name = foreign ? strstr(foreign, "\"name\":\t\"") : NULL;
    if (name)
        name[9] = name[9] == 'X' ? 'Y' : 'X';
    clembed_profile *fp = NULL;
    if (foreign)
        clembed_profile_parse(foreign, strlen(foreign), &fp);
    init_params(&tp, &s2, 600);
    tp.resume = fp;
    clembed_profile *none = NULL;
    rc = clembed__tune(index, &tp, &be, &none);
    ok(fp && rc == CLEMBED_ERR_PROFILE && !none && strstr(clembed_errmsg(), "measured elsewhere"),
       "resuming a run from other hardware fails: %s", clembed_errmsg());
    clembed_profile_free(fp);
    free(foreign);
    free(pj);
    clembed_profile_free(reread);
    clembed_profile_free(part);
    clembed_profile_free(full);
    clembed_profile_free(p);
    free(s.last_checkpoint);
    free(s1.last_checkpoint);
    free(s2.last_checkpoint);
}

/* The real op harness, at small shapes: every registry kernel is tuned and
 * its chosen set gives results within the op's tolerance on other inputs. */
static size_t tiny_shapes(const clembed__kernel_def *k, const clembed_model *m, clembed__shape *out, size_t cap)
{
    (void)m;
    clembed__shape s = {64, 64, 2, 16, 4, 128};
    if (strcmp(k->op, "l2norm") == 0)
        s.tokens = s.batch;
    if (cap)
        out[0] = s;
    return cap ? 1 : 0;
}

static void test_real(size_t index)
{
    const clembed__device *dev = clembed__device_at(index);
    clembed__tune_backend be = clembed__tune_default_backend;
    be.n_kernels = clembed__n_kernels;
    be.shapes = tiny_shapes;
    seen s;
    memset(&s, 0, sizeof s);
    clembed_tune_params tp;
    init_params(&tp, &s, 8);
    clembed_profile *p = NULL;
    clembed_status rc = clembed__tune(index, &tp, &be, &p);
    ok(rc == CLEMBED_OK && p, "%s: the registry kernels tune at small shapes (%s)", dev->info.name,
       clembed_errmsg());
    if (!p)
        return;
    /* Where CLBlast runs the GEMMs, the gemm kernel is not tuned. */
    size_t got = clembed_profile_result_count(p);
    size_t want = clembed__n_kernels - (clembed__gemm_uses_clblast(dev) ? 1 : 0);
    if (got == want)
        ok(1, "an entry for every registry kernel that runs on this device (%zu)", want);
    else
        ok(got >= 1 && s.out_of_time == 1,
           "%zu of %zu kernels tuned before the budget ran out (a slow machine), and that is reported", got,
           want);
    int good = 1;
    unsigned checked = 0;
    cl_context ctx;
    cl_command_queue q;
    if (test_queue(dev, &ctx, &q)) {
        cl_int err;
        cl_command_queue pq = clCreateCommandQueue(ctx, dev->id, CL_QUEUE_PROFILING_ENABLE, &err);
        for (size_t i = 0; i < clembed__n_kernels && pq; i++) {
            const clembed__kernel_def *k = &clembed__kernels[i];
            clembed__shape shape;
            tiny_shapes(k, NULL, &shape, 1);
            int v[CLEMBED_MAX_PARAMS];
            clembed__profile_params(p, k, &shape, v);
            clembed__op_bench *b = NULL;
            double t[3], e = 0;
            rc = clembed__op_bench_new(ctx, pq, dev, k, &shape, 12345, &b);
            if (rc == CLEMBED_OK)
                rc = clembed__op_bench_run(b, v, 3, t, &e);
            if (rc != CLEMBED_OK) {
                diag("  %s: %s", k->kernel, clembed_errmsg());
                good = 0;
            }
            checked++;
            clembed__op_bench_free(b);
        }
        if (pq)
            clReleaseCommandQueue(pq);
        clReleaseCommandQueue(q);
        clReleaseContext(ctx);
    }
    ok(good && checked == clembed__n_kernels,
       "the runtime's choice from the profile passes the reference check on other inputs (%u kernels)", checked);
    clembed_profile_free(p);
    free(s.last_checkpoint);
}

int main(void)
{
    size_t idx[8];
    size_t n = test_devices(idx, 8);
    for (size_t i = 0; i < n; i++) {
        test_fake(idx[i]);
        test_real(idx[i]);
    }
    return done_testing();
}
