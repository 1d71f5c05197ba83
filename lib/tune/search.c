/* The op search: every registry kernel's parameters at the shapes that matter, each candidate
 * checked against the host reference before it is timed, within the budget. */
#define _POSIX_C_SOURCE 200809L
#include "runtime/launch.h"
#include "tune/tune.h"
#include "core/util.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SEED 0x636c656d626564ull
#define MAX_SHAPES 32
#define MAX_TRIED 512
#define MAX_REPS CLEMBED__MAX_SAMPLES

#define TOP_K 4

typedef struct search {
    clembed__tuner *t;
    const clembed__tune_backend *be;
    const clembed__kernel_def *k;
    clembed__op_bench *b;
    size_t np;
    char shape[256];
    unsigned reps;
    double end;                   /* no new candidate after this (monotonic) */
    int tried[MAX_TRIED][CLEMBED_MAX_PARAMS];
    double tried_t[MAX_TRIED];
    size_t n_tried;
    clembed__profile_entry e;     /* counts and the rejected list grow here */
    double best_t, default_t;
    unsigned best_outliers;
    double best_err;
} search;

/* One kernel at one shape. */
typedef struct task {
    const clembed__kernel_def *k;
    clembed__shape shape;
    int done;                          /* has its entry, or cannot have one */
    int failed;                        /* could not be set up or nothing passed */
    int best[CLEMBED_MAX_PARAMS];
} task;

/* A kernel's shapes, and the best sets found at its first one: the first
 * candidates at its other shapes, whose builds are then already cached. */
typedef struct group {
    const clembed__kernel_def *k;
    task *tasks;
    size_t n;
    int top[TOP_K][CLEMBED_MAX_PARAMS];
    size_t n_top;
} group;

static void values_string(const clembed__kernel_def *k, const int *v, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < clembed__kernel_n_params(k) && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s=%d", i ? " " : "", k->params[i].name, v[i]);
}

static void add_rejected(search *s, const char *line)
{
    s->e.n_rejected_total++;
    if (s->e.n_rejected >= 16)
        return;
    char **grown = realloc(s->e.rejected, (s->e.n_rejected + 1) * sizeof *grown);
    if (!grown)
        return;
    s->e.rejected = grown;
    s->e.rejected[s->e.n_rejected] = clembed__strdup(line);
    if (s->e.rejected[s->e.n_rejected])
        s->e.n_rejected++;
}

/* Index of v among the tried sets, or -1. */
static int tried_index(const search *s, const int *v)
{
    for (size_t i = 0; i < s->n_tried; i++)
        if (memcmp(s->tried[i], v, s->np * sizeof *v) == 0)
            return (int)i;
    return -1;
}

/* Wall-clock timing for drivers whose event timestamps are not real: the
 * harness times through events, so each sample is the wall time of a call
 * with `reps` runs less that of a call with none (the same build, check and
 * read-back), per run. */
static clembed_status wall_samples(search *s, const int *v, unsigned reps, double *times, unsigned *n,
                                   double *max_err)
{
    double dummy[MAX_REPS];
    unsigned k = 0;
    for (; k < 5; k++) {
        double a = clembed__now();
        clembed_status rc = s->be->bench_run(s->b, v, 0, dummy, max_err);
        double b = clembed__now();
        if (rc == CLEMBED_OK)
            rc = s->be->bench_run(s->b, v, reps, dummy, max_err);
        double c = clembed__now();
        if (rc != CLEMBED_OK)
            return rc;
        double per = ((c - b) - (b - a)) / reps;
        times[k] = per > 1e-9 ? per : 1e-9;
    }
    *n = k;
    return CLEMBED_OK;
}

/* Measures one parameter set: its median time, or a negative number when it
 * is invalid (-1), fails (-2) or does not match the reference (-3). */
