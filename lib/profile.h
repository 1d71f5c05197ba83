/* Internal to libclembed: tuning profiles, as read by the runtime. */
#ifndef CLEMBED_PROFILE_H
#define CLEMBED_PROFILE_H

#include "device.h"
#include "kernels.h"
#include "ops.h"

typedef struct clembed__profile clembed__profile;

/* Finds and loads the profile for a device: `path` when given, "off" for
 * none, NULL for the lookup order of DESIGN.md.  *out is NULL when no usable
 * profile exists (built-in defaults apply); that is not an error. */
clembed_status clembed__profile_load_for_device(const clembed__device *dev, const char *path,
                                                clembed__profile **out);
void clembed__profile_free(clembed__profile *p);

/* The variant of `op` to run at `shape`: the profile's choice, else the
 * registry's first kernel of that op; NULL when the registry has no such op. */
const clembed__kernel_def *clembed__profile_variant(const clembed__profile *p, const char *op,
                                                    const clembed__shape *shape);

/* Parameter values for kernel k at `shape`: the profile's, else the
 * registry's defaults.  `values` has CLEMBED_MAX_PARAMS entries. */
void clembed__profile_params(const clembed__profile *p, const clembed__kernel_def *k,
                             const clembed__shape *shape, int *values);

/* The device batch token budget the profile recommends, 0 when it has none. */
uint32_t clembed__profile_batch_tokens(const clembed__profile *p);

#endif
