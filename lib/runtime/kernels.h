/* Internal to libclembed: the registry of kernels, their variants and tunable parameters.
 * The runtime, the tuner and the tests all read this one table. */
#ifndef CLEMBED_KERNELS_H
#define CLEMBED_KERNELS_H

#include "runtime/device.h"

#include <stddef.h>
#include <stdint.h>

#define CLEMBED_MAX_PARAMS  4
#define CLEMBED_MAX_CHOICES 8

/* The sizes an op runs at; each op reads the fields it needs. */
typedef struct clembed__shape {
    uint32_t tokens;   /* rows: batch * seq */
    uint32_t hidden;   /* row width (hidden size) */
    uint32_t heads;    /* attention heads */
    uint32_t seq;      /* padded sequence length */
    uint32_t batch;    /* sequences */
    uint32_t inter;    /* feed-forward width */
    uint32_t wdtype;   /* how the weights the op reads are stored (CLEMBED__WDT_*); not part of
                        * a profile's shapes: parameters carry over between dtypes */
} clembed__shape;

/* Weight storage: float, IEEE half, bfloat16; kernels widen to float (-DWDT). */
enum { CLEMBED__WDT_F32 = 0, CLEMBED__WDT_F16 = 1, CLEMBED__WDT_BF16 = 2 };

/* A WG value: no required work-group size, the driver picks the local size
 * (launches pass a NULL local size). */
#define CLEMBED_WG_DRIVER (-1)

/* Tunable parameters by id; their names are the -D macros of the kernels and the keys of
 * profiles.  Code reads a kernel's values by id (clembed__kparam), never by position. */
#define CLEMBED__PARAM_LIST(X) X(WG) X(VEC) X(KT) X(TM) X(TN) X(VN) X(QB)
typedef enum clembed__param_id {
    CLEMBED__P_NONE = 0,   /* an unused slot */
#define CLEMBED_X_(p) CLEMBED__P_##p,
    CLEMBED__PARAM_LIST(CLEMBED_X_)
#undef CLEMBED_X_
    CLEMBED__N_PARAM_IDS
} clembed__param_id;

/* How the runtime may change a parameter to fit a shape or a device. */
enum {
    CLEMBED__PF_VECTOR = 1 << 0,   /* a vector width: 1 in scalar builds, the device's preferred
                                    * float vector width by default */
    CLEMBED__PF_SHRINK = 1 << 1    /* halved until the kernel fits the shape (a vector wider
                                    * than a row, tiles larger than local memory) */
};

/* A tunable parameter, passed to the OpenCL compiler as -D<name>=<value>. */
typedef struct clembed__param_def {
    const char *name;                   /* macro name, e.g. "WG"; NULL ends the list */
    clembed__param_id id;
    int         def;                    /* built-in default */
    unsigned    flags;                  /* CLEMBED__PF_* */
    int         choices[CLEMBED_MAX_CHOICES]; /* tuner candidates, 0-terminated */
} clembed__param_def;

typedef struct clembed__kernel_def clembed__kernel_def;
struct clembed__kernel_def {
    const char *op;         /* op family, e.g. "layernorm" */
    const char *variant;    /* e.g. "rows" */
    const char *kernel;     /* OpenCL kernel name: <op>_<dtype>[_<variant>] */
    const char *source;     /* file stem in cl/ */
    /* Constraint every parameter set must satisfy whatever the shape (values in the row's
     * order, WG first); NULL when none. */
    int (*valid)(const int *values, size_t max_work_group_size);
    /* What the row asks of the shape and the device (a vector width dividing the row, tiles in
     * local memory); NULL when nothing.  On failure *why (static) says what is wrong. */
    int (*fits)(const clembed__kernel_def *k, const int *values, const clembed__shape *shape,
                const clembed__device *dev, const char **why);
    clembed__param_def params[CLEMBED_MAX_PARAMS];
    unsigned    cpu;        /* CLEMBED__CPU_* (device.h): the op's variant for such CPU devices
                             * when no profile chooses (the most specific match wins) */
    int         per_item;   /* a work-item per row (else a work-group per row) */
    int         head_dim;   /* compiled for the shape's head size (-DHEAD_DIM) */
    int         wdtype;     /* compiled for the shape's weight storage (-DWDT) */
};

/* The parameter names by id ("WG", ...); NULL for CLEMBED__P_NONE. */
extern const char *const clembed__param_names[CLEMBED__N_PARAM_IDS];

/* The value of parameter `id` of k in `values` (NULL: the defaults); `fallback` when k has no
 * such parameter. */
int clembed__kparam(const clembed__kernel_def *k, const int *values, clembed__param_id id,
                    int fallback);
/* Its slot in k's values, -1 when k has none. */
int clembed__kparam_index(const clembed__kernel_def *k, clembed__param_id id);

extern const clembed__kernel_def clembed__kernels[];
extern const size_t clembed__n_kernels;

/* Lookup by OpenCL kernel name; NULL when unknown. */
const clembed__kernel_def *clembed__kernel_find(const char *kernel);
/* Number of parameters of a definition. */
size_t clembed__kernel_n_params(const clembed__kernel_def *k);
/* "-DWG=64 -DVEC=4" for values (NULL: the defaults) into buf. */
void clembed__kernel_options(const clembed__kernel_def *k, const int *values, char *buf, size_t cap);

#endif
