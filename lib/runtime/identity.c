/* Reading a device name apart: the hardware it names and the driver stack it also names.
 *
 * Drivers put software into CL_DEVICE_NAME, and it changes under the user's feet:
 *   rusticl/radeonsi  "Radeon 8060S Graphics (radeonsi, gfx1151, LLVM 20.1.8, DRM 3.64, 6.17.1-2-cachyos)"
 *   llvmpipe          "llvmpipe (LLVM 15.0.6, 256 bits)"
 *   PoCL              "pthread-skylake-avx512-Intel(R) Xeon(R) Processor" (PoCL 4 says "cpu-...")
 *   ROCm              "gfx1012:xnack-"
 *   NVIDIA            "GeForce RTX 2080 Ti" until driver 465, "NVIDIA GeForce RTX 2080 Ti" since
 * while hardware names carry parentheses of their own ("Intel(R) Xeon(R)", "AMD Radeon(TM)",
 * "Mesa Intel(R) UHD Graphics 620 (KBL GT2)").  One rule per driver family, first match wins;
 * each rule says itself when it applies. */
#include "runtime/identity.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct rule {
    const char *what;
    int (*applies)(const clembed__name_input *in);
    void (*split)(const clembed__name_input *in, clembed__name_split *out);
} rule;

static void copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void trim(char *s)
{
    size_t n = strlen(s), i = 0;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    while (isspace((unsigned char)s[i]))
        i++;
    memmove(s, s + i, n - i + 1);
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- Mesa's gallium drivers: "<hardware> (<driver>, <chip>, LLVM x, DRM y, <kernel>)" -------- */

static const char *const gallium_drivers[] = {
    "radeonsi", "r600", "iris", "crocus", "i915", "zink", "nouveau", "panfrost", "asahi",
    "freedreno", "v3d", "vc4", "etnaviv", "lima", "llvmpipe", "softpipe", "d3d12", "virgl",
};

/* "6.17.1-2-cachyos", "6.6.62-gentoo", "5.10.0": digits and dots first, then anything. */
static int kernel_release(const char *s, size_t n)
{
    size_t i = 0, dots = 0;
    while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '.'))
        dots += s[i++] == '.';
    return i > 0 && isdigit((unsigned char)s[0]) && dots >= 1 &&
           (i == n || strchr("-+_~", s[i]) != NULL);
}

/* 1 when an item of the trailing group belongs to the stack. */
static int software_item(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof gallium_drivers / sizeof *gallium_drivers; i++)
        if (strlen(gallium_drivers[i]) == n && strncmp(s, gallium_drivers[i], n) == 0)
            return 1;
    if ((n > 5 && strncmp(s, "LLVM ", 5) == 0) || (n > 4 && strncmp(s, "DRM ", 4) == 0) ||
        (n == 3 && strncmp(s, "ACO", 3) == 0))
        return 1;
    if (n > 5 && strncmp(s + n - 5, " bits", 5) == 0 && strspn(s, "0123456789") == n - 5)
        return 1;   /* llvmpipe's vector width */
    return kernel_release(s, n);
}

/* The '(' that opens the group the name ends with; NULL when it does not end with one. */
static const char *trailing_group(const char *name)
{
    size_t n = strlen(name);
    while (n > 0 && isspace((unsigned char)name[n - 1]))
        n--;
    if (n < 2 || name[n - 1] != ')')
        return NULL;
    int depth = 0;
    for (size_t i = n; i-- > 0;) {
        if (name[i] == ')')
            depth++;
        else if (name[i] == '(' && --depth == 0)
            return i > 0 ? name + i : NULL;
    }
    return NULL;
}

/* The comma-separated item of a group that starts at *p and ends before close or a comma,
 * without its spaces, in [*a, *b); *p moves to the next item. */
static void group_item(const char **p, const char *close, const char **a, const char **b)
{
    const char *end = *p;
    while (end < close && *end != ',')
        end++;
    *a = *p, *b = end;
    while (*a < *b && isspace((unsigned char)**a))
        (*a)++;
    while (*b > *a && isspace((unsigned char)(*b)[-1]))
        (*b)--;
    *p = end + 1;
}

