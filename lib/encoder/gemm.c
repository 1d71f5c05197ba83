/* GEMM providers: one contract, C = act(A B + bias) row-major with B a weight stored [K, N],
 * and a row per provider that says where it runs and how:
 *   kernel   the registry's GEMM kernel, bias and activation fused in its store (CPU drivers);
 *   clblast  CLBlast's SGEMM, then bias_act (GPUs); CLBlast may run several kernels for one
 *            call and its event covers only the last, so its device time is taken between queue
 *            markers;
 *   blas     a host BLAS (OpenBLAS or BLIS, chosen at configure time) on the buffers mapped into
 *            the host's memory, where the device shares it (PoCL and llvmpipe on the CPU), then
 *            bias_act on the device.
 * A context picks one per GEMM of the encoder: CLEMBED_GEMM, else the profile's measurement,
 * else the device's kind (see clembed__gemm_provider_default). */
#define _POSIX_C_SOURCE 200809L
#include "encoder/encoder.h"
#include "core/util.h"
#include "config.h"

#include <clblast_c.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_CBLAS
#include <cblas.h>
#endif

static int on_gpu(const clembed__device *dev)
{
    return dev->info.type == CLEMBED_DEVICE_GPU || dev->info.type == CLEMBED_DEVICE_ACCELERATOR;
}

static int kernel_available(const clembed__device *dev)
{
    (void)dev;
    return 1;
}

/* A host BLAS reads and writes the device's buffers in place only where they are the host's memory:
 * a CPU device that shares it. */
static int blas_available(const clembed__device *dev)
{
#ifdef HAVE_CBLAS
    return dev->info.type == CLEMBED_DEVICE_CPU && dev->info.unified_memory;
#else
    (void)dev;
    return 0;
#endif
}

static const struct {
    const char *name;
    int (*available)(const clembed__device *dev);
} providers[CLEMBED__N_GP] = {
    [CLEMBED__GP_KERNEL] = {"kernel", kernel_available},
    [CLEMBED__GP_CLBLAST] = {"clblast", kernel_available},
    [CLEMBED__GP_BLAS] = {"blas", blas_available},
};

const char *clembed__gemm_provider_name(int p)
{
    return p >= 0 && p < CLEMBED__N_GP ? providers[p].name : "?";
}

int clembed__gemm_provider_find(const char *name)
{
    for (int p = 0; name && p < CLEMBED__N_GP; p++)
        if (strcmp(providers[p].name, name) == 0)
            return p;
    return -1;
}

int clembed__gemm_provider_available(int p, const clembed__device *dev)
{
    return p >= 0 && p < CLEMBED__N_GP && providers[p].available(dev);
}

int clembed__gemm_provider_default(const clembed__device *dev)
{
    if (on_gpu(dev))
        return CLEMBED__GP_CLBLAST;
    return blas_available(dev) ? CLEMBED__GP_BLAS : CLEMBED__GP_KERNEL;
}

int clembed__gemm_provider_env(const clembed__device *dev)
{
    const char *env = getenv("CLEMBED_GEMM");
    if (!env || !*env)
        return -1;
    int p = clembed__gemm_provider_find(env);
    char key[96];
    snprintf(key, sizeof key, "CLEMBED_GEMM|%s|%zu", env, dev->info.index);
    if (p < 0) {
        if (clembed__log_once(key))
            clembed__warn("CLEMBED_GEMM='%s' is not kernel, clblast or blas; ignored", env);
        return -1;
    }
    if (!clembed__gemm_provider_available(p, dev)) {
#ifdef HAVE_CBLAS
        static const char why[] = "a host BLAS runs only on CPU devices that share the host's memory";
#else
        static const char why[] = "this build has no host BLAS (configure --with-blas)";
#endif
        if (clembed__log_once(key))
            clembed__warn("CLEMBED_GEMM=%s: %s; ignored", env, why);
        return -1;
    }
    return p;
}

