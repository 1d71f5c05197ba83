/* clembed-mpi: the chunk loop of every rank, and rank 0's coordinator (steps 4 to 6 of
 * mpi.h).
 *
 * Messages, all of uint64_t: a rank other than 0 sends a report to rank 0 (TAG_REPORT:
 * ASK for its first chunk, DONE with a chunk's figures and the next wanted, FAIL after
 * printing what failed) and, but after FAIL, waits for a chunk index (TAG_CHUNK; NONE: no
 * more).  Rank 0 takes its own chunks from the same list and answers reports between and
 * during its units; it records DONE chunks in the journal.  After a FAIL it hands out NONE,
 * so every rank stops after the chunk it holds.
 */
#define _POSIX_C_SOURCE 200809L
#include "mpi.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

enum { TAG_REPORT = 17, TAG_CHUNK = 18 };
enum { K_ASK, K_DONE, K_FAIL };
enum { M_KIND, M_CHUNK, M_ROWS, M_HASH, M_TEXTS, M_SKIPPED, M_COUNT };
#define NONE UINT64_MAX

const char *mpi_errstr(int code)
{
    static char buf[MPI_MAX_ERROR_STRING + 1];
    int len = 0;
    if (MPI_Error_string(code, buf, &len) != MPI_SUCCESS)
        snprintf(buf, sizeof buf, "MPI error %d", code);
    else
        buf[len] = '\0';
    return buf;
}

void mwait(MPI_Request *r, double *waited)
{
    double t = enow();
    long ns = 20000;
    for (int flag = 0;;) {
        MPI_Test(r, &flag, MPI_STATUS_IGNORE);
        if (flag)
            break;
        struct timespec ts = {0, ns};
        nanosleep(&ts, NULL);
        if (ns < 1000000)
            ns *= 2;
    }
    if (waited)
        *waited += enow() - t;
}

/* Rows as little-endian float32 at their final offset, hashed as written. */
static int write_rows(mjob *j, uint64_t row, const unit *u, ehash *h)
{
    size_t bytes = u->n * j->dim * 4;
    unsigned char *buf = malloc(bytes ? bytes : 1);
    int good = buf != NULL;
    if (!buf)
        fprintf(stderr, "%s: out of memory\n", eprog);
    if (good && bytes) {
        double t = enow();
        ele32(u->vec, u->n * j->dim, buf);
        ehash_add(h, buf, bytes);
        MPI_Status st;
        int count = 0;
        int rc = MPI_File_write_at(j->fh, (MPI_Offset)(j->header + row * j->dim * 4), buf, (int)bytes,
                                   MPI_BYTE, &st);
        if (rc == MPI_SUCCESS)
            MPI_Get_count(&st, MPI_BYTE, &count);
        if (rc != MPI_SUCCESS || (size_t)count != bytes) {
            fprintf(stderr, "%s: writing rows %" PRIu64 "-%" PRIu64 " of %s: %s\n", eprog, row + 1,
                    row + u->n, j->partial, rc != MPI_SUCCESS ? mpi_errstr(rc) : "short write (disk full?)");
            good = 0;
        }
        j->fig[F_WRITE] += enow() - t;
    }
    free(buf);
    return good;
}

static void serve(void *arg);

/* Chunk k from its first line to its last; the report for rank 0 in m.  1 when done. */
static int do_chunk(mjob *j, uint64_t k, uint64_t *m)
{
    const eopts *o = j->o;
    const mchunk *c = &j->chunks[k];
    snprintf(j->prefix, sizeof j->prefix, "%s: chunk %" PRIu64, j->name, k);
    eprog = j->prefix;
    estats before = j->sum;
    uint64_t row = c->first_row;
    ehash h;
    ehash_init(&h);
    ein rd;
    efeed feed;
    int ok = 0, rd_open = 0;
    if (fseeko(j->in, (off_t)c->w.start, SEEK_SET) != 0 ||
        !(rd_open = ein_open(&rd, j->in, j->in_name, o->jsonl_in, (size_t)o->max_line, c->w.start,
                             c->first_line))) {
        fprintf(stderr, "%s: %s: cannot read from byte %" PRIu64 "\n", eprog, j->in_name, c->w.start);
        goto out;
    }
    rd.stop = c->w.end;
    efeed_init(&feed, &rd, o->window_bytes, o->skip);
    while (!feed.at_end) {
        double t = enow();
        int n = 0;
        for (; n < o->threads && !feed.at_end; n++)
            if (efeed_unit(&feed, &j->units[n], j->max_texts, &j->sum) < 0)
                goto out_feed;
        j->fig[F_READ] += enow() - t;
        if (n == 0)
            break;
        t = enow();
        eunits_embed(j->ctx, j->units, n, j->dim, o->skip, j->rank == 0 ? serve : NULL, j);
        j->fig[F_EMBED] += enow() - t;
        for (int i = 0; i < n; i++) {
            unit *u = &j->units[i];
            if (!eunit_account(u, j->in_name, &j->sum) || !write_rows(j, row, u, &h))
                goto out_feed;
            row += u->n;
            unit_clear(u);
        }
    }
    if (row - c->first_row != c->w.rows || rd.off != c->w.end || ehash_value(&rd.hash) != c->w.hash) {
        fprintf(stderr, "%s: %s changed while the job ran: bytes %" PRIu64 "-%" PRIu64 " hold %" PRIu64
                        " rows, %" PRIu64 " when the job began\n", eprog, j->in_name, c->w.start, c->w.end,
                row - c->first_row, c->w.rows);
        goto out_feed;
    }
    double t = enow();
    int rc = MPI_File_sync(j->fh);
    j->fig[F_SYNC] += enow() - t;
    if (rc != MPI_SUCCESS) {
        fprintf(stderr, "%s: syncing %s: %s\n", eprog, j->partial, mpi_errstr(rc));
        goto out_feed;
    }
    ok = 1;
out_feed:
    efeed_free(&feed);
out:
    for (int i = 0; i < j->n_units; i++)
        unit_clear(&j->units[i]);
    if (rd_open)
        ein_close(&rd);
    m[M_KIND] = ok ? K_DONE : K_FAIL;
    m[M_CHUNK] = k;
    m[M_ROWS] = c->w.rows;
    m[M_HASH] = ehash_value(&h);
    m[M_TEXTS] = j->sum.texts - before.texts;
    m[M_SKIPPED] = j->sum.skipped - before.skipped;
    if (ok)
        j->fig[F_CHUNKS]++;
    eprog = j->name;
    return ok;
}

