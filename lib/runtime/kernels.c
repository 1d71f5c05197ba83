/* The kernel registry: every kernel, its variants and tunable parameters, and the rules each
 * row owns (what its parameters must satisfy, what it asks of a shape and a device). */
#include "runtime/kernels.h"

#include <stdio.h>
#include <string.h>

const char *const clembed__param_names[CLEMBED__N_PARAM_IDS] = {
    NULL,
#define CLEMBED_X_(p) #p,
    CLEMBED__PARAM_LIST(CLEMBED_X_)
#undef CLEMBED_X_
};

/* ---- constraints on the values alone (a row's `valid`) ---------------------------------- */

static int wg_fits(const int *v, size_t max_wg)
{
    return v[0] > 0 && (size_t)v[0] <= max_wg;
}

/* Work-group reductions (wg_sum in common.cl) need a power of two. */
static int wg_pow2_fits(const int *v, size_t max_wg)
{
    return wg_fits(v, max_wg) && (v[0] & (v[0] - 1)) == 0;
}

/* Kernels that do not depend on their work-group size also take WG = -1:
 * the driver's own choice of local size. */
static int wg_or_driver_fits(const int *v, size_t max_wg)
{
    return v[0] == CLEMBED_WG_DRIVER || wg_fits(v, max_wg);
}

static int wg_kt_fits(const int *v, size_t max_wg)
{
    return wg_fits(v, max_wg) && v[1] > 0;
}

/* ---- what a row asks of the shape and the device (a row's `fits`) ------------------------ */

static int pow2_upto16(int v)
{
    return v > 0 && (v & (v - 1)) == 0 && v <= 16;
}

static uint32_t head_dim(const clembed__shape *s)
{
    return s->heads ? s->hidden / s->heads : 0;
}

static int fits_vec(const clembed__kernel_def *k, const int *v, const clembed__shape *s,
                    const clembed__device *dev, const char **why)
{
    (void)s, (void)dev;
    if (!pow2_upto16(clembed__kparam(k, v, CLEMBED__P_VEC, 1))) {
        *why = "VEC must be 1, 2, 4, 8 or 16";
        return 0;
    }
    return 1;
}

/* bias_act: vectors along the row. */
static int fits_vec_divides_row(const clembed__kernel_def *k, const int *v, const clembed__shape *s,
                                const clembed__device *dev, const char **why)
{
    (void)dev;
    int vec = clembed__kparam(k, v, CLEMBED__P_VEC, 1);
    if (!pow2_upto16(vec) || s->inter % (uint32_t)vec != 0) {
        *why = "VEC must be 1, 2, 4, 8 or 16 and divide the row width";
        return 0;
    }
    return 1;
}

static int fits_gemm(const clembed__kernel_def *k, const int *v, const clembed__shape *s,
                     const clembed__device *dev, const char **why)
{
    (void)dev;
    int tm = clembed__kparam(k, v, CLEMBED__P_TM, 1), tn = clembed__kparam(k, v, CLEMBED__P_TN, 1);
    int vn = clembed__kparam(k, v, CLEMBED__P_VN, 1);
    if (tm < 1 || tm > 16 || tn < 1 || tn > 8) {
        *why = "TM must be 1 to 16 and TN 1 to 8";
        return 0;
    }
    if (!pow2_upto16(vn) || s->inter % (uint32_t)vn != 0) {
        *why = "VN must be 1, 2, 4, 8 or 16 and divide N";
        return 0;
    }
    return 1;
}

/* Attention: whole heads, and the key and value tiles of KT rows in local memory. */
static int fits_attention(const clembed__kernel_def *k, const int *v, const clembed__shape *s,
                          const clembed__device *dev, const char **why)
{
    uint32_t hd = head_dim(s);
    uint64_t local = 2ull * (uint64_t)clembed__kparam(k, v, CLEMBED__P_KT, 32) * hd * sizeof(float);
    if (hd == 0 || s->hidden % s->heads != 0) {
        *why = "the hidden size must be a multiple of the number of heads";
        return 0;
    }
    if (local > dev->info.local_mem_bytes) {
        *why = "the key and value tiles do not fit in local memory";
        return 0;
    }
    return 1;
}

