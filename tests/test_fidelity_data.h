/* Test helper: the reference data of tests/data/fidelity (written by
 * tools/gen_reference.py) and the checks the fidelity tests share. */
#ifndef CLEMBED_TEST_FIDELITY_DATA_H
#define CLEMBED_TEST_FIDELITY_DATA_H

#include "encoder/encoder.h"
#include "testdev.h"
#include "core/util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FID_MIN_COSINE 0.99999

/* Where a case's vectors, ids and cases.json are, under the source tree. */
static const char *fid_dir = "tests/data/fidelity";

typedef struct fid_ids {
    int truncated;
    size_t n;
    int32_t *ids;
} fid_ids;

static inline char *fid_path(const char *rel)
{
    const char *top = getenv("top_srcdir");
    return clembed__asprintf("%s/%s", top && *top ? top : ".", rel);
}

static inline char *fid_read(const char *rel, size_t *len)
{
    char *path = fid_path(rel), *data = NULL;
    size_t n = 0;
    if (clembed__read_file(path, (size_t)1 << 30, &data, &n) != CLEMBED_OK) {
        diag("cannot read %s: %s", path, clembed_errmsg());
        data = NULL;
    }
    free(path);
    if (len)
        *len = n;
    return data;
}

/* texts.jsonl: one JSON string per line. */
static inline char **fid_texts(size_t *count)
{
    char *data = fid_read("tests/data/fidelity/texts.jsonl", NULL);
    char **texts = NULL;
    size_t n = 0;
    for (char *line = data, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        else
            next = line + strlen(line);
        cJSON *j = cJSON_Parse(line);
        if (!cJSON_IsString(j)) {
            cJSON_Delete(j);
            continue;
        }
        texts = realloc(texts, (n + 1) * sizeof *texts);
        texts[n++] = clembed__strdup(j->valuestring);
        cJSON_Delete(j);
    }
    free(data);
    *count = n;
    return texts;
}

static inline cJSON *fid_cases(void)
{
    char rel[512];
    snprintf(rel, sizeof rel, "%s/cases.json", fid_dir);
    char *data = fid_read(rel, NULL);
    cJSON *j = data ? cJSON_Parse(data) : NULL;
    free(data);
    return j;
}

static inline float *fid_vectors(const char *file, size_t count)
{
    char rel[512];
    size_t len = 0;
    snprintf(rel, sizeof rel, "%s/%s", fid_dir, file);
    char *data = fid_read(rel, &len);
    if (data && len != count * sizeof(float)) {
        diag("%s has %zu bytes, expected %zu", rel, len, count * sizeof(float));
        free(data);
        return NULL;
    }
    return (float *)data;
}

/* <truncated>\t<ids separated by spaces> per line. */
static inline fid_ids *fid_read_ids(const char *file, size_t count)
{
    char rel[512];
    snprintf(rel, sizeof rel, "%s/%s", fid_dir, file);
    char *data = fid_read(rel, NULL);
    if (!data)
        return NULL;
    fid_ids *out = calloc(count, sizeof *out);
    char *p = data;
    for (size_t i = 0; i < count && *p; i++) {
        char *end;
        out[i].truncated = (int)strtol(p, &end, 10);
        p = end;
        while (*p && *p != '\n') {
            long v = strtol(p, &end, 10);
            if (end == p)
                break;
            out[i].ids = realloc(out[i].ids, (out[i].n + 1) * sizeof *out[i].ids);
            out[i].ids[out[i].n++] = (int32_t)v;
            p = end;
        }
        if (*p == '\n')
            p++;
    }
    free(data);
    return out;
}

static inline void fid_free_ids(fid_ids *ids, size_t count)
{
    for (size_t i = 0; ids && i < count; i++)
        free(ids[i].ids);
    free(ids);
}

/* Cosine similarity; two (near) zero vectors count as equal. */
static inline double fid_cosine(const float *a, const float *b, size_t dim)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < dim; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    if (aa < 1e-24 && bb < 1e-24)
        return 1.0;
    if (aa == 0 || bb == 0)
        return 0.0;
    return ab / sqrt(aa * bb);
}

/* The smallest cosine over n vectors and where it is; NaN counts as 0. */
static inline double fid_min_cosine(const float *got, const float *want, size_t n, size_t dim, size_t *worst)
{
    double min = 2.0;
    *worst = 0;
    for (size_t i = 0; i < n; i++) {
        double c = fid_cosine(got + i * dim, want + i * dim, dim);
        if (!(c >= min)) {
            min = isnan(c) ? 0.0 : c;
            *worst = i;
        }
    }
    return min;
}

/* Context parameters of a case from cases.json. */
static inline void fid_case_params(const cJSON *c, clembed_context_params *p, size_t device)
{
    static char dev[32];
    clembed_context_params_init(p);
    snprintf(dev, sizeof dev, "%zu", device);
    p->device = dev;
    const cJSON *pn = cJSON_GetObjectItem(c, "prompt_name");
    p->prompt_name = cJSON_IsString(pn) ? pn->valuestring : NULL;
    p->normalize = cJSON_GetObjectItem(c, "normalize")->valueint;
    p->truncate_dim = (uint32_t)cJSON_GetObjectItem(c, "truncate_dim")->valueint;
    const cJSON *prec = cJSON_GetObjectItem(c, "precision");   /* optional */
    p->precision = cJSON_IsString(prec) ? prec->valuestring : NULL;
}

