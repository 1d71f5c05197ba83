/* The device probe, clpeak style: global-memory bandwidth, FMA throughput, launch latency and
 * compile cost, each the median of repeats.  The results are the rooflines the tuner reports
 * every op against. */
#define _POSIX_C_SOURCE 200809L
#include "runtime/program.h"
#include "runtime/timeline.h"
#include "tune/tune.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char probe_src[] =
    "#ifdef HALF\n"
    "#pragma OPENCL EXTENSION cl_khr_fp16 : enable\n"
    "#define T half\n"
    "#else\n"
    "#define T float\n"
    "#endif\n"
    "#define CAT_(a, b) a##b\n"
    "#define CAT(a, b) CAT_(a, b)\n"
    "#if VW == 1\n"
    "#define TV T\n"
    "#else\n"
    "#define TV CAT(T, VW)\n"
    "#endif\n"
    /* Each item reads its own contiguous chunk: what CPUs prefetch best. */
    "__kernel void read_chunk(__global const float4 *src, __global float *dst, uint per_item)\n"
    "{\n"
    "    size_t g = get_global_id(0);\n"
    "    __global const float4 *p = src + g * per_item;\n"
    "    float4 s = (float4)(0.0f);\n"
    "    for (uint i = 0; i < per_item; i++)\n"
    "        s += p[i];\n"
    "    dst[g] = s.x + s.y + s.z + s.w;\n"
    "}\n"
    /* Neighbouring items read neighbouring addresses: what GPUs coalesce. */
    "__kernel void read_stride(__global const float4 *src, __global float *dst, uint per_item)\n"
    "{\n"
    "    size_t g = get_global_id(0), n = get_global_size(0);\n"
    "    float4 s = (float4)(0.0f);\n"
    "    for (uint i = 0; i < per_item; i++)\n"
    "        s += src[g + i * n];\n"
    "    dst[g] = s.x + s.y + s.z + s.w;\n"
    "}\n"
    "__kernel void copy4(__global const float4 *src, __global float4 *dst)\n"
    "{\n"
    "    size_t g = get_global_id(0);\n"
    "    dst[g] = src[g];\n"
    "}\n"
    /* Eight independent multiply-add chains per item hide the latency; mad()
     * lets the compiler use the device's FMA, where fma() may be emulated. */
    "__kernel void fma_peak(__global T *dst, float a_, float c_)\n"
    "{\n"
    "    TV a = (TV)((T)a_), c = (TV)((T)c_);\n"
    "    TV x0 = (TV)((T)get_local_id(0)), x1 = x0 + (T)1, x2 = x0 + (T)2, x3 = x0 + (T)3;\n"
    "    TV x4 = x0 + (T)4, x5 = x0 + (T)5, x6 = x0 + (T)6, x7 = x0 + (T)7;\n"
    "    for (int i = 0; i < ITERS; i++) {\n"
    "        x0 = mad(x0, a, c); x1 = mad(x1, a, c); x2 = mad(x2, a, c); x3 = mad(x3, a, c);\n"
    "        x4 = mad(x4, a, c); x5 = mad(x5, a, c); x6 = mad(x6, a, c); x7 = mad(x7, a, c);\n"
    "    }\n"
    "    TV s = x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7;\n"
    /* Every lane reaches the output, or compilers drop the lanes that do
     * not (NVIDIA's does, which made a probe of 16 lanes count 14 idle ones). */
    "#if VW == 1\n"
    "    dst[get_global_id(0)] = s;\n"
    "#elif VW == 4\n"
    "    dst[get_global_id(0)] = (s.s0 + s.s1) + (s.s2 + s.s3);\n"
    "#else\n"
    "    CAT(T, 8) h = s.lo + s.hi;\n"
    "    dst[get_global_id(0)] = ((h.s0 + h.s1) + (h.s2 + h.s3)) + ((h.s4 + h.s5) + (h.s6 + h.s7));\n"
    "#endif\n"
    "}\n"
    "__kernel void empty(__global float *dst)\n"
    "{\n"
    "    if (get_global_id(0) == 1u << 30)\n"
    "        dst[0] = 0.0f;\n"
    "}\n";

