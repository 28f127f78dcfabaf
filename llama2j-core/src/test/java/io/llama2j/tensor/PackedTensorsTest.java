package io.llama2j.tensor;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The packed copies of Q4_0 and Q8_0 matrices hold the file's values bit for bit, and their dot
 * kernels agree with the file-layout kernels up to float rounding (the sums run in another
 * order), or to the bit where they do the same operations: Q8_0's with float activations and
 * with 8-bit ones, Q4_0's with 8-bit ones.
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
            if (packed instanceof Q4_0PackedTensor tiles) {
                assertThat(Float.floatToRawIntBits(tiles.packedValue(i))).as("tiled value %d", i).isEqualTo(Float.floatToRawIntBits(source.getFloat(i)));
            }
        }
        // whole rows (the prompt-batch path), and ranges that start and end inside blocks
        for (long[] range : new long[][]{{0, ROWS * COLS}, {COLS, COLS}, {5, 300}, {32, 64}, {100, 7}}) {
            float[] expected = new float[(int) range[1] + 3], actual = new float[(int) range[1] + 3];
            source.dequantize(range[0], expected, 3, (int) range[1]);
            packed.dequantize(range[0], actual, 3, (int) range[1]);
            assertThat(actual).as("dequantize from %d, %d values", range[0], range[1]).containsExactly(expected);
        }
    }

    @Test
    void q8_0DotAgreesWithTheFileLayoutKernel() {
        Random random = new Random(12);
        FloatTensor source = RandomTensors.of(GgmlType.Q8_0, (long) ROWS * COLS, random);
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

    /**
     * The packed Q8_0 integer kernel does the file-layout kernel's operations in the same order,
     * so the two layouts give generation the same bits; both equal the definition,
     * Σ_blocks d_w · d_x · Σ w · q, up to float rounding.
     */
    @Test
    void q8_0IntegerKernelGivesTheFileLayoutKernelsBits() {
        Random random = new Random(13);
        Q8_0Tensor source = (Q8_0Tensor) RandomTensors.of(GgmlType.Q8_0, (long) ROWS * COLS, random);
        Q8_0PackedTensor packed = (Q8_0PackedTensor) pack(source, COLS);
        float[] x = new float[COLS];
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        Q8Activations q = new Q8Activations().quantize(x, 0, COLS);
        for (int r = 0; r < ROWS; r++) {
            long offset = (long) r * COLS;
            float actual = packed.dotQ8(offset, q, COLS);
            assertThat(Float.floatToRawIntBits(actual)).as("row %d", r).isEqualTo(Float.floatToRawIntBits(source.dotQ8(offset, q, COLS)));
            double expected = 0, magnitude = 0;
            for (int b = 0; b < COLS / 32; b++) {
                long blockAt = (offset / 32 + b) * Q8_0Tensor.BYTES;
                double scales = (double) Float.float16ToFloat(source.data.get(Vectors.SHORT_LE, blockAt)) * q.scale(b);
                long products = 0;
                for (int j = 0; j < 32; j++) {
                    long product = source.data.get(Vectors.BYTE, blockAt + 2 + j) * q.value(b * 32 + j);
                    products += product;
                    magnitude += Math.abs(product * scales);
                }
                expected += scales * products;
            }
            assertThat((double) actual).as("row %d against the definition", r).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-5 * magnitude));
        }
        assertThatThrownBy(() -> packed.dotQ8(16, q, 64)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whole blocks");
    }

    /**
     * The tile kernel against the definition, Σ_blocks d_w · d_x · Σ (nibble − 8) · q summed in
     * double, and against the file-layout integer kernel; COLS is one full tile and one of 12
     * blocks, whose padding must add nothing. Quantizing a longer vector first checks that the
     * reused buffer's leftovers do not leak into the padding.
     */
    @Test
    void q4_0TileKernelComputesTheBlockIntegerDotProduct() {
        Random random = new Random(12);
        Q4_0Tensor source = (Q4_0Tensor) RandomTensors.of(GgmlType.Q4_0, (long) ROWS * COLS, random);
        Q4_0PackedTensor packed = (Q4_0PackedTensor) pack(source, COLS);
        float[] longer = new float[4096], x = new float[COLS];
        for (int i = 0; i < longer.length; i++) longer[i] = (float) random.nextGaussian() * 50;
        for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
        Q8Activations q = new Q8Activations().quantize(longer, 0, longer.length).quantize(x, 0, COLS);
        for (int r = 0; r < ROWS; r++) {
            double expected = 0, magnitude = 0;
            for (int b = 0; b < COLS / 32; b++) {
                long at = ((long) r * COLS / 32 + b) * Q4_0Tensor.BYTES; // the block's bytes: fp16 d, then 16 bytes of nibbles
                float dw = source.half(at);
                long integer = 0;
                for (int k = 0; k < 32; k++) {
                    int packedByte = source.unsignedByte(at + 2 + k % 16);
                    integer += (long) ((k < 16 ? packedByte & 0xF : packedByte >>> 4) - 8) * q.value(b * 32 + k);
                }
                expected += (double) dw * q.scale(b) * integer;
                magnitude += Math.abs((double) dw * q.scale(b) * integer);
            }
            assertThat((double) packed.dotQ8(r, q)).as("row %d", r).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-6 * magnitude + 1e-6));
            assertThat((double) packed.dotQ8(r, q)).as("row %d against the file layout", r)
                    .isCloseTo(source.dotQ8((long) r * COLS, q, COLS), org.assertj.core.data.Offset.offset(1e-5 * magnitude + 1e-6));
        }
        assertThatThrownBy(() -> packed.dotQ8(0, new Q8Activations().quantize(x, 0, COLS - 32)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("length " + (COLS - 32));
    }

    /**
     * The kernel widens the tiles' fp16 scales itself; every finite kind of fp16 value must come
     * out as {@link Float#float16ToFloat} reads it: zeros of both signs, subnormals, normals up to
     * the largest. One row per scale, its other 31 blocks zero. A matrix with an infinite or NaN
     * scale is not packed (null), so that its products stay exact in the file's layout.
     */
    @Test
    void q4_0TileKernelReadsEveryKindOfFiniteFp16Scale() {
        short[] halves = {0x0000, (short) 0x8000, 0x0001, 0x03FF, (short) 0x83FF, 0x0400, 0x3C00, (short) 0xBC00, 0x7BFF,
                (short) 0xFBFF, 0x1234};
        Random random = new Random(15);
        Q4_0Tensor source = oneScalePerRow(halves, random);
        int cols = Q4_0PackedTensor.TILE_VALUES, rows = halves.length;
        Q4_0PackedTensor packed = (Q4_0PackedTensor) pack(source, cols);
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) random.nextGaussian();
        Q8Activations q = new Q8Activations().quantize(x, 0, cols);
        for (int r = 0; r < rows; r++) {
            double expected = 0;
            for (int b = 0; b < cols / 32; b++) {
                long integer = 0;
                for (int k = 0; k < 32; k++) integer += (long) Math.round(source.getFloat((long) r * cols + b * 32 + k) / nonZero(source, r, cols, b)) * q.value(b * 32 + k);
                if (integer != 0) expected += (double) nonZero(source, r, cols, b) * q.scale(b) * integer;
            }
            assertThat((double) packed.dotQ8(r, q)).as("scale %04x", halves[r]).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-6 * Math.abs(expected) + 1e-30));
        }
        for (short special : new short[]{0x7C00, (short) 0xFC00, 0x7E00, 0x7C01}) {
            try (Parallel two = new Parallel(2)) {
                assertThat(Q4_0PackedTensor.pack(oneScalePerRow(new short[]{0x3C00, special, 0x3C00}, random), cols, two))
                        .as("scale %04x", special).isNull();
            }
        }
    }

    /** A Q4_0 matrix of 1024-value rows, row r with one block of scale halves[r] and random nibbles, the rest zero. */
    private static Q4_0Tensor oneScalePerRow(short[] halves, Random random) {
        int cols = Q4_0PackedTensor.TILE_VALUES, rows = halves.length;
        MemorySegment data = MemorySegment.ofArray(new byte[rows * cols / 32 * Q4_0Tensor.BYTES]);
        for (int r = 0; r < rows; r++) {
            long at = ((long) r * cols / 32 + random.nextInt(32)) * Q4_0Tensor.BYTES;
            data.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, halves[r]);
            for (int j = 0; j < 16; j++) data.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) random.nextInt(256));
        }
        return new Q4_0Tensor(data, (long) rows * cols);
    }

    /** Block b's scale in row r of a Q4_0 tensor; 1 when it is zero (its values are then all zero). */
    private static float nonZero(Q4_0Tensor source, int r, int cols, int b) {
        float d = source.half(((long) r * cols / 32 + b) * Q4_0Tensor.BYTES);
        return d == 0 ? 1 : d;
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
        if (packed instanceof Q4_0PackedTensor tiles) {
            try (Parallel two = new Parallel(2)) {
                MatMul.matVec(two, ActivationPrecision.QUANTIZED_8BIT, packed, x, 0, out, 0, rows, COLS);
            }
            Q8Activations q = new Q8Activations().quantize(x, 0, COLS);
            for (int r = 0; r < rows; r++) assertThat(out[r]).as("8-bit row %d", r).isEqualTo(tiles.dotQ8(r, q));
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q8_0"})
    void rowsThatAreNotWholeBlocksAreRefused(GgmlType type) {
        int cols = 48; // both pack whole blocks of 32
        FloatTensor source = RandomTensors.of(type, 4L * 96, new Random(14));
        if (type == GgmlType.Q4_0) {
            assertThat(Q4_0PackedTensor.canPack((Q4_0Tensor) source, cols)).isFalse();
            assertThatThrownBy(() -> Q4_0PackedTensor.pack((Q4_0Tensor) source, cols, Parallel.shared()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rows of 48");
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
