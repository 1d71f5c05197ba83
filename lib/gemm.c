/* GEMMs through CLBlast, with their device time between queue markers (CLBlast
 * may run several kernels for one call, and its event covers only the last). */
#include "encoder.h"

#include <clblast_c.h>

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

clembed_status clembed__gemm_nt(clembed_context *ctx, int op, size_t m, size_t n, size_t k, cl_mem a,
                                cl_mem b, cl_mem c)
{
    cl_event before = NULL, after = NULL;
    cl_int err;
    if (ctx->profiling && (err = clEnqueueMarkerWithWaitList(ctx->q, 0, NULL, &before)) != CL_SUCCESS)
        return clembed__cl_fail(err, "clEnqueueMarkerWithWaitList");
    CLBlastStatusCode st = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes,
                                        m, n, k, 1.0f, a, 0, k, b, 0, k, 0.0f, c, 0, n, &ctx->q, NULL);
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
    return clembed__track_event(ctx, op, before, after);
}
