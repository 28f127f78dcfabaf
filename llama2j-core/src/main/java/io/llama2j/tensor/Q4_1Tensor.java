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
 * ggml Q4_1 (ggml-common.h {@code block_q4_1}): blocks of 32 values, 20 bytes: fp16 scale d,
 * fp16 minimum m, then 16 bytes of nibbles (low nibbles values 0..15, high nibbles 16..31).
 * value = nibble · d + m.
 */
public final class Q4_1Tensor extends BlockTensor {
    static final int BLOCK = 32;
    static final int BYTES = 2 + 2 + BLOCK / 2;

    public Q4_1Tensor(MemorySegment data, long size) {
        super(GgmlType.Q4_1, data, size);
    }

    @Override public GgmlType type() { return GgmlType.Q4_1; }

    @Override public float getFloat(long index) {
        long block = index / BLOCK;
        int j = (int) (index % BLOCK);
        long at = block * BYTES;
        int packed = unsignedByte(at + 4 + (j % (BLOCK / 2)));
        int nibble = j < BLOCK / 2 ? packed & 0x0F : packed >>> 4;
        return nibble * half(at) + half(at + 2);
    }

    @Override protected void dequantizeBlock(long block, float[] out, int o) {
        long at = block * BYTES;
        float d = half(at);
        float m = half(at + 2);
        for (int j = 0; j < BLOCK / 2; j++) {
            int packed = unsignedByte(at + 4 + j);
            out[o + j] = (packed & 0x0F) * d + m;
            out[o + j + BLOCK / 2] = (packed >>> 4) * d + m;
        }
    }

    @Override public float dot(long offset, float[] x, int xOffset, int n) {
        if (!Vectors.ENABLED) return dotByBlocks(offset, x, xOffset, n);
        FloatVector acc = FloatVector.zero(F);
        long first = offset / BLOCK;
        for (int b = 0; b < n / BLOCK; b++) {
            long at = (first + b) * BYTES;
            int xi = xOffset + b * BLOCK;
            FloatVector qx = FloatVector.zero(F); // Σ nibble·x
            FloatVector sx = FloatVector.zero(F); // Σ x, for the minimum term
            for (int j = 0; j < BLOCK / 2; j += L) {
                IntVector packed = (IntVector) ByteVector.fromMemorySegment(B, data, at + 4 + j, LE).convertShape(VectorOperators.B2I, I, 0);
                FloatVector lo = ((FloatVector) packed.and(0x0F).convert(VectorOperators.I2F, 0));
                FloatVector hi = ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).and(0x0F).convert(VectorOperators.I2F, 0));
                FloatVector xlo = FloatVector.fromArray(F, x, xi + j);
                FloatVector xhi = FloatVector.fromArray(F, x, xi + j + BLOCK / 2);
                qx = lo.fma(xlo, hi.fma(xhi, qx));
                sx = sx.add(xlo).add(xhi);
            }
            acc = qx.fma(FloatVector.broadcast(F, half(at)), acc);
            acc = sx.fma(FloatVector.broadcast(F, half(at + 2)), acc);
        }
        return Vectors.sum(acc);
    }
}
