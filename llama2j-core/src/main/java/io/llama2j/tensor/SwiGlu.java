package io.llama2j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import static io.llama2j.tensor.Vectors.F;
import static io.llama2j.tensor.Vectors.L;

/**
 * The SwiGLU gate (Shazeer 2020) of the feed-forward block, elementwise: h = silu(g) ⊙ u with
 * silu(g) = g · σ(g), where g = W1 x (the gate) and u = W3 x (the up projection).
 *
 * <p>σ(g) comes from e = exp(−|g|) ({@link Exp}): σ(g) = 1 / (1 + e) for g ≥ 0 and e / (1 + e)
 * below, which never overflows. Vector lanes and the scalar tail do the same exact operations, so
 * a value's result does not depend on its position or on JIT state. The inference forward pass
 * and the training forward pass both call {@link #apply}.
 */
public final class SwiGlu {
    private SwiGlu() {}

    /** h[i] = g[i] · σ(g[i]) · u[i] for i in [from, to); h may be g or u (in place). */
    public static void apply(float[] h, float[] g, float[] u, int from, int to) {
        int i = from;
        if (Vectors.ENABLED && to - from >= Exp.MIN_VECTOR_LENGTH) {
            for (; i + L <= to; i += L) {
                FloatVector gv = FloatVector.fromArray(F, g, i);
                FloatVector e = Exp.exp(gv.abs().neg());
                VectorMask<Float> negative = gv.lt(0f);
                FloatVector sigmoid = FloatVector.broadcast(F, 1f).blend(e, negative).div(e.add(1f));
                gv.mul(sigmoid).mul(FloatVector.fromArray(F, u, i)).intoArray(h, i);
            }
        }
        for (; i < to; i++) h[i] = g[i] * sigmoid(g[i]) * u[i];
    }

    /** σ(g) = 1 / (1 + exp(−g)), by {@link #apply}'s steps. */
    public static float sigmoid(float g) {
        float e = Exp.exp(-Math.abs(g));
        return (g < 0f ? e : 1f) / (1f + e);
    }
}
