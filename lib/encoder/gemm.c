/* GEMMs: CLBlast (GPUs, by default) followed by bias_act when there is a
 * bias, or the registry's GEMM kernel with bias and activation fused (CPU
 * drivers, where it is several times faster than CLBlast's generic kernels).
 * CLBlast may run several kernels for one call and its event covers only the
 * last, so its device time is taken between queue markers. */
#include "encoder/encoder.h"

#include <clblast_c.h>
#include <stdlib.h>
#include <string.h>

/* CLBlast for GPUs, the registry's GEMM kernel for CPU drivers; CLEMBED_GEMM
 * (clblast or kernel) overrides. */
int clembed__gemm_uses_clblast(const clembed__device *dev)
{
    const char *env = getenv("CLEMBED_GEMM");
    if (env && !strcmp(env, "clblast"))
        return 1;
    if (env && !strcmp(env, "kernel"))
        return 0;
    if (env && *env)
        clembed__warn("CLEMBED_GEMM='%s' is neither 'clblast' nor 'kernel'; ignored", env);
    return dev->info.type == CLEMBED_DEVICE_GPU || dev->info.type == CLEMBED_DEVICE_ACCELERATOR;
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

static clembed_status gemm_blast(clembed_context *ctx, int op, size_t m, size_t n, size_t k, cl_mem a,
                                 cl_mem b, cl_mem c)
{
    cl_event before = NULL, after = NULL;
    cl_int err;
    if (ctx->profiling && (err = clEnqueueMarkerWithWaitList(ctx->q, 0, NULL, &before)) != CL_SUCCESS)
        return clembed__cl_fail(err, "clEnqueueMarkerWithWaitList");
    CLBlastStatusCode st = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo,
                                        m, n, k, 1.0f, a, 0, k, b, 0, n, 0.0f, c, 0, n, &ctx->q, NULL);
    if (st != CLBlastSuccess) {
        if (before)
            clReleaseEvent(before);
        return blast_fail(st, m, n, k);
    }
    if (!ctx->profiling)
        return CLEMBED_OK;
    if ((err = clEnqueueMarkerWithWaitList(ctx->q, 0, NULL, &after)) != CL_SUCCESS) {
        clReleaseEvent(before);
        return clembed__cl_fail(err, "clEnqueueMarkerWithWaitList");
    }
    return clembed__timeline_track(&ctx->timeline, ctx->q, op, before, after);
}

clembed_status clembed__gemm(clembed_context *ctx, int op, size_t m, size_t n, size_t k, cl_mem a,
                             cl_mem b, cl_mem c, const clembed__kinst *ki, cl_mem bias, int act,
                             const clembed__kinst *act_ki)
{
    if (ctx->gemm_clblast) {
        clembed_status rc = gemm_blast(ctx, op, m, n, k, a, b, c);
        if (rc != CLEMBED_OK || (!bias && act == CLEMBED__ACT_IDENTITY))
            return rc;
        cl_event ev = NULL;
        cl_int err = clembed__launch_bias_act(ctx->q, act_ki, c, bias ? bias : ctx->gw[CLEMBED__GW_ZEROS], c,
                                              (uint32_t)m, (uint32_t)n, act, ctx->profiling ? &ev : NULL);
        if (err != CL_SUCCESS)
            return clembed__cl_fail(err, "%s: bias and activation after a GEMM", ctx->dev->info.name);
        return ev ? clembed__timeline_track(&ctx->timeline, ctx->q, CLEMBED__OP_ACT, ev, NULL) : CLEMBED_OK;
    }
    if ((uint64_t)m * k > UINT32_MAX || (uint64_t)k * n > UINT32_MAX || (uint64_t)m * n > UINT32_MAX)
        return clembed__fail(CLEMBED_ERR_TOO_LARGE, "GEMM %zux%zux%zu: operands past 2^32 elements; use "
                             "a smaller batch_tokens", m, n, k);
    cl_event ev = NULL;
    cl_int err = clembed__launch_gemm(ctx->q, ki, a, b, bias, c, (uint32_t)m, (uint32_t)n, (uint32_t)k,
                                      act, ctx->profiling ? &ev : NULL);
    if (err != CL_SUCCESS)
        return clembed__cl_fail(err, "%s: GEMM %zux%zux%zu", ctx->dev->info.name, m, n, k);
    return ev ? clembed__timeline_track(&ctx->timeline, ctx->q, op, ev, NULL) : CLEMBED_OK;
}
