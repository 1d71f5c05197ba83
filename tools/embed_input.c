/* clembed embed and clembed-mpi: the streaming hash, input lines read and classified one at
 * a time with a bounded buffer, and windows found and counted by byte offset (see embed.h). */
#define _POSIX_C_SOURCE 200809L
#include "embed.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *eprog = "clembed embed";

double enow(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- hash ------------------------------------------------------------------ */

static uint64_t mix(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 31);
}

static uint64_t le64(const unsigned char *b)
{
    uint64_t w = 0;
    for (int i = 7; i >= 0; i--)
        w = w << 8 | b[i];
    return w;
}

void ehash_init(ehash *h)
{
    memset(h, 0, sizeof *h);
    h->h = 0x243F6A8885A308D3ull;
}

void ehash_add(ehash *h, const void *p, size_t n)
{
    const unsigned char *s = p;
    h->n += n;
    while (n && h->nbuf) {
        h->buf[h->nbuf++] = *s++;
        n--;
        if (h->nbuf == 8) {
            h->h = mix(h->h, le64(h->buf));
            h->nbuf = 0;
        }
    }
    for (; n >= 8; s += 8, n -= 8)
        h->h = mix(h->h, le64(s));
    memcpy(h->buf, s, n);
    h->nbuf = (unsigned)n;
}

uint64_t ehash_value(const ehash *h)
{
    unsigned char tail[8] = {0};
    memcpy(tail, h->buf, h->nbuf);
    uint64_t v = mix(mix(h->h, le64(tail)), h->n);
    return mix(v, v >> 17);
}

int ehash_file_range(ehash *h, FILE *f, uint64_t from, uint64_t to)
{
    if (fseeko(f, (off_t)from, SEEK_SET) != 0)
        return 0;
    static char buf[1 << 16];
    while (from < to) {
        size_t want = to - from < sizeof buf ? (size_t)(to - from) : sizeof buf;
        size_t got = fread(buf, 1, want, f);
        if (got == 0)
            return 0;
        ehash_add(h, buf, got);
        from += got;
    }
    return 1;
}

/* ---- reading lines --------------------------------------------------------- */

#define RBUF (1u << 20)

int ein_open(ein *in, FILE *f, const char *name, int jsonl, size_t max_line, uint64_t start,
             uint64_t first_lineno)
{
    memset(in, 0, sizeof *in);
    in->f = f;
    in->name = name;
    in->jsonl = jsonl;
    in->max_line = max_line;
    in->off = in->fpos = start;
    in->stop = UINT64_MAX;
    in->lineno = first_lineno;
    ehash_init(&in->hash);
    in->rbuf = malloc(RBUF);
    return in->rbuf != NULL;
}

void ein_close(ein *in)
{
    free(in->rbuf);
    free(in->line);
    in->rbuf = in->line = NULL;
}

/* Offset of the first byte that is not well-formed UTF-8 (overlong forms,
 * surrogates and code points past U+10FFFF included), or -1. */
static long bad_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 0;
        if (n == 0 || i + n >= len)
            return (long)i;   /* a stray continuation byte, or cut short */
        unsigned cp = c & (0x3fu >> n);
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return (long)i;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return (long)i;
        i += n + 1;
    }
    return -1;
}

void ehead(const char *str, size_t len, int valid, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)str;
    const size_t keep = 40;
    size_t o = 0, i = 0;
    while (i < len && i < keep && o + 8 < cap) {
        unsigned c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out[o++] = (char)c;
            i++;
        } else if (valid && c >= 0xc0) {
            size_t n = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
            if (i + n > len || o + n + 4 >= cap)
                break;
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        } else {
            o += (size_t)snprintf(out + o, cap - o, c == '"' ? "\\\"" : c == '\\' ? "\\\\" : "\\x%02x", c);
            i++;
        }
    }
    out[o] = '\0';
    if (i < len && o + 4 < cap)
        memcpy(out + o, "...", 4);
}

