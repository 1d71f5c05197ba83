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