static double measure(search *s, const int *v, unsigned reps, unsigned *outliers, double *err)
{
    double times[MAX_REPS], max_err = 0;
    char params[160];
    values_string(s->k, v, params, sizeof params);
    if (reps > MAX_REPS)
        reps = MAX_REPS;
    clembed_status rc;
    if (s->t->wall_timing) {
        rc = wall_samples(s, v, reps, times, &reps, &max_err);
    } else {
        rc = s->be->bench_run(s->b, v, reps, times, &max_err);
        /* Under 10 ns is no kernel's time: the timestamps are made up. */
        if (rc == CLEMBED_OK && clembed__median(times, reps) < 1e-8) {
            clembed__tuner_note(s->t, "the driver's event timestamps are not real; timing with the wall clock");
            s->t->wall_timing = 1;
            rc = wall_samples(s, v, reps, times, &reps, &max_err);
        }
    }
    if (rc == CLEMBED_ERR_INVALID_ARG) {
        clembed__errmsg_clear();
        return -1;
    }
    if (rc != CLEMBED_OK) {
        char why[700], line[1200];
        const char *m = clembed_errmsg();
        if (rc == CLEMBED_ERR_MISMATCH)
            snprintf(why, sizeof why, "output does not match the reference (error %.3g x tolerance; %.400s)",
                     max_err, m);
        else
            snprintf(why, sizeof why, "%s: %.*s", clembed_strerror(rc), (int)strcspn(m, "\n"), m);
        clembed__errmsg_clear();
        snprintf(line, sizeof line, "%s at %s: %s", params, s->shape, why);
        add_rejected(s, line);
        clembed_tune_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = CLEMBED_TUNE_REJECTED;
        ev.op = s->k->op;
        ev.kernel = s->k->kernel;
        ev.shape = s->shape;
        ev.params = params;
        ev.message = why;
        clembed__tuner_emit(s->t, &ev);
        return rc == CLEMBED_ERR_MISMATCH ? -3 : -2;
    }
    double med = clembed__median(times, reps);
    if (outliers)
        *outliers = clembed__outliers(times, reps, med);
    if (err)
        *err = max_err;
    return med;
}

/* Tries v once (memoized); returns its time or a negative number.  `force`
 * measures even past the end (the defaults: every entry has them). */
static double try_set(search *s, const int *v, int force)
{
    int i = tried_index(s, v);
    if (i >= 0)
        return s->tried_t[i];
    if (s->k->valid && !s->k->valid(v, s->t->dev->info.max_work_group_size))
        return -1;
    if (!force && (clembed__now() >= s->end || s->t->stopped))
        return -4;
    unsigned outl = 0;
    double err = 0;
    double t = measure(s, v, s->reps, &outl, &err);
    if (s->n_tried < MAX_TRIED) {
        memcpy(s->tried[s->n_tried], v, s->np * sizeof *v);
        s->tried_t[s->n_tried++] = t;
    }
    if (t > 0) {
        s->e.candidates++;
        char params[160];
        values_string(s->k, v, params, sizeof params);
        clembed_tune_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = CLEMBED_TUNE_CANDIDATE;
        ev.op = s->k->op;
        ev.kernel = s->k->kernel;
        ev.shape = s->shape;
        ev.params = params;
        ev.seconds = t;
        ev.best_s = s->best_t > 0 && s->best_t < t ? s->best_t : t;
        ev.default_s = s->default_t;
        ev.outliers = outl;
        clembed__tuner_emit(s->t, &ev);
    }
    return t;
}

/* Takes v as the best when it is at least 1% faster (noise is not progress). */
static int consider(search *s, int *best, const int *v)
{
    double t = try_set(s, v, 0);
    if (t > 0 && (s->best_t <= 0 || t < 0.99 * s->best_t)) {
        memcpy(best, v, CLEMBED_MAX_PARAMS * sizeof *v);
        s->best_t = t;
        return 1;
    }
    return 0;
}

typedef struct ranked {
    int value;
    double dist;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    return (x->dist > y->dist) - (x->dist < y->dist);
}

/* An earlier profile's choice for this kernel near this shape, as a full set
 * in the registry's order; 0 when there is none or it is not valid. */
