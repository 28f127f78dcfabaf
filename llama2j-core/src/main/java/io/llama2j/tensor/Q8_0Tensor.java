package io.llama2j.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static io.llama2j.tensor.Vectors.B;
import static io.llama2j.tensor.Vectors.F;
import static io.llama2j.tensor.Vectors.L;
import static io.llama2j.tensor.Vectors.LE;

/**
 * ggml Q8_0 (ggml-common.h {@code block_q8_0}): blocks of 32 values, 34 bytes: an fp16 scale d,
 * then 32 signed bytes q. value = q · d.
 */
public final class Q8_0Tensor extends BlockTensor {
    static final int BLOCK = 32;
    static final int BYTES = 2 + BLOCK;

    public Q8_0Tensor(MemorySegment data, long size) {
        super(GgmlType.Q8_0, data, size);
    }

    @Override public GgmlType type() { return GgmlType.Q8_0; }

    @Override public float getFloat(long index) {
        long block = index / BLOCK;
        int j = (int) (index % BLOCK);
        long at = block * BYTES;
        return data.get(Vectors.BYTE, at + 2 + j) * half(at);
    }

    @Override protected void dequantizeBlock(long block, float[] out, int o) {
        long at = block * BYTES;
        float d = half(at);
        if (Vectors.ENABLED) {
            for (int j = 0; j < BLOCK; j += L) {
                ((FloatVector) ByteVector.fromMemorySegment(B, data, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0))
                        .mul(d).intoArray(out, o + j);
            }
            return;
        }
        for (int j = 0; j < BLOCK; j++) out[o + j] = data.get(Vectors.BYTE, at + 2 + j) * d;
    }

    /**
     * With 16 lanes (AVX-512) a block is two vectors; even and odd blocks go to two accumulators
     * so that consecutive blocks do not wait on each other's multiply-add (the accumulator chain,
     * not the arithmetic, bounded the one-accumulator loop). Written out, without vector-typed
     * helpers: C2 boxes vectors passed to methods it does not inline.
     */
    @Override public float dot(long offset, float[] x, int xOffset, int n) {
        if (!Vectors.ENABLED) return dotByBlocks(offset, x, xOffset, n);
        if (L == BLOCK / 2) return dot16(offset, x, xOffset, n);
        FloatVector acc = FloatVector.zero(F);
        long first = offset / BLOCK;
        for (int b = 0; b < n / BLOCK; b++) {
            long at = (first + b) * BYTES;
            int xi = xOffset + b * BLOCK;
            FloatVector blockSum = FloatVector.zero(F);
            for (int j = 0; j < BLOCK; j += L) {
                FloatVector q = (FloatVector) ByteVector.fromMemorySegment(B, data, at + 2 + j, LE)
                        .convertShape(VectorOperators.B2F, F, 0);
                blockSum = q.fma(FloatVector.fromArray(F, x, xi + j), blockSum);
            }
            acc = blockSum.fma(FloatVector.broadcast(F, half(at)), acc);
        }
        return Vectors.sum(acc);
    }

