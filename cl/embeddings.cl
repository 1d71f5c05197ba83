/* Token embeddings: word + position + token type, then layer norm, for
 * `rows` token rows. */

/* One work-group per row, its work-items across the columns: for GPUs. */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void embeddings_f32(__global const int *ids, __global const int *type_ids,
                    __global const float *word, __global const float *pos,
                    __global const float *type, __global const float *gamma,
                    __global const float *beta, __global float *out, const uint hidden,
                    const uint seq, const int pos_offset, const float eps, const uint rows)
{
    __local float red[WG];
    const uint row = get_group_id(0), t = get_local_id(0);
    __global const float *w = word + (size_t)ids[row] * hidden;
    __global const float *p = pos + (size_t)((int)(row % seq) + pos_offset) * hidden;
    __global const float *ty = type + (size_t)type_ids[row] * hidden;
    __global float *o = out + (size_t)row * hidden;

    float s = 0.0f;
    for (uint c = t; c < hidden; c += WG)
        s += (w[c] + ty[c]) + p[c];
    const float mean = wg_sum(s, red) / (float)hidden;
    float v = 0.0f;
    for (uint c = t; c < hidden; c += WG) {
        float d = ((w[c] + ty[c]) + p[c]) - mean;
        v += d * d;
    }
    const float rstd = 1.0f / sqrt(wg_sum(v, red) / (float)hidden + eps);
    for (uint c = t; c < hidden; c += WG)
        o[c] = (((w[c] + ty[c]) + p[c]) - mean) * rstd * gamma[c] + beta[c];
}

/* One work-item per row, VEC columns at a time, WG rows per work-group (see
 * add_layernorm_f32_row). */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void embeddings_f32_row(__global const int *ids, __global const int *type_ids,
                        __global const float *word, __global const float *pos,
                        __global const float *type, __global const float *gamma,
                        __global const float *beta, __global float *out, const uint hidden,
                        const uint seq, const int pos_offset, const float eps, const uint rows)
{
    const uint row = get_global_id(0);
    if (row >= rows)
        return;
    layernorm_row3(word + (size_t)ids[row] * hidden, type + (size_t)type_ids[row] * hidden,
                   pos + (size_t)((int)(row % seq) + pos_offset) * hidden, gamma, beta,
                   out + (size_t)row * hidden, hidden, eps);
}
