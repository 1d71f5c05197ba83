/* Internal to libclembed: building and launching the encoder's registry kernels.
 * The encoder and the op harness (lib/tune/harness.c) launch through these, so what the
 * tests and the tuner check is exactly what the encoder runs. */
#ifndef CLEMBED_ENCODER_LAUNCH_H
#define CLEMBED_ENCODER_LAUNCH_H

#include "runtime/device.h"
#include "runtime/kernels.h"
#include "runtime/fault.h"

#include <stdint.h>

/* Tokens per device batch when neither the caller nor a profile says. */
#define CLEMBED__DEFAULT_BATCH_TOKENS 4096u

/* A built registry kernel with its parameter values. */
typedef struct clembed__kinst {
    const clembed__kernel_def *def;
    int        values[CLEMBED_MAX_PARAMS];
    uint32_t   head_dim;      /* attention only: compiled in */
    cl_program prog;
    cl_kernel  kernel;
} clembed__kinst;

/* Whether `values` suit kernel k at `shape` on dev: the row's constraint on
 * the values and its rule for the shape and the device (vector width dividing
 * the row, local memory of the attention tiles).  On failure *why (static)
 * says what is wrong. */
int clembed__kernel_fits(const clembed__kernel_def *k, const int *values, const clembed__shape *shape,
                         const clembed__device *dev, const char **why);

/* Halves the parameters k's row marks CLEMBED__PF_SHRINK (vector widths, key
 * tiles) until they fit `shape` on dev (a vector wider than a row, tiles
 * larger than local memory); returns whether they fit in the end.  scalar:
 * vector widths (CLEMBED__PF_VECTOR) 1. */
int clembed__kernel_fit(const clembed__kernel_def *k, int *values, const clembed__shape *shape,
                        const clembed__device *dev, int scalar);

/* The built-in defaults of k on dev at `shape`, which a context without a
 * profile runs and the tuner measures as "default": the registry's values,
 * vector widths from the device's preferred float vector width (drivers
 * that want explicit vectors say 8 or 16; those that vectorize across
 * work-items say 1, and then wider groups fill their SIMD lanes), then
 * fitted to the shape. */
void clembed__kernel_defaults(const clembed__kernel_def *k, const clembed__device *dev,
                              const clembed__shape *shape, int scalar, int *values);

/* Builds kernel k with `values` (NULL: the defaults) for `shape` through the
 * binary cache.  CLEMBED_ERR_INVALID_ARG when the values do not fit. */
clembed_status clembed__kinst_build(cl_context ctx, const clembed__device *dev,
                                    const clembed__kernel_def *k, const int *values,
                                    const clembed__shape *shape, clembed__kinst *out);
void clembed__kinst_release(clembed__kinst *ki);

/* Pooling modes for the pooling kernel: numbers packed 3 bits each, the
 * first mode lowest, at most this many. */
#define CLEMBED__POOL_MAX_MODES 8

/* Flags of the normalizing kernels, as cl/common.cl numbers them (NF_*). */
enum {
    CLEMBED__NF_B = 1,       /* add b: a bias, or the token type's row */
    CLEMBED__NF_C = 2,       /* add c: the residual, or the position's row */
    CLEMBED__NF_LAYER = 4,   /* LayerNorm */
    CLEMBED__NF_RMS = 8,     /* RMSNorm (neither: no norm) */
    CLEMBED__NF_BETA = 16,   /* LayerNorm with beta */
    CLEMBED__NF_SUM = 32     /* also write the sum before the norm to sum_out */
};

/* Attention flags (cl/attention.cl AF_*) and what else it takes besides the buffers. */
enum { CLEMBED__AF_CAUSAL = 1, CLEMBED__AF_POS_BIAS = 2 };
typedef struct clembed__attn_args {
    uint32_t ld;                      /* floats per row of qkv */
    uint32_t q_col, k_col, v_col;     /* first column of the query, key and value heads */
    uint32_t heads, kv_group;         /* query heads, and query heads per key/value head */
    float    scale;
    cl_mem   posb;                    /* relative position bias [heads, pb_stride], or NULL */
    uint32_t pb_stride, pb_center;    /* bias of distance j - i at column pb_center + j - i */
    int      flags;                   /* CLEMBED__AF_* */
    int      win_left, win_right;     /* keys a query sees on each side; -1: no limit */
} clembed__attn_args;