int clembed__gemm_uses_clblast(const clembed__device *dev)
{
    int p = clembed__gemm_provider_env(dev);
    return (p < 0 ? clembed__gemm_provider_default(dev) : p) == CLEMBED__GP_CLBLAST;
}

static clembed_status blast_fail(CLBlastStatusCode st, size_t m, size_t n, size_t k)
{
    if (st > -1000)   /* an OpenCL error code */
        return clembed__cl_fail((cl_int)st, "CLBlast SGEMM %zux%zux%zu", m, n, k);
    const char *what = st == CLBlastDatabaseError ? "no parameters for this device in its database"
                       : st == CLBlastInvalidLocalMemUsage ? "not enough local memory"
                       : st == CLBlastNotImplemented ? "not implemented"
                                                      : "error";
    return clembed__fail(CLEMBED_ERR_OPENCL, "CLBlast SGEMM %zux%zux%zu: %s (%d)", m, n, k, what,
                         (int)st);
}

static clembed_status gemm_clblast(const clembed__gemm_call *g, clembed__timeline *tl, int op)
{
    cl_event before = NULL, after = NULL;
    cl_command_queue q = g->q;
    cl_int err;
    if (tl && (err = clEnqueueMarkerWithWaitList(q, 0, NULL, &before)) != CL_SUCCESS)
        return clembed__cl_fail(err, "clEnqueueMarkerWithWaitList");
    CLBlastStatusCode st = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, g->m, g->n,
                                        g->k, 1.0f, g->a, 0, g->k, g->b, 0, g->n, 0.0f, g->c, 0, g->n, &q, NULL);
    if (st != CLBlastSuccess) {
        if (before)
            clReleaseEvent(before);
        return blast_fail(st, g->m, g->n, g->k);
    }
    if (!tl)
        return CLEMBED_OK;
    if ((err = clEnqueueMarkerWithWaitList(q, 0, NULL, &after)) != CL_SUCCESS) {
        clReleaseEvent(before);
        return clembed__cl_fail(err, "clEnqueueMarkerWithWaitList");
    }
    return clembed__timeline_track(tl, q, op, before, after);
}

#ifdef HAVE_CBLAS
/* Maps n bytes of buffer m for the host (blocking: the commands before it have finished). */
static void *map(cl_command_queue q, cl_mem m, cl_map_flags flags, size_t bytes, cl_int *err)
{
    return clEnqueueMapBuffer(q, m, CL_TRUE, flags, 0, bytes, 0, NULL, NULL, err);
}

static clembed_status gemm_blas(const clembed__gemm_call *g, clembed__timeline *tl, int op)
{
    const size_t m = g->m, n = g->n, k = g->k;
    cl_command_queue q = g->q;
    cl_int err = CL_SUCCESS;
    /* Timed: the ops before it finish first, so that their time is not counted here. */
    if (tl && (err = clFinish(q)) != CL_SUCCESS)
        return clembed__cl_fail(err, "%s: before a host BLAS GEMM", g->dev->info.name);
    double t0 = clembed__now();
    float *pa = map(q, g->a, CL_MAP_READ, m * k * sizeof(float), &err);
    float *pb = pa ? map(q, g->b, CL_MAP_READ, k * n * sizeof(float), &err) : NULL;
    float *pc = pb ? map(q, g->c, CL_MAP_WRITE_INVALIDATE_REGION, m * n * sizeof(float), &err) : NULL;
    if (pc)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0f, pa, (int)k, pb,
                    (int)n, 0.0f, pc, (int)n);
    cl_int e2 = CL_SUCCESS;
    if (pc)
        e2 = clEnqueueUnmapMemObject(q, g->c, pc, 0, NULL, NULL);
    if (pb && e2 == CL_SUCCESS)
        e2 = clEnqueueUnmapMemObject(q, g->b, pb, 0, NULL, NULL);
    if (pa && e2 == CL_SUCCESS)
        e2 = clEnqueueUnmapMemObject(q, g->a, pa, 0, NULL, NULL);
    if (!pc || e2 != CL_SUCCESS)
        return clembed__cl_fail(pc ? e2 : err, "%s: mapping the buffers of a host BLAS GEMM %zux%zux%zu",
                                g->dev->info.name, m, n, k);
    if (tl)
        clembed__timeline_add(tl, op, clembed__now() - t0);
    return CLEMBED_OK;
}
#endif