static int earlier_values(search *s, const clembed__profile *from, const clembed__shape *shape, int *v)
{
    const clembed__profile_entry *e = clembed__profile_nearest(from, s->k->kernel, shape);
    if (!e)
        return 0;
    for (size_t i = 0; i < CLEMBED_MAX_PARAMS; i++)
        v[i] = i < s->np ? s->k->params[i].def : 0;
    for (size_t i = 0; i < e->n_params; i++)
        for (size_t j = 0; j < s->np; j++)
            if (strcmp(e->pnames[i], s->k->params[j].name) == 0)
                v[j] = e->pvalues[i];
    return !s->k->valid || s->k->valid(v, s->t->dev->info.max_work_group_size);
}

/* Coordinate descent: each parameter in turn over its choices, nearest
 * first, keeping what is faster; again until a pass changes nothing or the
 * time is up. */
static void descend(search *s, int *best)
{
    int improved = 1;
    while (improved && !s->t->stopped && clembed__now() < s->end) {
        improved = 0;
        for (size_t i = 0; i < s->np; i++) {
            ranked r[CLEMBED_MAX_CHOICES];
            size_t nr = 0;
            for (size_t c = 0; c < CLEMBED_MAX_CHOICES && s->k->params[i].choices[c]; c++) {
                int val = s->k->params[i].choices[c];
                if (val == best[i])
                    continue;
                r[nr].value = val;
                r[nr].dist = fabs(log2(fabs((double)val) + 1) - log2(fabs((double)best[i]) + 1));
                nr++;
            }
            qsort(r, nr, sizeof *r, cmp_ranked);
            for (size_t c = 0; c < nr; c++) {
                if (clembed__now() >= s->end || s->t->stopped)
                    return;
                int cand[CLEMBED_MAX_PARAMS];
                memcpy(cand, best, sizeof cand);
                cand[i] = r[c].value;
                improved |= consider(s, best, cand);
            }
        }
    }
}

enum { MODE_FULL, MODE_HINTS, MODE_REFINE };

/* Tunes one task.  FULL: defaults, an earlier profile's choice, then the
 * descent until `end`.  HINTS: defaults, the earlier choice and the hints
 * only.  REFINE: the descent from the task's best so far.  Then the best
 * meets the defaults head to head, and the entry is written. */
