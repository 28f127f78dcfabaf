package io.llama2j.tensor;

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

    /** A reward model's score must not change with the padding after the sequence (spark-score vs reward-score). */
    @Test
    void aRowOfTheProductHasTheSameBitsHoweverManyRowsAreMultipliedWithIt() {
        // n spans whole register tiles, a single-vector tile and scalar edge columns; k spans two K slices
        int n = Gemm.TILE_COLUMNS + 2 * 16 + 3, k = Gemm.K_BLOCK + 37;
        float[] b = gaussian(k * n);
        int maxRows = 2 * Gemm.ROW_BLOCK + 3;
        float[] a = gaussian(maxRows * k);
        float[] alone = new float[n];
        Gemm.multiply(ONE, a, 0, false, b, 0, alone, 0, 1, n, k, false);
        for (int m : new int[]{1, 3, 4, 5, 7, 8, 9, 64, maxRows}) {
            for (Parallel parallel : new Parallel[]{ONE, TWO}) {
                float[] c = new float[m * n];
                Gemm.multiply(parallel, a, 0, false, b, 0, c, 0, m, n, k, false);
                assertThat(java.util.Arrays.copyOf(c, n)).as("row 0 of %d rows, %d threads", m, parallel.threads()).containsExactly(alone);
                if (m > 1) {
                    // the last row is an edge row for most m: as computed alone, from its own offset
                    float[] last = new float[n];
                    Gemm.multiply(ONE, a, (m - 1) * k, false, b, 0, last, 0, 1, n, k, false);
                    assertThat(java.util.Arrays.copyOfRange(c, (m - 1) * n, m * n)).as("row %d of %d", m - 1, m).containsExactly(last);
                }
            }
        }
    }

    /** W [rows, cols] of random values stored as {@code type}, read through a heap segment. */
    private FloatTensor weights(GgmlType type, int rows, int cols) {
        byte[] bytes = Quantizer.quantize(type, gaussian(rows * cols));
        return FloatTensors.of(type, java.lang.foreign.MemorySegment.ofArray(bytes), (long) rows * cols);
    }

    @Test
    void productWithAQuantizedWeightMatrixMatchesItsDequantizedValuesAndLeavesNoTokenDependentOnAnother() {
        // cols 1,280: K slices of 512, 512 and 256; rows 70: two whole column micro-panels and an edge; 19 tokens: 2 tiles and an edge
        int tokens = 19, rows = 70, cols = 1280;
        for (GgmlType type : new GgmlType[]{GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.F16, GgmlType.F32}) {
            FloatTensor w = weights(type, rows, cols);
            float[] dense = new float[rows * cols];
            w.dequantize(0, dense, 0, dense.length);
            float[] x = gaussian(tokens * cols);
            float[] out = new float[tokens * rows], two = new float[tokens * rows];
            Gemm.multiplyByWeights(ONE, x, w, out, tokens, rows, cols);
            Gemm.multiplyByWeights(TWO, x, w, two, tokens, rows, cols);
            assertThat(two).as("%s on 1 and 2 threads", type).containsExactly(out);
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < rows; r++) {
                    double expected = 0;
                    for (int c = 0; c < cols; c++) expected += (double) x[t * cols + c] * dense[r * cols + c];
                    assertThat((double) out[t * rows + r]).as("%s out[%d, %d]", type, t, r).isCloseTo(expected, offset(1e-4 * Math.sqrt(cols)));
                }
            }
            for (int t : new int[]{0, 8, tokens - 1}) { // a token computed alone gets the bits it got in the batch
                float[] alone = new float[rows];
                Gemm.multiplyByWeights(ONE, java.util.Arrays.copyOfRange(x, t * cols, (t + 1) * cols), w, alone, 1, rows, cols);
                assertThat(alone).as("%s token %d alone", type, t).containsExactly(java.util.Arrays.copyOfRange(out, t * rows, (t + 1) * rows));
            }
        }
    }

    @Test
    void aWeightMatrixSmallerThanTheProductIsRejected() {
        FloatTensor w = weights(GgmlType.Q8_0, 4, 64);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Gemm.multiplyByWeights(ONE, new float[2 * 64], w, new float[2 * 8], 2, 8, 64))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("256 values").hasMessageContaining("8 x 64");
    }
}
