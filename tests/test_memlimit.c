/* Every buffer under the allocation limit, on every device present: with CLEMBED_MAX_ALLOC
 * forced down to the largest weight a context holds, a tiny model still embeds exactly as
 * without a limit; one byte less and the context is refused with an error naming the tensor
 * and the limit.  Weights used in place fall back to copies when the driver refuses the host
 * pointer (forced here as a driver refuses it) or CLEMBED_HOST_PTR=off, with the same vectors. */
#define _POSIX_C_SOURCE 200809L
#include "test_fidelity_data.h"
#include "runtime/memory.h"

static const char *const texts[] = {
    "A cat sits on the mat.",
    "Strix Halo shares its memory with the CPU.",
    "rusticl and ROCm list the same GPU twice.",
};
#define N_TEXTS (sizeof texts / sizeof texts[0])

static char logged[4096];

static void capture(clembed_log_level level, const char *msg, void *user)
{
    (void)user;
    if (level < CLEMBED_LOG_WARN)
        return;
    size_t used = strlen(logged);
    snprintf(logged + used, sizeof logged - used, "%s%s", used ? " | " : "", msg);
}

/* Embeds texts on `device` with 64-token batches (so no scratch buffer outgrows the weights);
 * the status, the vectors in out. */
static clembed_status embed(const clembed_model *m, size_t device, float *out, size_t cap)
{
    char sel[32];
    clembed_context_params p;
    clembed_context_params_init(&p);
    snprintf(sel, sizeof sel, "%zu", device);
    p.device = sel;
    p.max_tokens = 64;
    p.batch_tokens = 64;
    p.profile = "off";
    clembed_context *ctx = NULL;
    clembed_status rc = clembed_context_new(m, &p, &ctx);
    if (rc == CLEMBED_OK)
        rc = clembed_embed(ctx, texts, N_TEXTS, out, cap, NULL);
    clembed_context_free(ctx);
    return rc;
}

static int same(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

int main(void)
{
    size_t idx[16];
    size_t n_dev = test_devices(idx, 16);
    char *dir = fid_path("tests/data/models/tiny-gelu-mean");
    clembed_model *m = NULL;
    if (clembed_model_open(dir, NULL, &m) != CLEMBED_OK)
        skip_all("cannot open %s: %s", dir, clembed_errmsg());
    free(dir);
    unsetenv("CLEMBED_MAX_ALLOC");
    unsetenv("CLEMBED_HOST_PTR");
    clembed_log_set_callback(capture, NULL);
    /* The largest weight a context of this model holds: the word embeddings, as float32. */
    const clembed__tensor *word = clembed__model_tensor(m, "embeddings.word_embeddings.weight");
    const size_t largest = 4 * clembed__tensor_numel(word), dim = clembed_model_dim(m);
    float *base = calloc(N_TEXTS * dim, sizeof *base), *got = calloc(N_TEXTS * dim, sizeof *got);
    char limit[32];
    for (size_t k = 0; k < n_dev; k++) {
        const clembed__device *dev = clembed__device_at(idx[k]);
        const char *name = dev->info.name;
        clembed_status rc = embed(m, idx[k], base, N_TEXTS * dim);
        if (!ok(rc == CLEMBED_OK, "%s: embeds without a limit", name)) {
            diag("  %s", clembed_errmsg());
            continue;
        }

        snprintf(limit, sizeof limit, "%zu", largest);
        setenv("CLEMBED_MAX_ALLOC", limit, 1);
        clembed_device_details x;
        x.size = sizeof x;
        ok(clembed_device_details_get(idx[k], &x) == CLEMBED_OK && x.max_buffer_bytes == largest,
           "%s: CLEMBED_MAX_ALLOC=%s is the largest buffer now", name, limit);
        rc = embed(m, idx[k], got, N_TEXTS * dim);
        ok(rc == CLEMBED_OK && same(base, got, N_TEXTS * dim),
           "%s: with every buffer at most the word embeddings (%zu bytes), the same vectors", name, largest);

        snprintf(limit, sizeof limit, "%zu", largest - 1);
        setenv("CLEMBED_MAX_ALLOC", limit, 1);
        rc = embed(m, idx[k], got, N_TEXTS * dim);
        const char *msg = clembed_errmsg();
        ok(rc == CLEMBED_ERR_DEVICE_MEMORY && strstr(msg, "'embeddings.word_embeddings.weight'") &&
               strstr(msg, "CLEMBED_MAX_ALLOC"),
           "%s: one byte less and the context is refused naming the tensor and the limit: %s", name, msg);

        setenv("CLEMBED_MAX_ALLOC", "16K", 1);
        clembed_context_params p;
        clembed_context_params_init(&p);
        char sel[32];
        snprintf(sel, sizeof sel, "%zu", idx[k]);
        p.device = sel;
        p.profile = "off";
        clembed_context *ctx = NULL;
        rc = clembed_context_new(m, &p, &ctx);
        msg = clembed_errmsg();
        ok(rc == CLEMBED_ERR_DEVICE_MEMORY && strstr(msg, "largest allocation") && strstr(msg, "--batch-tokens"),
           "%s: scratch over a 16 KiB limit asks for a smaller batch: %s", name, msg);
        clembed_context_free(ctx);
        unsetenv("CLEMBED_MAX_ALLOC");

        if (!dev->info.unified_memory) {
            skip("%s keeps weights in its own memory: no host pointers to refuse", name);
            continue;
        }
        logged[0] = '\0';
        clembed__device_refuse_host_ptr(1);
        rc = embed(m, idx[k], got, N_TEXTS * dim);
        clembed__device_refuse_host_ptr(0);
        ok(rc == CLEMBED_OK && same(base, got, N_TEXTS * dim) && strstr(logged, "refused") &&
               strstr(logged, "copied"),
           "%s: a refused host pointer falls back to copies, same vectors: %s", name, logged);
        ok(!clembed__device_host_ptr_ok(dev), "%s: and later weights are copied at once", name);
        setenv("CLEMBED_HOST_PTR", "off", 1);
        rc = embed(m, idx[k], got, N_TEXTS * dim);
        ok(rc == CLEMBED_OK && same(base, got, N_TEXTS * dim), "%s: CLEMBED_HOST_PTR=off copies, same vectors", name);
        unsetenv("CLEMBED_HOST_PTR");
    }
    free(base);
    free(got);
    clembed_model_free(m);
    return done_testing();
}
