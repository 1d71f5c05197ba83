/* A small TAP producer for the test programs (automake's tap-driver reads it). */
#ifndef CLEMBED_TAP_H
#define CLEMBED_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3), unused))
#endif
static int ok(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    if (!cond)
        tap_failed++;
    return cond;
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2), unused))
#endif
static void diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2), unused))
#endif
static void skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("ok %d # SKIP ", ++tap_n);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

/* Skips the whole program: nothing to test here (no device, no model). */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2), noreturn, unused))
#endif
static void skip_all(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("1..0 # SKIP ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    exit(0);
}

#if defined(__GNUC__)
__attribute__((unused))
#endif
static int done_testing(void)
{
    printf("1..%d\n", tap_n);
    fflush(stdout);
    return tap_failed ? 1 : 0;
}

#define is_int(a, b, ...) ok((long long)(a) == (long long)(b), __VA_ARGS__) || \
    (diag("  got %lld, expected %lld", (long long)(a), (long long)(b)), 0)

#endif
