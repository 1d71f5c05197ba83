/* Scaled dot-product attention with the padding mask, over the fused QKV
 * projection.  qkv is [tokens, 3 * hidden] (queries, keys, values side by
 * side, head h at columns h * HEAD_DIM of each), bias is [3 * hidden], lens
 * holds each sequence's unpadded length (right padding).  out is
 * [tokens, hidden]; padded rows get zeros.
 *
 * Grid: (queries rounded up to WG, heads, sequences).  A work-item owns one
 * query; the work-group stages KT keys and values at a time in local memory
 * and keeps a running (online) softmax, so no score matrix is stored. */
#ifndef HEAD_DIM
#define HEAD_DIM 64
#endif
#ifndef KT
#define KT 32
#endif

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void attention_f32(__global const float *qkv, __global const float *bias,
                   __global const uint *lens, __global float *out, const uint seq,
                   const uint hidden, const float scale)
{
    __local float ks[KT * HEAD_DIM];
    __local float vs[KT * HEAD_DIM];
    const uint i = get_global_id(0), t = get_local_id(0);
    const uint h = get_group_id(1), b = get_group_id(2);
    const uint len = lens[b];
    const size_t ld = 3 * (size_t)hidden, base = (size_t)b * seq;
    const uint qc = h * HEAD_DIM, kc = hidden + qc, vc = 2 * hidden + qc;
    __global float *o = out + (base + i) * hidden + qc;

    if (get_group_id(0) * WG >= len) {   /* the whole group is padding */
        if (i < seq)
            for (uint d = 0; d < HEAD_DIM; d++)
                o[d] = 0.0f;
        return;
    }
    const int active = i < len;
    float q[HEAD_DIM], acc[HEAD_DIM], s[KT];
    float m = -INFINITY, l = 0.0f;
    for (uint d = 0; d < HEAD_DIM; d++) {
        q[d] = active ? qkv[(base + i) * ld + qc + d] + bias[qc + d] : 0.0f;
        acc[d] = 0.0f;
    }
    for (uint j0 = 0; j0 < len; j0 += KT) {
        const uint nk = min((uint)KT, len - j0);
        for (uint e = t; e < nk * HEAD_DIM; e += WG) {
            const uint r = e / HEAD_DIM, d = e % HEAD_DIM;
            __global const float *row = qkv + (base + j0 + r) * ld;
            ks[e] = row[kc + d] + bias[kc + d];
            vs[e] = row[vc + d] + bias[vc + d];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (active) {
            float tmax = m;
            for (uint r = 0; r < nk; r++) {
                float dot = 0.0f;
                for (uint d = 0; d < HEAD_DIM; d++)
                    dot += q[d] * ks[r * HEAD_DIM + d];
                s[r] = dot * scale;
                tmax = fmax(tmax, s[r]);
            }
            const float c = exp(m - tmax);   /* 0 on the first tile */
            l *= c;
            for (uint d = 0; d < HEAD_DIM; d++)
                acc[d] *= c;
            for (uint r = 0; r < nk; r++) {
                const float p = exp(s[r] - tmax);
                l += p;
                for (uint d = 0; d < HEAD_DIM; d++)
                    acc[d] += p * vs[r * HEAD_DIM + d];
            }
            m = tmax;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (i < seq) {
        const float inv = active ? 1.0f / l : 0.0f;
        for (uint d = 0; d < HEAD_DIM; d++)
            o[d] = acc[d] * inv;
    }
}

/* One work-item per query, VEC dimensions at a time, reading keys and values
 * straight from global memory (one head's rows of a sequence stay in the
 * cache): no local memory and no barriers, for CPU drivers where a
 * work-group is a loop over its work-items.  The scale goes into the query
 * and the key bias into one dot product per query; the value bias is added
 * at the end (the weights sum to one).  Grid as attention_f32. */
#define NV (HEAD_DIM / VEC)

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void attention_f32_row(__global const float *qkv, __global const float *bias,
                       __global const uint *lens, __global float *out, const uint seq,
                       const uint hidden, const float scale)
{
    const uint i = get_global_id(0), h = get_global_id(1), b = get_global_id(2);
    if (i >= seq)
        return;
    const uint len = lens[b];
    const size_t ld = 3 * (size_t)hidden, base = (size_t)b * seq;
    const uint qc = h * HEAD_DIM, kc = hidden + qc, vc = 2 * hidden + qc;
    __global float *o = out + (base + i) * hidden + qc;
    if (i >= len) {
        for (uint d = 0; d < HEAD_DIM; d++)
            o[d] = 0.0f;
        return;
    }
    __global const float *qrow = qkv + (base + i) * ld + qc;
    floatV q[NV], acc[NV];
    floatV qbv = 0.0f;
    for (uint v = 0; v < NV; v++) {
        q[v] = (vloadV(v, qrow) + vloadV(v, bias + qc)) * scale;
        qbv += q[v] * vloadV(v, bias + kc);
        acc[v] = 0.0f;
    }
    const float qb = hsumV(qbv);
    float s[KT];
    float m = -INFINITY, l = 0.0f;
    __global const float *keys = qkv + base * ld + kc, *vals = qkv + base * ld + vc;
    for (uint j0 = 0; j0 < len; j0 += KT) {
        const uint nk = min((uint)KT, len - j0);
        float tmax = m;
        for (uint r = 0; r < nk; r++) {
            __global const float *k = keys + (j0 + r) * ld;
            floatV d = q[0] * vloadV(0, k);
            for (uint v = 1; v < NV; v++)
                d += q[v] * vloadV(v, k);
            s[r] = hsumV(d) + qb;
            tmax = fmax(tmax, s[r]);
        }
        const float c = exp(m - tmax);   /* 0 on the first tile */
        l *= c;
        for (uint v = 0; v < NV; v++)
            acc[v] *= c;
        for (uint r = 0; r < nk; r++) {
            const float p = exp(s[r] - tmax);
            __global const float *vr = vals + (j0 + r) * ld;
            l += p;
            for (uint v = 0; v < NV; v++)
                acc[v] += p * vloadV(v, vr);
        }
        m = tmax;
    }
    const float inv = 1.0f / l;
    for (uint v = 0; v < NV; v++)
        vstoreV(acc[v] * inv + vloadV(v, bias + vc), v, o);
}