/* Whether a line makes an output row, from its length without "\n" and a "\r" before it:
 * JSON lines input makes none of an empty line; every other line makes one (a bad line's
 * row holds zeros with --on-error skip).  Counting (ewindow_scan) and reading agree on it. */
static int makes_row(int jsonl, size_t content_len)
{
    return !jsonl || content_len > 0;
}

/* Whether a JSON text holds the escape \u0000 in a string (backslashes appear only
 * in strings, so pairs are skipped without tracking quotes). */
static int json_has_nul(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] != '\\')
            continue;
        if (s[i + 1] == 'u' && i + 5 < len && !memcmp(s + i + 2, "0000", 4))
            return 1;
        i++;
    }
    return 0;
}

static void classify(ein *in, eline *l, char *s, size_t len, int over)
{
    l->row = 1;
    if (over) {
        ehead(s, len, 0, l->head, sizeof l->head);
        snprintf(l->why, sizeof l->why, "the line is longer than %zu bytes (--max-line-bytes)", in->max_line);
        return;
    }
    if (len && s[len - 1] == '\n')
        s[--len] = '\0';
    if (len && s[len - 1] == '\r')
        s[--len] = '\0';
    long bad = bad_utf8((const unsigned char *)s, len);
    const char *nul = memchr(s, '\0', len);
    ehead(s, len, bad < 0 && !nul, l->head, sizeof l->head);
    if (nul) {
        snprintf(l->why, sizeof l->why, "the line holds a NUL byte (at byte %zu)", (size_t)(nul - s) + 1);
        return;
    }
    if (bad >= 0) {
        snprintf(l->why, sizeof l->why, "invalid UTF-8 at byte %ld of the line", bad + 1);
        return;
    }
    if (!in->jsonl) {
        if (!(l->text = malloc(len + 1)))
            snprintf(l->why, sizeof l->why, "out of memory for a line of %zu bytes", len);
        else
            memcpy(l->text, s, len + 1);
        return;
    }
    if (!makes_row(1, len)) {
        l->row = 0;
        return;
    }
    cJSON *j = cJSON_ParseWithLength(s, len);
    const cJSON *v = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "text") : j;
    if (!cJSON_IsString(v))
        snprintf(l->why, sizeof l->why, "expected a JSON string or an object with a \"text\" string");
    else if (json_has_nul(s, len))
        /* cJSON's strings end at a NUL: refused as a NUL byte in text input is, never cut. */
        snprintf(l->why, sizeof l->why, "the line holds a NUL character (\\u0000)");
    else if (!(l->text = strdup(v->valuestring)))
        snprintf(l->why, sizeof l->why, "out of memory for a line of %zu bytes", len);
    cJSON_Delete(j);
}

