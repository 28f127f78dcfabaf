package io.llama2j.train.kernels;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Central finite differences for float32 kernels. Precision approach: the objective is computed
 * from the kernel's float outputs but summed in double, so its rounding error is about
 * ε_float · |terms| ≈ 1e-6; with step h = 1e-2 the difference quotient has rounding noise
 * ≲ 1e-6 / h = 1e-4 and truncation error O(h²) ≈ 1e-4 for smooth functions of O(1) curvature.
 * A tolerance of {@link #ABSOLUTE} + {@link #RELATIVE} · |derivative| is 10× above both and far
 * below what any wrong term in a backward (typically O(|derivative|)) produces.
 */
public final class FiniteDifferences {
    private FiniteDifferences() {}

    public static final float STEP = 1e-2f;
    public static final double ABSOLUTE = 2e-3;
    public static final double RELATIVE = 1e-2;

    /** Checks ∂f/∂x[i] = analytic[i] for {@code samples} indices of x (every index when samples ≥ n). */
    public static void checkElements(String what, float[] x, int offset, int n, float[] analytic, int analyticOffset,
                                     DoubleSupplier f, int samples, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (int s = 0; s < Math.min(samples, n); s++) {
            int i = samples >= n ? s : random.nextInt(n);
            float saved = x[offset + i];
            x[offset + i] = saved + STEP;
            double plus = f.getAsDouble();
            x[offset + i] = saved - STEP;
            double minus = f.getAsDouble();
            x[offset + i] = saved;
            double numeric = (plus - minus) / (2 * STEP);
            double expected = analytic[analyticOffset + i];
            assertThat(expected).as("%s: d/dx[%d] (finite difference %.6f)", what, i, numeric)
                    .isCloseTo(numeric, org.assertj.core.data.Offset.offset(ABSOLUTE + RELATIVE * Math.abs(numeric)));
        }
    }

    /**
     * Checks the directional derivative along {@code direction} (a unit vector over x[offset,
     * offset + n)): (f(x + h d) − f(x − h d)) / 2h = analytic · d.
     */
    public static void checkDirection(String what, float[] x, int offset, int n, float[] analytic, int analyticOffset,
                                      double[] direction, DoubleSupplier f) {
        float[] saved = java.util.Arrays.copyOfRange(x, offset, offset + n);
        double projected = 0;
        for (int i = 0; i < n; i++) projected += analytic[analyticOffset + i] * direction[i];
        for (int i = 0; i < n; i++) x[offset + i] = (float) (saved[i] + STEP * direction[i]);
        double plus = f.getAsDouble();
        for (int i = 0; i < n; i++) x[offset + i] = (float) (saved[i] - STEP * direction[i]);
        double minus = f.getAsDouble();
        System.arraycopy(saved, 0, x, offset, n);
        double numeric = (plus - minus) / (2 * STEP);
        assertThat(projected).as("%s: directional derivative (finite difference %.6f)", what, numeric)
                .isCloseTo(numeric, org.assertj.core.data.Offset.offset(ABSOLUTE + RELATIVE * Math.abs(numeric)));
    }

    /** A random unit vector of length n. */
    public static double[] randomUnit(int n, SplittableRandom random) {
        double[] d = new double[n];
        double norm = 0;
        for (int i = 0; i < n; i++) norm += (d[i] = random.nextGaussian()) * d[i];
        norm = Math.sqrt(norm);
        for (int i = 0; i < n; i++) d[i] /= norm;
        return d;
    }

    /** The unit vector along analytic[offset, offset + n), or a random one when it is zero. */
    public static double[] unitAlong(float[] analytic, int offset, int n, SplittableRandom random) {
        double norm = 0;
        for (int i = 0; i < n; i++) norm += (double) analytic[offset + i] * analytic[offset + i];
        if (norm == 0) return randomUnit(n, random);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = analytic[offset + i] / Math.sqrt(norm);
        return d;
    }

    public static float[] gaussian(int n, double std, SplittableRandom random) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (random.nextGaussian() * std);
        return a;
    }

    /** Σ dy_i · y_i in double: the scalar whose gradient a backward given dy computes. */
    public static double dot(float[] dy, float[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) s += (double) dy[i] * y[i];
        return s;
    }
}
