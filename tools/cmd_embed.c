/* clembed embed: texts in, vectors out, streamed in windows with bounded memory, written
 * through FILE.partial with a journal for --resume (the protocol is in embed.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "embed.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Defaults: windows of 2 MiB of input (some 25,000 lines of ordinary text), embedded in
 * units of at most 8192 texts; lines of at most 128 MiB. */
#define WINDOW_BYTES (2u << 20)
#define MAX_TEXTS 8192
#define MAX_LINE_BYTES ((size_t)128 << 20)
/* Vectors a unit may hold: units shrink for very wide models. */
#define UNIT_FLOATS ((size_t)16 << 20)
#define MAX_THREADS 64

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clembed embed -m DIR [OPTIONS]\n"
            "\n"
            "Embeds one text per input line and writes one vector per text, in input order.\n"
            "The input is streamed in windows; a file output is written as FILE.partial and\n"
            "renamed to FILE when complete, with a journal (FILE.journal) for --resume.\n"
            "\n"
            "  -m, --model DIR          model directory (Hugging Face / sentence-transformers)\n"
            "  -i, --input FILE         read texts from FILE (default: standard input)\n"
            "  --input-format FMT       text (default): one text per line;\n"
            "                           jsonl: a JSON string or {\"text\": ...} per line\n"
            "  -o, --output FILE        write to FILE (default: standard output)\n"
            "  -f, --format FMT         jsonl (default): a JSON array of floats per text;\n"
            "                           npy: float32 array of n x dim; f32: raw little-endian float32;\n"
            "                           h5: HDF5 dataset 'embeddings' (n x dim float32, needs -o)\n"
            "  --dataset NAME           h5: write dataset NAME; an existing FILE gets it added\n"
            "  --ids                    h5: also dataset NAME_ids, the input line of each row\n"
            "  --resume                 continue an interrupted run from FILE.journal\n"
            "  --on-error MODE          fail (default): stop at the first bad line (invalid UTF-8,\n"
            "                           NUL, too long, bad JSON); skip: list it on standard error\n"
            "                           and write a zero vector in its row\n"
            "  --threads N              N contexts on the device, one thread each (default 1);\n"
            "                           the output is the same for every N\n"
            "  --prompt NAME            prepend the model's prompt NAME (config_sentence_transformers.json)\n"
            "  --prompt-text TEXT       prepend TEXT\n"
            "  --normalize              L2-normalize the output vectors\n"
            "  --no-normalize           skip the model's Normalize module\n"
            "  --truncate-dim N         keep the first N dimensions (Matryoshka)\n"
            "  --max-tokens N           truncate texts to N tokens (default: the model's maximum)\n"
            "  --batch-tokens N         tokens per device batch (default: from the profile, or 4096)\n"
            "  --window-bytes N         input bytes per window (default %u)\n"
            "  --max-line-bytes N       longer lines are bad lines (default %zu)\n"
            "  -d, --device SEL         device index or name part (see clembed info)\n"
            "  --profile PATH           tuning profile to use; 'off' for the built-in defaults\n"
            "  --precision P            weights on the device: fp32, fp16 or auto (default: auto;\n"
            "                           fp16 halves their memory, vectors within cosine 0.9999)\n"
            "  -v, --verbose            a summary on standard error at the end\n"
            "  -h, --help               this help\n"
            "\n"
            "Exit status: 0 when every line was embedded (or skipped with --on-error skip) and\n"
            "the output is complete; 1 on any failure (the message names the line or the device\n"
            "error; FILE is not created); 2 for a usage error.\n",
            WINDOW_BYTES, MAX_LINE_BYTES);
}

static int parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || v == 0 || v > max || s[0] == '-') {
        fprintf(stderr, "clembed embed: %s needs a positive integer%s, not '%s'\n", opt,
                max < UINT64_MAX ? " (within limits)" : "", s);
        return 0;
    }
    *out = v;
    return 1;
}

