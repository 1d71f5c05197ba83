/* CLBlast's GEMM, tuned for the model's shapes: complete Xgemm and XgemmDirect parameter sets and
 * the direct/indirect threshold, searched here through CLBlastOverrideParameters and timed
 * CLBlastSgemm calls.  CLBlast's own tuners time one kernel at 1024^3 with no budget; this search
 * times what the encoder calls (row-major activations times transposed [out, in] weights), checks
 * every result against a host reference, and stops at the deadline.
 *
 * CLBlast builds one program for GEMM holding all its kernels, with every parameter of every one of
 * them (the threshold included) as a define: any change is a new build, tens of seconds on a CPU
 * through PoCL.  So each candidate is a complete setting (Xgemm set, XgemmDirect set, threshold),
 * the first candidates are those that suit the device type, and the setting kept is one that was
 * measured exactly as it is applied later, so the driver's own binary cache already holds it. */
#define _POSIX_C_SOURCE 200809L
#include "model/model.h"
#include "tune/tune.h"
#include "core/util.h"

#include <clblast_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CLBlast 1.5's parameter names, in its database's order. */
static const char *const xg_names[] = {"GEMMK", "KREG", "KWG", "KWI", "MDIMA", "MDIMC", "MWG", "NDIMB",
                                       "NDIMC", "NWG", "SA", "SB", "STRM", "STRN", "VWM", "VWN"};
enum { GEMMK, KREG, KWG, KWI, MDIMA, MDIMC, MWG, NDIMB, NDIMC, NWG, SA, SB, STRM, STRN, VWM, VWN, NXG };
static const char *const xd_names[] = {"KWID", "MDIMAD", "MDIMCD", "NDIMBD", "NDIMCD",
                                       "PADA", "PADB", "VWMD", "VWND", "WGD"};
enum { KWID, MDIMAD, MDIMCD, NDIMBD, NDIMCD, PADA, PADB, VWMD, VWND, WGD, NXD };
static const char *const routine_names[] = {"XGEMM_MIN_INDIRECT_SIZE"};

#define ALWAYS_INDIRECT 1
#define ALWAYS_DIRECT 65536

/* Starting sets, most promising first.  CPUs (PoCL, llvmpipe) like small
 * work-groups, wide vectors and no local memory; the GPU sets are CLBlast's
 * own defaults for common GPUs. */
static const size_t xg_cpu[][NXG] = {
    {0, 1, 32, 2, 4, 4, 64, 4, 4, 64, 0, 0, 0, 0, 8, 8},
    {0, 1, 32, 2, 8, 8, 64, 8, 8, 64, 0, 0, 0, 0, 8, 8},
    {0, 1, 32, 2, 16, 16, 64, 8, 8, 64, 0, 0, 0, 0, 4, 4},  /* CLBlast's Intel CPU default */
    {0, 1, 16, 2, 8, 8, 128, 8, 8, 128, 1, 1, 1, 0, 1, 8},
    {0, 1, 16, 2, 2, 2, 64, 2, 2, 64, 0, 0, 0, 0, 8, 8},
};
static const size_t xg_gpu[][NXG] = {
    {0, 1, 32, 2, 16, 16, 64, 8, 8, 64, 1, 1, 0, 0, 4, 4},
    {0, 1, 32, 2, 8, 8, 32, 16, 16, 32, 1, 1, 0, 0, 4, 2},  /* CLBlast's generic default */
    {0, 1, 32, 2, 16, 16, 64, 16, 16, 64, 1, 1, 0, 0, 2, 4},
    {0, 1, 16, 2, 16, 32, 128, 32, 8, 64, 1, 1, 1, 1, 4, 2},
};
static const size_t xd_cpu[][NXD] = {
    {2, 4, 4, 4, 4, 1, 1, 8, 8, 32},
    {2, 8, 8, 8, 8, 1, 1, 4, 4, 32},
    {2, 4, 4, 4, 4, 1, 1, 4, 4, 16},
};
static const size_t xd_gpu[][NXD] = {
    {2, 8, 8, 8, 8, 1, 1, 1, 1, 16},                         /* CLBlast's generic default */
    {2, 16, 16, 16, 16, 1, 1, 2, 2, 32},
    {8, 16, 16, 16, 16, 1, 1, 2, 2, 32},
};

