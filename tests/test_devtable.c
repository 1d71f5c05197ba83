/* Real devices, as public clinfo outputs describe them (tests/devtable.h), through the code that
 * reads live devices: the name read apart into hardware and software, capabilities from the
 * OpenCL 3.0 queries, memory as contexts plan it, one GPU seen through two platforms, profile
 * file names and the profile lookup, the default device, and clembed info. */
#define _POSIX_C_SOURCE 200809L
#include "devtable.h"
#include "runtime/memory.h"
#include "profile/profile.h"
#include "core/util.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64], userdir[128];

/* Warnings, captured. */
static char logged[8192];

static void capture(clembed_log_level level, const char *msg, void *user)
{
    (void)user;
    if (level < CLEMBED_LOG_WARN)
        return;
    size_t used = strlen(logged);
    snprintf(logged + used, sizeof logged - used, "%s%s", used ? " | " : "", msg);
}

static void describe(size_t i, clembed__device *dev)
{
    memset(dev, 0, sizeof *dev);
    clembed__device_describe(dev, &devtable[i].d, i);
}

static void release(clembed__device *dev)
{
    free(dev->stack_id);
    dev->stack_id = NULL;
}

static void test_identity(void)
{
    for (size_t i = 0; i < DEVTABLE_N; i++) {
        const devtable_entry *e = &devtable[i];
        clembed__device dev;
        describe(i, &dev);
        int good = strcmp(dev.split.hardware, e->hardware) == 0 && strcmp(dev.split.software, e->software) == 0;
        ok(good, "%s [%s]: hardware '%s', software '%s'", e->label, e->source, dev.split.hardware,
           dev.split.software);
        if (!good)
            diag("  expected '%s' and '%s' (rule: %s)", e->hardware, e->software, dev.split.rule);
        ok(strcmp(dev.split.arch, e->arch) == 0 && strcmp(dev.split.family, e->family) == 0,
           "%s: architecture '%s' (expected '%s'), family '%s' (expected '%s')", e->label, dev.split.arch,
           e->arch, dev.split.family, e->family);
        release(&dev);
    }
}

static void test_capabilities(void)
{
    for (size_t i = 0; i < DEVTABLE_N; i++) {
        const devtable_entry *e = &devtable[i];
        if (!e->d.extensions)
            continue;   /* the source does not list them */
        clembed__device dev;
        describe(i, &dev);
        ok(strcmp(dev.subgroups_from, e->subgroups_from) == 0 && dev.info.subgroups == (e->subgroups_from[0] != 0),
           "%s: sub-groups from '%s' (expected '%s')", e->label, dev.subgroups_from, e->subgroups_from);
        ok(dev.subgroup_shuffle == e->shuffle, "%s: shuffle %d", e->label, dev.subgroup_shuffle);
        ok(dev.info.fp16 == e->fp16, "%s: fp16 %d", e->label, dev.info.fp16);
        release(&dev);
    }
    for (size_t i = 0; i < DEVTABLE_N; i++) {
        const devtable_entry *e = &devtable[i];
        clembed__device dev;
        describe(i, &dev);
        ok(dev.info.unified_memory == e->unified && dev.split.integrated == e->integrated,
           "%s: shares host memory %d (driver says %d), APU %d", e->label, dev.info.unified_memory,
           e->d.host_unified_memory, dev.split.integrated);
        ok(strcmp(dev.pci_bus_id, e->pci) == 0, "%s: PCI bus id '%s'", e->label, dev.pci_bus_id);
        release(&dev);
    }
}

static const devtable_entry *find(const char *label_start, size_t *index)
{
    for (size_t i = 0; i < DEVTABLE_N; i++)
        if (strncmp(devtable[i].label, label_start, strlen(label_start)) == 0) {
            if (index)
                *index = i;
            return &devtable[i];
        }
    printf("Bail out! no table entry '%s'\n", label_start);
    exit(1);
}

