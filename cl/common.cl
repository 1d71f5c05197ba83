/* Prepended to every kernel source: shared helpers and parameter defaults. */
#ifndef WG
#define WG 64
#endif
#ifndef VEC
#define VEC 4
#endif

/* A required work-group size of WG; none when WG is -1, where the driver
 * picks the local size (kernels that do not depend on it). */
#if WG > 0
#define WG_ATTR __attribute__((reqd_work_group_size(WG, 1, 1)))
#else
#define WG_ATTR
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#if VEC == 1
#define floatV float
#define vloadV(i, p) ((p)[i])
#define vstoreV(v, i, p) ((p)[i] = (v))
#else
#define floatV CAT(float, VEC)
#define vloadV CAT(vload, VEC)
#define vstoreV CAT(vstore, VEC)
#endif

/* Sum of a floatV's lanes, pairwise. */
#if VEC == 1
#define hsumV(v) (v)
#elif VEC == 2
#define hsumV(v) ((v).s0 + (v).s1)
#elif VEC == 4
#define hsumV(v) (((v).s0 + (v).s1) + ((v).s2 + (v).s3))
#elif VEC == 8
#define hsumV(v) ((((v).s0 + (v).s1) + ((v).s2 + (v).s3)) + (((v).s4 + (v).s5) + ((v).s6 + (v).s7)))
#else
#define hsumV(v) (((((v).s0 + (v).s1) + ((v).s2 + (v).s3)) + (((v).s4 + (v).s5) + ((v).s6 + (v).s7))) + \
                  ((((v).s8 + (v).s9) + ((v).sa + (v).sb)) + (((v).sc + (v).sd) + ((v).se + (v).sf))))
#endif

__kernel WG_ATTR
void fill_f32(__global float *dst, const float value, const uint n)
{
    uint i = get_global_id(0);
    if (i < n)
        dst[i] = value;
}

/* n is a multiple of VEC; the caller copies any tail. */
__kernel WG_ATTR
void copy_f32_vec(__global float *dst, __global const float *src, const uint nvec)
{
    uint i = get_global_id(0);
    if (i < nvec)
        vstoreV(vloadV(i, src), i, dst);
}

/* Flags of the normalizing kernels (embeddings, add_layernorm), as lib/encoder passes them. */
#define NF_B 1       /* add b (a bias vector, or the token type row) */
#define NF_C 2       /* add c (the residual, or the position row) */
#define NF_LAYER 4   /* LayerNorm: (s - mean) / sqrt(var + eps) * gamma (+ beta) */
#define NF_RMS 8     /* RMSNorm: s / sqrt(mean(s^2) + eps) * gamma; neither: s as it is */
#define NF_BETA 16   /* LayerNorm with beta */
#define NF_SUM 32    /* also write s itself to sum_out (a pre-norm residual stream) */

/* s = (a + b) + c, b and c as flags say, of one row of n floats, normalized as flags say into
 * out, VEC columns at a time and the rest one by one: the row variants' body, for one
 * work-item.  out and sum_out may be c.  The row is read three times; the last two reads hit the
 * cache. */
#define ROW_SUMV(i) (((flags & NF_B) ? vloadV(i, a) + vloadV(i, b) : vloadV(i, a)) + \
                     ((flags & NF_C) ? vloadV(i, c) : (floatV)0.0f))