typedef struct gshape {
    uint32_t m, n, k;
    double weight;      /* calls per layer */
    cl_mem a, b, c;
    float *ha, *hb;
} gshape;

#define MAX_GSHAPES 8

/* A complete CLBlast GEMM setting. */
typedef struct gconf {
    size_t xg[NXG], xd[NXD], thr;
} gconf;

typedef struct gsearch {
    clembed__tuner *t;
    gshape shapes[MAX_GSHAPES];
    size_t ns;
    double build_s;                     /* the costliest build seen: what one more may take */
    double score_default;
    double t_default[MAX_GSHAPES];      /* CLBlast's own setting */
    gconf best;
    double best_score, best_t[MAX_GSHAPES];
    int have_best;
    /* The best measured of each path, for the neighbours and the threshold. */
    gconf best_direct, best_indirect;
    double score_direct, score_indirect, t_direct[MAX_GSHAPES], t_indirect[MAX_GSHAPES];
    gconf tried[64];
    size_t n_tried;
    unsigned candidates, rejected;
    char **rejected_log;
    size_t n_rejected_log;
} gsearch;

static int multiple(size_t a, size_t b)
{
    return b != 0 && a % b == 0;
}

static int xg_valid(const size_t *v, const clembed__device *dev)
{
    if (v[GEMMK] != 0 || v[MDIMA] == 0 || v[NDIMB] == 0)
        return 0;
    size_t lmem = 4 * (v[SA] ? v[KWG] * v[MWG] : 0) + 4 * (v[SB] ? v[KWG] * v[NWG] : 0);
    return multiple(v[KWG], v[KWI]) && multiple(v[MWG], v[MDIMC] * v[VWM]) &&
           multiple(v[NWG], v[NDIMC] * v[VWN]) && multiple(v[MWG], v[MDIMA] * v[VWM]) &&
           multiple(v[NWG], v[NDIMB] * v[VWN]) && multiple(v[KWG], v[MDIMC] * v[NDIMC] / v[MDIMA]) &&
           multiple(v[KWG], v[MDIMC] * v[NDIMC] / v[NDIMB]) &&
           v[MDIMC] * v[NDIMC] <= dev->info.max_work_group_size && lmem <= dev->info.local_mem_bytes;
}

static int xd_valid(const size_t *v, const clembed__device *dev)
{
    if (v[MDIMAD] == 0 || v[NDIMBD] == 0)
        return 0;
    size_t lmem = 4 * (v[WGD] * (v[WGD] + v[PADA]) + v[WGD] * (v[WGD] + v[PADB]));
    return multiple(v[WGD], v[KWID]) && multiple(v[WGD], v[MDIMCD] * v[VWMD]) &&
           multiple(v[WGD], v[NDIMCD] * v[VWND]) && multiple(v[WGD], v[MDIMAD] * v[VWMD]) &&
           multiple(v[WGD], v[NDIMBD] * v[VWND]) &&
           multiple(v[WGD], v[MDIMCD] * v[NDIMCD] / v[MDIMAD]) &&
           multiple(v[WGD], v[MDIMCD] * v[NDIMCD] / v[NDIMBD]) &&
           v[MDIMCD] * v[NDIMCD] <= dev->info.max_work_group_size && lmem <= dev->info.local_mem_bytes;
}

static void set_string(const char *const *names, const size_t *v, size_t n, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s=%zu", i ? " " : "", names[i], v[i]);
}

static int override(const clembed__device *dev, const char *kernel, const char *const *names, size_t n,
                    const size_t *v)
{
    return CLBlastOverrideParameters(dev->id, kernel, CLBlastPrecisionSingle, n, (const char **)names, v) ==
           CLBlastSuccess;
}

static int apply(const clembed__device *dev, const gconf *c)
{
    return override(dev, "Xgemm", xg_names, NXG, c->xg) && override(dev, "XgemmDirect", xd_names, NXD, c->xd) &&
           override(dev, "GemmRoutine", routine_names, 1, &c->thr);
}

