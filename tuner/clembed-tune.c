/* clembed-tune: measures this machine's OpenCL device and writes its tuning profile.
 * The library does the measuring (clembed_tune); this program does the files, the lock, the
 * resumable journal, the progress line and the report. */
#define _POSIX_C_SOURCE 200809L
#include "clembed.h"
#include "core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clembed-tune [OPTIONS]\n"
            "  Measures an OpenCL device (bandwidth, FLOP/s, launch latency, compile cost), tunes every\n"
            "  kernel and CLBlast's GEMM for it, and writes its profile, which clembed then loads.\n"
            "  Run it once per machine; again after a driver or clembed upgrade.\n"
            "\n"
            "  -m, --model DIR      tune for this model's shapes (default: common models' shapes)\n"
            "  -d, --device SEL     device index or part of its name (default: CLEMBED_DEVICE, else the\n"
            "                       first GPU, else the first device; see `clembed info`)\n"
            "  -b, --budget SEC     time for the whole run (default 150; one build may run past it)\n"
            "  -o, --output FILE    write the profile to FILE (default: the user profile directory,\n"
            "                       %s)\n"
            "      --system         write it to the system directory, %s\n"
            "      --report         print the profile's table and exit: per op and shape the default\n"
            "                       and tuned times and the fraction of the roofline\n"
            "      --only LIST      stages to run, of probe,ops,gemm,providers (default: all)\n"
            "      --fresh          start over: ignore an earlier profile and an interrupted run\n"
            "      --export-class LEVEL  write the device's profile (where -o or the default names it)\n"
            "                       as the profile of its architecture, family or vendor, beside it\n"
            "                       (\"architecture-gfx1151.json\"): devices of that class that have no\n"
            "                       profile of their own start from it (shipped: $(pkgdatadir)/profiles)\n"
            "  -q, --quiet          no progress, no report\n"
            "  -v, --verbose        a line for every candidate measured\n"
            "      --version, -h, --help\n"
            "\n"
            "  An interrupted run (Ctrl-C) leaves FILE.partial; running the same command again\n"
            "  resumes it.  The profile is written atomically, so readers never see half a file.\n",
            clembed_profile_dir_path(CLEMBED_PROFILE_DIR_USER) ? clembed_profile_dir_path(CLEMBED_PROFILE_DIR_USER)
                                                             : "(no HOME)",
            clembed_profile_dir_path(CLEMBED_PROFILE_DIR_SYSTEM) ? clembed_profile_dir_path(CLEMBED_PROFILE_DIR_SYSTEM)
                                                               : "(unknown)");
}

static int fail(const char *what, clembed_status rc)
{
    const char *d = clembed_errmsg();
    fprintf(stderr, "clembed-tune: %s: %s%s%s\n", what, clembed_strerror(rc), *d ? ": " : "", d);
    return 1;
}

/* ---- files ------------------------------------------------------------------ */

/* A profile file: parsed, or NULL with a message on stderr saying why not. */
static clembed_profile *load(const char *path, const char *role, int quiet)
{
    size_t len = 0;
    char *text = NULL, msg[4400];
    int err = clembed__fio_read(path, CLEMBED_PROFILE_MAX_BYTES, &text, &len, msg, sizeof msg);
    if (err) {
        if (err != ENOENT)
            fprintf(stderr, "clembed-tune: cannot read %s: %s\n", role, msg);
        return NULL;
    }
    clembed_profile *p = NULL;
    clembed_status rc = clembed_profile_parse(text, len, &p);
    free(text);
    if (rc != CLEMBED_OK && !quiet)
        fprintf(stderr, "clembed-tune: ignoring %s %s: %s\n", role, path, clembed_errmsg());
    return p;
}

/* One tuner per profile at a time: a second one waits, then starts from the
 * first one's result.  The lock file goes when its holder is done; a waiter
 * that finds its file replaced takes the new one. */
