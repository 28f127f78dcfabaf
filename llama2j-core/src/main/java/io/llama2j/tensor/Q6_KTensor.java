package io.llama2j.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static io.llama2j.tensor.Vectors.F;
import static io.llama2j.tensor.Vectors.L;
import static io.llama2j.tensor.Vectors.B;
import static io.llama2j.tensor.Vectors.I;
import static io.llama2j.tensor.Vectors.LE;

/**
 * ggml Q6_K (ggml-common.h {@code block_q6_K}): super-blocks of 256 values, 210 bytes: 128
 * bytes ql of low nibbles, 64 bytes qh of 2-bit high parts, 16 signed 8-bit scales (one per
 * 16 values), then fp16 d. Each 128-value half h uses ql[64h..], qh[32h..], scales[8h..]; for
 * l in 0..31 its values l, l+32, l+64, l+96 are the low nibble of ql[l], of ql[l+32], the high
 * nibble of ql[l], of ql[l+32], with bits 0-1, 2-3, 4-5, 6-7 of qh[l] on top.
 * value = d · scale · (6-bit q − 32).
 */
public final class Q6_KTensor extends BlockTensor {
    static final int BLOCK = 256;
    static final int BYTES = BLOCK / 2 + BLOCK / 4 + BLOCK / 16 + 2;
    private static final int QH = BLOCK / 2;
    private static final int SCALES = QH + BLOCK / 4;
    private static final int D = SCALES + BLOCK / 16;
    private static final int HALF = 128;
    private static final int QUARTER = 32;
    /** Values per scale. */
    private static final int GROUP = 16;
    /** 6-bit values are stored with this offset, making the range [-32, 31]. */
    private static final int ZERO_POINT = 32;
    /** Bits 4..5 of a 6-bit value, which come from qh. */
    private static final int HIGH_BITS = 0x30;

    public Q6_KTensor(MemorySegment data, long size) {
        super(GgmlType.Q6_K, data, size);
    }

    @Override public GgmlType type() { return GgmlType.Q6_K; }

    private int scale(long at, int i) { return data.get(Vectors.BYTE, at + SCALES + i); }

    @Override public float getFloat(long index) {
        long at = index / BLOCK * BYTES;
        int j = (int) (index % BLOCK);
        int h = j / HALF, quarter = j % HALF / QUARTER, l = j % QUARTER;
        int ql = unsignedByte(at + h * (HALF / 2) + l + (quarter & 1) * QUARTER);
        int nibble = quarter < 2 ? ql & 0x0F : ql >>> 4;
        int high = (unsignedByte(at + QH + h * QUARTER + l) >>> (2 * quarter)) & 3;
        int q = (nibble | high << 4) - ZERO_POINT;
        return half(at + D) * scale(at, h * 8 + l / GROUP + 2 * quarter) * q;
    }

    @Override protected void dequantizeBlock(long block, float[] out, int o) {
        long at = block * BYTES;
        float d = half(at + D);
        for (int h = 0; h < BLOCK / HALF; h++) {
            long ql = at + h * (HALF / 2), qh = at + QH + h * QUARTER;
            int sc = h * 8;
            int y = o + h * HALF;
            for (int l = 0; l < QUARTER; l++) {
                int is = l / GROUP;
                int a = unsignedByte(ql + l), b = unsignedByte(ql + l + QUARTER), hb = unsignedByte(qh + l);
                int q1 = ((a & 0x0F) | (hb & 3) << 4) - ZERO_POINT;
                int q2 = ((b & 0x0F) | (hb >>> 2 & 3) << 4) - ZERO_POINT;
                int q3 = ((a >>> 4) | (hb >>> 4 & 3) << 4) - ZERO_POINT;
                int q4 = ((b >>> 4) | (hb >>> 6 & 3) << 4) - ZERO_POINT;
                out[y + l] = d * scale(at, sc + is) * q1;
                out[y + l + QUARTER] = d * scale(at, sc + is + 2) * q2;
                out[y + l + 2 * QUARTER] = d * scale(at, sc + is + 4) * q3;
                out[y + l + 3 * QUARTER] = d * scale(at, sc + is + 6) * q4;
            }
        }
    }

    @Override public float dot(long offset, float[] x, int xOffset, int n) {
        if (!Vectors.ENABLED) return dotByBlocks(offset, x, xOffset, n);
        return dot(data, offset, x, xOffset, n);
    }

    /** The Vector API kernel, written as one loop of Vector API calls (see {@link Vectors}). */
    private static float dot(MemorySegment data, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        long first = offset / BLOCK;
        for (int b = 0; b < n / BLOCK; b++) {
            long at = (first + b) * BYTES;
            float d = Float.float16ToFloat(data.get(Vectors.SHORT_LE, at + D));
            for (int h = 0; h < BLOCK / HALF; h++) {
                long ql = at + h * (HALF / 2), qh = at + QH + h * QUARTER;
                long sc = at + SCALES + h * 8;
                int xi = xOffset + b * BLOCK + h * HALF;
                for (int l = 0; l < QUARTER; l += L) {
                    long is = sc + l / GROUP;
                    IntVector a = (IntVector) ByteVector.fromMemorySegment(B, data, ql + l, LE).convertShape(VectorOperators.B2I, I, 0);
                    IntVector c = (IntVector) ByteVector.fromMemorySegment(B, data, ql + l + QUARTER, LE).convertShape(VectorOperators.B2I, I, 0);
                    IntVector hb = (IntVector) ByteVector.fromMemorySegment(B, data, qh + l, LE).convertShape(VectorOperators.B2I, I, 0);
                    // bits 2k..2k+1 of qh become bits 4..5 of value k of the four
                    IntVector q1 = a.and(0x0F).or(hb.lanewise(VectorOperators.LSHL, 4).and(HIGH_BITS)).sub(ZERO_POINT);
                    IntVector q2 = c.and(0x0F).or(hb.lanewise(VectorOperators.LSHL, 2).and(HIGH_BITS)).sub(ZERO_POINT);
                    IntVector q3 = a.lanewise(VectorOperators.LSHR, 4).and(0x0F).or(hb.and(HIGH_BITS)).sub(ZERO_POINT);
                    IntVector q4 = c.lanewise(VectorOperators.LSHR, 4).and(0x0F).or(hb.lanewise(VectorOperators.LSHR, 2).and(HIGH_BITS)).sub(ZERO_POINT);
                    acc = ((FloatVector) q1.convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, x, xi + l))
                            .fma(FloatVector.broadcast(F, d * data.get(Vectors.BYTE, is)), acc);
                    acc = ((FloatVector) q2.convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, x, xi + l + QUARTER))
                            .fma(FloatVector.broadcast(F, d * data.get(Vectors.BYTE, is + 2)), acc);
                    acc = ((FloatVector) q3.convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, x, xi + l + 2 * QUARTER))
                            .fma(FloatVector.broadcast(F, d * data.get(Vectors.BYTE, is + 4)), acc);
                    acc = ((FloatVector) q4.convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, x, xi + l + 3 * QUARTER))
                            .fma(FloatVector.broadcast(F, d * data.get(Vectors.BYTE, is + 6)), acc);
                }
            }
        }
        return Vectors.sum(acc);
    }
}
