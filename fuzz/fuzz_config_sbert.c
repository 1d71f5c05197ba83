/* Fuzz target: sentence_bert_config.json, and the effective length it leads to. */
#include "fuzz_config.h"

static void reader(const cJSON *root)
{
    clembed__sbert_config sb;
    clembed__encoder_config cfg;
    size_t len = 0;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_position_embeddings = 514;
    cfg.position_offset = 2;
    if (clembed__parse_sbert_config("sentence_bert_config.json", root, &sb) == CLEMBED_OK &&
        clembed__effective_max_len("dir", &sb, 1, 1e30, &cfg, &len) == CLEMBED_OK &&
        (len < 1 || len > 512))
        __builtin_trap();
}

FUZZ_JSON_TARGET(reader)