/* ---- rank 0 ----------------------------------------------------------------- */

static uint64_t take(mjob *j)
{
    return j->failed_rank >= 0 || j->next == j->n_todo ? NONE : j->todo[j->next++];
}

static void failed(mjob *j, int rank, uint64_t chunk)
{
    if (j->failed_rank < 0)
        j->failed_rank = rank, j->failed_chunk = chunk;
}

static void progress(mjob *j, int final)
{
    double now = enow();
    if (j->bar && (final || now - j->last_progress >= 0.25)) {
        eprogress(j->done_rows, j->total_rows, j->done_texts, j->t0, final);
        j->last_progress = now;
    } else if (!j->bar && j->o->progress && (final || now - j->last_progress >= j->o->progress)) {
        double el = now - j->t0;
        fprintf(stderr, "clembed-mpi: %" PRIu64 " of %" PRIu64 " rows (%.0f%%), %" PRIu64 " of %" PRIu64
                        " chunks, %.0f texts/s on %d ranks\n", j->done_rows, j->total_rows,
                j->total_rows ? 100.0 * (double)j->done_rows / (double)j->total_rows : 100.0, j->chunks_done,
                j->n_chunks, el > 0 ? (double)j->done_texts / el : 0.0, j->nranks);
        j->last_progress = now;
    }
}

/* A chunk reported done: into the journal, which is synced before anything else happens. */
static void record(mjob *j, const uint64_t *m)
{
    const mchunk *c = &j->chunks[m[M_CHUNK]];
    mdone d = {m[M_CHUNK], c->first_row, m[M_ROWS], c->w.hash, m[M_HASH], m[M_SKIPPED]};
    double t = enow();
    int ok = mjournal_append(j->journal_fd, j->journal, &d);
    j->fig[F_JOURNAL] += enow() - t;
    if (!ok) {
        failed(j, 0, NONE);
        return;
    }
    j->chunks_done++;
    j->done_rows += m[M_ROWS];
    j->done_texts += m[M_TEXTS];
    progress(j, 0);
}

/* Answers every report that has come (rank 0's idle work). */
static void serve(void *arg)
{
    mjob *j = arg;
    for (;;) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_REPORT, MPI_COMM_WORLD, &flag, &st);
        if (!flag)
            return;
        uint64_t m[M_COUNT];
        MPI_Recv(m, M_COUNT, MPI_UINT64_T, st.MPI_SOURCE, TAG_REPORT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (m[M_KIND] == K_FAIL) {
            failed(j, st.MPI_SOURCE, m[M_CHUNK]);
            j->active--;
            continue;
        }
        if (m[M_KIND] == K_DONE)
            record(j, m);
        uint64_t next = take(j);
        MPI_Send(&next, 1, MPI_UINT64_T, st.MPI_SOURCE, TAG_CHUNK, MPI_COMM_WORLD);
        if (next == NONE)
            j->active--;
    }
}

int mwork(mjob *j)
{
    uint64_t m[M_COUNT] = {K_ASK, NONE, 0, 0, 0, 0};
    int ok = 1;
    j->t0 = j->last_progress = enow();
    if (j->rank == 0) {
        j->active = j->nranks - 1;
        for (uint64_t k; (k = take(j)) != NONE;) {
            if (do_chunk(j, k, m))
                record(j, m);
            else
                failed(j, 0, k), ok = 0;
            serve(j);
        }
        double t = enow();
        while (j->active > 0) {
            serve(j);
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        j->fig[F_TAIL] += enow() - t;
        progress(j, 1);
        return ok;
    }
    for (;;) {
        MPI_Request r[2];
        uint64_t k = NONE;
        MPI_Isend(m, M_COUNT, MPI_UINT64_T, 0, TAG_REPORT, MPI_COMM_WORLD, &r[0]);
        if (m[M_KIND] == K_FAIL) {
            mwait(&r[0], NULL);
            return 0;
        }
        MPI_Irecv(&k, 1, MPI_UINT64_T, 0, TAG_CHUNK, MPI_COMM_WORLD, &r[1]);
        mwait(&r[0], &j->fig[F_ASK]);
        mwait(&r[1], &j->fig[F_ASK]);
        if (k == NONE)
            return 1;
        do_chunk(j, k, m);
    }
}