static int mesa_applies(const clembed__name_input *in)
{
    const char *open = trailing_group(in->name);
    if (!open)
        return 0;
    const char *close = strrchr(open, ')');
    for (const char *p = open + 1, *a, *b; p < close;) {
        group_item(&p, close, &a, &b);
        if (software_item(a, (size_t)(b - a)))
            return 1;
    }
    return 0;
}

static void mesa_split(const clembed__name_input *in, clembed__name_split *out)
{
    const char *open = trailing_group(in->name);
    const char *close = strrchr(open, ')');
    copy(out->hardware, sizeof out->hardware, in->name, (size_t)(open - in->name));
    trim(out->hardware);
    size_t used = 0;
    for (const char *p = open + 1, *a, *b; p < close;) {
        group_item(&p, close, &a, &b);
        size_t n = (size_t)(b - a);
        if (n && software_item(a, n)) {
            if ((n == 8 && strncmp(a, "radeonsi", 8) == 0) || (n == 4 && strncmp(a, "r600", 4) == 0))
                out->libdrm_name = 1;
            if (used + n + 3 < sizeof out->software) {
                used += (size_t)snprintf(out->software + used, sizeof out->software - used, "%s%.*s",
                                         used ? ", " : "", (int)n, a);
            }
        } else if (n && !out->arch[0]) {
            copy(out->arch, sizeof out->arch, a, n);   /* the chip: "gfx1151", "renoir" */
        }
    }
}

/* ---- PoCL: "<driver>-[<LLVM CPU>-]<CPU model>", the LLVM target in CL_DEVICE_VERSION's HSTR -- */

static int pocl_applies(const clembed__name_input *in)
{
    return in->platform && strcmp(in->platform, "Portable Computing Language") == 0;
}

/* "pthread-x86_64-pc-linux-gnu-skylake-avx512" from "OpenCL 3.0 PoCL HSTR: pthread-...". */
static void pocl_hstr(const char *version, char *buf, size_t cap)
{
    const char *h = version ? strstr(version, "HSTR: ") : NULL;
    buf[0] = '\0';
    if (!h)
        return;
    h += 6;
    copy(buf, cap, h, strcspn(h, " "));
}

/* The LLVM CPU at the end of a host triple's HSTR: after the triple's environment word. */
static const char *hstr_cpu(const char *hstr)
{
    static const char *const env[] = {"gnu", "gnueabi", "gnueabihf", "android", "androideabi", "musl",
                                      "musleabihf", "elf", "msvc", "linux"};
    const char *cpu = NULL;
    for (const char *p = strchr(hstr, '-'); p; p = strchr(p + 1, '-')) {
        const char *word = p + 1, *end = strchr(word, '-');
        size_t n = end ? (size_t)(end - word) : strlen(word);
        for (size_t i = 0; i < sizeof env / sizeof *env; i++)
            if (strlen(env[i]) == n && strncmp(word, env[i], n) == 0 && end)
                cpu = end + 1;
        if (end && (starts(word, "macos") || starts(word, "darwin") || starts(word, "ios")))
            cpu = end + 1;
    }
    return cpu;
}

static void pocl_split(const clembed__name_input *in, clembed__name_split *out)
{
    static const char *const drivers[] = {"cpu-minimal", "cpu-tbb", "pthread", "basic", "cpu", "tbb"};
    const char *rest = in->name;
    for (size_t i = 0; i < sizeof drivers / sizeof *drivers; i++) {
        size_t n = strlen(drivers[i]);
        if (strncmp(rest, drivers[i], n) == 0 && (rest[n] == '-' || rest[n] == '\0')) {
            copy(out->software, sizeof out->software, rest, n);
            rest += n + (rest[n] == '-');
            break;
        }
    }
    char hstr[160];
    pocl_hstr(in->device_version, hstr, sizeof hstr);
    if (starts(hstr, "CUDA-")) {
        copy(out->arch, sizeof out->arch, hstr + 5, strlen(hstr + 5));
    } else if (hstr[0]) {
        /* The longest tail of the HSTR that the name starts with is the LLVM CPU it carries
         * (PoCL 3 on: "skylake-avx512-Intel(R) ..."); else the tail after the triple. */
        for (const char *p = strchr(hstr, '-'); p && !out->arch[0]; p = strchr(p + 1, '-')) {
            size_t n = strlen(p + 1);
            if (n && strncmp(rest, p + 1, n) == 0 && (rest[n] == '-' || rest[n] == '\0')) {
                copy(out->arch, sizeof out->arch, p + 1, n);
                rest += n + (rest[n] == '-');
            }
        }
        const char *cpu = out->arch[0] ? NULL : hstr_cpu(hstr);
        if (cpu)
            copy(out->arch, sizeof out->arch, cpu, strlen(cpu));
    }
    copy(out->hardware, sizeof out->hardware, rest, strlen(rest));
    trim(out->hardware);
    if (!out->hardware[0])   /* PoCL 6 without a CPU model: "cpu" */
        copy(out->hardware, sizeof out->hardware, out->arch[0] ? out->arch : in->name,
             strlen(out->arch[0] ? out->arch : in->name));
}

