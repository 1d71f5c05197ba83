/* The malformed model corpus (tests/data/model/malformed, written by tools/gen_malformed.py):
 * every case gives the status MANIFEST.tsv expects, with a message that names the file and says
 * what is wrong; the valid base opens. */
#include "clembed.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int status_of(const char *name)
{
    static const struct {
        const char    *name;
        clembed_status st;
    } map[] = {
        {"OK", CLEMBED_OK},
        {"FORMAT", CLEMBED_ERR_FORMAT},
        {"UNSUPPORTED", CLEMBED_ERR_UNSUPPORTED},
        {"NOT_FOUND", CLEMBED_ERR_NOT_FOUND},
        {"TOO_LARGE", CLEMBED_ERR_TOO_LARGE},
        {"IO", CLEMBED_ERR_IO},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].name, name) == 0)
            return (int)map[i].st;
    return -1;
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char base[2048], line[4096];
    snprintf(base, sizeof base, "%s/tests/data/model/malformed", top ? top : ".");
    char manifest[2200];
    snprintf(manifest, sizeof manifest, "%s/MANIFEST.tsv", base);
    FILE *f = fopen(manifest, "r");
    if (!f) {
        printf("not ok 1 - cannot open %s\n1..1\n", manifest);
        return 1;
    }
    clembed_log_set_level(CLEMBED_LOG_NONE);
    clembed_model_params prm;
    clembed_model_params_init(&prm);
    prm.load_tokenizer = 0;
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *fields[4] = {NULL, NULL, NULL, NULL};
        char *p = line;
        for (int i = 0; i < 4; i++) {
            fields[i] = p;
            p = p ? strchr(p, '\t') : NULL;
            if (p)
                *p++ = '\0';
        }
        if (!fields[3]) {
            ok(0, "manifest line for '%s' has four fields", fields[0]);
            continue;
        }
        const char *name = fields[0], *file = fields[2], *sub = fields[3];
        int want = status_of(fields[1]);
        char dir[2400], named[2600];
        snprintf(dir, sizeof dir, "%s/%s", base, name);
        snprintf(named, sizeof named, "%s%s%s", dir, file[0] ? "/" : ":", file);
        clembed_model *m = (clembed_model *)&cases;   /* must be reset to NULL on failure */
        clembed_status rc = clembed_model_open(dir, &prm, &m);
        char *msg = dupstr(clembed_errmsg());
        cases++;
        if (want == CLEMBED_OK) {
            char *desc = NULL;
            ok(rc == CLEMBED_OK && m && clembed_model_describe_json(m, &desc) == CLEMBED_OK &&
               clembed_model_dim(m) == 3 && clembed_model_max_tokens(m) == 6,
               "%s opens (3 dimensions, 6 tokens)", name);
            if (rc != CLEMBED_OK)
                diag("  %s: %s", clembed_strerror(rc), msg);
            free(desc);
            clembed_model_free(m);
        } else {
            int good = (int)rc == want && m == NULL && msg && strstr(msg, named) && strstr(msg, sub);
            ok(good, "%s: %s naming %s: \"%s\"", name, fields[1], file[0] ? file : "the directory", sub);
            if (!good)
                diag("  got %s (%d): %s", clembed_strerror(rc), (int)rc, msg ? msg : "");
            if (rc == CLEMBED_OK)
                clembed_model_free(m);
        }
        free(msg);
    }
    fclose(f);
    ok(cases >= 41, "the corpus has %d cases (at least 40 malformed ones)", cases);
    return done_testing();
}
