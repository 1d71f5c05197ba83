/* Internal to the profile files (profile*.c): the profile object's layout and the helpers they share. */
#ifndef CLEMBED_PROFILE_PRIV_H
#define CLEMBED_PROFILE_PRIV_H

#include "profile/profile.h"

#define MAX_REJECTED_KEPT 16
#define MAX_ENV 32
#define MAX_CLBLAST_PARAMS 32

typedef struct clblast_set {
    char *kernel;
    int precision;
    size_t n;
    char **names;
    size_t *values;
} clblast_set;

struct clembed_profile {
    /* identity: hardware */
    char *dev_name, *dev_vendor;
    uint32_t vendor_id, compute_units;
    uint64_t global_mem, local_mem, max_alloc;
    char *dev_type;
    char uuid[40];                 /* "" when the device has none */
    char *hw_name, *model;         /* the name's hardware part, and what tells models apart (the
                                      architecture where the name is libdrm's marketing name) */
    char *arch, *family;           /* the architecture the name reveals: all of these read
                                      from the stored name by the runtime's rules, so files written
                                      before these fields existed compare the same way */
    char *pci_bus_id;              /* "" when unknown */
    size_t max_wg;                 /* not identity: validates parameter sets */
    /* identity: software */
    char *platform, *platform_version, *driver_version, *device_version, *opencl_c_version;
    char ext_hash[17], kernels_hash[17];
    char *clblast_version, *library_version;
    char *name_software;           /* the name's software part: a change makes the profile stale */
    size_t n_env;
    char *env_names[MAX_ENV], *env_values[MAX_ENV];
    /* run */
    char *created;
    int complete;
    double elapsed;
    unsigned stages_done;
    int has_probe;
    clembed_probe_result probe;
    uint32_t batch_tokens;
    clembed__profile_entry *entries;
    size_t n_entries, cap_entries;
    clblast_set *clblast;
    size_t n_clblast;
    /* the class a class-level profile serves */
    clembed_profile_level level;
    char *level_key;               /* "gfx1151", "gfx11", "1002-gpu"; NULL at device level */
    /* as loaded for a device */
    clembed_profile_state state;
    char *path;
    size_t n_sources;              /* the profiles combined into this one, most specific first */
    clembed_profile_source *sources;
};

/* The identity fields a parsed profile lacks or re-reads: the hardware part, architecture and
 * family of its stored device name, by the runtime's rules; 0 on out of memory. */
int clembed__profile_read_identity(clembed__profile *p);

/* The class key of a device or profile at `level` into buf ("" when it has none). */
void clembed__class_key(clembed_profile_level level, const char *arch, const char *family, uint32_t vendor_id,
                        const char *type, char *buf, size_t cap);
extern const char *const clembed__level_names[4];

void clembed__hex64(uint64_t v, char out[17]);
void clembed__profile_entry_clear(clembed__profile_entry *e);
/* Adds or replaces (by kernel and shape) a copy of e; do_refresh recomputes
 * the display strings and the per-op choices, which a reader does once at
 * the end. */
clembed_status clembed__profile_put_entry(clembed__profile *p, const clembed__profile_entry *e, int do_refresh);
clembed__profile_entry *clembed__profile_find_exact(const clembed__profile *p, const char *kernel,
                                                    const clembed__shape *shape, int is_gemm);
/* The display strings and the per-op choice after the entries changed; 0 on out of memory. */
int clembed__profile_refresh(clembed__profile *p);
/* Whether a profile set dev's CLBlast parameters in this process; mark records that one did. */
int clembed__profile_clblast_applied(const clembed__device *dev, int mark);

#endif
