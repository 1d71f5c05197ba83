/* Scaled dot-product attention over the fused QKV projection, with the
 * padding mask.  qkv is [tokens, ld]: query head h at columns q_col + h *
 * HEAD_DIM, its key and value heads (grouped-query attention: kv_group query
 * heads share one) at k_col and v_col + (h / kv_group) * HEAD_DIM; bias has
 * the same columns.  Sequence b's rows are offs[b] .. offs[b + 1] - 1, its
 * tokens the first lens[b] of them (a sequence with no tokens keeps one
 * row).  out is [tokens, heads * HEAD_DIM]; rows past a sequence's tokens
 * get zeros.
 *
 * Which keys query i sees: those before len, and of them
 *   AF_CAUSAL: only j <= i;
 *   win_left >= 0: only j >= i - win_left;  win_right >= 0: only j <= i + win_right.
 * AF_POS_BIAS adds posb[h * pb_stride + (j - i + pb_center)] to each score
 * after the scale (relative position biases, resolved per distance).
 *
 * Grid: (the most rows of a sequence, `seq`, rounded up to WG, heads,
 * sequences). */
#ifndef HEAD_DIM
#define HEAD_DIM 64
#endif
#ifndef KT
#define KT 32
#endif

#define AF_CAUSAL 1
#define AF_POS_BIAS 2

/* The keys query i of a sequence of len tokens sees: [*lo, *hi). */
inline void key_range(const uint i, const uint len, const int flags, const int win_left,
                      const int win_right, uint *lo, uint *hi)
{
    uint h = (flags & AF_CAUSAL) ? min(len, i + 1) : len;
    if (win_right >= 0)
        h = min(h, i + (uint)win_right + 1);
    *lo = win_left >= 0 && i > (uint)win_left ? i - (uint)win_left : 0;
    *hi = h;
}

