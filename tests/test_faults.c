/* The fault switch (lib/runtime/fault.h): every device enqueue, host-to-device write and
 * device-to-host read of an embedding, and every buffer allocation of a context, made to
 * fail in turn.  Each failure gives a clean error with a message, never a crash; a failed
 * embedding leaves a context that embeds the same bytes as before; a failed context is
 * NULL and a new one works.  Leaks show under the sanitizer build (LSan) and valgrind. */
#define _POSIX_C_SOURCE 200809L
#include "test_fidelity_data.h"
#include "runtime/fault.h"

static const char *const texts[] = {"The cat sat on the mat.", "",
                                    "A much longer sentence about rights, freedom and the dignity of "
                                    "every human being, with many words, long enough for a batch of its own.",
                                    "Yes.", "Two short words"};
#define N_TEXTS (sizeof texts / sizeof texts[0])

static clembed_context *new_ctx(const clembed_model *m, size_t device)
{
    char sel[32];
    clembed_context_params p;
    clembed_context_params_init(&p);
    snprintf(sel, sizeof sel, "%zu", device);
    p.device = sel;
    p.batch_tokens = 64;   /* several batches, so faults land between them too */
    clembed_context *ctx = NULL;
    clembed_status rc = clembed_context_new(m, &p, &ctx);
    if (rc != CLEMBED_OK)
        diag("  context: %s: %s", clembed_strerror(rc), clembed_errmsg());
    return ctx;
}

static const char *const kind_names[] = {"enqueue", "alloc", "write", "read"};

/* Under valgrind (CI's stage sets CLEMBED_TEST_QUICK) only the first, a middle and the last
 * call of each kind fail: every call is too slow there. */
static int quick;

static int tried(uint64_t nth, uint64_t of)
{
    return !quick || nth == 1 || nth == of || nth == (of + 1) / 2;
}

