/* Finding a device's profile: the lookup order, the checks against the device, and the messages
 * (once per process) for profiles that are stale, foreign, corrupt or missing. */
#define _POSIX_C_SOURCE 200809L
#include "profile/priv.h"
#include "core/util.h"

#include <dirent.h>
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
 * STALE; detail says what is wrong otherwise.  `level`: the level the file is
 * looked up for; a file of another level is FOREIGN for it. */
static clembed_profile_state try_file(const clembed__device *dev, const char *path, clembed_profile_level level,
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
    clembed_profile_state st;
    if (clembed__profile_level(p) != level) {
        snprintf(detail, cap, "a %s profile, not a %s one", clembed_profile_level_name(clembed__profile_level(p)),
                 clembed_profile_level_name(level));
        st = CLEMBED_PROFILE_FOREIGN;
    } else {
        st = clembed__profile_match_device(p, dev, detail, cap);
    }
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

#define MAX_CLASSES 3

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
    /* Profiles of the device's classes, most specific first. */
    size_t n_classes;
    struct {
        clembed_profile_level level;
        char key[64];
        clembed__profile *profile;
    } classes[MAX_CLASSES];
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

/* The directories looked in: the one given, else the user's, the system's and the shipped. */
static size_t search_dirs(const char *given_dir, const char *out[3])
{
    size_t n = 0;
    if (given_dir) {
        out[n++] = given_dir;
        return n;
    }
    for (int i = 0; i < 3; i++)
        if (clembed_profile_dir_path((clembed_profile_dir)i))
            out[n++] = clembed_profile_dir_path((clembed_profile_dir)i);
    return n;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Profile files of a directory in name order, class profiles and run files left out; at most
 * `cap` of them.  Each name is to be freed. */
static size_t list_profiles(const char *dir, const char *skip, char **names, size_t cap)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && n < cap && (e = readdir(d)) != NULL) {
        const char *f = e->d_name;
        size_t len = strlen(f);
        if (len < 6 || strcmp(f + len - 5, ".json") != 0 || f[0] == '.' || strcmp(f, skip) == 0)
            continue;
        int class_file = 0;
        for (int i = 1; i < 4; i++) {
            size_t k = strlen(clembed__level_names[i]);
            class_file |= strncmp(f, clembed__level_names[i], k) == 0 && f[k] == '-';
        }
        if (!class_file && (names[n] = clembed__strdup(f)) != NULL)
            n++;
    }
    if (d)
        closedir(d);
    qsort(names, n, sizeof *names, by_name);
    return n;
}

/* Profiles in a directory under other names (written before file names left out the
 * driver's part of a device name, or copied in by hand) that are this hardware's: the
 * first that matches fully, else the first stale one. */
static void scan_dir(const clembed__device *dev, const char *dir, const char *tried, lookup *lk,
                     clembed__profile **stale)
{
    char *names[256], detail[512];
    size_t n = list_profiles(dir, tried, names, CLEMBED_ARRAY_LEN(names));
    for (size_t i = 0; i < n; i++) {
        char *path = lk->state == CLEMBED_PROFILE_USED ? NULL : clembed__path_join(dir, names[i]);
        clembed__profile *p = NULL;
        clembed_profile_state st = path ? try_file(dev, path, CLEMBED_PROFILE_LEVEL_DEVICE, &p, detail,
                                                   sizeof detail)
                                        : CLEMBED_PROFILE_NONE;
        if (st == CLEMBED_PROFILE_USED) {
            clembed_profile_free(*stale);
            *stale = NULL;
            lk->state = st;
            lk->profile = p;
            snprintf(lk->path, sizeof lk->path, "%s", path);
            lk->detail[0] = '\0';
        } else if (st == CLEMBED_PROFILE_STALE && !*stale) {
            *stale = p;
            lk->state = st;
            snprintf(lk->path, sizeof lk->path, "%s", path);
            snprintf(lk->detail, sizeof lk->detail, "%s", detail);
        } else {
            clembed_profile_free(p);   /* another device's, or not a profile: not ours to judge */
        }
        free(path);
        free(names[i]);
    }
}

