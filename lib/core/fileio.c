/* Files (see fileio.h).  No library state: the programs compile this file in too. */
#define _POSIX_C_SOURCE 200809L
#include "core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int say(int err, char *msg, size_t cap, const char *fmt, ...)
{
    if (msg && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, cap, fmt, ap);
        va_end(ap);
    }
    return err;
}

int clembed__fio_read(const char *path, size_t max_bytes, char **data, size_t *len, char *msg,
                      size_t cap)
{
    *data = NULL;
    if (len)
        *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return say(errno, msg, cap, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return say(EISDIR, msg, cap, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > max_bytes) {
        fclose(f);
        return say(EFBIG, msg, cap, "%s: file is %lld bytes, more than the limit of %zu", path,
                   (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return say(ENOMEM, msg, cap, "%s: cannot allocate %zu bytes", path, n + 1);
    }
    size_t got = fread(buf, 1, n, f);
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (got != n || err) {
        free(buf);
        return say(err ? err : EIO, msg, cap, "%s: short read (%zu of %zu bytes)", path, got, n);
    }
    buf[n] = '\0';
    *data = buf;
    if (len)
        *len = n;
    return 0;
}

/* The directory part of path ("." when none) into buf. */
static void dir_of(const char *path, char *buf, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(buf, cap, ".");
    else if (slash == path)
        snprintf(buf, cap, "/");
    else
        snprintf(buf, cap, "%.*s", (int)(slash - path), path);
}

int clembed__fio_write_atomic(const char *path, const void *data, size_t len, char *msg, size_t cap)
{
    size_t tl = strlen(path) + 64;
    char *tmp = malloc(tl);
    if (!tmp)
        return say(ENOMEM, msg, cap, "%s: out of memory", path);
    snprintf(tmp, tl, "%s.tmp.%ld.%lx", path, (long)getpid(), (unsigned long)(uintptr_t)&len);
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        rc = say(errno, msg, cap, "cannot create %s: %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    const char *p = data;
    size_t left = len;
    while (left > 0 && !rc) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = say(w < 0 ? errno : ENOSPC, msg, cap, "cannot write %s: %s", tmp,
                     strerror(w < 0 ? errno : ENOSPC));
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (!rc && fsync(fd) != 0)
        rc = say(errno, msg, cap, "cannot write %s: %s", tmp, strerror(errno));
    if (close(fd) != 0 && !rc)
        rc = say(errno, msg, cap, "cannot write %s: %s", tmp, strerror(errno));
    if (!rc && rename(tmp, path) != 0)
        rc = say(errno, msg, cap, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (rc) {
        unlink(tmp);
    } else {
        /* The rename itself reaches the disk with its directory. */
        char dir[4096];
        dir_of(path, dir, sizeof dir);
        int dfd = open(dir, O_RDONLY);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    free(tmp);
    return rc;
}

int clembed__fio_mkdir_p(const char *path, char *msg, size_t cap)
{
    size_t n = strlen(path);
    char *p = malloc(n + 1);
    if (!p)
        return say(ENOMEM, msg, cap, "%s: out of memory", path);
    memcpy(p, path, n + 1);
    int rc = 0;
    for (char *s = p + 1; n > 0; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                rc = say(errno, msg, cap, "cannot create directory %s: %s", p, strerror(errno));
                break;
            }
            if (c == '\0')
                break;
            *s = c;
        }
    }
    free(p);
    struct stat st;
    if (!rc && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)))
        rc = say(ENOTDIR, msg, cap, "%s is not a directory", path);
    return rc;
}