#define FMA_ITERS 256

/* Median device time of `reps` runs of k over global/local.  When the
 * event timestamps are not real (some drivers return constants), the wall
 * time of each run, enqueue to completion, stands in; *events_real says
 * which.  The first, untimed run takes first-touch page faults and lazy
 * setup. */
static clembed_status time_kernel(cl_command_queue q, cl_kernel k, size_t global, const size_t *local,
                                  unsigned reps, double *median, int *events_real)
{
    double t[32], w[32];
    if (reps > 32)
        reps = 32;
    cl_int err = clEnqueueNDRangeKernel(q, k, 1, NULL, &global, local, 0, NULL, NULL);
    if (err == CL_SUCCESS)
        err = clFinish(q);
    if (err != CL_SUCCESS)
        return clembed__cl_fail(err, "probe: running a kernel of %zu items", global);
    for (unsigned i = 0; i < reps; i++) {
        cl_event ev;
        double a = clembed__now();
        err = clEnqueueNDRangeKernel(q, k, 1, NULL, &global, local, 0, NULL, &ev);
        if (err != CL_SUCCESS)
            return clembed__cl_fail(err, "probe: running a kernel of %zu items", global);
        clWaitForEvents(1, &ev);
        w[i] = clembed__now() - a;
        t[i] = clembed__event_seconds(ev);
        clReleaseEvent(ev);
    }
    double tm = clembed__median(t, reps), wm = clembed__median(w, reps);
    /* A kernel that took over 100 us of wall time cannot have run in under
     * a hundredth of it. */
    int real = !(wm > 1e-4 && tm < 0.01 * wm);
    if (events_real)
        *events_real = real;
    *median = real ? tm : wm;
    return CLEMBED_OK;
}

static clembed_status build(cl_context ctx, const clembed__device *dev, const char *options,
                            cl_program *prog)
{
    return clembed__program_build_source(ctx, dev, "probe", probe_src, options, prog, NULL);
}

