/* The op harness: every registry kernel on a shape, with inputs from a seed and
 * a double-precision host reference.
 *
 * What each op reads from the shape:
 *   fill, copy       tokens * hidden elements
 *   embeddings       tokens rows of width hidden, sequences of seq positions; seed % 4
 *                    picks what is added and the norm: BERT's (types, positions,
 *                    LayerNorm with beta), positions and LayerNorm without beta, RMSNorm
 *                    alone, or the word rows as they are
 *   add_layernorm    tokens rows of width hidden; seed % 4: bias, residual and LayerNorm
 *                    (post-norm), the same with RMSNorm and the sum written too
 *                    (pre-norm), LayerNorm of x alone, the sum written and no norm
 *   bias_act         tokens rows of width inter; the activation is seed % 7
 *                    (clembed__act numbering: 0, 7, 14, ... give exact GELU)
 *   glu              tokens rows of width inter from rows of 2 inter; activation
 *                    seed % 7, odd seeds with a bias
 *   attention        batch sequences of seq positions, hidden = heads * head size;
 *                    unpadded lengths drawn from the seed, the first one full; seed % 4:
 *                    BERT's, grouped key/value heads with a causal mask, a window
 *                    of 3 on each side with a relative position bias, unscaled and
 *                    causal with a window of 5 behind and a bias
 *   qk_prep          the query, key and value heads of tokens rows (heads, and as many
 *                    key/value heads, hidden = heads * head size); seed % 4: bias,
 *                    bias and per-head RMSNorm, rotary positions, all three with a
 *                    partial rotary dimension
 *   pooling          batch sequences of seq positions, width hidden; even seeds
 *                    concatenate all six modes in sentence-transformers' legacy
 *                    order, odd seeds seven in another order with a repeat;
 *                    the prompt skip is seed % 4 positions
 *   l2norm           batch rows of width hidden; seed % 4 == 3 copies without
 *                    normalizing, odd seeds keep 3/4 of the columns
 *   gemm             C[tokens, inter] = A[tokens, hidden] B[hidden, inter]; odd
 *                    seeds add a bias and apply activation (seed / 2) % 7 */
#include "encoder/encoder.h"
#include "runtime/launch.h"
#include "model/model.h"
#include "tune/harness.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_FILL, K_COPY, K_EMB, K_LN, K_ACT, K_ATTN, K_POOL, K_L2, K_GEMM, K_GLU, K_PREP };

static const char *const kind_ops[] = {"fill", "copy", "embeddings", "add_layernorm", "bias_act",
                                       "attention", "pooling", "l2norm", "gemm", "glu", "qk_prep"};

#define MAX_BUFS 8

struct clembed__op_bench {
    cl_context ctx;
    cl_command_queue q;
    const clembed__device *dev;
    const clembed__kernel_def *k;
    clembed__shape s;
    int kind;
    cl_mem in[MAX_BUFS];
    cl_mem out;
    size_t out_n;     /* floats in out */
    float *ref, *got;
    int out2_slot;    /* an input slot the kernel also writes (a sum, in-place heads), -1 none */
    float *ref2;      /* what it must hold then, out2_n floats */
    size_t out2_n;
    float *in2;       /* its initial contents, restored before each checked run */
    float *tol;       /* per-element absolute tolerance where the op has one (GEMM), else NULL */
    /* scalars */
    int act, normalize, flags;
    int32_t pos_offset;
    uint32_t n, rows, cols, order, n_modes, skip, dim;
    float eps, scale, value;
    clembed__attn_args attn;
    uint32_t kv_heads, rope_dim;
    double bytes, flops;
};

static uint64_t splitmix(uint64_t *st)
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi). */
static float urand(uint64_t *st, float lo, float hi)
{
    return lo + (hi - lo) * (float)((double)(splitmix(st) >> 11) / 9007199254740992.0);
}

static float *rand_array(uint64_t *st, size_t n, float lo, float hi)
{
    float *a = malloc((n ? n : 1) * sizeof *a);
    if (a)
        for (size_t i = 0; i < n; i++)
            a[i] = urand(st, lo, hi);
    return a;
}

static clembed_status make_buf(clembed__op_bench *b, int slot, const void *host, size_t bytes);

/* x rounded to the 16-bit storage wdt (CLEMBED__WDT_F16 or _BF16), in place, and those bits in
 * bits16 (unless NULL): the kernels then read exactly the values the reference uses.  Float
 * storage leaves x alone. */
static void to_storage(float *x, size_t n, int wdt, uint16_t *bits16)
{
    if (wdt == CLEMBED__WDT_F32)
        return;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        if (wdt == CLEMBED__WDT_BF16) {
            u = (u + 0x7fffu + ((u >> 16) & 1)) & 0xffff0000u;
            if (bits16)
                bits16[i] = (uint16_t)(u >> 16);
        } else {
            /* values in (-2, 2), normal in half: round the mantissa to 10 bits, nearest even */
            uint32_t rest = u & 0x1fffu, keep = u & ~0x1fffu;
            if (rest > 0x1000u || (rest == 0x1000u && (keep & 0x2000u)))
                keep += 0x2000u;
            u = keep;
            uint32_t e = (u >> 23) & 0xffu;
            int ex = (int)e - 127 + 15;
            if (ex <= 0) {   /* too small for a normal half: zero, as the reference then uses */
                u &= 0x80000000u;
                if (bits16)
                    bits16[i] = (uint16_t)((u >> 16) & 0x8000u);
            } else if (bits16) {
                bits16[i] = (uint16_t)(((u >> 16) & 0x8000u) | ((uint32_t)ex << 10) | ((u >> 13) & 0x3ffu));
            }
        }
        memcpy(&x[i], &u, 4);
    }
}

/* A weight buffer as the kernel stores it: float, or 16 bits (x is rounded to them). */
static clembed_status make_weight_buf(clembed__op_bench *b, int slot, float *x, size_t n)
{
    if (b->s.wdtype == CLEMBED__WDT_F32)
        return make_buf(b, slot, x, n * 4);
    uint16_t *bits = malloc((n ? n : 1) * sizeof *bits);
    if (!bits)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    to_storage(x, n, (int)b->s.wdtype, bits);
    clembed_status rc = make_buf(b, slot, bits, n * 2);
    free(bits);
    return rc;
}

static clembed_status make_buf(clembed__op_bench *b, int slot, const void *host, size_t bytes)
{
    cl_int err;
    cl_mem m = clCreateBuffer(b->ctx, CL_MEM_READ_WRITE | (host ? CL_MEM_COPY_HOST_PTR : 0),
                              bytes ? bytes : 4, (void *)host, &err);
    if (!m)
        return clembed__cl_fail(err, "op harness: clCreateBuffer(%zu bytes)", bytes);
    if (slot < 0)
        b->out = m;
    else
        b->in[slot] = m;
    return CLEMBED_OK;
}

