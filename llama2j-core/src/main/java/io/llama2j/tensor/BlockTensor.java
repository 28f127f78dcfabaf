package io.llama2j.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Base of the ggml block-quantized tensors: {@code size / blockSize} blocks of
 * {@code bytesPerBlock} bytes each, back to back in one memory segment. Subclasses decode one
 * element ({@link #getFloat}, the scalar reference) and one whole block
 * ({@link #dequantizeBlock}, the fast path), with the same float operations in the same order
 * as ggml's {@code dequantize_row_*}, so both are bit-identical to ggml.
 */
public abstract sealed class BlockTensor extends FloatTensor
        permits Q8_0Tensor, Q4_0Tensor, Q4_1Tensor, Q4_KTensor, Q5_KTensor, Q6_KTensor {

    protected final MemorySegment data;
    protected final long size;
    protected final int blockSize;
    protected final int bytesPerBlock;

    protected BlockTensor(GgmlType type, MemorySegment data, long size) {
        long expected = type.byteSize(size);
        if (data.byteSize() < expected) {
            throw new IllegalArgumentException(size + " values of " + type + " need " + expected
                    + " bytes, the segment has " + data.byteSize());
        }
        this.data = data;
        this.size = size;
        this.blockSize = type.blockSize();
        this.bytesPerBlock = type.bytesPerBlock();
    }

    @Override public long size() { return size; }

    /** Writes the {@link #blockSize} values of block {@code block} to {@code out[outOffset..]}. */
    protected abstract void dequantizeBlock(long block, float[] out, int outOffset);

    /** fp16 at byte {@code offset} of the data. */
    protected final float half(long offset) {
        return Float.float16ToFloat(data.get(Vectors.SHORT_LE, offset));
    }

    protected final int unsignedByte(long offset) {
        return Byte.toUnsignedInt(data.get(Vectors.BYTE, offset));
    }

    @Override public void dequantize(long offset, float[] out, int outOffset, int n) {
        long end = offset + n;
        long i = offset;
        float[] partial = null;
        while (i < end) {
            long block = i / blockSize;
            int within = (int) (i - block * blockSize);
            int take = (int) Math.min(blockSize - within, end - i);
            int at = outOffset + (int) (i - offset);
            if (within == 0 && take == blockSize) {
                dequantizeBlock(block, out, at);
            } else {
                if (partial == null) partial = new float[blockSize];
                dequantizeBlock(block, partial, 0);
                System.arraycopy(partial, within, out, at, take);
            }
            i += take;
        }
    }

    /** Scalar Σ this[offset+i]·x[xOffset+i], block by block (the fallback without vectors). */
    protected final float dotByBlocks(long offset, float[] x, int xOffset, int n) {
        float[] values = new float[blockSize];
        float sum = 0f;
        for (int i = 0; i < n; i += blockSize) {
            dequantizeBlock((offset + i) / blockSize, values, 0);
            for (int j = 0; j < blockSize; j++) sum += values[j] * x[xOffset + i + j];
        }
        return sum;
    }
}
