/* clembed embed: texts in, vectors out (JSON lines, .npy or raw float32). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Texts per clembed_embed call: the progress bar's step. */
#define STEP 512
/* Inputs from which a terminal gets a progress bar. */
#define PROGRESS_MIN 2048

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clembed embed -m DIR [OPTIONS]\n"
            "\n"
            "Embeds one text per input line and writes one vector per text, in input order.\n"
            "\n"
            "  -m, --model DIR          model directory (Hugging Face / sentence-transformers)\n"
            "  -i, --input FILE         read texts from FILE (default: standard input)\n"
            "  --input-format FMT       text (default): one text per line;\n"
            "                           jsonl: a JSON string or {\"text\": ...} per line\n"
            "  -o, --output FILE        write to FILE (default: standard output)\n"
            "  -f, --format FMT         jsonl (default): a JSON array of floats per text;\n"
            "                           npy: float32 array of n x dim; f32: raw little-endian float32\n"
            "  --prompt NAME            prepend the model's prompt NAME (config_sentence_transformers.json)\n"
            "  --prompt-text TEXT       prepend TEXT\n"
            "  --normalize              L2-normalize the output vectors\n"
            "  --no-normalize           skip the model's Normalize module\n"
            "  --truncate-dim N         keep the first N dimensions (Matryoshka)\n"
            "  --max-tokens N           truncate texts to N tokens (default: the model's maximum)\n"
            "  --batch-tokens N         tokens per device batch (default: from the profile, or 4096)\n"
            "  -d, --device SEL         device index or name part (see clembed info)\n"
            "  --profile PATH           tuning profile to use; 'off' for the built-in defaults\n"
            "  -v, --verbose            a summary on standard error at the end\n"
            "  -h, --help               this help\n");
}

typedef struct texts {
    char **v;
    size_t n, cap;
    size_t *line;   /* input line of each text */
} texts;

static int push(texts *t, char *s, size_t line)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1024;
        char **v = realloc(t->v, cap * sizeof *v);
        size_t *l = realloc(t->line, cap * sizeof *l);
        if (v)
            t->v = v;
        if (l)
            t->line = l;
        if (!v || !l)
            return 0;
        t->cap = cap;
    }
    t->line[t->n] = line;
    t->v[t->n++] = s;
    return 1;
}

/* Offset of the first byte that is not well-formed UTF-8 (overlong forms,
 * surrogates and code points past U+10FFFF included), or -1. */
static long bad_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 0;
        if (n == 0 || i + n >= len)
            return (long)i;   /* a stray continuation byte, or cut short */
        unsigned cp = c & (0x3fu >> n);
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return (long)i;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return (long)i;
        i += n + 1;
    }
    return -1;
}

/* Reads every text; 0 and a message on stderr on failure. */
static int read_texts(FILE *in, const char *name, int jsonl, texts *t)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t got;
    int good = 1;
    while ((got = getline(&line, &cap, in)) >= 0) {
        size_t len = (size_t)got;
        lineno++;
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len && line[len - 1] == '\r')
            line[--len] = '\0';
        if (strlen(line) != len) {
            fprintf(stderr, "clembed embed: %s:%zu: the line holds a NUL byte\n", name, lineno);
            good = 0;
            break;
        }
        long bad = bad_utf8((const unsigned char *)line, len);
        if (bad >= 0) {
            fprintf(stderr, "clembed embed: %s:%zu: invalid UTF-8 at byte %ld of the line\n", name,
                    lineno, bad + 1);
            good = 0;
            break;
        }
        char *text = NULL;
        if (jsonl) {
            if (len == 0)
                continue;
            cJSON *j = cJSON_ParseWithLength(line, len);
            const cJSON *s = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "text") : j;
            if (cJSON_IsString(s))
                text = strdup(s->valuestring);
            cJSON_Delete(j);
            if (!cJSON_IsString(s)) {
                fprintf(stderr, "clembed embed: %s:%zu: expected a JSON string or an object with a "
                                "\"text\" string\n", name, lineno);
                good = 0;
                break;
            }
        } else {
            text = strdup(line);
        }
        if (!text || !push(t, text, lineno)) {
            free(text);
            fprintf(stderr, "clembed embed: out of memory reading %s\n", name);
            good = 0;
            break;
        }
    }
    if (good && ferror(in)) {
        fprintf(stderr, "clembed embed: reading %s: %s\n", name, strerror(errno));
        good = 0;
    }
    free(line);
    return good;
}