static void conf_string(const gconf *c, char *buf, size_t cap)
{
    char a[256], b[256];
    set_string(xg_names, c->xg, NXG, a, sizeof a);
    set_string(xd_names, c->xd, NXD, b, sizeof b);
    if (c->thr <= ALWAYS_INDIRECT)
        snprintf(buf, cap, "indirect %s", a);
    else if (c->thr >= ALWAYS_DIRECT)
        snprintf(buf, cap, "direct %s", b);
    else
        snprintf(buf, cap, "direct below %zu^3: %s; indirect: %s", c->thr, b, a);
}

/* C = A * B^T, row major: A is m x k, B (weights, [out, in]) is n x k. */
static CLBlastStatusCode run_gemm(clembed__tuner *t, const gshape *s)
{
    return CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes, s->m, s->n, s->k,
                        1.0f, s->a, 0, s->k, s->b, 0, s->k, 0.0f, s->c, 0, s->n, &t->q, NULL);
}

/* Checks 8 rows of C against a double-precision product. */
static int check(clembed__tuner *t, const gshape *s, double *worst)
{
    float *row = malloc((size_t)s->n * sizeof *row);
    int good = row != NULL;
    *worst = 0;
    for (uint32_t r = 0; r < 8 && good; r++) {
        size_t i = ((size_t)r * 2654435761u) % s->m;
        if (clEnqueueReadBuffer(t->q, s->c, CL_TRUE, i * s->n * sizeof(float), s->n * sizeof(float), row, 0,
                                NULL, NULL) != CL_SUCCESS) {
            good = 0;
            break;
        }
        for (uint32_t j = 0; j < s->n; j++) {
            double ref = 0, mag = 0;
            for (uint32_t l = 0; l < s->k; l++) {
                double p = (double)s->ha[i * s->k + l] * s->hb[(size_t)j * s->k + l];
                ref += p;
                mag += fabs(p);
            }
            double e = fabs(row[j] - ref) / (1e-5 * mag + 1e-6);
            if (!(e <= *worst))
                *worst = e;
        }
    }
    free(row);
    return good && *worst <= 1.0;
}

static void reject(gsearch *g, const char *what, const char *why)
{
    g->rejected++;
    char *line = clembed__asprintf("%s: %s", what, why);
    if (line && g->n_rejected_log < 16) {
        char **grown = realloc(g->rejected_log, (g->n_rejected_log + 1) * sizeof *grown);
        if (grown) {
            g->rejected_log = grown;
            g->rejected_log[g->n_rejected_log++] = line;
            line = NULL;
        }
    }
    free(line);
    clembed_tune_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = CLEMBED_TUNE_REJECTED;
    ev.op = "gemm";
    ev.kernel = "clblast_sgemm";
    ev.params = what;
    ev.message = why;
    clembed__tuner_emit(g->t, &ev);
}

/* Times the current setting on every shape into times[]: the first call
 * builds and is checked, then the median of a few timed calls.  Returns the
 * weighted sum, or a negative number when a call fails or is wrong. */
static double measure_from(gsearch *g, const char *what, double *times_out, size_t from)
{
    double score = 0;
    for (size_t i = from; i < g->ns; i++) {
        gshape *s = &g->shapes[i];
        double t0 = clembed__now();
        CLBlastStatusCode st = run_gemm(g->t, s);
        if (st == CLBlastSuccess && clFinish(g->t->q) != CL_SUCCESS)
            st = CLBlastUnknownError;
        double first = clembed__now() - t0;
        if (st != CLBlastSuccess) {
            char why[64];
            snprintf(why, sizeof why, "CLBlast status %d", (int)st);
            reject(g, what, why);
            return -1;
        }
        double worst;
        if (!check(g->t, s, &worst)) {
            char why[128];
            snprintf(why, sizeof why, "m=%u n=%u k=%u: result does not match the reference (error %.3g x tolerance)",
                     s->m, s->n, s->k, worst);
            reject(g, what, why);
            return -1;
        }
        double times[7];
        unsigned reps = 0;
        while (reps < 7) {
            double a = clembed__now();
            if (run_gemm(g->t, s) != CLBlastSuccess || clFinish(g->t->q) != CL_SUCCESS) {
                reject(g, what, "a timed call failed");
                return -1;
            }
            times[reps++] = clembed__now() - a;
            /* 3 for a median, up to 7 for fast shapes; a call of half a
             * second or more is its own measure. */
            if ((reps >= 3 && times[0] * reps > 0.3) || times[0] > 0.5)
                break;
        }
        double med = clembed__median(times, reps);
        if (first - med > g->build_s)
            g->build_s = first - med;
        times_out[i] = med;
        score += s->weight * med;
    }
    if (from == 0)
        g->candidates++;
    return score;
}