static int take_lock(const char *lock_path, const char *path, int quiet)
{
    for (int tries = 0; tries < 100; tries++) {
        int fd = open(lock_path, O_RDWR | O_CREAT, 0644);
        if (fd < 0) {
            fprintf(stderr, "clembed-tune: cannot open %s: %s\n", lock_path, strerror(errno));
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            if (!quiet && tries == 0)
                fprintf(stderr, "clembed-tune: another clembed-tune is writing %s; waiting for it\n", path);
            if (flock(fd, LOCK_EX) != 0) {
                fprintf(stderr, "clembed-tune: cannot lock %s: %s\n", lock_path, strerror(errno));
                close(fd);
                return -1;
            }
        }
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(lock_path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
            return fd;
        close(fd);
    }
    fprintf(stderr, "clembed-tune: cannot hold %s\n", lock_path);
    return -1;
}

static void drop_lock(int fd, const char *lock_path)
{
    unlink(lock_path);
    close(fd);
}

/* ---- progress ------------------------------------------------------------------ */

typedef struct progress {
    int tty, quiet, verbose;
    int line_open;          /* a status line is on the terminal */
    const char *partial;    /* the journal path */
    unsigned rejected;
} progress;

static void fmt_time(double s, char *buf, size_t cap)
{
    if (s <= 0)
        snprintf(buf, cap, "-");
    else if (s < 1e-3)
        snprintf(buf, cap, "%.1f us", s * 1e6);
    else if (s < 1)
        snprintf(buf, cap, "%.3f ms", s * 1e3);
    else
        snprintf(buf, cap, "%.2f s", s);
}

static void clear_line(progress *pg)
{
    if (pg->line_open) {
        fputs("\r\033[K", stderr);
        pg->line_open = 0;
    }
}

static int on_event(const clembed_tune_event *ev, void *user)
{
    progress *pg = user;
    char a[32], b[32];
    if (pg->quiet)
        return interrupted;
    switch (ev->kind) {
    case CLEMBED_TUNE_STAGE:
        clear_line(pg);
        if (strcmp(ev->message, "done") != 0)
            fprintf(stderr, "clembed-tune: [%3.0f s] %s\n", ev->elapsed, ev->message);
        break;
    case CLEMBED_TUNE_CANDIDATE:
        if (pg->verbose) {
            clear_line(pg);
            fmt_time(ev->seconds, a, sizeof a);
            fprintf(stderr, "clembed-tune: [%5.1f s] candidate %s at %s: %s  %s%s\n", ev->elapsed,
                    ev->kernel ? ev->kernel : "", ev->shape ? ev->shape : "", ev->params ? ev->params : "", a,
                    ev->outliers ? " (outliers)" : "");
        } else if (pg->tty) {
            fmt_time(ev->seconds, a, sizeof a);
            fmt_time(ev->best_s, b, sizeof b);
            fprintf(stderr, "\r\033[K[%3.0f%% %3.0f/%.0f s] %.24s %.40s: %s  %s (best %s)", 100 * ev->done,
                    ev->elapsed, ev->budget, ev->kernel ? ev->kernel : "", ev->shape ? ev->shape : "",
                    ev->params ? ev->params : "", a, b);
            pg->line_open = 1;
        }
        break;
    case CLEMBED_TUNE_REJECTED:
        clear_line(pg);
        pg->rejected++;
        fprintf(stderr, "clembed-tune: rejected %s at %s, %s: %s\n", ev->kernel ? ev->kernel : "",
                ev->shape ? ev->shape : "-", ev->params ? ev->params : "", ev->message ? ev->message : "");
        break;
    case CLEMBED_TUNE_RESULT:
        clear_line(pg);
        fmt_time(ev->default_s, a, sizeof a);
        fmt_time(ev->best_s, b, sizeof b);
        fprintf(stderr, "clembed-tune: [%3.0f s] %-22s %-44s %10s -> %10s  %s%s\n", ev->elapsed, ev->kernel,
                ev->shape, a, b, ev->params, ev->outliers ? " (outliers)" : "");
        break;
    case CLEMBED_TUNE_SKIPPED:
        if (pg->tty) {
            fprintf(stderr, "\r\033[K[resumed] %s %s", ev->kernel, ev->shape);
            pg->line_open = 1;
        }
        break;
    case CLEMBED_TUNE_NOTE:
        clear_line(pg);
        fprintf(stderr, "clembed-tune: %s\n", ev->message);
        break;
    }
    return interrupted;
}

static void on_checkpoint(const clembed_profile *p, void *user)
{
    progress *pg = user;
    char *json = NULL;
    if (clembed_profile_to_json(p, &json) != CLEMBED_OK)
        return;
    char msg[4400];
    if (clembed__fio_write_atomic(pg->partial, json, strlen(json), msg, sizeof msg) != 0) {
        clear_line(pg);
        fprintf(stderr, "clembed-tune: %s (an interruption will lose this run)\n", msg);
    }
    free(json);
}

/* ---- report --------------------------------------------------------------- */

static void report(const clembed_profile *p, const char *path, const char *state)
{
    clembed_probe_result pr;
    memset(&pr, 0, sizeof pr);
    printf("profile %s (%s)%s\n", path, state, clembed_profile_complete(p) ? "" : ", interrupted run");
    if (clembed_profile_probe(p, &pr) == CLEMBED_OK) {
        printf("probe: read %.2f GB/s, copy %.2f GB/s, fp32 %.1f GFLOP/s", pr.read_bandwidth / 1e9,
               pr.copy_bandwidth / 1e9, pr.fp32_flops / 1e9);
        if (pr.fp16_flops > 0)
            printf(", fp16 %.1f GFLOP/s", pr.fp16_flops / 1e9);
        printf(", launch %.1f us, round trip %.1f us, compile %.2f s\n", pr.launch_s * 1e6, pr.roundtrip_s * 1e6,
               pr.compile_s);
        if (!pr.event_timing)
            printf("timing: wall clock (the driver's event timestamps are not real), launch overhead included\n");
    }
    if (clembed_profile_batch_tokens(p))
        printf("batch tokens: %u\n", clembed_profile_batch_tokens(p));
    size_t n = clembed_profile_result_count(p);
    printf("%-14s %-20s %10s %10s %8s %8s %9s  %-18s %s\n", "op", "kernel", "default", "tuned", "speedup",
           "roofline", "rate", "params", "shape");
    double log_sum = 0;
    size_t n_chosen = 0;
    unsigned rejected = 0, outliers = 0;
    /* Per op: the range of the chosen variants' roofline fractions. */
    struct {
        const char *op;
        double lo, hi;
    } by_op[64];
    size_t n_ops = 0;
    for (size_t i = 0; i < n; i++) {
        clembed_tune_result r;
        if (clembed_profile_result(p, i, &r) != CLEMBED_OK)
            continue;
        char a[32], b[32], f[16];
        fmt_time(r.default_s, a, sizeof a);
        fmt_time(r.tuned_s, b, sizeof b);
        double frac = r.roofline_s > 0 && r.tuned_s > 0 ? r.roofline_s / r.tuned_s : 0;
        if (frac > 0)
            snprintf(f, sizeof f, "%.0f%%", 100 * frac);
        else
            snprintf(f, sizeof f, "-");
        double speedup = r.default_s > 0 && r.tuned_s > 0 ? r.default_s / r.tuned_s : 0;
        /* what bounds the op: GFLOP/s where it computes more than a flop per 4 bytes, else GB/s */
        char rate[24] = "-";
        if (r.tuned_s > 0 && r.flops > r.bytes / 4)
            snprintf(rate, sizeof rate, "%.1f GF/s", r.flops / r.tuned_s / 1e9);
        else if (r.tuned_s > 0 && r.bytes > 0)
            snprintf(rate, sizeof rate, "%.1f GB/s", r.bytes / r.tuned_s / 1e9);
        printf("%-14s %-20s %10s %10s %7.2fx %8s %9s  %-18s %s%s%s\n", r.op, r.kernel, a, b, speedup, f, rate,
               r.params, r.shape, r.chosen ? "" : " (not chosen)", r.rejected ? " [rejected sets]" : "");
        rejected += r.rejected;
        outliers += r.outliers;
        if (!r.chosen || speedup <= 0)
            continue;
        log_sum += log(speedup);
        n_chosen++;
        if (frac <= 0)
            continue;
        size_t j = 0;
        while (j < n_ops && strcmp(by_op[j].op, r.op) != 0)
            j++;
        if (j == n_ops && n_ops < sizeof by_op / sizeof by_op[0]) {
            by_op[n_ops].op = r.op;
            by_op[n_ops].lo = by_op[n_ops].hi = frac;
            n_ops++;
        } else if (j < n_ops) {
            by_op[j].lo = frac < by_op[j].lo ? frac : by_op[j].lo;
            by_op[j].hi = frac > by_op[j].hi ? frac : by_op[j].hi;
        }
    }
    if (n_chosen)
        printf("summary: %zu results; geometric mean speedup over the defaults %.2fx; %u parameter sets "
               "rejected by the reference check; %u outlier timings\n",
               n_chosen, exp(log_sum / (double)n_chosen), rejected, outliers);
    if (n_ops) {
        printf("roofline:");
        for (size_t j = 0; j < n_ops; j++)
            printf("%s %s %.0f-%.0f%%", j ? "," : "", by_op[j].op, 100 * by_op[j].lo, 100 * by_op[j].hi);
        printf(" (over the shapes; 100%% = the measured bandwidth or FLOP/s)\n");
    }
}

/* ---- main -------------------------------------------------------------------- */

static unsigned parse_stages(const char *s)
{
    unsigned bits = 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "probe") == 0)
            bits |= CLEMBED_TUNE_PROBE;
        else if (strcmp(tok, "ops") == 0)
            bits |= CLEMBED_TUNE_OPS;
        else if (strcmp(tok, "gemm") == 0)
            bits |= CLEMBED_TUNE_GEMM;
        else if (strcmp(tok, "providers") == 0)
            bits |= CLEMBED_TUNE_PROVIDERS;
        else
            return 0;
    }
    return bits;
}

