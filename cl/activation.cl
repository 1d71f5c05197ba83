/* out = act(x + bias), over rows of `cols` columns (cols a multiple of VEC).
 * act numbers follow clembed__act in lib/model.h.  out may be x. */

#define ACT_GELU 0
#define ACT_GELU_TANH 1
#define ACT_RELU 2
#define ACT_SILU 3
#define ACT_QUICK_GELU 4
#define ACT_TANH 5
#define ACT_IDENTITY 6

inline floatV act_apply(floatV x, const int act)
{
    switch (act) {
    case ACT_GELU:
        return 0.5f * x * (1.0f + erf(x * 0.70710678118654752f));
    case ACT_GELU_TANH:
        return 0.5f * x * (1.0f + tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    case ACT_RELU:
        return fmax(x, (floatV)0.0f);
    case ACT_SILU:
        return x / (1.0f + exp(-x));
    case ACT_QUICK_GELU:
        return x / (1.0f + exp(-1.702f * x));
    case ACT_TANH:
        return tanh(x);
    default:
        return x;
    }
}

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void bias_act_f32(__global const float *x, __global const float *bias, __global float *out,
                  const uint cols, const uint nvec, const int act)
{
    const uint i = get_global_id(0);
    if (i >= nvec)
        return;
    const uint col = (i * VEC) % cols;
    floatV v = vloadV(i, x) + vloadV(col / VEC, bias);
    vstoreV(act_apply(v, act), i, out);
}