static clembed_status tune_task(clembed__tuner *t, const clembed__tune_backend *be, task *tk, int mode,
                                const int (*hints)[CLEMBED_MAX_PARAMS], size_t n_hints, double end,
                                group *g)
{
    search *s = calloc(1, sizeof *s);
    if (!s)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    const clembed__kernel_def *k = tk->k;
    s->t = t;
    s->be = be;
    s->k = k;
    s->np = clembed__kernel_n_params(k);
    s->end = end;
    clembed__shape_string(&tk->shape, s->shape, sizeof s->shape);
    clembed_status rc = be->bench_new(t->ctx, t->q, t->dev, k, &tk->shape,
                                      t->params->seed ? t->params->seed : DEFAULT_SEED, &s->b);
    if (rc != CLEMBED_OK) {
        /* A shape the device cannot hold is not worth failing the run for. */
        clembed__tuner_note(t, "%s at %s: cannot set up (%s); skipped", k->kernel, s->shape, clembed_errmsg());
        clembed__errmsg_clear();
        free(s);
        tk->done = tk->failed = 1;
        return rc == CLEMBED_ERR_NOMEM ? rc : CLEMBED_OK;
    }
    if (mode == MODE_REFINE) {
        /* Keep what earlier passes counted and rejected. */
        const clembed__profile_entry *old = clembed__profile_find(t->prof, k->kernel, &tk->shape);
        if (old) {
            s->e.candidates = old->candidates;
            for (size_t i = 0; i < old->n_rejected; i++)
                add_rejected(s, old->rejected[i]);
            s->e.n_rejected_total = old->n_rejected_total;
        }
    }
    /* "Default" is what a context without a profile runs. */
    int def[CLEMBED_MAX_PARAMS] = {0}, best[CLEMBED_MAX_PARAMS], v[CLEMBED_MAX_PARAMS];
    clembed__kernel_defaults(k, t->dev, &tk->shape, 0, def);
    /* The defaults' first timing sets how many repeats make a good median:
     * about 30 ms of kernel time per candidate, 3 to 41 runs. */
    s->reps = 3;
    double t_def = try_set(s, def, 1);
    if (t_def > 0) {
        unsigned reps = (unsigned)(0.03 / t_def);
        s->reps = reps < 3 ? 3 : reps > MAX_REPS ? MAX_REPS : reps | 1;
    } else if (t_def < -1) {
        clembed__tuner_note(t, "%s at %s: the built-in defaults fail their check", k->kernel, s->shape);
    }
    s->default_t = t_def > 0 ? t_def : 0;
    s->best_t = s->default_t;
    memcpy(best, def, sizeof best);
    if (mode == MODE_REFINE)
        consider(s, best, tk->best);
    const clembed__profile *earlier[2] = {t->params->resume, t->params->start};
    for (int f = 0; f < 2; f++)
        if (earlier_values(s, earlier[f], &tk->shape, v))
            consider(s, best, v);
    for (size_t i = 0; i < n_hints; i++)
        consider(s, best, hints[i]);
    if (mode != MODE_HINTS)
        descend(s, best);

    /* Head to head: the least of noisy medians is biased low, and the
     * defaults must not lose to a lucky draw. */
    if (s->best_t > 0 && memcmp(best, def, sizeof best) != 0 && !t->stopped) {
        unsigned ob = 0, od = 0;
        double eb = 0, ed = 0;
        double tb = measure(s, best, s->reps, &ob, &eb);
        double td = measure(s, def, s->reps, &od, &ed);
        if (td > 0 && (tb <= 0 || td <= tb)) {
            memcpy(best, def, sizeof best);
            tb = td;
            ob = od;
            eb = ed;
        }
        if (tb > 0) {
            s->best_t = tb;
            s->best_outliers = ob;
            s->best_err = eb;
        }
        if (td > 0)
            s->default_t = td;
    } else if (s->best_t > 0) {
        /* The defaults are the best: their own first measurement stands. */
        double err = 0;
        unsigned outl = 0;
        if (!t->stopped && measure(s, def, s->reps, &outl, &err) > 0) {
            s->best_outliers = outl;
            s->best_err = err;
        }
    }
    if (g && mode == MODE_FULL) {
        /* The fastest sets here, best first, for the kernel's other shapes. */
        g->n_top = 0;
        for (size_t pick = 0; pick < TOP_K; pick++) {
            int at = -1;
            for (size_t i = 0; i < s->n_tried; i++) {
                int used = 0;
                for (size_t j = 0; j < g->n_top; j++)
                    used |= memcmp(g->top[j], s->tried[i], sizeof g->top[j]) == 0;
                if (!used && s->tried_t[i] > 0 && (at < 0 || s->tried_t[i] < s->tried_t[at]))
                    at = (int)i;
            }
            if (at < 0)
                break;
            memcpy(g->top[g->n_top++], s->tried[at], sizeof g->top[0]);
        }
    }
    if (s->best_t > 0 && !t->stopped) {
        clembed__profile_entry *e = &s->e;
        e->op = (char *)k->op;
        e->kernel = (char *)k->kernel;
        e->shape = tk->shape;
        e->n_params = s->np;
        for (size_t i = 0; i < s->np; i++) {
            e->pnames[i] = (char *)k->params[i].name;
            e->pvalues[i] = best[i];
        }
        e->default_s = s->default_t;
        e->tuned_s = s->best_t;
        e->bytes = be->bytes(s->b);
        e->flops = be->flops(s->b);
        clembed_probe_result pr;
        if (clembed_profile_probe(t->prof, &pr) == CLEMBED_OK)
            e->roofline_s = clembed__roofline(&pr, e->bytes, e->flops);
        else
            clembed__errmsg_clear();
        e->max_err = s->best_err;
        e->outliers = s->best_outliers;
        rc = clembed__profile_put(t->prof, e);
        tk->done = 1;
        memcpy(tk->best, best, sizeof tk->best);
        char params[160];
        values_string(k, best, params, sizeof params);
        clembed_tune_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = CLEMBED_TUNE_RESULT;
        ev.op = k->op;
        ev.kernel = k->kernel;
        ev.shape = s->shape;
        ev.params = params;
        ev.seconds = s->best_t;
        ev.best_s = s->best_t;
        ev.default_s = s->default_t;
        ev.outliers = s->best_outliers;
        clembed__tuner_emit(t, &ev);
    } else if (s->best_t <= 0) {
        clembed__tuner_note(t, "%s at %s: no parameter set passed its check; not tuned", k->kernel, s->shape);
        tk->done = tk->failed = 1;
    }
    for (size_t i = 0; i < s->e.n_rejected; i++)
        free(s->e.rejected[i]);
    free(s->e.rejected);
    be->bench_free(s->b);
    free(s);
    return rc;
}