static double gelu(double x)
{
    return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
}

static double act_ref(int act, double x)
{
    switch (act) {
    case CLEMBED__ACT_GELU: return gelu(x);
    case CLEMBED__ACT_GELU_TANH:
        return 0.5 * x * (1.0 + tanh(0.79788456080286535588 * (x + 0.044715 * x * x * x)));
    case CLEMBED__ACT_RELU: return x > 0 ? x : 0;
    case CLEMBED__ACT_SILU: return x / (1.0 + exp(-x));
    case CLEMBED__ACT_QUICK_GELU: return x / (1.0 + exp(-1.702 * x));
    case CLEMBED__ACT_TANH: return tanh(x);
    default: return x;
    }
}

/* The norm the NF_* flags ask for of one row in double: LayerNorm (beta optional), RMSNorm,
 * or none. */
static void norm_ref(const double *v, size_t n, const float *g, const float *be, float eps, int flags,
                     float *out)
{
    double mean = 0, var = 0;
    if (!(flags & (CLEMBED__NF_LAYER | CLEMBED__NF_RMS))) {
        for (size_t c = 0; c < n; c++)
            out[c] = (float)v[c];
        return;
    }
    if (flags & CLEMBED__NF_LAYER) {
        for (size_t c = 0; c < n; c++)
            mean += v[c];
        mean /= (double)n;
    }
    for (size_t c = 0; c < n; c++)
        var += (v[c] - mean) * (v[c] - mean);
    var /= (double)n;
    double rstd = 1.0 / sqrt(var + eps);
    for (size_t c = 0; c < n; c++)
        out[c] = (float)((v[c] - mean) * rstd * g[c] + ((flags & CLEMBED__NF_BETA) ? be[c] : 0.0));
}

/* Token positions as the encoder packs them: row r is position r % seq (sequences of seq rows). */
static clembed_status make_tpos(clembed__op_bench *b, int slot, uint32_t rows, uint32_t seq)
{
    int32_t *tp = malloc((rows ? rows : 1) * sizeof *tp);
    if (!tp)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    for (uint32_t r = 0; r < rows; r++)
        tp[r] = (int32_t)(r % seq);
    clembed_status rc = make_buf(b, slot, tp, rows * sizeof *tp);
    free(tp);
    return rc;
}

/* Packed sequences as the encoder lays them out: lengths (the first sequence full, one empty
 * where there are three or more, the rest random in 1..S), each given max(len, 1) rows from
 * offs[b]; returns the rows in all. */
static uint32_t pack_lens(uint64_t *st, uint32_t B, uint32_t S, uint32_t *lens, uint32_t *offs)
{
    uint32_t rows = 0;
    for (uint32_t i = 0; i < B; i++) {
        lens[i] = i == 0 ? S : i == 2 ? 0 : 1 + (uint32_t)(splitmix(st) % S);
        offs[i] = rows;
        rows += lens[i] ? lens[i] : 1;
    }
    offs[B] = rows;
    return rows;
}

static clembed_status setup_emb(clembed__op_bench *b, uint64_t *st, uint64_t seed)
{
    static const int variants[4] = {
        CLEMBED__NF_B | CLEMBED__NF_C | CLEMBED__NF_LAYER | CLEMBED__NF_BETA,
        CLEMBED__NF_C | CLEMBED__NF_LAYER, CLEMBED__NF_RMS, 0};
    b->flags = variants[seed % 4];
    const uint32_t T = b->s.tokens, H = b->s.hidden, S = b->s.seq ? b->s.seq : T;
    const uint32_t V = 97, NT = 2;
    b->pos_offset = 2;
    b->eps = 1e-12f;
    const uint32_t P = S + (uint32_t)b->pos_offset;
    int32_t *ids = malloc(T * sizeof *ids), *types = malloc(T * sizeof *types);
    float *w = rand_array(st, (size_t)V * H, -1, 1), *p = rand_array(st, (size_t)P * H, -1, 1);
    float *ty = rand_array(st, (size_t)NT * H, -1, 1), *g = rand_array(st, H, 0.5f, 1.5f);
    float *be = rand_array(st, H, -0.5f, 0.5f);
    double *row = malloc(H * sizeof *row);
    clembed_status rc = CLEMBED_OK;
    if (!ids || !types || !w || !p || !ty || !g || !be || !row || !b->ref) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    to_storage(w, (size_t)V * H, (int)b->s.wdtype, NULL);
    to_storage(p, (size_t)P * H, (int)b->s.wdtype, NULL);
    to_storage(ty, (size_t)NT * H, (int)b->s.wdtype, NULL);
    for (uint32_t i = 0; i < T; i++) {
        ids[i] = (int32_t)(splitmix(st) % V);
        types[i] = (int32_t)(splitmix(st) % NT);
    }
    for (uint32_t r = 0; r < T; r++) {
        const float *wr = w + (size_t)ids[r] * H, *tr = ty + (size_t)types[r] * H;
        const float *pr = p + (size_t)(r % S + (uint32_t)b->pos_offset) * H;
        for (uint32_t c = 0; c < H; c++)
            row[c] = (double)wr[c] + ((b->flags & CLEMBED__NF_B) ? tr[c] : 0.0) +
                     ((b->flags & CLEMBED__NF_C) ? pr[c] : 0.0);
        norm_ref(row, H, g, be, b->eps, b->flags, b->ref + (size_t)r * H);
    }
    b->rows = T;
    b->cols = H;
    if ((rc = make_buf(b, 0, ids, T * sizeof *ids)) || (rc = make_buf(b, 1, types, T * sizeof *types)) ||
        (rc = make_weight_buf(b, 2, w, (size_t)V * H)) || (rc = make_weight_buf(b, 3, p, (size_t)P * H)) ||
        (rc = make_weight_buf(b, 4, ty, (size_t)NT * H)) || (rc = make_buf(b, 5, g, H * 4)) ||
        (rc = make_buf(b, 6, be, H * 4)) || (rc = make_tpos(b, 7, T, S)))
        goto out;
    b->bytes = 4.0 * T * H * 4 + 8.0 * T;
    b->flops = 10.0 * T * H;
out:
    free(ids), free(types), free(w), free(p), free(ty), free(g), free(be), free(row);
    return rc;
}

