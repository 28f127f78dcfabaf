package io.llama2j.train.kernels;

import io.llama2j.tensor.Parallel;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The vectorized cross-entropy, built on the FMA-only exponential ({@link io.llama2j.tensor.Exp}). */
class CrossEntropyOpsTest {
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
