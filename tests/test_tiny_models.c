/* Tiny random-weight BERT models (tests/data/models, built by
 * tools/gen_reference.py) against sentence-transformers on every device:
 * activations, head sizes, position counts, every pooling mode and their
 * concatenation, Dense and Normalize chains, prompts excluded from pooling,
 * Matryoshka truncation. */
#include "test_fidelity_data.h"

int main(void)
{
    size_t idx[16], n_texts = 0;
    size_t n_dev = test_devices(idx, 16);
    (void)test_queue;
    char **texts = fid_texts(&n_texts);
    cJSON *cases = fid_cases();
    if (!ok(texts && n_texts >= 200 && cases, "reference texts (%zu) and cases", n_texts))
        return done_testing();
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cases, "cases"))
    {
        const char *model_rel = cJSON_GetObjectItem(c, "model")->valuestring;
        if (strncmp(model_rel, "tests/data/models/", 18) != 0)
            continue;
        char *dir = fid_path(model_rel);
        clembed_model *model = NULL;
        clembed_status rc = clembed_model_open(dir, NULL, &model);
        if (ok(rc == CLEMBED_OK, "open %s", model_rel)) {
            for (size_t d = 0; d < n_dev; d++)
                fid_run_case(c, model, texts, n_texts, idx[d], clembed__device_at(idx[d])->info.name, 1);
        } else {
            diag("  %s: %s", clembed_strerror(rc), clembed_errmsg());
        }
        clembed_model_free(model);
        free(dir);
    }
    for (size_t i = 0; i < n_texts; i++)
        free(texts[i]);
    free(texts);
    cJSON_Delete(cases);
    return done_testing();
}