static clembed_status setup_ln(clembed__op_bench *b, uint64_t *st, uint64_t seed)
{
    static const int variants[4] = {
        CLEMBED__NF_B | CLEMBED__NF_C | CLEMBED__NF_LAYER | CLEMBED__NF_BETA,
        CLEMBED__NF_B | CLEMBED__NF_C | CLEMBED__NF_RMS | CLEMBED__NF_SUM, CLEMBED__NF_LAYER,
        CLEMBED__NF_C | CLEMBED__NF_SUM};
    const uint32_t T = b->s.tokens, H = b->s.hidden;
    const size_t n = (size_t)T * H;
    b->eps = 1e-5f;
    b->flags = variants[seed % 4];
    float *x = rand_array(st, n, -2, 2), *res = rand_array(st, n, -2, 2);
    float *bias = rand_array(st, H, -1, 1), *g = rand_array(st, H, 0.5f, 1.5f);
    float *be = rand_array(st, H, -0.5f, 0.5f);
    double *row = malloc(H * sizeof *row);
    clembed_status rc = CLEMBED_OK;
    if (!x || !res || !bias || !g || !be || !row || !b->ref) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((b->flags & CLEMBED__NF_SUM) && (!(b->ref2 = malloc(n * sizeof *b->ref2)) ||
                                         !(b->in2 = malloc(n * sizeof *b->in2)))) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (uint32_t r = 0; r < T; r++) {
        for (uint32_t c = 0; c < H; c++)
            row[c] = (double)x[(size_t)r * H + c] + ((b->flags & CLEMBED__NF_B) ? bias[c] : 0.0) +
                     ((b->flags & CLEMBED__NF_C) ? res[(size_t)r * H + c] : 0.0);
        norm_ref(row, H, g, be, b->eps, b->flags, b->ref + (size_t)r * H);
        for (uint32_t c = 0; b->ref2 && c < H; c++)
            b->ref2[(size_t)r * H + c] = (float)row[c];
    }
    if (b->ref2) {
        /* The sum goes to the residual's buffer, as a pre-norm layer has it. */
        b->out2_slot = 2;
        b->out2_n = n;
        memcpy(b->in2, res, n * sizeof *res);
    }
    b->rows = T;
    b->cols = H;
    if ((rc = make_buf(b, 0, x, n * 4)) || (rc = make_buf(b, 1, bias, H * 4)) ||
        (rc = make_buf(b, 2, res, n * 4)) || (rc = make_buf(b, 3, g, H * 4)) ||
        (rc = make_buf(b, 4, be, H * 4)))
        goto out;
    b->bytes = 3.0 * n * 4;
    b->flops = 10.0 * n;
out:
    free(x), free(res), free(bias), free(g), free(be), free(row);
    return rc;
}

static clembed_status setup_act(clembed__op_bench *b, uint64_t *st, uint64_t seed)
{
    const uint32_t T = b->s.tokens, C = b->s.inter;
    const size_t n = (size_t)T * C;
    b->act = (int)(seed % 7);
    float *x = rand_array(st, n, -4, 4), *bias = rand_array(st, C, -1, 1);
    clembed_status rc = CLEMBED_OK;
    if (!x || !bias || !b->ref) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        b->ref[i] = (float)act_ref(b->act, (double)x[i] + bias[i % C]);
    b->rows = T;
    b->cols = C;
    if ((rc = make_buf(b, 0, x, n * 4)) || (rc = make_buf(b, 1, bias, C * 4)))
        goto out;
    b->bytes = 2.0 * n * 4;
    b->flops = 20.0 * n;
out:
    free(x), free(bias);
    return rc;
}

static clembed_status setup_attn(clembed__op_bench *b, uint64_t *st, uint64_t seed)
{
    const uint32_t B = b->s.batch, S = b->s.seq, H = b->s.hidden, NH = b->s.heads;
    if (!B || !S || !NH || H % NH)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "attention shape: batch, seq and heads must be "
                             "positive and the heads must divide hidden (%u, %u, %u, %u)", B, S, NH, H);
    const uint32_t D = H / NH, T = B * S, variant = (uint32_t)(seed % 4);
    const uint32_t NKV = variant == 1 && NH % 2 == 0 ? NH / 2 : NH, W = (NH + 2 * NKV) * D;
    const size_t n = (size_t)T * W, PB = 2 * (size_t)S - 1;
    clembed__attn_args *a = &b->attn;
    *a = (clembed__attn_args){.ld = W, .q_col = 0, .k_col = NH * D, .v_col = (NH + NKV) * D, .heads = NH,
                              .kv_group = NH / NKV, .scale = variant == 3 ? 1.0f : 1.0f / sqrtf((float)D),
                              .pb_stride = (uint32_t)PB, .pb_center = S - 1, .win_left = -1,
                              .win_right = -1};
    if (variant == 1 || variant == 3)
        a->flags |= CLEMBED__AF_CAUSAL;
    if (variant >= 2)
        a->flags |= CLEMBED__AF_POS_BIAS;
    if (variant == 2)
        a->win_left = a->win_right = 3;
    if (variant == 3)
        a->win_left = 5;
    float *qkv = rand_array(st, n, -1, 1), *bias = rand_array(st, W, -0.5f, 0.5f);
    float *pb = rand_array(st, NH * PB, -1, 1);
    uint32_t *lens = malloc(B * sizeof *lens), *offs = malloc((B + 1) * sizeof *offs);
    double *sc = malloc(S * sizeof *sc);
    clembed_status rc = CLEMBED_OK;
    if (!qkv || !bias || !pb || !lens || !offs || !sc || !b->ref) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    double flops = 0;
    const uint32_t rows = pack_lens(st, B, S, lens, offs);
    b->out_n = (size_t)rows * H;
    memset(b->ref, 0, (size_t)T * H * sizeof(float));
    for (uint32_t bi = 0; bi < B; bi++)
        for (uint32_t h = 0; h < NH; h++)
            for (uint32_t i = 0; i < lens[bi]; i++) {
                const uint32_t kh = h / a->kv_group;
                const float *qr = qkv + ((size_t)offs[bi] + i) * W + (size_t)h * D;
                double mx = -INFINITY, sum = 0;
                for (uint32_t j = 0; j < lens[bi]; j++) {
                    int seen = !((a->flags & CLEMBED__AF_CAUSAL) && j > i) &&
                               !(a->win_left >= 0 && j + (uint32_t)a->win_left < i) &&
                               !(a->win_right >= 0 && j > i + (uint32_t)a->win_right);
                    if (!seen) {
                        sc[j] = -INFINITY;
                        continue;
                    }
                    const float *kr = qkv + ((size_t)offs[bi] + j) * W + a->k_col + (size_t)kh * D;
                    double d = 0;
                    for (uint32_t e = 0; e < D; e++)
                        d += ((double)qr[e] + bias[h * D + e]) * ((double)kr[e] + bias[a->k_col + kh * D + e]);
                    sc[j] = d * a->scale;
                    if (a->flags & CLEMBED__AF_POS_BIAS)
                        sc[j] += pb[(size_t)h * PB + (size_t)((int)a->pb_center + (int)j - (int)i)];
                    mx = sc[j] > mx ? sc[j] : mx;
                }
                for (uint32_t j = 0; j < lens[bi]; j++)
                    sum += (sc[j] = exp(sc[j] - mx));
                float *o = b->ref + ((size_t)offs[bi] + i) * H + (size_t)h * D;
                for (uint32_t e = 0; e < D; e++) {
                    double acc = 0;
                    for (uint32_t j = 0; j < lens[bi]; j++)
                        acc += sc[j] * ((double)qkv[((size_t)offs[bi] + j) * W + a->v_col + kh * D + e] +
                                        bias[a->v_col + kh * D + e]);
                    o[e] = (float)(acc / sum);
                }
                flops += 4.0 * lens[bi] * D;
            }
    if ((rc = make_buf(b, 0, qkv, n * 4)) || (rc = make_buf(b, 1, bias, W * 4)) ||
        (rc = make_buf(b, 2, lens, B * sizeof *lens)) || (rc = make_buf(b, 3, pb, NH * PB * 4)) ||
        (rc = make_buf(b, 4, offs, (B + 1) * sizeof *offs)))
        goto out;
    a->posb = b->in[3];
    b->bytes = 4.0 * rows * (H + W);
    b->flops = flops;