/* Runs one case on one device through the text path (the library's
 * tokenizer) and, always or only when that fails (`ids_always` 0) to tell the
 * encoder from the tokenizer, through the ids path (reference token ids).
 * With every > 1, only every every-th text of the case (slow devices). */
static inline void fid_run_case_every(const cJSON *c, clembed_model *model, char **all_texts, size_t n_all,
                                      size_t device, const char *devname, int ids_always, size_t every)
{
    const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
    const size_t n_case = (size_t)cJSON_GetObjectItem(c, "n")->valueint;
    const size_t n = every > 1 ? (n_case + every - 1) / every : n_case;
    size_t dim = (size_t)cJSON_GetObjectItem(c, "dim")->valueint;
    const cJSON *idx = cJSON_GetObjectItem(c, "texts");
    float *want = fid_vectors(cJSON_GetObjectItem(c, "vectors")->valuestring, n_case * dim);
    fid_ids *ids = fid_read_ids(cJSON_GetObjectItem(c, "ids")->valuestring, n_case);
    const char **texts = calloc(n, sizeof *texts);
    float *got = calloc(n * dim, sizeof *got);
    clembed__seq *seqs = calloc(n, sizeof *seqs);
    clembed_embed_info *info = calloc(n, sizeof *info);
    clembed_context *ctx = NULL;
    clembed_context_params p;
    if (!want || !ids || cJSON_GetArraySize(idx) != (int)n_case) {
        ok(0, "%s: reference data of case %s", devname, name);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        /* Keep every every-th text: its reference vector and ids move to row i. */
        size_t from = i * (every > 1 ? every : 1);
        size_t t = (size_t)cJSON_GetArrayItem(idx, (int)from)->valueint;
        texts[i] = t < n_all ? all_texts[t] : "";
        if (from != i) {
            memmove(want + i * dim, want + from * dim, dim * sizeof *want);
            fid_ids tmp = ids[i];
            ids[i] = ids[from];
            ids[from] = tmp;
        }
        seqs[i] = (clembed__seq){ids[i].ids, NULL, ids[i].n};
    }
    fid_case_params(c, &p, device);
    clembed_status rc = clembed_context_new(model, &p, &ctx);
    if (!ok(rc == CLEMBED_OK && clembed_context_dim(ctx) == dim, "%s: %s: context of dimension %zu",
            devname, name, dim)) {
        diag("  %s: %s", clembed_strerror(rc), clembed_errmsg());
        goto out;
    }
    const cJSON *stored = cJSON_GetObjectItem(c, "stored");   /* optional: the weights' storage */
    if (cJSON_IsString(stored) &&
        !ok(strcmp(clembed_context_precision(ctx), stored->valuestring) == 0, "%s: %s: weights stored as %s",
            devname, name, stored->valuestring))
        diag("  stored as %s", clembed_context_precision(ctx));
    const cJSON *bound = cJSON_GetObjectItem(c, "min_cosine");   /* optional */
    const double min_cos = cJSON_IsNumber(bound) ? bound->valuedouble : FID_MIN_COSINE;
    size_t worst = 0;
    rc = clembed_embed(ctx, texts, n, got, n * dim, info);
    double min = rc == CLEMBED_OK ? fid_min_cosine(got, want, n, dim, &worst) : 0;
    int text_ok = rc == CLEMBED_OK && min >= min_cos;
    if (!ok(text_ok, "%s: %s: texts: %zu vectors, smallest cosine %.9f", devname, name, n, min))
        diag("  %s; worst is text %zu", rc ? clembed_errmsg() : "below the bound", worst);
    size_t bad = n;
    for (size_t i = 0; i < n && rc == CLEMBED_OK; i++)
        if (info[i].tokens != ids[i].n || info[i].truncated != ids[i].truncated) {
            bad = i;
            break;
        }
    if (!ok(rc == CLEMBED_OK && bad == n, "%s: %s: token counts and truncation flags", devname, name) &&
        bad < n)
        diag("  text %zu: %u tokens, truncated %d; expected %zu, %d", bad, info[bad].tokens,
             info[bad].truncated, ids[bad].n, ids[bad].truncated);

    if (!ids_always && text_ok)
        goto out;
    memset(got, 0, n * dim * sizeof *got);
    rc = clembed__embed_seqs(ctx, seqs, n, got);
    min = rc == CLEMBED_OK ? fid_min_cosine(got, want, n, dim, &worst) : 0;
    if (!ok(rc == CLEMBED_OK && min >= min_cos, "%s: %s: reference token ids: %zu vectors, "
            "smallest cosine %.9f", devname, name, n, min))
        diag("  %s; worst is text %zu", rc ? clembed_errmsg() : "below the bound", worst);
out:
    clembed_context_free(ctx);
    free(want);
    fid_free_ids(ids, n_case);
    free(texts);
    free(got);
    free(seqs);
    free(info);
}

static inline void fid_run_case(const cJSON *c, clembed_model *model, char **all_texts, size_t n_all,
                                size_t device, const char *devname, int ids_always)
{
    fid_run_case_every(c, model, all_texts, n_all, device, devname, ids_always, 1);
}

#endif