/* Takes a resumed run's entry for tk; 1 when there was one. */
static int take_resumed(clembed__tuner *t, task *tk, clembed_status *rc)
{
    const clembed__profile_entry *e = clembed__profile_find(t->params->resume, tk->k->kernel, &tk->shape);
    if (!e || e->is_gemm)
        return 0;
    *rc = clembed__profile_put(t->prof, e);
    tk->done = 1;
    size_t np = clembed__kernel_n_params(tk->k);
    for (size_t j = 0; j < np; j++) {
        tk->best[j] = tk->k->params[j].def;
        for (size_t i = 0; i < e->n_params; i++)
            if (strcmp(e->pnames[i], tk->k->params[j].name) == 0)
                tk->best[j] = e->pvalues[i];
    }
    clembed_tune_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = CLEMBED_TUNE_SKIPPED;
    ev.op = e->op;
    ev.kernel = e->kernel;
    ev.shape = e->shape_str;
    ev.params = e->params_str;
    ev.best_s = e->tuned_s;
    ev.default_s = e->default_s;
    clembed__tuner_emit(t, &ev);
    return 1;
}

/* How much of an encoder's time an op takes, roughly, as a weight for its
 * share of the search: GEMMs are most of it, attention much of the rest;
 * fill and copy do not run in the encoder at all. */
static double op_weight(const clembed__kernel_def *k)
{
    static const struct { const char *op; double w; } weights[] = {
        {"gemm", 12}, {"attention", 4}, {"add_layernorm", 1}, {"embeddings", 0.5}, {"bias_act", 1},
        {"pooling", 0.5}, {"l2norm", 0.25}, {"fill", 0.25}, {"copy", 0.25},
    };
    for (size_t i = 0; i < sizeof weights / sizeof weights[0]; i++)
        if (strcmp(k->op, weights[i].op) == 0)
            return weights[i].w;
    return 1;
}

/* Three passes, so that a short budget still covers every kernel and shape:
 * a full search at each kernel's first shape (most builds happen here), the
 * best few of those sets at its other shapes (cheap: already built), then
 * what time is left refines the other shapes one by one.  Each kernel's
 * part of a pass follows its op's weight. */
