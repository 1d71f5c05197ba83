/* Profiles: JSON round trips, identity matching (used, stale, foreign), corrupt and truncated
 * files, the lookup order and what the runtime reads from a profile.  Most of it runs on
 * made-up devices, so it needs no OpenCL. */
#define _POSIX_C_SOURCE 200809L
#include "profile/profile.h"
#include "tap.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64];

/* Warnings, captured. */
static char logged[8192];
static int n_logged;

static void capture(clembed_log_level level, const char *msg, void *user)
{
    (void)user;
    if (level < CLEMBED_LOG_WARN)
        return;
    size_t used = strlen(logged);
    /* One line, so that it can go into a TAP description. */
    snprintf(logged + used, sizeof logged - used, "%s%s", used ? " | " : "", msg);
    n_logged++;
}

static void clear_log(void)
{
    logged[0] = '\0';
    n_logged = 0;
}

/* A made-up device, described as the enumeration describes live ones (the name is read apart
 * into its hardware and software parts there). */
static clembed__device_desc fake_desc(void)
{
    clembed__device_desc q;
    memset(&q, 0, sizeof q);
    q.platform_name = "Test Platform";
    q.platform_vendor = "Test";
    q.platform_version = "OpenCL 3.0 test 1.0";
    q.name = "Test Device (TD-1, 4 cores)";
    q.vendor = "Test Vendor";
    q.driver_version = "1.0";
    q.device_version = "OpenCL 3.0";
    q.opencl_c_version = "OpenCL C 1.2";
    q.extensions = "cl_khr_fp64 cl_khr_int64_base_atomics";
    q.type = CLEMBED_DEVICE_CPU;
    q.vendor_id = 0x1234;
    q.compute_units = 4;
    q.global_mem_bytes = (uint64_t)8 << 30;
    q.local_mem_bytes = 65536;
    q.max_alloc_bytes = (uint64_t)2 << 30;
    q.max_work_group_size = 1024;
    return q;
}

static clembed__device fake_device(void)
{
    clembed__device d;
    clembed__device_desc q = fake_desc();
    memset(&d, 0, sizeof d);
    clembed__device_describe(&d, &q, 0);
    return d;
}

/* dev under another name, described again. */
static clembed__device renamed(const char *name)
{
    clembed__device d;
    clembed__device_desc q = fake_desc();
    q.name = name;
    memset(&d, 0, sizeof d);
    clembed__device_describe(&d, &q, 0);
    free(d.stack_id);
    d.stack_id = NULL;
    return d;
}

/* A profile for dev with two kernels at two shapes, a probe and CLBlast sets. */
static clembed__profile *sample(const clembed__device *dev)
{
    clembed__profile *p = NULL;
    if (clembed__profile_new(dev, &p) != CLEMBED_OK)
        return NULL;
    clembed_probe_result pr = {12.5e9, 11e9, 1.5e11, 0, 6e-6, 2e-5, 0.3, 1};
    clembed__profile_set_probe(p, &pr);
    clembed__profile_set_batch_tokens(p, 2048);
    clembed__profile_set_stages_done(p, CLEMBED_TUNE_ALL);
    clembed__profile_set_complete(p, 1);
    const clembed__kernel_def *copy = clembed__kernel_find("copy_f32_vec");
    const clembed__kernel_def *fill = clembed__kernel_find("fill_f32");
    for (int s = 0; s < 2; s++) {
        clembed__profile_entry e;
        memset(&e, 0, sizeof e);
        e.op = (char *)copy->op;
        e.kernel = (char *)copy->kernel;
        e.shape.tokens = s ? 4096 : 128;
        e.shape.hidden = 384;
        e.n_params = 2;
        e.pnames[0] = "WG";
        e.pvalues[0] = s ? 128 : 32;
        e.pnames[1] = "VEC";
        e.pvalues[1] = s ? 16 : 8;
        e.default_s = 1e-3 * (s + 1);
        e.tuned_s = 0.5e-3 * (s + 1);
        e.roofline_s = 0.25e-3 * (s + 1);
        e.bytes = 1e6;
        e.candidates = 7;
        e.outliers = 1;
        char *rej[] = {"WG=16 VEC=16: output does not match the reference"};
        e.rejected = rej;
        e.n_rejected = 1;
        e.n_rejected_total = 3;
        clembed__profile_put(p, &e);
        e.op = (char *)fill->op;
        e.kernel = (char *)fill->kernel;
        e.n_params = 1;
        e.pvalues[0] = s ? 256 : 16;
        e.rejected = NULL;
        e.n_rejected = 0;
        e.n_rejected_total = 0;
        clembed__profile_put(p, &e);
    }
    clembed__profile_entry g;
    memset(&g, 0, sizeof g);
    g.op = "gemm";
    g.kernel = "clblast_sgemm";
    g.is_gemm = 1;
    g.shape.tokens = 128;
    g.shape.inter = 1536;
    g.shape.hidden = 384;
    g.n_params = 1;
    g.pnames[0] = "direct";
    g.pvalues[0] = 1;
    g.default_s = 0.01;
    g.tuned_s = 0.004;
    clembed__profile_put(p, &g);
    const char *names[] = {"XGEMM_MIN_INDIRECT_SIZE"};
    size_t values[] = {448};
    clembed__profile_set_clblast(p, "GemmRoutine", 32, 1, names, values);
    return p;
}

