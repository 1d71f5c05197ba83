/* Wall-clock time and robust statistics over repeated timings. */
#define _POSIX_C_SOURCE 200809L
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

double clembed__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double clembed__median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

unsigned clembed__outliers(const double *sorted, size_t n, double median)
{
    double dev[CLEMBED__MAX_SAMPLES];
    if (n < 3 || n > CLEMBED__MAX_SAMPLES)
        return 0;
    for (size_t i = 0; i < n; i++)
        dev[i] = fabs(sorted[i] - median);
    double mad = clembed__median(dev, n);
    double limit = median + 4 * 1.4826 * mad;
    if (limit < 1.1 * median)
        limit = 1.1 * median;
    unsigned k = 0;
    for (size_t i = 0; i < n; i++)
        k += sorted[i] > limit;
    return k;
}