static void test_memory(void)
{
    for (size_t i = 0; i < DEVTABLE_N; i++) {
        const devtable_entry *e = &devtable[i];
        if (!e->d.global_mem_bytes || !e->host_available)
            continue;
        clembed__device dev;
        clembed__mem_plan plan;
        describe(i, &dev);
        clembed__mem_plan_for(&dev.info, e->unified ? e->host_available : 0, 0, &plan);
        uint64_t bound = e->unified ? e->host_available : e->d.global_mem_bytes;
        ok(plan.usable == bound && plan.host_bound == e->unified,
           "%s: contexts plan for %.0f MiB (%s; the device says %.0f MiB)", e->label, plan.usable / 1048576.0,
           plan.host_bound ? "the host's available memory" : "its own memory", e->d.global_mem_bytes / 1048576.0);
        ok(plan.max_alloc == e->d.max_alloc_bytes && !plan.env_limit, "%s: one buffer at most %.0f MiB", e->label,
           plan.max_alloc / 1048576.0);
        clembed__mem_plan_for(&dev.info, e->unified ? e->host_available : 0, MiB(64), &plan);
        ok(plan.max_alloc == MiB(64) && plan.env_limit, "%s: a lower CLEMBED_MAX_ALLOC caps every buffer",
           e->label);
        release(&dev);
    }

    /* The Strix Halo under rusticl: 512 MiB carve-out, 2 GiB buffers. */
    size_t k;
    const devtable_entry *e = find("rusticl radeonsi gfx1151", &k);
    clembed__device dev;
    clembed__mem_plan plan;
    describe(k, &dev);
    clembed__mem_plan_for(&dev.info, e->host_available, 0, &plan);
    ok(plan.usable == GiB(58) && plan.max_alloc == GiB(2),
       "Strix Halo under rusticl: 58 GiB to plan with, not the 512 MiB carve-out; buffers of 2 GiB");
    char msg[512];
    clembed_status rc = clembed__mem_check_buffer(&plan, &dev, (uint64_t)250002 * 1024 * 4 * 3, "embeddings.word_embeddings.weight");
    snprintf(msg, sizeof msg, "%s", clembed_errmsg());
    ok(rc == CLEMBED_ERR_DEVICE_MEMORY && strstr(msg, "embeddings.word_embeddings.weight") &&
           strstr(msg, "2048.0 MiB") && strstr(msg, "CL_DEVICE_MAX_MEM_ALLOC_SIZE"),
       "a 2.9 GiB embedding matrix is refused naming the tensor and the limit: %s", msg);
    ok(clembed__mem_check_buffer(&plan, &dev, GiB(2), "x") == CLEMBED_OK, "exactly the limit fits");
    release(&dev);

    /* CLEMBED_MAX_ALLOC */
    setenv("CLEMBED_MAX_ALLOC", "96M", 1);
    ok(clembed__env_max_alloc() == MiB(96), "CLEMBED_MAX_ALLOC=96M");
    setenv("CLEMBED_MAX_ALLOC", "1GiB", 1);
    ok(clembed__env_max_alloc() == GiB(1), "CLEMBED_MAX_ALLOC=1GiB");
    setenv("CLEMBED_MAX_ALLOC", "1048576", 1);
    ok(clembed__env_max_alloc() == MiB(1), "CLEMBED_MAX_ALLOC in bytes");
    setenv("CLEMBED_MAX_ALLOC", "lots", 1);
    ok(clembed__env_max_alloc() == 0, "a bad CLEMBED_MAX_ALLOC is ignored");
    unsetenv("CLEMBED_MAX_ALLOC");
    ok(clembed__host_available_memory() > 0, "the host's available memory is known here (%.0f MiB)",
       clembed__host_available_memory() / 1048576.0);
}

