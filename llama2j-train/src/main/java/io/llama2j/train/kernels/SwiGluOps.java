package io.llama2j.train.kernels;

import io.llama2j.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SwiGLU gate (Shazeer 2020) elementwise: h = silu(g) ⊙ u with silu(g) = g · σ(g), and its
 * backward: du = dh ⊙ silu(g), dg = dh ⊙ u ⊙ σ(g) (1 + g (1 − σ(g))).
 *
 * <p>σ(g) comes from e = exp(−|g|) ({@link Exp}, lane for lane in the vector loops):
 * σ(g) = 1 / (1 + e) for g ≥ 0 and e / (1 + e) below, which never overflows. Exact operations
 * only, so results do not depend on JIT state.
 */
public final class SwiGluOps {
    private SwiGluOps() {}

    private static final int MIN_CHUNK = 1 << 14;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    public static void forward(Parallel parallel, float[] h, float[] g, float[] u, int n) {
        parallel.forRange(n, MIN_CHUNK, (first, end) -> {
            int i = first;
            for (; i + L <= end; i += L) {
                FloatVector gv = FloatVector.fromArray(F, g, i);
                // σ(g), as in sigmoid(): e = exp(−|g|) by Exp's steps
                FloatVector x = gv.abs().neg();
                FloatVector t = x.fma(Exp.LOG2_E, Exp.ROUNDING);
                FloatVector k = t.sub(Exp.ROUNDING);
                FloatVector r = k.fma(FloatVector.broadcast(F, -Exp.LN2_HIGH), x);
                r = k.fma(FloatVector.broadcast(F, -Exp.LN2_LOW), r);
                FloatVector p = r.fma(Exp.P0, Exp.P1);
                p = p.fma(r, FloatVector.broadcast(F, Exp.P2));
                p = p.fma(r, FloatVector.broadcast(F, Exp.P3));
                p = p.fma(r, FloatVector.broadcast(F, Exp.P4));
                p = p.fma(r, FloatVector.broadcast(F, Exp.P5));
                FloatVector y = p.fma(r.mul(r), r).add(1f);
                FloatVector scale = ((IntVector) t.viewAsIntegralLanes()).sub(Exp.ROUNDING_BITS).add(Exp.EXPONENT_BIAS)
                        .lanewise(VectorOperators.LSHL, Exp.MANTISSA_BITS).viewAsFloatingLanes();
                FloatVector e = y.mul(scale).blend(0f, x.lt(Exp.MIN_ARGUMENT));
                FloatVector onePlusE = e.add(1f);
                VectorMask<Float> negative = gv.lt(0f);
                FloatVector sigmoid = FloatVector.broadcast(F, 1f).blend(e, negative).div(onePlusE);
                gv.mul(sigmoid).mul(FloatVector.fromArray(F, u, i)).intoArray(h, i);
            }
            for (; i < end; i++) h[i] = g[i] * sigmoid(g[i]) * u[i];
        });
    }

    /** Writes dg and du (overwritten) from dh. */
    public static void backward(Parallel parallel, float[] dg, float[] du, float[] dh, float[] g, float[] u, int n) {
        parallel.forRange(n, MIN_CHUNK, (first, end) -> {
            int i = first;
            for (; i + L <= end; i += L) {
                FloatVector gv = FloatVector.fromArray(F, g, i);
                FloatVector x = gv.abs().neg();
                FloatVector t = x.fma(Exp.LOG2_E, Exp.ROUNDING);
                FloatVector k = t.sub(Exp.ROUNDING);
                FloatVector r = k.fma(FloatVector.broadcast(F, -Exp.LN2_HIGH), x);
                r = k.fma(FloatVector.broadcast(F, -Exp.LN2_LOW), r);
                FloatVector p = r.fma(Exp.P0, Exp.P1);
                p = p.fma(r, FloatVector.broadcast(F, Exp.P2));
                p = p.fma(r, FloatVector.broadcast(F, Exp.P3));
                p = p.fma(r, FloatVector.broadcast(F, Exp.P4));
                p = p.fma(r, FloatVector.broadcast(F, Exp.P5));
                FloatVector y = p.fma(r.mul(r), r).add(1f);
                FloatVector scale = ((IntVector) t.viewAsIntegralLanes()).sub(Exp.ROUNDING_BITS).add(Exp.EXPONENT_BIAS)
                        .lanewise(VectorOperators.LSHL, Exp.MANTISSA_BITS).viewAsFloatingLanes();
                FloatVector e = y.mul(scale).blend(0f, x.lt(Exp.MIN_ARGUMENT));
                FloatVector onePlusE = e.add(1f);
                VectorMask<Float> negative = gv.lt(0f);
                FloatVector sigmoid = FloatVector.broadcast(F, 1f).blend(e, negative).div(onePlusE);
                FloatVector dhv = FloatVector.fromArray(F, dh, i);
                dhv.mul(gv.mul(sigmoid)).intoArray(du, i);
                FloatVector slope = sigmoid.mul(gv.mul(sigmoid.neg().add(1f)).add(1f));
                dhv.mul(FloatVector.fromArray(F, u, i)).mul(slope).intoArray(dg, i);
            }
            for (; i < end; i++) {
                float sigmoid = sigmoid(g[i]);
                du[i] = dh[i] * (g[i] * sigmoid);
                dg[i] = dh[i] * u[i] * (sigmoid * (1f + g[i] * (1f - sigmoid)));
            }
        });
    }

    /** σ(g) by the vector loops' steps, one lane. */
    static float sigmoid(float g) {
        float e = Exp.exp(-Math.abs(g));
        return (g < 0f ? e : 1f) / (1f + e);
    }
}
