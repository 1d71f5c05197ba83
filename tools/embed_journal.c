/* clembed embed: the journal beside a partial output, and the model directory's hash
 * (see embed.h).  The journal is a few "key value" lines, replaced atomically. */
#define _POSIX_C_SOURCE 200809L
#include "embed.h"
#include "core/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAGIC "clembed-journal 1"

static size_t ekeys_format(char *buf, size_t cap, const char *magic, const ekey *keys, size_t n, int end)
{
    size_t used = (size_t)snprintf(buf, cap, "%s\n", magic);
    for (size_t i = 0; i < n && used < cap; i++) {
        if (keys[i].num)
            used += (size_t)snprintf(buf + used, cap - used, keys[i].hex ? "%s %016" PRIx64 "\n" : "%s %" PRIu64 "\n",
                                     keys[i].name, *keys[i].num);
        else
            used += (size_t)snprintf(buf + used, cap - used, "%s %s\n", keys[i].name, keys[i].str);
    }
    if (end && used < cap)
        used += (size_t)snprintf(buf + used, cap - used, "end\n");
    return used < cap ? used : 0;
}

size_t ekeys_write(const char *path, const char *magic, const ekey *keys, size_t n, int end)
{
    char buf[4096], msg[512];
    size_t len = ekeys_format(buf, sizeof buf, magic, keys, n, end);
    if (!len) {
        fprintf(stderr, "%s: the settings are too long for the journal\n", eprog);
        return 0;
    }
    if (clembed__fio_write_atomic(path, buf, len, msg, sizeof msg) != 0) {
        fprintf(stderr, "%s: journal: %s\n", eprog, msg);
        return 0;
    }
    return len;
}

int ekeys_load(const char *path, size_t max, char **data, size_t *len)
{
    char msg[512];
    *data = NULL;
    *len = 0;
    int err = clembed__fio_read(path, max, data, len, msg, sizeof msg);
    if (err == ENOENT)
        return 0;
    if (err) {
        fprintf(stderr, "%s: --resume: %s\n", eprog, msg);
        return -1;
    }
    return 1;
}

size_t ekeys_parse(char *data, const char *magic, const ekey *keys, size_t n, int end)
{
    size_t ml = strlen(magic);
    if (strncmp(data, magic, ml) || data[ml] != '\n')
        return 0;
    uint64_t seen = 0;
    char *line = data + ml + 1;
    while (*line) {
        char *nl = strchr(line, '\n');
        if (!nl)
            break;          /* a torn last line is none */
        *nl = '\0';
        if (end && !strcmp(line, "end")) {
            line = nl + 1;
            end = 0;
            break;
        }
        char *sp = strchr(line, ' ');
        size_t k = 0;
        for (; sp && k < n; k++)
            if ((size_t)(sp - line) == strlen(keys[k].name) && !strncmp(line, keys[k].name, (size_t)(sp - line)))
                break;
        if (!sp || k == n)
            return 0;
        if (keys[k].num) {
            char *e;
            errno = 0;
            *keys[k].num = strtoull(sp + 1, &e, keys[k].hex ? 16 : 10);
            if (*e || errno || !sp[1])
                return 0;
        } else {
            snprintf(keys[k].str, keys[k].str_cap, "%s", sp + 1);
        }
        seen |= (uint64_t)1 << k;
        line = nl + 1;
    }
    return !end && seen == ((uint64_t)1 << n) - 1 ? (size_t)(line - data) : 0;
}

/* The journal's keys, bound to j. */
#define JOURNAL_KEYS(j)                                                                        \
    {                                                                                          \
        {"settings", NULL, (j)->settings, sizeof (j)->settings, 0},                            \
        {"model", &(j)->model_hash, NULL, 0, 1}, {"window_bytes", &(j)->window_bytes, NULL, 0, 0}, \
        {"in_offset", &(j)->in_offset, NULL, 0, 0}, {"in_hash", &(j)->in_hash, NULL, 0, 1},        \
        {"lines_done", &(j)->lines_done, NULL, 0, 0}, {"rows_done", &(j)->rows_done, NULL, 0, 0},  \
        {"skipped", &(j)->skipped, NULL, 0, 0}, {"dim", &(j)->dim, NULL, 0, 0},                    \
        {"out_bytes", &(j)->out_bytes, NULL, 0, 0}, {"out_hash", &(j)->out_hash, NULL, 0, 1},      \
    }

int ejournal_write(const char *path, const ejournal *j)
{
    ejournal copy = *j;
    const ekey keys[] = JOURNAL_KEYS(&copy);
    return ekeys_write(path, MAGIC, keys, sizeof keys / sizeof keys[0], 0) != 0;
}

