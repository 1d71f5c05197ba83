/* clembed info over real devices (tests/devtable.h) that are not in this machine: the program's
 * own code (tools/, built into this test with its main renamed) runs against the library's
 * device list replaced by the table's Strix Halo, which lists one GPU under ROCm and rusticl. */
#define _POSIX_C_SOURCE 200809L
#include "devtable.h"
#include "core/util.h"
#include "tap.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#undef main
int clembed_cli_main(int argc, char **argv);

/* Runs `clembed <args>` in this process and returns its standard output. */
static char *run(int argc, char **argv, int *status)
{
    char path[] = "/tmp/clembed-devinfo-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    fflush(stdout);
    int saved = dup(1);
    dup2(fd, 1);
    *status = clembed_cli_main(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    close(fd);
    char *out = NULL;
    size_t len = 0;
    if (clembed__read_file(path, 1 << 22, &out, &len) != CLEMBED_OK)
        out = NULL;
    unlink(path);
    return out;
}

static const cJSON *device(const cJSON *root, int i)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "devices"), i);
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static int yes(const cJSON *o, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

int main(void)
{
    char tmp[] = "/tmp/clembed-devinfo-xdg-XXXXXX";
    if (!mkdtemp(tmp))
        skip_all("cannot make a temporary directory");
    setenv("XDG_DATA_HOME", tmp, 1);
    unsetenv("CLEMBED_PROFILE");
    unsetenv("CLEMBED_DEVICE");
    clembed__device_desc descs[8];
    size_t n = 0;
    for (size_t i = 0; i < DEVTABLE_N && n < 8; i++)
        if (devtable[i].machine && strcmp(devtable[i].machine, "strix-halo") == 0)
            descs[n++] = devtable[i].d;
    clembed__devices_replace(descs, n);

    char *args[] = {"clembed", "info", NULL, NULL};
    int status = -1;
    char *text = run(2, args, &status);
    ok(text && status == 0, "clembed info runs on the Strix Halo's devices");
    if (!text)
        return done_testing();
    ok(strstr(text, "device 0: gfx1151\n") && strstr(text, "device 1: AMD Radeon Graphics (radeonsi, gfx1151,"),
       "it lists ROCm's and rusticl's devices");
    ok(strstr(text, "same hardware on 2 platforms: gfx1151 at PCI 0000:c3:00.0: device 0 (AMD Accelerated Parallel "
                    "Processing) device 1 (rusticl); each platform keeps its own profile") != NULL,
       "and says they are one GPU");
    ok(strstr(text, "  same hardware as:  device 1 (rusticl)") && strstr(text, "  same hardware as:  device 0 (AMD "),
       "each device names the other");
    ok(strstr(text, "  hardware:          AMD Radeon Graphics, architecture gfx1151 (family gfx11), PCI bus "
                    "0000:c3:00.0\n") != NULL,
       "rusticl's device: the hardware part, architecture and PCI bus id");
    ok(strstr(text, "  software in name:  radeonsi, LLVM 19.1.7, DRM 3.63, 6.15.5-arch1-1\n") != NULL,
       "the name's software part");
    ok(strstr(text, "  sub-groups:        yes, from __opencl_c_subgroups (OpenCL C 3.0); shuffle yes, relative "
                    "shuffle yes\n") != NULL,
       "sub-groups from the OpenCL C 3.0 feature, and the shuffles");
    ok(strstr(text, "  sub-groups:        yes, from cl_khr_subgroups; shuffle no, relative shuffle no\n") != NULL,
       "ROCm's from cl_khr_subgroups");
    ok(strstr(text, "  host memory:       shared (an APU by its architecture; the driver answers no); weights "
                    "used in place\n") != NULL,
       "rusticl's Strix Halo shares host memory though the driver answers no");
    ok(strstr(text, "for weights and scratch (the host's available memory), buffers up to 2048.0 MiB\n") != NULL,
       "its memory plan: the host's memory, 2 GiB buffers");
    ok(strstr(text, "  fp16 yes, fp64 yes, sub-groups yes") && strstr(text, "  fp16 no, fp64 no, sub-groups yes"),
       "fp16 under ROCm, not under Mesa 25.0's rusticl");
    ok(strstr(text, "default device: 0 (devices 0 (rocm) and 1 (rusticl) are one GPU; rocm is preferred") != NULL,
       "the default is ROCm's, and says why");
    free(text);

    args[2] = "--json";
    text = run(3, args, &status);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    ok(root && status == 0, "clembed info --json parses");
    const cJSON *d0 = device(root, 0), *d1 = device(root, 1), *d2 = device(root, 2);
    ok(d1 && strcmp(str(d1, "hardware_name"), "AMD Radeon Graphics") == 0 &&
           strcmp(str(d1, "architecture"), "gfx1151") == 0 && strcmp(str(d1, "pci_bus_id"), "0000:c3:00.0") == 0 &&
           strcmp(str(d1, "platform_kind"), "rusticl") == 0,
       "JSON: identity of rusticl's device");
    ok(d1 && strcmp(str(d1, "subgroups_from"), "__opencl_c_subgroups") == 0 && yes(d1, "subgroups") &&
           yes(d1, "subgroup_shuffle") && yes(d1, "subgroup_shuffle_relative") && !yes(d1, "fp16"),
       "JSON: its capabilities");
    ok(d1 && yes(d1, "unified_memory") && !yes(d1, "host_unified_memory") && yes(d1, "integrated") &&
           num(d1, "max_buffer_bytes") == 2147483648.0 && num(d1, "usable_bytes") > 536870912.0,
       "JSON: its memory");
    ok(d0 && d1 && d2 && num(d0, "same_hardware") == 0 && num(d1, "same_hardware") == 0 &&
           num(d0, "same_hardware_count") == 2 && num(d2, "same_hardware") == 2 && num(d2, "same_hardware_count") == 1,
       "JSON: devices 0 and 1 are one GPU, llvmpipe is apart");
    ok(d0 && strcmp(str(d0, "board_name"), "AMD Radeon Graphics") == 0 && strcmp(str(d0, "pci_bus_id"), "0000:c3:00.0") == 0,
       "JSON: ROCm's board name and PCI bus id (from CL_DEVICE_TOPOLOGY_AMD)");
    ok(root && num(root, "default_device") == 0 && strstr(str(root, "default_reason"), "rocm is preferred"),
       "JSON: the default and why");
    const cJSON *levels = d1 ? cJSON_GetObjectItemCaseSensitive(d1, "profile_levels") : NULL;
    ok(cJSON_IsArray(levels) && cJSON_GetArraySize(levels) == 0, "JSON: no profile levels serve yet");
    cJSON_Delete(root);
    free(text);

    char *cmd = clembed__asprintf("rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        diag("could not remove %s", tmp);
    free(cmd);
    return done_testing();
}
