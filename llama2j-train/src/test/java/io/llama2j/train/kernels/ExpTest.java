package io.llama2j.train.kernels;

import io.llama2j.tensor.Parallel;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The FMA-only exponential of the softmax, and the vectorized cross-entropy built on it. */
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
    void sigmoidOfTheSwiGluGateMatchesTheDefinitionWithoutOverflowAtLargeMagnitudes() {
        for (float g = -120f; g <= 120f; g += 0.0731f) {
            double expected = 1 / (1 + Math.exp(-g));
            assertThat((double) SwiGluOps.sigmoid(g)).as("sigmoid(%s)", g).isCloseTo(expected, within(3e-7 * expected + 1e-30));
        }
        float[] g = {-1000f, -50f, -0.5f, -0f, 0f, 0.5f, 50f, 1000f, 3f, -3f, 7f, -7f, 1f, -1f, 2f, -2f, 0.1f};
        float[] u = new float[g.length], h = new float[g.length];
        java.util.Arrays.fill(u, 2f);
        try (Parallel parallel = new Parallel(1)) {
            SwiGluOps.forward(parallel, h, g, u, g.length); // one vector of up to 16 lanes and a scalar tail
        }
        for (int i = 0; i < g.length; i++) {
            assertThat(h[i]).as("silu(%s) * 2", g[i]).isEqualTo(g[i] * SwiGluOps.sigmoid(g[i]) * 2f);
        }
    }

    @Test
    void vectorizedCrossEntropyMatchesTheScalarDefinitionForLongAndShortRows() {
        SplittableRandom random = new SplittableRandom(5);
        for (int vocab : new int[]{9, 37, 1500}) { // scalar tail only; vector body plus tail; several sum blocks
            int rows = 3;
            float[] logits = new float[rows * vocab];
            for (int i = 0; i < logits.length; i++) logits[i] = (float) (4 * random.nextGaussian());
            int[] targets = {0, vocab - 1, vocab / 2};
            float[] mask = {1, 1, 0.5f};
            double expectedLoss = CrossEntropyOps.loss(logits, targets, mask, rows, vocab); // Math.exp, double sums
            float[] gradient = logits.clone();
            float[] perToken = new float[rows];
            double loss;
            try (Parallel parallel = new Parallel(1)) {
                loss = CrossEntropyOps.forwardBackward(parallel, gradient, targets, mask, rows, vocab, 1f, perToken);
            }
            assertThat(loss).as("loss, vocabulary %d", vocab).isCloseTo(expectedLoss, within(1e-5 * Math.abs(expectedLoss)));
            for (int t = 0; t < rows; t++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int i = 0; i < vocab; i++) max = Math.max(max, logits[t * vocab + i]);
                for (int i = 0; i < vocab; i++) sum += Math.exp(logits[t * vocab + i] - max);
                for (int i = 0; i < vocab; i++) {
                    double p = Math.exp(logits[t * vocab + i] - max) / sum;
                    double expected = mask[t] * (p - (i == targets[t] ? 1 : 0));
                    assertThat((double) gradient[t * vocab + i]).as("dlogit[%d, %d], vocabulary %d", t, i, vocab)
                            .isCloseTo(expected, within(1e-6 + 1e-5 * Math.abs(expected)));
                }
            }
        }
    }
}
