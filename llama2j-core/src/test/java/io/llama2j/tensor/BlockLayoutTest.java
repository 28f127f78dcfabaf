package io.llama2j.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hand-built blocks whose values follow from ggml's block layouts (ggml-common.h) and
 * dequantization formulas (ggml-quants.c dequantize_row_*): scales, minimums, the packed 6-bit
 * scales of the K-quants, the fifth bit of Q5_K and the signed 6-bit values of Q6_K.
 */
class BlockLayoutTest {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static void half(byte[] block, int at, float value) {
        MemorySegment.ofArray(block).set(HALF, at, Float.floatToFloat16(value));
    }

    private static FloatTensor tensor(GgmlType type, byte[] block) {
        return FloatTensors.of(type, MemorySegment.ofArray(block), type.blockSize());
    }

    @Test
    void q8_0IsSignedByteTimesScale() {
        byte[] b = new byte[34];
        half(b, 0, 0.25f);
        b[2] = -128;
        b[2 + 31] = 127;
        FloatTensor t = tensor(GgmlType.Q8_0, b);
        assertThat(t.getFloat(0)).isEqualTo(-32f);
        assertThat(t.getFloat(31)).isEqualTo(31.75f);
        assertThat(t.getFloat(1)).isZero();
    }

    @Test
    void q4_0LowNibblesAreTheFirstHalfAndHighNibblesTheSecond() {
        byte[] b = new byte[18];
        half(b, 0, 2f);
        b[2] = (byte) 0xF0;    // value 0: nibble 0 → (0 − 8)·2; value 16: nibble 15 → (15 − 8)·2
        b[2 + 15] = 0x19;      // value 15: nibble 9 → 2; value 31: nibble 1 → −14
        FloatTensor t = tensor(GgmlType.Q4_0, b);
        assertThat(t.getFloat(0)).isEqualTo(-16f);
        assertThat(t.getFloat(16)).isEqualTo(14f);
        assertThat(t.getFloat(15)).isEqualTo(2f);
        assertThat(t.getFloat(31)).isEqualTo(-14f);
    }

    @Test
    void q4_1IsNibbleTimesScalePlusMinimum() {
        byte[] b = new byte[20];
        half(b, 0, 0.5f);
        half(b, 2, -3f);
        b[4] = (byte) 0xA3;
        FloatTensor t = tensor(GgmlType.Q4_1, b);
        assertThat(t.getFloat(0)).isEqualTo(3 * 0.5f - 3f);
        assertThat(t.getFloat(16)).isEqualTo(10 * 0.5f - 3f);
        assertThat(t.getFloat(1)).isEqualTo(-3f);
    }

    /**
     * Scales of a K-quant block: sub-block 0 scale 3 min 2, sub-block 1 scale 1 min 0, and
     * sub-block 5 scale 37 (0b10_0101) min 19 (0b01_0011), whose low 4 bits sit in byte 9 and
     * whose high 2 bits sit in the top bits of bytes 1 (scale) and 5 (min).
     */
    private static void kScales(byte[] b, int at) {
        b[at] = 3;
        b[at + 4] = 2;
        b[at + 1] = (byte) (0x80 | 1);
        b[at + 5] = (byte) 0x40;
        b[at + 9] = (byte) 0x35;
    }

    @Test
    void q4_KUnpacksSixBitScalesAndMinimums() {
        byte[] b = new byte[144];
        half(b, 0, 1f);
        half(b, 2, 0.5f);
        kScales(b, 4);
        int qs = 16;
        b[qs] = (byte) 0xA7;       // value 0 (sub-block 0) low nibble 7; value 32 (sub-block 1) high nibble 10
        b[qs + 64] = (byte) 0x90;  // chunk 2: value 128 (sub-block 4) nibble 0, value 160 (sub-block 5) nibble 9
        FloatTensor t = tensor(GgmlType.Q4_K, b);
        assertThat(t.getFloat(0)).isEqualTo(3 * 7 - 0.5f * 2);
        assertThat(t.getFloat(32)).isEqualTo(1 * 10);
        assertThat(t.getFloat(128)).isZero();
        assertThat(t.getFloat(160)).isEqualTo(37 * 9 - 0.5f * 19);
    }

