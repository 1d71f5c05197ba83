/* The real models against sentence-transformers on every device: every text
 * of tests/data/fidelity/texts.jsonl (short, truncated, empty, multilingual,
 * emoji) within cosine 0.99999 through the library's tokenizer (and, where
 * that fails, through the reference token ids, to tell the encoder from the
 * tokenizer).  all-MiniLM-L6-v2 on every device, with its truncate_dim cases
 * on the first; all-mpnet-base-v2 (five times the work) on the first device
 * whole and on the others every 46th text, as CPU drivers such as llvmpipe
 * take minutes per pass.  A model that is not there is skipped with the
 * command that fetches it. */
#include "test_fidelity_data.h"

static const struct {
    const char *dir, *main_case, *fetch;
} real_models[] = {
    {"models/all-MiniLM-L6-v2", "minilm", "sh tools/setup.sh"},
    {"models/all-mpnet-base-v2", "mpnet", "sh tools/fetch_mpnet.sh"},
};

int main(void)
{
    size_t idx[16], n_texts = 0, present = 0;
    size_t n_dev = test_devices(idx, 16);
    (void)test_queue;
    char **texts = fid_texts(&n_texts);
    cJSON *cases = fid_cases();
    for (size_t r = 0; r < CLEMBED_ARRAY_LEN(real_models); r++) {
        char *dir = fid_path(real_models[r].dir);
        char *weights = clembed__path_join(dir, "model.safetensors");
        if (!clembed__file_exists(weights)) {
            diag("no %s (%s fetches it)", weights, real_models[r].fetch);
            free(weights);
            free(dir);
            continue;
        }
        free(weights);
        present++;
        if (!ok(texts && n_texts >= 200 && cases, "reference texts (%zu) and cases", n_texts)) {
            free(dir);
            break;
        }
        clembed_model *model = NULL;
        clembed_status rc = clembed_model_open(dir, NULL, &model);
        if (!ok(rc == CLEMBED_OK, "open %s", dir)) {
            diag("  %s: %s", clembed_strerror(rc), clembed_errmsg());
            free(dir);
            continue;
        }
        const int small = r == 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(cases, "cases"))
        {
            if (strcmp(cJSON_GetObjectItem(c, "model")->valuestring, real_models[r].dir) != 0)
                continue;
            /* The main case on every device; the option cases (truncation,
             * normalization: the same kernels) on the first. */
            int every_device = !strcmp(cJSON_GetObjectItem(c, "name")->valuestring, real_models[r].main_case);
            for (size_t d = 0; d < (every_device ? n_dev : 1); d++)
                fid_run_case_every(c, model, texts, n_texts, idx[d], clembed__device_at(idx[d])->info.name, 0,
                                   small || d == 0 ? 1 : 46);
        }
        clembed_model_free(model);
        free(dir);
    }
    for (size_t i = 0; i < n_texts; i++)
        free(texts[i]);
    free(texts);
    cJSON_Delete(cases);
    if (!present)
        skip_all("no real model (sh tools/setup.sh fetches all-MiniLM-L6-v2)");
    return done_testing();
}
