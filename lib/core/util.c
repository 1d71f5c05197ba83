/* Files and paths. */
#define _POSIX_C_SOURCE 200809L
#include "core/util.h"
#include "core/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *clembed__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *clembed__asprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

char *clembed__path_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    int slash = la > 0 && a[la - 1] == '/';
    return clembed__asprintf("%s%s%s", a, slash ? "" : "/", b);
}

int clembed__file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int clembed__dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* fileio.c's errno values as statuses. */
static clembed_status io_status(int err, const char *msg)
{
    clembed_status st = err == ENOENT ? CLEMBED_ERR_NOT_FOUND
                        : err == EFBIG ? CLEMBED_ERR_TOO_LARGE
                        : err == ENOMEM ? CLEMBED_ERR_NOMEM
                                        : CLEMBED_ERR_IO;
    return clembed__fail(st, "%s", msg);
}

clembed_status clembed__read_file(const char *path, size_t max_bytes, char **data, size_t *len)
{
    char msg[4400];
    int err = clembed__fio_read(path, max_bytes, data, len, msg, sizeof msg);
    return err ? io_status(err, msg) : CLEMBED_OK;
}

clembed_status clembed__mkdir_p(const char *path)
{
    char msg[4400];
    int err = clembed__fio_mkdir_p(path, msg, sizeof msg);
    return err ? io_status(err, msg) : CLEMBED_OK;
}

clembed_status clembed__write_file_atomic(const char *path, const void *data, size_t len)
{
    char msg[4400];
    int err = clembed__fio_write_atomic(path, data, len, msg, sizeof msg);
    return err ? io_status(err, msg) : CLEMBED_OK;
}
