package io.llama2j.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The Vector API kernels of every storage type against the scalar reference: dot equals
 * getFloat-then-dot, and dequantize equals getFloat bit for bit.
 */
class FloatTensorKernelsTest {

    static Stream<GgmlType> types() {
        return Stream.of(RandomTensors.TYPES);
    }

    /** Row lengths in blocks: one block, a few, and more than one vector register's worth of work. */
    private static final int[] ROW_BLOCKS = {1, 2, 3, 7, 16};
    /** Extra lengths for the unblocked types, which have a scalar tail after the vector loop. */
    private static final int[] ODD_LENGTHS = {1, 5, 17, 33, 100, 1023};

    @ParameterizedTest
    @MethodSource("types")
    void vectorDotEqualsScalarDequantizeThenDot(GgmlType type) {
        Random random = new Random(42 + type.id());
        int block = type.blockSize() == 1 ? 32 : type.blockSize();
        for (int blocks : ROW_BLOCKS) {
            checkDot(type, blocks * block, random);
        }
        if (type.blockSize() == 1) {
            for (int n : ODD_LENGTHS) checkDot(type, n, random);
        }
    }

    /**
     * Three rows of n values; the dot of the last row (a non-zero offset) with x placed at a
     * non-zero offset in a larger array, against a float64 sum of getFloat(i)·x[i].
     *
     * <p>Tolerance: the kernel accumulates L-lane float32 partial sums (about n/L additions per
     * lane, then a log2 L reduction), and block types first sum q·x and Σx per block, then scale:
     * each step rounds by at most 2^-24 relative to a partial sum bounded by
     * Σ(|w_i| + |block minimum|)·|x_i| ≤ 2·max|w|·Σ|x|. So |error| ≤ (n/L + blocks + 16)·2^-24·2·max|w|·Σ|x|;
     * we allow twice that.
     */
    private static void checkDot(GgmlType type, int n, Random random) {
        FloatTensor t = RandomTensors.of(type, 3L * n, random);
        int xOffset = 3;
        float[] x = new float[n + xOffset + 5];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        long offset = 2L * n;
        double expected = 0, sumAbsX = 0, maxAbsW = 0;
        for (int i = 0; i < n; i++) {
            float w = t.getFloat(offset + i);
            expected += (double) w * x[xOffset + i];
            sumAbsX += Math.abs(x[xOffset + i]);
            maxAbsW = Math.max(maxAbsW, Math.abs(w));
        }
        int blocks = Math.max(1, n / type.blockSize());
        double steps = (double) n / Vectors.L + blocks + 16;
        double tolerance = 2 * steps * Math.ulp(1.0f) / 2 * 2 * maxAbsW * sumAbsX;
        float actual = t.dot(offset, x, xOffset, n);
        assertThat((double) actual).as("%s dot of %d values", type, n).isCloseTo(expected, within(tolerance));
    }

    @ParameterizedTest
    @MethodSource("types")
    void dequantizeOfAnyRangeEqualsGetFloatBitForBit(GgmlType type) {
        Random random = new Random(7 + type.id());
        int block = type.blockSize() == 1 ? 32 : type.blockSize();
        FloatTensor t = RandomTensors.of(type, 4L * block, random);
        long[][] ranges = {{0, 4L * block}, {block, block}, {5, 2L * block - 3}, {block - 1, 2}, {3L * block + 1, block - 1}};
        for (long[] r : ranges) {
            int n = (int) r[1];
            float[] out = new float[n + 2];
            out[0] = 12345f;
            t.dequantize(r[0], out, 1, n);
            assertThat(out[0]).as("%s: nothing written before outOffset", type).isEqualTo(12345f);
            assertThat(out[n + 1]).as("%s: nothing written after n values", type).isZero();
            for (int i = 0; i < n; i++) {
                assertThat(Float.floatToRawIntBits(out[1 + i]))
                        .as("%s element %d", type, r[0] + i)
                        .isEqualTo(Float.floatToRawIntBits(t.getFloat(r[0] + i)));
            }
        }
    }
}
