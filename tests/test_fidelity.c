/* The real all-MiniLM-L6-v2 against sentence-transformers on every device:
 * every text of tests/data/fidelity/texts.jsonl (short, truncated, empty,
 * multilingual, emoji) within cosine 0.99999 through the library's tokenizer
 * (and, where that fails, through the reference token ids, to tell the
 * encoder from the tokenizer); truncate_dim with and without normalization
 * on the first device. */
#include "test_fidelity_data.h"

int main(void)
{
    size_t idx[16], n_texts = 0;
    char *dir = fid_path("models/all-MiniLM-L6-v2");
    char *weights = clembed__path_join(dir, "model.safetensors");
    if (!clembed__file_exists(weights))
        skip_all("no %s (sh tools/setup.sh fetches it)", weights);
    free(weights);
    size_t n_dev = test_devices(idx, 16);
    (void)test_queue;
    char **texts = fid_texts(&n_texts);
    cJSON *cases = fid_cases();
    if (!ok(texts && n_texts >= 200 && cases, "reference texts (%zu) and cases", n_texts))
        return done_testing();
    clembed_model *model = NULL;
    clembed_status rc = clembed_model_open(dir, NULL, &model);
    if (!ok(rc == CLEMBED_OK, "open %s", dir)) {
        diag("  %s: %s", clembed_strerror(rc), clembed_errmsg());
        return done_testing();
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cases, "cases"))
    {
        if (strcmp(cJSON_GetObjectItem(c, "model")->valuestring, "models/all-MiniLM-L6-v2") != 0)
            continue;
        /* Every text on every device; the option cases (truncation,
         * normalization: the same kernels) on the first device, as CPU
         * drivers such as llvmpipe take minutes per pass. */
        int every_device = !strcmp(cJSON_GetObjectItem(c, "name")->valuestring, "minilm");
        for (size_t d = 0; d < (every_device ? n_dev : 1); d++)
            fid_run_case(c, model, texts, n_texts, idx[d], clembed__device_at(idx[d])->info.name, 0);
    }
    clembed_model_free(model);
    for (size_t i = 0; i < n_texts; i++)
        free(texts[i]);
    free(texts);
    cJSON_Delete(cases);
    free(dir);
    return done_testing();
}