/* qk_prep flags (cl/attention.cl QF_*). */
enum { CLEMBED__QF_BIAS = 1, CLEMBED__QF_NORM = 2, CLEMBED__QF_ROPE = 4 };

/* Launchers: set the arguments and enqueue; `ev` may be NULL.  They return
 * the OpenCL error code.  Shapes are those documented in cl/<source>.cl.
 * Buffers the flags leave unread may be NULL. */
cl_int clembed__launch_embeddings(cl_command_queue q, const clembed__kinst *ki, cl_mem ids,
                                  cl_mem type_ids, cl_mem word, cl_mem pos, cl_mem type,
                                  cl_mem gamma, cl_mem beta, cl_mem out, uint32_t rows,
                                  uint32_t width, cl_mem tpos, int32_t pos_offset, float eps, int flags,
                                  cl_event *ev);
cl_int clembed__launch_add_layernorm(cl_command_queue q, const clembed__kinst *ki, cl_mem x,
                                     cl_mem bias, cl_mem res, cl_mem gamma, cl_mem beta, cl_mem out,
                                     cl_mem sum_out, uint32_t rows, uint32_t hidden, float eps, int flags,
                                     cl_event *ev);
/* The value of parameter id of a built kernel (1 when it has none). */
int clembed__kinst_param(const clembed__kinst *ki, clembed__param_id id);
/* The local size to launch ki with (its WG), 0 when the driver picks it. */
size_t clembed__local_size(const clembed__kinst *ki);

cl_int clembed__launch_bias_act(cl_command_queue q, const clembed__kinst *ki, cl_mem x, cl_mem bias,
                                cl_mem out, uint32_t rows, uint32_t cols, int act, cl_event *ev);
/* Packed sequences (no padding rows): sequence b's rows start at offs[b], its tokens are the
 * first lens[b]; seq is the most rows any sequence of the batch has. */
cl_int clembed__launch_attention(cl_command_queue q, const clembed__kinst *ki, cl_mem qkv,
                                 cl_mem bias, cl_mem lens, cl_mem offs, cl_mem out, uint32_t batch,
                                 uint32_t seq, const clembed__attn_args *a, cl_event *ev);
/* out[rows, inter] = act(x[:, :inter] + b) * (x[:, inter:] + b'), x [rows, 2 inter]. */
cl_int clembed__launch_glu(cl_command_queue q, const clembed__kinst *ki, cl_mem x, cl_mem bias, cl_mem out,
                           uint32_t rows, uint32_t inter, int act, cl_event *ev);
/* Bias, per-head RMSNorm and rotary positions on the query and key heads of qkv, in place. */
cl_int clembed__launch_qk_prep(cl_command_queue q, const clembed__kinst *ki, cl_mem qkv, cl_mem bias,
                               cl_mem q_norm, cl_mem k_norm, cl_mem cos_t, cl_mem sin_t, cl_mem tpos,
                               uint32_t rows, uint32_t ld, uint32_t heads, uint32_t kv_heads,
                               uint32_t rope_dim, float eps, int flags, cl_event *ev);
cl_int clembed__launch_pooling(cl_command_queue q, const clembed__kinst *ki, cl_mem hidden,
                               cl_mem lens, cl_mem offs, cl_mem out, uint32_t batch, uint32_t width,
                               uint32_t order, uint32_t n_modes, uint32_t skip, cl_event *ev);
cl_int clembed__launch_l2norm(cl_command_queue q, const clembed__kinst *ki, cl_mem in,
                              uint32_t in_stride, cl_mem out, uint32_t out_stride, uint32_t rows,
                              uint32_t dim, int normalize, cl_event *ev);
/* C[m, n] = act(A[m, k] B[k, n] (+ bias[n] when bias is not NULL)), row-major;
 * act as clembed__act numbers it (CLEMBED__ACT_IDENTITY: none). */
cl_int clembed__launch_gemm(cl_command_queue q, const clembed__kinst *ki, cl_mem a, cl_mem b,
                            cl_mem bias, cl_mem c, uint32_t m, uint32_t n, uint32_t k, int act,
                            cl_event *ev);

#endif
