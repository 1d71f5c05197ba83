/* Program builder with an on-disk binary cache keyed by source, options, device and driver. */
#define _POSIX_C_SOURCE 200809L
#include "runtime/program.h"
#include "core/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CACHE_MAGIC "CLEMBIN1"
#define CACHE_MAX_BYTES ((size_t)512 << 20)

static pthread_once_t dir_once = PTHREAD_ONCE_INIT;
static char *cache_dir;      /* NULL: disabled or unusable */

static void resolve_cache_dir(void)
{
    const char *env = getenv("CLEMBED_CACHE_DIR");
    char *dir = NULL;
    if (env && *env) {
        if (strcmp(env, "off") == 0 || strcmp(env, "0") == 0 || strcmp(env, "none") == 0)
            return;
        dir = clembed__strdup(env);
    } else if ((env = getenv("XDG_CACHE_HOME")) && *env) {
        dir = clembed__path_join(env, "clembed");
    } else if ((env = getenv("HOME")) && *env) {
        dir = clembed__asprintf("%s/.cache/clembed", env);
    }
    if (!dir)
        return;
    if (clembed__mkdir_p(dir) != CLEMBED_OK) {
        clembed__warn("kernel cache disabled: %s (set CLEMBED_CACHE_DIR to a writable directory, "
                      "or to 'off')", clembed_errmsg());
        clembed__errmsg_clear();
        free(dir);
        return;
    }
    cache_dir = dir;
}

const char *clembed_cache_dir(void)
{
    pthread_once(&dir_once, resolve_cache_dir);
    return cache_dir;
}

const char *clembed__cl_source_text(const char *name)
{
    for (size_t i = 0; i < clembed__n_cl_sources; i++)
        if (strcmp(clembed__cl_sources[i].name, name) == 0)
            return clembed__cl_sources[i].text;
    return NULL;
}

uint64_t clembed__cl_sources_hash(void)
{
    uint64_t h = CLEMBED_HASH_INIT;
    for (size_t i = 0; i < clembed__n_cl_sources; i++) {
        h = clembed__hash64_str(h, clembed__cl_sources[i].name);
        h = clembed__hash64_str(h, clembed__cl_sources[i].text);
    }
    return clembed__hash_finish(h);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The full identity of a binary; stored in the entry and compared on load,
 * so a hash collision or a foreign file can never be used. */
static char *cache_key(const clembed__device *dev, const char *src, const char *options)
{
    uint64_t h = clembed__hash_finish(clembed__hash64_str(CLEMBED_HASH_INIT, src));
    return clembed__asprintf("%s\n%s\n%016llx", dev->stack_id, options ? options : "",
                             (unsigned long long)h);
}

static char *cache_path(const char *key)
{
    uint64_t h = clembed__hash_finish(clembed__hash64_str(CLEMBED_HASH_INIT, key));
    char name[40];
    snprintf(name, sizeof name, "%016llx.bin", (unsigned long long)h);
    return clembed__path_join(cache_dir, name);
}

/* Entry layout: magic, u32 key length, key, u64 binary length, u64 binary hash, binary. */
static int cache_load(const char *path, const char *key, unsigned char **bin, size_t *bin_len)
{
    char *data = NULL;
    size_t len = 0;
    *bin = NULL;
    if (clembed__read_file(path, CACHE_MAX_BYTES, &data, &len) != CLEMBED_OK) {
        clembed__errmsg_clear();
        return 0;
    }
    size_t klen = strlen(key), off = 8;
    uint32_t stored_klen;
    uint64_t blen, bhash;
    if (len < off + 4 || memcmp(data, CACHE_MAGIC, 8) != 0)
        goto bad;
    memcpy(&stored_klen, data + off, 4);
    off += 4;
    if (stored_klen != klen || len - off < klen || memcmp(data + off, key, klen) != 0)
        goto bad;
    off += klen;
    if (len - off < 16)
        goto bad;
    memcpy(&blen, data + off, 8);
    memcpy(&bhash, data + off + 8, 8);
    off += 16;
    if (blen != len - off || blen == 0)
        goto bad;
    if (clembed__hash64(CLEMBED_HASH_INIT, data + off, blen) != bhash)
        goto bad;
    *bin = malloc(blen);
    if (!*bin)
        goto bad;
    memcpy(*bin, data + off, blen);
    *bin_len = blen;
    free(data);
    return 1;
bad:
    clembed__info("kernel cache entry %s is corrupt or for another build; rebuilding it", path);
    free(data);
    return 0;
}

static void cache_store(const char *path, const char *key, const unsigned char *bin, size_t blen)
{
    uint32_t klen = (uint32_t)strlen(key);
    uint64_t b64 = blen, h = clembed__hash64(CLEMBED_HASH_INIT, bin, blen);
    size_t total = 8 + 4 + klen + 16 + blen;
    unsigned char *buf = malloc(total), *p = buf;
    if (!buf)
        return;
    memcpy(p, CACHE_MAGIC, 8), p += 8;
    memcpy(p, &klen, 4), p += 4;
    memcpy(p, key, klen), p += klen;
    memcpy(p, &b64, 8), p += 8;
    memcpy(p, &h, 8), p += 8;
    memcpy(p, bin, blen);
    if (clembed__write_file_atomic(path, buf, total) != CLEMBED_OK) {
        clembed__warn("kernel cache: %s", clembed_errmsg());
        clembed__errmsg_clear();
    }
    free(buf);
}

static char *build_log(cl_program prog, cl_device_id dev)
{
    size_t n = 0;
    clGetProgramBuildInfo(prog, dev, CL_PROGRAM_BUILD_LOG, 0, NULL, &n);
    char *log = calloc(n + 1, 1);
    if (log && n)
        clGetProgramBuildInfo(prog, dev, CL_PROGRAM_BUILD_LOG, n, log, NULL);
    return log;
}

static int fetch_binary(cl_program prog, unsigned char **bin, size_t *blen)
{
    size_t size = 0;
    *bin = NULL;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS ||
        size == 0)
        return 0;
    *bin = malloc(size);
    if (!*bin)
        return 0;
    unsigned char *ptrs[1] = {*bin};
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof ptrs, ptrs, NULL) != CL_SUCCESS) {
        free(*bin);
        *bin = NULL;
        return 0;
    }
    *blen = size;
    return 1;
}