static void npy_header(FILE *f, size_t n, size_t dim)
{
    char dict[128];
    int len = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }",
                       n, dim);
    size_t total = 10 + (size_t)len + 1;
    size_t pad = (64 - total % 64) % 64;
    uint16_t hlen = (uint16_t)(len + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hlen & 0xff, f);
    fputc(hlen >> 8, f);
    fwrite(dict, 1, (size_t)len, f);
    for (size_t i = 0; i < pad; i++)
        fputc(' ', f);
    fputc('\n', f);
}

/* Raw little-endian float32, whatever the host's order. */
static void write_f32(FILE *f, const float *v, size_t n)
{
    const uint16_t probe = 1;
    if (*(const uint8_t *)&probe == 1) {
        fwrite(v, sizeof *v, n, f);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        unsigned char b[4] = {u & 0xff, (u >> 8) & 0xff, (u >> 16) & 0xff, u >> 24};
        fwrite(b, 1, 4, f);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void progress(size_t done, size_t total, double t0, int final)
{
    const int width = 30;
    double el = now_s() - t0, rate = el > 0 ? (double)done / el : 0;
    int fill = total ? (int)((double)width * (double)done / (double)total) : width;
    fprintf(stderr, "\r[%.*s%*s] %3d%% %zu/%zu texts, %.0f texts/s", fill,
            "##############################", width - fill, "",
            total ? (int)(100.0 * (double)done / (double)total) : 100, done, total, rate);
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

static int parse_u32(const char *opt, const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || v == 0 || v > UINT32_MAX || s[0] == '-') {
        fprintf(stderr, "clembed embed: %s needs a positive integer, not '%s'\n", opt, s);
        return 0;
    }
    *out = (uint32_t)v;
    return 1;
}

int clembed_cmd_embed(int argc, char **argv)
{
    const char *model_dir = NULL, *input = NULL, *output = NULL, *format = "jsonl";
    int jsonl_in = 0, verbose = 0;
    clembed_context_params cp;
    clembed_context_params_init(&cp);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKES(s, l) ((!strcmp(a, s) || !strcmp(a, l)) && v && ++i)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (TAKES("-m", "--model")) {
            model_dir = v;
        } else if (TAKES("-i", "--input")) {
            input = v;
        } else if (TAKES("-o", "--output")) {
            output = v;
        } else if (TAKES("-f", "--format")) {
            format = v;
        } else if (TAKES("--input-format", "--input-format")) {
            if (strcmp(v, "jsonl") && strcmp(v, "text")) {
                fprintf(stderr, "clembed embed: --input-format is text or jsonl, not '%s'\n", v);
                return 2;
            }
            jsonl_in = !strcmp(v, "jsonl");
        } else if (TAKES("--prompt", "--prompt")) {
            cp.prompt_name = v;
        } else if (TAKES("--prompt-text", "--prompt-text")) {
            cp.prompt = v;
        } else if (!strcmp(a, "--normalize")) {
            cp.normalize = 1;
        } else if (!strcmp(a, "--no-normalize")) {
            cp.normalize = 0;
        } else if (TAKES("--truncate-dim", "--truncate-dim")) {
            if (!parse_u32(a, v, &cp.truncate_dim))
                return 2;
        } else if (TAKES("--max-tokens", "--max-tokens")) {
            if (!parse_u32(a, v, &cp.max_tokens))
                return 2;
        } else if (TAKES("--batch-tokens", "--batch-tokens")) {
            if (!parse_u32(a, v, &cp.batch_tokens))
                return 2;
        } else if (TAKES("-d", "--device")) {
            cp.device = v;
        } else if (TAKES("--profile", "--profile")) {
            cp.profile = v;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            verbose = 1;
        } else {
            fprintf(stderr, "clembed embed: %s '%s'\n\n",
                    a[0] == '-' ? (v ? "unknown option" : "missing value or unknown option")
                                : "unexpected argument", a);
            usage(stderr);
            return 2;
        }
#undef TAKES
    }
    if (!model_dir) {
        fprintf(stderr, "clembed embed: give the model directory with -m DIR\n\n");
        usage(stderr);
        return 2;
    }
    int fmt = !strcmp(format, "jsonl") ? 0 : !strcmp(format, "npy") ? 1 : !strcmp(format, "f32") ? 2 : -1;
    if (fmt < 0) {
        fprintf(stderr, "clembed embed: --format is jsonl, npy or f32, not '%s'\n", format);
        return 2;
    }
    if (fmt && !output && isatty(STDOUT_FILENO)) {
        fprintf(stderr, "clembed embed: refusing to write binary %s to a terminal; use -o FILE\n", format);
        return 2;
    }

    int status = 1;
    texts t = {0};
    clembed_model *model = NULL;
    clembed_context *ctx = NULL;
    clembed_embed_info *info = NULL;
    float *vec = NULL;
    FILE *in = stdin, *out = stdout;
    const char *in_name = input ? input : "<stdin>";
    if (input && strcmp(input, "-") != 0 && !(in = fopen(input, "rb"))) {
        fprintf(stderr, "clembed embed: %s: %s\n", input, strerror(errno));
        goto done;
    }
    if (!read_texts(in, in_name, jsonl_in, &t))
        goto done;
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
    if (output && strcmp(output, "-") != 0 && !(out = fopen(output, "wb"))) {
        fprintf(stderr, "clembed embed: %s: %s\n", output, strerror(errno));
        goto done;
    }
    vec = malloc(STEP * dim * sizeof *vec);
    info = calloc(t.n ? t.n : 1, sizeof *info);
    if (!vec || !info) {
        fprintf(stderr, "clembed embed: out of memory\n");
        goto done;
    }
    if (fmt == 1)
        npy_header(out, t.n, dim);
    int bar = isatty(STDERR_FILENO) && t.n >= PROGRESS_MIN;
    double t0 = now_s();
    for (size_t first = 0; first < t.n; first += STEP) {
        size_t n = t.n - first < STEP ? t.n - first : STEP;
        rc = clembed_embed(ctx, (const char *const *)t.v + first, n, vec, STEP * dim, info + first);
        if (rc != CLEMBED_OK) {
            if (bar)
                fputc('\n', stderr);
            char what[256];
            snprintf(what, sizeof what, "%s: texts from line %zu", in_name, t.line[first]);
            status = cli_fail(what, rc);
            goto done;
        }
        if (fmt == 0) {
            for (size_t i = 0; i < n; i++) {
                fputc('[', out);
                for (size_t d = 0; d < dim; d++)
                    fprintf(out, d ? ",%.9g" : "%.9g", (double)vec[i * dim + d]);
                fputs("]\n", out);
            }
        } else {
            write_f32(out, vec, n * dim);
        }
        if (bar)
            progress(first + n, t.n, t0, first + n == t.n);
    }
    double el = now_s() - t0;
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(stderr, "clembed embed: writing %s: %s\n", output ? output : "<stdout>", strerror(errno));
        goto done;
    }
    if (verbose) {
        uint64_t tokens = 0;
        size_t truncated = 0;
        for (size_t i = 0; i < t.n; i++) {
            tokens += info[i].tokens;
            truncated += info[i].truncated != 0;
        }
        fprintf(stderr, "clembed embed: %zu texts, %llu tokens, %zu truncated, dimension %zu; "
                        "%.2f s, %.1f texts/s, %.0f tokens/s\n",
                t.n, (unsigned long long)tokens, truncated, dim, el, el > 0 ? (double)t.n / el : 0.0,
                el > 0 ? (double)tokens / el : 0.0);
    }
    status = 0;
done:
    if (in && in != stdin)
        fclose(in);
    if (out && out != stdout && fclose(out) != 0 && status == 0) {
        fprintf(stderr, "clembed embed: writing %s: %s\n", output, strerror(errno));
        status = 1;
    }
    clembed_context_free(ctx);
    clembed_model_free(model);
    for (size_t i = 0; i < t.n; i++)
        free(t.v[i]);
    free(t.v);
    free(t.line);
    free(info);
    free(vec);
    return status;
}
