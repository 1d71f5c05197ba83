/* The kernel registry: every kernel, its variants and tunable parameters. */
#include "runtime/kernels.h"

#include <stdio.h>
#include <string.h>

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

#define WG_CHOICES {16, 32, 64, 128, 256}
#define WG_OR_DRIVER_CHOICES {CLEMBED_WG_DRIVER, 16, 32, 64, 128, 256}
#define VEC_CHOICES {1, 2, 4, 8, 16}

const clembed__kernel_def clembed__kernels[] = {
    /* op       variant  kernel            source    valid    params  [cpu] */
    {"fill", "scalar", "fill_f32", "common", wg_or_driver_fits, {{"WG", 64, WG_OR_DRIVER_CHOICES}}, 0},
    {"copy", "vec", "copy_f32_vec", "common", wg_or_driver_fits,
     {{"WG", 64, WG_OR_DRIVER_CHOICES}, {"VEC", 4, VEC_CHOICES}}, 0},
    /* Encoder ops: see cl/<source>.cl for what each computes. */
    {"embeddings", "ln", "embeddings_f32", "embeddings", wg_pow2_fits, {{"WG", 64, {32, 64, 128, 256}}}, 0},
    {"embeddings", "row", "embeddings_f32_row", "embeddings", wg_fits,
     {{"WG", 8, {1, 2, 4, 8, 16, 32, 64}}, {"VEC", 8, VEC_CHOICES}}, 1},
    {"add_layernorm", "rows", "add_layernorm_f32", "layernorm", wg_pow2_fits,
     {{"WG", 64, {32, 64, 128, 256}}}, 0},
    {"add_layernorm", "row", "add_layernorm_f32_row", "layernorm", wg_fits,
     {{"WG", 8, {1, 2, 4, 8, 16, 32, 64}}, {"VEC", 8, VEC_CHOICES}}, 1},
    {"bias_act", "vec", "bias_act_f32", "activation", wg_or_driver_fits,
     {{"WG", 64, WG_OR_DRIVER_CHOICES}, {"VEC", 4, VEC_CHOICES}}, 0},
    {"attention", "online", "attention_f32", "attention", wg_kt_fits,
     {{"WG", 32, {8, 16, 32, 64, 128}}, {"KT", 32, {8, 16, 32, 64}}}, 0},
    {"attention", "row", "attention_f32_row", "attention", wg_kt_fits,
     {{"WG", 8, {1, 2, 4, 8, 16, 32, 64}}, {"KT", 32, {8, 16, 32, 64}}, {"VEC", 16, VEC_CHOICES}}, 1},
    {"pooling", "cols", "pooling_f32", "pooling", wg_fits, {{"WG", 64, WG_CHOICES}}, 0},
    {"l2norm", "rows", "l2norm_f32", "pooling", wg_pow2_fits, {{"WG", 64, {32, 64, 128, 256}}}, 0},
    /* GEMM for CPU drivers; GPUs get CLBlast (see lib/encoder/gemm.c). */
    {"gemm", "nn", "gemm_nn_f32", "gemm", wg_fits,
     {{"WG", 8, {1, 2, 4, 8, 16}}, {"TM", 8, {1, 2, 4, 6, 8, 12}}, {"TN", 1, {1, 2, 4}}, {"VN", 8, {1, 4, 8, 16}}}, 0},
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

void clembed__kernel_options(const clembed__kernel_def *k, const int *values, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < clembed__kernel_n_params(k) && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s-D%s=%d", i ? " " : "", k->params[i].name,
                                 values ? values[i] : k->params[i].def);
}
