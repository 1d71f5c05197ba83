/* Finding a device's profile: the lookup order, the checks against the device, and the messages
 * (once per process) for profiles that are stale, foreign, corrupt or missing. */
#define _POSIX_C_SOURCE 200809L
#include "profile/priv.h"
#include "core/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_once_t dirs_once = PTHREAD_ONCE_INIT;
static char *dirs[3];

static void resolve_dirs(void)
{
    const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (x && *x == '/')
        dirs[0] = clembed__asprintf("%s/clembed/profiles", x);
    else if (home && *home)
        dirs[0] = clembed__asprintf("%s/.local/share/clembed/profiles", home);
#ifdef CLEMBED_LOCALSTATEDIR
    dirs[1] = clembed__strdup(CLEMBED_LOCALSTATEDIR "/lib/clembed/profiles");
#endif
#ifdef CLEMBED_PKGDATADIR
    dirs[2] = clembed__strdup(CLEMBED_PKGDATADIR "/profiles");
#endif
}

const char *clembed_profile_dir_path(clembed_profile_dir which)
{
    pthread_once(&dirs_once, resolve_dirs);
    return (unsigned)which < 3 ? dirs[which] : NULL;
}

static int is_off(const char *s)
{
    return s && (strcasecmp(s, "off") == 0 || strcmp(s, "0") == 0 || strcasecmp(s, "none") == 0);
}

/* Reads and checks one file.  Returns its state; *out is set for USED and
 * STALE; detail says what is wrong otherwise. */
static clembed_profile_state try_file(const clembed__device *dev, const char *path,
                                      clembed__profile **out, char *detail, size_t cap)
{
    char *data = NULL;
    size_t len = 0;
    *out = NULL;
    detail[0] = '\0';
    clembed_status rc = clembed__read_file(path, CLEMBED_PROFILE_MAX_BYTES, &data, &len);
    if (rc != CLEMBED_OK) {
        snprintf(detail, cap, "%s", clembed_errmsg());
        clembed__errmsg_clear();
        return rc == CLEMBED_ERR_NOT_FOUND ? CLEMBED_PROFILE_NONE : CLEMBED_PROFILE_CORRUPT;
    }
    clembed__profile *p = NULL;
    rc = clembed_profile_parse(data, len, &p);
    free(data);
    if (rc != CLEMBED_OK) {
        const char *m = clembed_errmsg();
        snprintf(detail, cap, "%s", strncmp(m, "profile: ", 9) == 0 ? m + 9 : m);
        clembed__errmsg_clear();
        return CLEMBED_PROFILE_CORRUPT;
    }
    clembed_profile_state st = clembed__profile_match_device(p, dev, detail, cap);
    if (st == CLEMBED_PROFILE_FOREIGN) {
        clembed_profile_free(p);
        return st;
    }
    p->state = st;
    p->max_wg = dev->info.max_work_group_size;
    p->path = clembed__strdup(path);
    *out = p;
    return st;
}

typedef struct lookup {
    clembed_profile_state state;
    clembed__profile *profile;      /* USED or STALE */
    char path[4096];
    char detail[512];
    /* Problems met on the way (a corrupt file in the user directory while
     * the system one is used): reported, not fatal. */
    size_t n_problems;
    struct {
        clembed_profile_state state;
        char path[4096];
        char detail[512];
    } problems[4];
} lookup;

static void note_problem(lookup *lk, clembed_profile_state st, const char *path, const char *detail)
{
    if (lk->n_problems < CLEMBED_ARRAY_LEN(lk->problems)) {
        lk->problems[lk->n_problems].state = st;
        snprintf(lk->problems[lk->n_problems].path, sizeof lk->problems[0].path, "%s", path);
        snprintf(lk->problems[lk->n_problems].detail, sizeof lk->problems[0].detail, "%s", detail);
        lk->n_problems++;
    }
}

/* `explicit_path`: NULL = CLEMBED_PROFILE, then the directories. */
static void find_profile(const clembed__device *dev, const char *explicit_path, lookup *lk)
{
    char name[256], detail[512];
    memset(lk, 0, sizeof *lk);
    lk->state = CLEMBED_PROFILE_NONE;
    if (clembed__profile_file_name(dev, name, sizeof name) != CLEMBED_OK) {
        clembed__errmsg_clear();
        return;
    }
    const char *given = explicit_path;
    if (!given || !*given) {
        given = getenv("CLEMBED_PROFILE");
        if (given && !*given)
            given = NULL;
    }
    if (is_off(given)) {
        lk->state = CLEMBED_PROFILE_OFF;
        return;
    }
    const char *cands[3];
    char *owned = NULL;
    size_t n = 0;
    if (given) {
        if (clembed__dir_exists(given)) {
            owned = clembed__path_join(given, name);
            cands[n++] = owned ? owned : given;
        } else {
            cands[n++] = given;
        }
    } else {
        for (int i = 0; i < 3; i++) {
            const char *dir = clembed_profile_dir_path((clembed_profile_dir)i);
            if (!dir)
                continue;
            char *path = clembed__path_join(dir, name);
            if (path) {
                cands[n++] = path;
            }
        }
    }
    clembed__profile *stale = NULL;
    for (size_t i = 0; i < n; i++) {
        clembed__profile *p = NULL;
        clembed_profile_state st = try_file(dev, cands[i], &p, detail, sizeof detail);
        if (st == CLEMBED_PROFILE_USED) {
            clembed_profile_free(stale);
            stale = NULL;
            lk->state = st;
            lk->profile = p;
            snprintf(lk->path, sizeof lk->path, "%s", cands[i]);
            lk->detail[0] = '\0';
            break;
        }
        if (st == CLEMBED_PROFILE_STALE && !stale) {
            stale = p;
            lk->state = st;
            snprintf(lk->path, sizeof lk->path, "%s", cands[i]);
            snprintf(lk->detail, sizeof lk->detail, "%s", detail);
            continue;
        }
        clembed_profile_free(p);
        if (st == CLEMBED_PROFILE_NONE && !given)
            continue;
        if (st == CLEMBED_PROFILE_NONE) {
            /* An explicit file that is not there is a problem worth saying. */
            st = CLEMBED_PROFILE_CORRUPT;
        }
        note_problem(lk, st, cands[i], detail);
    }
    if (stale) {
        lk->profile = stale;
    } else if (lk->state == CLEMBED_PROFILE_NONE && lk->n_problems) {
        /* Nothing usable: the first problem is the answer. */
        lk->state = lk->problems[0].state;
        snprintf(lk->path, sizeof lk->path, "%s", lk->problems[0].path);
        snprintf(lk->detail, sizeof lk->detail, "%s", lk->problems[0].detail);
    }
    if (!given)
        for (size_t i = 0; i < n; i++)
            free((char *)cands[i]);
    free(owned);
}