static double measure(gsearch *g, const char *what, double *times_out)
{
    return measure_from(g, what, times_out, 0);
}

static void emit_candidate(gsearch *g, const char *what, double score)
{
    clembed_tune_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = CLEMBED_TUNE_CANDIDATE;
    ev.op = "gemm";
    ev.kernel = "clblast_sgemm";
    ev.shape = "all shapes, weighted";
    ev.params = what;
    ev.seconds = score;
    ev.best_s = g->have_best && g->best_score < score ? g->best_score : score;
    clembed__tuner_emit(g->t, &ev);
}

/* Enough time left for one more build and its timings?  A build is
 * predicted from the costliest seen, and from the probe's compile time: a
 * CLBlast GEMM program builds about a hundred times slower than the probe's
 * small one.  A tenth of the budget may be overrun. */
static int time_for_one(const gsearch *g, double deadline)
{
    double build = g->build_s;
    clembed_probe_result pr;
    if (clembed_profile_probe(g->t->prof, &pr) == CLEMBED_OK && 100 * pr.compile_s > build)
        build = 100 * pr.compile_s;
    clembed__errmsg_clear();
    double per = build + 4 * (g->have_best ? g->best_score : g->score_default > 0 ? g->score_default : 0);
    return !g->t->stopped && clembed__now() + per < deadline + 0.1 * g->t->params->budget_s;
}

static void try_conf(gsearch *g, const gconf *c)
{
    const clembed__device *dev = g->t->dev;
    if (!xg_valid(c->xg, dev) || !xd_valid(c->xd, dev) || g->n_tried >= CLEMBED_ARRAY_LEN(g->tried))
        return;
    for (size_t i = 0; i < g->n_tried; i++)
        if (memcmp(&g->tried[i], c, sizeof *c) == 0)
            return;
    g->tried[g->n_tried++] = *c;
    char what[700];
    conf_string(c, what, sizeof what);
    if (!apply(dev, c)) {
        reject(g, what, "CLBlast refused the parameters");
        return;
    }
    double times[MAX_GSHAPES];
    double score = measure(g, what, times);
    if (score <= 0)
        return;
    emit_candidate(g, what, score);
    if (!g->have_best || score < g->best_score) {
        g->best = *c;
        g->best_score = score;
        memcpy(g->best_t, times, sizeof times);
        g->have_best = 1;
    }
    if (c->thr >= ALWAYS_DIRECT && (g->score_direct <= 0 || score < g->score_direct)) {
        g->best_direct = *c;
        g->score_direct = score;
        memcpy(g->t_direct, times, sizeof times);
    }
    if (c->thr <= ALWAYS_INDIRECT && (g->score_indirect <= 0 || score < g->score_indirect)) {
        g->best_indirect = *c;
        g->score_indirect = score;
        memcpy(g->t_indirect, times, sizeof times);
    }
}

/* Neighbours of the best sets: tiles, vector widths and work-group shape
 * halved and doubled, keeping CLBlast's constraints. */
static int neighbour_xg(const size_t *best, unsigned i, size_t *v)
{
    static const struct {
        int idx[3];
        int up;
    } moves[] = {
        {{MWG, NWG, -1}, 1}, {{MWG, NWG, -1}, 0}, {{VWM, VWN, -1}, 1}, {{VWM, VWN, -1}, 0},
        {{MDIMC, MDIMA, -1}, 0}, {{NDIMC, NDIMB, -1}, 0}, {{MDIMC, MDIMA, -1}, 1}, {{NDIMC, NDIMB, -1}, 1},
        {{KWG, -1, -1}, 1}, {{KWG, -1, -1}, 0}, {{MWG, -1, -1}, 1}, {{NWG, -1, -1}, 1},
        {{SA, SB, -1}, 2}, {{STRM, STRN, -1}, 2}, {{KWI, -1, -1}, 1},
    };
    if (i >= CLEMBED_ARRAY_LEN(moves))
        return -1;
    memcpy(v, best, NXG * sizeof *v);
    for (int j = 0; j < 3 && moves[i].idx[j] >= 0; j++) {
        size_t *x = &v[moves[i].idx[j]];
        *x = moves[i].up == 2 ? !*x : moves[i].up ? *x * 2 : *x / 2;
    }
    return 1;
}

