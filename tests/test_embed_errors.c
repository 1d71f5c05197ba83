/* clembed_embed and contexts at their edges: an empty list, a million
 * characters, invalid UTF-8, device memory too small for the batch, bad
 * arguments; results independent of batching and of the thread; op times.
 * Uses the tiny models of tests/data/models. */
#define _POSIX_C_SOURCE 200809L
#include "test_fidelity_data.h"

#include <pthread.h>

static clembed_model *open_tiny(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/data/models/%s", name);
    char *dir = fid_path(rel);
    clembed_model *m = NULL;
    clembed_status rc = clembed_model_open(dir, NULL, &m);
    if (!ok(rc == CLEMBED_OK, "open %s", rel))
        diag("  %s: %s", clembed_strerror(rc), clembed_errmsg());
    free(dir);
    return m;
}

static clembed_context *new_ctx(const clembed_model *m, size_t device, uint32_t batch_tokens)
{
    char sel[32];
    clembed_context_params p;
    clembed_context_params_init(&p);
    snprintf(sel, sizeof sel, "%zu", device);
    p.device = sel;
    p.batch_tokens = batch_tokens;
    clembed_context *ctx = NULL;
    if (clembed_context_new(m, &p, &ctx) != CLEMBED_OK)
        diag("  context: %s", clembed_errmsg());
    return ctx;
}

static int all_finite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

static double norm(const float *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)v[i] * v[i];
    return sqrt(s);
}

struct job {
    const clembed_model *model;
    size_t device;
    const char *const *texts;
    size_t n;
    float *out;
    clembed_status rc;
};

static void *run_job(void *arg)
{
    struct job *j = arg;
    clembed_context *ctx = new_ctx(j->model, j->device, 0);
    j->rc = ctx ? clembed_embed(ctx, j->texts, j->n, j->out, j->n * clembed_context_dim(ctx), NULL)
                : CLEMBED_ERR_INTERNAL;
    clembed_context_free(ctx);
    return NULL;
}

