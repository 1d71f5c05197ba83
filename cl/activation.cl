/* out = act(x + bias), over rows of `cols` columns (cols a multiple of VEC).
 * act numbers follow clembed__act in lib/model/model.h (see common.cl).  out may
 * be x. */

DEFINE_ACT(floatV, act_apply)

__kernel WG_ATTR
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

/* Gated feed-forward: out[r, c] = act(x[r, c] + b[c]) * (x[r, I + c] + b[I + c]) for
 * rows of 2 I columns in x (the activated half first) and I in out; bias only
 * with has_bias.  I is a multiple of VEC. */
__kernel WG_ATTR
void glu_f32(__global const float *x, __global const float *bias, __global float *out, const uint inter,
             const uint nvec, const int act, const int has_bias)
{
    const uint i = get_global_id(0);
    if (i >= nvec)
        return;
    const uint per_row = inter / VEC, r = i / per_row, cv = i % per_row;
    __global const float *xr = x + (size_t)r * 2 * inter;
    floatV a = vloadV(cv, xr), g = vloadV(cv, xr + inter);
    if (has_bias) {
        a += vloadV(cv, bias);
        g += vloadV(cv, bias + inter);
    }
    vstoreV(act_apply(a, act) * g, i, out);
}
