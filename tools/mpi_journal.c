/* clembed-mpi: the journal of finished chunks beside FILE.partial (see mpi.h).
 *
 * FILE.journal is a header written atomically when the job starts, in the form of clembed
 * embed's journal (ekeys_write), ended by a line "end"; then one line per finished chunk,
 * appended and synced by rank 0 after the rank that wrote the chunk's rows has synced them:
 *
 *     chunk K FIRST_ROW ROWS IN_HASH OUT_HASH SKIPPED CHECK
 *
 * CHECK is a hash of the line before it, so that a line torn by a crash is seen as such:
 * reading stops at the first line that is not whole and correct, and the job goes on from
 * what came before (appending cuts the torn rest off first).  Chunks finish in any order; the
 * journal is a set, and a chunk named twice (never written so) is refused.
 */
#define _POSIX_C_SOURCE 200809L
#include "mpi.h"
#include "core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "clembed-mpi-journal 1"
/* A journal of 2^40 bytes would name some 10^10 chunks: more than any input has windows. */
#define MAX_JOURNAL ((size_t)1 << 40)

#define HEAD_KEYS(h)                                                                            \
    {                                                                                           \
        {"settings", NULL, (h)->settings, sizeof (h)->settings, 0},                             \
        {"model", &(h)->model_hash, NULL, 0, 1}, {"window_bytes", &(h)->window_bytes, NULL, 0, 0},  \
        {"in_bytes", &(h)->in_bytes, NULL, 0, 0}, {"chunks", &(h)->chunks, NULL, 0, 0},             \
        {"rows", &(h)->rows, NULL, 0, 0}, {"dim", &(h)->dim, NULL, 0, 0},                           \
    }

size_t mjournal_create(const char *path, const mhead *h)
{
    mhead copy = *h;
    const ekey keys[] = HEAD_KEYS(&copy);
    return ekeys_write(path, MAGIC, keys, sizeof keys / sizeof keys[0], 1);
}

static uint64_t line_check(const char *s, size_t n)
{
    ehash h;
    ehash_init(&h);
    ehash_add(&h, s, n);
    return ehash_value(&h);
}

int mjournal_read(const char *path, mhead *h, mdone **done, size_t *n_done, uint64_t *valid)
{
    char *data;
    size_t len;
    *done = NULL;
    *n_done = 0;
    int got = ekeys_load(path, MAX_JOURNAL, &data, &len);
    if (got <= 0)
        return got;
    memset(h, 0, sizeof *h);
    const ekey keys[] = HEAD_KEYS(h);
    size_t at = ekeys_parse(data, MAGIC, keys, sizeof keys / sizeof keys[0], 1);
    if (!at) {
        if (!strncmp(data, "clembed-journal", 15))
            fprintf(stderr, "%s: --resume: %s is the journal of clembed embed: resume it with clembed "
                            "embed\n", eprog, path);
        else
            fprintf(stderr, "%s: --resume: %s is not a journal clembed-mpi wrote (or is damaged); "
                            "remove it and the partial output to start over\n", eprog, path);
        free(data);
        return -1;
    }
    size_t cap = 0;
    int good = 1;
    /* Whole, correct lines; the first that is not ends the journal. */
    for (char *line = data + at; good && *line;) {
        char *nl = strchr(line, '\n');
        mdone d;
        uint64_t check;
        int used = 0;
        if (!nl)
            break;
        *nl = '\0';
        if (sscanf(line, "chunk %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNx64 " %" SCNx64 " %" SCNu64 "%n",
                   &d.chunk, &d.first_row, &d.rows, &d.in_hash, &d.out_hash, &d.skipped, &used) != 6 ||
            sscanf(line + used, " %" SCNx64, &check) != 1 || check != line_check(line, (size_t)used))
            break;
        if (*n_done == cap) {
            mdone *more = realloc(*done, (cap = cap ? 2 * cap : 256) * sizeof *more);
            if (!more) {
                fprintf(stderr, "%s: --resume: out of memory reading %s\n", eprog, path);
                good = 0;
                break;
            }
            *done = more;
        }
        (*done)[(*n_done)++] = d;
        line = nl + 1;
        at = (size_t)(line - data);
    }
    free(data);
    *valid = at;
    if (!good) {
        free(*done);
        *done = NULL;
        *n_done = 0;
        return -1;
    }
    return 1;
}

int mjournal_open(const char *path, uint64_t valid)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    if (fd < 0 || ftruncate(fd, (off_t)valid) != 0 || fdatasync(fd) != 0) {
        fprintf(stderr, "%s: journal %s: %s\n", eprog, path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int mjournal_append(int fd, const char *path, const mdone *d)
{
    char line[256];
    int n = snprintf(line, sizeof line, "chunk %" PRIu64 " %" PRIu64 " %" PRIu64 " %016" PRIx64 " %016" PRIx64
                     " %" PRIu64, d->chunk, d->first_row, d->rows, d->in_hash, d->out_hash, d->skipped);
    n += snprintf(line + n, sizeof line - (size_t)n, " %016" PRIx64 "\n", line_check(line, (size_t)n));
    errno = 0;
    if (write(fd, line, (size_t)n) != n || fdatasync(fd) != 0) {
        fprintf(stderr, "%s: writing the journal %s: %s\n", eprog, path, errno ? strerror(errno) : "short write");
        return 0;
    }
    return 1;
}
