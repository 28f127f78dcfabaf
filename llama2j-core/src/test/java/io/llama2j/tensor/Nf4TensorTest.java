package io.llama2j.tensor;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** NF4 (QLoRA §3): nearest-level codes per 64-value absmax block, read back by getFloat, dequantize and dot alike. */
class Nf4TensorTest {

    private static float[] gaussian(int n, long seed) {
        Random random = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (random.nextGaussian() * 0.02);
        return v;
    }

    @Test
    void levelsAreSixteenSortedValuesFromMinusOneToOneWithAnExactZero() {
        assertThat(Nf4Tensor.LEVELS).hasSize(16).startsWith(-1f).endsWith(1f).contains(0f);
        for (int i = 1; i < Nf4Tensor.LEVELS.length; i++) assertThat(Nf4Tensor.LEVELS[i]).isGreaterThan(Nf4Tensor.LEVELS[i - 1]);
    }

    @Test
    void blocksMadeOfScaledLevelsRoundTripExactly() {
        float[] values = new float[2 * Nf4Tensor.BLOCK];
        float[] scales = {0.037f, 3.5f};
        for (int i = 0; i < values.length; i++) {
            values[i] = Nf4Tensor.LEVELS[(i * 7) % 16] * scales[i / Nf4Tensor.BLOCK];
        }
        Nf4Tensor nf4 = Nf4Tensor.quantize(F32Tensor.of(values));
        float[] back = new float[values.length];
        nf4.dequantize(0, back, 0, values.length);
        assertThat(back).containsExactly(values);
    }

    @Property(tries = 50)
    void everyValueDecodesToTheLevelNearestToItTimesItsBlocksAbsmax(@ForAll @IntRange(min = 1, max = 6) int blocks,
                                                                    @ForAll long seed) {
        float[] values = gaussian(blocks * Nf4Tensor.BLOCK, seed);
        Nf4Tensor nf4 = Nf4Tensor.quantize(F32Tensor.of(values));
        for (int b = 0; b < blocks; b++) {
            float absmax = 0;
            for (int j = 0; j < Nf4Tensor.BLOCK; j++) absmax = Math.max(absmax, Math.abs(values[b * Nf4Tensor.BLOCK + j]));
            for (int j = 0; j < Nf4Tensor.BLOCK; j++) {
                int i = b * Nf4Tensor.BLOCK + j;
                float normalized = values[i] / absmax;
                float best = Float.MAX_VALUE;
                for (float level : Nf4Tensor.LEVELS) best = Math.min(best, Math.abs(level - normalized));
                float decoded = nf4.getFloat(i);
                assertThat(Math.abs(decoded / absmax - normalized)).as("value %d", i).isCloseTo(best, within(1e-6f));
                // the widest gap between levels is [-1, -0.696]: no value is further than half of it
                assertThat(Math.abs(decoded - values[i])).isLessThanOrEqualTo(0.153f * absmax);
            }
        }
    }

    @Property(tries = 50)
    void dequantizeAndDotAtAnyOffsetAgreeWithGetFloat(@ForAll @IntRange(min = 0, max = 200) int offset,
                                                      @ForAll @IntRange(min = 0, max = 120) int n, @ForAll long seed) {
        Nf4Tensor nf4 = Nf4Tensor.quantize(F32Tensor.of(gaussian(6 * Nf4Tensor.BLOCK, seed)));
        float[] out = new float[n + 3];
        nf4.dequantize(offset, out, 3, n);
        float[] x = gaussian(n, seed + 1);
        double expected = 0;
        for (int i = 0; i < n; i++) {
            assertThat(out[3 + i]).isEqualTo(nf4.getFloat(offset + i));
            expected += (double) out[3 + i] * x[i];
        }
        assertThat((double) nf4.dot(offset, x, 0, n)).isCloseTo(expected, within(1e-6));
    }

    @Test
    void anAllZeroBlockStaysZero() {
        Nf4Tensor nf4 = Nf4Tensor.quantize(F32Tensor.of(new float[Nf4Tensor.BLOCK]));
        for (int i = 0; i < Nf4Tensor.BLOCK; i++) assertThat(nf4.getFloat(i)).isZero();
    }

    @Test
    void storesHalfAByteAndAFloatPerBlockAndIsNoGgufType() {
        Nf4Tensor nf4 = Nf4Tensor.quantize(F32Tensor.of(new float[4 * Nf4Tensor.BLOCK]));
        assertThat(nf4.type()).isEqualTo(GgmlType.NF4);
        assertThat(nf4.byteSize()).isEqualTo(4 * (Nf4Tensor.BLOCK / 2 + 4));
        assertThat(GgmlType.fromId(GgmlType.NF4.id())).isNull();
    }

    @Test
    void aTensorThatIsNotWholeBlocksIsRejectedNamingTheBlockSize() {
        assertThatThrownBy(() -> Nf4Tensor.quantize(F32Tensor.of(new float[100])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blocks of 64").hasMessageContaining("100");
    }
}
