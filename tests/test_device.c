/* Device enumeration, capabilities and selection: the selection rules over
 * made-up machines (an AMD APU with PoCL and rusticl, two identical NVIDIA
 * GPUs, an Intel GPU), then every device of every platform present. */
#define _POSIX_C_SOURCE 200809L
#include "testdev.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

/* lib/runtime/device.c: the selection rules over any device list. */
clembed_status clembed__device_select_from(const clembed_device_info *const *dev, size_t n,
                                           const char *selector, const char *origin, size_t *index);

static const char *status_name(clembed_status st)
{
    switch (st) {
#define X(name, num, text) case CLEMBED_##name: return "CLEMBED_" #name;
        CLEMBED_STATUS_LIST(X)
#undef X
    }
    return "?";
}

#define DEV(plat, nm, vend, vid, ty) \
    {.platform_name = plat, .platform_vendor = "", .name = nm, .vendor = vend, .vendor_id = vid, \
     .type = CLEMBED_DEVICE_##ty}

static const clembed_device_info machine[] = {
    DEV("Portable Computing Language", "pthread-znver2-AMD Ryzen 7 4800U", "AuthenticAMD", 0x1022, CPU),
    DEV("rusticl", "AMD Radeon Graphics (renoir, LLVM 15.0.6, DRM 3.49, 6.1.0)", "AMD", 0x1002, GPU),
    DEV("NVIDIA CUDA", "NVIDIA GeForce RTX 3060", "NVIDIA Corporation", 0x10de, GPU),
    DEV("NVIDIA CUDA", "NVIDIA GeForce RTX 3060", "NVIDIA Corporation", 0x10de, GPU),
    DEV("Intel(R) OpenCL Graphics", "Intel(R) UHD Graphics 770", "Intel(R) Corporation", 0x8086, GPU),
    DEV("Acme", "Accel", "Acme", 0x1234, ACCELERATOR),
    DEV("Acme", "Accel Pro", "Acme", 0x1234, ACCELERATOR),
};
#define N_MACHINE (sizeof machine / sizeof machine[0])

/* A CPU-only machine: PoCL on an Intel CPU and rusticl on llvmpipe. */
static const clembed_device_info cpus[] = {
    DEV("Portable Computing Language", "pthread-skylake-avx512-Intel(R) Xeon(R) Processor", "GenuineIntel",
        0x8086, CPU),
    DEV("rusticl", "llvmpipe (LLVM 15.0.6, 256 bits)", "Mesa/X.org", 0, CPU),
};

/* What each selector must give: an index, or an error whose message holds
 * every `listed` index ("2: ") and none of the others. */
static const struct expect {
    const char *selector;
    int machine;          /* 0: `machine`, 1: `cpus` */
    clembed_status status;
    int index;            /* with CLEMBED_OK */
    const char *listed;   /* with an error: the indices listed, "" = none checked */
    const char *why;
} cases[] = {
    {NULL, 0, CLEMBED_OK, 1, "", "no selector: the first GPU"},
    {"", 0, CLEMBED_OK, 1, "", "an empty selector: the first GPU"},
    {"pocl", 0, CLEMBED_OK, 0, "", "pocl is the platform 'Portable Computing Language'"},
    {"PoCL", 0, CLEMBED_OK, 0, "", "words are case-insensitive"},
    {"rusticl", 0, CLEMBED_OK, 1, "", "rusticl is the platform"},
    {"cpu", 0, CLEMBED_OK, 0, "", "cpu: the first CPU"},
    {"gpu", 0, CLEMBED_OK, 1, "", "gpu: the first GPU in list order"},
    {"amd", 0, CLEMBED_OK, 1, "", "amd: the AMD GPU before the AMD CPU listed first"},
    {"nvidia", 0, CLEMBED_OK, 2, "", "nvidia: the first of two NVIDIA GPUs (a word picks the first)"},
    {"intel", 0, CLEMBED_OK, 4, "", "intel: the Intel GPU"},
    {"3", 0, CLEMBED_OK, 3, "", "an index picks the second of two identical GPUs"},
    {"7", 0, CLEMBED_ERR_NOT_FOUND, 0, "0123456", "an index past the end lists every device"},
    {"-1", 0, CLEMBED_ERR_NOT_FOUND, 0, "0123456", "a negative index matches nothing"},
    {"radeon", 0, CLEMBED_OK, 1, "", "a substring of one device's name"},
    {"ryzen", 0, CLEMBED_OK, 0, "", "a substring, case-insensitive"},
    {"opencl graphics", 0, CLEMBED_OK, 4, "", "a substring of the platform name"},
    {"rtx", 0, CLEMBED_ERR_INVALID_ARG, 0, "23", "a substring of two devices is ambiguous"},
    {"NVIDIA GeForce RTX 3060", 0, CLEMBED_ERR_INVALID_ARG, 0, "23", "two devices of one name are ambiguous"},
    {"accel", 0, CLEMBED_OK, 5, "", "a whole name wins over the name it is part of"},
    {"acme", 0, CLEMBED_ERR_INVALID_ARG, 0, "56", "a platform of two devices is ambiguous"},
    {"quantum", 0, CLEMBED_ERR_NOT_FOUND, 0, "0123456", "no match lists every device"},
    {NULL, 1, CLEMBED_OK, 0, "", "no GPU: the first device"},
    {"gpu", 1, CLEMBED_ERR_NOT_FOUND, 0, "01", "gpu on a machine without one lists the devices"},
    {"intel", 1, CLEMBED_OK, 0, "", "intel: PoCL on an Intel CPU (the hardware vendor)"},
    {"cpu", 1, CLEMBED_OK, 0, "", "cpu: the first of two CPUs"},
    {"llvmpipe", 1, CLEMBED_OK, 1, "", "a substring picks rusticl's llvmpipe"},
    {"nvidia", 1, CLEMBED_ERR_NOT_FOUND, 0, "01", "nvidia on a machine without one"},
};

static void check_rules(void)
{
    const clembed_device_info *m[N_MACHINE], *c[2];
    for (size_t i = 0; i < N_MACHINE; i++)
        m[i] = &machine[i];
    c[0] = &cpus[0];
    c[1] = &cpus[1];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const struct expect *e = &cases[k];
        size_t n = e->machine ? 2 : N_MACHINE, got = 99;
        clembed_status st = clembed__device_select_from(e->machine ? c : m, n, e->selector, "selector", &got);
        int good = st == e->status && (st != CLEMBED_OK || got == (size_t)e->index);
        const char *msg = clembed_errmsg();
        for (size_t i = 0; good && st != CLEMBED_OK && i < n; i++) {
            char item[16];
            snprintf(item, sizeof item, "%zu: ", i);
            int want = strchr(e->listed, (int)('0' + i)) != NULL;
            good = (strstr(msg, item) != NULL) == want;
        }
        if (good && st != CLEMBED_OK && e->selector)
            good = strstr(msg, e->selector) != NULL;
        ok(good, "'%s': %s", e->selector ? e->selector : "(null)", e->why);
        if (!good)
            diag("  got %s, index %zu, '%s'; expected %s, index %d, listing %s", status_name(st), got,
                 st == CLEMBED_OK ? "" : msg, status_name(e->status), e->index, e->listed);
    }
    size_t got;
    ok(clembed__device_select_from(m, 0, "gpu", "selector", &got) == CLEMBED_ERR_NO_DEVICE,
       "no device at all: CLEMBED_ERR_NO_DEVICE");
    size_t words = 0;
    while (clembed_device_selector_word(words))
        words++;
    ok(words == 7 && !strcmp(clembed_device_selector_word(0), "pocl") &&
           clembed_device_selector_word(words) == NULL,
       "clembed_device_selector_word lists %zu words, NULL past the end", words);
}