out:
    free(qkv), free(bias), free(pb), free(lens), free(offs), free(sc);
    return rc;
}

/* qk_prep: bias, per-head RMSNorm and rotary positions, in place in the qkv rows. */
static clembed_status setup_prep(clembed__op_bench *b, uint64_t *st, uint64_t seed)
{
    const uint32_t T = b->s.tokens, H = b->s.hidden, NH = b->s.heads, S = b->s.seq ? b->s.seq : T;
    if (!NH || H % NH || (H / NH) % 2 || H / NH > 1024)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "qk_prep shape: heads must divide hidden into "
                             "heads of an even size (%u, %u)", NH, H);
    static const int variants[4] = {CLEMBED__QF_BIAS, CLEMBED__QF_BIAS | CLEMBED__QF_NORM, CLEMBED__QF_ROPE,
                                    CLEMBED__QF_BIAS | CLEMBED__QF_NORM | CLEMBED__QF_ROPE};
    const uint32_t D = H / NH, NKV = NH, W = 3 * H, half_full = D / 2;
    b->flags = variants[seed % 4];
    b->kv_heads = NKV;
    b->rope_dim = seed % 4 == 3 && D >= 4 ? (D / 2) & ~1u : D;
    b->eps = 1e-6f;
    const uint32_t half = b->rope_dim / 2;
    const size_t n = (size_t)T * W;
    float *qkv = rand_array(st, n, -1, 1), *bias = rand_array(st, W, -0.5f, 0.5f);
    float *qn = rand_array(st, D, 0.5f, 1.5f), *kn = rand_array(st, D, 0.5f, 1.5f);
    float *ct = malloc((size_t)S * (half ? half : 1) * sizeof *ct), *sn = malloc((size_t)S * (half ? half : 1) * sizeof *sn);
    clembed_status rc = CLEMBED_OK;
    (void)half_full;
    b->ref2 = malloc(n * sizeof *b->ref2);
    b->in2 = malloc(n * sizeof *b->in2);
    if (!qkv || !bias || !qn || !kn || !ct || !sn || !b->ref2 || !b->in2) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (uint32_t p = 0; p < S; p++)
        for (uint32_t i = 0; i < half; i++) {
            double ang = p * pow(10000.0, -(2.0 * i) / b->rope_dim);
            ct[(size_t)p * half + i] = (float)cos(ang);
            sn[(size_t)p * half + i] = (float)sin(ang);
        }
    for (uint32_t r = 0; r < T; r++)
        for (uint32_t slot = 0; slot < NH + 2 * NKV; slot++) {
            const size_t o = (size_t)r * W + (size_t)slot * D;
            double v[1024];
            for (uint32_t d = 0; d < D; d++)
                v[d] = (double)qkv[o + d] + ((b->flags & CLEMBED__QF_BIAS) ? bias[slot * D + d] : 0.0);
            if (slot < NH + NKV && (b->flags & CLEMBED__QF_NORM)) {
                const float *w = slot < NH ? qn : kn;
                double ss = 0;
                for (uint32_t d = 0; d < D; d++)
                    ss += v[d] * v[d];
                double rs = 1.0 / sqrt(ss / D + b->eps);
                for (uint32_t d = 0; d < D; d++)
                    v[d] = v[d] * rs * w[d];
            }
            if (slot < NH + NKV && (b->flags & CLEMBED__QF_ROPE)) {
                const uint32_t p = r % S;
                for (uint32_t d = 0; d < half; d++) {
                    double x = v[d], y = v[d + half], c = ct[(size_t)p * half + d], s = sn[(size_t)p * half + d];
                    v[d] = x * c - y * s;
                    v[d + half] = y * c + x * s;
                }
            }
            for (uint32_t d = 0; d < D; d++)
                b->ref2[o + d] = (float)v[d];
        }
    memcpy(b->in2, qkv, n * sizeof *qkv);
    b->out2_slot = 0;
    b->out2_n = n;
    if ((rc = make_buf(b, 0, qkv, n * 4)) || (rc = make_buf(b, 1, bias, W * 4)) ||
        (rc = make_buf(b, 2, qn, D * 4)) || (rc = make_buf(b, 3, kn, D * 4)) ||
        (rc = make_buf(b, 4, ct, (size_t)S * (half ? half : 1) * 4)) ||
        (rc = make_buf(b, 5, sn, (size_t)S * (half ? half : 1) * 4)) || (rc = make_tpos(b, 6, T, S)))
        goto out;
    b->bytes = 2.0 * n * 4;
    b->flops = 10.0 * n;
out:
    free(qkv), free(bias), free(qn), free(kn), free(ct), free(sn);
    return rc;
}

static clembed_status setup_glu(clembed__op_bench *b, uint64_t *st, uint64_t seed)
{
    const uint32_t T = b->s.tokens, I = b->s.inter;
    const size_t n = (size_t)T * I;
    b->act = (int)(seed % 7);
    b->normalize = (int)(seed % 2);   /* with a bias */
    float *x = rand_array(st, 2 * n, -4, 4), *bias = rand_array(st, 2 * (size_t)I, -1, 1);
    clembed_status rc = CLEMBED_OK;
    if (!x || !bias || !b->ref) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (uint32_t r = 0; r < T; r++)
        for (uint32_t c = 0; c < I; c++) {
            double a = (double)x[(size_t)r * 2 * I + c] + (b->normalize ? bias[c] : 0.0);
            double g = (double)x[(size_t)r * 2 * I + I + c] + (b->normalize ? bias[I + c] : 0.0);
            b->ref[(size_t)r * I + c] = (float)(act_ref(b->act, a) * g);
        }
    if ((rc = make_buf(b, 0, x, 2 * n * 4)) || (rc = make_buf(b, 1, bias, 2 * (size_t)I * 4)))
        goto out;
    b->bytes = 3.0 * n * 4;
    b->flops = 22.0 * n;
out:
    free(x), free(bias);
    return rc;
}

