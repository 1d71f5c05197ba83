/* Building and launching the encoder's registry kernels (see launch.h). */
#include "runtime/launch.h"
#include "runtime/program.h"
#include "runtime/fault.h"

#include <stdio.h>
#include <string.h>

int clembed__kernel_fits(const clembed__kernel_def *k, const int *values, const clembed__shape *shape,
                         const clembed__device *dev, const char **why)
{
    int defaults[CLEMBED_MAX_PARAMS];
    *why = "";
    if (!values) {
        for (size_t i = 0; i < clembed__kernel_n_params(k); i++)
            defaults[i] = k->params[i].def;
        values = defaults;
    }
    if (k->valid && !k->valid(values, dev->info.max_work_group_size)) {
        *why = "the parameters break the kernel's constraint (work-group size, power of two)";
        return 0;
    }
    return !k->fits || k->fits(k, values, shape, dev, why);
}

clembed_status clembed__kinst_build(cl_context ctx, const clembed__device *dev,
                                    const clembed__kernel_def *k, const int *values,
                                    const clembed__shape *shape, clembed__kinst *out)
{
    const char *why;
    memset(out, 0, sizeof *out);
    if (!clembed__kernel_fits(k, values, shape, dev, &why))
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "%s: %s", k->kernel, why);
    out->def = k;
    for (size_t i = 0; i < clembed__kernel_n_params(k); i++)
        out->values[i] = values ? values[i] : k->params[i].def;
    char opts[256];
    clembed__kernel_options(k, out->values, opts, sizeof opts);
    if (k->wdtype) {
        size_t used = strlen(opts);
        snprintf(opts + used, sizeof opts - used, " -DWDT=%u", (unsigned)shape->wdtype);
    }
    if (k->head_dim) {
        out->head_dim = shape->heads ? shape->hidden / shape->heads : 0;
        size_t used = strlen(opts);
        snprintf(opts + used, sizeof opts - used, " -DHEAD_DIM=%u", (unsigned)out->head_dim);
    }
    clembed_status rc = clembed__program_build(ctx, dev, k->source, opts, &out->prog, NULL);
    if (rc != CLEMBED_OK)
        return rc;
    cl_int err;
    out->kernel = clCreateKernel(out->prog, k->kernel, &err);
    if (!out->kernel) {
        rc = clembed__cl_fail(err, "clCreateKernel(%s)", k->kernel);
        goto fail;
    }
    /* CL_KERNEL_WORK_GROUP_SIZE is not checked: rusticl reports its SIMD width
     * there (32) yet runs larger reqd_work_group_size groups correctly; an
     * unrunnable size shows as CL_INVALID_WORK_GROUP_SIZE at the launch. */
    return CLEMBED_OK;
fail:
    clembed__kinst_release(out);
    return rc;
}

void clembed__kinst_release(clembed__kinst *ki)
{
    if (ki->kernel)
        clReleaseKernel(ki->kernel);
    if (ki->prog)
        clReleaseProgram(ki->prog);
    memset(ki, 0, sizeof *ki);
}

static size_t round_up(size_t n, size_t m)
{
    return (n + m - 1) / m * m;
}

int clembed__kernel_fit(const clembed__kernel_def *k, int *v, const clembed__shape *shape,
                        const clembed__device *dev, int scalar)
{
    const size_t np = clembed__kernel_n_params(k);
    const char *why;
    for (size_t i = 0; scalar && i < np; i++)
        if (k->params[i].flags & CLEMBED__PF_VECTOR)
            v[i] = 1;
    while (!clembed__kernel_fits(k, v, shape, dev, &why)) {
        int shrunk = 0;
        for (size_t i = 0; i < np; i++)
            if ((k->params[i].flags & CLEMBED__PF_SHRINK) && v[i] > 1)
                v[i] /= 2, shrunk = 1;
        if (!shrunk)
            return 0;
    }
    return 1;
}