/* Whole heads. */
static int fits_heads(const clembed__kernel_def *k, const int *v, const clembed__shape *s,
                      const clembed__device *dev, const char **why)
{
    (void)k, (void)v, (void)dev;
    if (head_dim(s) == 0 || s->hidden % s->heads != 0) {
        *why = "the hidden size must be a multiple of the number of heads";
        return 0;
    }
    return 1;
}

/* The work-item-per-query variant: vectors along the head dimension too. */
static int fits_attention_row(const clembed__kernel_def *k, const int *v, const clembed__shape *s,
                              const clembed__device *dev, const char **why)
{
    if (!fits_vec(k, v, s, dev, why))
        return 0;
    if (head_dim(s) % (uint32_t)clembed__kparam(k, v, CLEMBED__P_VEC, 1) != 0) {
        *why = "VEC must divide the head dimension";
        return 0;
    }
    return fits_attention(k, v, s, dev, why);
}

/* The query-block variant: QB queries in the lanes of a vector. */
static int fits_attention_qblock(const clembed__kernel_def *k, const int *v, const clembed__shape *s,
                                 const clembed__device *dev, const char **why)
{
    int qb = clembed__kparam(k, v, CLEMBED__P_QB, 8);
    if (qb != 4 && qb != 8 && qb != 16) {
        *why = "QB must be 4, 8 or 16";
        return 0;
    }
    return fits_heads(k, v, s, dev, why);
}

/* ---- the table ---------------------------------------------------------------------------- */

#define P(p, def, flags, ...) {#p, CLEMBED__P_##p, def, flags, {__VA_ARGS__}}
#define WG_CHOICES 16, 32, 64, 128, 256
#define WG_OR_DRIVER_CHOICES CLEMBED_WG_DRIVER, 16, 32, 64, 128, 256
#define WG_POW2_CHOICES 32, 64, 128, 256
#define WG_ROW_CHOICES 1, 2, 4, 8, 16, 32, 64
#define VEC_CHOICES 1, 2, 4, 8, 16
#define KT_CHOICES 8, 16, 32, 64
#define VECTOR (CLEMBED__PF_VECTOR | CLEMBED__PF_SHRINK)

