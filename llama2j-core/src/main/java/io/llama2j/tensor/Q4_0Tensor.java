package io.llama2j.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static io.llama2j.tensor.Vectors.B;
import static io.llama2j.tensor.Vectors.F;
import static io.llama2j.tensor.Vectors.I;
import static io.llama2j.tensor.Vectors.L;
import static io.llama2j.tensor.Vectors.LE;
import static io.llama2j.tensor.Vectors.S;

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

    /**
     * Nibbles are split in int lanes (B2I, then and/shift: x86 has no byte shifts, and the byte
     * version measured 25% slower), and even and odd blocks go to two accumulators so that
     * consecutive blocks do not wait on each other's multiply-add. The block code is written out
     * twice on purpose: a helper method taking vectors is not always inlined (C2's node budget),
     * and a vector passed to a real call is boxed, which is 4x slower.
     */
    @Override public float dot(long offset, float[] x, int xOffset, int n) {
        if (!Vectors.ENABLED || L != BLOCK / 2) return dotByBlocks(offset, x, xOffset, n);
        FloatVector even = FloatVector.zero(F), odd = even;
        long first = offset / BLOCK;
        int blocks = n / BLOCK;
        for (int b = 0; b < blocks; b += 2) {
            long at = (first + b) * BYTES;
            int xi = xOffset + b * BLOCK;
            IntVector p0 = (IntVector) ByteVector.fromMemorySegment(B, data, at + 2, LE).convertShape(VectorOperators.B2I, I, 0);
            FloatVector s0 = ((FloatVector) p0.and(0x0F).sub(ZERO_POINT).convert(VectorOperators.I2F, 0))
                    .mul(FloatVector.fromArray(F, x, xi));
            s0 = ((FloatVector) p0.lanewise(VectorOperators.LSHR, 4).and(0x0F).sub(ZERO_POINT).convert(VectorOperators.I2F, 0))
                    .fma(FloatVector.fromArray(F, x, xi + BLOCK / 2), s0);
            even = s0.fma(FloatVector.broadcast(F, half(at)), even);
            if (b + 1 == blocks) break;
            long at1 = at + BYTES;
            int xi1 = xi + BLOCK;
            IntVector p1 = (IntVector) ByteVector.fromMemorySegment(B, data, at1 + 2, LE).convertShape(VectorOperators.B2I, I, 0);
            FloatVector s1 = ((FloatVector) p1.and(0x0F).sub(ZERO_POINT).convert(VectorOperators.I2F, 0))
                    .mul(FloatVector.fromArray(F, x, xi1));
            s1 = ((FloatVector) p1.lanewise(VectorOperators.LSHR, 4).and(0x0F).sub(ZERO_POINT).convert(VectorOperators.I2F, 0))
                    .fma(FloatVector.fromArray(F, x, xi1 + BLOCK / 2), s1);
            odd = s1.fma(FloatVector.broadcast(F, half(at1)), odd);
        }
        return Vectors.sum(even.add(odd));
    }

    /**
     * Σ this[offset + i] · x[i] for i in [0, n) with x quantized to Q8_0 blocks: llama.cpp's
     * {@code ggml_vec_dot_q4_0_q8_0}, Σ_blocks d_w · d_x · Σ (nibble − 8) · q. Per block the 32
     * products nibble · q are 16-bit integers (|15 · 127| fits), summed in pairs in 16 short lanes
     * and widened to float once; the zero point comes out of the sum as 8 · d_x · Σq, which
     * {@link Q8Activations} keeps per block, so the loop has no subtraction. Written out twice
     * (even and odd blocks, two accumulators) for the reason given at {@link #dot}.
     */
    public float dotQ8(long offset, Q8Activations x, int n) {
        long first = offset / BLOCK;
        int blocks = n / BLOCK;
        byte[] q = x.values;
        float[] xd = x.scales, xs = x.scaledSums;
        float zeroPointSum = 0f;
        if (!Q8Activations.vectorKernels()) {
            float sum = 0f;
            for (int b = 0; b < blocks; b++) {
                long at = (first + b) * BYTES + 2;
                int products = 0;
                for (int j = 0; j < BLOCK / 2; j++) {
                    int packed = unsignedByte(at + j);
                    products += (packed & 0x0F) * q[b * BLOCK + j] + (packed >>> 4) * q[b * BLOCK + j + BLOCK / 2];
                }
                float dw = half(at - 2);
                sum += products * (dw * xd[b]);
                zeroPointSum += dw * xs[b];
            }
            return sum - ZERO_POINT * zeroPointSum;
        }
        FloatVector even = FloatVector.zero(F), odd = even;
        for (int b = 0; b < blocks; b += 2) {
            long at = (first + b) * BYTES;
            int qi = b * BLOCK;
            float dw = half(at);
            ShortVector p0 = (ShortVector) ByteVector.fromMemorySegment(B, data, at + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            ShortVector s0 = p0.and((short) 0x0F).mul((ShortVector) ByteVector.fromArray(B, q, qi).convertShape(VectorOperators.B2S, S, 0))
                    .add(p0.lanewise(VectorOperators.LSHR, 4).mul((ShortVector) ByteVector.fromArray(B, q, qi + BLOCK / 2).convertShape(VectorOperators.B2S, S, 0)));
            even = ((FloatVector) s0.convertShape(VectorOperators.S2F, F, 0)).fma(FloatVector.broadcast(F, dw * xd[b]), even);
            zeroPointSum += dw * xs[b];
            if (b + 1 == blocks) break;
            long at1 = at + BYTES;
            int qi1 = qi + BLOCK;
            float dw1 = half(at1);
            ShortVector p1 = (ShortVector) ByteVector.fromMemorySegment(B, data, at1 + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            ShortVector s1 = p1.and((short) 0x0F).mul((ShortVector) ByteVector.fromArray(B, q, qi1).convertShape(VectorOperators.B2S, S, 0))
                    .add(p1.lanewise(VectorOperators.LSHR, 4).mul((ShortVector) ByteVector.fromArray(B, q, qi1 + BLOCK / 2).convertShape(VectorOperators.B2S, S, 0)));
            odd = ((FloatVector) s1.convertShape(VectorOperators.S2F, F, 0)).fma(FloatVector.broadcast(F, dw1 * xd[b + 1]), odd);
            zeroPointSum += dw1 * xs[b + 1];
        }
        return Vectors.sum(even.add(odd)) - ZERO_POINT * zeroPointSum;
    }
}
