/* Profiles at run time.  Without a profile, the registry's built-in defaults apply. */
#include "profile.h"

#include <string.h>

struct clembed__profile {
    int unused;
};

clembed_status clembed__profile_load_for_device(const clembed__device *dev, const char *path,
                                                clembed__profile **out)
{
    (void)dev;
    (void)path;
    *out = NULL;
    return CLEMBED_OK;
}

void clembed__profile_free(clembed__profile *p)
{
    (void)p;
}

const clembed__kernel_def *clembed__profile_variant(const clembed__profile *p, const char *op,
                                                    const clembed__shape *shape)
{
    (void)p;
    (void)shape;
    for (size_t i = 0; i < clembed__n_kernels; i++)
        if (strcmp(clembed__kernels[i].op, op) == 0)
            return &clembed__kernels[i];
    return NULL;
}

void clembed__profile_params(const clembed__profile *p, const clembed__kernel_def *k,
                             const clembed__shape *shape, int *values)
{
    (void)p;
    (void)shape;
    for (size_t i = 0; i < CLEMBED_MAX_PARAMS; i++)
        values[i] = i < clembed__kernel_n_params(k) ? k->params[i].def : 0;
}

uint32_t clembed__profile_batch_tokens(const clembed__profile *p)
{
    (void)p;
    return 0;
}