static clembed_status bandwidth(cl_context ctx, cl_command_queue q, const clembed__device *dev, int quick,
                                clembed_probe_result *out)
{
    cl_program prog = NULL;
    cl_kernel kc = NULL, ks = NULL, kcp = NULL;
    cl_mem src = NULL, dst = NULL, sums = NULL;
    cl_int err;
    unsigned reps = quick ? 3 : 7;
    clembed_status rc = build(ctx, dev, "-DVW=1 -DITERS=1", &prog);
    if (rc != CLEMBED_OK)
        return rc;
    /* Far beyond any cache, within what the device allows. */
    size_t bytes = quick ? (size_t)32 << 20 : (size_t)128 << 20;
    while (bytes > ((size_t)4 << 20) &&
           (bytes > dev->info.max_alloc_bytes || 3 * (uint64_t)bytes > dev->info.global_mem_bytes))
        bytes /= 2;
    /* float4s each item reads: long chunks for CPUs; for GPUs many items
     * with a few strided reads each, enough loads in flight to fill the
     * memory system (32768 items of 256 reads each left an H200 at half
     * its copy bandwidth). */
    const uint32_t per_item = 256, per_item_stride = 16;
    size_t n4 = bytes / 16, items = n4 / per_item, items_stride = n4 / per_item_stride;
    src = clCreateBuffer(ctx, CL_MEM_READ_WRITE, bytes, NULL, &err);
    if (src)
        dst = clCreateBuffer(ctx, CL_MEM_READ_WRITE, bytes, NULL, &err);
    if (dst)
        sums = clCreateBuffer(ctx, CL_MEM_READ_WRITE, items_stride * sizeof(float), NULL, &err);
    if (!sums) {
        rc = clembed__cl_fail(err, "probe: allocating 2 x %zu MiB", bytes >> 20);
        goto done;
    }
    float zero = 0.0f;
    if ((err = clEnqueueFillBuffer(q, src, &zero, sizeof zero, 0, bytes, 0, NULL, NULL)) != CL_SUCCESS ||
        (err = clEnqueueFillBuffer(q, dst, &zero, sizeof zero, 0, bytes, 0, NULL, NULL)) != CL_SUCCESS ||
        (err = clFinish(q)) != CL_SUCCESS) {
        rc = clembed__cl_fail(err, "probe: filling the bandwidth buffers");
        goto done;
    }
    kc = clCreateKernel(prog, "read_chunk", &err);
    if (kc)
        ks = clCreateKernel(prog, "read_stride", &err);
    if (ks)
        kcp = clCreateKernel(prog, "copy4", &err);
    if (!kcp) {
        rc = clembed__cl_fail(err, "probe: creating the bandwidth kernels");
        goto done;
    }
    cl_uint pi = per_item, pis = per_item_stride;
    clSetKernelArg(kc, 0, sizeof src, &src);
    clSetKernelArg(kc, 1, sizeof sums, &sums);
    clSetKernelArg(kc, 2, sizeof pi, &pi);
    clSetKernelArg(ks, 0, sizeof src, &src);
    clSetKernelArg(ks, 1, sizeof sums, &sums);
    clSetKernelArg(ks, 2, sizeof pis, &pis);
    clSetKernelArg(kcp, 0, sizeof src, &src);
    clSetKernelArg(kcp, 1, sizeof dst, &dst);
    double tc, ts, tcp;
    if ((rc = time_kernel(q, kc, items, NULL, reps, &tc, &out->event_timing)) != CLEMBED_OK ||
        (rc = time_kernel(q, ks, items_stride, NULL, reps, &ts, NULL)) != CLEMBED_OK ||
        (rc = time_kernel(q, kcp, n4, NULL, reps, &tcp, NULL)) != CLEMBED_OK)
        goto done;
    out->read_bandwidth = fmax((double)(items * per_item * 16) / tc,
                               (double)(items_stride * per_item_stride * 16) / ts);
    out->copy_bandwidth = 2.0 * (double)bytes / tcp;
done:
    if (kc) clReleaseKernel(kc);
    if (ks) clReleaseKernel(ks);
    if (kcp) clReleaseKernel(kcp);
    if (src) clReleaseMemObject(src);
    if (dst) clReleaseMemObject(dst);
    if (sums) clReleaseMemObject(sums);
    clReleaseProgram(prog);
    return rc;
}

/* The best of a few vector widths: CPUs vectorize across items, GPUs
 * differ in what they like. */
