/* Every registry kernel against its double-precision host reference (the op
 * harness of lib/tune/harness.c), on every device: the defaults, every choice of each
 * parameter with the others at their defaults, several seeds, and shapes that
 * do not divide the work-group sizes. */
#include "runtime/launch.h"
#include "tune/harness.h"
#include "testdev.h"

#include <math.h>
#include <string.h>

static cl_context ctx;
static cl_command_queue queue;
static const clembed__device *dev;

/* Runs kernel k at shape s with values (NULL: defaults) and seed; returns a TAP result. */
static int check(const clembed__kernel_def *k, const clembed__shape *s, const int *values,
                 uint64_t seed, const char *label)
{
    clembed__op_bench *b = NULL;
    double t[2], err = 0;
    clembed_status rc = clembed__op_bench_new(ctx, queue, dev, k, s, seed, &b);
    if (rc == CLEMBED_OK)
        rc = clembed__op_bench_run(b, values, 2, t, &err);
    static const char *const stored[] = {"", ", half weights", ", bfloat16 weights"};
    int good = ok(rc == CLEMBED_OK && err <= 1.0 && t[0] >= 0, "%s: %s %s%s seed %llu: error %.3g of "
                  "tolerance", dev->info.name, k->kernel, label, stored[s->wdtype % 3],
                  (unsigned long long)seed, err);
    if (!good)
        diag("  %s: %s", clembed_strerror(rc), clembed_errmsg());
    clembed__op_bench_free(b);
    return good;
}

static void test_kernel(const clembed__kernel_def *k, const clembed__shape *s, unsigned seeds)
{
    for (uint64_t seed = 0; seed < seeds; seed++)
        check(k, s, NULL, seed, "defaults");
    size_t np = clembed__kernel_n_params(k);
    for (size_t p = 0; p < np; p++)
        for (size_t c = 0; c < CLEMBED_MAX_CHOICES && k->params[p].choices[c]; c++) {
            int v[CLEMBED_MAX_PARAMS];
            const char *why;
            for (size_t i = 0; i < np; i++)
                v[i] = k->params[i].def;
            if (k->params[p].choices[c] == k->params[p].def)
                continue;
            v[p] = k->params[p].choices[c];
            char label[64];
            snprintf(label, sizeof label, "%s=%d", k->params[p].name, v[p]);
            if (!clembed__kernel_fits(k, v, s, dev, &why)) {
                skip("%s: %s %s does not fit: %s", dev->info.name, k->kernel, label, why);
                continue;
            }
            check(k, s, v, 100 + c, label);
        }
}