/* The profiles of dev's classes (architecture, family, vendor and type) in `dirs`. */
static void find_classes(const clembed__device *dev, const char *const *look, size_t n_look, lookup *lk)
{
    char detail[512];
    for (int level = CLEMBED_PROFILE_LEVEL_ARCHITECTURE; level <= CLEMBED_PROFILE_LEVEL_VENDOR; level++) {
        char key[64], file[128];
        clembed__class_key((clembed_profile_level)level, dev->split.arch, dev->split.family, dev->info.vendor_id,
                           dev->info.type == CLEMBED_DEVICE_GPU   ? "gpu"
                           : dev->info.type == CLEMBED_DEVICE_CPU ? "cpu"
                           : dev->info.type == CLEMBED_DEVICE_ACCELERATOR ? "accelerator" : "other",
                           key, sizeof key);
        if (!key[0])
            continue;
        snprintf(file, sizeof file, "%s-%s.json", clembed_profile_level_name((clembed_profile_level)level), key);
        for (size_t i = 0; i < n_look && lk->n_classes < MAX_CLASSES; i++) {
            char *path = clembed__path_join(look[i], file);
            clembed__profile *p = NULL;
            clembed_profile_state st =
                path ? try_file(dev, path, (clembed_profile_level)level, &p, detail, sizeof detail) : CLEMBED_PROFILE_NONE;
            if (p) {
                lk->classes[lk->n_classes].level = (clembed_profile_level)level;
                snprintf(lk->classes[lk->n_classes].key, sizeof lk->classes[0].key, "%s", key);
                lk->classes[lk->n_classes++].profile = p;
                free(path);
                break;
            }
            if (st != CLEMBED_PROFILE_NONE)
                note_problem(lk, st, path, detail);
            free(path);
        }
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
    const char *given_dir = given && clembed__dir_exists(given) ? given : NULL;
    const char *look[3];
    size_t n_dirs = search_dirs(given_dir, look);
    clembed__profile *stale = NULL;
    if (given && !given_dir) {
        /* One file, as given. */
        clembed__profile *p = NULL;
        clembed_profile_state st = try_file(dev, given, CLEMBED_PROFILE_LEVEL_DEVICE, &p, detail, sizeof detail);
        if (p) {
            lk->state = st;
            lk->profile = p;
            snprintf(lk->path, sizeof lk->path, "%s", given);
            snprintf(lk->detail, sizeof lk->detail, "%s", st == CLEMBED_PROFILE_STALE ? detail : "");
        } else {
            /* An explicit file that is not there is a problem worth saying. */
            note_problem(lk, st == CLEMBED_PROFILE_NONE ? CLEMBED_PROFILE_CORRUPT : st, given, detail);
        }
        n_dirs = search_dirs(NULL, look);
    } else {
        for (size_t i = 0; i < n_dirs && lk->state != CLEMBED_PROFILE_USED; i++) {
            char *path = clembed__path_join(look[i], name);
            clembed__profile *p = NULL;
            clembed_profile_state st =
                path ? try_file(dev, path, CLEMBED_PROFILE_LEVEL_DEVICE, &p, detail, sizeof detail) : CLEMBED_PROFILE_NONE;
            if (st == CLEMBED_PROFILE_USED) {
                clembed_profile_free(stale);
                stale = NULL;
                lk->state = st;
                lk->profile = p;
                snprintf(lk->path, sizeof lk->path, "%s", path);
                lk->detail[0] = '\0';
            } else if (st == CLEMBED_PROFILE_STALE && !stale) {
                stale = p;
                lk->state = st;
                snprintf(lk->path, sizeof lk->path, "%s", path);
                snprintf(lk->detail, sizeof lk->detail, "%s", detail);
            } else {
                clembed_profile_free(p);
                if (st != CLEMBED_PROFILE_NONE && st != CLEMBED_PROFILE_STALE)
                    note_problem(lk, st, path, detail);
            }
            free(path);
            if (lk->state != CLEMBED_PROFILE_USED)
                scan_dir(dev, look[i], name, lk, &stale);
        }
        if (stale && lk->state == CLEMBED_PROFILE_USED)
            clembed_profile_free(stale);
        else if (stale)
            lk->profile = stale;
    }
    if (!lk->profile && lk->n_problems) {
        /* Nothing usable: the first problem is the answer. */
        lk->state = lk->problems[0].state;
        snprintf(lk->path, sizeof lk->path, "%s", lk->problems[0].path);
        snprintf(lk->detail, sizeof lk->detail, "%s", lk->problems[0].detail);
    }
    find_classes(dev, look, n_dirs, lk);
}

static void lookup_clear(lookup *lk)
{
    clembed_profile_free(lk->profile);
    for (size_t i = 0; i < lk->n_classes; i++)
        clembed_profile_free(lk->classes[i].profile);
    lk->profile = NULL;
    lk->n_classes = 0;
}

static size_t count_ops(const clembed__profile *p)
{
    clembed__profile *empty = calloc(1, sizeof *empty);
    size_t ops = 0;
    if (empty && clembed__profile_fill(empty, p, &ops, NULL) != CLEMBED_OK) {
        clembed__errmsg_clear();
        ops = 0;
    }
    clembed_profile_free(empty);
    return ops;
}

/* The device's profile with its classes' filling what it lacks, and the sources in it; NULL when
 * nothing serves.  Takes the profiles out of lk. */
static clembed__profile *combine(const clembed__device *dev, lookup *lk)
{
    clembed__profile *p = lk->profile;
    lk->profile = NULL;
    if (!p && lk->n_classes && clembed__profile_new(dev, &p) == CLEMBED_OK) {
        p->state = CLEMBED_PROFILE_NONE;
        p->max_wg = dev->info.max_work_group_size;
    }
    if (!p) {
        clembed__errmsg_clear();
        return NULL;
    }
    p->sources = calloc(1 + lk->n_classes, sizeof *p->sources);
    if (p->sources && p->state != CLEMBED_PROFILE_NONE) {
        clembed_profile_source *s = &p->sources[p->n_sources++];
        s->level = CLEMBED_PROFILE_LEVEL_DEVICE;
        s->state = p->state;
        snprintf(s->path, sizeof s->path, "%s", lk->path);
        s->ops = count_ops(p);
        s->clblast_sets = clembed__profile_clblast_count(p);
    }
    for (size_t i = 0; i < lk->n_classes; i++) {
        size_t ops = 0, sets = 0;
        if (clembed__profile_fill(p, lk->classes[i].profile, &ops, &sets) != CLEMBED_OK) {
            clembed__errmsg_clear();
            continue;
        }
        if (p->sources && (ops || sets)) {
            clembed_profile_source *s = &p->sources[p->n_sources++];
            s->level = lk->classes[i].level;
            s->state = CLEMBED_PROFILE_USED;
            snprintf(s->key, sizeof s->key, "%s", lk->classes[i].key);
            snprintf(s->path, sizeof s->path, "%s", clembed__profile_path(lk->classes[i].profile));
            s->ops = ops;
            s->clblast_sets = sets;
        }
    }
    if (p->state == CLEMBED_PROFILE_NONE && p->n_sources == 0) {
        clembed_profile_free(p);
        return NULL;
    }
    return p;
}

/* A query: the caller's last error message stays as it was. */
typedef struct saved_msg {
    char text[1024];
} saved_msg;

static void save_msg(saved_msg *m)
{
    snprintf(m->text, sizeof m->text, "%s", clembed_errmsg());
}

static void restore_msg(const saved_msg *m)
{
    if (*m->text)
        clembed__fail(CLEMBED_OK, "%s", m->text);
    else
        clembed__errmsg_clear();
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
    saved_msg saved;
    save_msg(&saved);
    find_profile(dev, path, lk);
    clembed_profile_state st = lk->state;
    if (path_out && path_cap)
        snprintf(path_out, path_cap, "%s", lk->path);
    if (detail && detail_cap)
        snprintf(detail, detail_cap, "%s", lk->detail);
    lookup_clear(lk);
    free(lk);
    restore_msg(&saved);
    return st;
}

size_t clembed_device_profile_sources(size_t device, const char *path, clembed_profile_source *out, size_t cap)
{
    const clembed__device *dev = clembed__device_at(device);
    lookup *lk = dev ? malloc(sizeof *lk) : NULL;
    if (!lk)
        return 0;
    saved_msg saved;
    save_msg(&saved);
    find_profile(dev, path, lk);
    clembed__profile *p = combine(dev, lk);
    lookup_clear(lk);
    free(lk);
    size_t n = p ? p->n_sources : 0;
    for (size_t i = 0; i < n && i < cap && out; i++)
        out[i] = p->sources[i];
    clembed_profile_free(p);
    restore_msg(&saved);
    return n;
}

clembed__profile *clembed__profile_find_own(const clembed__device *dev, const char *path)
{
    lookup *lk = dev ? malloc(sizeof *lk) : NULL;
    if (!lk)
        return NULL;
    saved_msg saved;
    save_msg(&saved);
    find_profile(dev, path, lk);
    clembed__profile *p = lk->profile;
    lk->profile = NULL;
    lookup_clear(lk);
    free(lk);
    restore_msg(&saved);
    return p;
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

/* "; the architecture profile gfx1151 fills 3 ops" for the class levels that served. */
static void classes_said(const clembed__profile *p, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; p && i < p->n_sources && used < cap; i++) {
        const clembed_profile_source *s = &p->sources[i];
        if (s->level != CLEMBED_PROFILE_LEVEL_DEVICE)
            used += (size_t)snprintf(buf + used, cap - used, "; the %s profile %s (%s) fills %zu op%s",
                                     clembed_profile_level_name(s->level), s->key, s->path, s->ops,
                                     s->ops == 1 ? "" : "s");
    }
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
    int have = lk->profile != NULL || lk->n_classes > 0;
    for (size_t i = 0; i < lk->n_problems; i++)
        report_problem(dev, lk->problems[i].state, lk->problems[i].path, lk->problems[i].detail,
                       !have && i + 1 == lk->n_problems);
    clembed_profile_state state = lk->state;
    char where[4096], why[512];
    snprintf(where, sizeof where, "%s", lk->path);
    snprintf(why, sizeof why, "%s", lk->detail);
    *out = combine(dev, lk);
    lookup_clear(lk);
    free(lk);
    char classes[2048];
    classes_said(*out, classes, sizeof classes);
    if (state == CLEMBED_PROFILE_STALE) {
        char key[4200];
        snprintf(key, sizeof key, "stale|%zu|%s", dev->info.index, where);
        if (clembed__log_once(key))
            clembed__warn("profile %s is stale for '%s': %s; its choices are used as a starting "
                          "point%s; run clembed-tune to measure this stack",
                          where, dev->info.name, why, classes);
    } else if (state == CLEMBED_PROFILE_NONE) {
        char key[64];
        snprintf(key, sizeof key, "none|%zu", dev->info.index);
        if (clembed__log_once(key))
            clembed__warn("no tuning profile for '%s'%s%s; run clembed-tune once to tune this machine",
                          dev->info.name, *out ? classes : ": built-in defaults apply",
                          *out ? ", built-in defaults the rest" : "");
    } else if (state == CLEMBED_PROFILE_USED) {
        clembed__info("profile %s for '%s'%s", where, dev->info.name, classes);
    }
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
