package io.llama2j.tensor;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The reference quantizers: ggml's rounding rules and the error bounds they imply. */
class QuantizerTest {

    private static float[] toArray(List<Float> values) {
        float[] a = new float[values.size()];
        for (int i = 0; i < a.length; i++) a[i] = values.get(i);
        return a;
    }

    private static FloatTensor decode(GgmlType type, byte[] bytes, int n) {
        return FloatTensors.of(type, MemorySegment.ofArray(bytes), n);
    }

    @Test
    void roundingIsCRoundfHalfAwayFromZero() {
        assertThat(Quantizer.roundHalfAwayFromZero(2.5f)).isEqualTo(3);
        assertThat(Quantizer.roundHalfAwayFromZero(-2.5f)).isEqualTo(-3);
        assertThat(Quantizer.roundHalfAwayFromZero(0.49999997f)).isZero();
        assertThat(Quantizer.roundHalfAwayFromZero(-126.5f)).isEqualTo(-127);
    }

    @Test
    void bfloat16RoundsToNearestEvenAndKeepsNaN() {
        assertThat(Quantizer.toBFloat16(1f)).isEqualTo((short) 0x3F80);
        assertThat(Quantizer.toBFloat16(Float.intBitsToFloat(0x3F808000))).isEqualTo((short) 0x3F80); // tie, even below
        assertThat(Quantizer.toBFloat16(Float.intBitsToFloat(0x3F818000))).isEqualTo((short) 0x3F82); // tie, even above
        assertThat(Quantizer.toBFloat16(Float.intBitsToFloat(0x3F808001))).isEqualTo((short) 0x3F81);
        short nan = Quantizer.toBFloat16(Float.NaN);
        assertThat(Float.isNaN(Float.intBitsToFloat(nan << 16))).isTrue();
    }

    @Test
    void q8_0ScaleIsAbsMaxOver127() {
        float[] x = new float[32];
        for (int i = 0; i < 32; i++) x[i] = i - 16; // abs max 16 at x[0]
        byte[] q = Quantizer.quantize(GgmlType.Q8_0, x);
        FloatTensor t = decode(GgmlType.Q8_0, q, 32);
        assertThat(q[2]).isEqualTo((byte) -127);
        assertThat(t.getFloat(0)).isCloseTo(-16f, org.assertj.core.api.Assertions.within(16f / 2048));
        assertThat(q[2 + 16]).isZero();
    }

    @Test
    void q4_0MapsTheSignedExtremeToMinusEight() {
        float[] x = new float[32];
        java.util.Arrays.fill(x, 3f);
        byte[] q = Quantizer.quantize(GgmlType.Q4_0, x);
        for (int j = 0; j < 16; j++) assertThat(q[2 + j]).isZero(); // every nibble 0, i.e. −8 · (3 / −8)
        FloatTensor t = decode(GgmlType.Q4_0, q, 32);
        for (int i = 0; i < 32; i++) assertThat(t.getFloat(i)).isEqualTo(3f);
    }

    @Test
    void quantizersRejectUnsupportedTypesAndPartialBlocks() {
        assertThatThrownBy(() -> Quantizer.quantize(GgmlType.Q4_K, new float[256]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q4_K");
        assertThatThrownBy(() -> Quantizer.quantize(GgmlType.Q8_0, new float[33]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("33");
    }

    /** |x − dequant(q8(x))| ≤ d/2 (rounding) + 127·|d − fp16(d)| (the scale is stored as fp16). */
    @Property(tries = 200)
    void q8_0ErrorIsAtMostHalfAStep(@ForAll @Size(32) List<@FloatRange(min = -100, max = 100) Float> values) {
        float[] x = toArray(values);
        FloatTensor t = decode(GgmlType.Q8_0, Quantizer.quantize(GgmlType.Q8_0, x), 32);
        float amax = 0;
        for (float v : x) amax = Math.max(amax, Math.abs(v));
        double d = amax / 127.0;
        double bound = d / 2 + 127 * d * 0x1p-11 + 1e-30;
        for (int i = 0; i < 32; i++) assertThat((double) Math.abs(x[i] - t.getFloat(i))).isLessThanOrEqualTo(bound * 1.0001);
    }

    /** Q8_0 re-quantization is stable: quantize(dequantize(quantize(x))) == quantize(x). */
    @Property(tries = 200)
    void q8_0RoundTripsItsOwnOutput(@ForAll @Size(64) List<@FloatRange(min = -10, max = 10) Float> values) {
        byte[] q = Quantizer.quantize(GgmlType.Q8_0, toArray(values));
        float[] back = new float[64];
        decode(GgmlType.Q8_0, q, 64).dequantize(0, back, 0, 64);
        assertThat(Quantizer.quantize(GgmlType.Q8_0, back)).isEqualTo(q);
    }

    /** Q4_0 steps are |d| = amax/8; the clamp at nibble 15 costs at most one step at the far end. */
    @Property(tries = 200)
    void q4_0ErrorIsAtMostOneStep(@ForAll @Size(32) List<@FloatRange(min = -100, max = 100) Float> values) {
        float[] x = toArray(values);
        FloatTensor t = decode(GgmlType.Q4_0, Quantizer.quantize(GgmlType.Q4_0, x), 32);
        float amax = 0;
        for (float v : x) amax = Math.max(amax, Math.abs(v));
        double d = amax / 8.0;
        double bound = d + 8 * d * 0x1p-11 + 1e-30;
        for (int i = 0; i < 32; i++) assertThat((double) Math.abs(x[i] - t.getFloat(i))).isLessThanOrEqualTo(bound * 1.0001);
    }

    @Property(tries = 100)
    void halfAndBFloat16RoundTripWithinTheirPrecision(@ForAll @Size(16) List<@FloatRange(min = -1000, max = 1000) Float> values) {
        float[] x = toArray(values);
        FloatTensor f16 = decode(GgmlType.F16, Quantizer.quantize(GgmlType.F16, x), 16);
        FloatTensor bf16 = decode(GgmlType.BF16, Quantizer.quantize(GgmlType.BF16, x), 16);
        for (int i = 0; i < 16; i++) {
            assertThat(f16.getFloat(i)).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(x[i])));
            assertThat((double) Math.abs(bf16.getFloat(i) - x[i])).isLessThanOrEqualTo(Math.abs(x[i]) * 0x1p-8);
        }
    }
}