/* The devices of one machine, described and grouped as the enumeration groups them. */
static size_t machine(const char *name, clembed__device *devs, size_t *index)
{
    size_t n = 0;
    clembed__device_desc descs[8];
    for (size_t i = 0; i < DEVTABLE_N && n < 8; i++)
        if (devtable[i].machine && strcmp(devtable[i].machine, name) == 0) {
            descs[n] = devtable[i].d;
            index[n++] = i;
        }
    for (size_t i = 0; i < n; i++) {
        memset(&devs[i], 0, sizeof devs[i]);
        clembed__device_describe(&devs[i], &descs[i], i);
    }
    clembed__devices_group(devs, n);
    return n;
}

static void test_groups(void)
{
    clembed__device devs[8];
    size_t idx[8];
    size_t n = machine("strix-halo", devs, idx);
    ok(n == 3, "the Strix Halo lists three devices");
    ok(devs[0].group == 0 && devs[1].group == 0 && devs[0].group_size == 2 && devs[1].group_size == 2,
       "ROCm's gfx1151 and rusticl's Radeon are one GPU: PCI %s on both", devs[1].pci_bus_id);
    ok(devs[2].group == 2 && devs[2].group_size == 1, "llvmpipe is the CPU, alone on this machine");
    ok(devs[0].platform_rank < devs[1].platform_rank, "ROCm ranks before rusticl (%s %d, %s %d)",
       devs[0].platform_kind, devs[0].platform_rank, devs[1].platform_kind, devs[1].platform_rank);
    ok(!devs[0].twin && !devs[1].twin, "and neither has a twin");
    for (size_t i = 0; i < n; i++)
        release(&devs[i]);

    n = machine("threadripper", devs, idx);
    ok(n == 3 && devs[0].group_size == 1 && devs[1].group_size == 1 && devs[2].group_size == 1,
       "Radeon VII, GTX TITAN and PoCL's CPU are three pieces of hardware");
    for (size_t i = 0; i < n; i++)
        release(&devs[i]);

    n = machine("build-machine", devs, idx);
    ok(n == 2 && devs[0].group == 0 && devs[1].group == 0 && devs[0].group_size == 2,
       "PoCL and llvmpipe on one machine are the same CPU");
    for (size_t i = 0; i < n; i++)
        release(&devs[i]);

    /* Two identical GPUs on one platform: twins, told apart by where they sit. */
    size_t k;
    find("NVIDIA GeForce GTX TITAN", &k);
    clembed__device_desc two[2] = {devtable[k].d, devtable[k].d};
    two[1].pci_bus = 0x4d;
    two[1].uuid[15] ^= 1;
    for (size_t i = 0; i < 2; i++) {
        memset(&devs[i], 0, sizeof devs[i]);
        clembed__device_describe(&devs[i], &two[i], i);
    }
    clembed__devices_group(devs, 2);
    ok(devs[0].twin && devs[1].twin && devs[0].group_size == 1 && devs[1].group_size == 1,
       "two identical TITANs are twins, not one device");
    release(&devs[0]);
    release(&devs[1]);

    /* Without a PCI bus id, a GPU's UUID tells; a CPU's never does (llvmpipe's is "mesa25.0.7"). */
    find("rusticl radeonsi gfx1151", &k);
    clembed__device_desc a = devtable[k].d, b = devtable[k].d;
    a.has_pci = b.has_pci = 0;
    b.platform_name = "Other Platform";
    memset(&devs[0], 0, sizeof devs[0]);
    memset(&devs[1], 0, sizeof devs[1]);
    clembed__device_describe(&devs[0], &a, 0);
    clembed__device_describe(&devs[1], &b, 1);
    clembed__devices_group(devs, 2);
    ok(devs[1].group == 0, "without PCI bus ids, equal GPU UUIDs group");
    release(&devs[0]);
    release(&devs[1]);
}

/* ---- profiles ------------------------------------------------------------------------------- */

