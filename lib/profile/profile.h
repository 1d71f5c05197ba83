/* Internal to libclembed: tuning profiles, as read by the runtime and built by the tuner. */
#ifndef CLEMBED_PROFILE_H
#define CLEMBED_PROFILE_H

#include "runtime/device.h"
#include "runtime/kernels.h"

/* The public clembed_profile, under its internal name. */
typedef struct clembed_profile clembed__profile;

#define CLEMBED_PROFILE_SCHEMA 1

/* Finds and loads the profile for a device: `path` when given, "off" for
 * none, NULL for the lookup order of DESIGN.md.  *out is NULL when no usable
 * profile exists (built-in defaults apply); that is not an error.  Problems
 * (corrupt, foreign, stale) are logged once per process and file.  A loaded
 * profile's CLBlast parameters are applied for dev (clembed__profile_apply_clblast);
 * CLBlast keeps them for the rest of the process, which a later call without
 * a profile warns about. */
clembed_status clembed__profile_load_for_device(const clembed__device *dev, const char *path,
                                                clembed__profile **out);
void clembed__profile_free(clembed__profile *p);

/* dev's own profile (USED or STALE; NULL when none), found as contexts find it from `path`
 * (NULL: the lookup order); nothing is logged or applied, clembed_errmsg() stays. */
clembed__profile *clembed__profile_find_own(const clembed__device *dev, const char *path);

/* The variant of `op` to run at `shape`: the profile's choice, else the
 * registry's first kernel of that op (on a CPU device, cpu being its
 * clembed__device_cpu_kind, the variant for the most specific kind that
 * matches, where there is one); NULL when the registry has no such op. */
const clembed__kernel_def *clembed__profile_variant(const clembed__profile *p, const char *op,
                                                    const clembed__shape *shape, unsigned cpu);

/* Parameter values for kernel k at `shape`: the profile's, else the
 * registry's defaults.  `values` has CLEMBED_MAX_PARAMS entries. */
void clembed__profile_params(const clembed__profile *p, const clembed__kernel_def *k,
                             const clembed__shape *shape, int *values);

/* The GEMM provider ("kernel", "clblast", "blas") the profile measured fastest at the shape
 * nearest to `shape` (m = tokens, k = hidden, n = inter); NULL when it measured none. */
const char *clembed__profile_gemm_provider(const clembed__profile *p, const clembed__shape *shape);

/* The op name of the entries that compare GEMM providers (kernel: the provider's name). */
#define CLEMBED__PROFILE_GEMM_PROVIDER_OP "gemm_provider"

/* The device batch token budget the profile recommends, 0 when it has none. */
uint32_t clembed__profile_batch_tokens(const clembed__profile *p);

/* Applies the profile's CLBlast parameter overrides for dev (process-wide in
 * CLBlast; clembed__profile_load_for_device() already does it); a no-op for
 * NULL.  Failures are logged, not returned. */
void clembed__profile_apply_clblast(const clembed__profile *p, const clembed__device *dev);

/* How the loaded profile relates to its device (USED or STALE), and its file. */
clembed_profile_state clembed__profile_state(const clembed__profile *p);
const char *clembed__profile_path(const clembed__profile *p);

/* clembed_profile_match() and clembed_profile_file_name() for a device
 * given by its description (the tests use made-up ones). */
clembed_profile_state clembed__profile_match_device(const clembed__profile *p, const clembed__device *dev,
                                                   char *why, size_t cap);
clembed_status clembed__profile_file_name(const clembed__device *dev, char *buf, size_t cap);

/* Fills dst with what it lacks from a less specific level's src: the entries of every op dst
 * has none of (GEMM entries as one op), CLBlast sets by kernel and precision, the probe and
 * the batch budget.  *ops and *sets (may be NULL) count what came from src. */
clembed_status clembed__profile_fill(clembed__profile *dst, const clembed__profile *src, size_t *ops,
                                     size_t *sets);