#define ROW_SUM1(k) (((flags & NF_B) ? a[k] + b[k] : a[k]) + ((flags & NF_C) ? c[k] : 0.0f))
inline void norm_row(__global const float *a, __global const float *b, __global const float *c,
                     __global const float *gamma, __global const float *beta, __global float *out,
                     __global float *sum_out, const uint n, const float eps, const int flags)
{
    const uint nv = n / VEC, tail = nv * VEC;
    float mean = 0.0f, rstd = 1.0f;
    if (flags & (NF_LAYER | NF_RMS)) {
        if (flags & NF_LAYER) {
            floatV sv = 0.0f;
            for (uint i = 0; i < nv; i++)
                sv += ROW_SUMV(i);
            float s = hsumV(sv);
            for (uint k = tail; k < n; k++)
                s += ROW_SUM1(k);
            mean = s / (float)n;
        }
        floatV vv = 0.0f;
        for (uint i = 0; i < nv; i++) {
            floatV d = ROW_SUMV(i) - mean;
            vv += d * d;
        }
        float v = hsumV(vv);
        for (uint k = tail; k < n; k++) {
            float d = ROW_SUM1(k) - mean;
            v += d * d;
        }
        rstd = 1.0f / sqrt(v / (float)n + eps);
    }
    for (uint i = 0; i < nv; i++) {
        const floatV s = ROW_SUMV(i);
        if (flags & NF_SUM)
            vstoreV(s, i, sum_out);
        if (flags & NF_BETA)
            vstoreV((s - mean) * rstd * vloadV(i, gamma) + vloadV(i, beta), i, out);
        else if (flags & (NF_LAYER | NF_RMS))
            vstoreV((s - mean) * rstd * vloadV(i, gamma), i, out);
        else {
            vstoreV(s, i, out);
        }
    }
    for (uint k = tail; k < n; k++) {
        const float s = ROW_SUM1(k);
        if (flags & NF_SUM)
            sum_out[k] = s;
        if (flags & NF_BETA)
            out[k] = (s - mean) * rstd * gamma[k] + beta[k];
        else if (flags & (NF_LAYER | NF_RMS))
            out[k] = (s - mean) * rstd * gamma[k];
        else {
            out[k] = s;
        }
    }
}

/* Sum of v over the work-group (WG a power of two); every work-item must
 * call it, and every work-item gets the sum.  red has WG entries. */
inline float wg_sum(float v, __local float *red)
{
    uint t = get_local_id(0);
    red[t] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint s = WG / 2; s > 0; s >>= 1) {
        if (t < s)
            red[t] += red[t + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

/* Activations, numbered as clembed__act in lib/model/model.h.  DEFINE_ACT(T, name)
 * defines `T name(T x, int act)` for a float or vector type T. */
#define ACT_GELU 0
#define ACT_GELU_TANH 1
#define ACT_RELU 2
#define ACT_SILU 3
#define ACT_QUICK_GELU 4
#define ACT_TANH 5
#define ACT_IDENTITY 6
/* erf in float as a rational function of x^2 on [-4, 4] (outside, +-1 to float precision):
 * within 8 ulp of the true value everywhere, without the branches of the library's erf, so
 * that CPU drivers vectorize it; exact GELU is 4 times cheaper with it.  The coefficients are
 * the minimax fit XLA and Eigen use for float. */
#define DEFINE_ERF(T, name)                                                            \
    inline T name(T x)                                                                 \
    {                                                                                  \
        x = clamp(x, (T)-4.0f, (T)4.0f);                                               \
        const T x2 = x * x;                                                            \
        T p = (T)-2.72614225801306e-10f;                                               \
        p = p * x2 + 2.77068142495902e-08f;                                            \
        p = p * x2 + -2.10102402082508e-06f;                                           \
        p = p * x2 + -5.69250639462346e-05f;                                           \
        p = p * x2 + -7.34990630326855e-04f;                                           \
        p = p * x2 + -2.95459980854025e-03f;                                           \
        p = p * x2 + -1.60960333262415e-02f;                                           \
        T q = (T)-1.45660718464996e-05f;                                               \
        q = q * x2 + -2.13374055278905e-04f;                                           \
        q = q * x2 + -1.68282697438203e-03f;                                           \
        q = q * x2 + -7.37332916720468e-03f;                                           \
        q = q * x2 + -1.42647390514189e-02f;                                           \
        return x * p / q;                                                              \
    }
#define DEFINE_ACT(T, name)                                                            \
    DEFINE_ERF(T, name##_erf)                                                          \
    inline T name(T x, const int act)                                                  \
    {                                                                                  \
        switch (act) {                                                                 \
        case ACT_GELU:                                                                 \
            return 0.5f * x * (1.0f + name##_erf(x * 0.70710678118654752f));          \
        case ACT_GELU_TANH: /* 0.5 x (1 + tanh(u)) = x / (1 + exp(-2 u)), without tanh */      \
            return x / (1.0f + exp(-1.5957691216057307f * (x + 0.044715f * x * x * x))); \
        case ACT_RELU:                                                                 \
            return fmax(x, (T)0.0f);                                                   \
        case ACT_SILU:                                                                 \
            return x / (1.0f + exp(-x));                                               \
        case ACT_QUICK_GELU:                                                           \
            return x / (1.0f + exp(-1.702f * x));                                     \
        case ACT_TANH:                                                                 \
            return tanh(x);                                                            \
        default:                                                                       \
            return x;                                                                  \
        }                                                                              \
    }
