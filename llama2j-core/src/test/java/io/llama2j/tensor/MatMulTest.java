package io.llama2j.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class MatMulTest {

    static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /** Plain double-precision W x for one token. */
    static double reference(float[] w, float[] x, int xOffset, int row, int cols) {
        double s = 0;
        for (int c = 0; c < cols; c++) s += (double) w[row * cols + c] * x[xOffset + c];
        return s;
    }

    @Test
    void matVecOnSeveralThreadsEqualsTheSerialDefinition() {
        Random r = new Random(1);
        int rows = 301, cols = 256; // large enough to be split, rows not a multiple of anything
        float[] w = random(r, rows * cols);
        float[] x = random(r, cols + 5);
        float[] out = new float[rows + 3];
        try (Parallel p = new Parallel(3)) {
            MatMul.matVec(p, F32Tensor.of(w), x, 5, out, 3, rows, cols);
        }
        for (int row = 0; row < rows; row++) {
            assertThat(out[3 + row]).isCloseTo((float) reference(w, x, 5, row, cols), within(1e-3f));
        }
    }

    /**
     * The batched products (BatchedDot under GEMM_MIN_TOKENS tokens, the blocked Gemm from there
     * on) sum in another order than matVec's dot, so they agree to float32 rounding, not bit for
     * bit. Rows and tokens not multiples of the micro-kernels and columns not a multiple of the
     * vector length exercise every tail.
     */
    @Test
    void matMulOfABatchEqualsOneMatVecPerToken() {
        for (int tokens : new int[]{7, MatMul.GEMM_MIN_TOKENS + 21}) matMulEqualsOneMatVecPerToken(tokens);
    }

    private void matMulEqualsOneMatVecPerToken(int tokens) {
        Random r = new Random(2);
        int rows = 70, cols = 100;
        float[] w = random(r, rows * cols);
        float[] x = random(r, tokens * cols);
        float[] batched = new float[tokens * rows];
        float[] single = new float[rows];
        try (Parallel p = new Parallel(2)) {
            FloatTensor tensor = F32Tensor.of(w);
            MatMul.matMul(p, tensor, x, batched, tokens, rows, cols);
            for (int t = 0; t < tokens; t++) {
                MatMul.matVec(p, tensor, x, t * cols, single, 0, rows, cols);
                for (int row = 0; row < rows; row++) {
                    assertThat(batched[t * rows + row]).as("%d tokens: token %d row %d", tokens, t, row).isCloseTo(single[row], within(1e-4f));
                }
            }
        }
    }

    /**
     * With 8-bit activations, packed Q4_0 multiplies each token of a decoding step (or of a prompt
     * batch too small for the blocked Gemm) with the tile kernel, quantized on its own: the same
     * bits matVec gives the token alone, on one thread or two. Rows of 1056 values end in a tile
     * of one block.
     */
    @Test
    void packedQ4_0TokensWithEightBitActivationsGetMatVecsBits() {
        assumeTrue(Vectors.ENABLED && Vectors.L == 16, "packing is for 16-lane (AVX-512) vectors");
        Random r = new Random(4);
        int rows = 300, cols = 1056, tokens = 5;
        Q4_0Tensor source = (Q4_0Tensor) RandomTensors.of(GgmlType.Q4_0, (long) rows * cols, r);
        float[] x = random(r, tokens * cols);
        try (Parallel one = new Parallel(1); Parallel two = new Parallel(2)) {
            Q4_0PackedTensor packed = Q4_0PackedTensor.pack(source, cols, two);
            for (Parallel p : new Parallel[]{one, two}) {
                float[] step = new float[tokens * rows], prompt = new float[tokens * rows], single = new float[rows];
                MatMul.matMulPerToken(p, ActivationPrecision.QUANTIZED_8BIT, packed, x, step, tokens, rows, cols);
                MatMul.matMul(p, ActivationPrecision.QUANTIZED_8BIT, packed, x, prompt, tokens, rows, cols);
                for (int t = 0; t < tokens; t++) {
                    MatMul.matVec(two, ActivationPrecision.QUANTIZED_8BIT, packed, x, t * cols, single, 0, rows, cols);
                    for (int row = 0; row < rows; row++) {
                        assertThat(step[t * rows + row]).as("%d threads: token %d row %d", p.threads(), t, row).isEqualTo(single[row]);
                        assertThat(prompt[t * rows + row]).as("%d threads, prompt: token %d row %d", p.threads(), t, row).isEqualTo(single[row]);
                    }
                }
            }
        }
    }

    /**
     * The fused products of a layer (Q, K, V; W1, W3) must be the same bits as one matVec per
     * matrix, whatever the types side by side (here 8-bit integer kernels of both layouts, and
     * float32) and however the rows of all of them are cut into chunks.
     */
    @Test
    void matVecsOfSeveralMatricesAreTheBitsOfOneMatVecEach() {
        Random r = new Random(6);
        int cols = 1024, xOffset = 3;
        int[] rows = {300, 45, 77, 130};
        float[] x = random(r, cols + xOffset);
        try (Parallel one = new Parallel(1); Parallel three = new Parallel(3)) {
            Q4_0Tensor q4 = (Q4_0Tensor) RandomTensors.of(GgmlType.Q4_0, (long) rows[0] * cols, r);
            Q8_0Tensor q8 = (Q8_0Tensor) RandomTensors.of(GgmlType.Q8_0, (long) rows[2] * cols, r);
            FloatTensor packedQ4 = Q4_0PackedTensor.canPack(q4, cols) ? Q4_0PackedTensor.pack(q4, cols, one) : q4;
            FloatTensor packedQ8 = Q8_0PackedTensor.canPack(q8, cols) ? Q8_0PackedTensor.pack(q8, cols, one) : q8;
            FloatTensor[] ws = {packedQ4, RandomTensors.of(GgmlType.Q8_0, (long) rows[1] * cols, r), packedQ8,
                    F32Tensor.of(random(r, rows[3] * cols))};
            for (ActivationPrecision precision : ActivationPrecision.values()) {
                for (Parallel p : new Parallel[]{one, three}) {
                    float[][] fused = new float[ws.length][], separate = new float[ws.length][];
                    for (int i = 0; i < ws.length; i++) {
                        fused[i] = new float[rows[i] + 2];
                        separate[i] = new float[rows[i] + 2];
                        MatMul.matVec(one, precision, ws[i], x, xOffset, separate[i], 2, rows[i], cols);
                    }
                    MatMul.matVecs(p, precision, x, xOffset, cols, ws, fused, new int[]{2, 2, 2, 2}, rows);
                    for (int i = 0; i < ws.length; i++) {
                        assertThat(fused[i]).as("%s, %d threads, matrix %d (%s)", precision, p.threads(), i, ws[i].type())
                                .containsExactly(separate[i]);
                    }
                }
            }
            assertThatThrownBy(() -> MatMul.matVecs(one, ActivationPrecision.FLOAT32, x, 0, cols, ws,
                    new float[3][], new int[4], rows)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("4 matrices for 3 outputs, 4 offsets and 4 row counts");
        }
    }

    /**
     * Continuous batching relies on this: the per-token product computes every output as
     * FloatArrays.dot of the dequantized row and the token, in the micro-kernel and in the tail
     * loop alike, so a token's outputs are the same bits in any batch, however large; for
     * float32 weights they are F32Tensor.dot's, i.e. matVec's. Columns 100 leave a scalar tail
     * after the vector lanes; 20 tokens are more than a prompt batch needs for the blocked Gemm.
     */
    @Test
    void aTokensProductDoesNotDependOnTheBatchAroundItAndIsMatVecsForFloat32() {
        Random r = new Random(3);
        int rows = 70, cols = 96 + 4, tokens = 20;
        float[] w = random(r, rows * cols);
        float[] x = random(r, tokens * cols);
        try (Parallel p = new Parallel(2)) {
            for (FloatTensor tensor : new FloatTensor[] {F32Tensor.of(w),
                    FloatTensors.of(GgmlType.Q8_0, java.lang.foreign.MemorySegment.ofArray(Quantizer.quantize(GgmlType.Q8_0,
                            java.util.Arrays.copyOf(w, 64 * 100))), 64 * 100)}) {
                int n = Math.toIntExact(tensor.size() / cols);
                float[] all = new float[tokens * n];
                MatMul.matMulPerToken(p, ActivationPrecision.FLOAT32, tensor, x, all, tokens, n, cols);
                // tokens 2 and 3 (inside a 4x4 micro-kernel block of the batch) alone as a batch
                // of two, which the single-token loop computes
                float[] pair = new float[2 * n];
                MatMul.matMulPerToken(p, ActivationPrecision.FLOAT32, tensor, java.util.Arrays.copyOfRange(x, 2 * cols, 4 * cols), pair, 2, n, cols);
                for (int i = 0; i < 2 * n; i++) {
                    assertThat(pair[i]).as("%s token %d row %d", tensor.type(), 2 + i / n, i % n).isEqualTo(all[2 * n + i]);
                }
                if (tensor.type() == GgmlType.F32) {
                    float[] single = new float[n];
                    for (int t = 0; t < tokens; t++) {
                        MatMul.matVec(p, tensor, x, t * cols, single, 0, n, cols);
                        for (int row = 0; row < n; row++) {
                            assertThat(all[t * n + row]).as("token %d row %d", t, row).isEqualTo(single[row]);
                        }
                    }
                }
            }
        }
    }

    /**
     * With 8-bit activations a Q4_0 or Q8_0 product is llama.cpp's: it differs from the float32
     * product by the activations' rounding (at most half a step, amax/254, per value), it is the
     * same on one thread and on several, and other types ignore the setting.
     */
    @Test
    void quantizedActivationProductsStayWithinTheRoundingOfTheFloatProduct() {
        Random r = new Random(5);
        int rows = 301, cols = 512;
        float[] w = random(r, rows * cols);
        float[] x = random(r, cols);
        for (GgmlType type : new GgmlType[]{GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.F32}) {
            java.lang.foreign.MemorySegment data = java.lang.foreign.Arena.ofAuto().allocate(type.byteSize(w.length), 64);
            data.copyFrom(java.lang.foreign.MemorySegment.ofArray(Quantizer.quantize(type, w)));
            FloatTensor tensor = FloatTensors.of(type, data, w.length);
            float[] exact = new float[rows], serial = new float[rows], parallel = new float[rows];
            try (Parallel one = new Parallel(1); Parallel three = new Parallel(3)) {
                MatMul.matVec(one, ActivationPrecision.FLOAT32, tensor, x, 0, exact, 0, rows, cols);
                MatMul.matVec(one, ActivationPrecision.QUANTIZED_8BIT, tensor, x, 0, serial, 0, rows, cols);
                MatMul.matVec(three, ActivationPrecision.QUANTIZED_8BIT, tensor, x, 0, parallel, 0, rows, cols);
            }
            assertThat(parallel).as("%s on 3 threads vs 1", type).containsExactly(serial);
            for (int row = 0; row < rows; row++) {
                double bound = 0; // Σ |w| · (amax of the block / 254)
                for (int c = 0; c < cols; c++) {
                    float amax = 0;
                    for (int j = c / 32 * 32; j < c / 32 * 32 + 32; j++) amax = Math.max(amax, Math.abs(x[j]));
                    bound += Math.abs(tensor.getFloat((long) row * cols + c)) * amax / 254 * 1.01;
                }
                if (type == GgmlType.F32) bound = 0;
                assertThat(serial[row]).as("%s row %d", type, row).isCloseTo(exact[row], within((float) bound + 1e-3f));
            }
        }
    }
}