/* ---- ROCm and AMD APP: "gfx1151", "gfx1012:xnack-", "gfx90a:sramecc+:xnack-" ---------------- */

static int rocm_applies(const clembed__name_input *in)
{
    return in->platform && strcmp(in->platform, "AMD Accelerated Parallel Processing") == 0 &&
           starts(in->name, "gfx") && isalnum((unsigned char)in->name[3]);
}

static void rocm_split(const clembed__name_input *in, clembed__name_split *out)
{
    size_t n = strcspn(in->name, ":");
    copy(out->hardware, sizeof out->hardware, in->name, n);
    copy(out->arch, sizeof out->arch, in->name, n);
    if (in->name[n] == ':')
        copy(out->software, sizeof out->software, in->name + n + 1, strlen(in->name + n + 1));
}

/* ---- NVIDIA: drivers from 465 on prefix the same board's name with "NVIDIA " ----------------- */

static int nvidia_applies(const clembed__name_input *in)
{
    return in->platform && strcmp(in->platform, "NVIDIA CUDA") == 0;
}

static void nvidia_split(const clembed__name_input *in, clembed__name_split *out)
{
    const char *n = starts(in->name, "NVIDIA GeForce ") || starts(in->name, "NVIDIA TITAN") ||
                            starts(in->name, "NVIDIA Quadro ")
                        ? in->name + 7
                        : in->name;
    copy(out->hardware, sizeof out->hardware, n, strlen(n));
    trim(out->hardware);
}

/* ---- everything else: the name is the hardware ---------------------------------------------- */

static int any(const clembed__name_input *in)
{
    (void)in;
    return 1;
}

static void plain_split(const clembed__name_input *in, clembed__name_split *out)
{
    copy(out->hardware, sizeof out->hardware, in->name, strlen(in->name));
    trim(out->hardware);
}

static const rule rules[] = {
    {"PoCL driver prefix and LLVM target", pocl_applies, pocl_split},
    {"ROCm target and features", rocm_applies, rocm_split},
    {"NVIDIA's name without the prefix newer drivers add", nvidia_applies, nvidia_split},
    {"Mesa driver, compiler, DRM and kernel versions", mesa_applies, mesa_split},
    {"the name as given", any, plain_split},
};

/* ---- architectures --------------------------------------------------------------------------- */

/* Mesa before 24.x named AMD chips by code name; LLVM names the same ISA by its gfx target,
 * which is what ROCm reports and what newer Mesa prints.  `integrated`: an APU, whose GPU
 * uses the host's memory (AMD's and LLVM's product tables). */
