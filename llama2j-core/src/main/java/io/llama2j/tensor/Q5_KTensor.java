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
 * ggml Q5_K (ggml-common.h {@code block_q5_K}): super-blocks of 256 values, 176 bytes: fp16 d,
 * fp16 dmin, 12 bytes of 6-bit scales and minimums ({@link KQuantScales}), 32 bytes qh of high
 * bits, 128 bytes of low nibbles laid out as in Q4_K. Value l of sub-block s takes its fifth
 * bit from bit s of qh[l % 32]. value = (d·scale) · (nibble + 16·bit) − (dmin·min).
 */
public final class Q5_KTensor extends BlockTensor {
    static final int BLOCK = 256;
    static final int BYTES = 2 + 2 + KQuantScales.BYTES + BLOCK / 8 + BLOCK / 2;
    private static final int SCALES = 4;
    private static final int QH = SCALES + KQuantScales.BYTES;
    private static final int QS = QH + BLOCK / 8;
    private static final int SUB = KQuantScales.SUB_BLOCK;
    /** Weight of the fifth bit. */
    private static final int HIGH_BIT = 16;

    public Q5_KTensor(MemorySegment data, long size) {
        super(GgmlType.Q5_K, data, size);
    }

    @Override public GgmlType type() { return GgmlType.Q5_K; }

    @Override public float getFloat(long index) {
        long at = index / BLOCK * BYTES;
        int j = (int) (index % BLOCK);
        int chunk = j / (2 * SUB);
        boolean high = j % (2 * SUB) >= SUB;
        int sub = 2 * chunk + (high ? 1 : 0);
        int l = j % SUB;
        int packed = unsignedByte(at + QS + chunk * SUB + l);
        int q = (high ? packed >>> 4 : packed & 0x0F) + ((unsignedByte(at + QH + l) & (1 << sub)) != 0 ? HIGH_BIT : 0);
        float scale = half(at) * KQuantScales.scale(data, at + SCALES, sub);
        float min = half(at + 2) * KQuantScales.min(data, at + SCALES, sub);
        return scale * q - min;
    }

    @Override protected void dequantizeBlock(long block, float[] out, int o) {
        long at = block * BYTES;
        float d = half(at);
        float dmin = half(at + 2);
        for (int chunk = 0; chunk < BLOCK / (2 * SUB); chunk++) {
            float d1 = d * KQuantScales.scale(data, at + SCALES, 2 * chunk);
            float m1 = dmin * KQuantScales.min(data, at + SCALES, 2 * chunk);
            float d2 = d * KQuantScales.scale(data, at + SCALES, 2 * chunk + 1);
            float m2 = dmin * KQuantScales.min(data, at + SCALES, 2 * chunk + 1);
            int u1 = 1 << (2 * chunk), u2 = 1 << (2 * chunk + 1);
            int y = o + chunk * 2 * SUB;
            for (int l = 0; l < SUB; l++) {
                int packed = unsignedByte(at + QS + chunk * SUB + l);
                int qh = unsignedByte(at + QH + l);
                out[y + l] = d1 * ((packed & 0x0F) + ((qh & u1) != 0 ? HIGH_BIT : 0)) - m1;
                out[y + SUB + l] = d2 * ((packed >>> 4) + ((qh & u2) != 0 ? HIGH_BIT : 0)) - m2;
            }
        }
    }

    @Override public float dot(long offset, float[] x, int xOffset, int n) {
        if (!Vectors.ENABLED) return dotByBlocks(offset, x, xOffset, n);
        FloatVector acc = FloatVector.zero(F);
        long first = offset / BLOCK;
        for (int b = 0; b < n / BLOCK; b++) {
            long at = (first + b) * BYTES;
            float d = half(at);
            float dmin = half(at + 2);
            for (int chunk = 0; chunk < BLOCK / (2 * SUB); chunk++) {
                int xi = xOffset + b * BLOCK + chunk * 2 * SUB;
                FloatVector qxLo = FloatVector.zero(F), qxHi = FloatVector.zero(F);
                FloatVector sxLo = FloatVector.zero(F), sxHi = FloatVector.zero(F);
                for (int l = 0; l < SUB; l += L) {
                    IntVector packed = (IntVector) ByteVector.fromMemorySegment(B, data, at + QS + chunk * SUB + l, LE).convertShape(VectorOperators.B2I, I, 0);
                    IntVector qh = (IntVector) ByteVector.fromMemorySegment(B, data, at + QH + l, LE).convertShape(VectorOperators.B2I, I, 0);
                    IntVector loBit = qh.lanewise(VectorOperators.LSHR, 2 * chunk).and(1).lanewise(VectorOperators.LSHL, 4);
                    IntVector hiBit = qh.lanewise(VectorOperators.LSHR, 2 * chunk + 1).and(1).lanewise(VectorOperators.LSHL, 4);
                    FloatVector lo = ((FloatVector) packed.and(0x0F).or(loBit).convert(VectorOperators.I2F, 0));
                    FloatVector hi = ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).and(0x0F).or(hiBit).convert(VectorOperators.I2F, 0));
                    FloatVector xlo = FloatVector.fromArray(F, x, xi + l);
                    FloatVector xhi = FloatVector.fromArray(F, x, xi + SUB + l);
                    qxLo = lo.fma(xlo, qxLo);
                    qxHi = hi.fma(xhi, qxHi);
                    sxLo = sxLo.add(xlo);
                    sxHi = sxHi.add(xhi);
                }
                acc = qxLo.fma(FloatVector.broadcast(F, d * KQuantScales.scale(data, at + SCALES, 2 * chunk)), acc);
                acc = sxLo.fma(FloatVector.broadcast(F, -dmin * KQuantScales.min(data, at + SCALES, 2 * chunk)), acc);
                acc = qxHi.fma(FloatVector.broadcast(F, d * KQuantScales.scale(data, at + SCALES, 2 * chunk + 1)), acc);
                acc = sxHi.fma(FloatVector.broadcast(F, -dmin * KQuantScales.min(data, at + SCALES, 2 * chunk + 1)), acc);
            }
        }
        return Vectors.sum(acc);
    }
}
