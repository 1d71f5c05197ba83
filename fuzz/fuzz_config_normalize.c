/* Fuzz target: the Normalize module's config.json. */
#include "fuzz_config.h"

static void reader(const cJSON *root)
{
    clembed__parse_normalize("3_Normalize/config.json", root);
}

FUZZ_JSON_TARGET(reader)
