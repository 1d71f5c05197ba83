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
 *  5. clembed-mpi (mpi.h) is one more consumer of the same windows: a rank reads window k
 *     alone (ewindow_scan finds its bytes, ein's `stop` ends the reader there), cuts it
 *     into the same units with the same feeder (efeed_unit) and embeds them with the same
 *     code (eunits_embed), so its batches, and therefore its bytes, are clembed embed's.
 *     Only where the rows go, and its journal, differ.
 */
#ifndef CLEMBED_TOOLS_EMBED_H
#define CLEMBED_TOOLS_EMBED_H

#include "clembed.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Defaults: windows of 2 MiB of input (some 25,000 lines of ordinary text), embedded in
 * units of at most 8192 texts; lines of at most 128 MiB.  Decimal, for the help text. */
#define EWINDOW_BYTES 2097152
#define EMAX_LINE_BYTES 134217728
#define EMAX_TEXTS 8192
/* Vectors a unit may hold: units shrink for very wide models. */
#define EUNIT_FLOATS ((size_t)16 << 20)
#define EMAX_THREADS 64

/* The start of every message: "clembed embed", or "clembed-mpi: rank 3: chunk 17". */
extern const char *eprog;

double enow(void);          /* seconds, monotonic */

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
    uint64_t stop;          /* the input ends here for this reader (UINT64_MAX: at EOF) */
    uint64_t fpos;          /* offset of the end of what is in rbuf */
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

/* Reads from f starting at offset `start` (the caller has positioned f there) to its end,
 * or to in->stop when the caller sets it (a line boundary).  The hash covers what is read
 * from then on. */
int ein_open(ein *in, FILE *f, const char *name, int jsonl, size_t max_line, uint64_t start,
             uint64_t first_lineno);
void ein_close(ein *in);
/* The next line: 1, 0 at the end, -1 on a read error (message printed). */
int ein_next(ein *in, eline *l);

/* Window k of the input: the lines whose first byte lies in [k * wb, (k + 1) * wb). */
typedef struct ewindow {
    uint64_t start, end;    /* their bytes: [start, end) (start == end: none) */
    uint64_t lines, rows;   /* lines, and the output rows they make */
    uint64_t hash;          /* of bytes [start, end) */
} ewindow;

/* Number of windows of an input of `size` bytes. */
uint64_t ewindow_count(uint64_t size, uint64_t window_bytes);
/* Finds window k of f as any reader would (seeks to k * wb - 1, skips past the next
 * newline), counts its lines and rows and hashes its bytes, reading nothing before it.
 * 0 and a message on a read error. */
int ewindow_scan(FILE *f, const char *name, int jsonl, uint64_t window_bytes, uint64_t k,
                 ewindow *w);

/* ---- options, settings and units (embed_opts.c, embed_unit.c) --------------- */

enum { EPROG_EMBED = 1, EPROG_MPI = 2 };

typedef struct eopts {
    const char *model_dir, *input, *output, *format, *dataset;
    int jsonl_in, verbose, resume, skip, ids, threads;
    uint64_t window_bytes, max_line;
    clembed_context_params cp;
    const char *devices[EMAX_THREADS]; /* clembed-mpi: -d once per node-local rank */
    int n_devices;
    unsigned progress;      /* clembed-mpi: seconds between progress lines (0: none) */
} eopts;

/* The option lines of `clembed embed --help` (prog EPROG_EMBED) or of clembed-mpi's. */
void eopts_usage(FILE *f, int prog);
/* Parses argv (argv[0] is the subcommand).  -1: go on; 0: --help was printed; 2: a usage
 * error, printed to err (unless NULL) as "NAME: ..." followed by usage(err). */
int eopts_parse(int argc, char **argv, eopts *o, int prog, const char *name, FILE *err,
                void (*usage)(FILE *));
/* OUT_* of a --format name, -1 for none. */
int eformat(const char *name);
/* "key=value;..." of everything that changes the output's bytes (the journal compares it):
 * the options, the device(s) ("platform / name / driver") and the version. */
void esettings(const eopts *o, int fmt, const char *device, char *buf, size_t cap);
/* A progress bar on stderr: `done` of `total` (bytes, texts), texts embedded since t0. */
void eprogress(uint64_t done, uint64_t total, uint64_t texts, double t0, int final);

/* The texts of one window, or of part of it, and their vectors. */
typedef struct unit {
    size_t n, cap;          /* rows */
    char **texts;           /* NULL: a skipped line (zero vector) */
    uint64_t *lines;        /* input line of each row */
    char **late;            /* skip mode: why the library refused a text ("" none) */
    float *vec;
    clembed_embed_info *info;
    uint64_t first_line, last_line;
    int closes;             /* the last unit of its window: after it, a checkpoint */
    uint64_t next_off, lines_after;
    ehash hash_after;       /* the input's hash up to next_off */
    clembed_status rc;      /* a failure the run cannot skip */
    char msg[768];
} unit;

/* What a run has done, for its summary. */
typedef struct estats {
    uint64_t texts, tokens, truncated, skipped;
    uint64_t *skipped_lines;    /* as many as memory allowed */
    size_t n_skipped_listed;
} estats;

/* Units never hold more texts than this for vectors of dim floats. */
size_t emax_texts(size_t dim);
int unit_alloc(unit *u, size_t cap, size_t dim);
void unit_clear(unit *u);
void unit_free(unit *u);
/* Embeds units[0..k) at once, one context (and thread) each; skip: --on-error skip.  With
 * idle, every unit runs in a thread of its own and idle(arg) is called from this one about
 * every millisecond until all are done. */
void eunits_embed(clembed_context *const *ctx, unit *units, int k, size_t dim, int skip,
                  void (*idle)(void *), void *arg);
/* After eunits_embed: 0 and a message naming the unit's lines when it failed; else lists
 * the texts the library refused (skip mode) and counts the unit into st. */
int eunit_account(unit *u, const char *in_name, estats *st);
void estats_free(estats *st);

/* Cuts the lines of a reader into units, a window at a time. */
typedef struct efeed {
    ein *rd;
    uint64_t window_bytes;
    int skip;
    eline pend;             /* a line read ahead: the first of the next window */
    int have_pend, cur_any, at_end;
    uint64_t cur_window;
} efeed;

void efeed_init(efeed *f, ein *rd, uint64_t window_bytes, int skip);
void efeed_free(efeed *f);
/* Fills the empty unit u with up to max texts, never past its window's end: 1 when done
 * (u->closes when u ends its window or the input; f->at_end at the input's end), -1 on a
 * read error or a bad line with --on-error fail (the message printed). */
int efeed_unit(efeed *f, unit *u, size_t max, estats *st);

/* ---- output --------------------------------------------------------------- */

/* The .npy header is always this long, so the final row count fits in place. */
#define ENPY_HEADER 128
void enpy_header(char *buf, uint64_t rows, size_t dim);
/* n floats as little-endian float32, the order of every binary output. */
void ele32(const float *v, size_t n, unsigned char *out);
/* a then b in a new string (FILE.partial, NAME_ids), or NULL when out of memory. */
char *esuffixed(const char *a, const char *b);
/* fsync of the directory holding path, so that a rename there is durable. */
void esync_dir(const char *path);

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

/* A journal's header, for both programs: a magic line, then one "key value" line per key
 * (a number, in hex where asked, or a string), ended by the data or by a line "end". */
typedef struct ekey {
    const char *name;
    uint64_t *num;          /* a number, or */
    char *str;              /* a string of str_cap bytes */
    size_t str_cap;
    int hex;
} ekey;

/* Writes the header to path atomically: its length, or 0 and a message when it is too long
 * (4 KiB) or cannot be written. */
size_t ekeys_write(const char *path, const char *magic, const ekey *keys, size_t n, int end);
/* Reads path (at most max bytes) into *data (NUL-terminated, the caller frees it) and *len:
 * 1, 0 when absent, -1 and a message when unreadable. */
int ekeys_load(const char *path, size_t max, char **data, size_t *len);
/* Reads the header of data (NUL-terminated; its newlines become NULs): the offset past it,
 * or 0 when the magic, a key or a value is wrong, a key is missing, or (end) the line "end"
 * is. */
size_t ekeys_parse(char *data, const char *magic, const ekey *keys, size_t n, int end);

/* Writes j to path atomically; 0 and a message on failure. */
int ejournal_write(const char *path, const ejournal *j);
/* Reads path: 1, 0 when absent, -1 and a message when unreadable or malformed. */
int ejournal_read(const char *path, ejournal *j);
/* What differs between two settings strings, as "format 'npy' (journal: 'f32'), ..." in
 * buf (`then_name` instead of "journal"); 0 when they agree. */
int ejournal_settings_diff(const char *now, const char *then, const char *then_name, char *buf, size_t cap);

/* Hash of a model directory's files (names, sizes and contents; subfolders one level
 * deep): what --resume compares.  0 and a message when unreadable. */
int emodel_hash(const char *dir, uint64_t *out);

#endif