static void clear_profiles(void)
{
    char *cmd = clembed__asprintf("rm -rf '%s' && mkdir -p '%s'", userdir, userdir);
    if (system(cmd) != 0)
        diag("could not empty %s", userdir);
    free(cmd);
}

static char *in_user_dir(const char *name)
{
    return clembed__path_join(userdir, name);
}

static void write_profile(const clembed__profile *p, const char *path)
{
    char *json = NULL;
    if (clembed_profile_to_json(p, &json) != CLEMBED_OK || clembed__write_file_atomic(path, json, strlen(json)) != CLEMBED_OK)
        diag("could not write %s: %s", path, clembed_errmsg());
    free(json);
}

static const clembed__kernel_def *kernel(const char *name)
{
    const clembed__kernel_def *k = clembed__kernel_find(name);
    if (!k) {
        printf("Bail out! no kernel %s in the registry\n", name);
        exit(1);
    }
    return k;
}

/* An entry for kernel at a shape with a work-group size to recognize it by. */
static void put(clembed__profile *p, const char *name, int wg, double seconds)
{
    const clembed__kernel_def *k = kernel(name);
    clembed__profile_entry e;
    memset(&e, 0, sizeof e);
    e.op = (char *)k->op;
    e.kernel = (char *)k->kernel;
    e.shape.tokens = 512;
    e.shape.hidden = 384;
    e.n_params = 1;
    e.pnames[0] = "WG";
    e.pvalues[0] = wg;
    e.default_s = 2 * seconds;
    e.tuned_s = seconds;
    clembed__profile_put(p, &e);
}

static int wg_of(const clembed__profile *p, const char *name)
{
    const clembed__kernel_def *k = kernel(name);
    int v[CLEMBED_MAX_PARAMS];
    clembed__shape s = {512, 384, 0, 0, 0, 0};
    clembed__profile_params(p, k, &s, v);
    return v[0];
}

static size_t entry_index(const char *label)
{
    size_t k = 0;
    find(label, &k);
    return k;
}

/* The done-when of issue 15: a profile tuned on llvmpipe stays in use when the device name's
 * parenthesised software part changes, under the same file name, through the lookup contexts use. */
