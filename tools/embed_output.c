/* clembed embed: output writers (JSON lines, .npy, raw float32 and HDF5) behind one
 * interface, written through FILE.partial and renamed when whole (see embed.h). */
#define _POSIX_C_SOURCE 200809L
#include "embed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct eout {
    eout_params p;
    char *final, *partial;  /* NULL when writing to standard output */
    FILE *f;
    size_t dim;
    uint64_t rows;          /* rows written */
    uint64_t start;         /* where the rows begin: the .npy header's length, else 0 */
    uint64_t bytes;         /* bytes of rows written */
    ehash hash;             /* of those bytes */
    eh5 *h5;
    char *text;             /* a JSON line being formatted */
    size_t text_cap;
};

const char *eout_name(const eout *o)
{
    return o->h5 && o->p.append ? o->final : o->partial ? o->partial : "<stdout>";
}

void enpy_header(char *buf, uint64_t rows, size_t dim)
{
    char dict[ENPY_HEADER];
    int len = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%llu, %zu), }",
                       (unsigned long long)rows, dim);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (char)((ENPY_HEADER - 10) & 0xff);
    buf[9] = (char)((ENPY_HEADER - 10) >> 8);
    memset(buf + 10, ' ', ENPY_HEADER - 10);
    memcpy(buf + 10, dict, (size_t)len);
    buf[ENPY_HEADER - 1] = '\n';
}

/* Rewrites the header in place (pwrite leaves the stream's position alone). */
static int npy_update(eout *o, uint64_t rows)
{
    char h[ENPY_HEADER];
    enpy_header(h, rows, o->dim);
    if (fflush(o->f) != 0 || pwrite(fileno(o->f), h, ENPY_HEADER, 0) != ENPY_HEADER) {
        fprintf(stderr, "%s: writing %s: %s\n", eprog, eout_name(o), strerror(errno));
        return 0;
    }
    return 1;
}

void ele32(const float *v, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        out[4 * i] = u & 0xff, out[4 * i + 1] = (u >> 8) & 0xff;
        out[4 * i + 2] = (u >> 16) & 0xff, out[4 * i + 3] = (unsigned char)(u >> 24);
    }
}

static void out_free(eout *o)
{
    free(o->final);
    free(o->partial);
    free(o->text);
    free(o);
}

/* Standard output takes a .npy only when it is a regular file at offset 0, not appending:
 * the header is rewritten with the row count at the end. */
static int stdout_seekable(void)
{
    struct stat st;
    int fl = fcntl(STDOUT_FILENO, F_GETFL);
    return fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && fl >= 0 && !(fl & O_APPEND) &&
           lseek(STDOUT_FILENO, 0, SEEK_CUR) == 0;
}