static const struct chip {
    const char *name, *gfx;
    int integrated;
} chips[] = {
    {"polaris10", "gfx803", 0}, {"polaris11", "gfx803", 0}, {"polaris12", "gfx803", 0},
    {"vegam", "gfx803", 0},     {"fiji", "gfx803", 0},      {"tonga", "gfx802", 0},
    {"carrizo", "gfx801", 1},   {"stoney", "gfx810", 1},    {"vega10", "gfx900", 0},
    {"raven", "gfx902", 1},     {"vega12", "gfx904", 0},    {"vega20", "gfx906", 0},
    {"arcturus", "gfx908", 0},  {"raven2", "gfx909", 1},    {"aldebaran", "gfx90a", 0},
    {"renoir", "gfx90c", 1},    {"navi10", "gfx1010", 0},   {"navi12", "gfx1011", 0},
    {"navi14", "gfx1012", 0},   {"navi21", "gfx1030", 0},   {"sienna_cichlid", "gfx1030", 0},
    {"navi22", "gfx1031", 0},   {"navy_flounder", "gfx1031", 0}, {"navi23", "gfx1032", 0},
    {"dimgrey_cavefish", "gfx1032", 0}, {"vangogh", "gfx1033", 1}, {"navi24", "gfx1034", 0},
    {"beige_goby", "gfx1034", 0}, {"rembrandt", "gfx1035", 1}, {"yellow_carp", "gfx1035", 1},
    {"raphael_mendocino", "gfx1036", 1}, {"navi31", "gfx1100", 0}, {"navi32", "gfx1101", 0},
    {"navi33", "gfx1102", 0},   {"phoenix", "gfx1103", 1},
    /* APUs by their gfx names (Strix Point, Strix Halo, Krackan Point and their siblings). */
    {"gfx801", "gfx801", 1},    {"gfx810", "gfx810", 1},    {"gfx902", "gfx902", 1},
    {"gfx909", "gfx909", 1},    {"gfx90c", "gfx90c", 1},    {"gfx1033", "gfx1033", 1},
    {"gfx1035", "gfx1035", 1},  {"gfx1036", "gfx1036", 1},  {"gfx1103", "gfx1103", 1},
    {"gfx1150", "gfx1150", 1},  {"gfx1151", "gfx1151", 1},  {"gfx1152", "gfx1152", 1},
    {"gfx1153", "gfx1153", 1},
};

/* "gfx1103_r1" (Phoenix 1 and 2 under radeonsi) is the ISA gfx1103; code names become gfx names. */
static void canonical_arch(clembed__name_split *out)
{
    char *a = out->arch;
    for (char *c = a; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (starts(a, "gfx")) {
        char *r = strstr(a, "_r");
        if (r && strspn(r + 2, "0123456789") == strlen(r + 2) && r[2])
            *r = '\0';
    }
    for (size_t i = 0; i < sizeof chips / sizeof *chips; i++)
        if (strcmp(a, chips[i].name) == 0) {
            snprintf(out->arch, sizeof out->arch, "%s", chips[i].gfx);
            out->integrated = chips[i].integrated;
            break;
        }
}

/* gfx1151 -> gfx11, gfx906 and gfx90a -> gfx9, sm_89 -> sm_8. */
static void family_of(clembed__name_split *out)
{
    const char *a = out->arch;
    out->family[0] = '\0';
    if (starts(a, "gfx")) {
        size_t n = strlen(a + 3);
        if (n == 4 && isdigit((unsigned char)a[3]) && isdigit((unsigned char)a[4]))
            snprintf(out->family, sizeof out->family, "gfx%.2s", a + 3);
        else if (n == 3 && isdigit((unsigned char)a[3]))
            snprintf(out->family, sizeof out->family, "gfx%.1s", a + 3);
    } else if (starts(a, "sm_") && isdigit((unsigned char)a[3]) && isdigit((unsigned char)a[4])) {
        snprintf(out->family, sizeof out->family, "sm_%.1s", a + 3);
    }
}

void clembed__name_split_read(const clembed__name_input *in, clembed__name_split *out)
{
    memset(out, 0, sizeof *out);
    clembed__name_input safe = *in;
    if (!safe.name)
        safe.name = "";
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
        if (rules[i].applies(&safe)) {
            rules[i].split(&safe, out);
            out->rule = rules[i].what;
            break;
        }
    if (!out->arch[0] && in->nv_cc)
        snprintf(out->arch, sizeof out->arch, "sm_%u%u", in->nv_cc / 10, in->nv_cc % 10);
    canonical_arch(out);
    family_of(out);
    snprintf(out->model, sizeof out->model, "%s", out->libdrm_name && out->arch[0] ? out->arch : out->hardware);
}
