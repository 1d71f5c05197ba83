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

int ejournal_write(const char *path, const ejournal *j)
{
    char buf[4096], msg[512];
    int len = snprintf(buf, sizeof buf,
                       MAGIC "\n"
                       "settings %s\n"
                       "model %016" PRIx64 "\n"
                       "window_bytes %" PRIu64 "\n"
                       "in_offset %" PRIu64 "\n"
                       "in_hash %016" PRIx64 "\n"
                       "lines_done %" PRIu64 "\n"
                       "rows_done %" PRIu64 "\n"
                       "skipped %" PRIu64 "\n"
                       "dim %" PRIu64 "\n"
                       "out_bytes %" PRIu64 "\n"
                       "out_hash %016" PRIx64 "\n",
                       j->settings, j->model_hash, j->window_bytes, j->in_offset, j->in_hash,
                       j->lines_done, j->rows_done, j->skipped, j->dim, j->out_bytes, j->out_hash);
    if (len < 0 || (size_t)len >= sizeof buf) {
        fprintf(stderr, "clembed embed: the settings are too long for the journal\n");
        return 0;
    }
    if (clembed__fio_write_atomic(path, buf, (size_t)len, msg, sizeof msg) != 0) {
        fprintf(stderr, "clembed embed: journal: %s\n", msg);
        return 0;
    }
    return 1;
}

int ejournal_read(const char *path, ejournal *j)
{
    char *data = NULL, msg[512];
    size_t len = 0;
    int err = clembed__fio_read(path, 1 << 16, &data, &len, msg, sizeof msg);
    if (err == ENOENT)
        return 0;
    if (err) {
        fprintf(stderr, "clembed embed: --resume: %s\n", msg);
        return -1;
    }
    memset(j, 0, sizeof *j);
    unsigned seen = 0;
    int good = !strncmp(data, MAGIC "\n", strlen(MAGIC) + 1);
    static const char *const keys[] = {"settings", "model", "window_bytes", "in_offset", "in_hash",
                                       "lines_done", "rows_done", "skipped", "dim", "out_bytes",
                                       "out_hash"};
    uint64_t *nums[] = {NULL, &j->model_hash, &j->window_bytes, &j->in_offset, &j->in_hash,
                        &j->lines_done, &j->rows_done, &j->skipped, &j->dim, &j->out_bytes,
                        &j->out_hash};
    for (char *line = good ? strchr(data, '\n') + 1 : NULL; good && line && *line;) {
        char *end = strchr(line, '\n');
        if (!end)
            break;
        *end = '\0';
        char *sp = strchr(line, ' ');
        size_t k = 0;
        for (; sp && k < sizeof keys / sizeof keys[0]; k++)
            if ((size_t)(sp - line) == strlen(keys[k]) && !strncmp(line, keys[k], (size_t)(sp - line)))
                break;
        if (!sp || k == sizeof keys / sizeof keys[0]) {
            good = 0;
            break;
        }
        if (k == 0) {
            snprintf(j->settings, sizeof j->settings, "%s", sp + 1);
        } else {
            int hex = k == 1 || k == 4 || k == 10;
            char *e;
            errno = 0;
            *nums[k] = strtoull(sp + 1, &e, hex ? 16 : 10);
            good = !*e && !errno && sp[1];
        }
        seen |= 1u << k;
        line = end + 1;
    }
    free(data);
    if (!good || seen != (1u << (sizeof keys / sizeof keys[0])) - 1) {
        fprintf(stderr, "clembed embed: --resume: %s is not a journal clembed wrote (or is damaged); "
                        "remove it and the partial output to start over\n", path);
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

int ejournal_settings_diff(const char *now, const char *then, char *buf, size_t cap)
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
                used += (size_t)snprintf(buf + used, cap - used, "%s%s '%.*s' (journal: '%.*s')",
                                         n ? ", " : "", key, (int)nl, eq + 1, tv ? (int)tl : 6,
                                         tv ? tv : "absent");
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
        fprintf(stderr, "clembed embed: %s: %s\n", dir, strerror(errno));
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
                    fprintf(stderr, "clembed embed: reading %s: %s\n", path, strerror(errno));
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
