/* clembed embed and clembed-mpi embed: one table of options, their parser, and the settings
 * string a journal compares (see embed.h). */
#define _POSIX_C_SOURCE 200809L
#include "embed.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* The option lines of --help, and which program has each. */
enum { BOTH = EPROG_EMBED | EPROG_MPI };
static const struct {
    int prog;
    const char *text;
} option_lines[] = {
    {BOTH, "  -m, --model DIR          model directory (Hugging Face / sentence-transformers)\n"},
    {EPROG_EMBED, "  -i, --input FILE         read texts from FILE (default: standard input)\n"},
    {EPROG_MPI, "  -i, --input FILE         read texts from FILE (a file every rank can read)\n"},
    {BOTH, "  --input-format FMT       text (default): one text per line;\n"
           "                           jsonl: a JSON string or {\"text\": ...} per line\n"},
    {EPROG_EMBED, "  -o, --output FILE        write to FILE (default: standard output)\n"
                  "  -f, --format FMT         jsonl (default): a JSON array of floats per text;\n"
                  "                           npy: float32 array of n x dim; f32: raw little-endian float32;\n"
                  "                           h5: HDF5 dataset 'embeddings' (n x dim float32, needs -o)\n"
                  "  --dataset NAME           h5: write dataset NAME; an existing FILE gets it added\n"
                  "  --ids                    h5: also dataset NAME_ids, the input line of each row\n"},
    {EPROG_MPI, "  -o, --output FILE        write to FILE (a file every rank can write)\n"
                "  -f, --format FMT         npy (default): float32 array of n x dim;\n"
                "                           f32: raw little-endian float32\n"},
    {BOTH, "  --resume                 continue an interrupted run from FILE.journal\n"
           "  --on-error MODE          fail (default): stop at the first bad line (invalid UTF-8,\n"
           "                           NUL, too long, bad JSON); skip: list it on standard error\n"
           "                           and write a zero vector in its row\n"},
    {EPROG_EMBED, "  --threads N              N contexts on the device, one thread each (default 1);\n"
                  "                           the output is the same for every N\n"},
    {EPROG_MPI, "  --threads N              N contexts per rank, one thread each (default 1);\n"
                "                           the output is the same for every N\n"},
    {BOTH, "  --prompt NAME            prepend the model's prompt NAME (config_sentence_transformers.json)\n"
           "  --prompt-text TEXT       prepend TEXT\n"
           "  --normalize              L2-normalize the output vectors\n"
           "  --no-normalize           skip the model's Normalize module\n"
           "  --truncate-dim N         keep the first N dimensions (Matryoshka)\n"
           "  --max-tokens N           truncate texts to N tokens (default: the model's maximum)\n"
           "  --batch-tokens N         tokens per device batch (default: from the profile, or 4096)\n"},
    {EPROG_EMBED, "  --window-bytes N         input bytes per window (default " STR(EWINDOW_BYTES) ")\n"},
    {EPROG_MPI, "  --window-bytes N         input bytes per window, the chunk a rank takes (default "
                STR(EWINDOW_BYTES) ")\n"},
    {BOTH, "  --max-line-bytes N       longer lines are bad lines (default " STR(EMAX_LINE_BYTES) ")\n"},
    {EPROG_EMBED, "  -d, --device SEL         device index or name part (see clembed info)\n"},
    {EPROG_MPI, "  -d, --device SEL         device index or name part (see clembed info); given k\n"
                "                           times, node-local rank r takes the (r mod k)th (default:\n"
                "                           the node's GPUs in turn, else the default device)\n"},
    {BOTH, "  --profile PATH           tuning profile to use; 'off' for the built-in defaults\n"},
    {BOTH, "  --precision P            weights on the device: fp32, fp16 or auto (default: auto;\n"
           "                           fp16 halves their memory, vectors within cosine 0.9999)\n"},
    {EPROG_MPI, "  --progress SEC           rank 0: a line on standard error every SEC seconds\n"},
    {EPROG_EMBED, "  -v, --verbose            a summary on standard error at the end\n"},
    {EPROG_MPI, "  -v, --verbose            a summary and each rank's figures on standard error at the end\n"},
    {BOTH, "  -h, --help               this help\n"},
};

void eopts_usage(FILE *f, int prog)
{
    for (size_t i = 0; i < sizeof option_lines / sizeof option_lines[0]; i++)
        if (option_lines[i].prog & prog)
            fputs(option_lines[i].text, f);
}

static int parse_u64(FILE *err, const char *name, const char *opt, const char *s, uint64_t max,
                     uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || v == 0 || v > max || s[0] == '-') {
        if (err)
            fprintf(err, "%s: %s needs a positive integer%s, not '%s'\n", name, opt,
                    max < UINT64_MAX ? " (within limits)" : "", s);
        return 0;
    }
    *out = v;
    return 1;
}