eout *eout_open(const eout_params *p, int resume, uint64_t rows, uint64_t bytes, uint64_t hash)
{
    eout *o = calloc(1, sizeof *o);
    if (!o) {
        fprintf(stderr, "%s: out of memory\n", eprog);
        return NULL;
    }
    o->p = *p;
    ehash_init(&o->hash);
    int to_stdout = !p->path || !strcmp(p->path, "-");
    if (to_stdout) {
        if (p->format == OUT_H5 || (p->format == OUT_NPY && !stdout_seekable())) {
            fprintf(stderr, "%s: %s needs -o FILE (its header is written last)\n", eprog,
                    p->format == OUT_H5 ? "HDF5" : ".npy to a pipe");
            goto fail;
        }
        o->f = stdout;
        o->start = p->format == OUT_NPY ? ENPY_HEADER : 0;
        return o;
    }
    struct stat st;
    if (stat(p->path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: %s is a directory\n", eprog, p->path);
        goto fail;
    }
    if (!(o->final = strdup(p->path)) || !(o->partial = esuffixed(p->path, ".partial"))) {
        fprintf(stderr, "%s: out of memory\n", eprog);
        goto fail;
    }
    if (p->format == OUT_H5) {
#ifdef HAVE_HDF5
        o->h5 = eh5_open(p->append ? o->final : o->partial, p->append, p->dataset, p->ids, resume,
                         rows, hash);
        if (!o->h5)
            goto fail;
        o->rows = rows;
        return o;
#else
        fprintf(stderr, "%s: this clembed was built without HDF5 (install libhdf5-dev and "
                        "run configure again)\n", eprog);
        goto fail;
#endif
    }
    if (!resume) {
        if (!(o->f = fopen(o->partial, "wb"))) {
            fprintf(stderr, "%s: cannot create %s: %s\n", eprog, o->partial, strerror(errno));
            goto fail;
        }
        o->start = p->format == OUT_NPY ? ENPY_HEADER : 0;
        return o;
    }
    /* Resume: the partial file must hold what the journal says, byte for byte. */
    if (!(o->f = fopen(o->partial, "r+b"))) {
        fprintf(stderr, "%s: --resume: cannot open %s: %s\n", eprog, o->partial, strerror(errno));
        goto fail;
    }
    o->start = p->format == OUT_NPY ? ENPY_HEADER : 0;
    ehash h;
    ehash_init(&h);
    if (fstat(fileno(o->f), &st) != 0 || (uint64_t)st.st_size < o->start + bytes ||
        !ehash_file_range(&h, o->f, o->start, o->start + bytes) || ehash_value(&h) != hash) {
        fprintf(stderr, "%s: --resume: %s does not hold the %llu rows the journal describes "
                        "(shorter, or other bytes); remove it and its journal to start over\n",
                eprog, o->partial, (unsigned long long)rows);
        goto fail;
    }
    if (ftruncate(fileno(o->f), (off_t)(o->start + bytes)) != 0 ||
        fseeko(o->f, (off_t)(o->start + bytes), SEEK_SET) != 0) {
        fprintf(stderr, "%s: --resume: cutting %s: %s\n", eprog, o->partial, strerror(errno));
        goto fail;
    }
    o->hash = h;
    o->rows = rows;
    o->bytes = bytes;
    return o;
fail:
    if (o->f && o->f != stdout)
        fclose(o->f);
    out_free(o);
    return NULL;
}

int eout_start(eout *o, size_t dim, int normalized)
{
    o->dim = dim;
    o->p.normalized = normalized;
#ifdef HAVE_HDF5
    if (o->h5)
        return eh5_start(o->h5, dim, &o->p);
#endif
    if (o->p.format == OUT_NPY && o->rows == 0) {
        char h[ENPY_HEADER];
        enpy_header(h, 0, dim);
        if (fwrite(h, 1, ENPY_HEADER, o->f) != ENPY_HEADER) {
            fprintf(stderr, "%s: writing %s: %s\n", eprog, eout_name(o), strerror(errno));
            return 0;
        }
    }
    return 1;
}

static int put(eout *o, const void *p, size_t n)
{
    if (fwrite(p, 1, n, o->f) != n) {
        fprintf(stderr, "%s: writing %s: %s\n", eprog, eout_name(o), strerror(errno));
        return 0;
    }
    ehash_add(&o->hash, p, n);
    o->bytes += n;
    return 1;
}

int eout_rows(eout *o, uint64_t first, const float *v, const uint64_t *ids, size_t n)
{
    if (first != o->rows) {
        fprintf(stderr, "%s: internal error: row %llu written after %llu\n", eprog,
                (unsigned long long)first, (unsigned long long)o->rows);
        return 0;
    }
#ifdef HAVE_HDF5
    if (o->h5) {
        if (!eh5_rows(o->h5, first, v, ids, n, o->dim))
            return 0;
        /* The journal's hash covers the rows as little-endian float32, as eh5_open checks them. */
        for (size_t i = 0; i < n * o->dim; i += 1024) {
            unsigned char b[4096];
            size_t m = n * o->dim - i < 1024 ? n * o->dim - i : 1024;
            ele32(v + i, m, b);
            ehash_add(&o->hash, b, 4 * m);
        }
        o->bytes += 4 * n * o->dim;
        o->rows += n;
        return 1;
    }
#else
    (void)ids;
#endif
    if (o->p.format == OUT_JSONL) {
        size_t need = o->dim * 18 + 4;
        if (need > o->text_cap) {
            char *t = realloc(o->text, need);
            if (!t) {
                fprintf(stderr, "%s: out of memory\n", eprog);
                return 0;
            }
            o->text = t;
            o->text_cap = need;
        }
        for (size_t i = 0; i < n; i++) {
            size_t len = 0;
            o->text[len++] = '[';
            for (size_t d = 0; d < o->dim; d++)
                len += (size_t)snprintf(o->text + len, o->text_cap - len, d ? ",%.9g" : "%.9g",
                                        (double)v[i * o->dim + d]);
            o->text[len++] = ']';
            o->text[len++] = '\n';
            if (!put(o, o->text, len))
                return 0;
        }
    } else {
        for (size_t i = 0; i < n * o->dim; i += 1024) {
            unsigned char b[4096];
            size_t m = n * o->dim - i < 1024 ? n * o->dim - i : 1024;
            ele32(v + i, m, b);
            if (!put(o, b, 4 * m))
                return 0;
        }
    }
    o->rows += n;
    return 1;
}

int eout_sync(eout *o, uint64_t *bytes, uint64_t *hash)
{
    *bytes = o->bytes;
    *hash = ehash_value(&o->hash);
#ifdef HAVE_HDF5
    if (o->h5)
        return eh5_flush(o->h5);
#endif
    if (o->f == stdout)
        return fflush(o->f) == 0 || (fprintf(stderr, "%s: writing <stdout>: %s\n", eprog,
                                             strerror(errno)), 0);
    /* A .npy in progress says how many rows it holds so far. */
    if (o->p.format == OUT_NPY && !npy_update(o, o->rows))
        return 0;
    if (fflush(o->f) != 0 || fdatasync(fileno(o->f)) != 0) {
        fprintf(stderr, "%s: writing %s: %s\n", eprog, eout_name(o), strerror(errno));
        return 0;
    }
    return 1;
}

char *esuffixed(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);
    if (s) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb + 1);
    }
    return s;
}