static void edges(const clembed_model *m, size_t device, const char *dn)
{
    clembed_context *ctx = new_ctx(m, device, 0);
    if (!ok(ctx != NULL, "%s: context", dn))
        return;
    const size_t dim = clembed_context_dim(ctx);
    float *out = calloc(8 * dim, sizeof *out);
    clembed_embed_info info[8];

    /* An empty list is a no-op, whatever the pointers. */
    out[0] = 42.0f;
    is_int(clembed_embed(ctx, NULL, 0, out, 0, NULL), CLEMBED_OK, "%s: n = 0 is a no-op", dn);
    ok(out[0] == 42.0f, "%s: n = 0 writes nothing", dn);

    /* A million characters: truncated to the model's length, a unit vector. */
    size_t big = 1000000;
    char *words = malloc(big + 1), *blob = malloc(big + 1);
    for (size_t i = 0; i < big; i++) {
        words[i] = i % 6 == 5 ? ' ' : "human"[i % 6];
        blob[i] = (char)('a' + i % 26);
    }
    words[big] = blob[big] = '\0';
    const char *huge[2] = {words, blob};
    clembed_status rc = clembed_embed(ctx, huge, 2, out, 8 * dim, info);
    ok(rc == CLEMBED_OK && all_finite(out, 2 * dim) && fabs(norm(out, dim) - 1) < 1e-4 &&
           fabs(norm(out + dim, dim) - 1) < 1e-4,
       "%s: two texts of a million characters embed to unit vectors", dn);
    ok(rc == CLEMBED_OK && info[0].truncated && info[0].tokens == clembed_model_max_tokens(m) &&
           !info[1].truncated && info[1].tokens == 3,
       "%s: the spaced one is truncated to %zu tokens, the unbroken one is one unknown word "
       "(%u, %d; %u, %d)", dn, clembed_model_max_tokens(m), info[0].tokens, info[0].truncated,
       info[1].tokens, info[1].truncated);
    free(words);
    free(blob);

    /* Invalid UTF-8: an error that names the text, never a crash. */
    const char *bad[3] = {"fine", "broken \xc3\x28 text", "fine too"};
    rc = clembed_embed(ctx, bad, 3, out, 8 * dim, NULL);
    ok(rc == CLEMBED_ERR_UTF8 && strstr(clembed_errmsg(), "1"), "%s: invalid UTF-8 is CLEMBED_ERR_UTF8 "
       "(%s)", dn, clembed_errmsg());
    const char *truncated_seq[1] = {"ends inside a sequence \xe2\x82"};
    is_int(clembed_embed(ctx, truncated_seq, 1, out, 8 * dim, NULL), CLEMBED_ERR_UTF8,
           "%s: a cut multi-byte sequence is CLEMBED_ERR_UTF8", dn);

    /* Bad arguments. */
    const char *two[2] = {"a", NULL};
    is_int(clembed_embed(ctx, two, 2, out, 8 * dim, NULL), CLEMBED_ERR_INVALID_ARG, "%s: a NULL text", dn);
    is_int(clembed_embed(ctx, two, 1, out, dim - 1, NULL), CLEMBED_ERR_INVALID_ARG, "%s: out too small", dn);
    is_int(clembed_embed(NULL, two, 1, out, dim, NULL), CLEMBED_ERR_INVALID_ARG, "%s: no context", dn);
    is_int(clembed_embed(ctx, two, 1, NULL, dim, NULL), CLEMBED_ERR_INVALID_ARG, "%s: no output", dn);

    /* After all that the context still works, and batching does not matter:
     * each text alone gives what the batch gives. */
    const char *texts[4] = {"The cat sat on the mat.", "", "A much longer sentence about rights, "
                            "freedom and the dignity of every human being, with many words.", "Yes."};
    float *batched = calloc(4 * dim, sizeof *batched);
    rc = clembed_embed(ctx, texts, 4, batched, 4 * dim, NULL);
    double worst = 1;
    for (size_t i = 0; i < 4 && rc == CLEMBED_OK; i++) {
        if ((rc = clembed_embed(ctx, texts + i, 1, out, dim, NULL)) != CLEMBED_OK)
            break;
        double c = fid_cosine(out, batched + i * dim, dim);
        worst = c < worst ? c : worst;
    }
    ok(rc == CLEMBED_OK && worst > 0.999999, "%s: one at a time equals batched (cosine %.8f)", dn, worst);

    /* Several threads, each with its context, share the model. */
    struct job jobs[2];
    pthread_t th[2];
    float *outs[2];
    for (int t = 0; t < 2; t++) {
        outs[t] = calloc(4 * dim, sizeof(float));
        jobs[t] = (struct job){m, device, texts, 4, outs[t], CLEMBED_ERR_INTERNAL};
        pthread_create(&th[t], NULL, run_job, &jobs[t]);
    }
    worst = 1;
    for (int t = 0; t < 2; t++) {
        pthread_join(th[t], NULL);
        for (size_t i = 0; i < 4; i++) {
            double c = fid_cosine(outs[t] + i * dim, batched + i * dim, dim);
            worst = c < worst ? c : worst;
        }
    }
    ok(jobs[0].rc == CLEMBED_OK && jobs[1].rc == CLEMBED_OK && worst > 0.999999,
       "%s: two threads with their own contexts on one model agree (cosine %.8f)", dn, worst);
    free(outs[0]);
    free(outs[1]);
    free(batched);
    free(out);
    clembed_context_free(ctx);
}

