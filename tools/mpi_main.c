/* clembed-mpi: `clembed embed` on MPI ranks, one device each, into one file written with
 * MPI-IO; byte-identical to one process.  The job's steps are in mpi.h; this file sets the
 * job up (steps 1 to 3), runs the chunk loop (mpi_work.c) and finishes the file (step 7). */
#define _POSIX_C_SOURCE 200809L
#include "mpi.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int rank, nranks;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mpirun -np N clembed-mpi embed -m DIR -i FILE -o FILE [OPTIONS]\n"
            "\n"
            "Embeds one text per line of FILE on N ranks, one OpenCL device each, and writes one\n"
            "vector per text, in input order, into one file with MPI-IO: the same bytes as\n"
            "`clembed embed` on one process with the same device type.  The input is cut into\n"
            "windows handed out to the ranks as they ask; the output is written as FILE.partial\n"
            "and renamed to FILE when complete, with a journal (FILE.journal) for --resume.\n"
            "\n");
    eopts_usage(f, EPROG_MPI);
    fprintf(f,
            "\n"
            "Exit status: 0 when every line was embedded (or skipped with --on-error skip) and\n"
            "the output is complete; 1 on any failure on any rank (the message names the rank,\n"
            "the chunk and what failed; FILE is not created; --resume goes on); 2 for a usage\n"
            "error.\n");
}

static void usage_top(FILE *f)
{
    fprintf(f, "usage: clembed-mpi embed OPTIONS   (under mpirun or srun)\n\n"
               "'clembed-mpi embed --help' describes the options.\n");
}

/* All ranks say whether their part of a step worked; all learn whether every rank's did. */
static int agree(int ok)
{
    int all = 0;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all;
}

static int fail_rc(const char *what, clembed_status rc)
{
    const char *detail = clembed_errmsg();
    fprintf(stderr, "%s: %s: %s%s%s\n", eprog, what, clembed_strerror(rc), *detail ? ": " : "", detail);
    return 0;
}

/* ---- step 1: options and devices ------------------------------------------------ */