int main(void)
{
    size_t idx[16];
    size_t n = test_devices(idx, 16);
    (void)test_queue;   /* this test needs a profiling queue */
    /* Sizes chosen so that no dimension is a multiple of the work-group sizes. */
    const clembed__shape rows = {.tokens = 111, .hidden = 100, .seq = 37, .batch = 3, .inter = 80};
    const clembed__shape attn32 = {.tokens = 111, .hidden = 96, .heads = 3, .seq = 37, .batch = 3};
    const clembed__shape attn64 = {.tokens = 140, .hidden = 128, .heads = 2, .seq = 70, .batch = 2};
    const clembed__shape pool = {.tokens = 111, .hidden = 100, .seq = 37, .batch = 3};
    const clembed__shape l2 = {.tokens = 5, .hidden = 100, .batch = 5};
    const clembed__shape gemm_qkv = {.tokens = 37, .hidden = 96, .inter = 288};

    for (size_t d = 0; d < n; d++) {
        cl_int err;
        dev = clembed__device_at(idx[d]);
        ctx = clCreateContext(NULL, 1, &dev->id, NULL, NULL, &err);
        queue = ctx ? clCreateCommandQueue(ctx, dev->id, CL_QUEUE_PROFILING_ENABLE, &err) : NULL;
        if (!ok(queue != NULL, "%s: context and profiling queue", dev->info.name))
            continue;
        for (size_t i = 0; i < clembed__n_kernels; i++) {
            const clembed__kernel_def *k = &clembed__kernels[i];
            if (strcmp(k->op, "attention") == 0) {
                /* seeds 0..3: BERT's, grouped heads and causal, a window and a position bias,
                 * unscaled and causal with a window behind */
                test_kernel(k, &attn32, 4);
                for (uint64_t seed = 4; seed < 8; seed++)
                    check(k, &attn64, NULL, seed, "defaults, head size 64");
            } else if (strcmp(k->op, "qk_prep") == 0) {
                /* seeds 0..3: bias, a per-head norm, rotary, all three on part of the head */
                test_kernel(k, &attn32, 4);
                for (uint64_t seed = 4; seed < 8; seed++)
                    check(k, &attn64, NULL, seed, "defaults, head size 64");
            } else if (strcmp(k->op, "embeddings") == 0 || strcmp(k->op, "add_layernorm") == 0) {
                test_kernel(k, &rows, 4);   /* seeds 0..3: what is added and which norm */
            } else if (strcmp(k->op, "bias_act") == 0 || strcmp(k->op, "glu") == 0) {
                test_kernel(k, &rows, 7);   /* seeds 0..6: every activation */
            } else if (strcmp(k->op, "pooling") == 0) {
                test_kernel(k, &pool, 4);   /* prompt skips 0..3 */
            } else if (strcmp(k->op, "l2norm") == 0) {
                test_kernel(k, &l2, 4);     /* normalize or not, full or truncated */
            } else if (strcmp(k->op, "gemm") == 0) {
                test_kernel(k, &rows, 2);   /* 111 x 80 x 100, with and without a bias */
                check(k, &gemm_qkv, NULL, 3, "defaults, 37 x 288 x 96");
            } else {
                test_kernel(k, &rows, 2);
            }
            /* Weights stored as half and as bfloat16: every parameter choice once. */
            for (uint32_t wdt = CLEMBED__WDT_F16; k->wdtype && wdt <= CLEMBED__WDT_BF16; wdt++) {
                clembed__shape s16 = rows;
                s16.wdtype = wdt;
                test_kernel(k, &s16, 2);
            }
        }

        /* Shape constraints are enforced, not trusted. */
        const clembed__kernel_def *act = clembed__kernel_find("bias_act_f32");
        clembed__shape odd = rows;
        odd.inter = 81;
        int v[CLEMBED_MAX_PARAMS] = {64, 4};
        clembed__op_bench *b = NULL;
        double t, e;
        clembed_status rc = clembed__op_bench_new(ctx, queue, dev, act, &odd, 0, &b);
        if (rc == CLEMBED_OK)
            rc = clembed__op_bench_run(b, v, 1, &t, &e);
        is_int(rc, CLEMBED_ERR_INVALID_ARG, "%s: VEC=4 on rows of 81 is refused", dev->info.name);
        clembed__op_bench_free(b);
        b = NULL;
        int big[CLEMBED_MAX_PARAMS] = {1 << 20};
        rc = clembed__op_bench_new(ctx, queue, dev, clembed__kernel_find("pooling_f32"), &pool, 0, &b);
        if (rc == CLEMBED_OK)
            rc = clembed__op_bench_run(b, big, 1, &t, &e);
        is_int(rc, CLEMBED_ERR_INVALID_ARG, "%s: a work-group beyond the device's is refused",
               dev->info.name);
        clembed__op_bench_free(b);

        clembed__shape shapes[64];
        size_t ns = clembed__op_shapes(clembed__kernel_find("attention_f32"), NULL, shapes, 64);
        int shapes_ok = ns > 0;
        for (size_t i = 0; i < ns; i++)
            shapes_ok &= shapes[i].tokens == shapes[i].batch * shapes[i].seq &&
                         shapes[i].hidden % shapes[i].heads == 0;
        ok(shapes_ok, "standard attention shapes are consistent (%zu)", ns);

        clReleaseCommandQueue(queue);
        clReleaseContext(ctx);
    }
    return done_testing();
}