static clembed_status flops(cl_context ctx, cl_command_queue q, const clembed__device *dev, int half,
                            int quick, double *out)
{
    static const int widths[] = {1, 4, 16};
    cl_int err;
    cl_mem buf = NULL;
    clembed_status rc = CLEMBED_OK;
    *out = 0;
    size_t wg = dev->info.max_work_group_size >= 64 ? 64 : dev->info.max_work_group_size;
    /* Enough items to fill every compute unit several times over. */
    size_t items = (size_t)(dev->info.compute_units ? dev->info.compute_units : 1) * 2048;
    if (items < 16384)
        items = 16384;
    items = (items + wg - 1) / wg * wg;
    buf = clCreateBuffer(ctx, CL_MEM_READ_WRITE, items * sizeof(float), NULL, &err);
    if (!buf)
        return clembed__cl_fail(err, "probe: allocating the FMA output");
    for (size_t w = 0; w < CLEMBED_ARRAY_LEN(widths) && rc == CLEMBED_OK; w++) {
        char opts[96];
        snprintf(opts, sizeof opts, "-DVW=%d -DITERS=%d%s", widths[w], FMA_ITERS, half ? " -DHALF" : "");
        cl_program prog = NULL;
        rc = build(ctx, dev, opts, &prog);
        if (rc != CLEMBED_OK)
            break;
        cl_kernel k = clCreateKernel(prog, "fma_peak", &err);
        if (!k) {
            clReleaseProgram(prog);
            rc = clembed__cl_fail(err, "probe: creating the FMA kernel");
            break;
        }
        float a = 0.999f, c = 0.001f;
        clSetKernelArg(k, 0, sizeof buf, &buf);
        clSetKernelArg(k, 1, sizeof a, &a);
        clSetKernelArg(k, 2, sizeof c, &c);
        /* Grow the launch until it runs long enough to time well, at most
         * to about 1e11 FLOP. */
        size_t n = items;
        double t = 0;
        for (int grow = 0; grow < 6; grow++) {
            rc = time_kernel(q, k, n, &wg, quick ? 3 : 5, &t, NULL);
            if (rc != CLEMBED_OK || t >= (quick ? 0.005 : 0.02) ||
                4.0 * 2 * 8 * FMA_ITERS * widths[w] * (double)n > 1e11)
                break;
            /* n items write n floats: grow the buffer along. */
            clReleaseMemObject(buf);
            n *= 4;
            buf = clCreateBuffer(ctx, CL_MEM_READ_WRITE, n * sizeof(float), NULL, &err);
            if (!buf) {
                rc = clembed__cl_fail(err, "probe: allocating the FMA output");
                break;
            }
            clSetKernelArg(k, 0, sizeof buf, &buf);
        }
        if (rc == CLEMBED_OK && t > 0) {
            double f = 2.0 * 8 * FMA_ITERS * widths[w] * (double)n / t;
            if (f > *out)
                *out = f;
        }
        clReleaseKernel(k);
        clReleaseProgram(prog);
    }
    if (buf)
        clReleaseMemObject(buf);
    return rc;
}

static clembed_status latency(cl_context ctx, cl_command_queue q, const clembed__device *dev, int quick,
                              clembed_probe_result *out)
{
    cl_program prog = NULL;
    cl_int err;
    clembed_status rc = build(ctx, dev, "-DVW=1 -DITERS=1", &prog);
    if (rc != CLEMBED_OK)
        return rc;
    cl_kernel k = clCreateKernel(prog, "empty", &err);
    cl_mem buf = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 64, NULL, &err);
    if (!k || !buf) {
        rc = clembed__cl_fail(err, "probe: creating the empty kernel");
        goto done;
    }
    clSetKernelArg(k, 0, sizeof buf, &buf);
    size_t one = 1;
    enum { BURST = 64 };
    double burst[9], trip[25];
    unsigned nb = quick ? 3 : 9, nt = quick ? 9 : 25;
    for (unsigned r = 0; r < nb; r++) {
        double t0 = clembed__now();
        for (int i = 0; i < BURST && err == CL_SUCCESS; i++)
            err = clEnqueueNDRangeKernel(q, k, 1, NULL, &one, &one, 0, NULL, NULL);
        if (err == CL_SUCCESS)
            err = clFinish(q);
        burst[r] = (clembed__now() - t0) / BURST;
    }
    for (unsigned r = 0; r < nt && err == CL_SUCCESS; r++) {
        double t0 = clembed__now();
        err = clEnqueueNDRangeKernel(q, k, 1, NULL, &one, &one, 0, NULL, NULL);
        if (err == CL_SUCCESS)
            err = clFinish(q);
        trip[r] = clembed__now() - t0;
    }
    if (err != CL_SUCCESS) {
        rc = clembed__cl_fail(err, "probe: running the empty kernel");
        goto done;
    }
    out->launch_s = clembed__median(burst, nb);
    out->roundtrip_s = clembed__median(trip, nt);
done:
    if (k) clReleaseKernel(k);
    if (buf) clReleaseMemObject(buf);
    clReleaseProgram(prog);
    return rc;
}

/* A representative program (the common kernels) built from source with a
 * fresh define each time, so that no driver cache answers. */
