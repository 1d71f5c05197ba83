/* A soak through the API: the bench corpus embedded round after round in one process by a
 * long-lived context; resident memory and open descriptors must stop growing after the
 * first rounds (drivers and allocators settle in them).  Then contexts made and freed over
 * and over: descriptors must not grow.  Their resident memory is reported, not held to a
 * bound: the drivers keep memory of their own for each context built (0.3 to 2 MiB here, on
 * PoCL and llvmpipe), while valgrind and LSan find no block of ours lost (test_faults makes
 * and frees contexts under both in CI). */
#define _POSIX_C_SOURCE 200809L
#include "test_fidelity_data.h"

#include <dirent.h>
#include <unistd.h>

/* Under ASan freed memory sits in its quarantine, so resident memory grows by design: the
 * sanitizer build checks descriptors and leaks (LSan at exit), not resident memory. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_CHECKED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_CHECKED 0
#endif
#endif
#ifndef RSS_CHECKED
#define RSS_CHECKED 1
#endif

#define ROUNDS 8
#define SETTLED 3   /* rounds after which nothing may grow */

static long rss_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = -1;
    if (f)
        fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static void soak(const clembed_model *m, size_t device, const char *dn, char **texts, size_t n)
{
    char sel[32];
    snprintf(sel, sizeof sel, "%zu", device);
    clembed_context_params p;
    clembed_context_params_init(&p);
    p.device = sel;
    clembed_context *ctx = NULL;
    if (!ok(clembed_context_new(m, &p, &ctx) == CLEMBED_OK, "%s: context", dn))
        return;
    size_t dim = clembed_context_dim(ctx);
    float *out = malloc(n * dim * sizeof *out), *first = malloc(n * dim * sizeof *first);
    long rss[ROUNDS];
    int fds[ROUNDS], same = 1;
    clembed_status rc = CLEMBED_OK;
    for (int r = 0; r < ROUNDS && rc == CLEMBED_OK; r++) {
        rc = clembed_embed(ctx, (const char *const *)texts, n, out, n * dim, NULL);
        if (r == 0)
            memcpy(first, out, n * dim * sizeof *out);
        same &= !memcmp(first, out, n * dim * sizeof *out);
        rss[r] = rss_kib();
        fds[r] = open_fds();
    }
    if (!ok(rc == CLEMBED_OK, "%s: %d rounds of %zu texts", dn, ROUNDS, n))
        diag("  %s: %s", clembed_strerror(rc), clembed_errmsg());
    char line[512];
    size_t used = 0;
    for (int r = 0; r < ROUNDS; r++)
        used += (size_t)snprintf(line + used, sizeof line - used, " %ld/%d", rss[r], fds[r]);
    long grew = 0;
    int fd_grew = 0;
    for (int r = SETTLED; r < ROUNDS; r++) {
        if (rss[r] - rss[SETTLED - 1] > grew)
            grew = rss[r] - rss[SETTLED - 1];
        fd_grew |= fds[r] != fds[SETTLED - 1];
    }
    if (RSS_CHECKED)
        ok(rc == CLEMBED_OK && grew < 2048, "%s: resident memory stops growing after round %d (grew %ld KiB "
           "after it; KiB/fds per round:%s)", dn, SETTLED, grew, line);
    else
        skip("%s: resident memory under ASan's quarantine (KiB/fds per round:%s)", dn, line);
    ok(rc == CLEMBED_OK && !fd_grew, "%s: open descriptors stop growing after round %d", dn, SETTLED);
    ok(same, "%s: every round gives the same bytes", dn);

    long rss0 = rss_kib();
    int fds0 = open_fds(), fds_same = 1;
    for (int r = 0; r < ROUNDS && rc == CLEMBED_OK; r++) {
        clembed_context *c2 = NULL;
        rc = clembed_context_new(m, &p, &c2);
        if (rc == CLEMBED_OK)
            rc = clembed_embed(c2, (const char *const *)texts, 64, out, 64 * dim, NULL);
        clembed_context_free(c2);
        fds_same &= open_fds() == fds0;
    }
    ok(rc == CLEMBED_OK && fds_same, "%s: %d contexts made and freed: no descriptor left open "
       "(resident memory %+ld KiB)", dn, ROUNDS, rss_kib() - rss0);
    free(out);
    free(first);
    clembed_context_free(ctx);
}

int main(void)
{
    size_t idx[16];
    size_t n_dev = test_devices(idx, 16);
    (void)test_queue;
    size_t len = 0;
    char *corpus = fid_read("tests/data/corpus/bench.txt", &len);
    if (!corpus)
        skip_all("tests/data/corpus/bench.txt not found");
    char *texts[1200];
    size_t n = 0;
    for (char *s = corpus, *nl; n < 1200 && (nl = strchr(s, '\n')); s = nl + 1) {
        *nl = '\0';
        texts[n++] = s;
    }
    char *dir = fid_path("tests/data/models/tiny-gelu-mean");
    clembed_model *m = NULL;
    clembed_status rc = clembed_model_open(dir, NULL, &m);
    free(dir);
    if (ok(rc == CLEMBED_OK, "open tiny-gelu-mean"))
        for (size_t d = 0; d < n_dev; d++)
            soak(m, idx[d], clembed__device_at(idx[d])->info.name, texts, n);
    clembed_model_free(m);
    free(corpus);
    return done_testing();
}