static int parse_u32(const char *opt, const char *s, uint32_t *out)
{
    uint64_t v;
    if (!parse_u64(opt, s, UINT32_MAX, &v))
        return 0;
    *out = (uint32_t)v;
    return 1;
}

/* ---- units: the texts of one window (or part of it) and their vectors ------- */

typedef struct unit {
    size_t n, cap;          /* rows */
    char **texts;           /* NULL: a skipped line (zero vector) */
    uint64_t *lines;        /* input line of each row */
    char **late;            /* skip mode: why the library refused a text ("" none) */
    float *vec;
    clembed_embed_info *info;
    uint64_t first_line, last_line;
    int closes;             /* the last unit of its window: after it, a checkpoint */
    uint64_t next_off, lines_after;
    ehash hash_after;       /* the input's hash up to next_off */
    clembed_status rc;      /* a failure the run cannot skip */
    char msg[768];
} unit;

static void unit_clear(unit *u)
{
    for (size_t i = 0; i < u->n; i++) {
        free(u->texts[i]);
        if (u->late)
            free(u->late[i]);
    }
    free(u->late);
    u->late = NULL;
    u->n = 0;
    u->closes = 0;
    u->first_line = u->last_line = 0;
    u->rc = CLEMBED_OK;
    u->msg[0] = '\0';
}

static void unit_free(unit *u)
{
    unit_clear(u);
    free(u->texts);
    free(u->lines);
    free(u->vec);
    free(u->info);
}

static int unit_alloc(unit *u, size_t cap, size_t dim)
{
    memset(u, 0, sizeof *u);
    u->cap = cap;
    u->texts = calloc(cap, sizeof *u->texts);
    u->lines = calloc(cap, sizeof *u->lines);
    u->vec = malloc(cap * dim * sizeof *u->vec);
    u->info = calloc(cap, sizeof *u->info);
    return u->texts && u->lines && u->vec && u->info;
}

static int text_error(clembed_status rc)
{
    return rc == CLEMBED_ERR_UTF8 || rc == CLEMBED_ERR_FORMAT || rc == CLEMBED_ERR_TOO_LARGE;
}

/* Embeds the unit's texts, zero vectors for skipped ones.  With skip, a text the library
 * refuses (not a device error) is found alone and left out, and the rest embedded again
 * together, so the result depends on the unit's contents only. */
static void embed_unit(clembed_context *ctx, unit *u, size_t dim, int skip)
{
    const char **good = malloc((u->n ? u->n : 1) * sizeof *good);
    size_t *where = malloc((u->n ? u->n : 1) * sizeof *where);
    float *tmp = NULL;
    if (!good || !where) {
        u->rc = CLEMBED_ERR_NOMEM;
        snprintf(u->msg, sizeof u->msg, "out of memory");
        goto done;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        size_t g = 0;
        for (size_t i = 0; i < u->n; i++)
            if (u->texts[i])
                good[g] = u->texts[i], where[g++] = i;
        memset(u->vec, 0, u->n * dim * sizeof *u->vec);
        memset(u->info, 0, u->n * sizeof *u->info);
        clembed_status rc;
        if (g == u->n) {
            rc = clembed_embed(ctx, good, g, u->vec, u->n * dim, u->info);
        } else {
            /* Rows of the texts embedded, then spread to their places. */
            free(tmp);
            tmp = malloc((g ? g : 1) * dim * sizeof *tmp);
            clembed_embed_info *ti = calloc(g ? g : 1, sizeof *ti);
            rc = tmp && ti ? clembed_embed(ctx, good, g, tmp, g * dim, ti) : CLEMBED_ERR_NOMEM;
            for (size_t k = 0; rc == CLEMBED_OK && k < g; k++) {
                memcpy(u->vec + where[k] * dim, tmp + k * dim, dim * sizeof *tmp);
                u->info[where[k]] = ti[k];
            }
            free(ti);
        }
        if (rc == CLEMBED_OK)
            break;
        if (!text_error(rc) || attempt == 1) {
            u->rc = rc;
            snprintf(u->msg, sizeof u->msg, "%s%s%s", clembed_strerror(rc), *clembed_errmsg() ? ": " : "",
                     clembed_errmsg());
            break;
        }
        /* Which texts: alone, each.  In fail mode the first is the error. */
        float *row = malloc(dim * sizeof *row);
        if (!row) {
            u->rc = CLEMBED_ERR_NOMEM;
            snprintf(u->msg, sizeof u->msg, "out of memory");
            break;
        }
        if (!u->late)
            u->late = calloc(u->n, sizeof *u->late);
        for (size_t i = 0; i < u->n && u->late && u->rc == CLEMBED_OK; i++) {
            if (!u->texts[i])
                continue;
            clembed_status r1 = clembed_embed(ctx, (const char *const *)&u->texts[i], 1, row, dim, NULL);
            if (r1 == CLEMBED_OK)
                continue;
            if (!text_error(r1) || !skip) {
                u->rc = r1;
                char head[96];
                ehead(u->texts[i], strlen(u->texts[i]), r1 != CLEMBED_ERR_UTF8, head, sizeof head);
                snprintf(u->msg, sizeof u->msg, "line %" PRIu64 " \"%s\": %s: %s", u->lines[i], head,
                         clembed_strerror(r1), clembed_errmsg());
                break;
            }
            u->late[i] = strdup(clembed_errmsg());
            free(u->texts[i]);
            u->texts[i] = NULL;
        }
        free(row);
        if (!u->late && u->rc == CLEMBED_OK) {
            u->rc = CLEMBED_ERR_NOMEM;
            snprintf(u->msg, sizeof u->msg, "out of memory");
        }
        if (u->rc != CLEMBED_OK)
            break;
    }
done:
    free(tmp);
    free(good);
    free(where);
}

