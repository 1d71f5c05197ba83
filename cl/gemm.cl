/* C[M, N] = act(A[M, K] * B[K, N] (+ bias[N])), all row-major; B is a weight
 * stored transposed at upload.  A work-item computes a block of TM rows by
 * TN vectors of VN columns, in registers: per step along K it loads TN
 * vectors of a row of B and TM values of A, and does TM x TN vector FMAs (the
 * shape of a BLAS micro-kernel, for CPU drivers, which map the vectors to
 * SIMD registers).  Groups are WG work-items along the columns, which share
 * their rows of A.  N is a multiple of VN; rows and columns past the edges
 * read the last valid ones and store nothing.  Offsets are 32-bit (the
 * launcher checks): 64-bit integer arithmetic is slow on some drivers. */
#ifndef TM
#define TM 4
#endif
#ifndef TN
#define TN 2
#endif
#ifndef VN
#define VN 8
#endif
#ifndef BAND
#define BAND 32
#endif

#if VN == 1
#define floatN float
#define vloadN(i, p) ((p)[i])
#define vstoreN(v, i, p) ((p)[i] = (v))
#else
#define floatN CAT(float, VN)
#define vloadN CAT(vload, VN)
#define vstoreN CAT(vstore, VN)
#endif

/* B as stored (WDT): float, half (widened by vload_half, core OpenCL C without cl_khr_fp16), or
 * bfloat16 (the top half of a float). */
#ifndef WDT
#define WDT 0
#endif
#if WDT == 1
#define btype half
#if VN == 1
#define loadB(i, p) vload_half(i, p)
#else
#define loadB CAT(vload_half, VN)
#endif
#elif WDT == 2
#define btype ushort
#if VN == 1
#define loadB(i, p) as_float((uint)(p)[i] << 16)
#else
#define loadB(i, p) CAT(as_float, VN)(CAT(convert_uint, VN)(CAT(vload, VN)(i, p)) << 16)
#endif
#else
#define btype float
#define loadB vloadN
#endif

DEFINE_ACT(floatN, act_n)

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void gemm_nn_f32(__global const float *a, __global const btype *b, __global const float *bias,
                 __global float *c, const uint m, const uint n, const uint k, const int has_bias,
                 const int act)
{
    const uint nv = n / VN;                       /* vectors per row of B and C */
    /* Groups taken in bands of BAND row blocks: down the band for one strip of
     * columns, then the next strip, so the strip of B stays in the nearest
     * cache while the band of A stays in the next one. */
    const uint gx = get_num_groups(0), gy = get_num_groups(1);
    const uint g = get_group_id(0) + get_group_id(1) * gx;
    const uint band = g / (BAND * gx), within = g % (BAND * gx);
    const uint rows = min((uint)BAND, gy - band * BAND);
    const uint sx = within / rows, ry = band * BAND + within % rows;
    const uint v0 = (sx * WG + get_local_id(0)) * TN;   /* first vector of this block */
    const uint i0 = ry * TM;
    if (v0 >= nv || i0 >= m)
        return;
    /* Row and column offsets as integers: drivers that keep private arrays
     * of pointers in memory (llvmpipe) slow down by orders of magnitude. */
    uint ar[TM];
    uint vc[TN];
    for (uint r = 0; r < TM; r++)
        ar[r] = min(i0 + r, m - 1) * k;
    for (uint t = 0; t < TN; t++)
        vc[t] = min(v0 + t, nv - 1);
    floatN acc[TM][TN];
    for (uint r = 0; r < TM; r++)
        for (uint t = 0; t < TN; t++)
            acc[r][t] = (floatN)0.0f;
    for (uint q = 0; q < k; q++) {
        __global const btype *brow = b + q * n;
        floatN bv[TN];
        for (uint t = 0; t < TN; t++)
            bv[t] = loadB(vc[t], brow);
        for (uint r = 0; r < TM; r++) {
            const floatN av = (floatN)a[ar[r] + q];
            for (uint t = 0; t < TN; t++)
                acc[r][t] += av * bv[t];   /* not fma(): llvmpipe emulates it in software */
        }
    }
    for (uint t = 0; t < TN && v0 + t < nv; t++) {
        const floatN bj = has_bias ? vloadN(v0 + t, bias) : (floatN)0.0f;
        for (uint r = 0; r < TM && i0 + r < m; r++)
            vstoreN(act_n(acc[r][t] + bj, act), v0 + t, c + (i0 + r) * n);
    }
}
