/* Fuzz target: config.json. */
#include "fuzz_config.h"

static void reader(const cJSON *root)
{
    clembed__encoder_config cfg;
    clembed__parse_config("config.json", root, &cfg);
}

FUZZ_JSON_TARGET(reader)