static clembed_status setup_pool(clembed__op_bench *b, uint64_t *st, uint64_t seed)
{
    const uint32_t B = b->s.batch, S = b->s.seq, W = b->s.hidden;
    const size_t n = (size_t)B * S * W;
    static const uint32_t legacy[] = {0, 1, 2, 3, 4, 5}, shuffled[] = {2, 5, 4, 3, 2, 1, 0};
    const uint32_t *modes = seed % 2 ? shuffled : legacy;
    b->n_modes = seed % 2 ? 7 : 6;
    b->order = 0;
    for (uint32_t k = 0; k < b->n_modes; k++)
        b->order |= modes[k] << (3 * k);
    b->skip = (uint32_t)(seed % 4);
    float *x = rand_array(st, n, -2, 2);
    uint32_t *lens = malloc((B ? B : 1) * sizeof *lens), *offs = malloc((B + 1) * sizeof *offs);
    clembed_status rc = CLEMBED_OK;
    if (!x || !lens || !offs || !b->ref) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    const uint32_t rows = pack_lens(st, B, S, lens, offs);
    b->out_n = (size_t)B * b->n_modes * W;
    for (uint32_t bi = 0; bi < B; bi++) {
        uint32_t len = lens[bi], start = b->skip < len ? b->skip : len;
        for (uint32_t c = 0; c < W; c++) {
            double mx = -INFINITY, sum = 0, ws = 0, wt = 0;
            const float *col = x + (size_t)offs[bi] * W + c;
            for (uint32_t j = start; j < len; j++) {
                double v = col[(size_t)j * W];
                mx = v > mx ? v : mx;
                sum += v;
                ws += v * (j + 1);
                wt += j + 1;
            }
            double cnt = len - start, r[6];
            r[0] = col[(size_t)(len > start ? start : 0) * W];
            r[1] = mx;
            r[2] = sum / (cnt > 1e-9 ? cnt : 1e-9);
            r[3] = sum / sqrt(cnt > 1e-9 ? cnt : 1e-9);
            r[4] = ws / (wt > 1e-9 ? wt : 1e-9);
            r[5] = len > start ? col[(size_t)(len - 1) * W] : 0.0;
            for (uint32_t k = 0; k < b->n_modes; k++)
                b->ref[((size_t)bi * b->n_modes + k) * W + c] = (float)r[modes[k]];
        }
    }
    if ((rc = make_buf(b, 0, x, n * 4)) || (rc = make_buf(b, 1, lens, B * sizeof *lens)) ||
        (rc = make_buf(b, 2, offs, (B + 1) * sizeof *offs)))
        goto out;
    b->bytes = (double)rows * W * 4 + (double)b->n_modes * B * W * 4;
    b->flops = 5.0 * rows * W;
out:
    free(x), free(lens), free(offs);
    return rc;
}

static clembed_status setup_l2(clembed__op_bench *b, uint64_t *st, uint64_t seed)
{
    const uint32_t R = b->s.batch, W = b->s.hidden;
    b->normalize = seed % 4 != 3;
    b->dim = seed % 2 ? W - W / 4 : W;
    b->out_n = (size_t)R * b->dim;
    float *x = rand_array(st, (size_t)R * W, -1, 1);
    clembed_status rc = CLEMBED_OK;
    if (!x || !b->ref) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (uint32_t r = 0; r < R; r++) {
        double ss = 0;
        for (uint32_t c = 0; c < b->dim; c++)
            ss += (double)x[(size_t)r * W + c] * x[(size_t)r * W + c];
        double nrm = b->normalize ? fmax(sqrt(ss), 1e-12) : 1.0;
        for (uint32_t c = 0; c < b->dim; c++)
            b->ref[(size_t)r * b->dim + c] = (float)(x[(size_t)r * W + c] / nrm);
    }
    if ((rc = make_buf(b, 0, x, (size_t)R * W * 4)))
        goto out;
    b->rows = R;
    b->cols = W;
    b->bytes = 2.0 * R * b->dim * 4;
    b->flops = 3.0 * R * b->dim;
out:
    free(x);
    return rc;
}

static clembed_status setup_gemm(clembed__op_bench *b, uint64_t *st, uint64_t seed)
{
    const uint32_t M = b->s.tokens, N = b->s.inter, K = b->s.hidden;
    float *a = rand_array(st, (size_t)M * K, -1, 1), *w = rand_array(st, (size_t)K * N, -1, 1);
    float *bias = rand_array(st, N, -1, 1);
    clembed_status rc = CLEMBED_OK;
    if (w)
        to_storage(w, (size_t)K * N, (int)b->s.wdtype, NULL);   /* the reference uses what B holds */
    b->normalize = seed % 2;   /* with a bias and an activation */
    b->act = b->normalize ? (int)(seed / 2 % 7) : CLEMBED__ACT_IDENTITY;
    if (!a || !w || !bias || !b->ref) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* A sum of K products in fp32, in whatever order the kernel takes, is off
     * by about sqrt(K) roundings of the products' magnitudes: where they
     * cancel, that is far more than the result's own scale. */
    b->tol = malloc((size_t)M * N * sizeof(float));
    if (!b->tol) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    const double round = 2.0 * sqrt((double)K) * 0x1p-24;
    for (uint32_t i = 0; i < M; i++)
        for (uint32_t j = 0; j < N; j++) {
            double acc = b->normalize ? bias[j] : 0.0, mag = fabs(acc);
            for (uint32_t q = 0; q < K; q++) {
                double p = (double)a[(size_t)i * K + q] * w[(size_t)q * N + j];
                acc += p;
                mag += fabs(p);
            }
            b->ref[(size_t)i * N + j] = (float)act_ref(b->act, acc);
            b->tol[(size_t)i * N + j] = (float)(round * mag);
        }
    if ((rc = make_buf(b, 0, a, (size_t)M * K * 4)) ||
        (rc = make_weight_buf(b, 1, w, (size_t)K * N)) ||
        (rc = make_buf(b, 2, bias, (size_t)N * 4)))
        goto out;
    b->bytes = 4.0 * ((double)M * K + (double)K * N + (double)M * N);
    b->flops = 2.0 * M * N * K;
out:
    free(a), free(w), free(bias);
    return rc;
}

