/* The device a context takes when none is named.  One GPU is often listed twice (ROCm and
 * rusticl on an AMD machine), and the CPU under PoCL and llvmpipe: of such a group the platform
 * whose profile measured the hardware faster is taken; without two profiles to compare, ROCm
 * over rusticl over the others for a GPU (the runtime's platform ranks), the first listed for a
 * CPU.  Each platform keeps its own profile, so both can be tuned and compared. */
#define _POSIX_C_SOURCE 200809L
#include "profile/priv.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GROUP 8

clembed_status clembed_device_default(size_t *index, char *why, size_t why_cap)
{
    char dummy[8];
    if (!why || !why_cap) {
        why = dummy;
        why_cap = sizeof dummy;
    }
    why[0] = '\0';
    if (!index)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "clembed_device_default: index is NULL");
    const char *env = getenv("CLEMBED_DEVICE");
    size_t n = clembed_device_count();
    if ((env && *env) || n == 0) {
        clembed_status rc = clembed_device_select(NULL, index);
        if (rc == CLEMBED_OK)
            snprintf(why, why_cap, "CLEMBED_DEVICE=%s", env);
        return rc;
    }
    size_t first = 0;
    while (first < n && clembed__device_at(first)->info.type != CLEMBED_DEVICE_GPU)
        first++;
    int gpu = first < n;
    if (!gpu)
        first = 0;
    const clembed__device *lead = clembed__device_at(first);
    size_t members[MAX_GROUP], m = 0;
    for (size_t i = 0; i < n && m < MAX_GROUP; i++)
        if (clembed__device_at(i)->group == lead->group)
            members[m++] = i;
    *index = first;
    if (m < 2) {
        snprintf(why, why_cap, "the first %s", gpu ? "GPU" : "device");
        return CLEMBED_OK;
    }
    char list[256] = "";
    size_t used = 0;
    for (size_t k = 0; k < m && used < sizeof list; k++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%zu (%s)", k ? (k + 1 == m ? " and " : ", ") : "",
                                 members[k], clembed__device_at(members[k])->platform_kind);
    const char *what = gpu ? "one GPU" : "the host's CPU";

    /* The profiles measured on each, compared pairwise: the fastest one stands. */
    clembed__profile *p[MAX_GROUP] = {0};
    for (size_t k = 0; k < m; k++)
        p[k] = clembed__profile_find_own(clembed__device_at(members[k]), NULL);
    size_t best = m;
    int decided = 0;
    double tb = 0, to = 0;
    size_t shared = 0;
    for (size_t k = 0; k < m; k++) {
        if (!p[k])
            continue;
        if (best == m) {
            best = k;
            continue;
        }
        double ta = 0, tk = 0;
        size_t sh = 0;
        int c = clembed__profile_compare_speed(p[best], p[k], &ta, &tk, &sh);
        if (c != 0) {
            decided = 1;
            if (c > 0)
                best = k;
            tb = c > 0 ? tk : ta;
            to = c > 0 ? ta : tk;
            shared = sh;
        }
    }
    if (decided) {
        *index = members[best];
        if (shared)
            snprintf(why, why_cap, "devices %s are %s; %s's profile measured it faster (%.3g s against %.3g s "
                     "over %zu shapes)", list, what, clembed__device_at(*index)->platform_kind, tb, to, shared);
        else
            snprintf(why, why_cap, "devices %s are %s; %s's profile measured more read bandwidth", list, what,
                     clembed__device_at(*index)->platform_kind);
    } else if (gpu) {
        for (size_t k = 0; k < m; k++)
            if (clembed__device_at(members[k])->platform_rank < clembed__device_at(*index)->platform_rank)
                *index = members[k];
        snprintf(why, why_cap, "devices %s are %s; %s is preferred (ROCm over rusticl over others) while no two "
                 "profiles compare them", list, what, clembed__device_at(*index)->platform_kind);
    } else {
        snprintf(why, why_cap, "devices %s are %s; the first listed while no two profiles compare them", list, what);
    }
    for (size_t k = 0; k < m; k++)
        clembed_profile_free(p[k]);
    return CLEMBED_OK;
}