int ein_next(ein *in, eline *l)
{
    memset(l, 0, sizeof *l);
    l->before = in->hash;
    size_t len = 0, kept = 0;
    int over = 0, any = 0;
    l->start = in->off;
    for (;;) {
        if (in->rpos == in->rlen) {
            if (in->eof)
                break;
            size_t want = in->stop - in->fpos < RBUF ? (size_t)(in->stop - in->fpos) : RBUF;
            in->rlen = want ? fread(in->rbuf, 1, want, in->f) : 0;
            in->rpos = 0;
            in->fpos += in->rlen;
            if (in->rlen == 0) {
                if (want && ferror(in->f)) {
                    fprintf(stderr, "%s: reading %s: %s\n", eprog, in->name, strerror(errno));
                    return -1;
                }
                in->eof = 1;
                break;
            }
        }
        any = 1;
        const char *p = in->rbuf + in->rpos;
        size_t avail = in->rlen - in->rpos;
        const char *nl = memchr(p, '\n', avail);
        size_t take = nl ? (size_t)(nl - p) + 1 : avail;
        ehash_add(&in->hash, p, take);
        in->off += take;
        in->rpos += take;
        /* Keep at most max_line bytes (and its newline): longer lines are bad, not held. */
        size_t room = in->max_line + 2 > kept ? in->max_line + 2 - kept : 0;
        size_t keep = take < room ? take : room;
        if (keep) {
            if (kept + keep + 1 > in->cap) {
                size_t cap = in->cap ? in->cap : 4096;
                while (cap < kept + keep + 1)
                    cap *= 2;
                char *nb = realloc(in->line, cap);
                if (!nb) {
                    fprintf(stderr, "%s: %s:%llu: out of memory reading a line\n", eprog, in->name,
                            (unsigned long long)in->lineno + 1);
                    return -1;
                }
                in->line = nb;
                in->cap = cap;
            }
            memcpy(in->line + kept, p, keep);
            kept += keep;
        }
        len += take;
        if (nl)
            break;
    }
    if (!any && len == 0)
        return 0;
    in->lineno++;
    l->lineno = in->lineno;
    if (kept < len) {
        over = 1;
    } else {
        size_t c = kept;
        if (c && in->line[c - 1] == '\n')
            c--;
        if (c && in->line[c - 1] == '\r')
            c--;
        over = c > in->max_line;
    }
    in->line[kept] = '\0';
    classify(in, l, in->line, kept, over);
    if (in->cap > ((size_t)16 << 20)) {
        /* A huge line does not keep its buffer for the rest of the run. */
        free(in->line);
        in->line = NULL;
        in->cap = 0;
    }
    return 1;
}

/* ---- windows --------------------------------------------------------------- */

uint64_t ewindow_count(uint64_t size, uint64_t window_bytes)
{
    return size ? (size - 1) / window_bytes + 1 : 0;
}

int ewindow_scan(FILE *f, const char *name, int jsonl, uint64_t window_bytes, uint64_t k, ewindow *w)
{
    char *buf = malloc(RBUF);
    uint64_t lo = k * window_bytes, hi = lo + window_bytes;
    memset(w, 0, sizeof *w);
    ehash h;
    ehash_init(&h);
    /* The first line that begins at or after lo: past the newline at or after lo - 1. */
    uint64_t pos = lo ? lo - 1 : 0;
    int found = lo == 0, in_line = 0;
    size_t line_len = 0;    /* bytes of the current line so far, newline excluded */
    int last_cr = 0;
    errno = 0;
    if (!buf || fseeko(f, (off_t)pos, SEEK_SET) != 0)
        goto fail;
    w->start = w->end = pos;
    for (;;) {
        size_t got = fread(buf, 1, RBUF, f);
        if (got == 0) {
            if (ferror(f))
                goto fail;
            break;
        }
        size_t i = 0;
        if (!found) {
            const char *nl = memchr(buf, '\n', got);
            if (!nl) {
                pos += got;
                w->start = w->end = pos;
                continue;
            }
            i = (size_t)(nl - buf) + 1;
            pos += i;
            w->start = w->end = pos;
            found = 1;
        }
        while (i < got) {
            if (!in_line) {
                if (pos >= hi)
                    goto done;      /* the first line of the next window */
                in_line = 1;
                line_len = 0;
                last_cr = 0;
            }
            const char *nl = memchr(buf + i, '\n', got - i);
            size_t take = nl ? (size_t)(nl - (buf + i)) + 1 : got - i;
            size_t content = nl ? take - 1 : take;
            if (content) {
                line_len += content;
                last_cr = buf[i + content - 1] == '\r';
            }
            ehash_add(&h, buf + i, take);
            pos += take;
            i += take;
            w->end = pos;
            if (nl) {
                in_line = 0;
                w->lines++;
                w->rows += makes_row(jsonl, line_len - (size_t)last_cr);
            }
        }
    }
    if (in_line) {          /* the last line, without a newline */
        w->lines++;
        w->rows += makes_row(jsonl, line_len - (size_t)last_cr);
    }
done:
    w->hash = ehash_value(&h);
    free(buf);
    return 1;
fail:
    fprintf(stderr, "%s: reading %s: %s\n", eprog, name, errno ? strerror(errno) : "read error");
    free(buf);
    return 0;
}