static clembed_status setup_copy(clembed__op_bench *b, uint64_t *st)
{
    b->n = (b->s.tokens * b->s.hidden + 15u) / 16u * 16u;
    float *x = rand_array(st, b->n, -1, 1);
    clembed_status rc = CLEMBED_OK;
    if (!x || !b->ref) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(b->ref, x, (size_t)b->n * 4);
    rc = make_buf(b, 0, x, (size_t)b->n * 4);
    b->bytes = 2.0 * b->n * 4;
out:
    free(x);
    return rc;
}

static size_t out_count(const clembed__op_bench *b)
{
    const clembed__shape *s = &b->s;
    switch (b->kind) {
    case K_FILL:
    case K_COPY: return (s->tokens * (size_t)s->hidden + 15u) / 16u * 16u;
    case K_EMB:
    case K_LN:
    case K_ATTN: return (size_t)s->tokens * s->hidden;
    case K_PREP: return 1;   /* it writes its qkv in place (out2) */
    case K_ACT:
    case K_GLU: return (size_t)s->tokens * s->inter;
    case K_POOL: return (size_t)s->batch * 7 * s->hidden;
    case K_GEMM: return (size_t)s->tokens * s->inter;
    default: return (size_t)s->batch * s->hidden;
    }
}

clembed_status clembed__op_bench_new(cl_context ctx, cl_command_queue q, const clembed__device *dev,
                                     const clembed__kernel_def *k, const clembed__shape *shape,
                                     uint64_t seed, clembed__op_bench **out)
{
    *out = NULL;
    int kind = -1;
    for (size_t i = 0; i < CLEMBED_ARRAY_LEN(kind_ops); i++)
        if (strcmp(k->op, kind_ops[i]) == 0)
            kind = (int)i;
    if (kind < 0)
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "op harness: no harness for op '%s'", k->op);
    clembed__op_bench *b = calloc(1, sizeof *b);
    if (!b)
        return clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
    b->ctx = ctx;
    b->q = q;
    b->dev = dev;
    b->k = k;
    b->s = *shape;
    b->kind = kind;
    b->out2_slot = -1;
    if (b->s.seq && !b->s.batch)
        b->s.batch = b->s.tokens / b->s.seq;
    if (!b->s.tokens)
        b->s.tokens = b->s.batch * b->s.seq;
    if (!b->s.inter)
        b->s.inter = 4 * b->s.hidden;
    clembed_status rc = CLEMBED_OK;
    if (!b->s.tokens || !b->s.hidden || ((kind == K_POOL || kind == K_L2) && !b->s.batch) ||
        (kind == K_EMB && b->s.seq && b->s.tokens % b->s.seq)) {
        rc = clembed__fail(CLEMBED_ERR_INVALID_ARG, "op harness: %s needs a non-empty shape "
                           "(tokens %u, hidden %u, batch %u, seq %u)", k->kernel, b->s.tokens,
                           b->s.hidden, b->s.batch, b->s.seq);
        goto fail;
    }
    b->out_n = out_count(b);
    b->ref = malloc(b->out_n * sizeof(float));
    b->got = malloc(b->out_n * sizeof(float));
    if (!b->ref || !b->got) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto fail;
    }
    uint64_t st = seed * 0x2545f4914f6cdd1dull + 1;
    switch (kind) {
    case K_FILL:
        b->n = (uint32_t)b->out_n;
        b->value = urand(&st, -8, 8);
        for (size_t i = 0; i < b->out_n; i++)
            b->ref[i] = b->value;
        b->bytes = 4.0 * b->n;
        break;
    case K_COPY: rc = setup_copy(b, &st); break;
    case K_EMB: rc = setup_emb(b, &st, seed); break;
    case K_LN: rc = setup_ln(b, &st, seed); break;
    case K_ACT: rc = setup_act(b, &st, seed); break;
    case K_GLU: rc = setup_glu(b, &st, seed); break;
    case K_PREP: rc = setup_prep(b, &st, seed); break;
    case K_ATTN: rc = setup_attn(b, &st, seed); break;
    case K_POOL: rc = setup_pool(b, &st, seed); break;
    case K_GEMM: rc = setup_gemm(b, &st, seed); break;
    default: rc = setup_l2(b, &st, seed); break;
    }
    if (rc == CLEMBED_OK)
        rc = make_buf(b, -1, NULL, b->out_n * sizeof(float));
    if (rc != CLEMBED_OK)
        goto fail;
    *out = b;
    return CLEMBED_OK;
fail:
    clembed__op_bench_free(b);
    return rc;
}

static cl_int launch(clembed__op_bench *b, const clembed__kinst *ki, cl_event *ev)
{
    const clembed__shape *s = &b->s;
    cl_kernel k = ki->kernel;
    cl_int err;
    size_t wg = clembed__local_size(ki);
    switch (b->kind) {
    case K_FILL: {
        cl_uint n = b->n;
        size_t g = wg ? (n + wg - 1) / wg * wg : n;
        if ((err = clSetKernelArg(k, 0, sizeof b->out, &b->out)) ||
            (err = clSetKernelArg(k, 1, sizeof b->value, &b->value)) ||
            (err = clSetKernelArg(k, 2, sizeof n, &n)))
            return err;
        return clEnqueueNDRangeKernel(b->q, k, 1, NULL, &g, wg ? &wg : NULL, 0, NULL, ev);
    }
    case K_COPY: {
        cl_uint nvec = b->n / (cl_uint)clembed__kinst_param(ki, CLEMBED__P_VEC);
        size_t g = wg ? (nvec + wg - 1) / wg * wg : nvec;
        if ((err = clSetKernelArg(k, 0, sizeof b->out, &b->out)) ||
            (err = clSetKernelArg(k, 1, sizeof b->in[0], &b->in[0])) ||
            (err = clSetKernelArg(k, 2, sizeof nvec, &nvec)))
            return err;
        return clEnqueueNDRangeKernel(b->q, k, 1, NULL, &g, wg ? &wg : NULL, 0, NULL, ev);
    }
    case K_EMB:
        return clembed__launch_embeddings(b->q, ki, b->in[0], b->in[1], b->in[2], b->in[3], b->in[4],
                                          b->in[5], b->in[6], b->out, s->tokens, s->hidden, b->in[7],
                                          b->pos_offset, b->eps, b->flags, ev);
    case K_LN:
        return clembed__launch_add_layernorm(b->q, ki, b->in[0], b->in[1], b->in[2], b->in[3],
                                             b->in[4], b->out, b->in[2], s->tokens, s->hidden, b->eps,
                                             b->flags, ev);
    case K_ACT:
        return clembed__launch_bias_act(b->q, ki, b->in[0], b->in[1], b->out, s->tokens, s->inter,
                                        b->act, ev);
    case K_GLU:
        return clembed__launch_glu(b->q, ki, b->in[0], b->normalize ? b->in[1] : NULL, b->out, s->tokens,
                                   s->inter, b->act, ev);
    case K_PREP:
        return clembed__launch_qk_prep(b->q, ki, b->in[0], b->in[1], b->in[2], b->in[3], b->in[4], b->in[5],
                                       b->in[6], s->tokens, 3 * s->hidden, s->heads, b->kv_heads, b->rope_dim,
                                       b->eps, b->flags, ev);
    case K_ATTN:
        return clembed__launch_attention(b->q, ki, b->in[0], b->in[1], b->in[2], b->in[4], b->out, s->batch,
                                         s->seq, &b->attn, ev);
    case K_POOL:
        return clembed__launch_pooling(b->q, ki, b->in[0], b->in[1], b->in[2], b->out, s->batch, s->hidden,
                                       b->order, b->n_modes, b->skip, ev);
    case K_GEMM:
        return clembed__launch_gemm(b->q, ki, b->in[0], b->in[1], b->normalize ? b->in[2] : NULL, b->out,
                                    s->tokens, s->inter, s->hidden, b->act, ev);
    default:
        return clembed__launch_l2norm(b->q, ki, b->in[0], s->hidden, b->out, b->dim, s->batch,
                                      b->dim, b->normalize, ev);
    }
}

