/* The op harness: every registry kernel on a shape, with inputs from a seed and
 * a double-precision host reference.
 *
 * What each op reads from the shape:
 *   fill, copy       tokens * hidden elements
 *   embeddings       tokens rows of width hidden, sequences of seq positions
 *   add_layernorm    tokens rows of width hidden
 *   bias_act         tokens rows of width inter; the activation is seed % 7
 *                    (clembed__act numbering: 0, 7, 14, ... give exact GELU)
 *   attention        batch sequences of seq positions, hidden = heads * head size;
 *                    unpadded lengths drawn from the seed, the first one full
 *   pooling          batch sequences of seq positions, width hidden; even seeds
 *                    concatenate all six modes in sentence-transformers' legacy
 *                    order, odd seeds seven in another order with a repeat;
 *                    the prompt skip is seed % 4 positions
 *   l2norm           batch rows of width hidden; seed % 4 == 3 copies without
 *                    normalizing, odd seeds keep 3/4 of the columns
 *   gemm             C[tokens, inter] = A[tokens, hidden] B[hidden, inter]; odd
 *                    seeds add a bias and apply activation (seed / 2) % 7 */
#include "runtime/launch.h"
#include "model/model.h"
#include "tune/harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_FILL, K_COPY, K_EMB, K_LN, K_ACT, K_ATTN, K_POOL, K_L2, K_GEMM };

static const char *const kind_ops[] = {"fill", "copy", "embeddings", "add_layernorm", "bias_act",
                                       "attention", "pooling", "l2norm", "gemm"};

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
    float *tol;       /* per-element absolute tolerance where the op has one (GEMM), else NULL */
    /* scalars */
    int act, normalize;
    int32_t pos_offset;
    uint32_t n, rows, cols, order, n_modes, skip, dim;
    float eps, scale, value;
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

/* Layer norm of one row in double. */
static void layernorm_ref(const double *v, size_t n, const float *g, const float *be, float eps,
                          float *out)
{
    double mean = 0, var = 0;
    for (size_t c = 0; c < n; c++)
        mean += v[c];
    mean /= (double)n;
    for (size_t c = 0; c < n; c++)
        var += (v[c] - mean) * (v[c] - mean);
    var /= (double)n;
    double rstd = 1.0 / sqrt(var + eps);
    for (size_t c = 0; c < n; c++)
        out[c] = (float)((v[c] - mean) * rstd * g[c] + be[c]);
}

static clembed_status setup_emb(clembed__op_bench *b, uint64_t *st)
{
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
    for (uint32_t i = 0; i < T; i++) {
        ids[i] = (int32_t)(splitmix(st) % V);
        types[i] = (int32_t)(splitmix(st) % NT);
    }
    for (uint32_t r = 0; r < T; r++) {
        const float *wr = w + (size_t)ids[r] * H, *tr = ty + (size_t)types[r] * H;
        const float *pr = p + (size_t)(r % S + (uint32_t)b->pos_offset) * H;
        for (uint32_t c = 0; c < H; c++)
            row[c] = (double)wr[c] + tr[c] + pr[c];
        layernorm_ref(row, H, g, be, b->eps, b->ref + (size_t)r * H);
    }
    b->rows = T;
    b->cols = H;
    if ((rc = make_buf(b, 0, ids, T * sizeof *ids)) || (rc = make_buf(b, 1, types, T * sizeof *types)) ||
        (rc = make_buf(b, 2, w, (size_t)V * H * 4)) || (rc = make_buf(b, 3, p, (size_t)P * H * 4)) ||
        (rc = make_buf(b, 4, ty, (size_t)NT * H * 4)) || (rc = make_buf(b, 5, g, H * 4)) ||
        (rc = make_buf(b, 6, be, H * 4)))
        goto out;
    b->bytes = 4.0 * T * H * 4 + 8.0 * T;
    b->flops = 10.0 * T * H;
out:
    free(ids), free(types), free(w), free(p), free(ty), free(g), free(be), free(row);
    return rc;
}

