package io.llama2j.tensor;

import jdk.incubator.vector.FloatVector;

/** Small in-place operations on float32 activation vectors shared by the model and the sampler. */
public final class FloatArrays {
    private FloatArrays() {}

    /**
     * Numerically stable softmax of x[offset, offset + n) in place: exp(x − max x) ({@link Exp},
     * vector lanes and the scalar tail alike), divided by their sum.
     */
    public static void softmax(float[] x, int offset, int n) {
        int end = offset + n, i = offset;
        float max = Float.NEGATIVE_INFINITY, sum = 0f;
        boolean vectors = Vectors.ENABLED && n >= Exp.MIN_VECTOR_LENGTH;
        if (vectors) {
            FloatVector m = FloatVector.fromArray(Vectors.F, x, offset);
            for (i += Vectors.L; i + Vectors.L <= end; i += Vectors.L) m = m.max(FloatVector.fromArray(Vectors.F, x, i));
            for (int lane = 0; lane < Vectors.L; lane++) max = Math.max(max, m.lane(lane));
        }
        for (; i < end; i++) max = Math.max(max, x[i]);
        i = offset;
        if (vectors) {
            FloatVector acc = FloatVector.zero(Vectors.F);
            for (; i + Vectors.L <= end; i += Vectors.L) {
                FloatVector e = Exp.exp(FloatVector.fromArray(Vectors.F, x, i).sub(max));
                e.intoArray(x, i);
                acc = acc.add(e);
            }
            // Vectors.sum written out: called here it was past C2's inlining budget (with Exp
            // inlined), and boxed the vector on every call
            if (Vectors.L > 8) acc = acc.add(acc.rearrange(Vectors.SWAP_8));
            if (Vectors.L > 4) acc = acc.add(acc.rearrange(Vectors.SWAP_4));
            if (Vectors.L > 2) acc = acc.add(acc.rearrange(Vectors.SWAP_2));
            if (Vectors.L > 1) acc = acc.add(acc.rearrange(Vectors.SWAP_1));
            sum = acc.lane(0);
        }
        for (; i < end; i++) {
            float e = Exp.exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (i = offset; i < end; i++) x[i] *= inv;
    }

    /** Index of the largest of x[0, n); the lowest index wins ties. */
    public static int argmax(float[] x, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (x[i] > x[best]) best = i;
        }
        return best;
    }

    /** a[aOffset + i] += b[bOffset + i] for i in [0, n). */
    public static void addInPlace(float[] a, int aOffset, float[] b, int bOffset, int n) {
        for (int i = 0; i < n; i++) a[aOffset + i] += b[bOffset + i];
    }

    /** Σ a[aOffset + i] · b[bOffset + i] for i in [0, n), lane-parallel (Vector API) with a scalar tail. */
    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        int i = 0;
        float s = 0f;
        if (Vectors.ENABLED) {
            FloatVector acc = FloatVector.zero(Vectors.F);
            for (; i + Vectors.L <= n; i += Vectors.L) {
                acc = FloatVector.fromArray(Vectors.F, a, aOffset + i).fma(FloatVector.fromArray(Vectors.F, b, bOffset + i), acc);
            }
            s = Vectors.sum(acc);
        }
        for (; i < n; i++) s += a[aOffset + i] * b[bOffset + i];
        return s;
    }

    /** y[yOffset + i] += alpha · x[xOffset + i] for i in [0, n). */
    public static void addScaled(float[] y, int yOffset, float alpha, float[] x, int xOffset, int n) {
        int i = 0;
        if (Vectors.ENABLED) {
            for (; i + Vectors.L <= n; i += Vectors.L) {
                FloatVector.fromArray(Vectors.F, x, xOffset + i).fma(FloatVector.broadcast(Vectors.F, alpha), FloatVector.fromArray(Vectors.F, y, yOffset + i))
                        .intoArray(y, yOffset + i);
            }
        }
        for (; i < n; i++) y[yOffset + i] += alpha * x[xOffset + i];
    }
}
