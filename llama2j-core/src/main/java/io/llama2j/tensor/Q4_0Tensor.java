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
 * ggml Q4_0 (ggml-common.h {@code block_q4_0}): blocks of 32 values, 18 bytes: an fp16 scale d,
 * then 16 bytes whose low nibbles are values 0..15 and high nibbles values 16..31.
 * value = (nibble − 8) · d.
 */
public final class Q4_0Tensor extends BlockTensor {
    static final int BLOCK = 32;
    static final int BYTES = 2 + BLOCK / 2;
    /** Nibbles are stored with this offset, making the range [-8, 7]. */
    static final int ZERO_POINT = 8;

    public Q4_0Tensor(MemorySegment data, long size) {
        super(GgmlType.Q4_0, data, size);
    }

    @Override public GgmlType type() { return GgmlType.Q4_0; }

    @Override public float getFloat(long index) {
        long block = index / BLOCK;
        int j = (int) (index % BLOCK);
        long at = block * BYTES;
        int packed = unsignedByte(at + 2 + (j % (BLOCK / 2)));
        int nibble = j < BLOCK / 2 ? packed & 0x0F : packed >>> 4;
        return (nibble - ZERO_POINT) * half(at);
    }

    @Override protected void dequantizeBlock(long block, float[] out, int o) {
        long at = block * BYTES;
        float d = half(at);
        if (Vectors.ENABLED) {
            // the same operations lane-wise: (nibble − 8) to float, times d (bit-identical)
            for (int j = 0; j < BLOCK / 2; j += L) {
                ByteVector packed = ByteVector.fromMemorySegment(B, data, at + 2 + j, LE);
                ((FloatVector) packed.and((byte) 0x0F).sub((byte) ZERO_POINT).convertShape(VectorOperators.B2F, F, 0))
                        .mul(d).intoArray(out, o + j);
                ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) ZERO_POINT)
                        .convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(out, o + j + BLOCK / 2);
            }
            return;
        }
        for (int j = 0; j < BLOCK / 2; j++) {
            int packed = unsignedByte(at + 2 + j);
            out[o + j] = ((packed & 0x0F) - ZERO_POINT) * d;
            out[o + j + BLOCK / 2] = ((packed >>> 4) - ZERO_POINT) * d;
        }
    }

    @Override public float dot(long offset, float[] x, int xOffset, int n) {
        if (!Vectors.ENABLED) return dotByBlocks(offset, x, xOffset, n);
        FloatVector acc = FloatVector.zero(F);
        long first = offset / BLOCK;
        for (int b = 0; b < n / BLOCK; b++) {
            long at = (first + b) * BYTES;
            int xi = xOffset + b * BLOCK;
            FloatVector blockSum = FloatVector.zero(F);
            for (int j = 0; j < BLOCK / 2; j += L) {
                IntVector packed = (IntVector) ByteVector.fromMemorySegment(B, data, at + 2 + j, LE).convertShape(VectorOperators.B2I, I, 0);
                FloatVector lo = ((FloatVector) packed.and(0x0F).sub(ZERO_POINT).convert(VectorOperators.I2F, 0));
                FloatVector hi = ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).and(0x0F).sub(ZERO_POINT).convert(VectorOperators.I2F, 0));
                blockSum = lo.fma(FloatVector.fromArray(F, x, xi + j), blockSum);
                blockSum = hi.fma(FloatVector.fromArray(F, x, xi + j + BLOCK / 2), blockSum);
            }
            acc = blockSum.fma(FloatVector.broadcast(F, half(at)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
