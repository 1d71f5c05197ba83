/* Real devices, as public clinfo outputs describe them (tests/devtable.h), through the code that
 * reads live devices: the name read apart into hardware and software, capabilities from the
 * OpenCL 3.0 queries, memory as contexts plan it, one GPU seen through two platforms, profile
 * file names and the profile lookup, the default device, and clembed info. */
#define _POSIX_C_SOURCE 200809L
#include "devtable.h"
#include "runtime/memory.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    test_identity();
    test_capabilities();
    test_memory();
    test_groups();
    return done_testing();
}