const clembed__kernel_def clembed__kernels[] = {
    /* op, variant, kernel, source, valid, fits, params, cpu, per_item, head_dim, wdtype */
    {"fill", "scalar", "fill_f32", "common", wg_or_driver_fits, NULL,
     {P(WG, 64, 0, WG_OR_DRIVER_CHOICES)}, 0, 0, 0, 0},
    {"copy", "vec", "copy_f32_vec", "common", wg_or_driver_fits, fits_vec,
     {P(WG, 64, 0, WG_OR_DRIVER_CHOICES), P(VEC, 4, VECTOR, VEC_CHOICES)}, 0, 0, 0, 0},
    /* Encoder ops: see cl/<source>.cl for what each computes. */
    {"embeddings", "ln", "embeddings_f32", "embeddings", wg_pow2_fits, NULL,
     {P(WG, 64, 0, WG_POW2_CHOICES)}, 0, 0, 0, 1},
    {"embeddings", "row", "embeddings_f32_row", "embeddings", wg_fits, fits_vec,
     {P(WG, 8, 0, WG_ROW_CHOICES), P(VEC, 8, VECTOR, VEC_CHOICES)}, CLEMBED__CPU_ANY, 1, 0, 1},
    {"add_layernorm", "rows", "add_layernorm_f32", "layernorm", wg_pow2_fits, NULL,
     {P(WG, 64, 0, WG_POW2_CHOICES)}, 0, 0, 0, 0},
    {"add_layernorm", "row", "add_layernorm_f32_row", "layernorm", wg_fits, fits_vec,
     {P(WG, 8, 0, WG_ROW_CHOICES), P(VEC, 8, VECTOR, VEC_CHOICES)}, CLEMBED__CPU_ANY, 1, 0, 0},
    {"bias_act", "vec", "bias_act_f32", "activation", wg_or_driver_fits, fits_vec_divides_row,
     {P(WG, 64, 0, WG_OR_DRIVER_CHOICES), P(VEC, 4, VECTOR, VEC_CHOICES)}, 0, 0, 0, 0},
    {"attention", "online", "attention_f32", "attention", wg_kt_fits, fits_attention,
     {P(WG, 32, 0, 8, 16, 32, 64, 128), P(KT, 32, CLEMBED__PF_SHRINK, KT_CHOICES)}, 0, 0, 1, 0},
    {"attention", "row", "attention_f32_row", "attention", wg_kt_fits, fits_attention_row,
     {P(WG, 8, 0, WG_ROW_CHOICES), P(KT, 32, CLEMBED__PF_SHRINK, KT_CHOICES),
      P(VEC, 16, VECTOR, VEC_CHOICES)},
     CLEMBED__CPU_ANY, 1, 1, 0},
    /* Explicit vector lanes suit a runtime that loops over a work-group (2.5-3x the row
     * variant on PoCL), not llvmpipe, which already runs work-items in lanes (half its speed
     * there at MiniLM's shapes). */
    {"attention", "qblock", "attention_f32_qblock", "attention", wg_kt_fits, fits_attention_qblock,
     {P(WG, 1, 0, 1, 2, 4, 8), P(KT, 16, 0, KT_CHOICES), P(QB, 16, 0, 4, 8, 16)}, CLEMBED__CPU_LOOP, 1, 1, 0},
    /* Its source's attention kernels require a work-group size: no driver's choice here. */
    {"qk_prep", "slot", "qk_prep_f32", "attention", wg_fits, fits_heads, {P(WG, 64, 0, WG_CHOICES)}, 0, 0, 1, 0},
    {"glu", "vec", "glu_f32", "activation", wg_or_driver_fits, fits_vec_divides_row,
     {P(WG, 64, 0, WG_OR_DRIVER_CHOICES), P(VEC, 4, VECTOR, VEC_CHOICES)}, 0, 0, 0, 0},
    {"pooling", "cols", "pooling_f32", "pooling", wg_fits, NULL, {P(WG, 64, 0, WG_CHOICES)}, 0, 0, 0, 0},
    {"l2norm", "rows", "l2norm_f32", "pooling", wg_pow2_fits, NULL, {P(WG, 64, 0, WG_POW2_CHOICES)},
     0, 0, 0, 0},
    /* GEMM for CPU drivers; GPUs get CLBlast (see lib/encoder/gemm.c). */
    {"gemm", "nn", "gemm_nn_f32", "gemm", wg_fits, fits_gemm,
     {P(WG, 8, 0, 1, 2, 4, 8, 16), P(TM, 8, 0, 1, 2, 4, 6, 8, 12), P(TN, 1, 0, 1, 2, 4),
      P(VN, 8, VECTOR, 1, 4, 8, 16)},
     0, 0, 0, 1},
};

const size_t clembed__n_kernels = sizeof clembed__kernels / sizeof clembed__kernels[0];

const clembed__kernel_def *clembed__kernel_find(const char *kernel)
{
    for (size_t i = 0; i < clembed__n_kernels; i++)
        if (strcmp(clembed__kernels[i].kernel, kernel) == 0)
            return &clembed__kernels[i];
    return NULL;
}

size_t clembed__kernel_n_params(const clembed__kernel_def *k)
{
    size_t n = 0;
    while (n < CLEMBED_MAX_PARAMS && k->params[n].name)
        n++;
    return n;
}

int clembed__kparam_index(const clembed__kernel_def *k, clembed__param_id id)
{
    for (size_t i = 0; i < clembed__kernel_n_params(k); i++)
        if (k->params[i].id == id)
            return (int)i;
    return -1;
}

int clembed__kparam(const clembed__kernel_def *k, const int *values, clembed__param_id id, int fallback)
{
    int i = clembed__kparam_index(k, id);
    return i < 0 ? fallback : values ? values[i] : k->params[i].def;
}

void clembed__kernel_options(const clembed__kernel_def *k, const int *values, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < clembed__kernel_n_params(k) && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s-D%s=%d", i ? " " : "", k->params[i].name,
                                 values ? values[i] : k->params[i].def);
}
