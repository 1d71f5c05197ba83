/* Sentence-transformers pooling over packed sequences, and L2
 * normalization.
 *
 * pooling_f32: hidden is [rows, width], sequence b's tokens its lens[b] rows
 * from offs[b]; positions below `skip` (an excluded prompt) do not count.  out is
 * [batch, n_modes * width]: the modes concatenated in the order `order`
 * packs them, 3 bits each from the lowest (POOL_* numbers; a mode may
 * repeat).  Where no position counts, the results are those of
 * sentence-transformers' masked formulas: cls takes position 0, max is -inf,
 * the means and lasttoken 0. */
#define POOL_CLS 0u
#define POOL_MAX 1u
#define POOL_MEAN 2u
#define POOL_MEAN_SQRT 3u
#define POOL_WEIGHTED 4u
#define POOL_LAST 5u

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void pooling_f32(__global const float *hidden, __global const uint *lens, __global const uint *offs,
                 __global float *out, const uint width, const uint order, const uint n_modes,
                 const uint skip)
{
    const uint c = get_global_id(0), b = get_global_id(1);
    if (c >= width)
        return;
    const uint len = lens[b], start = min(skip, len);
    __global const float *x = hidden + (size_t)offs[b] * width + c;
    float mx = -INFINITY, sum = 0.0f, wsum = 0.0f, wtot = 0.0f;
    for (uint j = start; j < len; j++) {
        const float v = x[(size_t)j * width];
        mx = fmax(mx, v);
        sum += v;
        wsum += v * (float)(j + 1);
        wtot += (float)(j + 1);
    }
    const float cnt = (float)(len - start);
    const int any = len > start;
    __global float *o = out + (size_t)b * n_modes * width + c;
    for (uint k = 0; k < n_modes; k++, o += width) {
        switch ((order >> (3 * k)) & 7u) {
        case POOL_CLS: *o = x[(size_t)(any ? start : 0) * width]; break;
        case POOL_MAX: *o = mx; break;
        case POOL_MEAN: *o = sum / fmax(cnt, 1e-9f); break;
        case POOL_MEAN_SQRT: *o = sum / sqrt(fmax(cnt, 1e-9f)); break;
        case POOL_WEIGHTED: *o = wsum / fmax(wtot, 1e-9f); break;
        default: *o = any ? x[(size_t)(len - 1) * width] : 0.0f; break;
        }
    }
}

/* out[:dim] = in[:dim] / max(||in[:dim]||, 1e-12) when normalize, else a
 * copy; one work-group per row.  out may be in. */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void l2norm_f32(__global const float *in, const uint in_stride, __global float *out,
                const uint out_stride, const uint dim, const int normalize)
{
    __local float red[WG];
    const uint row = get_group_id(0), t = get_local_id(0);
    in += (size_t)row * in_stride;
    out += (size_t)row * out_stride;
    float scale = 1.0f;
    if (normalize) {
        float s = 0.0f;
        for (uint c = t; c < dim; c += WG)
            s += in[c] * in[c];
        scale = 1.0f / fmax(sqrt(wg_sum(s, red)), 1e-12f);
    }
    for (uint c = t; c < dim; c += WG)
        out[c] = in[c] * scale;
}