int ejournal_read(const char *path, ejournal *j)
{
    char *data;
    size_t len;
    int got = ekeys_load(path, 1 << 16, &data, &len);
    if (got <= 0)
        return got;
    memset(j, 0, sizeof *j);
    const ekey keys[] = JOURNAL_KEYS(j);
    size_t n = sizeof keys / sizeof keys[0];
    int other = !strncmp(data, "clembed-mpi-journal", 19);
    int good = ekeys_parse(data, MAGIC, keys, n, 0) == len && len > 0;
    free(data);
    if (!good) {
        if (other)
            fprintf(stderr, "%s: --resume: %s is the journal of a clembed-mpi job: resume it with "
                            "clembed-mpi\n", eprog, path);
        else
            fprintf(stderr, "%s: --resume: %s is not a journal clembed wrote (or is damaged); "
                            "remove it and the partial output to start over\n", eprog, path);
        return -1;
    }
    return 1;
}

/* The value of key in "k=v;k=v" (a pointer into s and its length), or NULL. */
static const char *setting(const char *s, const char *key, size_t *len)
{
    size_t kl = strlen(key);
    for (const char *p = s; p && *p;) {
        const char *semi = strchr(p, ';');
        const char *eq = memchr(p, '=', semi ? (size_t)(semi - p) : strlen(p));
        if (eq && (size_t)(eq - p) == kl && !strncmp(p, key, kl)) {
            *len = semi ? (size_t)(semi - eq - 1) : strlen(eq + 1);
            return eq + 1;
        }
        p = semi ? semi + 1 : NULL;
    }
    return NULL;
}

int ejournal_settings_diff(const char *now, const char *then, const char *then_name, char *buf, size_t cap)
{
    size_t used = 0;
    int n = 0;
    buf[0] = '\0';
    for (const char *p = now; p && *p;) {
        const char *semi = strchr(p, ';');
        const char *eq = strchr(p, '=');
        if (!eq)
            break;
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - p), p);
        size_t nl = semi ? (size_t)(semi - eq - 1) : strlen(eq + 1), tl = 0;
        const char *tv = setting(then, key, &tl);
        if (!tv || tl != nl || strncmp(tv, eq + 1, nl)) {
            if (used < cap)
                used += (size_t)snprintf(buf + used, cap - used, "%s%s '%.*s' (%s: '%.*s')",
                                         n ? ", " : "", key, (int)nl, eq + 1, then_name,
                                         tv ? (int)tl : 6, tv ? tv : "absent");
            n++;
        }
        p = semi ? semi + 1 : NULL;
    }
    return n;
}

/* ---- model hash ------------------------------------------------------------ */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Hashes the regular files of dir (and of its subfolders when depth > 0) in name order:
 * each file's relative name, size and contents. */
static int hash_dir(ehash *h, const char *dir, const char *rel, int depth)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "%s: %s: %s\n", eprog, dir, strerror(errno));
        return 0;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int good = 1;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? 2 * cap : 32) * sizeof *nn);
            if (!nn) {
                good = 0;
                break;
            }
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name))) {
            good = 0;
            break;
        }
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; good && i < n; i++) {
        size_t pl = strlen(dir) + strlen(names[i]) + 2, rl = strlen(rel) + strlen(names[i]) + 2;
        char *path = malloc(pl), *r = malloc(rl);
        struct stat st;
        if (!path || !r) {
            good = 0;
        } else {
            snprintf(path, pl, "%s/%s", dir, names[i]);
            snprintf(r, rl, "%s%s%s", rel, *rel ? "/" : "", names[i]);
            if (stat(path, &st) != 0) {
                good = 0;
            } else if (S_ISDIR(st.st_mode)) {
                if (depth > 0)
                    good = hash_dir(h, path, r, depth - 1);
            } else if (S_ISREG(st.st_mode)) {
                uint64_t size = (uint64_t)st.st_size;
                ehash_add(h, r, strlen(r) + 1);
                ehash_add(h, &size, sizeof size);
                FILE *f = fopen(path, "rb");
                good = f && ehash_file_range(h, f, 0, size);
                if (f)
                    fclose(f);
                if (!good)
                    fprintf(stderr, "%s: reading %s: %s\n", eprog, path, strerror(errno));
            }
        }
        free(path);
        free(r);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return good;
}

int emodel_hash(const char *dir, uint64_t *out)
{
    ehash h;
    ehash_init(&h);
    if (!hash_dir(&h, dir, "", 1))
        return 0;
    *out = ehash_value(&h);
    return 1;
}
