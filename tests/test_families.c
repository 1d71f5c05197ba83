/* Every encoder family against sentence-transformers on every device: tiny random-weight models
 * of RoBERTa, XLM-RoBERTa, DistilBERT, ALBERT (with and without layer groups), T5 (relu and
 * gated-gelu), MPNet, ModernBERT and Qwen3, with their families' real tokenizers, over every text
 * of tests/data/fidelity/texts.jsonl, within cosine 0.99999 through the library's tokenizer and
 * through the reference token ids (tools/gen_families.py wrote the expected vectors; the weights
 * are regenerated from weights.json into the build tree by tools/tiny_weights.py before the
 * tests run).  16-bit checkpoints (RoBERTa in half, Qwen3 in bfloat16) run both widened to float32
 * and kept in 16 bits on the device ("-kept" cases).  Also: transformers' relative position buckets
 * against the committed table. */
#include "encoder/encoder.h"
#include "test_fidelity_data.h"

/* buckets.json: {"t5": {"num_buckets": .., "max_distance": .., "first_offset": .., "buckets": [..]},
 * ...} as transformers computes them. */
static void check_buckets(void)
{
    size_t len = 0;
    char *data = fid_read("tests/data/families/buckets.json", &len);
    cJSON *root = data ? cJSON_Parse(data) : NULL;
    free(data);
    if (!ok(cJSON_IsObject(root), "relative position buckets of transformers")) {
        cJSON_Delete(root);
        return;
    }
    const cJSON *set;
    cJSON_ArrayForEach(set, root)
    {
        const cJSON *nb = cJSON_GetObjectItem(set, "num_buckets"), *md = cJSON_GetObjectItem(set, "max_distance");
        const cJSON *lo = cJSON_GetObjectItem(set, "first_offset"), *b = cJSON_GetObjectItem(set, "buckets");
        if (!ok(cJSON_IsNumber(nb) && cJSON_IsNumber(md) && cJSON_IsNumber(lo) && cJSON_IsArray(b),
                "buckets %s: the table's fields", set->string))
            continue;
        int n = cJSON_GetArraySize(b), bad = -1, got = 0, want = 0;
        for (int i = 0; i < n && bad < 0; i++) {
            int rel = lo->valueint + i;
            got = clembed__rel_bucket(rel, nb->valueint, md->valueint);
            want = cJSON_GetArrayItem(b, i)->valueint;
            if (got != want)
                bad = rel;
        }
        if (!ok(bad < 0, "buckets %s (%d buckets, max distance %d): %d offsets as transformers has them",
                set->string, nb->valueint, md->valueint, n))
            diag("  offset %d: bucket %d, expected %d", bad, got, want);
    }
    cJSON_Delete(root);
}

int main(void)
{
    size_t idx[16], n_texts = 0;
    size_t n_dev = test_devices(idx, 16);
    (void)test_queue;
    check_buckets();
    fid_dir = "tests/data/families";
    char **texts = fid_texts(&n_texts);
    cJSON *cases = fid_cases();
    if (!ok(texts && n_texts >= 200 && cases, "reference texts (%zu) and cases", n_texts))
        return done_testing();
    const char *build = getenv("top_builddir");
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cases, "cases"))
    {
        const char *model_rel = cJSON_GetObjectItem(c, "model")->valuestring;
        const char *slash = strrchr(model_rel, '/');
        char *dir = clembed__asprintf("%s/tests/families/%s", build && *build ? build : ".",
                                      slash ? slash + 1 : model_rel);
        clembed_model *model = NULL;
        clembed_status rc = clembed_model_open(dir, NULL, &model);
        if (ok(rc == CLEMBED_OK, "open %s (%s)", dir, cJSON_GetObjectItem(c, "family")->valuestring)) {
            for (size_t d = 0; d < n_dev; d++)
                fid_run_case(c, model, texts, n_texts, idx[d], clembed__device_at(idx[d])->info.name, 1);
        } else {
            diag("  %s: %s (make check writes the weights with tools/tiny_weights.py)", clembed_strerror(rc),
                 clembed_errmsg());
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