void clembed__kernel_defaults(const clembed__kernel_def *k, const clembed__device *dev,
                              const clembed__shape *shape, int scalar, int *v)
{
    const size_t np = clembed__kernel_n_params(k);
    for (size_t i = 0; i < CLEMBED_MAX_PARAMS; i++)
        v[i] = i < np ? k->params[i].def : 0;
    uint32_t pvw = dev->info.preferred_vector_width_float;
    int width = pvw >= 16 ? 16 : pvw >= 8 ? 8 : pvw >= 4 ? 4 : 1;
    for (size_t i = 0; i < np; i++)
        if (k->params[i].flags & CLEMBED__PF_VECTOR)
            v[i] = width;
    /* The GEMM's vectors run along N; without them, wider groups fill the SIMD lanes. */
    int vn = clembed__kparam_index(k, CLEMBED__P_VN), wg = clembed__kparam_index(k, CLEMBED__P_WG);
    if (vn >= 0 && width == 1 && wg >= 0)
        v[wg] = 16;
    clembed__kernel_fit(k, v, shape, dev, scalar);
}

int clembed__kinst_param(const clembed__kinst *ki, clembed__param_id id)
{
    return clembed__kparam(ki->def, ki->values, id, 1);
}

size_t clembed__local_size(const clembed__kinst *ki)
{
    int wg = clembed__kinst_param(ki, CLEMBED__P_WG);
    return wg > 0 ? (size_t)wg : 0;
}

/* Global size of a row kernel: a work-group per row, or for the "row"
 * variants a work-item per row. */
static size_t row_global(const clembed__kinst *ki, uint32_t rows)
{
    size_t wg = clembed__local_size(ki);
    return ki->def->per_item ? round_up(rows, wg) : (size_t)rows * wg;
}

/* Every launch goes through here, where the fault switch can fail it (fault.h). */
static cl_int enqueue(cl_command_queue q, cl_kernel k, cl_uint dims, const size_t *global,
                      const size_t *local, cl_event *ev)
{
    cl_int err = clembed__fault(CLEMBED__FAULT_ENQUEUE);
    return err != CL_SUCCESS ? err : clEnqueueNDRangeKernel(q, k, dims, NULL, global, local, 0, NULL, ev);
}

#define ARG(i, v) (err = err != CL_SUCCESS ? err : clSetKernelArg(k, (i), sizeof(v), &(v)))

/* A buffer the kernel is given but does not read: any valid one will do. */
#define OR(m, other) ((m) ? (m) : (other))

cl_int clembed__launch_embeddings(cl_command_queue q, const clembed__kinst *ki, cl_mem ids,
                                  cl_mem type_ids, cl_mem word, cl_mem pos, cl_mem type,
                                  cl_mem gamma, cl_mem beta, cl_mem out, uint32_t rows,
                                  uint32_t width, cl_mem tpos, int32_t pos_offset, float eps, int flags,
                                  cl_event *ev)
{
    cl_kernel k = ki->kernel;
    cl_int err = CL_SUCCESS;
    cl_uint h = width;
    cl_int po = pos_offset, fl = flags;
    cl_mem ty = OR(type_ids, ids), p = OR(pos, word), t = OR(type, word), g = OR(gamma, word);
    cl_mem be = OR(beta, word), tp = OR(tpos, ids);
    ARG(0, ids), ARG(1, ty), ARG(2, word), ARG(3, p), ARG(4, t), ARG(5, g);
    cl_uint r = rows;
    ARG(6, be), ARG(7, out), ARG(8, h), ARG(9, tp), ARG(10, po), ARG(11, eps), ARG(12, r), ARG(13, fl);
    if (err != CL_SUCCESS)
        return err;
    size_t wg = clembed__local_size(ki), g2 = row_global(ki, rows);
    return enqueue(q, k, 1, &g2, &wg, ev);
}

cl_int clembed__launch_add_layernorm(cl_command_queue q, const clembed__kinst *ki, cl_mem x,
                                     cl_mem bias, cl_mem res, cl_mem gamma, cl_mem beta, cl_mem out,
                                     cl_mem sum_out, uint32_t rows, uint32_t hidden, float eps, int flags,
                                     cl_event *ev)
{
    cl_kernel k = ki->kernel;
    cl_int err = CL_SUCCESS;
    cl_uint h = hidden;
    cl_uint r = rows;
    cl_int fl = flags;
    cl_mem b = OR(bias, x), rs = OR(res, x), g = OR(gamma, x), be = OR(beta, x), so = OR(sum_out, out);
    ARG(0, x), ARG(1, b), ARG(2, rs), ARG(3, g), ARG(4, be), ARG(5, out), ARG(6, so), ARG(7, h);
    ARG(8, eps), ARG(9, r), ARG(10, fl);
    if (err != CL_SUCCESS)
        return err;
    size_t wg = clembed__local_size(ki), g2 = row_global(ki, rows);
    return enqueue(q, k, 1, &g2, &wg, ev);
}