static char *to_json(const clembed__profile *p)
{
    char *s = NULL;
    return clembed_profile_to_json(p, &s) == CLEMBED_OK ? s : NULL;
}

static char *write_tmp(const char *name, const char *text)
{
    char *path = clembed__path_join(tmpdir, name);
    char *dir = clembed__strdup(path);
    *strrchr(dir, '/') = '\0';
    clembed__mkdir_p(dir);
    free(dir);
    clembed__write_file_atomic(path, text, strlen(text));
    return path;
}

/* The JSON text with the first occurrence of `from` replaced by `to`. */
static char *edit(const char *json, const char *from, const char *to)
{
    const char *at = strstr(json, from);
    if (!at)
        return clembed__strdup(json);
    return clembed__asprintf("%.*s%s%s", (int)(at - json), json, to, at + strlen(from));
}

static void test_round_trip(const clembed__device *dev)
{
    clembed__profile *p = sample(dev);
    char *a = to_json(p);
    ok(a != NULL, "a profile serializes");
    clembed_profile *q = NULL;
    ok(a && clembed_profile_parse(a, strlen(a), &q) == CLEMBED_OK, "and parses back");
    char *b = q ? to_json(q) : NULL;
    ok(a && b && strcmp(a, b) == 0, "the round trip gives the same text");
    is_int(clembed_profile_result_count(q), 5, "all entries survive (4 op entries, 1 GEMM)");
    clembed_tune_result r;
    int found = 0;
    for (size_t i = 0; q && i < clembed_profile_result_count(q); i++)
        if (clembed_profile_result(q, i, &r) == CLEMBED_OK && strcmp(r.kernel, "copy_f32_vec") == 0 &&
            strstr(r.shape, "tokens=4096")) {
            found = 1;
            ok(strcmp(r.params, "WG=128 VEC=16") == 0, "params survive: %s", r.params);
            ok(r.default_s == 2e-3 && r.tuned_s == 1e-3 && r.roofline_s == 0.5e-3, "times survive exactly");
            ok(r.rejected == 3 && r.outliers == 1 && r.candidates == 7, "counts survive");
        }
    ok(found, "the copy entry at 4096 tokens is there");
    clembed_probe_result pr;
    ok(clembed_profile_probe(q, &pr) == CLEMBED_OK && pr.read_bandwidth == 12.5e9 && pr.fp16_flops == 0,
       "the probe survives, fp16 absent stays absent");
    is_int(clembed_profile_batch_tokens(q), 2048, "the batch token budget survives");
    ok(clembed_profile_complete(q), "complete survives");
    is_int(clembed__profile_clblast_count(q), 1, "the CLBlast set survives");
    is_int(clembed__profile_match_device(q, dev, NULL, 0), CLEMBED_PROFILE_USED, "it matches its device");
    ok(clembed_profile_result(q, 99, &r) == CLEMBED_ERR_NOT_FOUND, "results past the end are NOT_FOUND");
    clembed_profile_free(q);
    free(b);
    free(a);
    clembed__profile_free(p);
}

