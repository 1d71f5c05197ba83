/* Token embeddings of `rows` token rows, `width` wide: the word's row, plus
 * its token type's row (NF_B) and its position's row (NF_C: tpos[row] +
 * pos_offset, tpos the token's place in its sequence), normalized as the NF_*
 * flags (common.cl) say.  The tables are float, or with WDT 1 or 2 half or
 * bfloat16, widened as they are read: their sum is first written to the
 * output row, then normalized there. */
#ifndef WDT
#define WDT 0
#endif
#if WDT == 1
#define etype half
#define eload(k, p) vload_half(k, p)
#elif WDT == 2
#define etype ushort
#define eload(k, p) as_float((uint)(p)[k] << 16)
#else
#define etype float
#define eload(k, p) ((p)[k])
#endif

/* One work-group per row, its work-items across the columns: for GPUs. */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void embeddings_f32(__global const int *ids, __global const int *type_ids,
                    __global const etype *word, __global const etype *pos,
                    __global const etype *type, __global const float *gamma,
                    __global const float *beta, __global float *out, const uint width,
                    __global const int *tpos, const int pos_offset, const float eps, const uint rows,
                    int flags)
{
    __local float red[WG];
    const uint row = get_group_id(0), t = get_local_id(0);
    __global float *o = out + (size_t)row * width;
#if WDT == 0
    __global const float *w = word + (size_t)ids[row] * width;
    __global const float *p = pos + ((flags & NF_C) ? (size_t)(tpos[row] + pos_offset) * width : 0);
    __global const float *ty = type + ((flags & NF_B) ? (size_t)type_ids[row] * width : 0);
#define EMB_SUM1(k) (((flags & NF_B) ? w[k] + ty[k] : w[k]) + ((flags & NF_C) ? p[k] : 0.0f))
#else
    {
        __global const etype *w = word + (size_t)ids[row] * width;
        __global const etype *p = pos + ((flags & NF_C) ? (size_t)(tpos[row] + pos_offset) * width : 0);
        __global const etype *ty = type + ((flags & NF_B) ? (size_t)type_ids[row] * width : 0);
        for (uint c = t; c < width; c += WG)
            o[c] = ((flags & NF_B) ? eload(c, w) + eload(c, ty) : eload(c, w)) +
                   ((flags & NF_C) ? eload(c, p) : 0.0f);
    }
    barrier(CLK_GLOBAL_MEM_FENCE);
    flags &= ~(NF_B | NF_C);
#define EMB_SUM1(k) (o[k])
#endif

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
                        __global const etype *word, __global const etype *pos,
                        __global const etype *type, __global const float *gamma,
                        __global const float *beta, __global float *out, const uint width,
                        __global const int *tpos, const int pos_offset, const float eps, const uint rows,
                        const int flags)
{
    const uint row = get_global_id(0);
    if (row >= rows)
        return;
    __global float *o = out + (size_t)row * width;
    __global const etype *w = word + (size_t)ids[row] * width;
    __global const etype *ty = type + ((flags & NF_B) ? (size_t)type_ids[row] * width : 0);
    __global const etype *p = pos + ((flags & NF_C) ? (size_t)(tpos[row] + pos_offset) * width : 0);
#if WDT == 0
    norm_row(w, ty, p, gamma, beta, o, o, width, eps, flags & ~NF_SUM);
#else
    for (uint k = 0; k < width; k++)
        o[k] = ((flags & NF_B) ? eload(k, w) + eload(k, ty) : eload(k, w)) + ((flags & NF_C) ? eload(k, p) : 0.0f);
    norm_row(o, o, o, gamma, beta, o, o, width, eps, flags & ~(NF_SUM | NF_B | NF_C));
#endif
}