/* A work-item owns one query; the work-group stages KT keys and values at a
 * time in local memory and keeps a running (online) softmax, so no score
 * matrix is stored.  For GPUs. */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void attention_f32(__global const float *qkv, __global const float *bias,
                   __global const uint *lens, __global const uint *offs, __global float *out,
                   const uint seq,
                   const uint ld, const uint q_col, const uint k_col, const uint v_col,
                   const uint kv_group, const float scale, __global const float *posb,
                   const uint pb_stride, const uint pb_center, const int flags, const int win_left,
                   const int win_right)
{
    __local float ks[KT * HEAD_DIM];
    __local float vs[KT * HEAD_DIM];
    const uint i = get_global_id(0), t = get_local_id(0);
    const uint h = get_group_id(1), b = get_group_id(2), heads = get_num_groups(1);
    const uint len = lens[b], rows = offs[b + 1] - offs[b];
    const size_t base = offs[b], ow = (size_t)heads * HEAD_DIM;
    const uint qc = q_col + h * HEAD_DIM, kc = k_col + (h / kv_group) * HEAD_DIM;
    const uint vc = v_col + (h / kv_group) * HEAD_DIM;
    __global float *o = out + (base + i) * ow + h * HEAD_DIM;

    const uint g0 = get_group_id(0) * WG;
    if (g0 >= len) {   /* no query of the group is a token */
        if (i < rows)
            for (uint d = 0; d < HEAD_DIM; d++)
                o[d] = 0.0f;
        return;
    }
    const int active = i < len;
    uint lo = 0, hi = 0;
    if (active)
        key_range(i, len, flags, win_left, win_right, &lo, &hi);
    /* The keys any query of the group sees. */
    uint glo, ghi, last = min(len, g0 + WG) - 1, unused;
    key_range(g0, len, flags, win_left, win_right, &glo, &unused);
    key_range(last, len, flags, win_left, win_right, &unused, &ghi);

    float q[HEAD_DIM], acc[HEAD_DIM], s[KT];
    float m = -INFINITY, l = 0.0f;
    for (uint d = 0; d < HEAD_DIM; d++) {
        q[d] = active ? qkv[(base + i) * ld + qc + d] + bias[qc + d] : 0.0f;
        acc[d] = 0.0f;
    }
    __global const float *pb = posb + (size_t)h * pb_stride + pb_center;
    for (uint j0 = glo; j0 < ghi; j0 += KT) {
        const uint nk = min((uint)KT, ghi - j0);
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
                const uint j = j0 + r;
                if (j < lo || j >= hi) {
                    s[r] = -INFINITY;
                    continue;
                }
                float dot = 0.0f;
                for (uint d = 0; d < HEAD_DIM; d++)
                    dot += q[d] * ks[r * HEAD_DIM + d];
                s[r] = dot * scale;
                if (flags & AF_POS_BIAS)
                    s[r] += pb[(int)j - (int)i];
                tmax = fmax(tmax, s[r]);
            }
            if (tmax > -INFINITY) {
                const float c = exp(m - tmax);   /* 0 on the first tile with a key */
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
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (i < rows) {
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
                       __global const uint *lens, __global const uint *offs, __global float *out,
                       const uint seq,
                       const uint ld, const uint q_col, const uint k_col, const uint v_col,
                       const uint kv_group, const float scale, __global const float *posb,
                       const uint pb_stride, const uint pb_center, const int flags, const int win_left,
                       const int win_right)
{
    const uint i = get_global_id(0), h = get_global_id(1), b = get_global_id(2);
    if (i >= offs[b + 1] - offs[b])
        return;
    const uint len = lens[b], heads = get_global_size(1);
    const size_t base = offs[b], ow = (size_t)heads * HEAD_DIM;
    const uint qc = q_col + h * HEAD_DIM, kc = k_col + (h / kv_group) * HEAD_DIM;
    const uint vc = v_col + (h / kv_group) * HEAD_DIM;
    __global float *o = out + (base + i) * ow + h * HEAD_DIM;
    if (i >= len) {
        for (uint d = 0; d < HEAD_DIM; d++)
            o[d] = 0.0f;
        return;
    }
    uint lo, hi;
    key_range(i, len, flags, win_left, win_right, &lo, &hi);
    __global const float *qrow = qkv + (base + i) * ld + qc;
    floatV q[NV], acc[NV];
    floatV qbv = 0.0f;
    for (uint v = 0; v < NV; v++) {
        q[v] = (vloadV(v, qrow) + vloadV(v, bias + qc)) * scale;
        qbv += q[v] * vloadV(v, bias + kc);
        acc[v] = 0.0f;
    }
    const float qb = hsumV(qbv);
    __global const float *pb = posb + (size_t)h * pb_stride + pb_center;
    float s[KT];
    float m = -INFINITY, l = 0.0f;
    __global const float *keys = qkv + base * ld + kc, *vals = qkv + base * ld + vc;
    for (uint j0 = lo; j0 < hi; j0 += KT) {
        const uint nk = min((uint)KT, hi - j0);
        float tmax = m;
        for (uint r = 0; r < nk; r++) {
            __global const float *k = keys + (j0 + r) * ld;
            floatV d = q[0] * vloadV(0, k);
            for (uint v = 1; v < NV; v++)
                d += q[v] * vloadV(v, k);
            s[r] = hsumV(d) + qb;
            if (flags & AF_POS_BIAS)
                s[r] += pb[(int)(j0 + r) - (int)i];
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

/* QB queries of one head per work-item, one per lane of a floatQ: each key and value row is
 * read once for the block, its elements broadcast against the block's queries, and one vector
 * exp serves the block's scores for a key.  The online softmax runs per lane over tiles of KT
 * keys.  No local memory and no barriers: for CPU drivers.  The scale goes into the queries
 * and the key bias into one dot product per query, the value bias is added at the end.
 * Grid: (ceil(seq / QB) rounded up to WG, heads, sequences). */
#ifndef QB
#define QB 8
#endif
#define floatQ CAT(float, QB)
#define intQ CAT(int, QB)
#define vloadQ CAT(vload, QB)
#define vstoreQ CAT(vstore, QB)

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void attention_f32_qblock(__global const float *qkv, __global const float *bias,
                          __global const uint *lens, __global const uint *offs, __global float *out,
                          const uint seq, const uint ld, const uint q_col, const uint k_col,
                          const uint v_col, const uint kv_group, const float scale,
                          __global const float *posb, const uint pb_stride, const uint pb_center,
                          const int flags, const int win_left, const int win_right)
{
    const uint i0 = get_global_id(0) * QB, h = get_global_id(1), b = get_global_id(2);
    const uint rows = offs[b + 1] - offs[b];
    if (i0 >= rows)
        return;
    const uint len = lens[b], heads = get_global_size(1);
    const size_t base = offs[b], ow = (size_t)heads * HEAD_DIM;
    const uint qc = q_col + h * HEAD_DIM, kc = k_col + (h / kv_group) * HEAD_DIM;
    const uint vc = v_col + (h / kv_group) * HEAD_DIM;

    /* The block's queries, transposed into lanes; each lane's keys [lo, hi), none past len. */
    float lane[QB];
    int lo_l[QB], hi_l[QB];
    floatQ q[HEAD_DIM], acc[HEAD_DIM];
    uint lo_all = len, hi_all = 0;
    for (uint t = 0; t < QB; t++) {
        uint lo = 0, hi = 0;
        if (i0 + t < len) {
            key_range(i0 + t, len, flags, win_left, win_right, &lo, &hi);
            lo_all = min(lo_all, lo);
            hi_all = max(hi_all, hi);
        }
        lo_l[t] = (int)lo;
        hi_l[t] = (int)hi;
    }
    const intQ lov = vloadQ(0, lo_l), hiv = vloadQ(0, hi_l);
    floatQ qb = 0.0f;
    for (uint d = 0; d < HEAD_DIM; d++) {
        for (uint t = 0; t < QB; t++)
            lane[t] = i0 + t < len ? (qkv[(base + i0 + t) * ld + qc + d] + bias[qc + d]) * scale : 0.0f;
        q[d] = vloadQ(0, lane);
        qb += q[d] * bias[kc + d];
        acc[d] = 0.0f;
    }
    __global const float *pb = posb + (size_t)h * pb_stride + pb_center;
    floatQ m = -INFINITY, l = 0.0f, s[KT];
    for (uint j0 = lo_all; j0 < hi_all; j0 += KT) {
        const uint nk = min((uint)KT, hi_all - j0);
        floatQ tmax = m;
        for (uint r = 0; r < nk; r++) {
            const uint j = j0 + r;
            __global const float *k = qkv + (base + j) * ld + kc;
            floatQ dot = qb;
            for (uint d = 0; d < HEAD_DIM; d++)
                dot += q[d] * k[d];
            if (flags & AF_POS_BIAS) {
                for (uint t = 0; t < QB; t++)
                    lane[t] = pb[(int)j - (int)(i0 + t)];
                dot += vloadQ(0, lane);
            }
            const intQ jv = (intQ)(int)j;
            s[r] = select((floatQ)(-INFINITY), dot, jv >= lov && jv < hiv);
            tmax = fmax(tmax, s[r]);
        }
        /* lanes without a key so far keep -inf: measure them from 0 so no inf - inf appears */
        const floatQ ref = select(tmax, (floatQ)0.0f, isinf(tmax));
        const floatQ c = exp(m - ref);
        l *= c;
        for (uint d = 0; d < HEAD_DIM; d++)
            acc[d] *= c;
        for (uint r = 0; r < nk; r++) {
            const floatQ p = exp(s[r] - ref);
            __global const float *v = qkv + (base + j0 + r) * ld + vc;
            l += p;
            for (uint d = 0; d < HEAD_DIM; d++)
                acc[d] += p * v[d];
        }
        m = tmax;
    }
    /* Lanes that are tokens: the weighted values plus the value bias; rows past the tokens: 0. */
    const floatQ inv = select((floatQ)0.0f, 1.0f / l, l > 0.0f);
    for (uint t = 0; t < QB; t++)
        lane[t] = i0 + t < len ? 1.0f : 0.0f;
    const floatQ on = vloadQ(0, lane);
    for (uint d = 0; d < HEAD_DIM; d++) {
        vstoreQ(acc[d] * inv + on * bias[vc + d], 0, lane);
        for (uint t = 0; t < QB && i0 + t < rows; t++)
            out[(base + i0 + t) * ow + h * HEAD_DIM + d] = lane[t];
    }
}

/* Queries and keys made ready for attention, in place in the fused QKV rows
 * ([rows, ld], see attention.cl): one work-item per row and head slot, slots
 * 0 .. heads-1 the query heads, then kv_heads key heads, then kv_heads value
 * heads.  Each head gets its bias (QF_BIAS), then query and key heads an
 * RMSNorm over the head (QF_NORM: weights qn, kn, eps) and rotary positions
 * (QF_ROPE: the first rope_dim dimensions, rotate-half pairs (d, d + rope_dim
 * / 2), angle pos * inv_freq from the tables cos_t / sin_t [positions,
 * rope_dim / 2], the row's position tpos[row]).  The attention then runs
 * with a zero bias. */
#define QF_BIAS 1
#define QF_NORM 2
#define QF_ROPE 4

__kernel WG_ATTR
void qk_prep_f32(__global float *qkv, __global const float *bias, __global const float *qn,
                 __global const float *kn, __global const float *cos_t, __global const float *sin_t,
                 __global const int *tpos, const uint rows, const uint ld, const uint heads,
                 const uint kv_heads, const uint rope_dim, const float eps, const int flags)
{
    const uint slots = heads + 2 * kv_heads, gid = get_global_id(0);
    if (gid >= rows * slots)
        return;
    const uint r = gid / slots, slot = gid % slots;
    __global float *x = qkv + (size_t)r * ld + slot * HEAD_DIM;
    __global const float *bb = bias + slot * HEAD_DIM;
    float v[HEAD_DIM];
    for (uint d = 0; d < HEAD_DIM; d++)
        v[d] = (flags & QF_BIAS) ? x[d] + bb[d] : x[d];
    if (slot < heads + kv_heads) {
        if (flags & QF_NORM) {
            __global const float *w = slot < heads ? qn : kn;
            float ss = 0.0f;
            for (uint d = 0; d < HEAD_DIM; d++)
                ss += v[d] * v[d];
            const float rs = 1.0f / sqrt(ss / (float)HEAD_DIM + eps);
            for (uint d = 0; d < HEAD_DIM; d++)
                v[d] = v[d] * rs * w[d];
        }
        if (flags & QF_ROPE) {
            const uint hr = rope_dim / 2;
            __global const float *ct = cos_t + (size_t)tpos[r] * hr, *st = sin_t + (size_t)tpos[r] * hr;
            for (uint d = 0; d < hr; d++) {
                const float a = v[d], b = v[d + hr], c = ct[d], s = st[d];
                v[d] = a * c - b * s;
                v[d + hr] = b * c + a * s;
            }
        }
    }
    for (uint d = 0; d < HEAD_DIM; d++)
        x[d] = v[d];
}