/* Error relative to a tolerance that suits fp32 kernels against a double
 * reference, or the op's own (tol > 0) where larger: 1 at the limit. */
static double rel_err(float got, float ref, float tol)
{
    if (isinf(ref) || isinf(got))
        return got == ref ? 0.0 : INFINITY;
    if (isnan(got) || isnan(ref))
        return INFINITY;
    return fabs((double)got - ref) / fmax(2e-5 * (1.0 + fabs((double)ref)), (double)tol);
}

clembed_status clembed__op_bench_run(clembed__op_bench *b, const int *values, unsigned reps,
                                     double *times, double *max_err)
{
    clembed__kinst ki;
    cl_event ev = NULL;
    cl_int err;
    *max_err = INFINITY;
    clembed_status rc = clembed__kinst_build(b->ctx, b->dev, b->k, values, &b->s, &ki);
    if (rc != CLEMBED_OK)
        return rc;
    /* NaN everywhere first, so an element the kernel forgets to write shows; a buffer it
     * writes in place starts from its inputs again. */
    const float nan = NAN;
    float *got2 = NULL;
    if (b->out2_slot >= 0 && !(got2 = malloc(b->out2_n * sizeof *got2))) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((err = clEnqueueFillBuffer(b->q, b->out, &nan, sizeof nan, 0, b->out_n * sizeof(float), 0,
                                   NULL, NULL)) != CL_SUCCESS ||
        (b->out2_slot >= 0 &&
         (err = clEnqueueWriteBuffer(b->q, b->in[b->out2_slot], CL_TRUE, 0, b->out2_n * sizeof(float), b->in2,
                                     0, NULL, NULL)) != CL_SUCCESS) ||
        (err = launch(b, &ki, NULL)) != CL_SUCCESS ||
        (err = clEnqueueReadBuffer(b->q, b->out, CL_TRUE, 0, b->out_n * sizeof(float), b->got, 0,
                                   NULL, NULL)) != CL_SUCCESS ||
        (b->out2_slot >= 0 &&
         (err = clEnqueueReadBuffer(b->q, b->in[b->out2_slot], CL_TRUE, 0, b->out2_n * sizeof(float), got2, 0,
                                    NULL, NULL)) != CL_SUCCESS)) {
        free(got2);
        rc = clembed__cl_fail(err, "op harness: running %s", b->k->kernel);
        goto out;
    }
    double worst = 0;
    size_t at = 0;
    int in_out2 = 0;
    /* An op whose whole result is written in place has no separate output to check. */
    for (size_t i = 0; i < b->out_n && b->kind != K_PREP; i++) {
        double e = rel_err(b->got[i], b->ref[i], b->tol ? b->tol[i] : 0.0f);
        if (!(e <= worst)) {
            worst = e;
            at = i;
        }
    }
    for (size_t i = 0; got2 && i < b->out2_n; i++) {
        double e = rel_err(got2[i], b->ref2[i], 0.0f);
        if (!(e <= worst)) {
            worst = e;
            at = i;
            in_out2 = 1;
        }
    }
    *max_err = worst;
    if (!(worst <= 1.0)) {
        rc = clembed__fail(CLEMBED_ERR_MISMATCH, "%s: %selement %zu is %g, expected %g", b->k->kernel,
                           in_out2 ? "in-place " : "", at, in_out2 ? (double)got2[at] : (double)b->got[at],
                           in_out2 ? (double)b->ref2[at] : (double)b->ref[at]);
        free(got2);
        goto out;
    }
    free(got2);
    for (unsigned r = 0; r < reps; r++) {
        cl_ulong t0 = 0, t1 = 0;
        if ((err = launch(b, &ki, &ev)) != CL_SUCCESS || (err = clWaitForEvents(1, &ev)) != CL_SUCCESS ||
            (err = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL)) ||
            (err = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL))) {
            rc = clembed__cl_fail(err, "op harness: timing %s (is profiling enabled on the queue?)",
                                  b->k->kernel);
            goto out;
        }
        times[r] = 1e-9 * (double)(t1 - t0);
        clReleaseEvent(ev);
        ev = NULL;
    }
out:
    if (ev)
        clReleaseEvent(ev);
    clembed__kinst_release(&ki);
    return rc;
}