static void faults(const clembed_model *m, size_t device, const char *dn)
{
    clembed_context *ctx = new_ctx(m, device);
    if (!ok(ctx != NULL, "%s: context", dn))
        return;
    const size_t dim = clembed_context_dim(ctx);
    float *ref = calloc(N_TEXTS * dim, sizeof *ref), *out = calloc(N_TEXTS * dim, sizeof *out);
    uint64_t before[CLEMBED__N_FAULTS], per_embed[CLEMBED__N_FAULTS];
    for (int k = 0; k < CLEMBED__N_FAULTS; k++)
        before[k] = clembed__fault_calls(k);
    clembed_status rc = clembed_embed(ctx, texts, N_TEXTS, ref, N_TEXTS * dim, NULL);
    for (int k = 0; k < CLEMBED__N_FAULTS; k++)
        per_embed[k] = clembed__fault_calls(k) - before[k];
    ok(rc == CLEMBED_OK && per_embed[CLEMBED__FAULT_ENQUEUE] > 10 && per_embed[CLEMBED__FAULT_WRITE] >= 3 &&
           per_embed[CLEMBED__FAULT_READ] >= 1,
       "%s: one embedding makes %llu launches, %llu writes, %llu reads", dn,
       (unsigned long long)per_embed[CLEMBED__FAULT_ENQUEUE], (unsigned long long)per_embed[CLEMBED__FAULT_WRITE],
       (unsigned long long)per_embed[CLEMBED__FAULT_READ]);

    /* Each call of an embedding fails in turn; after it the context gives the same bytes. */
    const int run_kinds[] = {CLEMBED__FAULT_ENQUEUE, CLEMBED__FAULT_WRITE, CLEMBED__FAULT_READ};
    for (size_t r = 0; r < sizeof run_kinds / sizeof run_kinds[0]; r++) {
        int k = run_kinds[r];
        uint64_t clean = 0, recovered = 0;
        char first_msg[256] = "";
        uint64_t tries = 0;
        for (uint64_t nth = 1; nth <= per_embed[k]; nth++) {
            if (!tried(nth, per_embed[k]))
                continue;
            tries++;
            clembed__fault_set(k, nth);
            rc = clembed_embed(ctx, texts, N_TEXTS, out, N_TEXTS * dim, NULL);
            clembed__fault_set(k, 0);
            if (rc == CLEMBED_ERR_OPENCL || rc == CLEMBED_ERR_DEVICE_MEMORY)
                clean += *clembed_errmsg() != '\0';
            if (nth == 1)
                snprintf(first_msg, sizeof first_msg, "%s", clembed_errmsg());
            memset(out, 0, N_TEXTS * dim * sizeof *out);
            rc = clembed_embed(ctx, texts, N_TEXTS, out, N_TEXTS * dim, NULL);
            recovered += rc == CLEMBED_OK && !memcmp(out, ref, N_TEXTS * dim * sizeof *out);
        }
        ok(clean == tries, "%s: each of the %llu %s calls failing gives a clean error (%llu of %llu "
           "tried did; first: %s)", dn, (unsigned long long)per_embed[k], kind_names[k],
           (unsigned long long)clean, (unsigned long long)tries, first_msg);
        ok(recovered == tries, "%s: after each failed %s the context embeds the same bytes "
           "(%llu of %llu)", dn, kind_names[k], (unsigned long long)recovered, (unsigned long long)tries);
    }
    clembed_context_free(ctx);

    /* Each buffer allocation of a new context fails in turn. */
    uint64_t a0 = clembed__fault_calls(CLEMBED__FAULT_ALLOC);
    ctx = new_ctx(m, device);
    uint64_t allocs = clembed__fault_calls(CLEMBED__FAULT_ALLOC) - a0;
    clembed_context_free(ctx);
    uint64_t clean = 0, tries = 0;
    char msg[256] = "";
    for (uint64_t nth = 1; nth <= allocs; nth++) {
        if (!tried(nth, allocs))
            continue;
        tries++;
        clembed_context_params p;
        clembed_context_params_init(&p);
        char sel[32];
        snprintf(sel, sizeof sel, "%zu", device);
        p.device = sel;
        p.batch_tokens = 64;
        clembed_context *c = (clembed_context *)1;
        clembed__fault_set(CLEMBED__FAULT_ALLOC, nth);
        rc = clembed_context_new(m, &p, &c);
        clembed__fault_set(CLEMBED__FAULT_ALLOC, 0);
        if (rc == CLEMBED_ERR_DEVICE_MEMORY && c == NULL && *clembed_errmsg())
            clean++;
        if (nth == allocs)
            snprintf(msg, sizeof msg, "%s", clembed_errmsg());
        clembed_context_free(rc == CLEMBED_OK ? c : NULL);
    }
    ok(allocs > 10 && clean == tries, "%s: each of a context's %llu buffer allocations failing gives "
       "CLEMBED_ERR_DEVICE_MEMORY and no context (%llu of %llu tried did; last: %s)", dn,
       (unsigned long long)allocs, (unsigned long long)clean, (unsigned long long)tries, msg);
    ctx = new_ctx(m, device);
    rc = ctx ? clembed_embed(ctx, texts, N_TEXTS, out, N_TEXTS * dim, NULL) : CLEMBED_ERR_INTERNAL;
    ok(rc == CLEMBED_OK && !memcmp(out, ref, N_TEXTS * dim * sizeof *out),
       "%s: a context made after those embeds the same bytes", dn);
    clembed_context_free(ctx);
    free(ref);
    free(out);
}

int main(void)
{
    size_t idx[16];
    size_t n_dev = test_devices(idx, 16);
    (void)test_queue;
    char *dir = fid_path("tests/data/models/tiny-gelu-mean");
    clembed_model *m = NULL;
    clembed_status rc = clembed_model_open(dir, NULL, &m);
    free(dir);
    if (!ok(rc == CLEMBED_OK, "open tiny-gelu-mean"))
        return done_testing();
    clembed_log_set_level(CLEMBED_LOG_ERROR);   /* the switch warns at each fault */
    quick = getenv("CLEMBED_TEST_QUICK") != NULL;
    for (size_t d = 0; d < n_dev; d++)
        faults(m, idx[d], clembed__device_at(idx[d])->info.name);
    clembed_model_free(m);
    return done_testing();
}
