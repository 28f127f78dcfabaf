package io.llama2j.train.kernels;

import io.llama2j.tensor.Parallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/**
 * The packed, register-blocked product: strided layouts, edges, several K slices and column
 * blocks (the pre-packed A path), and bit-identical results whatever the thread count.
 */
class GemmTest {
    private static final Parallel ONE = new Parallel(1), TWO = new Parallel(2);
    private final SplittableRandom random = new SplittableRandom(3);

    @AfterAll
    static void close() { ONE.close(); TWO.close(); }

    private float[] gaussian(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) random.nextGaussian();
        return x;
    }

    @Test
    void stridedProductMatchesTheDefinitionAcrossSlicesColumnBlocksAndEdges() {
        // {m, n, k}: k 1,100 runs in 3 slices; n 700 with k 300 spans 2 column blocks (A pre-packed); 13 and 45 leave edge tiles
        for (int[] shape : new int[][]{{13, 45, 7}, {40, 700, 300}, {21, 70, 1100}}) {
            int m = shape[0], n = shape[1], k = shape[2];
            // A read transposed from a wider array, B read down the rows of a [n, k] array (Wᵀ), C a window of a wider array
            int aStride = m + 3, cStride = n + 5;
            float[] a = gaussian(k * aStride), w = gaussian(n * k), c0 = gaussian(m * cStride);
            for (boolean accumulate : new boolean[]{false, true}) {
                float[] c = c0.clone();
                Gemm.multiply(TWO, m, n, k, a, 2, 1, aStride, w, 0, 1, k, c, 1, cStride, accumulate);
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double expected = accumulate ? c0[1 + i * cStride + j] : 0;
                        for (int kk = 0; kk < k; kk++) expected += (double) a[2 + kk * aStride + i] * w[j * k + kk];
                        assertThat((double) c[1 + i * cStride + j]).as("C[%d,%d] of %dx%dx%d accumulate=%s", i, j, m, n, k, accumulate)
                                .isCloseTo(expected, offset(1e-4 * Math.sqrt(k) + 1e-5));
                    }
                }
                for (int i = 0; i < m; i++) { // the window's neighbours are untouched
                    assertThat(c[1 + i * cStride + n]).isEqualTo(c0[1 + i * cStride + n]);
                }
            }
        }
    }

    @Test
    void resultsAreBitIdenticalOnOneAndTwoThreadsAndAcrossCalls() {
        int m = 200, n = 1000, k = 600;
        float[] a = gaussian(m * k), b = gaussian(k * n);
        float[] one = new float[m * n], two = new float[m * n], again = new float[m * n];
        Gemm.multiply(ONE, a, 0, false, b, 0, one, 0, m, n, k, false);
        Gemm.multiply(TWO, a, 0, false, b, 0, two, 0, m, n, k, false);
        Gemm.multiply(TWO, a, 0, false, b, 0, again, 0, m, n, k, false);
        assertThat(two).containsExactly(one);
        assertThat(again).containsExactly(one);
    }
}
