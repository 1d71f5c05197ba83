/* Residual norm: s = (x + bias) + res over `rows` rows of `hidden` floats, then
 * LayerNorm, RMSNorm or nothing, as the NF_* flags (common.cl) say; bias and
 * res are optional (flags), and with NF_SUM s itself goes to sum_out too (a
 * pre-norm layer's residual stream).  out and sum_out may be res: each
 * work-item writes only what it read, after the reductions. */

/* One work-group per row, its work-items across the columns: for GPUs. */
#define GROUP_SUM1(k) (((flags & NF_B) ? x[k] + bias[k] : x[k]) + ((flags & NF_C) ? res[k] : 0.0f))

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void add_layernorm_f32(__global const float *x, __global const float *bias,
                       __global const float *res, __global const float *gamma,
                       __global const float *beta, __global float *out, __global float *sum_out,
                       const uint hidden, const float eps, const uint rows, const int flags)
{
    __local float red[WG];
    const uint row = get_group_id(0), t = get_local_id(0);
    const size_t off = (size_t)row * hidden;
    x += off;
    res += (flags & NF_C) ? off : 0;
    out += off;
    sum_out += (flags & NF_SUM) ? off : 0;

    float mean = 0.0f, rstd = 1.0f;
    if (flags & NF_LAYER) {
        float s = 0.0f;
        for (uint c = t; c < hidden; c += WG)
            s += GROUP_SUM1(c);
        mean = wg_sum(s, red) / (float)hidden;
    }
    if (flags & (NF_LAYER | NF_RMS)) {
        float v = 0.0f;
        for (uint c = t; c < hidden; c += WG) {
            float d = GROUP_SUM1(c) - mean;
            v += d * d;
        }
        rstd = 1.0f / sqrt(wg_sum(v, red) / (float)hidden + eps);
    }
    for (uint c = t; c < hidden; c += WG) {
        const float s = GROUP_SUM1(c);
        if (flags & NF_SUM)
            sum_out[c] = s;
        if (flags & NF_BETA)
            out[c] = (s - mean) * rstd * gamma[c] + beta[c];
        else if (flags & (NF_LAYER | NF_RMS))
            out[c] = (s - mean) * rstd * gamma[c];
        else {
            out[c] = s;
        }
    }
}

/* One work-item per row, VEC columns at a time, WG rows per work-group: no
 * barriers and no local memory, for CPU drivers where a work-group is a
 * loop over its work-items. */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void add_layernorm_f32_row(__global const float *x, __global const float *bias,
                           __global const float *res, __global const float *gamma,
                           __global const float *beta, __global float *out, __global float *sum_out,
                           const uint hidden, const float eps, const uint rows, const int flags)
{
    const uint row = get_global_id(0);
    if (row >= rows)
        return;
    const size_t off = (size_t)row * hidden;
    norm_row(x + off, bias, res + ((flags & NF_C) ? off : 0), gamma, beta, out + off,
             sum_out + ((flags & NF_SUM) ? off : 0), hidden, eps, flags);
}