static int neighbour_xd(const size_t *best, unsigned i, size_t *v)
{
    static const struct {
        int idx[2];
        int up;
    } moves[] = {
        {{WGD, -1}, 1}, {{WGD, -1}, 0}, {{VWMD, VWND}, 1}, {{VWMD, VWND}, 0}, {{MDIMCD, MDIMAD}, 0},
        {{NDIMCD, NDIMBD}, 0}, {{MDIMCD, MDIMAD}, 1}, {{NDIMCD, NDIMBD}, 1}, {{KWID, -1}, 1},
        {{PADA, PADB}, 2},
    };
    if (i >= CLEMBED_ARRAY_LEN(moves))
        return -1;
    memcpy(v, best, NXD * sizeof *v);
    for (int j = 0; j < 2 && moves[i].idx[j] >= 0; j++) {
        size_t *x = &v[moves[i].idx[j]];
        *x = moves[i].up == 2 ? !*x : moves[i].up ? *x * 2 : *x / 2;
    }
    return 1;
}

static void free_shapes(gsearch *g)
{
    for (size_t i = 0; i < MAX_GSHAPES; i++) {
        gshape *s = &g->shapes[i];
        if (s->a) clReleaseMemObject(s->a);
        if (s->b) clReleaseMemObject(s->b);
        if (s->c) clReleaseMemObject(s->c);
        free(s->ha);
        free(s->hb);
    }
}

static uint64_t rng_next(uint64_t *st)
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static clembed_status make_shapes(gsearch *g, uint32_t hidden, uint32_t inter)
{
    /* Per layer: Q, K, V and the output projection (hidden x hidden), the
     * feed-forward up and down; at a small batch and a large one. */
    static const uint32_t tokens[] = {128, 1024};
    uint64_t st = g->t->params->seed ? g->t->params->seed : 0x67656d6dull;
    for (size_t ti = 0; ti < 2; ti++) {
        const uint32_t dims[3][3] = {{hidden, hidden, 4}, {inter, hidden, 1}, {hidden, inter, 1}};
        for (size_t j = 0; j < 3; j++) {
            gshape *s = &g->shapes[g->ns++];
            s->m = tokens[ti];
            s->n = dims[j][0];
            s->k = dims[j][1];
            s->weight = dims[j][2];
            size_t na = (size_t)s->m * s->k, nb = (size_t)s->n * s->k, nc = (size_t)s->m * s->n;
            s->ha = malloc(na * sizeof(float));
            s->hb = malloc(nb * sizeof(float));
            if (!s->ha || !s->hb)
                return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
            for (size_t i = 0; i < na; i++)
                s->ha[i] = (float)((double)(rng_next(&st) >> 11) * 0x1p-53 * 2 - 1);
            for (size_t i = 0; i < nb; i++)
                s->hb[i] = (float)((double)(rng_next(&st) >> 11) * 0x1p-53 * 2 - 1);
            cl_int err;
            s->a = clCreateBuffer(g->t->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, na * sizeof(float), s->ha, &err);
            if (s->a)
                s->b = clCreateBuffer(g->t->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, nb * sizeof(float), s->hb,
                                      &err);
            if (s->b)
                s->c = clCreateBuffer(g->t->ctx, CL_MEM_READ_WRITE, nc * sizeof(float), NULL, &err);
            if (!s->c)
                return clembed__cl_fail(err, "GEMM tuning: allocating m=%u n=%u k=%u", s->m, s->n, s->k);
        }
    }
    return CLEMBED_OK;
}

/* The cut between the measured shapes (in cube-root of m*n*k) below which
 * the direct kernel is faster, when the shapes disagree; 0 when one path
 * wins everywhere or a path was not measured. */
