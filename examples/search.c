/* Semantic search: embeds a file of texts once, then answers each query with
 * the nearest texts by cosine similarity.
 *
 *   search MODEL_DIR TEXTS_FILE [-k N] [-d DEVICE] [QUERY...]
 *
 * Without QUERY arguments, queries are read from standard input, one per line.
 * Build against the installed library:
 *
 *   cc -o search search.c $(pkg-config --cflags --libs clembed) -lm
 */
#include <clembed.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lines of a file, newline removed; NULL on failure. */
static char **read_lines(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    char **lines = NULL, *line = NULL;
    size_t cap = 0, len = 0;
    if (!f)
        return NULL;
    *n = 0;
    while (1) {
        char buf[4096];
        if (!fgets(buf, sizeof buf, f))
            break;
        size_t add = strlen(buf);
        char *grown = realloc(line, len + add + 1);
        if (!grown)
            break;
        line = grown;
        memcpy(line + len, buf, add + 1);
        len += add;
        if (len && line[len - 1] != '\n' && !feof(f))
            continue; /* a line longer than buf: read on */
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        if (*n == cap) {
            char **more = realloc(lines, (cap = cap ? 2 * cap : 64) * sizeof *lines);
            if (!more)
                break;
            lines = more;
        }
        lines[(*n)++] = line;
        line = NULL;
        len = 0;
    }
    free(line);
    fclose(f);
    return lines ? lines : calloc(1, sizeof *lines);
}

int main(int argc, char **argv)
{
    const char *device = NULL;
    size_t k = 3, n_texts = 0, n_queries = 0;
    char **queries = NULL;
    int first_query = 3;
    if (argc < 3) {
        fprintf(stderr, "usage: search MODEL_DIR TEXTS_FILE [-k N] [-d DEVICE] [QUERY...]\n");
        return 2;
    }
    for (; first_query + 1 < argc + 1 && first_query < argc; first_query += 2) {
        if (!strcmp(argv[first_query], "-k") && first_query + 1 < argc)
            k = strtoul(argv[first_query + 1], NULL, 10);
        else if (!strcmp(argv[first_query], "-d") && first_query + 1 < argc)
            device = argv[first_query + 1];
        else
            break;
    }
    char **texts = read_lines(argv[2], &n_texts);
    if (!texts) {
        perror(argv[2]);
        return 1;
    }
    if (first_query < argc) {
        queries = argv + first_query;
        n_queries = (size_t)(argc - first_query);
    } else {
        queries = read_lines("/dev/stdin", &n_queries);
    }

    clembed_model *model = NULL;
    clembed_context *ctx = NULL;
    clembed_context_params params;
    float *corpus = NULL, *q = NULL;
    int status = 1;
    clembed_context_params_init(&params);
    params.device = device;
    params.normalize = 1; /* unit vectors: a dot product is the cosine */
    clembed_status rc = clembed_model_open(argv[1], NULL, &model);
    if (rc == CLEMBED_OK)
        rc = clembed_context_new(model, &params, &ctx);
    size_t dim = ctx ? clembed_context_dim(ctx) : 0;
    if (rc == CLEMBED_OK) {
        corpus = malloc((n_texts ? n_texts : 1) * dim * sizeof *corpus);
        q = malloc((n_queries ? n_queries : 1) * dim * sizeof *q);
        if (!corpus || !q)
            rc = CLEMBED_ERR_NOMEM;
    }
    if (rc == CLEMBED_OK)
        rc = clembed_embed(ctx, (const char *const *)texts, n_texts, corpus, n_texts * dim, NULL);
    if (rc == CLEMBED_OK)
        rc = clembed_embed(ctx, (const char *const *)queries, n_queries, q, n_queries * dim, NULL);
    if (rc != CLEMBED_OK) {
        fprintf(stderr, "search: %s: %s\n", clembed_strerror(rc), clembed_errmsg());
        goto done;
    }
    printf("%zu texts, %zu dimensions\n", n_texts, dim);
    if (k > n_texts)
        k = n_texts;
    size_t *best = malloc((k ? k : 1) * sizeof *best);
    float *score = malloc((k ? k : 1) * sizeof *score);
    if (!best || !score) {
        free(best);
        free(score);
        goto done;
    }
    for (size_t i = 0; i < n_queries; i++) {
        /* Keep the k best in order: insertion into a short sorted list. */
        size_t kept = 0;
        for (size_t t = 0; t < n_texts; t++) {
            float s = 0;
            for (size_t j = 0; j < dim; j++)
                s += q[i * dim + j] * corpus[t * dim + j];
            size_t pos = kept;
            while (pos > 0 && score[pos - 1] < s)
                pos--;
            if (pos >= k)
                continue;
            size_t last = kept < k ? kept++ : k - 1;
            memmove(best + pos + 1, best + pos, (last - pos) * sizeof *best);
            memmove(score + pos + 1, score + pos, (last - pos) * sizeof *score);
            best[pos] = t;
            score[pos] = s;
        }
        printf("query: %s\n", queries[i]);
        for (size_t r = 0; r < kept; r++)
            printf("  %.4f  %s\n", score[r], texts[best[r]]);
    }
    free(best);
    free(score);
    status = 0;
done:
    clembed_context_free(ctx);
    clembed_model_free(model);
    free(corpus);
    free(q);
    for (size_t i = 0; i < n_texts; i++)
        free(texts[i]);
    free(texts);
    if (first_query >= argc) {
        for (size_t i = 0; i < n_queries; i++)
            free(queries[i]);
        free(queries);
    }
    return status;
}