    private float dot16(long offset, float[] x, int xOffset, int n) {
        FloatVector even = FloatVector.zero(F), odd = even;
        long first = offset / BLOCK;
        int blocks = n / BLOCK;
        for (int b = 0; b < blocks; b += 2) {
            long at = (first + b) * BYTES;
            int xi = xOffset + b * BLOCK;
            FloatVector lo = (FloatVector) ByteVector.fromMemorySegment(B, data, at + 2, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector hi = (FloatVector) ByteVector.fromMemorySegment(B, data, at + 2 + L, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector s0 = hi.fma(FloatVector.fromArray(F, x, xi + L), lo.mul(FloatVector.fromArray(F, x, xi)));
            even = s0.fma(FloatVector.broadcast(F, half(at)), even);
            if (b + 1 == blocks) break;
            long at1 = at + BYTES;
            int xi1 = xi + BLOCK;
            FloatVector lo1 = (FloatVector) ByteVector.fromMemorySegment(B, data, at1 + 2, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector hi1 = (FloatVector) ByteVector.fromMemorySegment(B, data, at1 + 2 + L, LE).convertShape(VectorOperators.B2F, F, 0);
            FloatVector s1 = hi1.fma(FloatVector.fromArray(F, x, xi1 + L), lo1.mul(FloatVector.fromArray(F, x, xi1)));
            odd = s1.fma(FloatVector.broadcast(F, half(at1)), odd);
        }
        return Vectors.sum(even.add(odd));
    }

    /** A whole block of bytes (256 bits) and of shorts (512 bits), for {@link #dotQ8}. */
    private static final VectorSpecies<Byte> BLOCK_BYTES = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> BLOCK_SHORTS = ShortVector.SPECIES_512;

    /**
     * Σ this[offset + i] · x[i] for i in [0, n) with x quantized to Q8_0 blocks: llama.cpp's
     * {@code ggml_vec_dot_q8_0_q8_0}, Σ_blocks d_w · d_x · Σ w · q. A block's 32 products are
     * 16-bit integers (|128 · 127| fits) in one 512-bit vector, added in pairs into 16 int lanes
     * (each int lane holds two products: its high half by an arithmetic shift, its low half by a
     * shift left and back, measured faster than two S2I conversions) and widened to float once
     * per block. Even and odd blocks go to two accumulators.
     */
    public float dotQ8(long offset, Q8Activations x, int n) {
        long first = offset / BLOCK;
        int blocks = n / BLOCK;
        byte[] q = x.values;
        float[] xd = x.scales;
        if (!Q8Activations.vectorKernels()) {
            float sum = 0f;
            for (int b = 0; b < blocks; b++) {
                long at = (first + b) * BYTES;
                int products = 0;
                for (int j = 0; j < BLOCK; j++) products += data.get(Vectors.BYTE, at + 2 + j) * q[b * BLOCK + j];
                sum += products * (half(at) * xd[b]);
            }
            return sum;
        }
        FloatVector even = FloatVector.zero(F), odd = even;
        for (int b = 0; b < blocks; b += 2) {
            long at = (first + b) * BYTES;
            int qi = b * BLOCK;
            IntVector p0 = ((ShortVector) ByteVector.fromMemorySegment(BLOCK_BYTES, data, at + 2, LE)
                    .convertShape(VectorOperators.B2S, BLOCK_SHORTS, 0)).mul((ShortVector) ByteVector.fromArray(BLOCK_BYTES, q, qi).convertShape(VectorOperators.B2S, BLOCK_SHORTS, 0)).reinterpretAsInts();
            IntVector s0 = p0.lanewise(VectorOperators.ASHR, Short.SIZE)
                    .add(p0.lanewise(VectorOperators.LSHL, Short.SIZE).lanewise(VectorOperators.ASHR, Short.SIZE));
            even = ((FloatVector) s0.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, half(at) * xd[b]), even);
            if (b + 1 == blocks) break;
            long at1 = at + BYTES;
            int qi1 = qi + BLOCK;
            IntVector p1 = ((ShortVector) ByteVector.fromMemorySegment(BLOCK_BYTES, data, at1 + 2, LE)
                    .convertShape(VectorOperators.B2S, BLOCK_SHORTS, 0)).mul((ShortVector) ByteVector.fromArray(BLOCK_BYTES, q, qi1).convertShape(VectorOperators.B2S, BLOCK_SHORTS, 0)).reinterpretAsInts();
            IntVector s1 = p1.lanewise(VectorOperators.ASHR, Short.SIZE)
                    .add(p1.lanewise(VectorOperators.LSHL, Short.SIZE).lanewise(VectorOperators.ASHR, Short.SIZE));
            odd = ((FloatVector) s1.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, half(at1) * xd[b + 1]), odd);
        }
        return Vectors.sum(even.add(odd));
    }
}
