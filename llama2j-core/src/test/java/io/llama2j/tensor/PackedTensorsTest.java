package io.llama2j.tensor;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The packed copies of Q4_0 and Q8_0 matrices hold the file's values bit for bit, and their dot
 * kernel agrees with the file-layout kernel up to float rounding (the sums run in another order).
 */
class PackedTensorsTest {
    private static final int ROWS = 6, COLS = 3 * 128 + 1024;

    @BeforeEach
    void needs16Lanes() {
        assumeTrue(Vectors.ENABLED && Vectors.L == 16, "packing is for 16-lane (AVX-512) vectors; this machine has " + Vectors.L);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q8_0"})
    void packedValuesAreTheFilesBitForBit(GgmlType type) {
        FloatTensor source = RandomTensors.of(type, (long) ROWS * COLS, new Random(11));
        FloatTensor packed = pack(source, COLS);
        assertThat(packed.size()).isEqualTo(source.size());
        assertThat(packed.type()).isEqualTo(type);
        for (long i = 0; i < source.size(); i++) {
            assertThat(Float.floatToRawIntBits(packed.getFloat(i))).as("value %d", i).isEqualTo(Float.floatToRawIntBits(source.getFloat(i)));
        }
        // whole rows (the prompt-batch path), and ranges that start and end inside blocks
        for (long[] range : new long[][]{{0, ROWS * COLS}, {COLS, COLS}, {5, 300}, {32, 64}, {100, 7}}) {
            float[] expected = new float[(int) range[1] + 3], actual = new float[(int) range[1] + 3];
            source.dequantize(range[0], expected, 3, (int) range[1]);
            packed.dequantize(range[0], actual, 3, (int) range[1]);
            assertThat(actual).as("dequantize from %d, %d values", range[0], range[1]).containsExactly(expected);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q8_0"})
    void dotAgreesWithTheFileLayoutKernel(GgmlType type) {
        Random random = new Random(12);
        FloatTensor source = RandomTensors.of(type, (long) ROWS * COLS, random);
        FloatTensor packed = pack(source, COLS);
        float[] x = new float[COLS + 5];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        for (int r = 0; r < ROWS; r++) {
            double magnitude = 0;
            for (int c = 0; c < COLS; c++) magnitude += Math.abs(source.getFloat((long) r * COLS + c) * x[5 + c]);
            assertThat((double) packed.dot((long) r * COLS, x, 5, COLS))
                    .as("row %d", r).isCloseTo(source.dot((long) r * COLS, x, 5, COLS), org.assertj.core.data.Offset.offset(1e-5 * magnitude));
        }
        // a range that is not whole groups takes the element-by-element path, with the same result
        double expected = 0;
        for (int i = 0; i < 64; i++) expected += source.getFloat(32 + i) * x[i];
        assertThat((double) packed.dot(32, x, 0, 64)).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-4));
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q8_0"})
    void matVecOverPackedRowsEqualsTheDotOfEachRow(GgmlType type) {
        Random random = new Random(13);
        int rows = 200;
        FloatTensor packed = pack(RandomTensors.of(type, (long) rows * COLS, random), COLS);
        float[] x = new float[COLS];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        float[] out = new float[rows];
        try (Parallel two = new Parallel(2)) {
            MatMul.matVec(two, packed, x, 0, out, 0, rows, COLS);
        }
        for (int r = 0; r < rows; r++) assertThat(out[r]).isEqualTo(packed.dot((long) r * COLS, x, 0, COLS));
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q8_0"})
    void rowsThatAreNotWholeGroupsAreRefused(GgmlType type) {
        int cols = type == GgmlType.Q4_0 ? 96 : 48; // Q4_0 packs groups of 128, Q8_0 blocks of 32
        FloatTensor source = RandomTensors.of(type, 4L * 96, new Random(14));
        if (type == GgmlType.Q4_0) {
            assertThat(Q4_0PackedTensor.canPack((Q4_0Tensor) source, cols)).isFalse();
            assertThatThrownBy(() -> Q4_0PackedTensor.pack((Q4_0Tensor) source, cols, Parallel.shared()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rows of 96");
        } else {
            assertThat(Q8_0PackedTensor.canPack((Q8_0Tensor) source, cols)).isFalse();
            assertThatThrownBy(() -> Q8_0PackedTensor.pack((Q8_0Tensor) source, cols, Parallel.shared()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rows of 48");
        }
    }

    static FloatTensor pack(FloatTensor source, long cols) {
        try (Parallel two = new Parallel(2)) {
            return source instanceof Q4_0Tensor q4 ? Q4_0PackedTensor.pack(q4, cols, two) : Q8_0PackedTensor.pack((Q8_0Tensor) source, cols, two);
        }
    }
}