static size_t mixed_threshold(const gsearch *g)
{
    if (g->score_direct <= 0 || g->score_indirect <= 0)
        return 0;
    size_t best_thr = 0;
    double best = g->score_direct < g->score_indirect ? g->score_direct : g->score_indirect;
    for (size_t c = 0; c < g->ns; c++) {
        const gshape *cs = &g->shapes[c];
        size_t thr = (size_t)ceil(cbrt((double)cs->m * cs->n * cs->k)) + 1;
        double sum = 0;
        for (size_t i = 0; i < g->ns; i++) {
            const gshape *s = &g->shapes[i];
            double v = (double)s->m * s->n * s->k;
            sum += s->weight * (v < (double)thr * thr * thr ? g->t_direct[i] : g->t_indirect[i]);
        }
        /* Worth a build only when clearly better than either path alone. */
        if (sum < 0.95 * best) {
            best = sum;
            best_thr = thr;
        }
    }
    return best_thr;
}

/* Tokens per batch past which the feed-forward GEMM gets no faster per token. */
static uint32_t batch_tokens(gsearch *g, uint32_t hidden, uint32_t inter, double deadline)
{
    static const uint32_t tokens[] = {256, 512, 1024, 2048, 4096, 8192};
    double per[6];
    size_t n = 0;
    uint32_t best_tokens = 0;
    for (; n < 6 && clembed__now() < deadline; n++) {
        gshape s;
        memset(&s, 0, sizeof s);
        s.m = tokens[n];
        s.n = inter;
        s.k = hidden;
        size_t bytes = ((size_t)s.m * s.k + (size_t)s.n * s.k + (size_t)s.m * s.n) * sizeof(float);
        if (bytes * 4 > g->t->dev->info.global_mem_bytes || (size_t)s.m * s.n * 4 > g->t->dev->info.max_alloc_bytes)
            break;
        cl_int err;
        s.a = clCreateBuffer(g->t->ctx, CL_MEM_READ_WRITE, (size_t)s.m * s.k * 4, NULL, &err);
        s.b = clCreateBuffer(g->t->ctx, CL_MEM_READ_WRITE, (size_t)s.n * s.k * 4, NULL, &err);
        s.c = clCreateBuffer(g->t->ctx, CL_MEM_READ_WRITE, (size_t)s.m * s.n * 4, NULL, &err);
        double times[3];
        int good = s.a && s.b && s.c;
        float zero = 0;
        if (good)
            good = clEnqueueFillBuffer(g->t->q, s.a, &zero, 4, 0, (size_t)s.m * s.k * 4, 0, NULL, NULL) == CL_SUCCESS &&
                   clEnqueueFillBuffer(g->t->q, s.b, &zero, 4, 0, (size_t)s.n * s.k * 4, 0, NULL, NULL) == CL_SUCCESS;
        for (int r = 0; r < 4 && good; r++) {
            double a = clembed__now();
            good = run_gemm(g->t, &s) == CLBlastSuccess && clFinish(g->t->q) == CL_SUCCESS;
            if (r > 0)
                times[r - 1] = clembed__now() - a;
        }
        if (s.a) clReleaseMemObject(s.a);
        if (s.b) clReleaseMemObject(s.b);
        if (s.c) clReleaseMemObject(s.c);
        if (!good)
            break;
        per[n] = clembed__median(times, 3) / s.m;
    }
    double least = 0;
    for (size_t i = 0; i < n; i++)
        if (least <= 0 || per[i] < least)
            least = per[i];
    for (size_t i = 0; i < n; i++)
        if (per[i] <= 1.1 * least) {
            best_tokens = tokens[i];
            break;
        }
    return best_tokens;
}

