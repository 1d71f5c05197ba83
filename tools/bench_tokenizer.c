/* bench-tokenizer: single-threaded tokenizer throughput and the memory a
 * loaded tokenizer takes.  tools/bench_tokenizer.py runs it next to the
 * Hugging Face library on the same corpus.
 *
 * usage: bench-tokenizer TOKENIZER_JSON CORPUS_JSONL [SECONDS]
 * Prints one JSON line: bytes, texts, tokens, seconds, mb_per_s, rss_kb,
 * peak_kb (resident memory added by loading the tokenizer: kept once loaded,
 * and at the peak of loading, when the JSON parse tree is alive). */
#define _POSIX_C_SOURCE 200809L
#include "clembed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl))
            v = strtol(line + kl + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A JSON string literal (the corpus format) into a malloc'ed UTF-8 string. */
static char *unjson(const char *s, size_t *out_len)
{
    size_t n = strlen(s);
    char *o = malloc(n + 1), *w = o;
    if (!o || *s != '"')
        return o ? (free(o), NULL) : NULL;
    for (s++; *s && *s != '"'; s++) {
        if (*s != '\\') {
            *w++ = *s;
            continue;
        }
        s++;
        switch (*s) {
        case 'n': *w++ = '\n'; break;
        case 't': *w++ = '\t'; break;
        case 'r': *w++ = '\r'; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'u': {
            unsigned long c = strtoul((char[5]){s[1], s[2], s[3], s[4], 0}, NULL, 16);
            s += 4;
            if (c >= 0xD800 && c < 0xDC00 && s[1] == '\\' && s[2] == 'u') {
                unsigned long lo = strtoul((char[5]){s[3], s[4], s[5], s[6], 0}, NULL, 16);
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                s += 6;
            }
            if (c < 0x80) {
                *w++ = (char)c;
            } else if (c < 0x800) {
                *w++ = (char)(0xC0 | (c >> 6));
                *w++ = (char)(0x80 | (c & 0x3F));
            } else if (c < 0x10000) {
                *w++ = (char)(0xE0 | (c >> 12));
                *w++ = (char)(0x80 | ((c >> 6) & 0x3F));
                *w++ = (char)(0x80 | (c & 0x3F));
            } else {
                *w++ = (char)(0xF0 | (c >> 18));
                *w++ = (char)(0x80 | ((c >> 12) & 0x3F));
                *w++ = (char)(0x80 | ((c >> 6) & 0x3F));
                *w++ = (char)(0x80 | (c & 0x3F));
            }
            break;
        }
        default: *w++ = *s;
        }
    }
    *w = 0;
    *out_len = (size_t)(w - o);
    return o;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench-tokenizer TOKENIZER_JSON CORPUS_JSONL [SECONDS]\n");
        return 2;
    }
    double min_s = argc > 3 ? atof(argv[3]) : 3.0;
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    char **texts = NULL;
    size_t *lens = NULL, n = 0, cap = 0, bytes = 0;
    char *line = NULL;
    size_t lcap = 0;
    while (getline(&line, &lcap, f) > 0) {
        size_t l;
        char *t = unjson(line, &l);
        if (!t)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            texts = realloc(texts, cap * sizeof *texts);
            lens = realloc(lens, cap * sizeof *lens);
        }
        texts[n] = t;
        lens[n++] = l;
        bytes += l;
    }
    free(line);
    fclose(f);

    long rss0 = status_kb("VmRSS:"), hwm0 = status_kb("VmHWM:");
    clembed_tokenizer *tok = NULL;
    clembed_status rc = clembed_tokenizer_open(argv[1], &tok);
    if (rc != CLEMBED_OK) {
        fprintf(stderr, "%s: %s\n", clembed_strerror(rc), clembed_errmsg());
        return 1;
    }
    long hwm1 = status_kb("VmHWM:");
#ifdef __GLIBC__
    /* return the freed JSON parse tree, so that RSS shows what the tokenizer keeps */
    malloc_trim(0);
#endif
    long rss1 = status_kb("VmRSS:");

    clembed_encode_params p;
    clembed_encode_params_init(&p);
    p.truncation = 0;
    p.padding = 0;
    p.replace_invalid_utf8 = 1;
    size_t tokens = 0, rounds = 0;
    double t0 = now(), t1;
    do {
        for (size_t i = 0; i < n; i++) {
            clembed_encoding *e = NULL;
            rc = clembed_tokenizer_encode(tok, texts[i], lens[i], NULL, 0, &p, &e);
            if (rc != CLEMBED_OK) {
                fprintf(stderr, "text %zu: %s\n", i, clembed_errmsg());
                return 1;
            }
            tokens += e->n;
            clembed_encoding_free(e);
        }
        rounds++;
        t1 = now();
    } while (t1 - t0 < min_s);
    double secs = t1 - t0;
    printf("{\"bytes\":%zu,\"texts\":%zu,\"rounds\":%zu,\"tokens\":%zu,\"seconds\":%.4f,\"mb_per_s\":%.3f,"
           "\"rss_kb\":%ld,\"peak_kb\":%ld}\n",
           bytes, n, rounds, tokens, secs, (double)bytes * rounds / secs / 1e6, rss1 - rss0,
           (hwm1 > hwm0 ? hwm1 : hwm0) - rss0);
    clembed_tokenizer_free(tok);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    free(lens);
    return 0;
}