static clembed_status setup_ln(clembed__op_bench *b, uint64_t *st)
{
    const uint32_t T = b->s.tokens, H = b->s.hidden;
    const size_t n = (size_t)T * H;
    b->eps = 1e-5f;
    float *x = rand_array(st, n, -2, 2), *res = rand_array(st, n, -2, 2);
    float *bias = rand_array(st, H, -1, 1), *g = rand_array(st, H, 0.5f, 1.5f);
    float *be = rand_array(st, H, -0.5f, 0.5f);
    double *row = malloc(H * sizeof *row);
    clembed_status rc = CLEMBED_OK;
    if (!x || !res || !bias || !g || !be || !row || !b->ref) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (uint32_t r = 0; r < T; r++) {
        for (uint32_t c = 0; c < H; c++)
            row[c] = (double)x[(size_t)r * H + c] + bias[c] + res[(size_t)r * H + c];
        layernorm_ref(row, H, g, be, b->eps, b->ref + (size_t)r * H);
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

static clembed_status setup_attn(clembed__op_bench *b, uint64_t *st)
{
    const uint32_t B = b->s.batch, S = b->s.seq, H = b->s.hidden, NH = b->s.heads;
    if (!B || !S || !NH || H % NH)
        return clembed__fail(CLEMBED_ERR_INVALID_ARG, "attention shape: batch, seq and heads must be "
                             "positive and the heads must divide hidden (%u, %u, %u, %u)", B, S, NH, H);
    const uint32_t D = H / NH, T = B * S;
    const size_t n = (size_t)T * 3 * H;
    b->scale = 1.0f / sqrtf((float)D);
    float *qkv = rand_array(st, n, -1, 1), *bias = rand_array(st, 3 * (size_t)H, -0.5f, 0.5f);
    uint32_t *lens = malloc(B * sizeof *lens);
    double *sc = malloc(S * sizeof *sc);
    clembed_status rc = CLEMBED_OK;
    if (!qkv || !bias || !lens || !sc || !b->ref) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    double flops = 0;
    for (uint32_t i = 0; i < B; i++)
        lens[i] = i == 0 ? S : 1 + (uint32_t)(splitmix(st) % S);
    memset(b->ref, 0, (size_t)T * H * sizeof(float));
    for (uint32_t bi = 0; bi < B; bi++)
        for (uint32_t h = 0; h < NH; h++)
            for (uint32_t i = 0; i < lens[bi]; i++) {
                const float *qr = qkv + ((size_t)bi * S + i) * 3 * H + (size_t)h * D;
                double mx = -INFINITY, sum = 0;
                for (uint32_t j = 0; j < lens[bi]; j++) {
                    const float *kr = qkv + ((size_t)bi * S + j) * 3 * H + H + (size_t)h * D;
                    double d = 0;
                    for (uint32_t e = 0; e < D; e++)
                        d += ((double)qr[e] + bias[h * D + e]) * ((double)kr[e] + bias[H + h * D + e]);
                    sc[j] = d * b->scale;
                    mx = sc[j] > mx ? sc[j] : mx;
                }
                for (uint32_t j = 0; j < lens[bi]; j++)
                    sum += (sc[j] = exp(sc[j] - mx));
                float *o = b->ref + ((size_t)bi * S + i) * H + (size_t)h * D;
                for (uint32_t e = 0; e < D; e++) {
                    double acc = 0;
                    for (uint32_t j = 0; j < lens[bi]; j++)
                        acc += sc[j] * ((double)qkv[((size_t)bi * S + j) * 3 * H + 2 * H + h * D + e] +
                                        bias[2 * H + h * D + e]);
                    o[e] = (float)(acc / sum);
                }
                flops += 4.0 * lens[bi] * D;
            }
    if ((rc = make_buf(b, 0, qkv, n * 4)) || (rc = make_buf(b, 1, bias, 3 * (size_t)H * 4)) ||
        (rc = make_buf(b, 2, lens, B * sizeof *lens)))
        goto out;
    b->bytes = 4.0 * T * H * 4;
    b->flops = flops;
out:
    free(qkv), free(bias), free(lens), free(sc);
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
    uint32_t *lens = malloc((B ? B : 1) * sizeof *lens);
    clembed_status rc = CLEMBED_OK;
    if (!x || !lens || !b->ref) {
        rc = clembed__fail(CLEMBED_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < B; i++)
        lens[i] = i == 0 ? S : 1 + (uint32_t)(splitmix(st) % S);
    b->out_n = (size_t)B * b->n_modes * W;
    for (uint32_t bi = 0; bi < B; bi++) {
        uint32_t len = lens[bi], start = b->skip < len ? b->skip : len;
        for (uint32_t c = 0; c < W; c++) {
            double mx = -INFINITY, sum = 0, ws = 0, wt = 0;
            const float *col = x + (size_t)bi * S * W + c;
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
    if ((rc = make_buf(b, 0, x, n * 4)) || (rc = make_buf(b, 1, lens, B * sizeof *lens)))
        goto out;
    b->bytes = (double)n * 4 + (double)b->n_modes * B * W * 4;
    b->flops = 5.0 * n;
out:
    free(x), free(lens);
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
    if ((rc = make_buf(b, 0, a, (size_t)M * K * 4)) || (rc = make_buf(b, 1, w, (size_t)K * N * 4)) ||
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
    case K_ACT: return (size_t)s->tokens * s->inter;
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
    case K_EMB: rc = setup_emb(b, &st); break;
    case K_LN: rc = setup_ln(b, &st); break;
    case K_ACT: rc = setup_act(b, &st, seed); break;
    case K_ATTN: rc = setup_attn(b, &st); break;
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
                                          b->in[5], b->in[6], b->out, s->tokens, s->hidden,
                                          s->seq ? s->seq : s->tokens, b->pos_offset, b->eps, ev);
    case K_LN:
        return clembed__launch_add_layernorm(b->q, ki, b->in[0], b->in[1], b->in[2], b->in[3],
                                             b->in[4], b->out, s->tokens, s->hidden, b->eps, ev);
    case K_ACT:
        return clembed__launch_bias_act(b->q, ki, b->in[0], b->in[1], b->out, s->tokens, s->inter,
                                        b->act, ev);
    case K_ATTN:
        return clembed__launch_attention(b->q, ki, b->in[0], b->in[1], b->in[2], b->out, s->batch,
                                         s->seq, s->hidden, s->heads, b->scale, ev);
    case K_POOL:
        return clembed__launch_pooling(b->q, ki, b->in[0], b->in[1], b->out, s->batch, s->seq,
                                       s->hidden, b->order, b->n_modes, b->skip, ev);
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
    /* NaN everywhere first, so an element the kernel forgets to write shows. */
    const float nan = NAN;
    if ((err = clEnqueueFillBuffer(b->q, b->out, &nan, sizeof nan, 0, b->out_n * sizeof(float), 0,
                                   NULL, NULL)) != CL_SUCCESS ||
        (err = launch(b, &ki, NULL)) != CL_SUCCESS ||
        (err = clEnqueueReadBuffer(b->q, b->out, CL_TRUE, 0, b->out_n * sizeof(float), b->got, 0,
                                   NULL, NULL)) != CL_SUCCESS) {
        rc = clembed__cl_fail(err, "op harness: running %s", b->k->kernel);
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
        rc = clembed__fail(CLEMBED_ERR_MISMATCH, "%s: element %zu is %g, expected %g", b->k->kernel,
                           at, (double)b->got[at], (double)b->ref[at]);
        goto out;
    }
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
    free(b->tol);
    free(b->got);
    free(b);
}

size_t clembed__op_shapes(const clembed__kernel_def *k, const clembed_model *m, clembed__shape *out,
                          size_t cap)
{
    /* hidden, heads, intermediate of common encoders: MiniLM, BERT-base, BERT-large. */
    static const uint32_t std_models[][3] = {{384, 12, 1536}, {768, 12, 3072}, {1024, 16, 4096}};
    static const uint32_t std_seqs[] = {32, 128, 512};
    uint32_t models[3][3], seqs[4];
    size_t n_models = 0, n_seqs = 0, n = 0;
    if (m) {
        models[0][0] = (uint32_t)m->cfg.hidden_size;
        models[0][1] = (uint32_t)m->cfg.num_heads;
        models[0][2] = (uint32_t)m->cfg.intermediate_size;
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
            const uint32_t H = models[i][0], I = models[i][2];
            const uint32_t nk[4][2] = {{3 * H, H}, {H, H}, {I, H}, {H, I}};
            for (size_t j = 0; j < 4; j++, n++)
                if (n < cap)
                    out[n] = (clembed__shape){.tokens = CLEMBED__DEFAULT_BATCH_TOKENS, .inter = nk[j][0],
                                              .hidden = nk[j][1], .heads = models[i][1]};
        }
        return n < cap ? n : cap;
    }
    for (size_t i = 0; i < n_models; i++)
        for (size_t j = 0; j < n_seqs; j++) {
            clembed__shape s = {0};
            s.hidden = models[i][0];
            s.heads = models[i][1];
            s.inter = models[i][2];
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