cl_int clembed__launch_bias_act(cl_command_queue q, const clembed__kinst *ki, cl_mem x, cl_mem bias,
                                cl_mem out, uint32_t rows, uint32_t cols, int act, cl_event *ev)
{
    cl_kernel k = ki->kernel;
    cl_int err = CL_SUCCESS;
    cl_uint c = cols, nvec = (cl_uint)((uint64_t)rows * cols / (uint64_t)clembed__kinst_param(ki, CLEMBED__P_VEC));
    cl_int a = act;
    ARG(0, x), ARG(1, bias), ARG(2, out), ARG(3, c), ARG(4, nvec), ARG(5, a);
    if (err != CL_SUCCESS)
        return err;
    size_t wg = clembed__local_size(ki), g = wg ? round_up(nvec, wg) : nvec;
    return enqueue(q, k, 1, &g, wg ? &wg : NULL, ev);
}

cl_int clembed__launch_attention(cl_command_queue q, const clembed__kinst *ki, cl_mem qkv,
                                 cl_mem bias, cl_mem lens, cl_mem offs, cl_mem out, uint32_t batch,
                                 uint32_t seq, const clembed__attn_args *a, cl_event *ev)
{
    cl_kernel k = ki->kernel;
    cl_int err = CL_SUCCESS;
    cl_uint s = seq, ld = a->ld, qc = a->q_col, kc = a->k_col, vc = a->v_col, kg = a->kv_group;
    cl_uint pbs = a->pb_stride, pbc = a->pb_center;
    cl_int fl = a->flags, wl = a->win_left, wr = a->win_right;
    cl_mem pb = OR(a->posb, bias);
    float scale = a->scale;
    if (!a->heads || !kg || a->heads % kg || !(ki->head_dim > 0))
        return CL_INVALID_KERNEL_ARGS;
    ARG(0, qkv), ARG(1, bias), ARG(2, lens), ARG(3, offs), ARG(4, out), ARG(5, s), ARG(6, ld), ARG(7, qc);
    ARG(8, kc), ARG(9, vc), ARG(10, kg), ARG(11, scale), ARG(12, pb), ARG(13, pbs), ARG(14, pbc);
    ARG(15, fl), ARG(16, wl), ARG(17, wr);
    if (err != CL_SUCCESS)
        return err;
    size_t wg[3] = {clembed__local_size(ki), 1, 1};
    const uint32_t qb = (uint32_t)clembed__kinst_param(ki, CLEMBED__P_QB);   /* queries per work-item */
    size_t g[3] = {round_up((seq + qb - 1) / qb, wg[0]), a->heads, batch};
    return enqueue(q, k, 3, g, wg, ev);
}

cl_int clembed__launch_glu(cl_command_queue q, const clembed__kinst *ki, cl_mem x, cl_mem bias, cl_mem out,
                           uint32_t rows, uint32_t inter, int act, cl_event *ev)
{
    cl_kernel k = ki->kernel;
    cl_int err = CL_SUCCESS;
    cl_uint in = inter, nvec = (cl_uint)((uint64_t)rows * inter / (uint64_t)clembed__kinst_param(ki, CLEMBED__P_VEC));
    cl_int ac = act, hb = bias != NULL;
    cl_mem b = OR(bias, x);
    ARG(0, x), ARG(1, b), ARG(2, out), ARG(3, in), ARG(4, nvec), ARG(5, ac), ARG(6, hb);
    if (err != CL_SUCCESS)
        return err;
    size_t wg = clembed__local_size(ki), g = wg ? round_up(nvec, wg) : nvec;
    return enqueue(q, k, 1, &g, wg ? &wg : NULL, ev);
}