static void test_identity(const clembed__device *dev)
{
    clembed__profile *p = sample(dev);
    char why[512];
    clembed__device d = *dev;
    d.info.driver_version = "1.1";
    is_int(clembed__profile_match_device(p, &d, why, sizeof why), CLEMBED_PROFILE_STALE, "a new driver: stale");
    ok(strstr(why, "driver version '1.1' (profile: '1.0')") != NULL, "and says why: %s", why);
    d = *dev;
    d.info.extensions = "cl_khr_fp64 cl_khr_fp16";
    is_int(clembed__profile_match_device(p, &d, why, sizeof why), CLEMBED_PROFILE_STALE,
           "other extensions: stale (%s)", why);
    d = renamed("Test Device (TD-2)");
    is_int(clembed__profile_match_device(p, &d, why, sizeof why), CLEMBED_PROFILE_FOREIGN,
           "another device name: foreign (%s)", why);
    d = *dev;
    d.info.compute_units = 8;
    is_int(clembed__profile_match_device(p, &d, why, sizeof why), CLEMBED_PROFILE_FOREIGN,
           "other compute units: foreign (%s)", why);
    d = *dev;
    d.info.has_uuid = 1;
    d.info.uuid[0] = 1;
    is_int(clembed__profile_match_device(p, &d, NULL, 0), CLEMBED_PROFILE_USED,
           "a UUID on one side only does not make it foreign");

    /* The environment that changes code generation. */
    setenv("POCL_WORK_GROUP_METHOD", "cbs", 1);
    is_int(clembed__profile_match_device(p, dev, why, sizeof why), CLEMBED_PROFILE_STALE,
           "a code-generation variable set since: stale");
    ok(strstr(why, "POCL_WORK_GROUP_METHOD=cbs") != NULL, "and it is named: %s", why);
    unsetenv("POCL_WORK_GROUP_METHOD");
    setenv("POCL_DEBUG", "all", 1);
    setenv("POCL_CACHE_DIR", "/tmp/elsewhere", 1);
    is_int(clembed__profile_match_device(p, dev, why, sizeof why), CLEMBED_PROFILE_USED,
           "debug and cache variables do not matter (%s)", why);
    unsetenv("POCL_DEBUG");
    unsetenv("POCL_CACHE_DIR");

    char *json = to_json(p);
    char *cut = clembed__strdup(json);
    char *h = strstr(cut, "\"kernels_hash\":\t\"");
    clembed_profile *q = NULL;
    if (h)
        h[17] = h[17] == '0' ? '1' : '0';
    ok(cut && clembed_profile_parse(cut, strlen(cut), &q) == CLEMBED_OK, "a profile with other kernels parses");
    is_int(clembed__profile_match_device(q, dev, why, sizeof why), CLEMBED_PROFILE_STALE,
           "other kernel sources: stale");
    ok(strstr(why, "kernel sources hash") != NULL, "and says so: %s", why);
    clembed_profile_free(q);
    free(cut);

    char a[128], b[128];
    d = *dev;
    clembed__profile_file_name(dev, a, sizeof a);
    d.info.driver_version = "2.0";
    clembed__profile_file_name(&d, b, sizeof b);
    ok(strcmp(a, b) == 0, "a driver update keeps the file name (%s), so the stale profile is found", a);
    ok(strncmp(a, "test-device-td-1-4-cores-", 25) == 0 && strstr(a, ".json"), "the name reads well: %s", a);
    d = renamed("Test Device (TD-2)");
    clembed__profile_file_name(&d, b, sizeof b);
    ok(strcmp(a, b) != 0, "another device has another file name (%s)", b);
    d = *dev;
    d.info.global_mem_bytes += d.info.global_mem_bytes / 10;
    clembed__profile_file_name(&d, b, sizeof b);
    ok(strcmp(a, b) == 0, "global memory that moves a little keeps the file name");
    is_int(clembed__profile_match_device(p, &d, NULL, 0), CLEMBED_PROFILE_USED, "and the profile in use");
    d.info.global_mem_bytes *= 2;
    is_int(clembed__profile_match_device(p, &d, why, sizeof why), CLEMBED_PROFILE_STALE,
           "twice the memory: stale (%s)", why);
    d = *dev;
    d.info.local_mem_bytes *= 2;
    clembed__profile_file_name(&d, b, sizeof b);
    ok(strcmp(a, b) != 0, "the same name with other local memory has another file name (%s)", b);
    free(json);
    clembed__profile_free(p);
}