clembed_status clembed__op_bench_run_provider(clembed__op_bench *b, int provider, const int *values,
                                              unsigned reps, double *times, double *max_err)
{
    *max_err = INFINITY;
    if (b->kind != K_GEMM)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "op harness: %s is not a GEMM", b->k->kernel);
    if (!clembed__gemm_provider_available(provider, b->dev))
        return clembed__fail(CLEMBED_ERR_UNSUPPORTED, "GEMM provider %s does not run on %s",
                             clembed__gemm_provider_name(provider), b->dev->info.name);
    clembed__kinst ki, act;
    memset(&ki, 0, sizeof ki);
    memset(&act, 0, sizeof act);
    clembed_status rc = CLEMBED_OK;
    const clembed__shape *s = &b->s;
    if (provider == CLEMBED__GP_KERNEL)
        rc = clembed__kinst_build(b->ctx, b->dev, b->k, values, s, &ki);
    if (rc == CLEMBED_OK && provider != CLEMBED__GP_KERNEL && (b->normalize || b->act != CLEMBED__ACT_IDENTITY)) {
        /* The epilogue the other providers finish with. */
        const clembed__kernel_def *ba = clembed__kernel_find("bias_act_f32");
        int v[CLEMBED_MAX_PARAMS];
        clembed__kernel_defaults(ba, b->dev, s, 0, v);
        rc = clembed__kinst_build(b->ctx, b->dev, ba, v, s, &act);
    }
    if (rc != CLEMBED_OK)
        goto out;
    const clembed__gemm_call g = {b->q, b->dev, s->tokens, s->inter, s->hidden, b->in[0], b->in[1], b->out,
                                  provider == CLEMBED__GP_KERNEL ? &ki : NULL, b->normalize ? b->in[2] : NULL,
                                  b->act, &act, b->in[2]};
    const float nan = NAN;
    cl_int err;
    if ((err = clEnqueueFillBuffer(b->q, b->out, &nan, sizeof nan, 0, b->out_n * sizeof(float), 0, NULL,
                                   NULL)) != CL_SUCCESS) {
        rc = clembed__cl_fail(err, "op harness: clearing the output");
        goto out;
    }
    if ((rc = clembed__gemm_run(provider, &g, NULL, 0)) != CLEMBED_OK)
        goto out;
    if ((err = clEnqueueReadBuffer(b->q, b->out, CL_TRUE, 0, b->out_n * sizeof(float), b->got, 0, NULL,
                                   NULL)) != CL_SUCCESS) {
        rc = clembed__cl_fail(err, "op harness: reading the GEMM's result");
        goto out;
    }
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < b->out_n; i++) {
        double e = rel_err(b->got[i], b->ref[i], b->tol ? b->tol[i] : 0.0f);
        if (!(e <= worst)) {
            worst = e;
            at = i;
        }
    }
    *max_err = worst;
    if (!(worst <= 1.0)) {
        rc = clembed__fail(CLEMBED_ERR_MISMATCH, "GEMM provider %s: element %zu is %g, expected %g",
                           clembed__gemm_provider_name(provider), at, (double)b->got[at], (double)b->ref[at]);
        goto out;
    }
    for (unsigned r = 0; r < reps && rc == CLEMBED_OK; r++) {
        double t0 = clembed__now();
        rc = clembed__gemm_run(provider, &g, NULL, 0);
        if (rc == CLEMBED_OK && (err = clFinish(b->q)) != CL_SUCCESS)
            rc = clembed__cl_fail(err, "op harness: timing a GEMM");
        times[r] = clembed__now() - t0;
    }
out:
    clembed__kinst_release(&ki);
    clembed__kinst_release(&act);
    return rc;
}

double clembed__op_bench_bytes(const clembed__op_bench *b)
{
    return b->bytes;
}

double clembed__op_bench_flops(const clembed__op_bench *b)
{
    return b->flops;
}

void clembed__op_bench_free(clembed__op_bench *b)
{
    if (!b)
        return;
    for (int i = 0; i < MAX_BUFS; i++)
        if (b->in[i])
            clReleaseMemObject(b->in[i]);
    if (b->out)
        clReleaseMemObject(b->out);
    free(b->ref);
    free(b->ref2);
    free(b->in2);
    free(b->tol);
    free(b->got);
    free(b);
}

size_t clembed__op_shapes(const clembed__kernel_def *k, const clembed_model *m, clembed__shape *out,
                          size_t cap)
{
    /* Of common encoders (MiniLM, BERT-base, BERT-large): hidden, heads, intermediate, and the
     * attention's width (heads * head size), the key/value heads' and the feed-forward's first
     * GEMM's. */
    typedef struct { uint32_t H, heads, I, attn, kv, ffn_in; } dims;
    static const dims std_models[] = {{384, 12, 1536, 384, 384, 1536}, {768, 12, 3072, 768, 768, 3072},
                                      {1024, 16, 4096, 1024, 1024, 4096}};
    static const uint32_t std_seqs[] = {32, 128, 512};
    dims models[3];
    uint32_t seqs[4];
    size_t n_models = 0, n_seqs = 0, n = 0;
    if (m) {
        const clembed__encoder_config *c = &m->cfg;
        models[0] = (dims){(uint32_t)c->hidden_size, (uint32_t)c->num_heads, (uint32_t)c->intermediate_size,
                           (uint32_t)(c->num_heads * c->head_dim), (uint32_t)(c->num_kv_heads * c->head_dim),
                           (uint32_t)(c->gated ? 2 : 1) * (uint32_t)c->intermediate_size};
        n_models = 1;
        uint32_t max = m->max_seq_length ? (uint32_t)m->max_seq_length : 512;
        for (size_t i = 0; i < 3 && std_seqs[i] < max; i++)
            seqs[n_seqs++] = std_seqs[i];
        seqs[n_seqs++] = max;
    } else {
        memcpy(models, std_models, sizeof models);
        n_models = 3;
        memcpy(seqs, std_seqs, sizeof std_seqs);
        n_seqs = 3;
    }
    if (strcmp(k->op, "gemm") == 0) {
        /* m = tokens, n = inter, k = hidden: the QKV, attention output and
         * feed-forward products of a full batch. */
        for (size_t i = 0; i < n_models; i++) {
            const dims *d = &models[i];
            const uint32_t nk[4][2] = {{d->attn + 2 * d->kv, d->H}, {d->H, d->attn}, {d->ffn_in, d->H},
                                       {d->H, d->I}};
            for (size_t j = 0; j < 4; j++, n++)
                if (n < cap)
                    out[n] = (clembed__shape){.tokens = CLEMBED__DEFAULT_BATCH_TOKENS, .inter = nk[j][0],
                                              .hidden = nk[j][1], .heads = d->heads};
        }
        return n < cap ? n : cap;
    }
    const int attn = strcmp(k->op, "attention") == 0 || strcmp(k->op, "qk_prep") == 0;
    for (size_t i = 0; i < n_models; i++)
        for (size_t j = 0; j < n_seqs; j++) {
            clembed__shape s = {0};
            s.hidden = attn ? models[i].attn : models[i].H;
            s.heads = models[i].heads;
            s.inter = models[i].I;
            s.seq = seqs[j];
            s.batch = CLEMBED__DEFAULT_BATCH_TOKENS / s.seq ? CLEMBED__DEFAULT_BATCH_TOKENS / s.seq : 1;
            s.tokens = s.batch * s.seq;
            /* Row-wise ops after pooling see one row per sequence. */
            if (strcmp(k->op, "l2norm") == 0)
                s.tokens = s.batch;
            if (n < cap)
                out[n] = s;
            n++;
        }
    return n < cap ? n : cap;
}
