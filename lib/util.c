/* Files and paths. */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

clembed_status clembed__read_file(const char *path, size_t max_bytes, char **data, size_t *len)
{
    *data = NULL;
    if (len)
        *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return clembed__fail(errno == ENOENT ? CLEMBED_ERR_NOT_FOUND : CLEMBED_ERR_IO,
                             "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return clembed__fail(CLEMBED_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > max_bytes) {
        fclose(f);
        return clembed__fail(CLEMBED_ERR_TOO_LARGE, "%s: file is %lld bytes, more than the limit of %zu",
                             path, (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return clembed__fail(CLEMBED_ERR_NOMEM, "%s: cannot allocate %zu bytes", path, n + 1);
    }
    size_t got = fread(buf, 1, n, f);
    int err = ferror(f);
    fclose(f);
    if (got != n || err) {
        free(buf);
        return clembed__fail(CLEMBED_ERR_IO, "%s: short read (%zu of %zu bytes)", path, got, n);
    }
    buf[n] = '\0';
    *data = buf;
    if (len)
        *len = n;
    return CLEMBED_OK;
}

clembed_status clembed__mkdir_p(const char *path)
{
    char *p = clembed__strdup(path);
    if (!p)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                clembed_status rc = clembed__fail(CLEMBED_ERR_IO, "cannot create directory %s: %s", p,
                                                  strerror(errno));
                free(p);
                return rc;
            }
            if (c == '\0')
                break;
            *s = c;
        }
    }
    free(p);
    return clembed__dir_exists(path) ? CLEMBED_OK
                                     : clembed__fail(CLEMBED_ERR_IO, "%s is not a directory", path);
}

clembed_status clembed__write_file_atomic(const char *path, const void *data, size_t len)
{
    char *tmp = clembed__asprintf("%s.tmp.%ld.%lx", path, (long)getpid(), (unsigned long)(uintptr_t)&len);
    if (!tmp)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    clembed_status rc = CLEMBED_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        rc = clembed__fail(CLEMBED_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
        goto done;
    }
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = clembed__fail(CLEMBED_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (close(fd) != 0 && rc == CLEMBED_OK)
        rc = clembed__fail(CLEMBED_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    if (rc == CLEMBED_OK && rename(tmp, path) != 0)
        rc = clembed__fail(CLEMBED_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (rc != CLEMBED_OK)
        unlink(tmp);
done:
    free(tmp);
    return rc;
}