static clembed_status compile_cost(cl_context ctx, const clembed__device *dev, int quick,
                                   clembed_probe_result *out)
{
    const char *common = clembed__cl_source_text("common");
    if (!common)
        return CLEMBED_OK;
    double t[3];
    unsigned n = quick ? 1 : 3;
    static unsigned nonce;
    for (unsigned i = 0; i < n; i++) {
        char opts[96];
        snprintf(opts, sizeof opts, "-DCLEMBED_PROBE_NONCE=%llu%u",
                 (unsigned long long)(clembed__now() * 1e6), nonce++);
        cl_int err;
        double t0 = clembed__now();
        cl_program prog = clCreateProgramWithSource(ctx, 1, &common, NULL, &err);
        if (!prog)
            return clembed__cl_fail(err, "probe: creating a program");
        err = clBuildProgram(prog, 1, &dev->id, opts, NULL, NULL);
        /* Some drivers compile when the kernels are made. */
        cl_kernel ks[8];
        cl_uint nk = 0;
        if (err == CL_SUCCESS)
            err = clCreateKernelsInProgram(prog, 8, ks, &nk);
        t[i] = clembed__now() - t0;
        for (cl_uint j = 0; j < nk && err == CL_SUCCESS; j++)
            clReleaseKernel(ks[j]);
        clReleaseProgram(prog);
        if (err != CL_SUCCESS)
            return clembed__cl_fail(err, "probe: building the common kernels");
    }
    out->compile_s = clembed__median(t, n);
    return CLEMBED_OK;
}

clembed_status clembed__probe(cl_context ctx, cl_command_queue q, const clembed__device *dev, int quick,
                              clembed_probe_result *out)
{
    memset(out, 0, sizeof *out);
    clembed_status rc = bandwidth(ctx, q, dev, quick, out);
    if (rc == CLEMBED_OK)
        rc = flops(ctx, q, dev, 0, quick, &out->fp32_flops);
    if (rc == CLEMBED_OK && dev->info.fp16) {
        /* A device may list cl_khr_fp16 and still fail to build half code. */
        if (flops(ctx, q, dev, 1, quick, &out->fp16_flops) != CLEMBED_OK) {
            clembed__info("probe: fp16 FMA kernel failed on '%s': %s", dev->info.name, clembed_errmsg());
            clembed__errmsg_clear();
            out->fp16_flops = 0;
        }
    }
    if (rc == CLEMBED_OK)
        rc = latency(ctx, q, dev, quick, out);
    if (rc == CLEMBED_OK)
        rc = compile_cost(ctx, dev, quick, out);
    if (rc != CLEMBED_OK)
        clembed__errmsg_prefix("probe of '%s'", dev->info.name);
    return rc;
}

double clembed__roofline(const clembed_probe_result *pr, double bytes, double fl)
{
    double bw = pr->read_bandwidth > pr->copy_bandwidth ? pr->read_bandwidth : pr->copy_bandwidth;
    double tm = bw > 0 ? bytes / bw : 0, tf = pr->fp32_flops > 0 ? fl / pr->fp32_flops : 0;
    return tm > tf ? tm : tf;
}

clembed_status clembed_device_probe(size_t device, clembed_probe_result *out)
{
    if (!out)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_device_probe: NULL out");
    const clembed__device *dev = clembed__device_at(device);
    if (!dev)
        return clembed__fail(CLEMBED_ERR_NOT_FOUND, "no OpenCL device with index %zu (there are %zu)",
                             device, clembed_device_count());
    cl_int err;
    cl_context ctx = clCreateContext(NULL, 1, &dev->id, NULL, NULL, &err);
    if (!ctx)
        return clembed__cl_fail(err, "creating a context on '%s'", dev->info.name);
    cl_command_queue q = clCreateCommandQueue(ctx, dev->id, CL_QUEUE_PROFILING_ENABLE, &err);
    clembed_status rc = q ? clembed__probe(ctx, q, dev, 0, out)
                          : clembed__cl_fail(err, "creating a profiling queue on '%s'", dev->info.name);
    if (q)
        clReleaseCommandQueue(q);
    clReleaseContext(ctx);
    return rc;
}
