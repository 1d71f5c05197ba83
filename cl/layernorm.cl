/* Residual layer norm: out = LayerNorm((x + bias) + res), over `rows` rows.
 * out may be res: each work-item writes only what it read, after the
 * reductions. */

/* One work-group per row, its work-items across the columns: for GPUs. */

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void add_layernorm_f32(__global const float *x, __global const float *bias,
                       __global const float *res, __global const float *gamma,
                       __global const float *beta, __global float *out, const uint hidden,
                       const float eps, const uint rows)
{
    __local float red[WG];
    const uint row = get_group_id(0), t = get_local_id(0);
    const size_t off = (size_t)row * hidden;
    x += off;
    res += off;
    out += off;

    float s = 0.0f;
    for (uint c = t; c < hidden; c += WG)
        s += (x[c] + bias[c]) + res[c];
    const float mean = wg_sum(s, red) / (float)hidden;
    float v = 0.0f;
    for (uint c = t; c < hidden; c += WG) {
        float d = ((x[c] + bias[c]) + res[c]) - mean;
        v += d * d;
    }
    const float rstd = 1.0f / sqrt(wg_sum(v, red) / (float)hidden + eps);
    for (uint c = t; c < hidden; c += WG)
        out[c] = (((x[c] + bias[c]) + res[c]) - mean) * rstd * gamma[c] + beta[c];
}

/* One work-item per row, VEC columns at a time, WG rows per work-group: no
 * barriers and no local memory, for CPU drivers where a work-group is a
 * loop over its work-items. */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void add_layernorm_f32_row(__global const float *x, __global const float *bias,
                           __global const float *res, __global const float *gamma,
                           __global const float *beta, __global float *out, const uint hidden,
                           const float eps, const uint rows)
{
    const uint row = get_global_id(0);
    if (row >= rows)
        return;
    const size_t off = (size_t)row * hidden;
    layernorm_row3(x + off, bias, res + off, gamma, beta, out + off, hidden, eps);
}
