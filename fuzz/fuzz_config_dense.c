/* Fuzz target: the Dense module's config.json. */
#include "fuzz_config.h"

static void reader(const cJSON *root)
{
    clembed__module m;
    int bias = 0;
    memset(&m, 0, sizeof m);
    if (clembed__parse_dense("2_Dense/config.json", root, &m, &bias) == CLEMBED_OK &&
        (m.in_features < 1 || m.out_features < 1))
        __builtin_trap();
}

FUZZ_JSON_TARGET(reader)
