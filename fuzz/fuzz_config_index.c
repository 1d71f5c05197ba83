/* Fuzz target: model.safetensors.index.json. */
#include "fuzz_config.h"

static void reader(const cJSON *root)
{
    clembed__index ix;
    if (clembed__parse_index("model.safetensors.index.json", root, &ix) == CLEMBED_OK) {
        for (size_t i = 0; i < ix.n_names; i++)
            if (ix.file_of[i] >= ix.n_files)
                __builtin_trap();
        clembed__index_free(&ix);
    }
}

FUZZ_JSON_TARGET(reader)
