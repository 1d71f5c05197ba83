/* Fuzz target: config_sentence_transformers.json. */
#include "fuzz_config.h"

#include <stdlib.h>

static void reader(const cJSON *root)
{
    clembed_model *m = calloc(1, sizeof *m);
    if (!m)
        return;
    if (clembed__parse_st_config("config_sentence_transformers.json", root, m) == CLEMBED_OK &&
        (!clembed__model_prompt(m, "query") ||
         (m->default_prompt_name && !clembed__model_prompt(m, m->default_prompt_name))))
        __builtin_trap();
    clembed_model_free(m);
}

FUZZ_JSON_TARGET(reader)