/* Every malformed input fails with CLEMBED_ERR_PROFILE and says where. */
static void expect_bad(const char *json, const char *why_part, const char *what)
{
    clembed_profile *q = NULL;
    clembed_status rc = clembed_profile_parse(json, strlen(json), &q);
    int good = rc == CLEMBED_ERR_PROFILE && q == NULL && strstr(clembed_errmsg(), why_part) != NULL;
    ok(good, "%s", what);
    if (!good)
        diag("  status %d, message: %s", (int)rc, clembed_errmsg());
    clembed_profile_free(q);
}

static void test_corrupt(const clembed__device *dev)
{
    clembed__profile *p = sample(dev);
    char *json = to_json(p);
    size_t len = strlen(json);
    expect_bad("", "empty", "an empty file");
    expect_bad("not json at all", "malformed JSON at byte 0", "text that is not JSON");
    expect_bad("[1, 2]", "not a JSON object", "a JSON array");
    expect_bad("{\"device\": {}}", "not a clembed profile", "JSON that is not a profile");
    char *e;
    e = edit(json, "\"clembed_profile\":\t1", "\"clembed_profile\":\t99");
    expect_bad(e, "schema version 99 is newer", "a newer schema");
    free(e);
    e = edit(json, "\"compute_units\":\t4", "\"compute_units\":\t\"four\"");
    expect_bad(e, "device.compute_units is not a number", "a string for a number names the field");
    free(e);
    e = edit(json, "\"WG\":\t128", "\"WG\":\t12.5");
    expect_bad(e, "ops[2].params.WG is not an integer", "a fractional parameter names the entry");
    free(e);
    e = edit(json, "\"tuned_s\":", "\"tuned_x\":");
    expect_bad(e, "ops[0].tuned_s is missing", "a missing time");
    free(e);
    e = edit(json, "\"default_s\":\t0.001", "\"default_s\":\t-1");
    expect_bad(e, "outside", "a negative time");
    free(e);
    e = edit(json, "\"kernels_hash\":\t\"", "\"kernels_hash\":\t\"xyz");
    expect_bad(e, "kernels_hash is not 16 lowercase hex digits", "a bad hash");
    free(e);
    e = clembed__asprintf("%s{}", json);
    expect_bad(e, "unexpected data after the JSON document", "trailing data");
    free(e);
    e = edit(json, "\"precision\":\t32", "\"precision\":\t31");
    expect_bad(e, "clblast[0].precision is not 16, 32 or 64", "a bad CLBlast precision");
    free(e);

    /* Truncated anywhere: a clear failure, never a crash or a profile. */
    int all_fail = 1, all_said = 1;
    for (size_t cut = 0; cut + 2 < len; cut++) {
        clembed_profile *q = NULL;
        clembed_status rc = clembed_profile_parse(json, cut, &q);
        if (rc == CLEMBED_OK) {
            all_fail = 0;
            diag("  truncation at %zu of %zu parsed", cut, len);
        }
        if (cut > 0 && !strstr(clembed_errmsg(), "ends early") && !strstr(clembed_errmsg(), "truncated") &&
            !strstr(clembed_errmsg(), "malformed"))
            all_said = 0;
        clembed_profile_free(q);
    }
    ok(all_fail, "every truncation of a %zu-byte profile is rejected", len);
    ok(all_said, "and each says the JSON ends early or is malformed");
    expect_bad("{\"clembed_profile\": 1, \"library_version\"", "truncated", "a cut file says it may be truncated");
    free(json);
    clembed__profile_free(p);
}

