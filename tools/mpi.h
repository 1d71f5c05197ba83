/* Internal to clembed-mpi: a corpus embedded by MPI ranks into one file.
 *
 * The job, in order (mpi_main.c drives it; each setup step ends with the ranks agreeing that
 * it worked everywhere, so a failure on any rank ends the job on all with exit status 1):
 *  1. Every rank parses the same options (a rank started with others is refused) and takes
 *     its device: -d given k times, node-local rank r takes the (r mod k)th; else the GPUs
 *     of the node in turn; else the default device.  The settings a journal compares name
 *     every distinct device of the job.
 *  2. Rank 0 reads FILE.journal for --resume (its settings and model must agree) and
 *     creates FILE.partial (or opens it, to resume) before any model is loaded.
 *  3. Chunks are clembed embed's windows (embed.h).  The ranks scan them between them
 *     (chunk k by rank k mod N: its bytes, lines, rows and input hash, reading nothing
 *     else), so every rank knows where each chunk's rows go: a chunk's first row is the sum
 *     of the rows before it.  With --resume, the chunks the journal names must have the same
 *     rows and input hashes, and their rows in FILE.partial the journal's output hashes (the
 *     ranks read them back between them).
 *  4. Rank 0 hands out the chunks not done, in input order, one at a time to whichever rank
 *     asks, itself included (its main thread answers while its units embed in threads): a
 *     slower device takes fewer.
 *  5. A rank cuts its chunk into clembed embed's units, embeds them as clembed embed does,
 *     writes the rows at their final offsets with MPI-IO through its own handle on
 *     FILE.partial (opened on MPI_COMM_SELF, so that its MPI_File_sync is its own, not a
 *     collective), syncs, and only then reports the chunk done; rank 0 appends the chunk
 *     to the journal and syncs that.  The journal never names rows that are not on disk.
 *  6. A rank that fails prints what failed, naming itself and the chunk, and reports it;
 *     rank 0 hands out nothing more, the others finish the chunk they hold, and every rank
 *     exits 1.  FILE.partial and FILE.journal stay for --resume.
 *  7. When every chunk is done, rank 0 writes the .npy header with the row count, checks the
 *     file's size, syncs it and renames FILE.partial to FILE, then removes the journal:
 *     FILE exists only when whole, and exit status 0 only then.
 */
#ifndef CLEMBED_TOOLS_MPI_H
#define CLEMBED_TOOLS_MPI_H

#include "embed.h"

#include <mpi.h>

/* ---- the journal (mpi_journal.c) -------------------------------------------- */

typedef struct mhead {
    char settings[2048];
    uint64_t model_hash, window_bytes, in_bytes, chunks, rows, dim;
} mhead;

typedef struct mdone {
    uint64_t chunk, first_row, rows, in_hash, out_hash, skipped;
} mdone;

/* Writes the header atomically: its length, or 0 and a message on failure. */
size_t mjournal_create(const char *path, const mhead *h);
/* 1: the header, the chunks done (malloc'ed) and the bytes of the header and whole lines;
 * 0: no journal; -1 and a message: unreadable, not clembed-mpi's, damaged header. */
int mjournal_read(const char *path, mhead *h, mdone **done, size_t *n_done, uint64_t *valid);
/* Opens the journal to append after its first `valid` bytes: a descriptor, or -1. */
int mjournal_open(const char *path, uint64_t valid);
/* One line, synced: 0 and a message on failure. */
int mjournal_append(int fd, const char *path, const mdone *d);

/* ---- the chunk loop (mpi_work.c) -------------------------------------------- */

/* A chunk: its window and where its rows go. */
typedef struct mchunk {
    ewindow w;
    uint64_t first_row, first_line;
} mchunk;

/* Per-rank figures, gathered on rank 0 at the end (one MPI_DOUBLE each): counts, and
 * seconds spent setting up (model, contexts, files), scanning chunks, reading lines,
 * embedding, writing rows, syncing them, journaling (rank 0), asking for a chunk, waiting
 * for the others at the end, and in all.  tools/mpi_scaling.sh reads them. */
enum { F_CHUNKS, F_TEXTS, F_TOKENS, F_SETUP, F_SCAN, F_READ, F_EMBED, F_WRITE, F_SYNC, F_JOURNAL,
       F_ASK, F_TAIL, F_WALL, F_SKIPPED, F_TRUNCATED, F_COUNT };

typedef struct mjob {
    int rank, nranks;
    const eopts *o;
    int fmt;
    FILE *in;
    const char *in_name;
    clembed_context *ctx[EMAX_THREADS];
    unit units[EMAX_THREADS];
    int n_units;
    size_t dim, max_texts;
    MPI_File fh;            /* this rank's handle on FILE.partial */
    const char *partial;
    uint64_t header;        /* bytes before row 0 */
    mchunk *chunks;
    uint64_t n_chunks, total_rows;
    double fig[F_COUNT];
    estats sum;
    char name[64];          /* eprog: "clembed-mpi: rank R" */
    char prefix[160];       /* eprog while a chunk is worked on: NAME ": chunk K" */
    /* rank 0: the coordinator */
    uint64_t *todo;         /* chunks not done, in order */
    uint64_t n_todo, next;  /* next: index into todo */
    uint64_t done, done_rows, done_texts;   /* all ranks' finished work */
    uint64_t chunks_done;   /* including those the journal had */
    int journal_fd;
    const char *journal;
    int active;             /* other ranks still working */
    int failed_rank;        /* -1, or the first rank that failed */
    uint64_t failed_chunk;  /* UINT64_MAX: failed outside a chunk */
    double t0, last_progress;
    int bar;
} mjob;

/* Embeds the job's chunks (all ranks); 1 when this rank's part went well.  On rank 0 it
 * returns once every rank has stopped. */
int mwork(mjob *j);
/* The message a failed MPI call left, for "writing FILE: ..." */
const char *mpi_errstr(int code);
/* Waits for a request with a sleeping poll (a blocking MPI wait spins, stealing the cores
 * the ranks still embedding need); the time is added to *waited when not NULL. */
void mwait(MPI_Request *r, double *waited);

#endif
