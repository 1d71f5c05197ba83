/* Device enumeration, capabilities and selection on every platform present. */
#define _POSIX_C_SOURCE 200809L
#include "testdev.h"

#include <string.h>

int main(void)
{
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
        /* By a substring of the device name, in another case. */
        char sub[64];
        snprintf(sub, sizeof sub, "%s", d.name);
        sub[strlen(sub) > 6 ? 6 : strlen(sub)] = '\0';
        for (char *p = sub; *p; p++)
            *p = (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : (*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
        ok(clembed_device_select(sub, &sel) == CLEMBED_OK, "select by name part '%s'", sub);
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
    return done_testing();
}