static void context_errors(const clembed_model *m, size_t device, const char *dn)
{
    char sel[32];
    snprintf(sel, sizeof sel, "%zu", device);
    clembed_context_params p;
    clembed_context *ctx = NULL;

    clembed_context_params_init(&p);
    p.device = sel;
    p.batch_tokens = 4000000000u;
    clembed_status rc = clembed_context_new(m, &p, &ctx);
    ok(rc == CLEMBED_ERR_DEVICE_MEMORY && ctx == NULL && strstr(clembed_errmsg(), "batch_tokens"),
       "%s: a batch beyond the device's memory is CLEMBED_ERR_DEVICE_MEMORY (%s)", dn, clembed_errmsg());

    clembed_context_params_init(&p);
    p.device = sel;
    p.truncate_dim = 100000;
    is_int(clembed_context_new(m, &p, &ctx), CLEMBED_ERR_INVALID_ARG, "%s: truncate_dim past the "
           "dimension", dn);
    clembed_context_params_init(&p);
    p.device = sel;
    p.normalize = 2;
    is_int(clembed_context_new(m, &p, &ctx), CLEMBED_ERR_INVALID_ARG, "%s: normalize 2", dn);
    clembed_context_params_init(&p);
    p.device = sel;
    p.prompt_name = "no-such-prompt";
    rc = clembed_context_new(m, &p, &ctx);
    ok(rc == CLEMBED_ERR_NOT_FOUND && strstr(clembed_errmsg(), "no-such-prompt"),
       "%s: an unknown prompt name is CLEMBED_ERR_NOT_FOUND (%s)", dn, clembed_errmsg());
    clembed_context_params_init(&p);
    p.device = sel;
    p.precision = "fp8";
    rc = clembed_context_new(m, &p, &ctx);
    ok(rc == CLEMBED_ERR_INVALID_ARG && strstr(clembed_errmsg(), "fp8") && strstr(clembed_errmsg(), "fp16"),
       "%s: an unknown precision is CLEMBED_ERR_INVALID_ARG naming the choices (%s)", dn, clembed_errmsg());
    /* fp16 storage: the matrices take half the bytes (the vectors stay float) */
    size_t w32 = 0, w16 = 0;
    clembed_context_params_init(&p);
    p.device = sel;
    p.precision = "fp32";
    if (clembed_context_new(m, &p, &ctx) == CLEMBED_OK) {
        ok(!strcmp(clembed_context_precision(ctx), "fp32"), "%s: fp32 asked, fp32 stored", dn);
        clembed_context_device_bytes(ctx, &w32, NULL);
        clembed_context_free(ctx);
        ctx = NULL;
    }
    p.precision = "fp16";
    if (clembed_context_new(m, &p, &ctx) == CLEMBED_OK) {
        ok(!strcmp(clembed_context_precision(ctx), "fp16"), "%s: fp16 asked, fp16 stored", dn);
        clembed_context_device_bytes(ctx, &w16, NULL);
        clembed_context_free(ctx);
        ctx = NULL;
    }
    ok(w16 > 0 && w16 < 0.6 * (double)w32, "%s: fp16 weights take %zu bytes, fp32 %zu", dn, w16, w32);
    ok(clembed_context_precision(NULL) == NULL, "%s: no context, no precision", dn);
    clembed_context_params_init(&p);
    p.size = 3;
    is_int(clembed_context_new(m, &p, &ctx), CLEMBED_ERR_INVALID_ARG, "%s: params not initialized", dn);
    clembed_context_params_init(&p);
    p.device = "no such device anywhere";
    is_int(clembed_context_new(m, &p, &ctx), CLEMBED_ERR_NOT_FOUND, "%s: an unknown device", dn);
    is_int(clembed_context_new(NULL, NULL, &ctx), CLEMBED_ERR_INVALID_ARG, "%s: no model", dn);
    ok(ctx == NULL, "%s: failed constructors leave *out NULL", dn);
    clembed_context_free(NULL);
}

static void op_times(const clembed_model *m, size_t device, const char *dn)
{
    char sel[32];
    snprintf(sel, sizeof sel, "%zu", device);
    clembed_context_params p;
    clembed_context_params_init(&p);
    p.device = sel;
    p.profiling = 1;
    clembed_context *ctx = NULL;
    if (!ok(clembed_context_new(m, &p, &ctx) == CLEMBED_OK, "%s: profiling context", dn))
        return;
    is_int(clembed_context_op_times(ctx, NULL, 0), 0, "%s: no op times before any work", dn);
    const char *texts[3] = {"one", "two words", "and a third, longer text"};
    float out[3 * 128];
    clembed_status rc = CLEMBED_ERR_INTERNAL;
    for (int r = 0; r < 2; r++)   /* the second batch has timestamps or host timing */
        rc = clembed_embed(ctx, texts, 3, out, sizeof out / sizeof out[0], NULL);
    clembed_op_time t[32];
    size_t n = clembed_context_op_times(ctx, t, 32);
    double total = 0;
    int named = 0, sane = 1;
    for (size_t i = 0; i < n && i < 32; i++) {
        total += t[i].seconds;
        sane &= t[i].seconds >= 0 && t[i].calls > 0;
        named += !strcmp(t[i].op, "gemm qkv") || !strcmp(t[i].op, "attention");
    }
    ok(rc == CLEMBED_OK && n >= 8 && named == 2 && sane && total > 0,
       "%s: %zu ops timed, %.4f s in all", dn, n, total);
    size_t w = 0, s = 0;
    rc = clembed_context_device_bytes(ctx, &w, &s);
    ok(rc == CLEMBED_OK && w > 0 && s > 0,
       "%s: device bytes: %zu of weights, %zu of scratch", dn, w, s);
    clembed_context_free(ctx);
}

int main(void)
{
    size_t idx[16];
    size_t n_dev = test_devices(idx, 16);
    (void)test_queue;
    clembed_model *m = open_tiny("tiny-gelu-mean");
    if (!m)
        return done_testing();
    for (size_t d = 0; d < n_dev; d++) {
        const char *dn = clembed__device_at(idx[d])->info.name;
        edges(m, idx[d], dn);
        context_errors(m, idx[d], dn);
        op_times(m, idx[d], dn);
    }
    clembed_model_free(m);
    return done_testing();
}