static void test_llvmpipe_update(void)
{
    clembed__device_desc before = devtable[entry_index("rusticl llvmpipe (Mesa 22.3.6")].d;
    clembed__device_desc after = devtable[entry_index("rusticl llvmpipe (Mesa 25.0.7")].d;
    after.compute_units = before.compute_units;   /* the same machine, two Mesa releases */
    after.local_mem_bytes = before.local_mem_bytes;
    clear_profiles();

    clembed__devices_replace(&before, 1);
    char name_before[256], name_after[256];
    clembed_profile_file_name(0, name_before, sizeof name_before);
    clembed__profile *p = NULL;
    clembed__profile_new(clembed__device_at(0), &p);
    put(p, "copy_f32_vec", 96, 1e-4);
    char *path = in_user_dir(name_before);
    write_profile(p, path);
    clembed__profile_free(p);
    clembed__profile *got = NULL;
    clembed__profile_load_for_device(clembed__device_at(0), NULL, &got);
    ok(got && clembed__profile_state(got) == CLEMBED_PROFILE_USED, "llvmpipe under Mesa 22.3.6: its profile %s is used",
       name_before);
    clembed__profile_free(got);

    clembed__devices_replace(&after, 1);
    clembed_profile_file_name(0, name_after, sizeof name_after);
    ok(strcmp(name_before, name_after) == 0 && strncmp(name_after, "llvmpipe-", 9) == 0,
       "'llvmpipe (LLVM 19.1.7, 256 bits)' of Mesa 25.0.7 keeps the file name %s", name_after);
    char detail[512], found[4096];
    clembed_profile_state st = clembed_device_profile_state(0, NULL, found, sizeof found, detail, sizeof detail);
    ok(st == CLEMBED_PROFILE_STALE && strcmp(found, path) == 0, "the profile is stale, not foreign: %s (%s)",
       clembed_profile_state_name(st), detail);
    ok(strstr(detail, "LLVM 19.1.7, 256 bits") && strstr(detail, "LLVM 15.0.6, 256 bits"),
       "and says the software in the name changed: %s", detail);
    logged[0] = '\0';
    clembed__profile_load_for_device(clembed__device_at(0), NULL, &got);
    ok(got && clembed__profile_state(got) == CLEMBED_PROFILE_STALE && wg_of(got, "copy_f32_vec") == 96,
       "a context gets its choices (WG=%d)", got ? wg_of(got, "copy_f32_vec") : 0);
    ok(strstr(logged, "is stale") && strstr(logged, "run clembed-tune"), "with the hint to tune again: %s", logged);
    clembed__profile_free(got);
    free(path);

    /* A profile written by clembed 0.1.0 before this change, under the name it gave then: the
     * whole device name, software part included. */
    clear_profiles();
    const char *old_name = "llvmpipe-llvm-15-0-6-256-bits-12a4a1beca1b.json";
    char *src = clembed__asprintf("%s/tests/data/profiles/%s", getenv("top_srcdir") ? getenv("top_srcdir") : ".", old_name);
    char *data = NULL;
    size_t len = 0;
    path = in_user_dir(old_name);
    if (clembed__read_file(src, 1 << 20, &data, &len) == CLEMBED_OK)
        clembed__write_file_atomic(path, data, len);
    free(data);
    free(src);
    clembed__devices_replace(&before, 1);
    st = clembed_device_profile_state(0, NULL, found, sizeof found, detail, sizeof detail);
    ok((st == CLEMBED_PROFILE_USED || st == CLEMBED_PROFILE_STALE) && strcmp(found, path) == 0,
       "a profile clembed 0.1.0 wrote for Mesa 22.3.6 is still found under its old name: %s %s",
       clembed_profile_state_name(st), detail);
    clembed__devices_replace(&after, 1);
    st = clembed_device_profile_state(0, NULL, found, sizeof found, detail, sizeof detail);
    ok(st == CLEMBED_PROFILE_STALE && strcmp(found, path) == 0,
       "and after the update to Mesa 25.0.7 it is stale, not lost: %s", detail);
    clembed__profile_load_for_device(clembed__device_at(0), NULL, &got);
    ok(got && clembed_profile_batch_tokens(got) == 1536 && wg_of(got, "copy_f32_vec") == 64,
       "its batch budget and choices serve");
    clembed__profile_free(got);
    free(path);
}

/* libdrm's table names a Strix Halo "AMD Radeon Graphics" under Mesa 25.0 and "Radeon 8060S
 * Graphics" under 25.2: the same model, so the same file, stale. */
static void test_marketing_rename(void)
{
    clembed__device_desc a = devtable[entry_index("rusticl radeonsi gfx1151")].d, b = a;
    b.name = devtable[entry_index("rusticl radeonsi Radeon 8060S")].d.name;
    b.driver_version = devtable[entry_index("rusticl radeonsi Radeon 8060S")].d.driver_version;
    clembed__device da, db;
    memset(&da, 0, sizeof da);
    memset(&db, 0, sizeof db);
    clembed__device_describe(&da, &a, 0);
    clembed__device_describe(&db, &b, 0);
    char na[256], nb[256], why[512];
    clembed__profile_file_name(&da, na, sizeof na);
    clembed__profile_file_name(&db, nb, sizeof nb);
    ok(strcmp(na, nb) == 0 && strncmp(na, "gfx1151-", 8) == 0, "radeonsi's renamed Strix Halo keeps its file %s", na);
    clembed__profile *p = NULL;
    clembed__profile_new(&da, &p);
    clembed_profile_state st = clembed__profile_match_device(p, &db, why, sizeof why);
    ok(st == CLEMBED_PROFILE_STALE && strstr(why, "Radeon 8060S Graphics"), "and its profile is stale: %s", why);
    clembed__profile_free(p);
    free(da.stack_id);
    free(db.stack_id);
}