/* Which of a and b measured its device faster: the summed best times of the op and GEMM shapes
 * both measured, else the probes' read bandwidth.  < 0: a, > 0: b, 0: they cannot be compared.
 * *ta and *tb get the sums (seconds; 0 when bandwidth decided), *shared the shapes compared. */
int clembed__profile_compare_speed(const clembed__profile *a, const clembed__profile *b, double *ta,
                                   double *tb, size_t *shared);

/* The class a class-level profile serves (CLEMBED_PROFILE_LEVEL_DEVICE for a device's own). */
clembed_profile_level clembed__profile_level(const clembed__profile *p);

/* ---- building (the tuner) ------------------------------------------------ */

/* A fresh, empty profile carrying dev's identity and software stack. */
clembed_status clembed__profile_new(const clembed__device *dev, clembed__profile **out);

/* A deep copy of src's entries, probe, CLBlast sets and batch tokens into dst
 * (identity untouched): entries whose (kernel, shape) dst already has are
 * skipped.  Used to carry results forward into a new run. */
clembed_status clembed__profile_merge(clembed__profile *dst, const clembed__profile *src);

typedef struct clembed__profile_entry {
    char *op, *kernel;
    clembed__shape shape;          /* ops: the harness shape; gemm: m=tokens n=inter k=hidden */
    int is_gemm;
    size_t n_params;
    char *pnames[CLEMBED_MAX_PARAMS];
    int pvalues[CLEMBED_MAX_PARAMS];
    double default_s, tuned_s, roofline_s, max_err, bytes, flops;
    unsigned candidates, outliers;
    char **rejected;               /* "WG=16 VEC=8: <why>", up to a bound */
    size_t n_rejected;
    unsigned n_rejected_total;
    int chosen;                    /* computed: best variant of its op at its shape */
    char *shape_str, *params_str;  /* computed for reports */
} clembed__profile_entry;

/* Adds (or replaces, by kernel and shape) an entry; the profile copies
 * everything. */
clembed_status clembed__profile_put(clembed__profile *p, const clembed__profile_entry *e);
/* The entry for kernel at exactly `shape`; NULL when none. */
const clembed__profile_entry *clembed__profile_find(const clembed__profile *p, const char *kernel,
                                                    const clembed__shape *shape);
/* The entry for kernel nearest to `shape` (log-scale distance); NULL when none. */
const clembed__profile_entry *clembed__profile_nearest(const clembed__profile *p, const char *kernel,
                                                       const clembed__shape *shape);

void clembed__profile_set_probe(clembed__profile *p, const clembed_probe_result *r);
int clembed__profile_has_probe(const clembed__profile *p);
void clembed__profile_set_batch_tokens(clembed__profile *p, uint32_t tokens);
void clembed__profile_set_complete(clembed__profile *p, int complete);
/* Seconds spent by the runs that built p so far (resumed runs add up). */
double clembed__profile_elapsed(const clembed__profile *p);
void clembed__profile_set_elapsed(clembed__profile *p, double seconds);
/* The stage bits the run finished (CLEMBED_TUNE_*). */
unsigned clembed__profile_stages_done(const clembed__profile *p);
void clembed__profile_set_stages_done(clembed__profile *p, unsigned stages);

/* A complete CLBlast parameter set for one kernel ("Xgemm", "XgemmDirect",
 * "GemmRoutine") and precision (16, 32, 64); replaces one of the same name. */
clembed_status clembed__profile_set_clblast(clembed__profile *p, const char *kernel, int precision,
                                            size_t n, const char *const *names, const size_t *values);
size_t clembed__profile_clblast_count(const clembed__profile *p);
/* The i-th set; pointers belong to the profile. */
int clembed__profile_clblast_get(const clembed__profile *p, size_t i, const char **kernel,
                                 int *precision, size_t *n, const char *const **names,
                                 const size_t **values);

/* "tokens=512 hidden=384 heads=12 seq=128 batch=4 inter=1536", zero fields left out. */
void clembed__shape_string(const clembed__shape *s, char *buf, size_t cap);

/* The CLBlast version loaded in this process ("1.5.3"), "unknown" when it cannot be told. */
const char *clembed__clblast_version(void);

#endif