/* An independent reading of what each word means, for the real devices. */
static int word_matches(const char *w, const clembed_device_info *d)
{
    if (!strcmp(w, "pocl"))
        return strstr(d->platform_name, "Portable Computing Language") != NULL;
    if (!strcmp(w, "rusticl"))
        return !strcmp(d->platform_name, "rusticl");
    if (!strcmp(w, "cpu"))
        return d->type == CLEMBED_DEVICE_CPU;
    if (!strcmp(w, "gpu"))
        return d->type == CLEMBED_DEVICE_GPU;
    if (!strcmp(w, "nvidia"))
        return d->vendor_id == 0x10de;
    if (!strcmp(w, "amd"))
        return d->vendor_id == 0x1002 || d->vendor_id == 0x1022;
    if (!strcmp(w, "intel"))
        return d->vendor_id == 0x8086;
    return -1;
}

int main(void)
{
    check_rules();
    if (clembed_device_count() == 0) {
        skip("no OpenCL device (install pocl-opencl-icd, or mesa-opencl-icd with RUSTICL_ENABLE=llvmpipe)");
        return done_testing();
    }
    size_t idx[16];
    size_t n = test_devices(idx, 16);
    for (size_t k = 0; k < n; k++) {
        clembed_device_info d;
        ok(clembed_device_get(idx[k], &d) == CLEMBED_OK, "device %zu: info", idx[k]);
        diag("device %zu: %s / %s (%s)", idx[k], d.platform_name, d.name, d.driver_version);
        ok(d.index == idx[k], "index is the list position");
        ok(*d.name && *d.platform_name && *d.driver_version, "names and driver version are set");
        ok(strncmp(d.device_version, "OpenCL ", 7) == 0, "device version '%s'", d.device_version);
        ok(strncmp(d.opencl_c_version, "OpenCL C ", 9) == 0, "OpenCL C version '%s'", d.opencl_c_version);
        ok(d.compute_units >= 1 && d.max_work_group_size >= 1 && d.global_mem_bytes > 0 &&
               d.max_alloc_bytes > 0 && d.max_alloc_bytes <= d.global_mem_bytes,
           "compute units %u, work-group %zu, memory %llu, max alloc %llu", d.compute_units,
           d.max_work_group_size, (unsigned long long)d.global_mem_bytes,
           (unsigned long long)d.max_alloc_bytes);
        ok(d.local_mem_bytes > 0, "local memory %llu bytes", (unsigned long long)d.local_mem_bytes);
        ok(d.type != CLEMBED_DEVICE_CPU || d.unified_memory, "a CPU device shares host memory");
        size_t sel = 99;
        char num[16];
        snprintf(num, sizeof num, "%zu", idx[k]);
        ok(clembed_device_select(num, &sel) == CLEMBED_OK && sel == idx[k], "select by index %s", num);
        /* By the device name in another case: this device, unless another has the same name. */
        char name[256];
        snprintf(name, sizeof name, "%s", d.name);
        for (char *p = name; *p; p++)
            *p = (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : (*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
        size_t same = 0;
        for (size_t j = 0; j < clembed_device_count(); j++) {
            clembed_device_info o;
            same += clembed_device_get(j, &o) == CLEMBED_OK && strcasecmp(o.name, d.name) == 0;
        }
        clembed_status rc = clembed_device_select(name, &sel);
        ok(same == 1 ? rc == CLEMBED_OK && sel == idx[k] : rc == CLEMBED_ERR_INVALID_ARG,
           "select by name '%s' (%zu device(s) of that name)", name, same);
        /* Each word this device matches selects, of the devices it matches, the
         * first GPU, else the first. */
        for (size_t w = 0; clembed_device_selector_word(w); w++) {
            const char *word = clembed_device_selector_word(w);
            if (word_matches(word, &d) != 1)
                continue;
            size_t want = SIZE_MAX;
            for (size_t j = 0; j < clembed_device_count(); j++) {
                clembed_device_info o;
                if (clembed_device_get(j, &o) != CLEMBED_OK || word_matches(word, &o) != 1)
                    continue;
                if (want == SIZE_MAX)
                    want = j;
                if (o.type == CLEMBED_DEVICE_GPU) {
                    want = j;
                    break;
                }
            }
            ok(clembed_device_select(word, &sel) == CLEMBED_OK && sel == want, "'%s' picks device %zu (got %zu)",
               word, want, sel);
        }
    }
    size_t sel = 0;
    clembed_status rc = clembed_device_select("no-such-device-xyz", &sel);
    ok(rc == CLEMBED_ERR_NOT_FOUND && strstr(clembed_errmsg(), "no-such-device-xyz") &&
           strstr(clembed_errmsg(), "devices: 0:"),
       "an unknown name is an error naming it and listing devices: %s", clembed_errmsg());
    char big[32];
    snprintf(big, sizeof big, "%zu", clembed_device_count());
    ok(clembed_device_select(big, &sel) == CLEMBED_ERR_NOT_FOUND, "an index past the end is an error");
    ok(clembed_device_get(clembed_device_count(), NULL) == CLEMBED_ERR_NOT_FOUND, "get past the end");
    ok(clembed_device_select(NULL, &sel) == CLEMBED_OK && sel < clembed_device_count(),
       "default selection finds a device");
    setenv("CLEMBED_DEVICE", "no-such-device-xyz", 1);
    rc = clembed_device_select(NULL, &sel);
    ok(rc == CLEMBED_ERR_NOT_FOUND && strstr(clembed_errmsg(), "CLEMBED_DEVICE"),
       "a bad CLEMBED_DEVICE is named in the error");
    setenv("CLEMBED_DEVICE", "pocl", 1);
    rc = clembed_device_select(NULL, &sel);
    clembed_device_info picked;
    size_t want_rc = CLEMBED_ERR_NOT_FOUND;
    for (size_t j = 0; j < clembed_device_count(); j++)
        if (clembed_device_get(j, &picked) == CLEMBED_OK && word_matches("pocl", &picked) == 1)
            want_rc = CLEMBED_OK;
    ok(rc == (clembed_status)want_rc &&
           (rc != CLEMBED_OK || (clembed_device_get(sel, &picked) == CLEMBED_OK && word_matches("pocl", &picked))),
       "CLEMBED_DEVICE=pocl selects PoCL where it is present (%s)", status_name(rc));
    return done_testing();
}