int eopts_parse(int argc, char **argv, eopts *o, int prog, const char *name, FILE *err,
                void (*usage)(FILE *))
{
    memset(o, 0, sizeof *o);
    o->format = prog == EPROG_MPI ? "npy" : "jsonl";
    o->threads = 1;
    o->window_bytes = EWINDOW_BYTES;
    o->max_line = EMAX_LINE_BYTES;
    clembed_context_params_init(&o->cp);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        const char *choice = NULL;  /* a value outside its list: "--x is a or b" */
#define TAKES(s, l) ((!strcmp(a, s) || !strcmp(a, l)) && v && ++i)
#define NUMBER(max, dst)                                          \
    do {                                                          \
        if (!parse_u64(err, name, a, v, (max), &n))               \
            return 2;                                             \
        dst = n;                                                  \
    } while (0)
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
            if (strcmp(v, "jsonl") && strcmp(v, "text"))
                choice = "text or jsonl";
            o->jsonl_in = !strcmp(v, "jsonl");
        } else if (TAKES("--dataset", "--dataset")) {
            o->dataset = v;
        } else if (!strcmp(a, "--ids")) {
            o->ids = 1;
        } else if (!strcmp(a, "--resume")) {
            o->resume = 1;
        } else if (TAKES("--on-error", "--on-error")) {
            if (strcmp(v, "fail") && strcmp(v, "skip"))
                choice = "fail or skip";
            o->skip = !strcmp(v, "skip");
        } else if (TAKES("--threads", "--threads")) {
            NUMBER(EMAX_THREADS, o->threads);
        } else if (TAKES("--window-bytes", "--window-bytes")) {
            NUMBER(UINT64_MAX / 2, o->window_bytes);
        } else if (TAKES("--max-line-bytes", "--max-line-bytes")) {
            NUMBER((uint64_t)1 << 31, o->max_line);
        } else if (TAKES("--prompt", "--prompt")) {
            o->cp.prompt_name = v;
        } else if (TAKES("--prompt-text", "--prompt-text")) {
            o->cp.prompt = v;
        } else if (!strcmp(a, "--normalize")) {
            o->cp.normalize = 1;
        } else if (!strcmp(a, "--no-normalize")) {
            o->cp.normalize = 0;
        } else if (TAKES("--truncate-dim", "--truncate-dim")) {
            NUMBER(UINT32_MAX, o->cp.truncate_dim);
        } else if (TAKES("--max-tokens", "--max-tokens")) {
            NUMBER(UINT32_MAX, o->cp.max_tokens);
        } else if (TAKES("--batch-tokens", "--batch-tokens")) {
            NUMBER(UINT32_MAX, o->cp.batch_tokens);
        } else if (TAKES("-d", "--device")) {
            o->cp.device = v;
            if (o->n_devices == EMAX_THREADS) {
                if (err)
                    fprintf(err, "%s: at most %d devices with -d\n", name, EMAX_THREADS);
                return 2;
            }
            o->devices[o->n_devices++] = v;
        } else if (TAKES("--profile", "--profile")) {
            o->cp.profile = v;
        } else if (TAKES("--precision", "--precision")) {
            o->cp.precision = v;
        } else if (prog == EPROG_MPI && TAKES("--progress", "--progress")) {
            NUMBER(UINT32_MAX, o->progress);
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o->verbose = 1;
        } else {
            if (err) {
                fprintf(err, "%s: %s '%s'\n\n", name,
                        a[0] == '-' ? (v ? "unknown option" : "missing value or unknown option")
                                    : "unexpected argument", a);
                usage(err);
            }
            return 2;
        }
        if (choice) {
            if (err)
                fprintf(err, "%s: %s is %s, not '%s'\n", name, a, choice, v);
            return 2;
        }
#undef NUMBER
#undef TAKES
    }
    if (!o->model_dir) {
        if (err) {
            fprintf(err, "%s: give the model directory with -m DIR\n\n", name);
            usage(err);
        }
        return 2;
    }
    return -1;
}

int eformat(const char *name)
{
    static const char *const names[] = {[OUT_JSONL] = "jsonl", [OUT_NPY] = "npy", [OUT_F32] = "f32",
                                        [OUT_H5] = "h5"};
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (!strcmp(name, names[i]))
            return i;
    return -1;
}

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

void esettings(const eopts *o, int fmt, const char *device, char *s, size_t cap)
{
    s[0] = '\0';
    set_kv(s, cap, "format", o->format);
    set_kv(s, cap, "input_format", o->jsonl_in ? "jsonl" : "text");
    set_kv(s, cap, "prompt", o->cp.prompt_name);
    set_kv(s, cap, "prompt_text", o->cp.prompt);
    set_num(s, cap, "normalize", o->cp.normalize);
    set_num(s, cap, "truncate_dim", o->cp.truncate_dim);
    set_num(s, cap, "max_tokens", o->cp.max_tokens);
    set_num(s, cap, "batch_tokens", o->cp.batch_tokens);
    set_kv(s, cap, "device", device);
    set_kv(s, cap, "profile", o->cp.profile);
    /* what else picks the arithmetic: the weights' storage and the GEMMs' provider */
    set_kv(s, cap, "precision", o->cp.precision ? o->cp.precision : getenv("CLEMBED_PRECISION"));
    set_kv(s, cap, "gemm", getenv("CLEMBED_GEMM"));
    set_num(s, cap, "window_bytes", (long long)o->window_bytes);
    set_num(s, cap, "max_line_bytes", (long long)o->max_line);
    set_kv(s, cap, "on_error", o->skip ? "skip" : "fail");
    set_num(s, cap, "ids", o->ids);
    set_kv(s, cap, "dataset", fmt == OUT_H5 ? (o->dataset ? o->dataset : "embeddings") : NULL);
    set_kv(s, cap, "version", clembed_version_string());
}

void eprogress(uint64_t done, uint64_t total, uint64_t texts, double t0, int final)
{
    const int width = 30;
    double el = enow() - t0, rate = el > 0 ? (double)texts / el : 0;
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