void esync_dir(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return;
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    int fd = open(slash ? dir : ".", O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

int eout_finish(eout *o, uint64_t rows)
{
    int good = 1;
#ifdef HAVE_HDF5
    if (o->h5) {
        good = eh5_finish(o->h5, rows);
        o->h5 = NULL;
        if (good && !o->p.append && rename(o->partial, o->final) != 0) {
            fprintf(stderr, "%s: cannot rename %s to %s: %s\n", eprog, o->partial, o->final,
                    strerror(errno));
            good = 0;
        }
        if (good && !o->p.append)
            esync_dir(o->final);
        out_free(o);
        return good;
    }
#endif
    if (o->p.format == OUT_NPY)
        good = npy_update(o, rows);
    if (o->f == stdout) {
        if (good && fflush(stdout) != 0) {
            fprintf(stderr, "%s: writing <stdout>: %s\n", eprog, strerror(errno));
            good = 0;
        }
        out_free(o);
        return good;
    }
    if (good && (fflush(o->f) != 0 || fdatasync(fileno(o->f)) != 0)) {
        fprintf(stderr, "%s: writing %s: %s\n", eprog, o->partial, strerror(errno));
        good = 0;
    }
    if (fclose(o->f) != 0 && good) {
        fprintf(stderr, "%s: writing %s: %s\n", eprog, o->partial, strerror(errno));
        good = 0;
    }
    if (good && rename(o->partial, o->final) != 0) {
        fprintf(stderr, "%s: cannot rename %s to %s: %s\n", eprog, o->partial, o->final,
                strerror(errno));
        good = 0;
    }
    if (good)
        esync_dir(o->final);
    out_free(o);
    return good;
}

void eout_abort(eout *o)
{
    if (!o)
        return;
#ifdef HAVE_HDF5
    if (o->h5)
        eh5_close(o->h5);
#endif
    if (o->f == stdout)
        fflush(stdout);
    else if (o->f)
        fclose(o->f);
    out_free(o);
}
