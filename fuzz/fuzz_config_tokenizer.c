/* Fuzz target: tokenizer_config.json, and the effective length it leads to. */
#include "fuzz_config.h"

static void reader(const cJSON *root)
{
    clembed__encoder_config cfg;
    int has = 0;
    double mml = 0;
    size_t len = 0;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_position_embeddings = 512;
    if (clembed__parse_tokenizer_config("tokenizer_config.json", root, &has, &mml) == CLEMBED_OK &&
        clembed__effective_max_len("dir", NULL, has, mml, &cfg, &len) == CLEMBED_OK &&
        (len < 1 || len > 512))
        __builtin_trap();
}

FUZZ_JSON_TARGET(reader)
