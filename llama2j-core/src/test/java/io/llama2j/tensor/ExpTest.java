package io.llama2j.tensor;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The FMA-only exponential, and the SwiGLU gate and softmax built on it. */
class ExpTest {
    @Test
    void expIsWithinTwoUlpOfMathExpOnTheSoftmaxRangeAndZeroBelowIt() {
        for (float x = 0f; x >= Exp.MIN_ARGUMENT; x -= 0.0137f) {
            float expected = (float) Math.exp(x);
            assertThat(Exp.exp(x)).as("exp(%s)", x).isCloseTo(expected, within(2 * Math.ulp(expected)));
        }
        assertThat(Exp.exp(0f)).isEqualTo(1f);
        assertThat(Exp.exp(-88f)).isZero();
        assertThat(Exp.exp(Float.NEGATIVE_INFINITY)).isZero();
    }

    @Test
    void vectorExpGivesTheScalarExpsBitsInEveryLane() {
        float[] x = new float[Vectors.L], lanes = new float[Vectors.L];
        for (float start = 0f; start > -100f; start -= 0.731f) {
            for (int i = 0; i < x.length; i++) x[i] = start - i * 0.0917f;
            x[0] = start == 0f ? Float.NEGATIVE_INFINITY : x[0];
            Exp.exp(FloatVector.fromArray(Vectors.F, x, 0)).intoArray(lanes, 0);
            for (int i = 0; i < x.length; i++) {
                assertThat(Float.floatToRawIntBits(lanes[i])).as("exp(%s) in lane %d", x[i], i)
                        .isEqualTo(Float.floatToRawIntBits(Exp.exp(x[i])));
            }
        }
    }

    @Test
    void sigmoidOfTheSwiGluGateMatchesTheDefinitionWithoutOverflowAtLargeMagnitudes() {
        for (float g = -120f; g <= 120f; g += 0.0731f) {
            double expected = 1 / (1 + Math.exp(-g));
            assertThat((double) SwiGlu.sigmoid(g)).as("sigmoid(%s)", g).isCloseTo(expected, within(3e-7 * expected + 1e-30));
        }
    }

    @Test
    void swiGluGivesEachValueTheSameBitsInVectorLanesTheTailAndInPlace() {
        float[] special = {-1000f, -50f, -0.5f, -0f, 0f, 0.5f, 50f, 1000f, 3f, -3f, 7f, -7f, 1f, -1f, 2f, -2f, 0.1f,
                Float.POSITIVE_INFINITY, -11f, 0.25f};
        int n = Exp.MIN_VECTOR_LENGTH + 37; // vectors and a scalar tail
        SplittableRandom random = new SplittableRandom(3);
        float[] g = new float[n], u = new float[n], h = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = i < special.length ? special[i] : (float) (6 * random.nextGaussian());
            u[i] = (float) random.nextGaussian();
        }
        SwiGlu.apply(h, g, u, 0, n);
        for (int i = 0; i < n; i++) {
            assertThat(h[i]).as("silu(%s) * %s", g[i], u[i]).isEqualTo(g[i] * SwiGlu.sigmoid(g[i]) * u[i]);
            assertThat((double) h[i]).as("silu(%s) * %s against the definition", g[i], u[i])
                    .isCloseTo(g[i] / (1 + Math.exp(-g[i])) * u[i], within(1e-6 * Math.abs(h[i]) + 1e-30));
        }
        float[] gate = new float[n + 3], up = new float[n + 3]; // the same values 3 lanes later, in place
        System.arraycopy(g, 0, gate, 3, n);
        System.arraycopy(u, 0, up, 3, n);
        SwiGlu.apply(gate, gate, up, 3, gate.length);
        assertThat(Arrays.copyOfRange(gate, 3, gate.length)).isEqualTo(h);
        float[] few = new float[special.length]; // a short range stays scalar: the same bits
        SwiGlu.apply(few, g, u, 0, few.length);
        assertThat(few).isEqualTo(Arrays.copyOf(h, few.length));
    }

    @Test
    void softmaxSumsToOneMatchesTheDefinitionAndIgnoresMinusInfinity() {
        SplittableRandom random = new SplittableRandom(11);
        for (int n : new int[]{1, 7, 16, 45, Exp.MIN_VECTOR_LENGTH + 3, 1000}) {
            float[] x = new float[n + 2];
            for (int i = 0; i < x.length; i++) x[i] = (float) (5 * random.nextGaussian());
            if (n > 3) x[3] = Float.NEGATIVE_INFINITY;
            float[] logits = x.clone();
            FloatArrays.softmax(x, 1, n);
            double max = Double.NEGATIVE_INFINITY, sum = 0, total = 0;
            for (int i = 1; i <= n; i++) max = Math.max(max, logits[i]);
            for (int i = 1; i <= n; i++) sum += Math.exp(logits[i] - max);
            for (int i = 1; i <= n; i++) {
                double expected = Math.exp(logits[i] - max) / sum;
                assertThat((double) x[i]).as("p[%d] of %d", i, n).isCloseTo(expected, within(1e-6 * expected + 1e-12));
                total += x[i];
            }
            assertThat(total).as("sum of %d probabilities", n).isCloseTo(1.0, within(1e-5));
            assertThat(x[0]).as("before the range").isEqualTo(logits[0]);
            assertThat(x[n + 1]).as("after the range").isEqualTo(logits[n + 1]);
            if (n > 3) assertThat(x[3]).isZero();
        }
    }
}