static void machine_devices(const char *name)
{
    clembed__device_desc descs[8];
    size_t n = 0;
    for (size_t i = 0; i < DEVTABLE_N && n < 8; i++)
        if (devtable[i].machine && strcmp(devtable[i].machine, name) == 0)
            descs[n++] = devtable[i].d;
    clembed__devices_replace(descs, n);
}

static void test_classes(void)
{
    clear_profiles();
    machine_devices("strix-halo");
    /* Tuned under ROCm, exported as the profile of gfx1151. */
    clembed__profile *rocm = NULL, *cls = NULL, *own = NULL, *vendor = NULL, *got = NULL;
    clembed__profile_new(clembed__device_at(0), &rocm);
    put(rocm, "copy_f32_vec", 32, 1e-4);
    put(rocm, "fill_f32", 128, 1e-4);
    char name[128];
    ok(clembed_profile_for_class(rocm, CLEMBED_PROFILE_LEVEL_ARCHITECTURE, &cls, name, sizeof name) == CLEMBED_OK &&
           strcmp(name, "architecture-gfx1151.json") == 0,
       "a gfx1151 profile exports as %s", name);
    char *path = in_user_dir(name);
    write_profile(cls, path);
    /* rusticl's own profile tunes copy only. */
    clembed__profile_new(clembed__device_at(1), &own);
    put(own, "copy_f32_vec", 256, 1e-4);
    char own_name[256];
    clembed_profile_file_name(1, own_name, sizeof own_name);
    char *own_path = in_user_dir(own_name);
    write_profile(own, own_path);
    /* A vendor-level profile for AMD GPUs with l2norm. */
    clembed__profile_new(clembed__device_at(1), &vendor);
    put(vendor, "l2norm_f32", 16, 1e-4);
    put(vendor, "copy_f32_vec", 8, 1e-4);
    clembed__profile *v = NULL;
    clembed_profile_for_class(vendor, CLEMBED_PROFILE_LEVEL_VENDOR, &v, name, sizeof name);
    ok(strcmp(name, "vendor-1002-gpu.json") == 0, "the vendor level is %s", name);
    char *vpath = in_user_dir(name);
    write_profile(v, vpath);

    clembed__profile_load_for_device(clembed__device_at(1), NULL, &got);
    ok(got && wg_of(got, "copy_f32_vec") == 256, "rusticl's own profile gives copy (WG=%d)", got ? wg_of(got, "copy_f32_vec") : 0);
    ok(got && wg_of(got, "fill_f32") == 128, "the architecture's gives fill, which the device's lacks");
    ok(got && wg_of(got, "l2norm_f32") == 16, "the vendor's gives l2norm, which both lack");
    clembed__profile_free(got);
    clembed_profile_source src[4];
    size_t n = clembed_device_profile_sources(1, NULL, src, 4);
    ok(n == 3 && src[0].level == CLEMBED_PROFILE_LEVEL_DEVICE && src[0].ops == 1 &&
           src[1].level == CLEMBED_PROFILE_LEVEL_ARCHITECTURE && strcmp(src[1].key, "gfx1151") == 0 && src[1].ops == 1 &&
           src[2].level == CLEMBED_PROFILE_LEVEL_VENDOR && strcmp(src[2].key, "1002-gpu") == 0 && src[2].ops == 1,
       "sources: device (1 op), architecture gfx1151 (1 op), vendor 1002-gpu (1 op)");

    /* ROCm's device has no file of its own: the classes serve, and the hint says so. */
    logged[0] = '\0';
    clembed__profile_load_for_device(clembed__device_at(0), NULL, &got);
    ok(got && clembed__profile_state(got) == CLEMBED_PROFILE_NONE && wg_of(got, "fill_f32") == 128,
       "ROCm's gfx1151 without a profile of its own starts from its architecture's");
    ok(strstr(logged, "no tuning profile") && strstr(logged, "the architecture profile gfx1151"),
       "and says which level served: %s", logged);
    clembed__profile_free(got);
    /* llvmpipe is no gfx1151: none of it serves the CPU. */
    n = clembed_device_profile_sources(2, NULL, src, 4);
    ok(n == 0, "llvmpipe gets none of the GPU's classes");

    /* A class file that names another class is refused. */
    char *json = NULL;
    clembed_profile_to_json(cls, &json);
    char *at = json ? strstr(json, "\"gfx1151\"") : NULL;
    if (at)
        memcpy(at + 1, "gfx1100", 7);
    char *bad = in_user_dir("family-gfx11.json");
    if (json)
        clembed__write_file_atomic(bad, json, strlen(json));
    free(json);
    n = clembed_device_profile_sources(0, NULL, src, 4);
    ok(n == 2 && src[0].level == CLEMBED_PROFILE_LEVEL_ARCHITECTURE && src[1].level == CLEMBED_PROFILE_LEVEL_VENDOR,
       "a family file that is not the family's profile is not used");
    free(bad);
    free(vpath);
    free(own_path);
    free(path);
    clembed_profile_free(v);
    clembed__profile_free(vendor);
    clembed__profile_free(own);
    clembed_profile_free(cls);
    clembed__profile_free(rocm);
}

