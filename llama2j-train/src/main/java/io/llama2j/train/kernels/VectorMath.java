package io.llama2j.train.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Short-vector helpers for the per-head loops of attention (head sizes 8 to 128): the widest
 * species first, then 8 lanes, then scalars, so that small heads are vectorized too.
 */
final class VectorMath {
    private VectorMath() {}

    private static final VectorSpecies<Float> WIDE = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> NARROW = FloatVector.SPECIES_256;

    /** Σ_i x[xOff + i] · y[yOff + i] for i < n. */
    static float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        float sum = 0f;
        if (n >= WIDE.length()) {
            FloatVector acc = FloatVector.zero(WIDE);
            for (; i + WIDE.length() <= n; i += WIDE.length()) {
                acc = FloatVector.fromArray(WIDE, x, xOff + i).fma(FloatVector.fromArray(WIDE, y, yOff + i), acc);
            }
            // Lanes summed in a fixed order: reduceLanes(ADD) may use another order once C2 has
            // compiled it than before, so a resumed run would not be bit-identical.
            for (int k = 0; k < WIDE.length(); k++) sum += acc.lane(k);
        }
        if (i + NARROW.length() <= n) {
            FloatVector tail = FloatVector.fromArray(NARROW, x, xOff + i).mul(FloatVector.fromArray(NARROW, y, yOff + i));
            for (int k = 0; k < NARROW.length(); k++) sum += tail.lane(k);
            i += NARROW.length();
        }
        for (; i < n; i++) sum += x[xOff + i] * y[yOff + i];
        return sum;
    }

    /** y[yOff + i] += a · x[xOff + i] for i < n. */
    static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        if (n >= WIDE.length()) {
            FloatVector va = FloatVector.broadcast(WIDE, a);
            for (; i + WIDE.length() <= n; i += WIDE.length()) {
                FloatVector.fromArray(WIDE, x, xOff + i).fma(va, FloatVector.fromArray(WIDE, y, yOff + i)).intoArray(y, yOff + i);
            }
        }
        for (; i + NARROW.length() <= n; i += NARROW.length()) {
            FloatVector.fromArray(NARROW, x, xOff + i).fma(FloatVector.broadcast(NARROW, a), FloatVector.fromArray(NARROW, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }
}
