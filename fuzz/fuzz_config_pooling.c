/* Fuzz target: the Pooling module's config.json. */
#include "fuzz_config.h"

static void reader(const cJSON *root)
{
    clembed__module m;
    memset(&m, 0, sizeof m);
    if (clembed__parse_pooling("1_Pooling/config.json", root, &m) == CLEMBED_OK &&
        (m.n_pool < 1 || m.n_pool > 8 || m.pool_in_dim < 1))
        __builtin_trap();
}

FUZZ_JSON_TARGET(reader)
