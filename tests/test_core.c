/* Status codes, thread-local detail messages, the logger, version. */
#include "core/internal.h"
#include "tap.h"

#include <pthread.h>
#include <string.h>

static void *other_thread(void *arg)
{
    (void)arg;
    clembed__fail(CLEMBED_ERR_IO, "from the other thread");
    return (void *)(strcmp(clembed_errmsg(), "from the other thread") == 0 ? (void *)1 : NULL);
}

static int n_logged;
static char last_msg[256];
static clembed_log_level last_level;

static void capture(clembed_log_level level, const char *msg, void *user)
{
    (void)user;
    n_logged++;
    last_level = level;
    snprintf(last_msg, sizeof last_msg, "%s", msg);
}

int main(void)
{
    /* Every code has its own text, and unknown codes are handled. */
    const clembed_status all[] = {
#define X(name, num, text) CLEMBED_##name,
        CLEMBED_STATUS_LIST(X)
#undef X
    };
    int distinct = 1;
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(all); i++)
        for (size_t j = i + 1; j < CLEMBED_ARRAY_LEN(all); j++)
            if (strcmp(clembed_strerror(all[i]), clembed_strerror(all[j])) == 0 || all[i] == all[j])
                distinct = 0;
    ok(distinct, "%zu status codes have distinct numbers and texts", CLEMBED_ARRAY_LEN(all));
    is_int(CLEMBED_OK, 0, "CLEMBED_OK is 0");
    ok(strcmp(clembed_strerror((clembed_status)9999), "unknown status code") == 0, "unknown code");

    ok(strcmp(clembed_errmsg(), "") == 0, "no detail message before any failure");
    clembed_status rc = clembed__fail(CLEMBED_ERR_FORMAT, "tensor '%s' is %d bytes", "w", 7);
    ok(rc == CLEMBED_ERR_FORMAT && strcmp(clembed_errmsg(), "tensor 'w' is 7 bytes") == 0,
       "clembed__fail records the detail and returns the status");
    clembed__errmsg_prefix("%s", "model.safetensors");
    ok(strcmp(clembed_errmsg(), "model.safetensors: tensor 'w' is 7 bytes") == 0, "prefix adds context");
    pthread_t t;
    void *res = NULL;
    pthread_create(&t, NULL, other_thread, NULL);
    pthread_join(t, &res);
    ok(res != NULL && strcmp(clembed_errmsg(), "model.safetensors: tensor 'w' is 7 bytes") == 0,
       "detail messages are per thread");

    ok(clembed_log_get_level() == CLEMBED_LOG_WARN || getenv("CLEMBED_LOG"), "default level is warn");
    clembed_log_set_callback(capture, NULL);
    clembed_log_set_level(CLEMBED_LOG_INFO);
    clembed__debug("hidden %d", 1);
    ok(n_logged == 0, "messages below the level are dropped");
    clembed__info("shown %d", 2);
    ok(n_logged == 1 && last_level == CLEMBED_LOG_INFO && strcmp(last_msg, "shown 2") == 0,
       "the callback receives level and message");
    clembed_log_set_level(CLEMBED_LOG_NONE);
    clembed__error("nothing");
    ok(n_logged == 1, "level none silences errors too");
    clembed_log_set_callback(NULL, NULL);

    ok(clembed_version() == CLEMBED_VERSION_NUMBER, "runtime version matches the header");
    ok(strcmp(clembed_version_string(), CLEMBED_VERSION_STRING) == 0, "version string");
    return done_testing();
}
