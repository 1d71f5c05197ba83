/* clembed bench: throughput on a corpus, peak memory, and every op's device time. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define DEFAULT_CORPUS "tests/data/corpus/bench.txt"
#define INSTALLED_CORPUS CLEMBED_PKGDATADIR "/corpus/bench.txt"
#define WARMUP 64
#define MAX_OPS 64

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clembed bench -m DIR [OPTIONS] [CORPUS]\n"
            "\n"
            "Embeds every line of CORPUS (default: " DEFAULT_CORPUS ", else the installed\n"
            INSTALLED_CORPUS ") after a warm-up, and prints sentences/s, tokens/s, peak host\n"
            "memory and the device time of every op with its share, from OpenCL event profiling,\n"
            "with the rate it ran at (GFLOP/s, GB/s) and its fraction of the roofline the device's\n"
            "probed peaks allow.\n"
            "\n"
            "  -m, --model DIR       model directory\n"
            "  -d, --device SEL      device index or name part (see clembed info)\n"
            "  --batch-tokens N      tokens per device batch\n"
            "  --profile PATH        tuning profile; 'off' for the built-in defaults\n"
            "  --precision P         weights on the device: fp32, fp16 or auto (default: auto)\n"
            "  --repeat N            embed the corpus N times (default 1)\n"
            "  --no-probe            do not probe the device's peaks (each op's fraction of its\n"
            "                        roofline needs them; probing takes a few seconds)\n"
            "  --json                print one JSON object instead of text\n"
            "  -h, --help            this help\n");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char **read_corpus(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char **v = NULL, *line = NULL;
    size_t cap = 0, count = 0, vcap = 0;
    ssize_t got;
    *n = 0;
    if (!f)
        return NULL;
    while ((got = getline(&line, &cap, f)) >= 0) {
        size_t len = (size_t)got;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (!len)
            continue;
        if (count == vcap) {
            vcap = vcap ? 2 * vcap : 1024;
            char **grown = realloc(v, vcap * sizeof *v);
            if (!grown)
                break;
            v = grown;
        }
        if (!(v[count] = strdup(line)))
            break;
        count++;
    }
    free(line);
    fclose(f);
    *n = count;
    return v;
}

static double rate(double amount, double seconds)
{
    return seconds > 0 ? amount / seconds : 0;
}

/* The least time the op could have taken on the probed peaks, over the time it took; -1 when
 * that cannot be told (no work counted, no time). */
static double roofline_fraction(const clembed_probe_result *pr, const clembed_op_time *t)
{
    double least = 0;
    if (pr->fp32_flops > 0 && t->flops / pr->fp32_flops > least)
        least = t->flops / pr->fp32_flops;
    if (pr->read_bandwidth > 0 && t->bytes / pr->read_bandwidth > least)
        least = t->bytes / pr->read_bandwidth;
    return least > 0 && t->seconds > 0 ? least / t->seconds : -1;
}

static int by_seconds_desc(const void *a, const void *b)
{
    const clembed_op_time *x = a, *y = b;
    return x->seconds < y->seconds ? 1 : x->seconds > y->seconds ? -1 : strcmp(x->op, y->op);
}

