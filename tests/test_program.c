/* Embedded sources, the registry, the program builder and its binary cache. */
#define _POSIX_C_SOURCE 200809L
#include "runtime/kernels.h"
#include "runtime/program.h"
#include "testdev.h"
#include "core/util.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Runs fill_f32 and copy_f32_vec from a program and checks the results. */
static int run_common(cl_context ctx, cl_command_queue q, cl_program prog)
{
    enum { N = 1024 };
    cl_int err;
    int good = 0;
    float host[N];
    cl_kernel kf = clCreateKernel(prog, "fill_f32", &err);
    cl_kernel kc = clCreateKernel(prog, "copy_f32_vec", &err);
    cl_mem a = clCreateBuffer(ctx, CL_MEM_READ_WRITE, N * sizeof(float), NULL, &err);
    cl_mem b = clCreateBuffer(ctx, CL_MEM_READ_WRITE, N * sizeof(float), NULL, &err);
    if (!kf || !kc || !a || !b)
        goto out;
    float v = 2.5f;
    cl_uint n = N, nvec = N / 4;
    size_t g = N, l = 64, gv = N / 4;
    clSetKernelArg(kf, 0, sizeof a, &a);
    clSetKernelArg(kf, 1, sizeof v, &v);
    clSetKernelArg(kf, 2, sizeof n, &n);
    clSetKernelArg(kc, 0, sizeof b, &b);
    clSetKernelArg(kc, 1, sizeof a, &a);
    clSetKernelArg(kc, 2, sizeof nvec, &nvec);
    if (clEnqueueNDRangeKernel(q, kf, 1, NULL, &g, &l, 0, NULL, NULL) != CL_SUCCESS ||
        clEnqueueNDRangeKernel(q, kc, 1, NULL, &gv, &l, 0, NULL, NULL) != CL_SUCCESS ||
        clEnqueueReadBuffer(q, b, CL_TRUE, 0, sizeof host, host, 0, NULL, NULL) != CL_SUCCESS)
        goto out;
    good = 1;
    for (int i = 0; i < N; i++)
        good &= host[i] == 2.5f;
out:
    if (kf) clReleaseKernel(kf);
    if (kc) clReleaseKernel(kc);
    if (a) clReleaseMemObject(a);
    if (b) clReleaseMemObject(b);
    return good;
}

/* The cache file that holds the last entry written: the newest *.bin. */
static char *newest_entry(const char *dir)
{
    char *cmd = clembed__asprintf("ls -t '%s'/*.bin 2>/dev/null | head -n 1", dir);
    FILE *p = popen(cmd, "r");
    free(cmd);
    char line[4096] = "";
    if (p) {
        if (!fgets(line, sizeof line, p))
            line[0] = '\0';
        pclose(p);
    }
    line[strcspn(line, "\n")] = '\0';
    return line[0] ? clembed__strdup(line) : NULL;
}

