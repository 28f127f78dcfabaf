package io.llama2j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Activations quantized as llama.cpp's quantize_row_q8_0 does (PROVENANCE.md: d = fp16(amax/127),
 * q = round-half-even(x·127/amax)), and the Q4_0/Q8_0 integer kernels against the definition
 * Σ_blocks d_x · Σ_j w_j · q_j computed in double from the dequantized weights.
 */
class Q8ActivationsTest {

    @Test
    void eachBlockIsScaledByItsLargestMagnitudeAndRoundedHalfToEven() {
        float[] x = new float[64];
        x[0] = 127f;          // amax of block 0: d = 1, so q = rint(x)
        x[1] = 2.5f;
        x[2] = 3.5f;
        x[3] = -2.5f;
        x[4] = -127f;
        x[5] = 0.49f;
        // block 1 stays all zero: d = 0 and every q = 0
        Q8Activations q = new Q8Activations().quantize(x, 0, 64);
        assertThat(q.length()).isEqualTo(64);
        assertThat(q.scale(0)).isEqualTo(1f);
        assertThat(new int[]{q.value(0), q.value(1), q.value(2), q.value(3), q.value(4), q.value(5)})
                .containsExactly(127, 2, 4, -2, -127, 0);
        assertThat(q.scale(1)).isZero();
        for (int i = 32; i < 64; i++) assertThat(q.value(i)).isZero();
    }

    @Test
    void matchesTheScalarDefinitionOnRandomValuesFromAnOffset() {
        Random r = new Random(3);
        float[] x = MatMulTest.random(r, 7 + 256);
        for (int i = 0; i < x.length; i++) x[i] *= 1 + 10 * (i / 32); // blocks of different magnitudes
        Q8Activations q = new Q8Activations().quantize(x, 7, 256);
        for (int b = 0; b < 8; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[7 + b * 32 + j]));
            assertThat(q.scale(b)).as("scale of block %d", b).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(amax / 127f)));
            for (int j = 0; j < 32; j++) {
                assertThat(q.value(b * 32 + j)).as("value %d of block %d", j, b)
                        .isEqualTo((int) Math.rint(x[7 + b * 32 + j] * (127f / amax)));
            }
        }
    }

    @Test
    void aBufferIsReusedForShorterVectorsAndGrowsForLongerOnes() {
        Q8Activations q = new Q8Activations();
        q.quantize(new float[128], 0, 128);
        byte[] first = q.values;
        q.quantize(new float[64], 0, 64);
        assertThat(q.values).isSameAs(first);
        assertThat(q.length()).isEqualTo(64);
        q.quantize(new float[256], 0, 256);
        assertThat(q.values.length).isGreaterThanOrEqualTo(256);
    }

    @Test
    void rejectsALengthThatIsNotWholeBlocks() {
        assertThatThrownBy(() -> new Q8Activations().quantize(new float[40], 0, 40))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("40 is not a multiple of 32");
    }

    /** Odd and even block counts (the kernels take two blocks per step), from a row inside a matrix. */
    @ParameterizedTest
    @ValueSource(strings = {"Q4_0", "Q8_0"})
    void integerKernelsEqualTheDefinitionOnDequantizedWeights(String typeName) {
        GgmlType type = GgmlType.valueOf(typeName);
        Random r = new Random(4);
        for (int cols : new int[]{32, 96, 256, 4096}) {
            int rows = 3;
            float[] w = MatMulTest.random(r, rows * cols);
            MemorySegment data = Arena.ofAuto().allocate(type.byteSize(w.length), 64);
            data.copyFrom(MemorySegment.ofArray(Quantizer.quantize(type, w)));
            FloatTensor tensor = FloatTensors.of(type, data, w.length);
            float[] x = MatMulTest.random(r, cols);
            Q8Activations q = new Q8Activations().quantize(x, 0, cols);
            long offset = 2L * cols; // the last row
            double expected = 0, magnitude = 0;
            for (int i = 0; i < cols; i++) {
                double term = (double) tensor.getFloat(offset + i) * q.value(i) * q.scale(i / 32);
                expected += term;
                magnitude += Math.abs(term);
            }
            float actual = tensor instanceof Q4_0Tensor t ? t.dotQ8(offset, q, cols) : ((Q8_0Tensor) tensor).dotQ8(offset, q, cols);
            assertThat((double) actual).as("%s, %d columns", type, cols).isCloseTo(expected, within(1e-6 * magnitude));
        }
    }
}
