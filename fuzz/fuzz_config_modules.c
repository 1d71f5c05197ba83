/* Fuzz target: modules.json. */
#include "fuzz_config.h"

static void reader(const cJSON *root)
{
    clembed__module *mods = NULL;
    size_t n = 0;
    if (clembed__parse_modules("modules.json", root, &mods, &n) == CLEMBED_OK && (n < 2 || !mods))
        __builtin_trap();
    clembed__modules_free(mods, n);
}

FUZZ_JSON_TARGET(reader)