int main(void)
{
    /* A private cache so the test controls what is in it. */
    char tmpl[] = "/tmp/clembed-cache-XXXXXX";
    const char *dir = mkdtemp(tmpl);
    setenv("CLEMBED_CACHE_DIR", dir, 1);
    ok(clembed_cache_dir() && strcmp(clembed_cache_dir(), dir) == 0, "CLEMBED_CACHE_DIR is used");

    ok(clembed__cl_source_text("common") != NULL, "the common source is embedded");
    ok(clembed__cl_source_text("no-such-source") == NULL, "unknown sources are NULL");
    int defaults_ok = 1;
    for (size_t i = 0; i < clembed__n_kernels; i++) {
        const clembed__kernel_def *k = &clembed__kernels[i];
        int vals[CLEMBED_MAX_PARAMS];
        for (size_t p = 0; p < clembed__kernel_n_params(k); p++)
            vals[p] = k->params[p].def;
        if (!clembed__cl_source_text(k->source) || clembed__kernel_find(k->kernel) != k ||
            (k->valid && !k->valid(vals, 256)))
            defaults_ok = 0;
    }
    ok(defaults_ok, "every registry entry names an embedded source and valid defaults");
    char opts[128];
    clembed__kernel_options(clembed__kernel_find("copy_f32_vec"), NULL, opts, sizeof opts);
    ok(strcmp(opts, "-DWG=64 -DVEC=4") == 0, "options from defaults: '%s'", opts);

    size_t idx[16];
    size_t n = test_devices(idx, 16);
    for (size_t k = 0; k < n; k++) {
        const clembed__device *d = clembed__device_at(idx[k]);
        cl_context ctx = NULL;
        cl_command_queue q = NULL;
        if (!ok(test_queue(d, &ctx, &q), "%s: context and queue", d->info.name))
            continue;
        cl_program prog = NULL;
        clembed__build_stats st1, st2, st3;
        const char *o = "-DWG=64 -DVEC=4";
        clembed_status rc = clembed__program_build(ctx, d, "common", o, &prog, &st1);
        ok(rc == CLEMBED_OK && !st1.from_cache, "%s: first build compiles (%.3f s)", d->info.name,
           st1.seconds);
        ok(prog && run_common(ctx, q, prog), "%s: the built kernels compute the right values", d->info.name);
        if (prog)
            clReleaseProgram(prog);
        char *entry = newest_entry(dir);
        ok(entry != NULL, "%s: a cache entry was written", d->info.name);

        rc = clembed__program_build(ctx, d, "common", o, &prog, &st2);
        ok(rc == CLEMBED_OK && st2.from_cache, "%s: second build loads from the cache (%.3f s vs %.3f s)",
           d->info.name, st2.seconds, st1.seconds);
        ok(prog && run_common(ctx, q, prog), "%s: cached binary computes the right values", d->info.name);
        if (prog)
            clReleaseProgram(prog);

        /* Corrupt the entry: flip bytes in the middle; it must be ignored and rebuilt. */
        if (entry) {
            FILE *f = fopen(entry, "r+b");
            struct stat sb;
            stat(entry, &sb);
            fseek(f, sb.st_size / 2, SEEK_SET);
            fputs("garbage", f);
            fclose(f);
        }
        rc = clembed__program_build(ctx, d, "common", o, &prog, &st3);
        ok(rc == CLEMBED_OK && !st3.from_cache, "%s: a corrupt entry is rebuilt", d->info.name);
        ok(prog && run_common(ctx, q, prog), "%s: ...and the rebuilt kernels work", d->info.name);
        if (prog)
            clReleaseProgram(prog);
        /* Truncated entry. */
        ok(entry && truncate(entry, 20) == 0, "%s: the entry is truncated", d->info.name);
        rc = clembed__program_build(ctx, d, "common", o, &prog, &st3);
        ok(rc == CLEMBED_OK && !st3.from_cache && prog, "%s: a truncated entry is rebuilt", d->info.name);
        if (prog)
            clReleaseProgram(prog);
        rc = clembed__program_build(ctx, d, "common", o, &prog, &st3);
        ok(rc == CLEMBED_OK && st3.from_cache, "%s: the rebuilt entry is cached again", d->info.name);
        if (prog)
            clReleaseProgram(prog);
        free(entry);

        /* Other options are another key. */
        rc = clembed__program_build(ctx, d, "common", "-DWG=32 -DVEC=2", &prog, &st3);
        ok(rc == CLEMBED_OK && !st3.from_cache, "%s: other options build anew", d->info.name);
        if (prog)
            clReleaseProgram(prog);

        /* A build failure reports the compiler's log. */
        rc = clembed__program_build_source(ctx, d, "broken", "__kernel void k(void) { undeclared_x = 1; }",
                                           "", &prog, NULL);
        ok(rc == CLEMBED_ERR_BUILD && prog == NULL && strstr(clembed_errmsg(), "broken") &&
               strstr(clembed_errmsg(), "undeclared_x"),
           "%s: a build failure carries the build log", d->info.name);
        clReleaseCommandQueue(q);
        clReleaseContext(ctx);
    }
    char *cmd = clembed__asprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    free(cmd);
    return done_testing();
}