static void test_default(void)
{
    clear_profiles();
    unsetenv("CLEMBED_DEVICE");
    machine_devices("strix-halo");
    size_t def = 99;
    char why[512];
    ok(clembed_device_default(&def, why, sizeof why) == CLEMBED_OK && def == 0 && strstr(why, "rocm is preferred"),
       "no profiles: ROCm's device 0 over rusticl's device 1: %s", why);
    for (size_t d = 0; d < 2; d++) {
        clembed__profile *p = NULL;
        clembed__profile_new(clembed__device_at(d), &p);
        put(p, "copy_f32_vec", 64, d ? 1e-4 : 3e-4);
        put(p, "fill_f32", 64, d ? 2e-4 : 5e-4);
        char name[256];
        clembed_profile_file_name(d, name, sizeof name);
        char *path = in_user_dir(name);
        write_profile(p, path);
        free(path);
        clembed__profile_free(p);
    }
    ok(clembed_device_default(&def, why, sizeof why) == CLEMBED_OK && def == 1 && strstr(why, "measured it faster"),
       "rusticl measured the GPU faster: device 1: %s", why);
    setenv("CLEMBED_DEVICE", "2", 1);
    ok(clembed_device_default(&def, why, sizeof why) == CLEMBED_OK && def == 2, "CLEMBED_DEVICE still decides: %s", why);
    unsetenv("CLEMBED_DEVICE");
    machine_devices("threadripper");
    ok(clembed_device_default(&def, why, sizeof why) == CLEMBED_OK && def == 0, "the Radeon VII, alone: %s", why);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/clembed-devtable-XXXXXX");
    if (!mkdtemp(tmpdir))
        skip_all("cannot make a temporary directory");
    snprintf(userdir, sizeof userdir, "%s/xdg/clembed/profiles", tmpdir);
    char xdg[128];
    snprintf(xdg, sizeof xdg, "%s/xdg", tmpdir);
    setenv("XDG_DATA_HOME", xdg, 1);
    unsetenv("CLEMBED_PROFILE");
    unsetenv("CLEMBED_DEVICE");
    clembed_log_set_callback(capture, NULL);
    clembed_log_set_level(CLEMBED_LOG_WARN);

    test_identity();
    test_capabilities();
    test_memory();
    test_groups();
    test_llvmpipe_update();
    test_marketing_rename();
    test_classes();
    test_default();

    char *cmd = clembed__asprintf("rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        diag("could not remove %s", tmpdir);
    free(cmd);
    return done_testing();
}