typedef struct job {
    clembed_context *ctx;
    unit *u;
    size_t dim;
    int skip;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    embed_unit(j->ctx, j->u, j->dim, j->skip);
    return NULL;
}

/* ---- settings and the journal ----------------------------------------------- */

/* Appends key=value to the settings string, escaping what would break it. */
static void set_kv(char *buf, size_t cap, const char *key, const char *value)
{
    size_t used = strlen(buf);
    used += (size_t)snprintf(buf + used, used < cap ? cap - used : 0, "%s%s=", used ? ";" : "", key);
    for (const unsigned char *p = (const unsigned char *)(value ? value : "-"); *p && used + 4 < cap; p++) {
        if (*p < 0x20 || *p == ';' || *p == '=' || *p == '%')
            used += (size_t)snprintf(buf + used, cap - used, "%%%02X", *p);
        else
            buf[used++] = (char)*p, buf[used] = '\0';
    }
}

static void set_num(char *buf, size_t cap, const char *key, long long v)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", v);
    set_kv(buf, cap, key, s);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void progress(uint64_t done, uint64_t total, uint64_t texts, double t0, int final)
{
    const int width = 30;
    double el = now_s() - t0, rate = el > 0 ? (double)texts / el : 0;
    int fill = total ? (int)((double)width * (double)done / (double)total) : width;
    if (fill > width)
        fill = width;
    fprintf(stderr, "\r[%.*s%*s] %3d%% %" PRIu64 " texts, %.0f texts/s", fill,
            "##############################", width - fill, "",
            total ? (int)(100.0 * (double)done / (double)total) : 100, texts, rate);
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* Does the model's module chain end in a Normalize module? (for the HDF5 attributes) */
static int chain_normalizes(const clembed_model *m)
{
    char *json = NULL;
    int yes = 0;
    if (clembed_model_describe_json(m, &json) == CLEMBED_OK) {
        const char *last = NULL;
        for (const char *p = json; (p = strstr(p, "{\"type\":\"")); p++)
            last = p + 9;
        yes = last && !strncmp(last, "Normalize\"", 10);
    }
    free(json);
    return yes;
}

/* ---- the command ------------------------------------------------------------ */

typedef struct opts {
    const char *model_dir, *input, *output, *format, *dataset;
    int jsonl_in, verbose, resume, skip, ids, threads;
    uint64_t window_bytes, max_line;
    clembed_context_params cp;
} opts;

static int parse(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->format = "jsonl";
    o->threads = 1;
    o->window_bytes = WINDOW_BYTES;
    o->max_line = MAX_LINE_BYTES;
    clembed_context_params_init(&o->cp);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
#define TAKES(s, l) ((!strcmp(a, s) || !strcmp(a, l)) && v && ++i)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (TAKES("-m", "--model")) {
            o->model_dir = v;
        } else if (TAKES("-i", "--input")) {
            o->input = v;
        } else if (TAKES("-o", "--output")) {
            o->output = v;
        } else if (TAKES("-f", "--format")) {
            o->format = v;
        } else if (TAKES("--input-format", "--input-format")) {
            if (strcmp(v, "jsonl") && strcmp(v, "text")) {
                fprintf(stderr, "clembed embed: --input-format is text or jsonl, not '%s'\n", v);
                return 2;
            }
            o->jsonl_in = !strcmp(v, "jsonl");
        } else if (TAKES("--dataset", "--dataset")) {
            o->dataset = v;
        } else if (!strcmp(a, "--ids")) {
            o->ids = 1;
        } else if (!strcmp(a, "--resume")) {
            o->resume = 1;
        } else if (TAKES("--on-error", "--on-error")) {
            if (strcmp(v, "fail") && strcmp(v, "skip")) {
                fprintf(stderr, "clembed embed: --on-error is fail or skip, not '%s'\n", v);
                return 2;
            }
            o->skip = !strcmp(v, "skip");
        } else if (TAKES("--threads", "--threads")) {
            if (!parse_u64(a, v, MAX_THREADS, &n))
                return 2;
            o->threads = (int)n;
        } else if (TAKES("--window-bytes", "--window-bytes")) {
            if (!parse_u64(a, v, UINT64_MAX / 2, &o->window_bytes))
                return 2;
        } else if (TAKES("--max-line-bytes", "--max-line-bytes")) {
            if (!parse_u64(a, v, (uint64_t)1 << 31, &o->max_line))
                return 2;
        } else if (TAKES("--prompt", "--prompt")) {
            o->cp.prompt_name = v;
        } else if (TAKES("--prompt-text", "--prompt-text")) {
            o->cp.prompt = v;
        } else if (!strcmp(a, "--normalize")) {
            o->cp.normalize = 1;
        } else if (!strcmp(a, "--no-normalize")) {
            o->cp.normalize = 0;
        } else if (TAKES("--truncate-dim", "--truncate-dim")) {
            if (!parse_u32(a, v, &o->cp.truncate_dim))
                return 2;
        } else if (TAKES("--max-tokens", "--max-tokens")) {
            if (!parse_u32(a, v, &o->cp.max_tokens))
                return 2;
        } else if (TAKES("--batch-tokens", "--batch-tokens")) {
            if (!parse_u32(a, v, &o->cp.batch_tokens))
                return 2;
        } else if (TAKES("-d", "--device")) {
            o->cp.device = v;
        } else if (TAKES("--profile", "--profile")) {
            o->cp.profile = v;
        } else if (TAKES("--precision", "--precision")) {
            o->cp.precision = v;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o->verbose = 1;
        } else {
            fprintf(stderr, "clembed embed: %s '%s'\n\n",
                    a[0] == '-' ? (v ? "unknown option" : "missing value or unknown option")
                                : "unexpected argument", a);
            usage(stderr);
            return 2;
        }
#undef TAKES
    }
    return -1;
}

