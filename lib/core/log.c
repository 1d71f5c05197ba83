/* The logger: levels, a callback, CLEMBED_LOG from the environment. */
#include "core/internal.h"
#include "core/util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static _Atomic int level = CLEMBED_LOG_WARN;
static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;
static clembed_log_fn callback;
static void *callback_user;

static const char *const level_names[] = {"debug", "info", "warn", "error", "none"};

static void read_env(void)
{
    const char *v = getenv("CLEMBED_LOG");
    if (!v || !*v)
        return;
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(level_names); i++)
        if (strcasecmp(v, level_names[i]) == 0) {
            level = (int)i;
            return;
        }
    if (strcasecmp(v, "warning") == 0)
        return;
    fprintf(stderr, "clembed: warn: CLEMBED_LOG='%s' is not one of debug, info, warn, error, none; "
                    "using warn\n", v);
}

void clembed_log_set_callback(clembed_log_fn fn, void *user)
{
    pthread_mutex_lock(&cb_lock);
    callback = fn;
    callback_user = user;
    pthread_mutex_unlock(&cb_lock);
}

void clembed_log_set_level(clembed_log_level lvl)
{
    pthread_once(&env_once, read_env);
    if (lvl >= CLEMBED_LOG_DEBUG && lvl <= CLEMBED_LOG_NONE)
        level = lvl;
}

clembed_log_level clembed_log_get_level(void)
{
    pthread_once(&env_once, read_env);
    return (clembed_log_level)level;
}

int clembed__log_enabled(clembed_log_level lvl)
{
    return lvl >= clembed_log_get_level() && lvl < CLEMBED_LOG_NONE;
}

void clembed__log(clembed_log_level lvl, const char *fmt, ...)
{
    if (!clembed__log_enabled(lvl))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&cb_lock);
    if (callback)
        callback(lvl, msg, callback_user);
    else
        fprintf(stderr, "clembed: %s: %s\n", level_names[lvl], msg);
    pthread_mutex_unlock(&cb_lock);
}

static pthread_mutex_t said_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t said[64];
static size_t n_said;

int clembed__log_once(const char *key)
{
    uint64_t h = clembed__hash_finish(clembed__hash64_str(CLEMBED_HASH_INIT, key));
    int first = 1;
    pthread_mutex_lock(&said_lock);
    for (size_t i = 0; i < n_said && first; i++)
        first = said[i] != h;
    if (first && n_said < CLEMBED_ARRAY_LEN(said))
        said[n_said++] = h;
    pthread_mutex_unlock(&said_lock);
    return first;
}