static void test_lookup(const clembed__device *dev)
{
    clembed__profile *p = sample(dev), *got = NULL;
    char *json = to_json(p);
    char name[128];
    clembed__profile_file_name(dev, name, sizeof name);
    char rel[300];

    /* No profile anywhere: defaults and one hint. */
    unsetenv("CLEMBED_PROFILE");
    clear_log();
    ok(clembed__profile_load_for_device(dev, NULL, &got) == CLEMBED_OK && got == NULL, "no profile: NULL");
    ok(strstr(logged, "no tuning profile for 'Test Device") && strstr(logged, "run clembed-tune"),
       "one hint to run the tuner: %s", logged);
    clear_log();
    clembed__profile_load_for_device(dev, NULL, &got);
    is_int(n_logged, 0, "and only once");

    /* The user directory: $XDG_DATA_HOME/clembed/profiles. */
    snprintf(rel, sizeof rel, "xdg/clembed/profiles/%s", name);
    char *user_path = write_tmp(rel, json);
    clear_log();
    ok(clembed__profile_load_for_device(dev, NULL, &got) == CLEMBED_OK && got, "found in the user directory");
    is_int(clembed__profile_state(got), CLEMBED_PROFILE_USED, "state used");
    ok(strcmp(clembed__profile_path(got), user_path) == 0, "from %s", clembed__profile_path(got));
    is_int(n_logged, 0, "quietly");
    clembed__profile_free(got);

    /* "off", as an argument and from the environment. */
    ok(clembed__profile_load_for_device(dev, "off", &got) == CLEMBED_OK && got == NULL, "\"off\": no profile");
    setenv("CLEMBED_PROFILE", "off", 1);
    ok(clembed__profile_load_for_device(dev, NULL, &got) == CLEMBED_OK && got == NULL,
       "CLEMBED_PROFILE=off: no profile, though one is there");
    unsetenv("CLEMBED_PROFILE");

    /* An explicit path beats the user directory: a file, or a directory. */
    clembed__device d2 = *dev;
    d2.info.driver_version = "1.1";
    char *stale_path = write_tmp("explicit/stale.json", json);
    setenv("CLEMBED_PROFILE", stale_path, 1);
    clear_log();
    ok(clembed__profile_load_for_device(&d2, NULL, &got) == CLEMBED_OK && got, "CLEMBED_PROFILE names a file");
    is_int(clembed__profile_state(got), CLEMBED_PROFILE_STALE, "which is stale for a new driver, and used");
    ok(strstr(logged, "is stale") && strstr(logged, "driver version"), "the staleness is reported: %s", logged);
    clembed__profile_free(got);
    unsetenv("CLEMBED_PROFILE");
    char dirpath[300];
    snprintf(dirpath, sizeof dirpath, "%s/xdg/clembed/profiles", tmpdir);
    ok(clembed__profile_load_for_device(dev, dirpath, &got) == CLEMBED_OK && got &&
           strcmp(clembed__profile_path(got), user_path) == 0,
       "a directory as the path: the device's file in it");
    clembed__profile_free(got);

    /* A stale user profile still serves when nothing better exists. */
    clear_log();
    ok(clembed__profile_load_for_device(&d2, NULL, &got) == CLEMBED_OK && got &&
           clembed__profile_state(got) == CLEMBED_PROFILE_STALE,
       "a stale profile in the user directory is used as a starting point");
    clembed__profile_free(got);

    /* Foreign: other hardware, ignored with a warning. */
    clembed__device d3 = *dev;
    d3.info.compute_units = 16;
    clear_log();
    ok(clembed__profile_load_for_device(&d3, stale_path, &got) == CLEMBED_OK && got == NULL,
       "a profile for other hardware is ignored");
    ok(strstr(logged, "measured on other hardware") && strstr(logged, "compute units 16 (profile: 4)") &&
           strstr(logged, "built-in defaults apply"),
       "with a warning that says why: %s", logged);
    is_int(clembed_device_profile_state(0, NULL, NULL, 0, NULL, 0) <= CLEMBED_PROFILE_OFF, 1,
           "the public state query answers for device 0 or none");

    /* Corrupt and truncated: a clear message and the defaults. */
    char *trunc = clembed__strdup(json);
    trunc[strlen(trunc) / 2] = '\0';
    char *tpath = write_tmp("explicit/truncated.json", trunc);
    clear_log();
    ok(clembed__profile_load_for_device(dev, tpath, &got) == CLEMBED_OK && got == NULL,
       "a truncated profile is not used");
    ok(strstr(logged, tpath) && strstr(logged, "ends early") && strstr(logged, "built-in defaults apply"),
       "the warning names the file and the problem: %s", logged);
    char *cpath = write_tmp("explicit/corrupt.json", "{\"clembed_profile\": 1, \"device\": 7}");
    clear_log();
    ok(clembed__profile_load_for_device(dev, cpath, &got) == CLEMBED_OK && got == NULL,
       "a corrupt profile is not used");
    ok(strstr(logged, cpath) && strstr(logged, "is unusable"), "and says so: %s", logged);
    clear_log();
    clembed__profile_load_for_device(dev, cpath, &got);
    is_int(n_logged, 0, "once per process");
    clear_log();
    ok(clembed__profile_load_for_device(dev, "/nonexistent/profile.json", &got) == CLEMBED_OK && got == NULL,
       "a missing explicit file: defaults");
    ok(strstr(logged, "/nonexistent/profile.json") != NULL, "with a warning naming it: %s", logged);

    /* A corrupt user profile does not hide nothing: lookup goes on, and says so. */
    char *upath = write_tmp(rel, trunc);
    clear_log();
    ok(clembed__profile_load_for_device(dev, NULL, &got) == CLEMBED_OK && got == NULL,
       "a truncated user profile: defaults (nothing further to find)");
    ok(strstr(logged, upath) != NULL, "reported: %s", logged);
    free(upath);
    free(cpath);
    free(tpath);
    free(trunc);
    free(stale_path);
    free(user_path);
    free(json);
    clembed__profile_free(p);
}

