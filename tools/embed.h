/* Internal to the clembed command: the parts of `clembed embed` that read a corpus in
 * windows, write vectors through FILE.partial and keep the journal that --resume reads.
 *
 * The protocol, in one place (cmd_embed.c drives it):
 *  1. The input is cut into windows by byte ranges: a line belongs to window
 *     floor(offset of its first byte / window_bytes).  Another process finds window k by
 *     seeking to k * window_bytes - 1 and skipping past the next newline; it never reads
 *     what comes before.  A window is read, sorted and batched (in units of at most
 *     max_texts texts, cut the same way whoever reads it), embedded and written in input
 *     order before the next one counts as done.
 *  2. Output to a file goes to FILE.partial.  After each window the writer makes its rows
 *     durable (fflush, fdatasync), then FILE.journal is replaced atomically: input offset
 *     and hash of the input up to there, model and settings hashes, rows and lines done,
 *     output bytes and their hash.  The journal therefore never claims more than the
 *     partial file holds; rows past it are cut off on --resume.
 *  3. When the last window is written the writer finishes the file (the .npy header with
 *     the final row count, HDF5 attributes), syncs it and renames FILE.partial to FILE,
 *     then removes the journal.  FILE exists only when whole.
 *  4. --resume checks the journal against the input (hash of its done part), the model
 *     (hash of its files) and the settings, and the partial file against the journal's
 *     output hash; any difference is refused with what differs.  It then cuts the
 *     partial file to the journal's size and goes on from the journal's input offset, so
 *     the result is byte for byte the uninterrupted run's.
 */
#ifndef CLEMBED_TOOLS_EMBED_H
#define CLEMBED_TOOLS_EMBED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- a streaming 64-bit hash (not cryptographic: it detects accidents) ---- */

typedef struct ehash {
    uint64_t h, n;
    unsigned char buf[8];
    unsigned nbuf;
} ehash;

void ehash_init(ehash *h);
void ehash_add(ehash *h, const void *p, size_t n);
uint64_t ehash_value(const ehash *h);
/* Hashes bytes [from, to) of an open file into h; 0 on a short or failed read. */
int ehash_file_range(ehash *h, FILE *f, uint64_t from, uint64_t to);

/* ---- input ---------------------------------------------------------------- */

typedef struct ein {
    FILE *f;
    const char *name;
    int jsonl;
    size_t max_line;        /* longer lines are bad lines, never held whole */
    char *rbuf;             /* read buffer */
    size_t rpos, rlen;
    int eof;
    uint64_t off;           /* offset of the next unread line */
    uint64_t lineno;        /* lines read */
    ehash hash;             /* of bytes [start, off) */
    char *line;             /* the current line */
    size_t cap;
} ein;

/* One line, classified. */
typedef struct eline {
    uint64_t start;         /* offset of its first byte */
    uint64_t lineno;        /* 1-based */
    char *text;             /* malloc'ed text to embed, NULL for a bad line or no row */
    int row;                /* 1: it makes an output row (JSON lines: empty lines make none) */
    char why[160];          /* "" or why the line is bad */
    char head[96];          /* the line's first characters, escaped, for messages */
    ehash before;           /* the input's hash up to the line's first byte */
} eline;

/* The first characters of a text for messages: printable text as it is (whole UTF-8
 * characters when valid), other bytes as \xNN, "..." when cut. */
void ehead(const char *s, size_t len, int valid, char *out, size_t cap);

/* Reads from f starting at offset `start` (the caller has positioned f there).  The hash
 * covers what is read from then on. */
int ein_open(ein *in, FILE *f, const char *name, int jsonl, size_t max_line, uint64_t start,
             uint64_t first_lineno);
void ein_close(ein *in);
/* The next line: 1, 0 at the end, -1 on a read error (message printed). */
int ein_next(ein *in, eline *l);

/* ---- output --------------------------------------------------------------- */

enum { OUT_JSONL, OUT_NPY, OUT_F32, OUT_H5 };

typedef struct eout_params {
    int format;
    const char *path;       /* NULL or "-": standard output (not for npy's final header, h5) */
    const char *dataset;    /* h5: dataset name ("embeddings") */
    int append;             /* h5: the file exists and receives another dataset */
    int ids;                /* h5: also a dataset of input line numbers */
    /* h5 attributes */
    const char *model_name, *model_path, *normalize, *version;
    int normalized;
} eout_params;

typedef struct eout eout;

/* Creates FILE.partial (or opens it to resume with `rows`, `bytes` and `hash` from the
 * journal: checked, then cut to that size).  Messages go to stderr; NULL on failure. */
eout *eout_open(const eout_params *p, int resume, uint64_t rows, uint64_t bytes, uint64_t hash);
/* The vector dimension, once the model is open; 0 on failure (a resumed file of another). */
int eout_start(eout *o, size_t dim, int normalized);
/* Appends n rows (row-major n x dim), ids[i] their input lines (may be NULL when not
 * asked for).  `first` is the row index of the first (the stream writers check it; a
 * writer that places rows by offset, as a parallel one would, uses it). */
int eout_rows(eout *o, uint64_t first, const float *v, const uint64_t *ids, size_t n);
/* Makes what is written durable; *bytes and *hash describe it for the journal. */
int eout_sync(eout *o, uint64_t *bytes, uint64_t *hash);
/* Finishes, syncs and renames FILE.partial to FILE; frees o.  0 on failure (o freed). */
int eout_finish(eout *o, uint64_t rows);
/* Closes and frees, leaving FILE.partial for --resume. */
void eout_abort(eout *o);
/* The name a message should use for the file being written. */
const char *eout_name(const eout *o);

/* ---- HDF5 (embed_h5.c, only when configure found libhdf5) ---------------- */

typedef struct eh5 eh5;
/* Opens path (creating it, or an existing file with append) for dataset `name`, written
 * as name + ".partial" and renamed inside the file on finish; to resume, checks the
 * dataset's first `rows` rows against `hash`.  NULL and a message on failure. */
eh5 *eh5_open(const char *path, int append, const char *name, int ids, int resume, uint64_t rows,
              uint64_t hash);
int eh5_start(eh5 *h, size_t dim, const eout_params *attrs);
int eh5_rows(eh5 *h, uint64_t first, const float *v, const uint64_t *ids, size_t n, size_t dim);
int eh5_flush(eh5 *h);
int eh5_finish(eh5 *h, uint64_t rows);
void eh5_close(eh5 *h);

/* ---- journal -------------------------------------------------------------- */

typedef struct ejournal {
    char settings[2048];    /* "key=value;..." of everything that changes the bytes */
    uint64_t model_hash;
    uint64_t window_bytes;
    uint64_t in_offset, in_hash, lines_done;
    uint64_t rows_done, out_bytes, out_hash, skipped;
    uint64_t dim;
} ejournal;

/* Writes j to path atomically; 0 and a message on failure. */
int ejournal_write(const char *path, const ejournal *j);
/* Reads path: 1, 0 when absent, -1 and a message when unreadable or malformed. */
int ejournal_read(const char *path, ejournal *j);
/* What differs between two settings strings, as "format npy (journal: f32), ..." in buf;
 * 0 when they agree. */
int ejournal_settings_diff(const char *now, const char *then, char *buf, size_t cap);

/* Hash of a model directory's files (names, sizes and contents; subfolders one level
 * deep): what --resume compares.  0 and a message when unreadable. */
int emodel_hash(const char *dir, uint64_t *out);

#endif