clembed_profile_state clembed_device_profile_state(size_t device, const char *path, char *path_out,
                                                   size_t path_cap, char *detail, size_t detail_cap)
{
    if (path_out && path_cap)
        path_out[0] = '\0';
    if (detail && detail_cap)
        detail[0] = '\0';
    const clembed__device *dev = clembed__device_at(device);
    if (!dev)
        return CLEMBED_PROFILE_NONE;
    lookup *lk = malloc(sizeof *lk);
    if (!lk)
        return CLEMBED_PROFILE_NONE;
    /* A query: the caller's last error message stays as it was. */
    char saved[1024];
    snprintf(saved, sizeof saved, "%s", clembed_errmsg());
    find_profile(dev, path, lk);
    clembed_profile_state st = lk->state;
    if (path_out && path_cap)
        snprintf(path_out, path_cap, "%s", lk->path);
    if (detail && detail_cap)
        snprintf(detail, detail_cap, "%s", lk->detail);
    clembed_profile_free(lk->profile);
    free(lk);
    if (*saved)
        clembed__fail(CLEMBED_OK, "%s", saved);
    else
        clembed__errmsg_clear();
    return st;
}

/* Warns about a profile that cannot serve, once per process and file. */
static void report_problem(const clembed__device *dev, clembed_profile_state st, const char *path,
                           const char *detail, int falling_back)
{
    char key[4200];
    snprintf(key, sizeof key, "%d|%zu|%s", (int)st, dev->info.index, path);
    if (!clembed__log_once(key))
        return;
    const char *then = falling_back ? "built-in defaults apply" : "looking further";
    if (st == CLEMBED_PROFILE_FOREIGN)
        clembed__warn("profile %s was measured on other hardware (%s); ignoring it, %s", path, detail,
                      then);
    else
        clembed__warn("profile %s is unusable: %s; ignoring it, %s", path, detail, then);
}

clembed_status clembed__profile_load_for_device(const clembed__device *dev, const char *path,
                                                clembed__profile **out)
{
    *out = NULL;
    if (!dev)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "profile: no device");
    lookup *lk = malloc(sizeof *lk);
    if (!lk)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    find_profile(dev, path, lk);
    int have = lk->profile != NULL;
    for (size_t i = 0; i < lk->n_problems; i++)
        report_problem(dev, lk->problems[i].state, lk->problems[i].path, lk->problems[i].detail,
                       !have && i + 1 == lk->n_problems);
    if (lk->state == CLEMBED_PROFILE_STALE) {
        char key[4200];
        snprintf(key, sizeof key, "stale|%zu|%s", dev->info.index, lk->path);
        if (clembed__log_once(key))
            clembed__warn("profile %s is stale for '%s': %s; its choices are used as a starting "
                          "point; run clembed-tune to measure this stack",
                          lk->path, dev->info.name, lk->detail);
    } else if (lk->state == CLEMBED_PROFILE_NONE) {
        char key[64];
        snprintf(key, sizeof key, "none|%zu", dev->info.index);
        if (clembed__log_once(key))
            clembed__warn("no tuning profile for '%s': built-in defaults apply; run clembed-tune "
                          "once to tune this machine",
                          dev->info.name);
    } else if (lk->state == CLEMBED_PROFILE_USED) {
        clembed__info("profile %s for '%s'", lk->path, dev->info.name);
    }
    *out = lk->profile;
    free(lk);
    if (*out)
        clembed__profile_apply_clblast(*out, dev);
    else if (clembed__profile_clblast_applied(dev, 0)) {
        char key[64];
        snprintf(key, sizeof key, "clblast-stays|%zu", dev->info.index);
        if (clembed__log_once(key))
            clembed__warn("'%s': CLBlast keeps the GEMM parameters an earlier context's profile set in this "
                          "process (it cannot restore its own); compare with the defaults in a separate process",
                          dev->info.name);
    }
    return CLEMBED_OK;
}

clembed_profile_state clembed__profile_state(const clembed__profile *p)
{
    return p ? p->state : CLEMBED_PROFILE_NONE;
}