clembed_status clembed__tune_ops(clembed__tuner *t, const clembed__tune_backend *be, double deadline)
{
    size_t nk = be->n_kernels, total = 0;
    group *groups = calloc(nk + 1, sizeof *groups);
    task *tasks = calloc(nk * MAX_SHAPES + 1, sizeof *tasks);
    clembed_status rc = CLEMBED_OK;
    if (!groups || !tasks) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nk; i++) {
        clembed__shape shapes[MAX_SHAPES];
        /* The gemm kernel only where GEMMs run on it. */
        size_t ns = strcmp(be->kernels[i].op, "gemm") == 0 && t->gemm_clblast
                        ? 0
                        : be->shapes(&be->kernels[i], t->params->model, shapes, MAX_SHAPES);
        groups[i].k = &be->kernels[i];
        groups[i].tasks = tasks + total;
        groups[i].n = ns;
        for (size_t j = 0; j < ns; j++) {
            task *tk = &tasks[total++];
            tk->k = &be->kernels[i];
            tk->shape = shapes[j];
            if (rc == CLEMBED_OK)
                take_resumed(t, tk, &rc);
        }
        /* A resumed first shape still hints the others. */
        if (ns && groups[i].tasks[0].done) {
            memcpy(groups[i].top[0], groups[i].tasks[0].best, sizeof groups[i].top[0]);
            groups[i].n_top = 1;
        }
    }
    if (rc != CLEMBED_OK)
        goto out;
    double start = clembed__now();
    /* Pass 1 gets up to 60% of the time, split among the kernels left. */
    double pass1_end = start + 0.6 * (deadline - start);
    double left = 0;
    for (size_t i = 0; i < nk; i++)
        if (groups[i].n && !groups[i].tasks[0].done)
            left += op_weight(groups[i].k);
    for (size_t i = 0; i < nk && rc == CLEMBED_OK && !t->stopped; i++) {
        group *g = &groups[i];
        if (!g->n || g->tasks[0].done)
            continue;
        double now = clembed__now();
        if (now >= deadline)
            break;
        double w = op_weight(g->k);
        double end = now + (pass1_end > now ? pass1_end - now : 0) * w / (left > w ? left : w);
        rc = tune_task(t, be, &g->tasks[0], MODE_FULL, NULL, 0, end, g);
        left -= w;
        if (rc == CLEMBED_OK && !t->stopped)
            clembed__tuner_checkpoint(t);
    }
    /* Pass 2 goes round the kernels shape by shape, so that every kernel gets
     * on when time is short; a task may take twice its share. */
    size_t max_n = 0;
    double left2 = 0;
    for (size_t i = 0; i < nk; i++) {
        max_n = groups[i].n > max_n ? groups[i].n : max_n;
        for (size_t j = 1; j < groups[i].n; j++)
            left2 += groups[i].tasks[j].done ? 0 : op_weight(groups[i].k);
    }
    for (size_t j = 1; j < max_n && rc == CLEMBED_OK && !t->stopped; j++) {
        for (size_t i = 0; i < nk && rc == CLEMBED_OK && !t->stopped; i++) {
            group *g = &groups[i];
            if (j >= g->n || g->tasks[j].done)
                continue;
            double now = clembed__now();
            if (now >= deadline)
                break;
            double w = op_weight(g->k);
            double end = now + 2 * (deadline - now) * w / (left2 > w ? left2 : w);
            left2 -= w;
            rc = tune_task(t, be, &g->tasks[j], MODE_HINTS, (const int(*)[CLEMBED_MAX_PARAMS])g->top, g->n_top,
                           end, NULL);
            if (rc == CLEMBED_OK && !t->stopped)
                clembed__tuner_checkpoint(t);
        }
    }
    /* Pass 3: only shapes this run measured (a resumed entry stays). */
    size_t n_missing = 0;
    double n_refine = 0;
    for (size_t i = 0; i < total; i++) {
        n_missing += !tasks[i].done;
        if (tasks[i].done && !tasks[i].failed &&
            !clembed__profile_find(t->params->resume, tasks[i].k->kernel, &tasks[i].shape))
            n_refine += op_weight(tasks[i].k);
    }
    for (size_t i = 0; i < nk && rc == CLEMBED_OK && !t->stopped; i++) {
        group *g = &groups[i];
        for (size_t j = 1; j < g->n && rc == CLEMBED_OK && !t->stopped; j++) {
            task *tk = &g->tasks[j];
            if (!tk->done || tk->failed || clembed__profile_find(t->params->resume, tk->k->kernel, &tk->shape))
                continue;
            double now = clembed__now();
            if (now >= deadline - 0.5)
                break;
            double w = op_weight(tk->k);
            double end = now + (deadline - now) * w / (n_refine > w ? n_refine : w);
            n_refine -= w;
            rc = tune_task(t, be, tk, MODE_REFINE, NULL, 0, end, NULL);
            if (rc == CLEMBED_OK && !t->stopped)
                clembed__tuner_checkpoint(t);
        }
    }
    if (n_missing && !t->stopped)
        clembed__tuner_note(t, "%zu of %zu op shapes were left at their defaults: the budget ran out "
                               "(a larger --budget tunes them)",
                            n_missing, total);
out:
    free(tasks);
    free(groups);
    return rc;
}