int clembed_cmd_embed(int argc, char **argv)
{
    opts o;
    int r = parse(argc, argv, &o);
    if (r >= 0)
        return r;
    if (!o.model_dir) {
        fprintf(stderr, "clembed embed: give the model directory with -m DIR\n\n");
        usage(stderr);
        return 2;
    }
    int fmt = !strcmp(o.format, "jsonl") ? OUT_JSONL : !strcmp(o.format, "npy") ? OUT_NPY
              : !strcmp(o.format, "f32") ? OUT_F32 : !strcmp(o.format, "h5") ? OUT_H5 : -1;
    if (fmt < 0) {
        fprintf(stderr, "clembed embed: --format is jsonl, npy, f32 or h5, not '%s'\n", o.format);
        return 2;
    }
    int to_file = o.output && strcmp(o.output, "-") != 0;
    if (fmt != OUT_JSONL && !to_file && isatty(STDOUT_FILENO)) {
        fprintf(stderr, "clembed embed: refusing to write binary %s to a terminal; use -o FILE\n", o.format);
        return 2;
    }
    if ((o.ids || o.dataset) && fmt != OUT_H5) {
        fprintf(stderr, "clembed embed: %s is for -f h5\n", o.ids ? "--ids" : "--dataset");
        return 2;
    }
    int from_file = o.input && strcmp(o.input, "-") != 0;
    if (o.resume && (!to_file || !from_file)) {
        fprintf(stderr, "clembed embed: --resume needs -i FILE and -o FILE (it reads the input again "
                        "and continues the output)\n");
        return 2;
    }

    int status = 1;
    FILE *in = stdin;
    const char *in_name = from_file ? o.input : "<stdin>";
    clembed_model *model = NULL;
    clembed_context *ctx[MAX_THREADS] = {0};
    unit units[MAX_THREADS];
    int n_units = 0;
    eout *out = NULL;
    ein rd;
    int rd_open = 0;
    char *journal = NULL;
    ejournal j;
    memset(&j, 0, sizeof j);
    uint64_t *skipped_lines = NULL;
    size_t n_skipped_listed = 0;
    ehash start_hash;
    ehash_init(&start_hash);
    eline pend;             /* a line read ahead: the first of the next window */
    int have_pend = 0;
    memset(&pend, 0, sizeof pend);

    /* An output that fails part-way must say so, not kill us with SIGXFSZ. */
    signal(SIGXFSZ, SIG_IGN);
    if (from_file && !(in = fopen(o.input, "rb"))) {
        fprintf(stderr, "clembed embed: %s: %s\n", o.input, strerror(errno));
        goto done;
    }

    /* What changes the output's bytes: a resumed run must have the same. */
    const char *dataset = o.dataset ? o.dataset : "embeddings";
    if (to_file) {
        size_t idx;
        clembed_device_info di;
        clembed_status rc = clembed_device_select(o.cp.device, &idx);
        if (rc == CLEMBED_OK)
            rc = clembed_device_get(idx, &di);
        if (rc != CLEMBED_OK) {
            status = cli_fail("cannot select the device", rc);
            goto done;
        }
        char dev[512];
        snprintf(dev, sizeof dev, "%s / %s / %s", di.platform_name, di.name, di.driver_version);
        char *s = j.settings;
        size_t cap = sizeof j.settings;
        set_kv(s, cap, "format", o.format);
        set_kv(s, cap, "input_format", o.jsonl_in ? "jsonl" : "text");
        set_kv(s, cap, "prompt", o.cp.prompt_name);
        set_kv(s, cap, "prompt_text", o.cp.prompt);
        set_num(s, cap, "normalize", o.cp.normalize);
        set_num(s, cap, "truncate_dim", o.cp.truncate_dim);
        set_num(s, cap, "max_tokens", o.cp.max_tokens);
        set_num(s, cap, "batch_tokens", o.cp.batch_tokens);
        set_kv(s, cap, "device", dev);
        set_kv(s, cap, "profile", o.cp.profile);
        /* what else picks the arithmetic: the weights' storage and the GEMMs' provider */
        set_kv(s, cap, "precision", o.cp.precision ? o.cp.precision : getenv("CLEMBED_PRECISION"));
        set_kv(s, cap, "gemm", getenv("CLEMBED_GEMM"));
        set_num(s, cap, "window_bytes", (long long)o.window_bytes);
        set_num(s, cap, "max_line_bytes", (long long)o.max_line);
        set_kv(s, cap, "on_error", o.skip ? "skip" : "fail");
        set_num(s, cap, "ids", o.ids);
        set_kv(s, cap, "dataset", fmt == OUT_H5 ? dataset : NULL);
        set_kv(s, cap, "version", clembed_version_string());
        j.window_bytes = o.window_bytes;
        size_t jl = strlen(o.output) + 16;
        if (!(journal = malloc(jl)))
            goto done;
        snprintf(journal, jl, "%s.journal", o.output);
    }

    /* Resume: the journal, the input's done part and the model must all agree. */
    ejournal old;
    memset(&old, 0, sizeof old);
    int resuming = 0;
    if (o.resume) {
        int jr = ejournal_read(journal, &old);
        if (jr < 0)
            goto done;
        if (jr == 0) {
            fprintf(stderr, "clembed embed: --resume: no journal %s; starting from the beginning\n", journal);
        } else {
            char diff[2048];
            if (ejournal_settings_diff(j.settings, old.settings, diff, sizeof diff)) {
                fprintf(stderr, "clembed embed: --resume: %s was written with other settings: %s\n",
                        journal, diff);
                goto done;
            }
            struct stat st;
            if (fstat(fileno(in), &st) != 0 || (uint64_t)st.st_size < old.in_offset) {
                fprintf(stderr, "clembed embed: --resume: %s is shorter than the %" PRIu64 " bytes %s "
                                "says were done: another input\n", in_name, old.in_offset, journal);
                goto done;
            }
            if (!ehash_file_range(&start_hash, in, 0, old.in_offset) ||
                ehash_value(&start_hash) != old.in_hash) {
                fprintf(stderr, "clembed embed: --resume: the first %" PRIu64 " bytes of %s differ from "
                                "those %s saw: another input, or it changed\n", old.in_offset, in_name,
                        journal);
                goto done;
            }
            resuming = 1;
            j.dim = old.dim;
        }
    }

    /* The output is created (or checked, to resume) before the model is loaded. */
    struct stat ost;
    eout_params op = {fmt, o.output, dataset, 0, o.ids, NULL, o.model_dir, NULL,
                      clembed_version_string(), 0};
    op.append = fmt == OUT_H5 && o.dataset && stat(o.output, &ost) == 0;
    const char *base = strrchr(o.model_dir, '/');
    char model_name[256];
    snprintf(model_name, sizeof model_name, "%s", base && base[1] ? base + 1 : o.model_dir);
    if (base && !base[1]) {   /* "dir/" */
        size_t l = strlen(o.model_dir);
        const char *b = o.model_dir + l - 1;
        while (b > o.model_dir && b[-1] != '/')
            b--;
        snprintf(model_name, sizeof model_name, "%.*s", (int)(o.model_dir + l - 1 - b), b);
    }
    op.model_name = model_name;
    op.normalize = o.cp.normalize < 0 ? "model" : o.cp.normalize ? "l2" : "off";
    out = eout_open(&op, resuming, resuming ? old.rows_done : 0, resuming ? old.out_bytes : 0,
                    resuming ? old.out_hash : 0);
    if (!out)
        goto done;
    /* The model's files, hashed once the output is known to be writable. */
    if (journal && !emodel_hash(o.model_dir, &j.model_hash))
        goto done;
    if (resuming && old.model_hash != j.model_hash) {
        fprintf(stderr, "clembed embed: --resume: %s was written for another model: the files "
                        "in %s differ from those it saw\n", journal, o.model_dir);
        goto done;
    }
    if (resuming) {
        j.in_offset = old.in_offset, j.in_hash = old.in_hash, j.lines_done = old.lines_done;
        j.rows_done = old.rows_done, j.out_bytes = old.out_bytes, j.out_hash = old.out_hash;
        j.skipped = old.skipped;
        if (fseeko(in, (off_t)old.in_offset, SEEK_SET) != 0) {
            fprintf(stderr, "clembed embed: %s: %s\n", in_name, strerror(errno));
            goto done;
        }
    }

    clembed_status rc = clembed_model_open(o.model_dir, NULL, &model);
    if (rc != CLEMBED_OK) {
        status = cli_fail("cannot open the model", rc);
        goto done;
    }
    for (int t = 0; t < o.threads; t++)
        if ((rc = clembed_context_new(model, &o.cp, &ctx[t])) != CLEMBED_OK) {
            status = cli_fail("cannot set up the device", rc);
            goto done;
        }
    const size_t dim = clembed_context_dim(ctx[0]);
    if (resuming && j.dim != dim) {
        fprintf(stderr, "clembed embed: --resume: %s holds vectors of %" PRIu64 " dimensions, the model "
                        "gives %zu\n", eout_name(out), j.dim, dim);
        goto done;
    }
    j.dim = dim;
    op.normalized = o.cp.normalize == 1 ||
                    (o.cp.normalize < 0 && chain_normalizes(model) && dim == clembed_model_dim(model));
    if (!eout_start(out, dim, op.normalized))
        goto done;

    size_t max_texts = UNIT_FLOATS / dim < MAX_TEXTS ? UNIT_FLOATS / dim : MAX_TEXTS;
    if (max_texts < 1)
        max_texts = 1;
    for (n_units = 0; n_units < o.threads; n_units++)
        if (!unit_alloc(&units[n_units], max_texts, dim)) {
            unit_free(&units[n_units]);
            fprintf(stderr, "clembed embed: out of memory\n");
            goto done;
        }
    if (!ein_open(&rd, in, in_name, o.jsonl_in, (size_t)o.max_line, j.in_offset, j.lines_done)) {
        fprintf(stderr, "clembed embed: out of memory\n");
        goto done;
    }
    rd_open = 1;
    rd.hash = start_hash;

    struct stat ist;
    uint64_t in_size = fstat(fileno(in), &ist) == 0 && S_ISREG(ist.st_mode) ? (uint64_t)ist.st_size : 0;
    int bar = isatty(STDERR_FILENO) && in_size > ((uint64_t)1 << 20);
    uint64_t rows = j.rows_done, tokens = 0, truncated = 0, texts = 0, windows = 0;
    double t0 = now_s();
    int at_end = 0, cur_any = 0;
    uint64_t cur_window = 0;
    while (!at_end) {
        /* Read up to one unit per thread; units never cross a window's end. */
        int k = 0;
        for (; k < o.threads && !at_end; k++) {
            unit *u = &units[k];
            while (u->n < max_texts) {
                if (!have_pend) {
                    int got = ein_next(&rd, &pend);
                    if (got < 0)
                        goto done;
                    if (got == 0) {
                        at_end = 1;
                        u->closes = 1;
                        u->next_off = rd.off, u->lines_after = rd.lineno, u->hash_after = rd.hash;
                        break;
                    }
                    have_pend = 1;
                }
                uint64_t w = pend.start / o.window_bytes;
                if (cur_any && w != cur_window) {
                    /* The window ends here (this unit may be empty when the one before
                     * filled up exactly at the window's end). */
                    u->closes = 1;
                    u->next_off = pend.start, u->lines_after = pend.lineno - 1, u->hash_after = pend.before;
                    cur_any = 0;
                    break;
                }
                if (u->n == 0 && !u->first_line)
                    u->first_line = pend.lineno;
                cur_window = w;
                cur_any = 1;
                have_pend = 0;
                u->last_line = pend.lineno;
                if (pend.why[0]) {
                    if (!o.skip) {
                        fprintf(stderr, "clembed embed: %s:%" PRIu64 ": %s: \"%s\"\n", in_name, pend.lineno,
                                pend.why, pend.head);
                        goto done;
                    }
                    fprintf(stderr, "clembed embed: %s:%" PRIu64 ": skipped: %s: \"%s\"\n", in_name,
                            pend.lineno, pend.why, pend.head);
                    uint64_t *sl = realloc(skipped_lines, (n_skipped_listed + 1) * sizeof *sl);
                    if (sl)
                        (skipped_lines = sl)[n_skipped_listed++] = pend.lineno;
                    j.skipped++;
                }
                if (!pend.row)
                    continue;
                u->texts[u->n] = pend.text;
                u->lines[u->n++] = pend.lineno;
            }
        }
        if (k == 0)
            break;
        /* Embed: one thread per unit, each with its own context. */
        pthread_t tid[MAX_THREADS];
        job jobs[MAX_THREADS];
        int started[MAX_THREADS] = {0};
        for (int t = 0; t < k; t++) {
            jobs[t] = (job){ctx[t], &units[t], dim, o.skip};
            if (t > 0 && pthread_create(&tid[t], NULL, run_job, &jobs[t]) == 0)
                started[t] = 1;
            else if (t > 0)
                run_job(&jobs[t]);
        }
        if (k > 0)
            run_job(&jobs[0]);
        for (int t = 1; t < k; t++)
            if (started[t])
                pthread_join(tid[t], NULL);
        /* Write in input order; a window's last unit is a checkpoint. */
        for (int t = 0; t < k; t++) {
            unit *u = &units[t];
            if (u->rc != CLEMBED_OK) {
                if (bar)
                    fputc('\n', stderr);
                fprintf(stderr, "clembed embed: %s: lines %" PRIu64 "-%" PRIu64 ": %s\n", in_name,
                        u->first_line, u->last_line, u->msg);
                goto done;
            }
            for (size_t i = 0; u->late && i < u->n; i++)
                if (u->late[i]) {
                    fprintf(stderr, "clembed embed: %s:%" PRIu64 ": skipped: %s\n", in_name, u->lines[i],
                            u->late[i]);
                    uint64_t *sl = realloc(skipped_lines, (n_skipped_listed + 1) * sizeof *sl);
                    if (sl)
                        (skipped_lines = sl)[n_skipped_listed++] = u->lines[i];
                    j.skipped++;
                }
            if (!eout_rows(out, rows, u->vec, u->lines, u->n))
                goto done;
            rows += u->n;
            texts += u->n;
            for (size_t i = 0; i < u->n; i++) {
                tokens += u->info[i].tokens;
                truncated += u->info[i].truncated != 0;
            }
            if (u->closes) {
                windows++;
                j.rows_done = rows;
                j.in_offset = u->next_off;
                j.in_hash = ehash_value(&u->hash_after);
                j.lines_done = u->lines_after;
                /* Standard output is flushed here too: it streams window by window. */
                if (!eout_sync(out, &j.out_bytes, &j.out_hash) || (journal && !ejournal_write(journal, &j)))
                    goto done;
            }
            unit_clear(u);
        }
        if (bar)
            progress(rd.off, in_size, texts, t0, at_end);
    }
    double el = now_s() - t0;
    if (!eout_finish(out, rows)) {
        out = NULL;
        goto done;
    }
    out = NULL;
    if (journal)
        remove(journal);
    if (o.verbose) {
        fprintf(stderr, "clembed embed: %" PRIu64 " texts, %" PRIu64 " tokens, %" PRIu64 " truncated, "
                        "dimension %zu; %" PRIu64 " skipped, %" PRIu64 " windows; %.2f s, %.1f texts/s, "
                        "%.0f tokens/s\n",
                texts, tokens, truncated, dim, j.skipped, windows, el, el > 0 ? (double)texts / el : 0.0,
                el > 0 ? (double)tokens / el : 0.0);
        if (n_skipped_listed) {
            fprintf(stderr, "clembed embed: skipped lines:");
            for (size_t i = 0; i < n_skipped_listed; i++)
                fprintf(stderr, " %" PRIu64, skipped_lines[i]);
            fputc('\n', stderr);
        }
    }
    status = 0;
done:
    if (have_pend)
        free(pend.text);
    if (rd_open)
        ein_close(&rd);
    eout_abort(out);
    for (int t = 0; t < n_units; t++)
        unit_free(&units[t]);
    if (in && in != stdin)
        fclose(in);
    for (int t = 0; t < MAX_THREADS; t++)
        clembed_context_free(ctx[t]);
    clembed_model_free(model);
    free(journal);
    free(skipped_lines);
    return status;
}
