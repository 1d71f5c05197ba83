/* A simulation code embedding its own texts on every MPI rank with the plain C API, then
 * gathering the vectors on rank 0.  Each rank here "owns" a few regions of a model and
 * describes their state in words; rank 0 gets all vectors, in rank order, and finds for
 * rank 0's first text the nearest text of another rank.  The library knows nothing of MPI:
 * each rank opens the model and a context of its own, on a device of its node.
 *
 *   mpirun -np 4 ./mpi_embed MODEL_DIR [-n TEXTS_PER_RANK] [-d DEVICE] [-o FILE]
 *
 * -d: every rank uses DEVICE (default: the node-local rank picks among the node's GPUs,
 * else the default device).  -o: rank 0 writes the vectors (raw float32, n x dim) to FILE
 * and the texts, one a line, to FILE.txt.  Build against the installed library with the
 * MPI compiler wrapper:
 *
 *   mpicc -o mpi_embed mpi_embed.c $(pkg-config --cflags --libs clembed) -lm
 */
#include <clembed.h>
#include <mpi.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const states[] = {"calm and cold", "turbulent and hot", "slowly warming",
                                     "freezing at the boundary", "mixing with its neighbour",
                                     "close to equilibrium", "shocked by a passing front"};

/* The texts this rank owns (deterministic, so a run can be checked). */
static char **make_texts(int rank, int n)
{
    char **t = calloc((size_t)n, sizeof *t);
    for (int i = 0; t && i < n; i++) {
        t[i] = malloc(128);
        if (t[i])
            snprintf(t[i], 128, "Region %d of rank %d is %s.", i, rank,
                     states[(rank * 3 + i) % (int)(sizeof states / sizeof states[0])]);
    }
    return t;
}

/* A device for this rank: the node's GPUs in turn by node-local rank, else the default. */
static void pick_device(int local, char *sel, size_t cap)
{
    size_t gpus = 0, n = clembed_device_count();
    clembed_device_info d;
    sel[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (clembed_device_get(i, &d) == CLEMBED_OK && d.type == CLEMBED_DEVICE_GPU)
            gpus++;
    for (size_t i = 0, g = 0; gpus && i < n; i++)
        if (clembed_device_get(i, &d) == CLEMBED_OK && d.type == CLEMBED_DEVICE_GPU &&
            g++ == (size_t)local % gpus)
            snprintf(sel, cap, "%zu", i);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size, local;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &local);
    MPI_Comm_free(&node);

    const char *model_dir = NULL, *device = NULL, *out = NULL;
    int n = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-d") && i + 1 < argc)
            device = argv[++i];
        else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else
            model_dir = argv[i];
    }
    if (!model_dir || n < 1) {
        if (rank == 0)
            fprintf(stderr, "usage: mpirun -np N %s MODEL_DIR [-n TEXTS_PER_RANK] [-d DEVICE] [-o FILE]\n",
                    argv[0]);
        MPI_Finalize();
        return 2;
    }

    /* Each rank: its texts, its model, its context, its vectors. */
    char sel[32];
    if (!device)
        pick_device(local, sel, sizeof sel);
    char **texts = make_texts(rank, n);
    clembed_model *m = NULL;
    clembed_context *ctx = NULL;
    clembed_context_params p;
    clembed_context_params_init(&p);
    p.device = device ? device : sel[0] ? sel : NULL;
    clembed_status rc = texts ? clembed_model_open(model_dir, NULL, &m) : CLEMBED_ERR_NOMEM;
    if (rc == CLEMBED_OK)
        rc = clembed_context_new(m, &p, &ctx);
    size_t dim = rc == CLEMBED_OK ? clembed_context_dim(ctx) : 0;
    float *v = malloc((size_t)n * (dim ? dim : 1) * sizeof *v);
    if (rc == CLEMBED_OK)
        rc = v ? clembed_embed(ctx, (const char *const *)texts, (size_t)n, v, (size_t)n * dim, NULL)
               : CLEMBED_ERR_NOMEM;
    if (rc != CLEMBED_OK)
        fprintf(stderr, "rank %d: %s: %s\n", rank, clembed_strerror(rc), clembed_errmsg());
    int bad = rc != CLEMBED_OK, any_bad = 0;
    MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);

    /* Rank 0 gathers every rank's vectors (and, to write them, texts) in rank order. */
    int status = any_bad;
    if (!any_bad) {
        int count = n * (int)dim, *counts = NULL, *displs = NULL;
        float *all = NULL;
        char *names = NULL;
        if (rank == 0) {
            counts = malloc((size_t)size * sizeof *counts);
            displs = malloc((size_t)size * sizeof *displs);
            all = malloc((size_t)size * (size_t)count * sizeof *all);
            names = malloc((size_t)size * (size_t)n * 128);
        }
        MPI_Gather(&count, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
        for (int r = 0; rank == 0 && r < size; r++)
            displs[r] = r ? displs[r - 1] + counts[r - 1] : 0;
        MPI_Gatherv(v, count, MPI_FLOAT, all, counts, displs, MPI_FLOAT, 0, MPI_COMM_WORLD);
        char *mine = calloc((size_t)n, 128);
        for (int i = 0; mine && i < n; i++)
            memcpy(mine + (size_t)i * 128, texts[i], strlen(texts[i]) + 1);
        MPI_Gather(mine, n * 128, MPI_CHAR, names, n * 128, MPI_CHAR, 0, MPI_COMM_WORLD);
        free(mine);
        if (rank == 0) {
            size_t total = (size_t)size * (size_t)n, best = 0;
            double best_cos = -2;
            for (size_t i = (size_t)n; i < total; i++) {
                double dot = 0, a = 0, b = 0;
                for (size_t d = 0; d < dim; d++) {
                    dot += (double)all[d] * all[i * dim + d];
                    a += (double)all[d] * all[d];
                    b += (double)all[i * dim + d] * all[i * dim + d];
                }
                double c = dot / (sqrt(a * b) + 1e-30);
                if (c > best_cos)
                    best_cos = c, best = i;
            }
            printf("%zu texts from %d ranks, dimension %zu\n", total, size, dim);
            if (total > (size_t)n)
                printf("nearest to \"%s\" on another rank: \"%s\" (cosine %.4f)\n", names,
                       names + best * 128, best_cos);
            if (out) {
                char path[4096];
                snprintf(path, sizeof path, "%s.txt", out);
                FILE *fv = fopen(out, "wb"), *ft = fopen(path, "w");
                int good = fv && ft && fwrite(all, sizeof *all, total * dim, fv) == total * dim;
                for (size_t i = 0; good && i < total; i++)
                    good = fprintf(ft, "%s\n", names + i * 128) > 0;
                if ((fv && fclose(fv) != 0) || (ft && fclose(ft) != 0) || !good) {
                    fprintf(stderr, "cannot write %s and %s\n", out, path);
                    status = 1;
                }
            }
        }
        free(counts);
        free(displs);
        free(all);
        free(names);
    }
    for (int i = 0; texts && i < n; i++)
        free(texts[i]);
    free(texts);
    free(v);
    clembed_context_free(ctx);
    clembed_model_free(m);
    MPI_Finalize();
    return status;
}
