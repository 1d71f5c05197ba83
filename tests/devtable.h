/* Test data: real OpenCL devices as their drivers describe them, copied from public clinfo
 * outputs (and, where marked, from the log lines of programs that print the same strings),
 * with what clembed should read from each.  Fields a source does not show are left zero and
 * the tests skip what depends on them.  Machines group the devices that were listed together.
 *
 * Sources:
 *  [llamaland]  github.com/wvdschel/llamaland testdata/clinfo.txt: clinfo --raw of a Strix Halo
 *               (gfx1151) with ROCm 6.x and Mesa 25.0.7 rusticl (radeonsi and llvmpipe), Arch.
 *  [dt19513]    github.com/darktable-org/darktable issue 19513: darktable -d opencl on a Ryzen AI
 *               Max+ PRO 395 under Mesa 25.2.4 rusticl, CachyOS.
 *  [dt18182]    darktable issue 18182: clinfo of a Renoir APU under Mesa 24.2.8 rusticl, Gentoo.
 *  [dt11401]    darktable issue 11401: clinfo of a Raven APU (Vega 8) under ROCm (3406.0).
 *  [dt19150]    darktable issue 19150: darktable -d opencl, Intel UHD 620 under Mesa 25.1.6 rusticl.
 *  [rbt]        a ROCm issue thread on peer-to-peer transfers (ROCm 4.3, 2021), mirrored in a public
 *               repository: clinfo of a Threadripper 3970X with a Radeon VII (ROCm), a GTX TITAN
 *               (NVIDIA 470.74) and PoCL 1.6.
 *  [jetson]     a public PoCL 6.0 install note for a Jetson Nano: clinfo of PoCL's CPU and CUDA devices.
 *  [futhark]    github.com/diku-dk/futhark issue 1901: clinfo of Alder Lake graphics under NEO 22.43.
 *  [vanity]     github.com/10gic/vanitygen-plusplus issue 15: clinfo of an RTX 2080 Ti (460.73.01).
 *  [rocm1604]   github.com/ROCm/ROCm issue 1604: clinfo of a Radeon RX 5500 XT under ROCm 4.5.
 *  [hashcat]    github.com/hashcat/hashcat issue 2398: clinfo of PoCL 1.5 in a KVM guest.
 *  [aosc]       github.com/AOSC-Dev/aosc-os-abbs pull request 8681: clinfo -l, rusticl on a WX 4100.
 *  [glrenderer] OpenGL renderer strings printed by glxinfo on Mesa 24.2.8 (radeonsi builds one
 *               name for its screen, which rusticl reports as CL_DEVICE_NAME).
 *  [local]      this project's build machine (Debian 12): PoCL 3.1 and Mesa 22.3.6 rusticl llvmpipe.
 */
#ifndef CLEMBED_DEVTABLE_H
#define CLEMBED_DEVTABLE_H

#include "runtime/device.h"

typedef struct devtable_entry {
    const char *label;
    const char *source;
    const char *machine;          /* devices listed together share it; NULL when alone */
    uint64_t host_available;      /* the host memory the planning test assumes for the machine */
    clembed__device_desc d;
    /* what clembed should read */
    const char *hardware, *software, *arch, *family, *subgroups_from, *pci;
    int shuffle, fp16, unified, integrated;
} devtable_entry;

#define GiB(x) ((uint64_t)(x) << 30)
#define MiB(x) ((uint64_t)(x) << 20)

