/* Internal to libclembed: files, paths and hashing. */
#ifndef CLEMBED_UTIL_H
#define CLEMBED_UTIL_H

#include "core/internal.h"

#include <stddef.h>
#include <stdint.h>

/* Reads a whole file into a NUL-terminated buffer (free() it).  Files larger
 * than max_bytes fail with CLEMBED_ERR_TOO_LARGE.  Errors name the path. */
clembed_status clembed__read_file(const char *path, size_t max_bytes, char **data, size_t *len);

/* Writes data to path through a temporary file in the same directory, flushed
 * and renamed (clembed__fio_write_atomic), so readers see the old file or the
 * new one, never a torn one. */
clembed_status clembed__write_file_atomic(const char *path, const void *data, size_t len);

/* mkdir -p; CLEMBED_ERR_IO names the component that failed. */
clembed_status clembed__mkdir_p(const char *path);

/* "a/b" into a malloc'ed string; NULL on out of memory. */
char *clembed__path_join(const char *a, const char *b);
int clembed__file_exists(const char *path);
int clembed__dir_exists(const char *path);

/* 64-bit FNV-1a, streaming: h = clembed__hash64(h, data, len), start with CLEMBED_HASH_INIT. */
#define CLEMBED_HASH_INIT 0xcbf29ce484222325ull
uint64_t clembed__hash64(uint64_t h, const void *data, size_t len);
uint64_t clembed__hash64_str(uint64_t h, const char *s);
/* Final avalanche so that nearby inputs give distant keys. */
uint64_t clembed__hash_finish(uint64_t h);

char *clembed__strdup(const char *s);
/* malloc'ed printf; NULL on out of memory. */
char *clembed__asprintf(const char *fmt, ...) CLEMBED_PRINTF(1, 2);

/* Monotonic wall-clock seconds. */
double clembed__now(void);
/* Timings a statistic below takes at most. */
#define CLEMBED__MAX_SAMPLES 41
/* Sorts v and returns its median (0 for n == 0). */
double clembed__median(double *v, size_t n);
/* Timings far above the median of sorted v: beyond median + 4 * 1.4826 * MAD
 * and 10% above the median (0 when n is below 3 or above CLEMBED__MAX_SAMPLES). */
unsigned clembed__outliers(const double *sorted, size_t n, double median);

#endif