cl_int clembed__launch_qk_prep(cl_command_queue q, const clembed__kinst *ki, cl_mem qkv, cl_mem bias,
                               cl_mem q_norm, cl_mem k_norm, cl_mem cos_t, cl_mem sin_t, cl_mem tpos,
                               uint32_t rows, uint32_t ld, uint32_t heads, uint32_t kv_heads,
                               uint32_t rope_dim, float eps, int flags, cl_event *ev)
{
    cl_kernel k = ki->kernel;
    cl_int err = CL_SUCCESS;
    cl_uint r = rows, l = ld, h = heads, kvh = kv_heads, rd = rope_dim;
    cl_int fl = flags;
    cl_mem b = OR(bias, qkv), qn = OR(q_norm, qkv), kn = OR(k_norm, qkv), ct = OR(cos_t, qkv);
    cl_mem st = OR(sin_t, qkv), tp = OR(tpos, qkv);
    ARG(0, qkv), ARG(1, b), ARG(2, qn), ARG(3, kn), ARG(4, ct), ARG(5, st), ARG(6, tp), ARG(7, r);
    ARG(8, l), ARG(9, h), ARG(10, kvh), ARG(11, rd), ARG(12, eps), ARG(13, fl);
    if (err != CL_SUCCESS)
        return err;
    size_t n = (size_t)rows * (heads + 2 * (size_t)kv_heads);
    size_t wg = clembed__local_size(ki), g = wg ? round_up(n, wg) : n;
    return enqueue(q, k, 1, &g, wg ? &wg : NULL, ev);
}

cl_int clembed__launch_pooling(cl_command_queue q, const clembed__kinst *ki, cl_mem hidden,
                               cl_mem lens, cl_mem offs, cl_mem out, uint32_t batch, uint32_t width,
                               uint32_t order, uint32_t n_modes, uint32_t skip, cl_event *ev)
{
    cl_kernel k = ki->kernel;
    cl_int err = CL_SUCCESS;
    cl_uint w = width, o = order, nm = n_modes, sk = skip;
    ARG(0, hidden), ARG(1, lens), ARG(2, offs), ARG(3, out), ARG(4, w), ARG(5, o), ARG(6, nm), ARG(7, sk);
    if (err != CL_SUCCESS)
        return err;
    size_t wg[2] = {clembed__local_size(ki), 1};
    size_t g[2] = {round_up(width, wg[0]), batch};
    return enqueue(q, k, 2, g, wg, ev);
}

cl_int clembed__launch_l2norm(cl_command_queue q, const clembed__kinst *ki, cl_mem in,
                              uint32_t in_stride, cl_mem out, uint32_t out_stride, uint32_t rows,
                              uint32_t dim, int normalize, cl_event *ev)
{
    cl_kernel k = ki->kernel;
    cl_int err = CL_SUCCESS;
    cl_uint is = in_stride, os = out_stride, d = dim;
    cl_int nz = normalize;
    ARG(0, in), ARG(1, is), ARG(2, out), ARG(3, os), ARG(4, d), ARG(5, nz);
    if (err != CL_SUCCESS)
        return err;
    size_t wg = clembed__local_size(ki), g = (size_t)rows * wg;
    return enqueue(q, k, 1, &g, &wg, ev);
}

cl_int clembed__launch_gemm(cl_command_queue q, const clembed__kinst *ki, cl_mem a, cl_mem b,
                            cl_mem bias, cl_mem c, uint32_t m, uint32_t n, uint32_t k, int act,
                            cl_event *ev)
{
    cl_kernel kr = ki->kernel;
    cl_int err = CL_SUCCESS;
    cl_uint cm = m, cn = n, ck = k;
    cl_int has_bias = bias != NULL, ac = act;
    cl_mem bb = bias ? bias : b;
#define KARG(i, v) (err = err != CL_SUCCESS ? err : clSetKernelArg(kr, (i), sizeof(v), &(v)))
    KARG(0, a), KARG(1, b), KARG(2, bb), KARG(3, c), KARG(4, cm), KARG(5, cn), KARG(6, ck);
    KARG(7, has_bias), KARG(8, ac);
#undef KARG
    if (err != CL_SUCCESS)
        return err;
    size_t wg[2] = {clembed__local_size(ki), 1};
    size_t tm = (size_t)clembed__kinst_param(ki, CLEMBED__P_TM);
    size_t tn = (size_t)clembed__kinst_param(ki, CLEMBED__P_TN);
    size_t vn = (size_t)clembed__kinst_param(ki, CLEMBED__P_VN);
    size_t g[2] = {round_up((n / vn + tn - 1) / tn, wg[0]), (m + tm - 1) / tm};
    return enqueue(q, kr, 2, g, wg, ev);
}
