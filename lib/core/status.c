/* Status codes and the thread-local detail message. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#define ERRMSG_CAP 2048

static _Thread_local char errmsg[ERRMSG_CAP];

const char *clembed_strerror(clembed_status status)
{
    switch (status) {
#define X(name, num, text) case CLEMBED_##name: return text;
        CLEMBED_STATUS_LIST(X)
#undef X
    }
    return "unknown status code";
}

const char *clembed_errmsg(void)
{
    return errmsg;
}

void clembed__errmsg_clear(void)
{
    errmsg[0] = '\0';
}

clembed_status clembed__fail(clembed_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    va_end(ap);
    return status;
}

void clembed__errmsg_prefix(const char *fmt, ...)
{
    char prefix[512], old[ERRMSG_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, errmsg, sizeof old);
    size_t n = strlen(prefix);
    if (n + 2 >= sizeof errmsg)
        n = sizeof errmsg - 3;
    memcpy(errmsg, prefix, n);
    memcpy(errmsg + n, ": ", 2);
    size_t room = sizeof errmsg - n - 3;
    size_t m = strlen(old);
    if (m > room)
        m = room;
    memcpy(errmsg + n + 2, old, m);
    errmsg[n + 2 + m] = '\0';
}