clembed_status clembed__gemm_run(int provider, const clembed__gemm_call *g, clembed__timeline *tl, int op)
{
    const size_t m = g->m, n = g->n, k = g->k;
    if (tl) {
        clembed__timeline_work(tl, op, 2.0 * m * n * k, 4.0 * ((double)m * k + (double)k * n + (double)m * n));
        if (provider != CLEMBED__GP_KERNEL && (g->bias || g->act != CLEMBED__ACT_IDENTITY))
            clembed__timeline_work(tl, CLEMBED__OP_ACT, 10.0 * m * n, 8.0 * m * n);
    }
    if ((uint64_t)m * k > UINT32_MAX || (uint64_t)k * n > UINT32_MAX || (uint64_t)m * n > UINT32_MAX)
        return clembed__fail(CLEMBED_ERR_TOO_LARGE, "GEMM %zux%zux%zu: operands past 2^32 elements; use "
                             "a smaller batch_tokens", m, n, k);
    if (provider == CLEMBED__GP_KERNEL) {
        cl_event ev = NULL;
        cl_int err = clembed__launch_gemm(g->q, g->ki, g->a, g->b, g->bias, g->c, (uint32_t)m, (uint32_t)n,
                                          (uint32_t)k, g->act, tl ? &ev : NULL);
        if (err != CL_SUCCESS)
            return clembed__cl_fail(err, "%s: GEMM %zux%zux%zu", g->dev->info.name, m, n, k);
        return ev ? clembed__timeline_track(tl, g->q, op, ev, NULL) : CLEMBED_OK;
    }
    clembed_status rc;
    if (provider == CLEMBED__GP_CLBLAST)
        rc = gemm_clblast(g, tl, op);
#ifdef HAVE_CBLAS
    else if (provider == CLEMBED__GP_BLAS && blas_available(g->dev))
        rc = gemm_blas(g, tl, op);
#endif
    else
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "GEMM provider '%s' does not run on %s",
                             clembed__gemm_provider_name(provider), g->dev->info.name);
    if (rc != CLEMBED_OK || (!g->bias && g->act == CLEMBED__ACT_IDENTITY))
        return rc;
    /* The providers that do not fuse the epilogue: bias and activation in one pass after. */
    cl_event ev = NULL;
    cl_int err = clembed__launch_bias_act(g->q, g->act_ki, g->c, g->bias ? g->bias : g->zeros, g->c, (uint32_t)m,
                                          (uint32_t)n, g->act, tl ? &ev : NULL);
    if (err != CL_SUCCESS)
        return clembed__cl_fail(err, "%s: bias and activation after a GEMM", g->dev->info.name);
    return ev ? clembed__timeline_track(tl, g->q, CLEMBED__OP_ACT, ev, NULL) : CLEMBED_OK;
}

clembed_status clembed__gemm(clembed_context *ctx, int op, size_t m, size_t n, size_t k, cl_mem a,
                             cl_mem b, cl_mem c, const clembed__kinst *ki, cl_mem bias, int act,
                             const clembed__kinst *act_ki)
{
    const clembed__gemm_call g = {ctx->q, ctx->dev, m, n, k, a, b, c, ki, bias, act, act_ki,
                                  ctx->gw[CLEMBED__GW_ZEROS]};
    return clembed__gemm_run(ctx->gemm_prov[op], &g, ctx->profiling ? &ctx->timeline : NULL, op);
}
