package io.llama2j.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
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

    @Override public float dot(long offset, float[] x, int xOffset, int n) {
        if (!Vectors.ENABLED) return dotByBlocks(offset, x, xOffset, n);
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
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Four rows per pass: each block of x is loaded once for four rows, and the four rows' sums
     * are independent accumulator chains.
     */
    @Override public void matVecRows(int rowStart, int rowEnd, int cols, float[] x, int xOffset, float[] out, int outOffset) {
        if (!Vectors.ENABLED || L != BLOCK / 2) {
            super.matVecRows(rowStart, rowEnd, cols, x, xOffset, out, outOffset);
            return;
        }
        int blocks = cols / BLOCK;
        long rowBytes = (long) blocks * BYTES;
        int r = rowStart;
        for (; r + 4 <= rowEnd; r += 4) {
            long a0 = r * rowBytes, a1 = a0 + rowBytes, a2 = a1 + rowBytes, a3 = a2 + rowBytes;
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (int b = 0; b < blocks; b++) {
                int xi = xOffset + b * BLOCK;
                FloatVector xLo = FloatVector.fromArray(F, x, xi);
                FloatVector xHi = FloatVector.fromArray(F, x, xi + BLOCK / 2);
                long o = (long) b * BYTES;
                acc0 = blockDot(a0 + o, xLo, xHi, acc0);
                acc1 = blockDot(a1 + o, xLo, xHi, acc1);
                acc2 = blockDot(a2 + o, xLo, xHi, acc2);
                acc3 = blockDot(a3 + o, xLo, xHi, acc3);
            }
            out[outOffset + r] = acc0.reduceLanes(VectorOperators.ADD);
            out[outOffset + r + 1] = acc1.reduceLanes(VectorOperators.ADD);
            out[outOffset + r + 2] = acc2.reduceLanes(VectorOperators.ADD);
            out[outOffset + r + 3] = acc3.reduceLanes(VectorOperators.ADD);
        }
        for (; r < rowEnd; r++) out[outOffset + r] = dot((long) r * cols, x, xOffset, cols);
    }

    /** acc + d · (q[0..16) · xLo + q[16..32) · xHi) for the block at byte {@code at}. */
    private FloatVector blockDot(long at, FloatVector xLo, FloatVector xHi, FloatVector acc) {
        FloatVector lo = (FloatVector) ByteVector.fromMemorySegment(B, data, at + 2, LE).convertShape(VectorOperators.B2F, F, 0);
        FloatVector hi = (FloatVector) ByteVector.fromMemorySegment(B, data, at + 2 + BLOCK / 2, LE).convertShape(VectorOperators.B2F, F, 0);
        return hi.fma(xHi, lo.mul(xLo)).fma(FloatVector.broadcast(F, half(at)), acc);
    }
}
