/* Profile files: any bytes parse or fail cleanly; what parses serializes, parses back to the same
 * text, and answers the runtime's questions without reading out of bounds. */
#include "profile/profile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clembed_profile *p = NULL;
    if (clembed_profile_parse((const char *)data, size, &p) != CLEMBED_OK)
        return 0;
    char *a = NULL, *b = NULL;
    clembed_profile *q = NULL;
    if (clembed_profile_to_json(p, &a) != CLEMBED_OK ||
        clembed_profile_parse(a, strlen(a), &q) != CLEMBED_OK ||
        clembed_profile_to_json(q, &b) != CLEMBED_OK || strcmp(a, b) != 0)
        abort();
    /* The runtime's lookups on every registry kernel. */
    clembed__shape shape = {128, 384, 12, 128, 1, 1536};
    for (size_t i = 0; i < clembed__n_kernels; i++) {
        int v[CLEMBED_MAX_PARAMS];
        clembed__profile_params(p, &clembed__kernels[i], &shape, v);
        clembed__profile_variant(p, clembed__kernels[i].op, &shape, (int)(i & 1));
    }
    clembed_tune_result r;
    for (size_t i = 0; i < clembed_profile_result_count(p); i++)
        if (clembed_profile_result(p, i, &r) != CLEMBED_OK || !r.op || !r.kernel || !r.shape || !r.params)
            abort();
    clembed__profile_batch_tokens(p);
    free(a);
    free(b);
    clembed_profile_free(q);
    clembed_profile_free(p);
    return 0;
}