    @Test
    void q5_KTakesTheFifthBitOfSubBlockSFromBitSOfQh() {
        byte[] b = new byte[176];
        half(b, 0, 1f);
        half(b, 2, 0.5f);
        kScales(b, 4);
        int qh = 16, qs = 48;
        b[qh] = (byte) (1 | 1 << 5);  // value 0 (sub-block 0) and value 160 (sub-block 5) get +16
        b[qs] = (byte) 0xA7;
        b[qs + 64] = (byte) 0x90;
        FloatTensor t = tensor(GgmlType.Q5_K, b);
        assertThat(t.getFloat(0)).isEqualTo(3 * (7 + 16) - 0.5f * 2);
        assertThat(t.getFloat(32)).isEqualTo(1 * 10);
        assertThat(t.getFloat(160)).isEqualTo(37 * (9 + 16) - 0.5f * 19);
    }

    @Test
    void q6_KCombinesNibblesAndTwoBitPairsIntoSignedSixBitValues() {
        byte[] b = new byte[210];
        int qh = 128, scales = 192;
        half(b, 208, 0.5f);
        b[0] = 0x5A;                   // ql[0]: low nibble 10 (value 0), high nibble 5 (value 64)
        b[qh] = (byte) 0b11_10_01_00;  // qh[0]: bits for values 0, 32, 64, 96
        b[scales] = -3;
        b[scales + 2] = 2;
        b[scales + 4] = 7;
        b[scales + 6] = -1;
        b[64 + 17] = 0x0F;             // second half, l = 17: ql[64 + 17]
        b[qh + 32 + 17] = 0x03;        //                      qh[32 + 17]
        b[scales + 8 + 1] = 4;         //                      scale 8 + 17/16
        FloatTensor t = tensor(GgmlType.Q6_K, b);
        assertThat(t.getFloat(0)).isEqualTo(0.5f * -3 * (10 - 32));
        assertThat(t.getFloat(32)).isEqualTo(0.5f * 2 * ((1 << 4) - 32));
        assertThat(t.getFloat(64)).isEqualTo(0.5f * 7 * ((5 | 2 << 4) - 32));
        assertThat(t.getFloat(96)).isEqualTo(0.5f * -1 * ((3 << 4) - 32));
        assertThat(t.getFloat(128 + 17)).isEqualTo(0.5f * 4 * ((15 | 3 << 4) - 32));
    }

    @Test
    void halfDecodesSubnormalsAndInfinityInTheScalarAndTheVectorPath() {
        int n = 64; // several vectors' worth, so the Vector API path runs
        MemorySegment s = MemorySegment.ofArray(new byte[2 * n]);
        s.setAtIndex(HALF, 0, (short) 0x0001);   // smallest binary16 subnormal, 2^-24
        s.setAtIndex(HALF, 2, (short) 0x1400);   // 2^-10
        s.setAtIndex(HALF, 3, (short) 0x8A00);   // −1.5·2^-13
        s.setAtIndex(HALF, 40, (short) 0x83FF);  // largest negative subnormal, −(2^-14 − 2^-24)
        FloatTensor f16 = FloatTensors.of(GgmlType.F16, s, n);
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        assertThat(f16.getFloat(0)).isEqualTo(0x1p-24f);
        assertThat(f16.getFloat(40)).isEqualTo(-(0x1p-14f - 0x1p-24f));
        // every partial sum is a multiple of 2^-24 below 1, hence exact in any summation order
        assertThat(f16.dot(0, ones, 0, n)).isEqualTo(0x1p-24f + 0x1p-10f - 1.5f * 0x1p-13f - (0x1p-14f - 0x1p-24f));
        s.setAtIndex(HALF, 7, (short) 0xFC00);   // −infinity
        assertThat(f16.getFloat(7)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(f16.dot(0, ones, 0, n)).isEqualTo(Float.NEGATIVE_INFINITY);
    }

    @Test
    void bfloat16IsTheTopHalfOfAFloat() {
        FloatTensor bf16 = FloatTensors.of(GgmlType.BF16, MemorySegment.ofArray(new byte[]{(byte) 0x80, 0x3F, 0x00, (byte) 0xC0}), 2);
        assertThat(bf16.getFloat(0)).isEqualTo(1f);
        assertThat(bf16.getFloat(1)).isEqualTo(-2f);
    }
}