static void test_runtime(const clembed__device *dev)
{
    clembed__profile *p = sample(dev);
    const clembed__kernel_def *copy = clembed__kernel_find("copy_f32_vec");
    int v[CLEMBED_MAX_PARAMS];
    clembed__shape small = {100, 384, 0, 0, 0, 0}, big = {3000, 384, 0, 0, 0, 0};
    clembed__profile_params(p, copy, &small, v);
    ok(v[0] == 32 && v[1] == 8, "params at a small shape: the nearest entry's (WG=%d VEC=%d)", v[0], v[1]);
    clembed__profile_params(p, copy, &big, v);
    ok(v[0] == 128 && v[1] == 16, "params at a large shape: the nearest entry's (WG=%d VEC=%d)", v[0], v[1]);
    clembed__profile_params(NULL, copy, &big, v);
    ok(v[0] == copy->params[0].def && v[1] == copy->params[1].def, "no profile: the registry defaults");
    ok(clembed__profile_variant(p, "copy", &big, 0) == copy, "the variant of an op");
    ok(clembed__profile_variant(p, "no-such-op", &big, 0) == NULL, "an unknown op: NULL");
    /* Without a profile's choice: a GPU gets an op's first variant, a CPU device the one for
     * the most specific kind of CPU runtime it is. */
    {
        const clembed__kernel_def *a0 = clembed__profile_variant(NULL, "attention", &big, 0);
        const clembed__kernel_def *a1 = clembed__profile_variant(NULL, "attention", &big, CLEMBED__CPU_ANY);
        const clembed__kernel_def *a3 =
            clembed__profile_variant(NULL, "attention", &big, CLEMBED__CPU_ANY | CLEMBED__CPU_LOOP);
        ok(a0 && !strcmp(a0->variant, "online"), "attention on a GPU: online (%s)", a0 ? a0->variant : "-");
        ok(a1 && !strcmp(a1->variant, "row"), "attention on llvmpipe's kind of CPU device: row (%s)",
           a1 ? a1->variant : "-");
        ok(a3 && !strcmp(a3->variant, "qblock"), "attention on PoCL's kind: qblock (%s)", a3 ? a3->variant : "-");
        const clembed__kernel_def *l3 =
            clembed__profile_variant(NULL, "add_layernorm", &big, CLEMBED__CPU_ANY | CLEMBED__CPU_LOOP);
        ok(l3 && !strcmp(l3->variant, "row"), "a variant for every CPU device serves PoCL's kind too");
    }
    is_int(clembed__profile_batch_tokens(p), 2048, "the batch budget");
    is_int(clembed__profile_batch_tokens(NULL), 0, "no profile: no batch budget");

    /* A profile asking for what the device cannot do falls back to defaults. */
    char *json = to_json(p);
    char *e = edit(json, "\"WG\":\t128", "\"WG\":\t100000");
    clembed_profile *q = NULL;
    ok(clembed_profile_parse(e, strlen(e), &q) == CLEMBED_OK, "a profile with an impossible set parses");
    clembed__profile_params(q, copy, &big, v);
    ok(v[0] == copy->params[0].def && v[1] == copy->params[1].def,
       "but the runtime uses the defaults for it (WG=%d)", v[0]);
    clembed_profile_free(q);
    free(e);
    /* An entry for a kernel the registry no longer has is kept but unused. */
    e = edit(json, "\"kernel\":\t\"copy_f32_vec\"", "\"kernel\":\t\"copy_f32_gone\"");
    ok(clembed_profile_parse(e, strlen(e), &q) == CLEMBED_OK, "a profile naming a vanished kernel parses");
    clembed__profile_params(q, copy, &small, v);
    ok(v[0] == 128 && v[1] == 16, "the remaining entry serves (WG=%d)", v[0]);
    clembed_profile_free(q);
    free(e);
    free(json);
    clembed__profile_free(p);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/clembed-profile-XXXXXX");
    if (!mkdtemp(tmpdir))
        skip_all("cannot make a temporary directory");
    char xdg[128];
    snprintf(xdg, sizeof xdg, "%s/xdg", tmpdir);
    setenv("XDG_DATA_HOME", xdg, 1);
    unsetenv("CLEMBED_PROFILE");
    clembed_log_set_callback(capture, NULL);
    clembed_log_set_level(CLEMBED_LOG_WARN);
    ok(strcmp(clembed_profile_dir_path(CLEMBED_PROFILE_DIR_USER), "") != 0 &&
           strncmp(clembed_profile_dir_path(CLEMBED_PROFILE_DIR_USER), xdg, strlen(xdg)) == 0,
       "the user directory follows XDG_DATA_HOME: %s", clembed_profile_dir_path(CLEMBED_PROFILE_DIR_USER));
    ok(strstr(clembed_profile_dir_path(CLEMBED_PROFILE_DIR_SYSTEM), "/lib/clembed/profiles") != NULL,
       "the system directory: %s", clembed_profile_dir_path(CLEMBED_PROFILE_DIR_SYSTEM));
    clembed__device dev = fake_device();
    test_round_trip(&dev);
    test_identity(&dev);
    test_corrupt(&dev);
    test_lookup(&dev);
    test_runtime(&dev);
    free(dev.stack_id);
    char *cmd = clembed__asprintf("rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        diag("could not remove %s", tmpdir);
    free(cmd);
    return done_testing();
}