clembed_status clembed__tune_gemm(clembed__tuner *t, double deadline)
{
    const clembed__device *dev = t->dev;
    uint32_t hidden = 384, inter = 1536;   /* all-MiniLM-L6-v2 when no model is given */
    if (t->params->model && t->params->model->cfg.hidden_size > 0 && t->params->model->cfg.intermediate_size > 0) {
        hidden = (uint32_t)t->params->model->cfg.hidden_size;
        inter = (uint32_t)t->params->model->cfg.intermediate_size;
    }
    gsearch *g = calloc(1, sizeof *g);
    if (!g)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    g->t = t;
    clembed_status rc = make_shapes(g, hidden, inter);
    if (rc != CLEMBED_OK)
        goto done;

    /* CLBlast's own setting first, before any override changes it for the
     * rest of the process: at the small batch, then at the large one when a
     * candidate's timings there would take under a tenth of the time
     * (llvmpipe takes seconds for one large GEMM). */
    size_t n_all = g->ns;
    g->ns = n_all / 2;
    double score_default = measure(g, "CLBlast defaults", g->t_default);
    if (score_default > 0 && 8 * 4 * score_default < 0.1 * (deadline - clembed__now())) {
        g->ns = n_all;
        double more = measure_from(g, "CLBlast defaults", g->t_default, n_all / 2);
        score_default = more > 0 ? score_default + more : -1;
    } else if (score_default > 0) {
        clembed__tuner_note(t, "GEMM timed at %u tokens only: larger batches take too long on this device",
                            g->shapes[0].m);
    }
    g->score_default = score_default;
    if (score_default < 0)
        clembed__tuner_note(t, "CLBlast's default GEMM fails on this device; searching for settings that work");
    else
        emit_candidate(g, "CLBlast defaults", score_default);

    /* PoCL and other CPU runtimes run a work-group as a loop; Mesa's
     * llvmpipe runs work-items in SIMD lanes, like a GPU. */
    int cpu = (clembed__device_cpu_kind(dev) & CLEMBED__CPU_LOOP) != 0;
    const size_t(*xg)[NXG] = cpu ? xg_cpu : xg_gpu;
    const size_t(*xd)[NXD] = cpu ? xd_cpu : xd_gpu;
    size_t nxg = cpu ? CLEMBED_ARRAY_LEN(xg_cpu) : CLEMBED_ARRAY_LEN(xg_gpu);
    size_t nxd = cpu ? CLEMBED_ARRAY_LEN(xd_cpu) : CLEMBED_ARRAY_LEN(xd_gpu);

    /* An earlier profile's complete setting goes first. */
    const clembed__profile *from[2] = {t->params->resume, t->params->start};
    for (int f = 0; f < 2 && time_for_one(g, deadline); f++) {
        gconf c;
        int have = 0;
        memset(&c, 0, sizeof c);
        for (size_t i = 0; i < clembed__profile_clblast_count(from[f]); i++) {
            const char *kernel;
            int prec;
            size_t n;
            const char *const *names;
            const size_t *values;
            clembed__profile_clblast_get(from[f], i, &kernel, &prec, &n, &names, &values);
            if (prec != 32)
                continue;
            int match = 1;
            if (strcmp(kernel, "Xgemm") == 0 && n == NXG) {
                for (size_t j = 0; j < NXG; j++)
                    match &= strcmp(names[j], xg_names[j]) == 0;
                if (match) {
                    memcpy(c.xg, values, sizeof c.xg);
                    have |= 1;
                }
            } else if (strcmp(kernel, "XgemmDirect") == 0 && n == NXD) {
                for (size_t j = 0; j < NXD; j++)
                    match &= strcmp(names[j], xd_names[j]) == 0;
                if (match) {
                    memcpy(c.xd, values, sizeof c.xd);
                    have |= 2;
                }
            } else if (strcmp(kernel, "GemmRoutine") == 0 && n == 1 && strcmp(names[0], routine_names[0]) == 0) {
                c.thr = values[0];
                have |= 4;
            }
        }
        if (have == 7)
            try_conf(g, &c);
    }
    /* The listed sets, the direct path and the indirect one in turn: on a
     * CPU the first of them is usually far ahead of CLBlast's defaults, and
     * a build may take a minute. */
    for (size_t i = 0; (i < nxd || i < nxg) && time_for_one(g, deadline); i++) {
        gconf c;
        if (i < nxd) {
            memcpy(c.xg, g->score_indirect > 0 ? g->best_indirect.xg : xg[0], sizeof c.xg);
            memcpy(c.xd, xd[i], sizeof c.xd);
            c.thr = ALWAYS_DIRECT;
            try_conf(g, &c);
        }
        if (i < nxg && time_for_one(g, deadline)) {
            memcpy(c.xg, xg[i], sizeof c.xg);
            memcpy(c.xd, g->score_direct > 0 ? g->best_direct.xd : xd[0], sizeof c.xd);
            c.thr = ALWAYS_INDIRECT;
            try_conf(g, &c);
        }
        /* Both paths measured: their best combined, where the shapes disagree. */
        size_t thr = mixed_threshold(g);
        if (thr && time_for_one(g, deadline)) {
            memcpy(c.xg, g->best_indirect.xg, sizeof c.xg);
            memcpy(c.xd, g->best_direct.xd, sizeof c.xd);
            c.thr = thr;
            try_conf(g, &c);
        }
    }
    /* Then the neighbours of the best, while the time lasts. */
    for (unsigned round = 0; round < 3 && g->have_best && time_for_one(g, deadline); round++) {
        gconf before = g->best;
        int direct = before.thr >= ALWAYS_DIRECT;
        for (unsigned i = 0; time_for_one(g, deadline); i++) {
            gconf c = before;
            int r = direct ? neighbour_xd(before.xd, i, c.xd) : neighbour_xg(before.xg, i, c.xg);
            if (r < 0)
                break;
            try_conf(g, &c);
        }
        if (memcmp(&before, &g->best, sizeof before) == 0)
            break;
    }

    int use = g->have_best && (score_default <= 0 || g->best_score < 0.99 * score_default);
    if (use) {
        apply(dev, &g->best);
        if ((rc = clembed__profile_set_clblast(t->prof, "Xgemm", 32, NXG, xg_names, g->best.xg)) != CLEMBED_OK ||
            (rc = clembed__profile_set_clblast(t->prof, "XgemmDirect", 32, NXD, xd_names, g->best.xd)) != CLEMBED_OK ||
            (rc = clembed__profile_set_clblast(t->prof, "GemmRoutine", 32, 1, routine_names, &g->best.thr)) !=
                CLEMBED_OK)
            goto done;
    } else {
        clembed__tuner_note(t, "CLBlast's own GEMM parameters stay: %s",
                            g->candidates <= 1 ? "the budget allowed no candidates (a larger --budget tries some)"
                                               : "no tried setting beat them");
    }
    clembed_probe_result pr;
    int have_pr = clembed_profile_probe(t->prof, &pr) == CLEMBED_OK;
    clembed__errmsg_clear();
    for (size_t i = 0; i < g->ns; i++) {
        gshape *s = &g->shapes[i];
        clembed__profile_entry e;
        memset(&e, 0, sizeof e);
        e.op = "gemm";
        e.kernel = "clblast_sgemm";
        e.is_gemm = 1;
        e.shape.tokens = s->m;
        e.shape.inter = s->n;
        e.shape.hidden = s->k;
        double v = (double)s->m * s->n * s->k;
        int direct = use && v < (double)g->best.thr * g->best.thr * g->best.thr;
        e.n_params = use ? 1 : 0;
        e.pnames[0] = "direct";
        e.pvalues[0] = direct;
        e.default_s = g->t_default[i];
        e.tuned_s = use ? g->best_t[i] : g->t_default[i];
        e.flops = 2.0 * v;
        e.bytes = 4.0 * ((double)s->m * s->k + (double)s->n * s->k + (double)s->m * s->n);
        e.roofline_s = have_pr ? clembed__roofline(&pr, e.bytes, e.flops) : 0;
        e.candidates = g->candidates;
        e.n_rejected_total = g->rejected;
        e.rejected = g->rejected_log;
        e.n_rejected = g->n_rejected_log;
        if (e.tuned_s <= 0)
            continue;
        rc = clembed__profile_put(t->prof, &e);
        if (rc != CLEMBED_OK)
            goto done;
        char shape[64];
        snprintf(shape, sizeof shape, "m=%u n=%u k=%u", s->m, s->n, s->k);
        clembed_tune_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = CLEMBED_TUNE_RESULT;
        ev.op = "gemm";
        ev.kernel = "clblast_sgemm";
        ev.shape = shape;
        ev.params = !use ? "CLBlast defaults" : direct ? "direct" : "indirect";
        ev.seconds = e.tuned_s;
        ev.best_s = e.tuned_s;
        ev.default_s = e.default_s;
        clembed__tuner_emit(t, &ev);
    }
    /* The batch budget needs a few seconds at most, with no new build. */
    uint32_t bt = batch_tokens(g, hidden, inter, deadline + 5);
    if (bt)
        clembed__profile_set_batch_tokens(t->prof, bt);
done:
    free_shapes(g);
    for (size_t i = 0; i < g->n_rejected_log; i++)
        free(g->rejected_log[i]);
    free(g->rejected_log);
    free(g);
    return rc;
}
