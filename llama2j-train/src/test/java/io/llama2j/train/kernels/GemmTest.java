package io.llama2j.train.kernels;

import io.llama2j.tensor.Parallel;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The training matrix product's bits do not depend on the shape it is computed in. */
class GemmTest {
    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    @Test
    void aRowOfTheProductHasTheSameBitsHoweverManyRowsAreMultipliedWithIt() {
        // n spans whole register tiles, a single-vector tile and scalar edge columns; k spans two K blocks
        int n = Gemm.TILE_COLUMNS + 2 * 16 + 3, k = Gemm.K_BLOCK + 37;
        float[] b = random(k * n, 2);
        int maxRows = 2 * Gemm.ROW_BLOCK + 3;
        float[] a = random(maxRows * k, 1);
        try (Parallel one = new Parallel(1); Parallel two = new Parallel(2)) {
            float[] alone = new float[n];
            Gemm.multiply(one, a, 0, false, b, 0, alone, 0, 1, n, k, false);
            for (int m : new int[]{1, 3, 4, 5, 7, 64, maxRows}) {
                for (Parallel parallel : new Parallel[]{one, two}) {
                    float[] c = new float[m * n];
                    Gemm.multiply(parallel, a, 0, false, b, 0, c, 0, m, n, k, false);
                    assertThat(Arrays.copyOf(c, n)).as("row 0 of %d rows, %d threads", m, parallel.threads()).containsExactly(alone);
                    if (m > 1) {
                        // the last row is an edge row for most m: as computed alone, from its own offset
                        float[] last = new float[n];
                        Gemm.multiply(one, a, (m - 1) * k, false, b, 0, last, 0, 1, n, k, false);
                        assertThat(Arrays.copyOfRange(c, (m - 1) * n, m * n)).as("row %d of %d", m - 1, m).containsExactly(last);
                    }
                }
            }
        }
    }
}
