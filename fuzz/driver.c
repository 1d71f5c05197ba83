/* Runs a libFuzzer target over files and directories without libFuzzer, as a TAP test:
 * every corpus input must be handled without a crash (ASan/UBSan catch the rest). */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int n;

static void run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("not ok %d - %s: cannot open\n", ++n, path);
        return;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
    size_t got = buf ? fread(buf, 1, (size_t)len, f) : 0;
    fclose(f);
    LLVMFuzzerTestOneInput(buf, got);
    free(buf);
    printf("ok %d - %s\n", ++n, path);
    fflush(stdout);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        printf("not ok %d - %s: missing\n", ++n, path);
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(path);
        return;
    }
    DIR *d = opendir(path);
    struct dirent *e;
    char **names = NULL;
    size_t k = 0;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (k + 1) * sizeof *names);
        size_t l = strlen(path) + strlen(e->d_name) + 2;
        names[k] = malloc(l);
        snprintf(names[k], l, "%s/%s", path, e->d_name);
        k++;
    }
    if (d)
        closedir(d);
    qsort(names, k, sizeof *names, by_name);
    for (size_t i = 0; i < k; i++) {
        run_path(names[i]);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
#ifdef FUZZ_CORPUS
    /* Under make check: the target's corpus in the source tree. */
    if (argc < 2) {
        const char *top = getenv("top_srcdir");
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", top ? top : ".", FUZZ_CORPUS);
        run_path(path);
    }
#endif
    for (int i = 1; i < argc; i++)
        run_path(argv[i]);
    printf("1..%d\n", n);
    return 0;
}