static int parse(int argc, char **argv, eopts *o, int *fmt)
{
    FILE *err = rank == 0 ? stderr : NULL;
    int r = eopts_parse(argc, argv, o, EPROG_MPI, "clembed-mpi embed", err, usage);
    if (r < 0) {
        const char *why = NULL;
        *fmt = eformat(o->format);
        if (*fmt == OUT_JSONL)
            why = "-f jsonl: clembed-mpi writes rows at fixed offsets, npy or f32 (convert afterwards)";
        else if (*fmt == OUT_H5)
            why = "-f h5: clembed-mpi writes npy or f32 (clembed embed writes HDF5 on one process)";
        else if (*fmt < 0)
            why = "--format is npy or f32";
        else if (o->ids || o->dataset)
            why = "--ids and --dataset are for HDF5 output, which clembed-mpi does not write";
        else if (!o->input || !strcmp(o->input, "-"))
            why = "give the input with -i FILE (a file that every rank reads its chunks from)";
        else if (!o->output || !strcmp(o->output, "-"))
            why = "give the output with -o FILE (a file that every rank writes its rows into)";
        if (why && err)
            fprintf(err, "clembed-mpi embed: %s\n", why);
        r = why ? 2 : -1;
    }
    /* Ranks launched with other arguments (MPMD) must agree. */
    int worst = r;
    MPI_Allreduce(&r, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return worst;
}

/* What every rank must share: the settings but the device, the files and the threads. */
static int same_options(const eopts *o, int fmt)
{
    char mine[4096], theirs[4096], diff[2048];
    esettings(o, fmt, NULL, mine, sizeof mine - 1024);
    size_t l = strlen(mine);
    snprintf(mine + l, sizeof mine - l, ";model_dir=%s;input=%s;output=%s;threads=%d;resume=%d;verbose=%d",
             o->model_dir, o->input, o->output, o->threads, o->resume, o->verbose);
    memcpy(theirs, mine, sizeof mine);
    MPI_Bcast(theirs, sizeof theirs, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (ejournal_settings_diff(mine, theirs, "rank 0", diff, sizeof diff)) {
        fprintf(stderr, "%s: started with other options than rank 0: %s\n", eprog, diff);
        return 0;
    }
    return 1;
}

/* The device of this rank: -d given k times, the (local mod k)th; else the node's GPUs in
 * turn on the default device's platform; else the default device. */
static int pick_device(const eopts *o, int local, size_t *index)
{
    clembed_status rc;
    if (o->n_devices)
        rc = clembed_device_select(o->devices[local % o->n_devices], index);
    else if (getenv("CLEMBED_DEVICE") && *getenv("CLEMBED_DEVICE"))
        rc = clembed_device_select(NULL, index);
    else
        rc = clembed_device_default(index, NULL, 0);
    clembed_device_info d0, di;
    if (rc == CLEMBED_OK && !o->n_devices && !(getenv("CLEMBED_DEVICE") && *getenv("CLEMBED_DEVICE")) &&
        clembed_device_get(*index, &d0) == CLEMBED_OK && d0.type == CLEMBED_DEVICE_GPU) {
        size_t gpus[256], n = 0;
        for (size_t i = 0; i < clembed_device_count() && n < 256; i++)
            if (clembed_device_get(i, &di) == CLEMBED_OK && di.type == CLEMBED_DEVICE_GPU &&
                !strcmp(di.platform_name, d0.platform_name))
                gpus[n++] = i;
        if (n)
            *index = gpus[(size_t)local % n];
    }
    if (rc != CLEMBED_OK)
        return fail_rc("cannot select the device", rc);
    return 1;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rank 0: the job's distinct devices, sorted, joined by " + ". */
static void devices_of_job(const char *all, size_t each, char *out, size_t cap)
{
    const char **names = malloc((size_t)nranks * sizeof *names);
    out[0] = '\0';
    if (!names)
        return;
    for (int r = 0; r < nranks; r++)
        names[r] = all + (size_t)r * each;
    qsort(names, (size_t)nranks, sizeof *names, by_string);
    size_t used = 0;
    for (int r = 0; r < nranks; r++)
        if (r == 0 || strcmp(names[r], names[r - 1]))
            used += (size_t)snprintf(out + used, used < cap ? cap - used : 0, "%s%s", used ? " + " : "", names[r]);
    free(names);
}

/* ---- step 3: the chunks ----------------------------------------------------------- */

/* Sums arrays that each rank filled in part (MPI counts are ints: in pieces). */
static void sum_all(uint64_t *v, uint64_t n)
{
    for (uint64_t at = 0; at < n; at += (uint64_t)1 << 26) {
        uint64_t m = n - at < ((uint64_t)1 << 26) ? n - at : ((uint64_t)1 << 26);
        MPI_Allreduce(MPI_IN_PLACE, v + at, (int)m, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    }
}

enum { S_START, S_END, S_LINES, S_ROWS, S_HASH, S_N };

/* Every rank scans chunks rank, rank + N, ...; then all know all. */
static int scan_chunks(mjob *j)
{
    uint64_t *s = calloc(j->n_chunks * S_N + 1, sizeof *s);
    int ok = s != NULL;
    if (!s)
        fprintf(stderr, "%s: out of memory for %" PRIu64 " chunks\n", eprog, j->n_chunks);
    for (uint64_t k = (uint64_t)rank; ok && k < j->n_chunks; k += (uint64_t)nranks) {
        ewindow w;
        ok = ewindow_scan(j->in, j->in_name, j->o->jsonl_in, j->o->window_bytes, k, &w);
        uint64_t *e = s + k * S_N;
        e[S_START] = w.start, e[S_END] = w.end, e[S_LINES] = w.lines, e[S_ROWS] = w.rows, e[S_HASH] = w.hash;
    }
    if (!agree(ok)) {
        free(s);
        return 0;
    }
    sum_all(s, j->n_chunks * S_N);
    j->chunks = calloc(j->n_chunks + 1, sizeof *j->chunks);
    if (!agree(j->chunks != NULL)) {
        fprintf(stderr, "%s: out of memory for %" PRIu64 " chunks\n", eprog, j->n_chunks);
        free(s);
        return 0;
    }
    uint64_t row = 0, line = 0;
    for (uint64_t k = 0; k < j->n_chunks; k++) {
        const uint64_t *e = s + k * S_N;
        mchunk *c = &j->chunks[k];
        c->w = (ewindow){e[S_START], e[S_END], e[S_LINES], e[S_ROWS], e[S_HASH]};
        c->first_row = row, c->first_line = line;
        row += c->w.rows, line += c->w.lines;
    }
    j->total_rows = row;
    free(s);
    return 1;
}

/* --resume: the journal's chunks against the input as scanned, and their rows in
 * FILE.partial against their hashes (each rank reads back chunks i = rank mod N of the
 * list).  Marks done chunks in done[]. */
static int check_resume(mjob *j, const mhead *h, const mdone *d, size_t n_done, unsigned char *done)
{
    int ok = 1;
    uint64_t in_bytes = j->n_chunks ? j->chunks[j->n_chunks - 1].w.end : 0;
    struct stat st;
    if (fstat(fileno(j->in), &st) == 0)
        in_bytes = (uint64_t)st.st_size;
    if (h->in_bytes != in_bytes || h->chunks != j->n_chunks || h->rows != j->total_rows) {
        if (rank == 0)
            fprintf(stderr, "clembed-mpi: --resume: %s has %" PRIu64 " bytes, %" PRIu64 " chunks and %" PRIu64
                            " rows; the journal's input had %" PRIu64 ", %" PRIu64 " and %" PRIu64
                            ": another input\n", j->in_name, in_bytes, j->n_chunks, j->total_rows,
                    h->in_bytes, h->chunks, h->rows);
        return 0;
    }
    for (size_t i = 0; ok && i < n_done; i++) {
        const mchunk *c = d[i].chunk < j->n_chunks ? &j->chunks[d[i].chunk] : NULL;
        if (!c || done[d[i].chunk] || c->first_row != d[i].first_row || c->w.rows != d[i].rows ||
            c->w.hash != d[i].in_hash) {
            if (rank == 0)
                fprintf(stderr, "clembed-mpi: --resume: chunk %" PRIu64 " of %s (bytes %" PRIu64 "-%" PRIu64
                                ") differs from the one the journal names: the input changed\n", d[i].chunk,
                        j->in_name, c ? c->w.start : 0, c ? c->w.end : 0);
            ok = 0;
            break;
        }
        done[d[i].chunk] = 1;
    }
    if (!ok)
        return 0;
    unsigned char *buf = NULL;
    for (size_t i = (size_t)rank; ok && i < n_done; i += (size_t)nranks) {
        uint64_t bytes = d[i].rows * j->dim * 4, at = 0;
        ehash hh;
        ehash_init(&hh);
        if (!buf && !(buf = malloc((size_t)1 << 22)))
            ok = 0;
        while (ok && at < bytes) {
            int want = bytes - at < ((uint64_t)1 << 22) ? (int)(bytes - at) : 1 << 22, got = 0;
            MPI_Status ms;
            int rc = MPI_File_read_at(j->fh, (MPI_Offset)(j->header + d[i].first_row * j->dim * 4 + at), buf,
                                      want, MPI_BYTE, &ms);
            if (rc == MPI_SUCCESS)
                MPI_Get_count(&ms, MPI_BYTE, &got);
            if (rc != MPI_SUCCESS || got != want)
                break;
            ehash_add(&hh, buf, (size_t)want);
            at += (uint64_t)want;
        }
        if (!ok || at != bytes || ehash_value(&hh) != d[i].out_hash) {
            fprintf(stderr, "%s: --resume: %s does not hold the rows of chunk %" PRIu64 " as the journal "
                            "says (shorter, or other bytes); remove it and its journal to start over\n",
                    eprog, j->partial, d[i].chunk);
            ok = 0;
        }
    }
    free(buf);
    return agree(ok);
}

/* ---- the job ---------------------------------------------------------------------- */

/* The -v table's columns: a figure each, then the share of wall time spent waiting and
 * the device. */
static const struct {
    int fig;
    const char *head;
    int width, decimals;
} columns[] = {
    {F_CHUNKS, "chunks", 6, 0},     {F_TEXTS, "texts", 8, 0},   {F_TOKENS, "tokens", 9, 0},
    {F_SETUP, "setup s", 7, 3},     {F_SCAN, "scan s", 7, 4},   {F_READ, "read s", 7, 4},
    {F_EMBED, "embed s", 8, 3},     {F_WRITE, "write s", 7, 4}, {F_SYNC, "sync s", 7, 4},
    {F_JOURNAL, "journal s", 9, 4}, {F_ASK, "ask s", 7, 4},     {F_TAIL, "tail s", 7, 3},
    {F_WALL, "wall s", 8, 3},
};

static void summary(const mjob *j, const double *figs, const char *devs, size_t each, double wall)
{
    double all[F_COUNT] = {0};
    for (int r = 0; r < nranks; r++)
        for (int f = 0; f < F_COUNT; f++)
            all[f] += figs[r * F_COUNT + f];
    fprintf(stderr, "clembed-mpi: %.0f texts, %.0f tokens, %.0f truncated, dimension %zu; %.0f skipped, "
                    "%" PRIu64 " chunks on %d ranks; %.2f s, %.1f texts/s, %.0f tokens/s\n",
            all[F_TEXTS], all[F_TOKENS], all[F_TRUNCATED], j->dim, all[F_SKIPPED], j->n_chunks, nranks, wall,
            wall > 0 ? all[F_TEXTS] / wall : 0.0, wall > 0 ? all[F_TOKENS] / wall : 0.0);
    fprintf(stderr, "clembed-mpi: rank");
    for (size_t c = 0; c < sizeof columns / sizeof columns[0]; c++)
        fprintf(stderr, " %*s", columns[c].width, columns[c].head);
    fprintf(stderr, " wait %%  device\n");
    for (int r = 0; r < nranks; r++) {
        const double *f = figs + r * F_COUNT;
        fprintf(stderr, "clembed-mpi: %4d", r);
        for (size_t c = 0; c < sizeof columns / sizeof columns[0]; c++)
            fprintf(stderr, " %*.*f", columns[c].width, columns[c].decimals, f[columns[c].fig]);
        fprintf(stderr, " %6.1f  %s\n", f[F_WALL] > 0 ? 100.0 * (f[F_ASK] + f[F_TAIL]) / f[F_WALL] : 0.0,
                devs + (size_t)r * each);
    }
}

/* Rank 0, step 7: the header, the size, sync, rename, journal gone. */
static int finish(mjob *j)
{
    char h[ENPY_HEADER];
    MPI_Offset size = 0, want = (MPI_Offset)(j->header + j->total_rows * j->dim * 4);
    int rc = MPI_SUCCESS;
    if (j->fmt == OUT_NPY) {
        enpy_header(h, j->total_rows, j->dim);
        rc = MPI_File_write_at(j->fh, 0, h, ENPY_HEADER, MPI_BYTE, MPI_STATUS_IGNORE);
    }
    if (rc == MPI_SUCCESS)
        rc = MPI_File_sync(j->fh);
    if (rc == MPI_SUCCESS)
        rc = MPI_File_get_size(j->fh, &size);
    if (rc != MPI_SUCCESS) {
        fprintf(stderr, "clembed-mpi: writing %s: %s\n", j->partial, mpi_errstr(rc));
        return 0;
    }
    if (size != want) {
        fprintf(stderr, "clembed-mpi: %s holds %lld bytes, not the %lld of %" PRIu64 " rows: not renamed\n",
                j->partial, (long long)size, (long long)want, j->total_rows);
        return 0;
    }
    rc = MPI_File_close(&j->fh);
    j->fh = MPI_FILE_NULL;
    if (rc != MPI_SUCCESS) {
        fprintf(stderr, "clembed-mpi: closing %s: %s\n", j->partial, mpi_errstr(rc));
        return 0;
    }
    if (rename(j->partial, j->o->output) != 0) {
        fprintf(stderr, "clembed-mpi: cannot rename %s to %s: %s\n", j->partial, j->o->output, strerror(errno));
        return 0;
    }
    esync_dir(j->o->output);
    return 1;
}

static int run(int argc, char **argv)
{
    double start = enow();
    eopts o;
    mjob j;
    memset(&j, 0, sizeof j);
    j.rank = rank, j.nranks = nranks, j.o = &o, j.fh = MPI_FILE_NULL, j.journal_fd = -1;
    j.failed_rank = -1, j.failed_chunk = UINT64_MAX;
    snprintf(j.name, sizeof j.name, "clembed-mpi: rank %d", rank);
    eprog = j.name;
    int r = parse(argc, argv, &o, &j.fmt);
    if (r >= 0)
        return r;
    if (!agree(same_options(&o, j.fmt)))
        return 2;
    j.header = j.fmt == OUT_NPY ? ENPY_HEADER : 0;
    j.in_name = o.input;
    /* An output that fails part-way must say so, not kill the rank with SIGXFSZ. */
    signal(SIGXFSZ, SIG_IGN);

    int status = 1, created = 0; /* created: rank 0 made FILE.partial in this run */
    clembed_model *model = NULL;
    mhead head, old;
    mdone *done_list = NULL;
    size_t n_done = 0;
    uint64_t valid = 0;
    unsigned char *done = NULL;
    double *figs = NULL;
    char *devs = NULL;
    memset(&head, 0, sizeof head);
    memset(&old, 0, sizeof old);
    char *partial = esuffixed(o.output, ".partial"), *journal = esuffixed(o.output, ".journal");
    j.partial = partial, j.journal = journal;
    if (!agree(partial && journal))
        goto done;

    /* Step 1: a device per rank, its identity for the settings. */
    MPI_Comm node;
    int local = 0;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &local);
    MPI_Comm_free(&node);
    size_t dev_index = 0;
    char dev_sel[32];
    enum { DEV = 512 };
    char dev[DEV] = "";
    clembed_device_info di;
    int ok = pick_device(&o, local, &dev_index);
    if (ok && clembed_device_get(dev_index, &di) == CLEMBED_OK)
        snprintf(dev, sizeof dev, "%s / %s / %s", di.platform_name, di.name, di.driver_version);
    snprintf(dev_sel, sizeof dev_sel, "%zu", dev_index);
    o.cp.device = dev_sel;
    if (!agree(ok))
        goto done;
    devs = calloc((size_t)nranks, DEV);
    if (!agree(devs != NULL))
        goto done;
    MPI_Allgather(dev, DEV, MPI_CHAR, devs, DEV, MPI_CHAR, MPI_COMM_WORLD);
    char job_devs[1536];
    devices_of_job(devs, DEV, job_devs, sizeof job_devs);
    esettings(&o, j.fmt, job_devs, head.settings, sizeof head.settings);
    head.window_bytes = o.window_bytes;

    /* Step 2 (rank 0): the journal, FILE.partial, the model's hash. */
    int resuming = 0;
    ok = 1;
    if (rank == 0) {
        struct stat st;
        int jr = o.resume ? mjournal_read(journal, &old, &done_list, &n_done, &valid) : 0;
        char diff[2048];
        if (jr < 0) {
            ok = 0;
        } else if (o.resume && jr == 0) {
            fprintf(stderr, "clembed-mpi: --resume: no journal %s; starting from the beginning\n", journal);
        } else if (jr > 0 && ejournal_settings_diff(head.settings, old.settings, "journal", diff, sizeof diff)) {
            fprintf(stderr, "clembed-mpi: --resume: %s was written with other settings: %s\n", journal, diff);
            ok = 0;
        } else {
            resuming = jr > 0;
        }
        if (ok && stat(o.output, &st) == 0 && S_ISDIR(st.st_mode)) {
            fprintf(stderr, "clembed-mpi: %s is a directory\n", o.output);
            ok = 0;
        }
        if (ok) {
            int mode = MPI_MODE_RDWR | (resuming ? 0 : MPI_MODE_CREATE);
            int rc = MPI_File_open(MPI_COMM_SELF, partial, mode, MPI_INFO_NULL, &j.fh);
            created = rc == MPI_SUCCESS && !resuming;
            if (created)
                rc = MPI_File_set_size(j.fh, 0);
            if (rc != MPI_SUCCESS) {
                fprintf(stderr, "clembed-mpi: %scannot %s %s: %s\n", resuming ? "--resume: " : "",
                        resuming ? "open" : "create", partial, mpi_errstr(rc));
                ok = 0;
            }
        }
        if (ok && !emodel_hash(o.model_dir, &head.model_hash))
            ok = 0;
        if (ok && resuming && old.model_hash != head.model_hash) {
            fprintf(stderr, "clembed-mpi: --resume: %s was written for another model: the files in %s "
                            "differ from those it saw\n", journal, o.model_dir);
            ok = 0;
        }
    }
    if (!agree(ok))
        goto done;
    MPI_Bcast(&resuming, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (resuming) {
        uint64_t n = n_done;
        MPI_Bcast(&old, sizeof old, MPI_BYTE, 0, MPI_COMM_WORLD);
        MPI_Bcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
        if (rank != 0 && !(done_list = malloc((size_t)(n ? n : 1) * sizeof *done_list)))
            ok = 0;
        if (!agree(ok))
            goto done;
        n_done = (size_t)n;
        for (uint64_t at = 0; at < n * 6; at += (uint64_t)1 << 26) {
            uint64_t m = n * 6 - at < ((uint64_t)1 << 26) ? n * 6 - at : ((uint64_t)1 << 26);
            MPI_Bcast((uint64_t *)done_list + at, (int)m, MPI_UINT64_T, 0, MPI_COMM_WORLD);
        }
    }
    if (rank != 0) {
        int rc = MPI_File_open(MPI_COMM_SELF, partial, MPI_MODE_RDWR, MPI_INFO_NULL, &j.fh);
        if (rc != MPI_SUCCESS) {
            fprintf(stderr, "%s: cannot open %s: %s\n", eprog, partial, mpi_errstr(rc));
            ok = 0;
        }
    }
    if (!agree(ok))
        goto done;

    /* Step 3: the input and its chunks. */
    double t = enow();
    struct stat ist;
    j.in = fopen(o.input, "rb");
    if (!j.in || fstat(fileno(j.in), &ist) != 0 || !S_ISREG(ist.st_mode)) {
        fprintf(stderr, "%s: %s: %s\n", eprog, o.input, j.in ? "not a regular file" : strerror(errno));
        ok = 0;
    }
    if (!agree(ok))
        goto done;
    uint64_t size = (uint64_t)ist.st_size, lo = size, hi = size;
    MPI_Allreduce(&size, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&size, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    if (lo != hi) {
        if (rank == 0)
            fprintf(stderr, "clembed-mpi: the ranks see %s with different sizes (%" PRIu64 " to %" PRIu64
                            " bytes): it must be one file that all can read\n", o.input, lo, hi);
        goto done;
    }
    head.in_bytes = size;
    j.n_chunks = head.chunks = ewindow_count(size, o.window_bytes);
    if (!scan_chunks(&j))
        goto done;
    head.rows = j.total_rows;
    done = calloc(j.n_chunks + 1, 1);
    if (!agree(done != NULL))
        goto done;
    if (resuming) {
        j.dim = (size_t)old.dim;
        if (!check_resume(&j, &old, done_list, n_done, done))
            goto done;
    }
    j.fig[F_SCAN] = enow() - t;

    /* The model and a context per thread; every rank's vectors of one size. */
    clembed_status rc = clembed_model_open(o.model_dir, NULL, &model);
    ok = rc == CLEMBED_OK || fail_rc("cannot open the model", rc);
    for (int i = 0; ok && i < o.threads; i++)
        if ((rc = clembed_context_new(model, &o.cp, &j.ctx[i])) != CLEMBED_OK)
            ok = fail_rc("cannot set up the device", rc);
    if (!agree(ok))
        goto done;
    unsigned long long dim = clembed_context_dim(j.ctx[0]), dlo = dim, dhi = dim;
    MPI_Allreduce(&dim, &dlo, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&dim, &dhi, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
    if (dlo != dhi) {
        if (rank == 0)
            fprintf(stderr, "clembed-mpi: the ranks' vectors have %llu to %llu dimensions\n", dlo, dhi);
        goto done;
    }
    if (resuming && dim != old.dim) {
        if (rank == 0)
            fprintf(stderr, "clembed-mpi: --resume: %s holds vectors of %" PRIu64 " dimensions, the model "
                            "gives %llu\n", partial, old.dim, dim);
        goto done;
    }
    j.dim = head.dim = (size_t)dim;
    j.max_texts = emax_texts(j.dim);
    for (j.n_units = 0; ok && j.n_units < o.threads; j.n_units++)
        if (!unit_alloc(&j.units[j.n_units], j.max_texts, j.dim)) {
            fprintf(stderr, "%s: out of memory\n", eprog);
            ok = 0;
        }
    if (!agree(ok))
        goto done;

    /* Rank 0: the journal and the list of chunks to do. */
    if (rank == 0) {
        if (!resuming) {
            char h[ENPY_HEADER];
            enpy_header(h, 0, j.dim);
            int wrc = j.fmt == OUT_NPY ? MPI_File_write_at(j.fh, 0, h, ENPY_HEADER, MPI_BYTE, MPI_STATUS_IGNORE)
                                       : MPI_SUCCESS;
            if (wrc != MPI_SUCCESS) {
                fprintf(stderr, "clembed-mpi: writing %s: %s\n", partial, mpi_errstr(wrc));
                ok = 0;
            }
            valid = ok ? mjournal_create(journal, &head) : 0;
            ok = valid > 0;
        }
        if (ok && (j.journal_fd = mjournal_open(journal, valid)) < 0)
            ok = 0;
        j.todo = malloc((j.n_chunks + 1) * sizeof *j.todo);
        ok = ok && j.todo;
        for (uint64_t k = 0; ok && k < j.n_chunks; k++) {
            if (!done[k])
                j.todo[j.n_todo++] = k;
            else
                j.chunks_done++, j.done_rows += j.chunks[k].w.rows;
        }
        j.bar = isatty(STDERR_FILENO);
    }
    if (!agree(ok))
        goto done;
    j.fig[F_SETUP] = enow() - start - j.fig[F_SCAN];

    /* Steps 4 to 6. */
    ok = mwork(&j);
    if (rank != 0 && j.fh != MPI_FILE_NULL) {
        int crc = MPI_File_close(&j.fh);
        if (crc != MPI_SUCCESS && ok) {
            fprintf(stderr, "%s: closing %s: %s\n", eprog, partial, mpi_errstr(crc));
            ok = 0;
        }
    }
    /* The time each rank waited for the others counts; then the figures go to rank 0. */
    MPI_Request req;
    MPI_Ibarrier(MPI_COMM_WORLD, &req);
    mwait(&req, &j.fig[F_TAIL]);
    j.fig[F_WALL] = enow() - start;
    j.fig[F_TEXTS] = (double)j.sum.texts, j.fig[F_TOKENS] = (double)j.sum.tokens;
    j.fig[F_SKIPPED] = (double)j.sum.skipped, j.fig[F_TRUNCATED] = (double)j.sum.truncated;
    figs = calloc((size_t)nranks * F_COUNT, sizeof *figs);
    MPI_Gather(j.fig, F_COUNT, MPI_DOUBLE, figs, F_COUNT, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    int any_failed = !ok;
    MPI_Allreduce(MPI_IN_PLACE, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0) {
        if (!any_failed && j.failed_rank < 0 && j.chunks_done == j.n_chunks && finish(&j)) {
            close(j.journal_fd);
            j.journal_fd = -1;
            remove(journal);
            status = 0;
        } else {
            if (j.failed_rank >= 0 && j.failed_chunk != UINT64_MAX)
                fprintf(stderr, "clembed-mpi: the job failed: rank %d could not finish chunk %" PRIu64
                                " (above)", j.failed_rank, j.failed_chunk);
            else
                fprintf(stderr, "clembed-mpi: the job failed (above)");
            fprintf(stderr, "; %s names %" PRIu64 " of %" PRIu64 " chunks done: the same command with --resume "
                            "goes on from there\n", journal, j.chunks_done, j.n_chunks);
        }
        if (o.verbose && figs)
            summary(&j, figs, devs, DEV, enow() - start);
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);

done:
    if (j.fh != MPI_FILE_NULL)
        MPI_File_close(&j.fh);
    /* A FILE.partial made before any journal (the input, the model or a device failed
     * first) holds nothing --resume could use: clembed embed leaves none either. */
    if (rank == 0 && created && !valid)
        unlink(partial);
    if (j.journal_fd >= 0)
        close(j.journal_fd);
    if (j.in)
        fclose(j.in);
    for (int i = 0; i < j.n_units; i++)
        unit_free(&j.units[i]);
    for (int i = 0; i < EMAX_THREADS; i++)
        clembed_context_free(j.ctx[i]);
    clembed_model_free(model);
    estats_free(&j.sum);
    free(j.chunks);
    free(j.todo);
    free(done);
    free(done_list);
    free(figs);
    free(devs);
    free(partial);
    free(journal);
    return status;
}

int main(int argc, char **argv)
{
    /* --help and --version need no MPI (the manual page is checked against them). */
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage_top(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("clembed-mpi %s\n", clembed_version_string());
        return 0;
    }
    if (!strcmp(argv[1], "embed")) {
        eopts o;
        if (eopts_parse(argc - 1, argv + 1, &o, EPROG_MPI, "clembed-mpi embed", NULL, usage) == 0)
            return 0;
    }
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    int status;
    if (strcmp(argv[1], "embed")) {
        if (rank == 0) {
            fprintf(stderr, "clembed-mpi: unknown command '%s'\n\n", argv[1]);
            usage_top(stderr);
        }
        status = 2;
    } else {
        status = run(argc - 1, argv + 1);
    }
    MPI_Finalize();
    return status;
}