int clembed_cmd_bench(int argc, char **argv)
{
    const char *model_dir = NULL, *corpus = NULL;
    int json = 0, probe = 1;
    unsigned long repeat = 1;
    clembed_context_params cp;
    clembed_context_params_init(&cp);
    cp.profiling = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if ((!strcmp(a, "-m") || !strcmp(a, "--model")) && v) {
            model_dir = argv[++i];
        } else if ((!strcmp(a, "-d") || !strcmp(a, "--device")) && v) {
            cp.device = argv[++i];
        } else if (!strcmp(a, "--profile") && v) {
            cp.profile = argv[++i];
        } else if (!strcmp(a, "--precision") && v) {
            cp.precision = argv[++i];
        } else if ((!strcmp(a, "--batch-tokens") || !strcmp(a, "--repeat")) && v) {
            char *end;
            errno = 0;
            unsigned long x = strtoul(v, &end, 10);
            if (*end || !*v || errno || x == 0 || x > UINT32_MAX || v[0] == '-') {
                fprintf(stderr, "clembed bench: %s needs a positive integer, not '%s'\n", a, v);
                return 2;
            }
            if (!strcmp(a, "--repeat"))
                repeat = x;
            else
                cp.batch_tokens = (uint32_t)x;
            i++;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--no-probe")) {
            probe = 0;
        } else if (a[0] != '-' && !corpus) {
            corpus = a;
        } else {
            fprintf(stderr, "clembed bench: unexpected '%s'\n\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!model_dir) {
        fprintf(stderr, "clembed bench: give the model directory with -m DIR\n\n");
        usage(stderr);
        return 2;
    }
    size_t n = 0;
    char **texts = NULL;
    int given = corpus != NULL;
    errno = 0;
    if (given) {
        texts = read_corpus(corpus, &n);
    } else if ((texts = read_corpus(DEFAULT_CORPUS, &n)) != NULL) {
        corpus = DEFAULT_CORPUS;
    } else {
        corpus = INSTALLED_CORPUS;
        texts = read_corpus(corpus, &n);
    }
    if (!texts || n == 0) {
        if (given)
            fprintf(stderr, "clembed bench: no texts in %s%s%s\n", corpus, errno ? ": " : "",
                    errno ? strerror(errno) : "");
        else
            fprintf(stderr, "clembed bench: no corpus given, and none at " DEFAULT_CORPUS " or "
                            INSTALLED_CORPUS "\n");
        free(texts);
        return 1;
    }

    int status = 1;
    clembed_model *model = NULL;
    clembed_context *ctx = NULL;
    clembed_embed_info *info = calloc(n, sizeof *info);
    float *vec = NULL;
    clembed_op_time before[MAX_OPS], after[MAX_OPS];
    clembed_status rc = clembed_model_open(model_dir, NULL, &model);
    if (rc != CLEMBED_OK) {
        status = cli_fail("cannot open the model", rc);
        goto done;
    }
    if ((rc = clembed_context_new(model, &cp, &ctx)) != CLEMBED_OK) {
        status = cli_fail("cannot set up the device", rc);
        goto done;
    }
    size_t dim = clembed_context_dim(ctx);
    if (!info || !(vec = malloc(n * dim * sizeof *vec))) {
        fprintf(stderr, "clembed bench: out of memory\n");
        goto done;
    }
    /* The warm-up builds what is built on first use (CLBlast's kernels). */
    double w0 = now_s();
    rc = clembed_embed(ctx, (const char *const *)texts, n < WARMUP ? n : WARMUP, vec, n * dim, info);
    double warm_s = now_s() - w0;
    size_t n_before = clembed_context_op_times(ctx, before, MAX_OPS);
    double t0 = now_s();
    for (unsigned long r = 0; r < repeat && rc == CLEMBED_OK; r++)
        rc = clembed_embed(ctx, (const char *const *)texts, n, vec, n * dim, info);
    double secs = now_s() - t0;
    if (rc != CLEMBED_OK) {
        status = cli_fail("embedding the corpus", rc);
        goto done;
    }
    size_t n_ops = clembed_context_op_times(ctx, after, MAX_OPS);
    if (n_ops > MAX_OPS)
        n_ops = MAX_OPS;
    double device_total = 0;
    for (size_t i = 0; i < n_ops; i++) {
        for (size_t j = 0; j < n_before && j < MAX_OPS; j++)
            if (!strcmp(before[j].op, after[i].op)) {
                after[i].seconds -= before[j].seconds;
                after[i].calls -= before[j].calls;
                after[i].flops -= before[j].flops;
                after[i].bytes -= before[j].bytes;
            }
        device_total += after[i].seconds;
    }
    qsort(after, n_ops, sizeof *after, by_seconds_desc);
    uint64_t tokens = 0;
    size_t truncated = 0;
    for (size_t i = 0; i < n; i++) {
        tokens += info[i].tokens;
        truncated += info[i].truncated != 0;
    }
    tokens *= repeat;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    uint64_t peak = (uint64_t)ru.ru_maxrss * 1024;
    size_t weights = 0, scratch = 0;
    clembed_context_device_bytes(ctx, &weights, &scratch);
    const char *device = "";
    clembed_device_info di;
    size_t dev_index;
    if (clembed_device_select(cp.device, &dev_index) == CLEMBED_OK &&
        clembed_device_get(dev_index, &di) == CLEMBED_OK)
        device = di.name;
    double sents = (double)n * (double)repeat;
    /* The device's peaks, for each op's fraction of its roofline. */
    clembed_probe_result pr;
    memset(&pr, 0, sizeof pr);
    int have_probe = probe && clembed_device_probe(dev_index, &pr) == CLEMBED_OK;

    if (json) {
        printf("{\"model\":");
        cli_json_string(stdout, model_dir);
        printf(",\"device\":");
        cli_json_string(stdout, device);
        printf(",\"corpus\":");
        cli_json_string(stdout, corpus);
        printf(",\"sentences\":%.0f,\"tokens\":%llu,\"truncated\":%zu,\"dim\":%zu,\"seconds\":%.6f,"
               "\"warmup_seconds\":%.6f,\"sentences_per_s\":%.3f,\"tokens_per_s\":%.1f,"
               "\"peak_rss_bytes\":%llu,\"device_weight_bytes\":%zu,\"device_scratch_bytes\":%zu,"
               "\"device_seconds\":%.6f,\"precision\":\"%s\",\"ops\":[",
               sents, (unsigned long long)tokens, truncated, dim, secs, warm_s, sents / secs,
               (double)tokens / secs, (unsigned long long)peak, weights, scratch, device_total,
               clembed_context_precision(ctx));
        for (size_t i = 0; i < n_ops; i++) {
            printf("%s{\"op\":", i ? "," : "");
            cli_json_string(stdout, after[i].op);
            printf(",\"provider\":");
            if (after[i].provider)
                cli_json_string(stdout, after[i].provider);
            else
                printf("null");
            printf(",\"seconds\":%.6f,\"calls\":%llu,\"share\":%.6f,\"flops\":%.0f,\"bytes\":%.0f,"
                   "\"gflops\":%.3f,\"gbytes_per_s\":%.3f,\"roofline_fraction\":", after[i].seconds,
                   (unsigned long long)after[i].calls, device_total > 0 ? after[i].seconds / device_total : 0.0,
                   after[i].flops, after[i].bytes, rate(after[i].flops, after[i].seconds) / 1e9,
                   rate(after[i].bytes, after[i].seconds) / 1e9);
            double fr = have_probe ? roofline_fraction(&pr, &after[i]) : -1;
            if (fr >= 0)
                printf("%.4f}", fr);
            else
                printf("null}");
        }
        printf("]");
        if (have_probe)
            printf(",\"probe\":{\"fp32_flops\":%.0f,\"read_bandwidth\":%.0f}", pr.fp32_flops, pr.read_bandwidth);
        printf("}\n");
    } else {
        printf("model:        %s\ndevice:       %s\ncorpus:       %s (%zu sentences, %llu tokens, %zu "
               "truncated)\n", model_dir, device, corpus, n, (unsigned long long)(tokens / repeat),
               truncated);
        printf("throughput:   %.1f sentences/s, %.0f tokens/s (%.3f s%s; warm-up %.2f s)\n", sents / secs,
               (double)tokens / secs, secs, repeat > 1 ? " in all" : "", warm_s);
        printf("peak memory:  %.1f MiB resident (device: %.1f MiB weights in %s, %.1f MiB scratch)\n",
               peak / 1048576.0, weights / 1048576.0, clembed_context_precision(ctx), scratch / 1048576.0);
        printf("device time:  %.3f s\n", device_total);
        if (have_probe)
            printf("device peaks: %.1f GFLOP/s fp32, %.1f GB/s read (probed)\n", pr.fp32_flops / 1e9,
                   pr.read_bandwidth / 1e9);
        printf("\n  %-26s %-8s %10s %8s %7s %10s %9s %9s\n", "op", "on", "seconds", "calls", "share", "GFLOP/s",
               "GB/s", "roofline");
        for (size_t i = 0; i < n_ops; i++) {
            printf("  %-26s %-8s %10.4f %8llu %6.1f%% %10.1f %9.1f", after[i].op,
                   after[i].provider ? after[i].provider : "", after[i].seconds,
                   (unsigned long long)after[i].calls, device_total > 0 ? 100.0 * after[i].seconds / device_total : 0.0,
                   rate(after[i].flops, after[i].seconds) / 1e9, rate(after[i].bytes, after[i].seconds) / 1e9);
            double fr = have_probe ? roofline_fraction(&pr, &after[i]) : -1;
            if (fr >= 0)
                printf(" %8.0f%%\n", 100.0 * fr);
            else
                printf(" %9s\n", "-");
        }
    }
    status = 0;
done:
    clembed_context_free(ctx);
    clembed_model_free(model);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    free(info);
    free(vec);
    return status;
}
