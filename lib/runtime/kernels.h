/* Internal to libclembed: the registry of kernels, their variants and tunable parameters.
 * The runtime, the tuner and the tests all read this one table. */
#ifndef CLEMBED_KERNELS_H
#define CLEMBED_KERNELS_H

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
} clembed__shape;

/* A WG value: no required work-group size, the driver picks the local size
 * (launches pass a NULL local size). */
#define CLEMBED_WG_DRIVER (-1)

/* A tunable parameter, passed to the OpenCL compiler as -D<name>=<value>. */
typedef struct clembed__param_def {
    const char *name;                   /* macro name, e.g. "WG" */
    int         def;                    /* built-in default */
    int         choices[CLEMBED_MAX_CHOICES]; /* tuner candidates, 0-terminated */
} clembed__param_def;

typedef struct clembed__kernel_def {
    const char *op;         /* op family, e.g. "layernorm" */
    const char *variant;    /* e.g. "rows" */
    const char *kernel;     /* OpenCL kernel name: <op>_<dtype>[_<variant>] */
    const char *source;     /* file stem in cl/ */
    /* Constraint every parameter set must satisfy; NULL when none. */
    int (*valid)(const int *values, size_t max_work_group_size);
    clembed__param_def params[CLEMBED_MAX_PARAMS];
    int         cpu;        /* the op's variant for CPU devices when no profile chooses */
} clembed__kernel_def;

extern const clembed__kernel_def clembed__kernels[];
extern const size_t clembed__n_kernels;

/* Lookup by OpenCL kernel name; NULL when unknown. */
const clembed__kernel_def *clembed__kernel_find(const char *kernel);
/* Number of parameters of a definition. */
size_t clembed__kernel_n_params(const clembed__kernel_def *k);
/* "-DWG=64 -DVEC=4" for values (NULL: the defaults) into buf. */
void clembed__kernel_options(const clembed__kernel_def *k, const int *values, char *buf, size_t cap);

#endif