clembed_status clembed__program_build(cl_context ctx, const clembed__device *dev, const char *name,
                                      const char *options, cl_program *out,
                                      clembed__build_stats *stats)
{
    *out = NULL;
    const char *common = clembed__cl_source_text("common");
    const char *body = clembed__cl_source_text(name);
    if (!body)
        return clembed__fail(CLEMBED_ERR_INTERNAL, "no embedded kernel source '%s'", name);
    char *src = common && strcmp(name, "common") != 0 ? clembed__asprintf("%s\n%s", common, body)
                                                      : clembed__strdup(body);
    if (!src)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    clembed_status rc = clembed__program_build_source(ctx, dev, name, src, options, out, stats);
    free(src);
    return rc;
}

clembed_status clembed__program_build_source(cl_context ctx, const clembed__device *dev,
                                             const char *name, const char *src, const char *options,
                                             cl_program *out, clembed__build_stats *stats)
{
    *out = NULL;
    double t0 = now_s();
    char *key = cache_key(dev, src, options);
    char *path = NULL;
    clembed_status rc = CLEMBED_OK;
    cl_int err;
    cl_program prog = NULL;
    int cached = 0;
    if (!key) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (clembed_cache_dir() && (path = cache_path(key)) != NULL) {
        unsigned char *bin = NULL;
        size_t blen = 0;
        if (cache_load(path, key, &bin, &blen)) {
            const unsigned char *bins[1] = {bin};
            cl_int status = CL_SUCCESS;
            prog = clCreateProgramWithBinary(ctx, 1, &dev->id, &blen, bins, &status, &err);
            if (prog && err == CL_SUCCESS && status == CL_SUCCESS &&
                clBuildProgram(prog, 1, &dev->id, options, NULL, NULL) == CL_SUCCESS) {
                cached = 1;
            } else {
                clembed__info("kernel cache entry %s was rejected by the driver; rebuilding it", path);
                if (prog)
                    clReleaseProgram(prog);
                prog = NULL;
            }
            free(bin);
        }
    }
    if (!prog) {
        const char *srcs[1] = {src};
        prog = clCreateProgramWithSource(ctx, 1, srcs, NULL, &err);
        if (!prog) {
            rc = clembed__cl_fail(err, "clCreateProgramWithSource(%s)", name);
            goto done;
        }
        err = clBuildProgram(prog, 1, &dev->id, options, NULL, NULL);
        if (err != CL_SUCCESS) {
            char *log = build_log(prog, dev->id);
            rc = clembed__fail(CLEMBED_ERR_BUILD, "building kernels '%s' (options '%s') for %s: %s\n%s",
                               name, options ? options : "", dev->info.name,
                               clembed__cl_error_name(err), log ? log : "");
            free(log);
            clReleaseProgram(prog);
            prog = NULL;
            goto done;
        }
        unsigned char *bin = NULL;
        size_t blen = 0;
        if (path && fetch_binary(prog, &bin, &blen))
            cache_store(path, key, bin, blen);
        free(bin);
    }
    *out = prog;
done:
    if (stats) {
        stats->from_cache = cached;
        stats->seconds = now_s() - t0;
    }
    clembed__debug("program '%s' [%s] %s in %.3f s", name, options ? options : "",
                   cached ? "loaded from cache" : "built", now_s() - t0);
    free(path);
    free(key);
    return rc;
}