/* --export-class: the device's profile, copied as its class's, beside it. */
static int export_as_class(const char *path, const char *level_name)
{
    clembed_profile_level level = CLEMBED_PROFILE_LEVEL_DEVICE;
    for (int l = CLEMBED_PROFILE_LEVEL_ARCHITECTURE; l <= CLEMBED_PROFILE_LEVEL_VENDOR; l++)
        if (strcmp(level_name, clembed_profile_level_name((clembed_profile_level)l)) == 0)
            level = (clembed_profile_level)l;
    if (level == CLEMBED_PROFILE_LEVEL_DEVICE) {
        fprintf(stderr, "clembed-tune: --export-class wants architecture, family or vendor, not '%s'\n", level_name);
        return 2;
    }
    clembed_profile *p = load(path, "profile", 0), *q = NULL;
    if (!p) {
        fprintf(stderr, "clembed-tune: no profile at %s to export; tune the device first\n", path);
        return 1;
    }
    char name[128], out[4300], msg[4400];
    char *json = NULL;
    clembed_status rc = clembed_profile_for_class(p, level, &q, name, sizeof name);
    clembed_profile_free(p);
    if (rc == CLEMBED_OK)
        rc = clembed_profile_to_json(q, &json);
    clembed_profile_free(q);
    if (rc != CLEMBED_OK)
        return fail("exporting the profile", rc);
    const char *slash = strrchr(path, '/');
    snprintf(out, sizeof out, "%.*s%s", slash ? (int)(slash - path + 1) : 0, path, name);
    int err = clembed__fio_write_atomic(out, json, strlen(json), msg, sizeof msg);
    free(json);
    if (err) {
        fprintf(stderr, "clembed-tune: %s\n", msg);
        return 1;
    }
    printf("%s\n", out);
    return 0;
}

