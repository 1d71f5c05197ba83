/* Internal to libclembed: shared helpers for errors and logging.  Not installed. */
#ifndef CLEMBED_INTERNAL_H
#define CLEMBED_INTERNAL_H

#include "clembed.h"

#include <stdarg.h>

#if defined(__GNUC__)
#define CLEMBED_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLEMBED_PRINTF(f, a)
#endif

#define CLEMBED_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Records a detail message for clembed_errmsg() and returns `status`, so that
 * callers can write `return clembed__fail(CLEMBED_ERR_FORMAT, "...", ...);`. */
clembed_status clembed__fail(clembed_status status, const char *fmt, ...) CLEMBED_PRINTF(2, 3);
/* Prepends "prefix: " to the current detail message (adds context on the way up). */
void clembed__errmsg_prefix(const char *fmt, ...) CLEMBED_PRINTF(1, 2);
void clembed__errmsg_clear(void);

void clembed__log(clembed_log_level level, const char *fmt, ...) CLEMBED_PRINTF(2, 3);
int clembed__log_enabled(clembed_log_level level);
/* 1 the first time `key` is seen in this process, for messages said once;
 * it remembers 64 keys, and keys seen after that always count as new. */
int clembed__log_once(const char *key);

#define clembed__debug(...) clembed__log(CLEMBED_LOG_DEBUG, __VA_ARGS__)
#define clembed__info(...)  clembed__log(CLEMBED_LOG_INFO, __VA_ARGS__)
#define clembed__warn(...)  clembed__log(CLEMBED_LOG_WARN, __VA_ARGS__)
#define clembed__error(...) clembed__log(CLEMBED_LOG_ERROR, __VA_ARGS__)

#endif