static const devtable_entry devtable[] = {
    {"ROCm gfx1151 (Strix Halo)", "llamaland", "strix-halo", GiB(58),
     {.platform_name = "AMD Accelerated Parallel Processing", .platform_vendor = "Advanced Micro Devices, Inc.",
      .platform_version = "OpenCL 2.1 AMD-APP (3625.0)", .name = "gfx1151",
      .vendor = "Advanced Micro Devices, Inc.", .driver_version = "3625.0 (HSA1.1,LC)",
      .device_version = "OpenCL 2.0", .opencl_c_version = "OpenCL C 2.0",
      .extensions = "cl_khr_fp64 cl_khr_global_int32_base_atomics cl_khr_global_int32_extended_atomics "
                    "cl_khr_local_int32_base_atomics cl_khr_local_int32_extended_atomics "
                    "cl_khr_int64_base_atomics cl_khr_int64_extended_atomics cl_khr_3d_image_writes "
                    "cl_khr_byte_addressable_store cl_khr_fp16 cl_khr_gl_sharing cl_amd_device_attribute_query "
                    "cl_amd_media_ops cl_amd_media_ops2 cl_khr_image2d_from_buffer cl_khr_subgroups "
                    "cl_khr_depth_images cl_amd_copy_buffer_p2p cl_amd_assembly_program",
      .opencl_c_features = "", .board_name = "AMD Radeon Graphics", .type = CLEMBED_DEVICE_GPU,
      .vendor_id = 0x1002, .compute_units = 20, .max_clock_mhz = 2900, .global_mem_bytes = 33323491328ull,
      .max_alloc_bytes = 28324967624ull, .local_mem_bytes = 65536, .global_cache_bytes = 32768,
      .max_work_group_size = 256, .max_work_item_sizes = {1024, 1024, 1024}, .preferred_vector_width_float = 1,
      .host_unified_memory = 1, .profiling = 1, .has_pci = 1, .pci_bus = 0xc3},
     "gfx1151", "", "gfx1151", "gfx11", "cl_khr_subgroups", "0000:c3:00.0", 0, 1, 1, 1},

    {"rusticl radeonsi gfx1151 (Mesa 25.0.7)", "llamaland", "strix-halo", GiB(58),
     {.platform_name = "rusticl", .platform_vendor = "Mesa/X.org", .platform_version = "OpenCL 3.0",
      .name = "AMD Radeon Graphics (radeonsi, gfx1151, LLVM 19.1.7, DRM 3.63, 6.15.5-arch1-1)",
      .vendor = "AMD", .driver_version = "25.0.7", .device_version = "OpenCL 3.0",
      .opencl_c_version = "OpenCL C 1.2",
      .extensions = "cl_khr_byte_addressable_store cl_khr_create_command_queue cl_khr_expect_assume "
                    "cl_khr_extended_versioning cl_khr_global_int32_base_atomics "
                    "cl_khr_global_int32_extended_atomics cl_khr_il_program cl_khr_local_int32_base_atomics "
                    "cl_khr_local_int32_extended_atomics cl_khr_integer_dot_product "
                    "cl_khr_spirv_no_integer_wrap_decoration cl_khr_suggested_local_work_size cl_khr_gl_sharing "
                    "cles_khr_int64 cl_khr_3d_image_writes cl_khr_depth_images cl_khr_pci_bus_info "
                    "cl_khr_device_uuid cl_khr_subgroup_shuffle cl_khr_subgroup_shuffle_relative",
      .opencl_c_features = "__opencl_c_integer_dot_product_input_4x8bit "
                           "__opencl_c_integer_dot_product_input_4x8bit_packed __opencl_c_int64 "
                           "__opencl_c_images __opencl_c_read_write_images __opencl_c_3d_image_writes "
                           "__opencl_c_subgroups",
      .type = CLEMBED_DEVICE_GPU, .vendor_id = 0x1002, .compute_units = 40, .max_clock_mhz = 2900,
      .global_mem_bytes = 536870912ull, .max_alloc_bytes = 2147483648ull, .local_mem_bytes = 65536,
      .max_work_group_size = 1024, .max_work_item_sizes = {1024, 1024, 1024}, .preferred_vector_width_float = 1,
      .host_unified_memory = 0, .profiling = 1, .has_uuid = 1,
      .uuid = {0x00, 0x00, 0x00, 0x00, 0xc3, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
      .has_pci = 1, .pci_bus = 0xc3},
     "AMD Radeon Graphics", "radeonsi, LLVM 19.1.7, DRM 3.63, 6.15.5-arch1-1", "gfx1151", "gfx11",
     "__opencl_c_subgroups", "0000:c3:00.0", 1, 0, 1, 1},

    {"rusticl llvmpipe (Mesa 25.0.7)", "llamaland", "strix-halo", GiB(58),
     {.platform_name = "rusticl", .platform_vendor = "Mesa/X.org", .platform_version = "OpenCL 3.0",
      .name = "llvmpipe (LLVM 19.1.7, 256 bits)", .vendor = "Mesa", .driver_version = "25.0.7",
      .device_version = "OpenCL 3.0", .opencl_c_version = "OpenCL C 1.2",
      .extensions = "cl_khr_byte_addressable_store cl_khr_create_command_queue cl_khr_expect_assume "
                    "cl_khr_extended_versioning cl_khr_global_int32_base_atomics "
                    "cl_khr_global_int32_extended_atomics cl_khr_il_program cl_khr_local_int32_base_atomics "
                    "cl_khr_local_int32_extended_atomics cl_khr_integer_dot_product "
                    "cl_khr_spirv_no_integer_wrap_decoration cl_khr_suggested_local_work_size "
                    "cl_khr_image2d_from_buffer cl_khr_3d_image_writes cl_khr_depth_images cl_khr_device_uuid "
                    "cl_khr_subgroup_shuffle cl_khr_subgroup_shuffle_relative cl_arm_shared_virtual_memory",
      .opencl_c_features = "__opencl_c_integer_dot_product_input_4x8bit "
                           "__opencl_c_integer_dot_product_input_4x8bit_packed __opencl_c_int64 "
                           "__opencl_c_images __opencl_c_read_write_images __opencl_c_3d_image_writes "
                           "__opencl_c_subgroups",
      .type = CLEMBED_DEVICE_CPU, .vendor_id = 0, .compute_units = 8, .max_clock_mhz = 300,
      .global_mem_bytes = 66646982656ull, .max_alloc_bytes = 2147483648ull, .local_mem_bytes = 32768,
      .max_work_group_size = 1024, .max_work_item_sizes = {1024, 1024, 1024}, .preferred_vector_width_float = 1,
      .host_unified_memory = 1, .profiling = 1, .has_uuid = 1,
      /* "mesa25.0.7": the driver's version, not the hardware's */
      .uuid = {0x6d, 0x65, 0x73, 0x61, 0x32, 0x35, 0x2e, 0x30, 0x2e, 0x37, 0, 0, 0, 0, 0, 0}},
     "llvmpipe", "LLVM 19.1.7, 256 bits", "", "", "__opencl_c_subgroups", "", 1, 0, 1, 0},

    {"rusticl radeonsi Radeon 8060S (Mesa 25.2.4)", "dt19513", NULL, 0,
     {.platform_name = "rusticl", .platform_vendor = "Mesa/X.org",
      .name = "Radeon 8060S Graphics (radeonsi, gfx1151, LLVM 20.1.8, DRM 3.64, 6.17.1-2-cachyos)",
      .vendor = "AMD", .driver_version = "25.2.4-arch1.2", .device_version = "OpenCL 3.0",
      .type = CLEMBED_DEVICE_GPU, .vendor_id = 4098},
     "Radeon 8060S Graphics", "radeonsi, LLVM 20.1.8, DRM 3.64, 6.17.1-2-cachyos", "gfx1151", "gfx11", "", "",
     0, 0, 1, 1},

    {"rusticl radeonsi Renoir (Mesa 24.2.8)", "dt18182", NULL, 0,
     {.platform_name = "rusticl", .platform_vendor = "Mesa/X.org",
      .name = "AMD Radeon Graphics (radeonsi, renoir, LLVM 18.1.8, DRM 3.54, 6.6.62-gentoo)",
      .vendor = "AMD", .driver_version = "24.2.8", .device_version = "OpenCL 3.0",
      .opencl_c_version = "OpenCL C 1.2",
      /* the end of the list, as the issue quotes it */
      .extensions = "cl_khr_3d_image_writes cl_khr_pci_bus_info cl_khr_device_uuid cl_khr_subgroup_shuffle "
                    "cl_khr_subgroup_shuffle_relative",
      .type = CLEMBED_DEVICE_GPU, .vendor_id = 0x1002, .has_uuid = 1,
      .uuid = {0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
     "AMD Radeon Graphics", "radeonsi, LLVM 18.1.8, DRM 3.54, 6.6.62-gentoo", "gfx90c", "gfx9", "", "", 1, 0, 1, 1},

    {"ROCm gfx902:xnack+ (Raven, Vega 8)", "dt11401", NULL, GiB(6),
     {.platform_name = "AMD Accelerated Parallel Processing", .platform_vendor = "Advanced Micro Devices, Inc.",
      .name = "gfx902:xnack+", .vendor = "Advanced Micro Devices, Inc.", .driver_version = "3406.0 (HSA1.1,LC)",
      .device_version = "OpenCL 2.0", .opencl_c_version = "OpenCL C 2.0",
      .board_name = "AMD Radeon Vega 8 Graphics", .type = CLEMBED_DEVICE_GPU, .vendor_id = 0x1002,
      .compute_units = 8, .max_clock_mhz = 1100,
      /* "256 MB" and "217.6 MB per allocation" as darktable prints them (MiB) */
      .global_mem_bytes = MiB(256), .max_alloc_bytes = 228170137ull, .has_pci = 1, .pci_bus = 0x03},
     "gfx902", "xnack+", "gfx902", "gfx9", "", "0000:03:00.0", 0, 0, 1, 1},

    {"ROCm gfx1012:xnack- (Radeon RX 5500 XT)", "rocm1604", NULL, 0,
     {.platform_name = "AMD Accelerated Parallel Processing", .platform_vendor = "Advanced Micro Devices, Inc.",
      .name = "gfx1012:xnack-", .vendor = "Advanced Micro Devices, Inc.", .driver_version = "3361.0 (HSA1.1,LC)",
      .device_version = "OpenCL 2.0", .opencl_c_version = "OpenCL C 2.0",
      .extensions = "cl_khr_fp64 cl_khr_global_int32_base_atomics cl_khr_global_int32_extended_atomics "
                    "cl_khr_local_int32_base_atomics cl_khr_local_int32_extended_atomics "
                    "cl_khr_int64_base_atomics cl_khr_int64_extended_atomics cl_khr_3d_image_writes "
                    "cl_khr_byte_addressable_store cl_khr_fp16 cl_khr_gl_sharing cl_amd_device_attribute_query "
                    "cl_amd_media_ops cl_amd_media_ops2 cl_khr_image2d_from_buffer cl_khr_subgroups "
                    "cl_khr_depth_images cl_amd_copy_buffer_p2p cl_amd_assembly_program",
      .board_name = "Radeon RX 5500 XT", .type = CLEMBED_DEVICE_GPU, .vendor_id = 0x1002,
      .has_pci = 1, .pci_bus = 0x09},
     "gfx1012", "xnack-", "gfx1012", "gfx10", "cl_khr_subgroups", "0000:09:00.0", 0, 1, 0, 0},

    {"ROCm gfx906 (Radeon VII)", "rbt", "threadripper", GiB(100),
     {.platform_name = "AMD Accelerated Parallel Processing", .platform_vendor = "Advanced Micro Devices, Inc.",
      .platform_version = "OpenCL 2.0 AMD-APP (3212.0)", .name = "gfx906",
      .vendor = "Advanced Micro Devices, Inc.", .driver_version = "3212.0 (HSA1.1,LC)",
      .device_version = "OpenCL 2.0", .opencl_c_version = "OpenCL C 2.0",
      .extensions = "cl_khr_fp64 cl_khr_global_int32_base_atomics cl_khr_global_int32_extended_atomics "
                    "cl_khr_local_int32_base_atomics cl_khr_local_int32_extended_atomics "
                    "cl_khr_int64_base_atomics cl_khr_int64_extended_atomics cl_khr_3d_image_writes "
                    "cl_khr_byte_addressable_store cl_khr_fp16 cl_khr_gl_sharing cl_amd_device_attribute_query "
                    "cl_amd_media_ops cl_amd_media_ops2 cl_khr_image2d_from_buffer cl_khr_subgroups "
                    "cl_khr_depth_images cl_amd_copy_buffer_p2p cl_amd_assembly_program",
      .opencl_c_features = "", .board_name = "Vega 20 [Radeon VII]", .type = CLEMBED_DEVICE_GPU,
      .vendor_id = 0x1002, .compute_units = 60, .max_clock_mhz = 1801, .global_mem_bytes = 17163091968ull,
      .max_alloc_bytes = 14588628168ull, .local_mem_bytes = 65536, .global_cache_bytes = 16384,
      .max_work_group_size = 256, .max_work_item_sizes = {1024, 1024, 1024}, .preferred_vector_width_float = 1,
      .host_unified_memory = 0, .profiling = 1, .has_pci = 1, .pci_bus = 0x03},
     "gfx906", "", "gfx906", "gfx9", "cl_khr_subgroups", "0000:03:00.0", 0, 1, 0, 0},

    {"NVIDIA GeForce GTX TITAN (470.74)", "rbt", "threadripper", GiB(100),
     {.platform_name = "NVIDIA CUDA", .platform_vendor = "NVIDIA Corporation",
      .platform_version = "OpenCL 3.0 CUDA 11.4.136", .name = "NVIDIA GeForce GTX TITAN",
      .vendor = "NVIDIA Corporation", .driver_version = "470.74", .device_version = "OpenCL 3.0 CUDA",
      .opencl_c_version = "OpenCL C 1.2",
      .extensions = "cl_khr_global_int32_base_atomics cl_khr_global_int32_extended_atomics "
                    "cl_khr_local_int32_base_atomics cl_khr_local_int32_extended_atomics cl_khr_fp64 "
                    "cl_khr_3d_image_writes cl_khr_byte_addressable_store cl_khr_icd cl_khr_gl_sharing "
                    "cl_nv_compiler_options cl_nv_device_attribute_query cl_nv_pragma_unroll cl_nv_copy_opts "
                    "cl_khr_gl_event cl_nv_create_buffer cl_khr_int64_base_atomics cl_khr_int64_extended_atomics "
                    "cl_khr_device_uuid cl_khr_pci_bus_info",
      .opencl_c_features = "__opencl_c_fp64 __opencl_c_images __opencl_c_int64 __opencl_c_3d_image_writes",
      .type = CLEMBED_DEVICE_GPU, .vendor_id = 0x10de, .compute_units = 14, .max_clock_mhz = 875,
      .global_mem_bytes = 6379208704ull, .max_alloc_bytes = 1594802176ull, .local_mem_bytes = 49152,
      .global_cache_bytes = 229376, .max_work_group_size = 1024, .max_work_item_sizes = {1024, 1024, 64},
      .preferred_vector_width_float = 1, .host_unified_memory = 0, .profiling = 1, .has_uuid = 1,
      .uuid = {0x34, 0x1b, 0xf3, 0x11, 0xd1, 0xd1, 0x04, 0x8f, 0x84, 0x84, 0xdd, 0xb8, 0x9e, 0xf8, 0x9b, 0x7d},
      .has_pci = 1, .pci_bus = 0x4c, .nv_cc = 35},
     "GeForce GTX TITAN", "", "sm_35", "sm_3", "", "0000:4c:00.0", 0, 0, 0, 0},

    {"PoCL 1.6 (Threadripper 3970X)", "rbt", "threadripper", GiB(100),
     {.platform_name = "Portable Computing Language", .platform_vendor = "The pocl project",
      .platform_version = "OpenCL 1.2 pocl 1.6, None+Asserts, LLVM 9.0.1, RELOC, SLEEF, DISTRO, POCL_DEBUG",
      .name = "pthread-AMD Ryzen Threadripper 3970X 32-Core Processor", .vendor = "AuthenticAMD",
      .driver_version = "1.6", .device_version = "OpenCL 1.2 pocl HSTR: pthread-x86_64-pc-linux-gnu-znver2",
      .opencl_c_version = "OpenCL C 1.2 pocl",
      .extensions = "cl_khr_byte_addressable_store cl_khr_global_int32_base_atomics "
                    "cl_khr_global_int32_extended_atomics cl_khr_local_int32_base_atomics "
                    "cl_khr_local_int32_extended_atomics cl_khr_3d_image_writes cl_khr_fp64 "
                    "cl_khr_int64_base_atomics cl_khr_int64_extended_atomics cl_khr_fp64",
      .type = CLEMBED_DEVICE_CPU, .vendor_id = 0x1022, .compute_units = 64, .max_clock_mhz = 4549,
      .global_mem_bytes = 132771393536ull, .max_alloc_bytes = 34359738368ull, .local_mem_bytes = 524288,
      .global_cache_bytes = 16777216, .max_work_group_size = 4096, .max_work_item_sizes = {4096, 4096, 4096},
      .preferred_vector_width_float = 8, .host_unified_memory = 1, .profiling = 1},
     "AMD Ryzen Threadripper 3970X 32-Core Processor", "pthread", "znver2", "", "", "", 0, 0, 1, 0},

    {"PoCL 3.1 (Debian 12, Xeon)", "local", "build-machine", GiB(10),
     {.platform_name = "Portable Computing Language", .platform_vendor = "The pocl project",
      .platform_version = "OpenCL 3.0 PoCL 3.1+debian  Linux, None+Asserts, RELOC, SPIR, LLVM 15.0.6, SLEEF, "
                          "DISTRO, POCL_DEBUG",
      .name = "pthread-skylake-avx512-Intel(R) Xeon(R) Processor", .vendor = "GenuineIntel",
      .driver_version = "3.1+debian", .device_version = "OpenCL 3.0 PoCL HSTR: pthread-x86_64-pc-linux-gnu-skylake-avx512",
      .opencl_c_version = "OpenCL C 1.2 PoCL",
      .extensions = "cl_khr_byte_addressable_store cl_khr_global_int32_base_atomics   "
                    "cl_khr_global_int32_extended_atomics cl_khr_local_int32_base_atomics   "
                    "cl_khr_local_int32_extended_atomics cl_khr_3d_image_writes cl_khr_command_buffer cl_khr_spir "
                    "cl_khr_int64_base_atomics cl_khr_int64_extended_atomics cl_khr_fp64",
      .opencl_c_features = "__opencl_c_3d_image_writes __opencl_c_images __opencl_c_atomic_order_acq_rel "
                           "__opencl_c_atomic_order_seq_cst __opencl_c_atomic_scope_device "
                           "__opencl_c_read_write_images __opencl_c_int64 __opencl_c_fp64",
      .type = CLEMBED_DEVICE_CPU, .vendor_id = 0x8086, .compute_units = 2, .max_clock_mhz = 2599,
      .global_mem_bytes = 12173778944ull, .max_alloc_bytes = 4294967296ull, .local_mem_bytes = 2097152,
      .global_cache_bytes = 503316480, .max_work_group_size = 4096, .max_work_item_sizes = {4096, 4096, 4096},
      .preferred_vector_width_float = 16, .host_unified_memory = 1, .profiling = 1},
     "Intel(R) Xeon(R) Processor", "pthread", "skylake-avx512", "", "", "", 0, 0, 1, 0},

    {"rusticl llvmpipe (Mesa 22.3.6, Debian 12)", "local", "build-machine", GiB(10),
     {.platform_name = "rusticl", .platform_vendor = "Mesa/X.org", .platform_version = "OpenCL 3.0 ",
      .name = "llvmpipe (LLVM 15.0.6, 256 bits)", .vendor = "Mesa/X.org", .driver_version = "22.3.6",
      .device_version = "OpenCL 3.0", .opencl_c_version = "OpenCL C 1.2",
      .extensions = "cl_khr_byte_addressable_store cl_khr_global_int32_base_atomics "
                    "cl_khr_global_int32_extended_atomics cl_khr_local_int32_base_atomics "
                    "cl_khr_local_int32_extended_atomics cl_khr_3d_image_writes",
      .opencl_c_features = "__opencl_c_int64 __opencl_c_images __opencl_c_3d_image_writes",
      .type = CLEMBED_DEVICE_CPU, .vendor_id = 0, .compute_units = 8, .max_clock_mhz = 300,
      .global_mem_bytes = 2147483648ull, .max_alloc_bytes = 2147483648ull, .local_mem_bytes = 32768,
      .max_work_group_size = 1024, .max_work_item_sizes = {1024, 1024, 1024}, .preferred_vector_width_float = 1,
      .host_unified_memory = 1, .profiling = 1},
     "llvmpipe", "LLVM 15.0.6, 256 bits", "", "", "", "", 0, 0, 1, 0},

    {"PoCL 6.0 CPU (Jetson Nano, aarch64)", "jetson", "jetson", GiB(2),
     {.platform_name = "Portable Computing Language", .platform_vendor = "The pocl project",
      .platform_version = "OpenCL 3.0 PoCL 6.0  Linux, RelWithDebInfo, RELOC, LLVM 15.0.7, SLEEF, CUDA, POCL_DEBUG",
      .name = "cpu-cortex-a57-cortex-a57", .vendor = "ARM", .driver_version = "6.0",
      .device_version = "OpenCL 3.0 PoCL HSTR: cpu-aarch64-unknown-linux-gnu-cortex-a57",
      .opencl_c_version = "OpenCL C 1.2 PoCL",
      .extensions = "cl_khr_byte_addressable_store cl_khr_global_int32_base_atomics "
                    "cl_khr_global_int32_extended_atomics cl_khr_local_int32_base_atomics "
                    "cl_khr_local_int32_extended_atomics cl_khr_3d_image_writes cl_khr_command_buffer "
                    "cl_khr_command_buffer_multi_device cl_khr_subgroups cl_intel_unified_shared_memory "
                    "cl_ext_buffer_device_address       cl_pocl_svm_rect cl_pocl_command_buffer_svm       "
                    "cl_pocl_command_buffer_host_buffer cl_khr_subgroup_ballot cl_khr_subgroup_shuffle "
                    "cl_intel_subgroups cl_intel_subgroups_short cl_ext_float_atomics "
                    "cl_intel_required_subgroup_size cl_khr_fp64 cl_khr_int64_base_atomics "
                    "cl_khr_int64_extended_atomics",
      .type = CLEMBED_DEVICE_CPU, .vendor_id = 0x13b5, .compute_units = 4, .max_clock_mhz = 1479,
      .global_mem_bytes = 3117493248ull, .max_alloc_bytes = 1073741824ull, .local_mem_bytes = 524288,
      .global_cache_bytes = 2097152, .max_work_group_size = 4096, .max_work_item_sizes = {4096, 4096, 4096},
      .preferred_vector_width_float = 4, .host_unified_memory = 1, .profiling = 1},
     "cortex-a57", "cpu", "cortex-a57", "", "cl_khr_subgroups", "", 1, 0, 1, 0},

    {"PoCL 6.0 CUDA (Jetson Nano, Tegra X1)", "jetson", "jetson", GiB(2),
     {.platform_name = "Portable Computing Language", .platform_vendor = "The pocl project",
      .platform_version = "OpenCL 3.0 PoCL 6.0  Linux, RelWithDebInfo, RELOC, LLVM 15.0.7, SLEEF, CUDA, POCL_DEBUG",
      .name = "NVIDIA Tegra X1", .vendor = "NVIDIA Corporation", .driver_version = "6.0",
      .device_version = "OpenCL 3.0 PoCL HSTR: CUDA-sm_53", .opencl_c_version = "OpenCL C 1.2 PoCL",
      .extensions = "cl_khr_byte_addressable_store cl_khr_global_int32_base_atomics     "
                    "cl_khr_global_int32_extended_atomics cl_khr_local_int32_base_atomics     "
                    "cl_khr_local_int32_extended_atomics cl_khr_int64_base_atomics     "
                    "cl_khr_int64_extended_atomics cl_nv_device_attribute_query cl_khr_fp16 cl_khr_fp64 "
                    "cl_ext_buffer_device_address cl_khr_subgroup_ballot cl_khr_subgroup_shuffle",
      .type = CLEMBED_DEVICE_GPU, .vendor_id = 0x10de, .compute_units = 1, .max_clock_mhz = 921,
      .global_mem_bytes = 4156657664ull, .max_alloc_bytes = 1783308288ull, .local_mem_bytes = 49152,
      .max_work_group_size = 1024, .max_work_item_sizes = {1024, 1024, 64}, .preferred_vector_width_float = 1,
      .host_unified_memory = 1, .profiling = 1, .has_pci = 1, .nv_cc = 53},
     "NVIDIA Tegra X1", "", "sm_53", "sm_5", "", "0000:00:00.0", 1, 1, 1, 0},

    {"rusticl iris Intel UHD 620 (Mesa 25.1.6)", "dt19150", NULL, GiB(16),
     {.platform_name = "rusticl", .platform_vendor = "Mesa/X.org",
      .name = "Mesa Intel(R) UHD Graphics 620 (KBL GT2)", .vendor = "Intel",
      .driver_version = "25.1.6 - kisak-mesa PPA", .device_version = "OpenCL 3.0",
      .type = CLEMBED_DEVICE_GPU, .vendor_id = 32902,
      /* "19909 MB" and "1024 MB" as darktable prints them (MiB) */
      .global_mem_bytes = MiB(19909), .max_alloc_bytes = MiB(1024), .max_work_group_size = 1024,
      .host_unified_memory = 1},
     "Mesa Intel(R) UHD Graphics 620 (KBL GT2)", "", "", "", "", "", 0, 0, 1, 0},

    {"NEO Alder Lake graphics (22.43.24595)", "futhark", NULL, 0,
     {.platform_name = "Intel(R) OpenCL HD Graphics", .platform_vendor = "Intel(R) Corporation",
      .name = "Intel(R) Graphics [0x46a6]", .vendor = "Intel(R) Corporation", .driver_version = "22.43.24595",
      .device_version = "OpenCL 3.0 NEO", .opencl_c_version = "OpenCL C 1.2", .type = CLEMBED_DEVICE_GPU,
      .vendor_id = 0x8086, .has_uuid = 1,
      .uuid = {0x86, 0x80, 0x00, 0x00, 0xa6, 0x46, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
     "Intel(R) Graphics [0x46a6]", "", "", "", "", "", 0, 0, 0, 0},

    {"NVIDIA GeForce RTX 2080 Ti (460.73.01)", "vanity", NULL, 0,
     {.platform_name = "NVIDIA CUDA", .platform_vendor = "NVIDIA Corporation", .name = "GeForce RTX 2080 Ti",
      .vendor = "NVIDIA Corporation", .driver_version = "460.73.01", .device_version = "OpenCL 1.2 CUDA",
      .opencl_c_version = "OpenCL C 1.2", .type = CLEMBED_DEVICE_GPU, .vendor_id = 0x10de,
      .compute_units = 68, .max_clock_mhz = 1755, .has_uuid = 1,
      .uuid = {0x93, 0xa0, 0x45, 0xae, 0x97, 0x0c, 0x69, 0xe2, 0x0f, 0x24, 0xe4, 0x7a, 0xa2, 0x1a, 0xb0, 0x72},
      .has_pci = 1, .pci_bus = 0x42, .nv_cc = 75},
     "GeForce RTX 2080 Ti", "", "sm_75", "sm_7", "", "0000:42:00.0", 0, 0, 0, 0},

    {"PoCL 1.5 (KVM guest)", "hashcat", NULL, 0,
     {.platform_name = "Portable Computing Language", .platform_vendor = "The pocl project",
      .platform_version = "OpenCL 1.2 pocl 1.5, Debug+Asserts, LLVM 6.0.0, RELOC, SPIR, SLEEF, POCL_DEBUG",
      .name = "pthread-Common KVM processor", .vendor = "GenuineIntel", .driver_version = "1.5",
      .device_version = "OpenCL 1.2 pocl HSTR: pthread-x86_64-pc-linux-gnu-k6-3",
      .opencl_c_version = "OpenCL C 1.2 pocl", .type = CLEMBED_DEVICE_CPU, .vendor_id = 0x6c636f70},
     "Common KVM processor", "pthread", "k6-3", "", "", "", 0, 0, 1, 0},

    {"rusticl radeonsi Radeon Pro WX 4100 (Mesa, LLVM 18.1.8)", "aosc", NULL, 0,
     {.platform_name = "rusticl", .name = "AMD Radeon Pro WX 4100 (radeonsi, polaris11, LLVM 18.1.8, DRM 3.59, "
                                          "6.11.8-aosc-main)",
      .type = CLEMBED_DEVICE_GPU, .vendor_id = 0x1002},
     "AMD Radeon Pro WX 4100", "radeonsi, LLVM 18.1.8, DRM 3.59, 6.11.8-aosc-main", "gfx803", "gfx8", "", "",
     0, 0, 0, 0},

    {"radeonsi Radeon 780M (Mesa 24.2.8)", "glrenderer", NULL, 0,
     {.platform_name = "rusticl", .name = "AMD Radeon 780M (radeonsi, gfx1103_r1, LLVM 19.1.1, DRM 3.61, "
                                          "6.11.0-26-generic)",
      .type = CLEMBED_DEVICE_GPU, .vendor_id = 0x1002},
     "AMD Radeon 780M", "radeonsi, LLVM 19.1.1, DRM 3.61, 6.11.0-26-generic", "gfx1103", "gfx11", "", "",
     0, 0, 1, 1},
};

#define DEVTABLE_N (sizeof devtable / sizeof devtable[0])

#endif