int main(int argc, char **argv)
{
    const char *model_dir = NULL, *device = NULL, *output = NULL, *export_class = NULL;
    double budget = 0;
    int system_dir = 0, do_report = 0, fresh = 0, quiet = 0, verbose = 0;
    unsigned stages = CLEMBED_TUNE_ALL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if ((!strcmp(a, "-m") || !strcmp(a, "--model")) && more) {
            model_dir = argv[++i];
        } else if ((!strcmp(a, "-d") || !strcmp(a, "--device")) && more) {
            device = argv[++i];
        } else if ((!strcmp(a, "-b") || !strcmp(a, "--budget")) && more) {
            char *end;
            budget = strtod(argv[++i], &end);
            if (*end || !(budget > 0) || budget > 1e6) {
                fprintf(stderr, "clembed-tune: --budget wants a positive number of seconds, not '%s'\n", argv[i]);
                return 2;
            }
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && more) {
            output = argv[++i];
        } else if (!strcmp(a, "--only") && more) {
            stages = parse_stages(argv[++i]);
            if (!stages) {
                fprintf(stderr, "clembed-tune: --only wants a list of probe, ops, gemm, not '%s'\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--system")) {
            system_dir = 1;
        } else if (!strcmp(a, "--report")) {
            do_report = 1;
        } else if (!strcmp(a, "--fresh")) {
            fresh = 1;
        } else if (!strcmp(a, "--export-class") && more) {
            export_class = argv[++i];
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            verbose = 1;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("clembed-tune %s\n", clembed_version_string());
            return 0;
        } else {
            fprintf(stderr, "clembed-tune: unknown option or missing value: '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (system_dir && output) {
        fprintf(stderr, "clembed-tune: --system and -o name two places; give one\n");
        return 2;
    }
    size_t dev = 0;
    clembed_status rc = device && *device ? clembed_device_select(device, &dev) : clembed_device_default(&dev, NULL, 0);
    if (rc != CLEMBED_OK)
        return fail("choosing a device", rc);
    clembed_device_info info;
    clembed_device_get(dev, &info);

    char path[4096], name[256];
    if ((rc = clembed_profile_file_name(dev, name, sizeof name)) != CLEMBED_OK)
        return fail("naming the profile", rc);
    if (output) {
        snprintf(path, sizeof path, "%s", output);
    } else if (do_report && !system_dir) {
        /* The profile a context would use. */
        char detail[512];
        clembed_profile_state st = clembed_device_profile_state(dev, NULL, path, sizeof path, detail, sizeof detail);
        if (st == CLEMBED_PROFILE_NONE || st == CLEMBED_PROFILE_OFF || !path[0]) {
            fprintf(stderr, "clembed-tune: no profile for '%s' (%s); run clembed-tune to make one\n", info.name,
                    clembed_profile_state_name(st));
            return 1;
        }
    } else {
        const char *dir = clembed_profile_dir_path(system_dir ? CLEMBED_PROFILE_DIR_SYSTEM : CLEMBED_PROFILE_DIR_USER);
        if (!dir) {
            fprintf(stderr, "clembed-tune: no profile directory (HOME is not set); give -o FILE\n");
            return 2;
        }
        if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
            fprintf(stderr, "clembed-tune: profile path too long\n");
            return 2;
        }
    }

    if (export_class)
        return export_as_class(path, export_class);

    if (do_report) {
        clembed_profile *p = load(path, "profile", 0);
        if (!p) {
            fprintf(stderr, "clembed-tune: no readable profile at %s\n", path);
            return 1;
        }
        char why[512];
        clembed_profile_state st = clembed_profile_match(p, dev, why, sizeof why);
        report(p, path, clembed_profile_state_name(st));
        if (st != CLEMBED_PROFILE_USED)
            printf("note: %s for '%s': %s\n", clembed_profile_state_name(st), info.name, why);
        clembed_profile_free(p);
        return 0;
    }

    /* The directory, then one tuner per file at a time. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        char msg[4400];
        int err = clembed__fio_mkdir_p(dir, msg, sizeof msg);
        if (err) {
            fprintf(stderr, "clembed-tune: %s%s\n", msg,
                    system_dir && err == EACCES ? " (--system needs root)" : "");
            return 1;
        }
    }
    char lock_path[4200], partial[4200];
    snprintf(lock_path, sizeof lock_path, "%s.lock", path);
    snprintf(partial, sizeof partial, "%s.partial", path);
    int lock = take_lock(lock_path, path, quiet);
    if (lock < 0)
        return 1;

    clembed_profile *resume = NULL, *start = NULL;
    char why[512];
    if (!fresh) {
        resume = load(partial, "interrupted run", quiet);
        if (resume && clembed_profile_match(resume, dev, why, sizeof why) != CLEMBED_PROFILE_USED) {
            if (!quiet)
                fprintf(stderr, "clembed-tune: not resuming %s: %s\n", partial, why);
            clembed_profile_free(resume);
            resume = NULL;
        }
        if (resume && !quiet)
            fprintf(stderr, "clembed-tune: resuming the interrupted run in %s (%zu results so far)\n", partial,
                    clembed_profile_result_count(resume));
        start = load(path, "profile", quiet);
        char found[4096];
        clembed_profile_state found_st =
            start || output ? CLEMBED_PROFILE_NONE : clembed_device_profile_state(dev, NULL, found, sizeof found, NULL, 0);
        if ((found_st == CLEMBED_PROFILE_USED || found_st == CLEMBED_PROFILE_STALE) && strcmp(found, path) != 0) {
            /* Written under another name (before names left the driver's part of the device name
             * out): its choices carry over into the file of today's name. */
            start = load(found, "profile", quiet);
            if (start && !quiet)
                fprintf(stderr, "clembed-tune: %s serves this device under an older name; its results carry "
                                "over into %s\n", found, path);
        }
        if (start) {
            clembed_profile_state st = clembed_profile_match(start, dev, why, sizeof why);
            if (st == CLEMBED_PROFILE_FOREIGN) {
                if (!quiet)
                    fprintf(stderr, "clembed-tune: %s is for other hardware (%s); replacing it\n", path, why);
                clembed_profile_free(start);
                start = NULL;
            } else if (st == CLEMBED_PROFILE_STALE && !quiet) {
                fprintf(stderr, "clembed-tune: %s is stale (%s); starting from its choices\n", path, why);
            } else if (!quiet) {
                fprintf(stderr, "clembed-tune: starting from the choices in %s\n", path);
            }
        }
    }

    clembed_model *model = NULL;
    if (model_dir) {
        clembed_model_params mp;
        clembed_model_params_init(&mp);
        mp.load_tokenizer = 0;
        rc = clembed_model_open(model_dir, &mp, &model);
        if (rc != CLEMBED_OK) {
            clembed_profile_free(resume);
            clembed_profile_free(start);
            drop_lock(lock, lock_path);
            return fail(model_dir, rc);
        }
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    progress pg;
    memset(&pg, 0, sizeof pg);
    pg.tty = isatty(2);
    pg.quiet = quiet;
    pg.verbose = verbose;
    pg.partial = partial;
    clembed_tune_params tp;
    clembed_tune_params_init(&tp);
    tp.model = model;
    if (budget > 0)
        tp.budget_s = budget;
    tp.stages = stages;
    tp.start = start;
    tp.resume = resume;
    tp.progress = on_event;
    tp.progress_user = &pg;
    tp.checkpoint = on_checkpoint;
    tp.checkpoint_user = &pg;
    if (!quiet)
        fprintf(stderr, "clembed-tune: tuning '%s' (%s) within %.0f s\n", info.name, info.platform_name, tp.budget_s);
    clembed_profile *p = NULL;
    rc = clembed_tune(dev, &tp, &p);
    clear_line(&pg);
    clembed_profile_free(resume);
    clembed_profile_free(start);
    clembed_model_free(model);
    if (rc != CLEMBED_OK) {
        drop_lock(lock, lock_path);
        return fail("tuning", rc);
    }
    char *json = NULL;
    if ((rc = clembed_profile_to_json(p, &json)) != CLEMBED_OK) {
        clembed_profile_free(p);
        drop_lock(lock, lock_path);
        return fail("serializing the profile", rc);
    }
    int status = 0, err;
    char msg[4400];
    if (!clembed_profile_complete(p)) {
        if (clembed__fio_write_atomic(partial, json, strlen(json), msg, sizeof msg) != 0) {
            fprintf(stderr, "clembed-tune: %s\n", msg);
            status = 1;
        } else {
            fprintf(stderr, "clembed-tune: interrupted; what was measured is in %s, and the same command "
                            "resumes it\n", partial);
            status = 130;
        }
    } else if ((err = clembed__fio_write_atomic(path, json, strlen(json), msg, sizeof msg)) != 0) {
        fprintf(stderr, "clembed-tune: %s%s\n", msg, system_dir && err == EACCES ? " (--system needs root)" : "");
        status = 1;
    } else {
        unlink(partial);
        if (!quiet) {
            report(p, path, "new");
            fprintf(stderr, "clembed-tune: wrote %s\n", path);
        }
    }
    free(json);
    clembed_profile_free(p);
    drop_lock(lock, lock_path);
    return status;
}
