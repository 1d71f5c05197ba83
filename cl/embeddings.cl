/* Token embeddings of `rows` token rows, `width` wide: the word's row, plus
 * its token type's row (NF_B) and its position's row (NF_C: position
 * row % seq + pos_offset, sequences right-padded), normalized as the NF_*
 * flags (common.cl) say. */

/* One work-group per row, its work-items across the columns: for GPUs. */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void embeddings_f32(__global const int *ids, __global const int *type_ids,
                    __global const float *word, __global const float *pos,
                    __global const float *type, __global const float *gamma,
                    __global const float *beta, __global float *out, const uint width,
                    const uint seq, const int pos_offset, const float eps, const uint rows,
                    const int flags)
{
    __local float red[WG];
    const uint row = get_group_id(0), t = get_local_id(0);
    __global const float *w = word + (size_t)ids[row] * width;
    __global const float *p = pos + ((flags & NF_C) ? (size_t)((int)(row % seq) + pos_offset) * width : 0);
    __global const float *ty = type + ((flags & NF_B) ? (size_t)type_ids[row] * width : 0);
    __global float *o = out + (size_t)row * width;
#define EMB_SUM1(k) (((flags & NF_B) ? w[k] + ty[k] : w[k]) + ((flags & NF_C) ? p[k] : 0.0f))

    float mean = 0.0f, rstd = 1.0f;
    if (flags & NF_LAYER) {
        float s = 0.0f;
        for (uint c = t; c < width; c += WG)
            s += EMB_SUM1(c);
        mean = wg_sum(s, red) / (float)width;
    }
    if (flags & (NF_LAYER | NF_RMS)) {
        float v = 0.0f;
        for (uint c = t; c < width; c += WG) {
            float d = EMB_SUM1(c) - mean;
            v += d * d;
        }
        rstd = 1.0f / sqrt(wg_sum(v, red) / (float)width + eps);
    }
    for (uint c = t; c < width; c += WG) {
        const float s = EMB_SUM1(c);
        if (flags & NF_BETA)
            o[c] = (s - mean) * rstd * gamma[c] + beta[c];
        else if (flags & (NF_LAYER | NF_RMS))
            o[c] = (s - mean) * rstd * gamma[c];
        else {
            o[c] = s;
        }
    }
}

/* One work-item per row, VEC columns at a time, WG rows per work-group (see
 * add_layernorm_f32_row). */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void embeddings_f32_row(__global const int *ids, __global const int *type_ids,
                        __global const float *word, __global const float *pos,
                        __global const float *type, __global const float *gamma,
                        __global const float *beta, __global float *out, const uint width,
                        const uint seq, const int pos_offset, const float eps, const uint rows,
                        const int flags)
{
    const uint row = get_global_id(0);
    if (row >= rows)
        return;
    __global float *o = out + (size_t)row * width;
    norm_row(word + (size_t)ids[row] * width,
             type + ((flags & NF_B) ? (size_t)type_ids[row] * width : 0),
             pos + ((flags & NF_C) ? (size_t)((int)(row % seq) + pos_offset) * width : 0), gamma, beta,
             o, o, width, eps, flags & ~NF_SUM);
}
