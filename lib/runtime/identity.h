/* Internal to libclembed: what a device's name says about its hardware, read apart from what
 * it says about the driver stack. */
#ifndef CLEMBED_IDENTITY_H
#define CLEMBED_IDENTITY_H

#include <stdint.h>

/* What the name-reading rules are given: the strings the driver reports. */
typedef struct clembed__name_input {
    const char *platform;        /* CL_PLATFORM_NAME */
    const char *name;            /* CL_DEVICE_NAME */
    const char *device_version;  /* CL_DEVICE_VERSION (PoCL's names its LLVM target there) */
    uint32_t nv_cc;              /* NVIDIA compute capability as major * 10 + minor; 0 = none */
} clembed__name_input;

/* A device name split exactly into its hardware part and the software part drivers append
 * (rusticl's and llvmpipe's parenthesised compiler, DRM and kernel versions; PoCL's driver
 * prefix; ROCm's target features), with the architecture the name reveals. */
typedef struct clembed__name_split {
    char hardware[256];   /* "Radeon 8060S Graphics", "llvmpipe", "Intel(R) Xeon(R) Processor" */
    char software[256];   /* "radeonsi, LLVM 20.1.8, DRM 3.64, 6.17.1-2-cachyos"; "" when none */
    char arch[48];        /* "gfx1151", "skylake-avx512", "sm_35"; "" when the name does not say */
    char family[24];      /* "gfx11", "sm_3"; "" */
    char model[256];      /* what tells models apart: the hardware part, except under radeonsi and
                             r600, whose marketing names come from libdrm's table and change with it
                             (Strix Halo: "AMD Radeon Graphics" under Mesa 25.0, "Radeon 8060S
                             Graphics" under 25.2), where it is the architecture */
    int libdrm_name;      /* the hardware part is a marketing name from libdrm's table */
    int integrated;       /* the architecture is an APU's: its GPU shares the host's memory */
    const char *rule;     /* which rule read the name, for messages */
} clembed__name_split;

/* Splits in->name.  Parentheses that belong to the hardware ("Intel(R) Xeon(R)", "AMD
 * Radeon(TM)", iris's "(KBL GT2)") stay: a trailing group is software only when its items are
 * a driver's (a gallium driver name, "LLVM x", "ACO", "DRM x", a kernel release, "N bits"),
 * and a chip it names ("gfx1151", Mesa's older "renoir") becomes the architecture. */
void clembed__name_split_read(const clembed__name_input *in, clembed__name_split *out);

#endif
