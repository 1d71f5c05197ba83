/* clembed embed and clembed-mpi: units of texts cut from a window (the feeder), embedded on
 * one context each, and counted (see embed.h).  A unit's result depends on its texts only:
 * whoever cuts a window the same way gets the same bytes. */
#define _POSIX_C_SOURCE 200809L
#include "embed.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

size_t emax_texts(size_t dim)
{
    size_t m = EUNIT_FLOATS / dim < EMAX_TEXTS ? EUNIT_FLOATS / dim : EMAX_TEXTS;
    return m ? m : 1;
}

void unit_clear(unit *u)
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

void unit_free(unit *u)
{
    unit_clear(u);
    free(u->texts);
    free(u->lines);
    free(u->vec);
    free(u->info);
}

int unit_alloc(unit *u, size_t cap, size_t dim)
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
    /* with an idle callback: finished jobs are counted under the lock */
    pthread_mutex_t *lock;
    pthread_cond_t *cond;
    int *finished;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    embed_unit(j->ctx, j->u, j->dim, j->skip);
    if (j->lock) {
        pthread_mutex_lock(j->lock);
        ++*j->finished;
        pthread_cond_signal(j->cond);
        pthread_mutex_unlock(j->lock);
    }
    return NULL;
}

void eunits_embed(clembed_context *const *ctx, unit *units, int k, size_t dim, int skip,
                  void (*idle)(void *), void *arg)
{
    pthread_t tid[EMAX_THREADS];
    job jobs[EMAX_THREADS];
    int started[EMAX_THREADS] = {0};
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
    int finished = 0;
    /* Without idle, the first unit runs in this thread. */
    for (int t = 0; t < k; t++) {
        jobs[t] = (job){ctx[t], &units[t], dim, skip, idle ? &lock : NULL, &cond, &finished};
        if ((t > 0 || idle) && pthread_create(&tid[t], NULL, run_job, &jobs[t]) == 0)
            started[t] = 1;
        else if (t > 0 || idle)
            run_job(&jobs[t]);
    }
    if (!idle && k > 0)
        run_job(&jobs[0]);
    if (idle) {
        pthread_mutex_lock(&lock);
        while (finished < k) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 1000000;
            if (ts.tv_nsec >= 1000000000)
                ts.tv_sec++, ts.tv_nsec -= 1000000000;
            pthread_cond_timedwait(&cond, &lock, &ts);
            pthread_mutex_unlock(&lock);
            idle(arg);
            pthread_mutex_lock(&lock);
        }
        pthread_mutex_unlock(&lock);
    }
    for (int t = 0; t < k; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
}

static void skipped_line(estats *st, uint64_t line)
{
    uint64_t *sl = realloc(st->skipped_lines, (st->n_skipped_listed + 1) * sizeof *sl);
    if (sl)
        (st->skipped_lines = sl)[st->n_skipped_listed++] = line;
    st->skipped++;
}

void estats_free(estats *st)
{
    free(st->skipped_lines);
    st->skipped_lines = NULL;
    st->n_skipped_listed = 0;
}

int eunit_account(unit *u, const char *in_name, estats *st)
{
    if (u->rc != CLEMBED_OK) {
        fprintf(stderr, "%s: %s: lines %" PRIu64 "-%" PRIu64 ": %s\n", eprog, in_name, u->first_line,
                u->last_line, u->msg);
        return 0;
    }
    for (size_t i = 0; u->late && i < u->n; i++)
        if (u->late[i]) {
            fprintf(stderr, "%s: %s:%" PRIu64 ": skipped: %s\n", eprog, in_name, u->lines[i], u->late[i]);
            skipped_line(st, u->lines[i]);
        }
    st->texts += u->n;
    for (size_t i = 0; i < u->n; i++) {
        st->tokens += u->info[i].tokens;
        st->truncated += u->info[i].truncated != 0;
    }
    return 1;
}

/* ---- the feeder ------------------------------------------------------------- */

void efeed_init(efeed *f, ein *rd, uint64_t window_bytes, int skip)
{
    memset(f, 0, sizeof *f);
    f->rd = rd;
    f->window_bytes = window_bytes;
    f->skip = skip;
}

void efeed_free(efeed *f)
{
    if (f->have_pend)
        free(f->pend.text);
    f->have_pend = 0;
}

int efeed_unit(efeed *f, unit *u, size_t max, estats *st)
{
    eline *l = &f->pend;
    while (u->n < max) {
        if (!f->have_pend) {
            int got = ein_next(f->rd, l);
            if (got < 0)
                return -1;
            if (got == 0) {
                f->at_end = 1;
                u->closes = 1;
                u->next_off = f->rd->off, u->lines_after = f->rd->lineno, u->hash_after = f->rd->hash;
                break;
            }
            f->have_pend = 1;
        }
        uint64_t w = l->start / f->window_bytes;
        if (f->cur_any && w != f->cur_window) {
            /* The window ends here (this unit may be empty when the one before filled up
             * exactly at the window's end). */
            u->closes = 1;
            u->next_off = l->start, u->lines_after = l->lineno - 1, u->hash_after = l->before;
            f->cur_any = 0;
            break;
        }
        if (u->n == 0 && !u->first_line)
            u->first_line = l->lineno;
        f->cur_window = w;
        f->cur_any = 1;
        f->have_pend = 0;
        u->last_line = l->lineno;
        if (l->why[0]) {
            if (!f->skip) {
                fprintf(stderr, "%s: %s:%" PRIu64 ": %s: \"%s\"\n", eprog, f->rd->name, l->lineno, l->why,
                        l->head);
                return -1;
            }
            fprintf(stderr, "%s: %s:%" PRIu64 ": skipped: %s: \"%s\"\n", eprog, f->rd->name, l->lineno,
                    l->why, l->head);
            skipped_line(st, l->lineno);
        }
        if (!l->row)
            continue;
        u->texts[u->n] = l->text;
        u->lines[u->n++] = l->lineno;
    }
    return 1;
}
