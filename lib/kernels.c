/* The kernel registry: every kernel, its variants and tunable parameters. */
#include "kernels.h"

#include <stdio.h>
#include <string.h>

static int wg_fits(const int *v, size_t max_wg)
{
    return v[0] > 0 && (size_t)v[0] <= max_wg;
}

const clembed__kernel_def clembed__kernels[] = {
    /* op       variant  kernel            source    valid    params */
    {"fill", "scalar", "fill_f32", "common", wg_fits, {{"WG", 64, {16, 32, 64, 128, 256}}}},
    {"copy", "vec", "copy_f32_vec", "common", wg_fits,
     {{"WG", 64, {16, 32, 64, 128, 256}}, {"VEC", 4, {1, 2, 4, 8, 16}}}},
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
