package io.llama2j.train.kernels;

import io.llama2j.tensor.Exp;
import io.llama2j.tensor.Parallel;
import io.llama2j.tensor.SwiGlu;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SwiGLU gate (Shazeer 2020) elementwise over threads: the forward h = silu(g) ⊙ u is the
 * inference pass's {@link SwiGlu#apply}; the backward is du = dh ⊙ silu(g),
 * dg = dh ⊙ u ⊙ σ(g) (1 + g (1 − σ(g))), with σ(g) computed as {@link SwiGlu#sigmoid} does (exact
 * operations only, so results do not depend on JIT state).
 */
public final class SwiGluOps {
    private SwiGluOps() {}

    private static final int MIN_CHUNK = 1 << 14;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    public static void forward(Parallel parallel, float[] h, float[] g, float[] u, int n) {
        parallel.forRange(n, MIN_CHUNK, (first, end) -> SwiGlu.apply(h, g, u, first, end));
    }

    /** Writes dg and du (overwritten) from dh. */
    public static void backward(Parallel parallel, float[] dg, float[] du, float[] dh, float[] g, float[] u, int n) {
        parallel.forRange(n, MIN_CHUNK, (first, end) -> {
            int i = first;
            for (; i + L <= end; i += L) {
                FloatVector gv = FloatVector.fromArray(F, g, i);
                FloatVector e = Exp.exp(gv.abs().neg());
                FloatVector onePlusE = e.add(1f);
                VectorMask<Float> negative = gv.lt(0f);
                FloatVector sigmoid = FloatVector.broadcast(F, 1f).blend(e, negative).div(onePlusE);
                FloatVector dhv = FloatVector.fromArray(F, dh, i);
                dhv.mul(gv.mul(sigmoid)).intoArray(du, i);
                FloatVector slope = sigmoid.mul(gv.mul(sigmoid.neg().add(1f)).add(1f));
                dhv.mul(FloatVector.fromArray(F, u, i)).mul(slope).intoArray(dg, i);
            }
            for (; i < end; i++) {
                float sigmoid = SwiGlu.sigmoid(g[i]);
                du[i] = dh[i] * (g[i] * sigmoid);
                dg[i] = dh[i] * u[i] * (sigmoid * (1f + g[i] * (1f - sigmoid)));
            }
        });
    }
}
