package io.llama2j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static io.llama2j.tensor.Vectors.F;
import static io.llama2j.tensor.Vectors.I;
import static io.llama2j.tensor.Vectors.L;
import static io.llama2j.tensor.Vectors.LE;
import static io.llama2j.tensor.Vectors.S;
import static io.llama2j.tensor.Vectors.SHORT_LE;

/** bfloat16 little-endian values (the top 16 bits of a float32), ggml's BF16. */
public final class BF16Tensor extends FloatTensor {
    private static final int BF16_SHIFT = 16;

    private final MemorySegment data;
    private final long size;

    public BF16Tensor(MemorySegment data, long size) {
        if (data.byteSize() < 2 * size) {
            throw new IllegalArgumentException(size + " values of BF16 need " + 2 * size + " bytes, the segment has " + data.byteSize());
        }
        this.data = data;
        this.size = size;
    }

    @Override public GgmlType type() { return GgmlType.BF16; }

    @Override public long size() { return size; }

    @Override public float getFloat(long index) {
        return Float.intBitsToFloat(data.getAtIndex(SHORT_LE, index) << BF16_SHIFT);
    }

    @Override public void dequantize(long offset, float[] out, int outOffset, int n) {
        for (int i = 0; i < n; i++) out[outOffset + i] = Float.intBitsToFloat(data.getAtIndex(SHORT_LE, offset + i) << BF16_SHIFT);
    }

    @Override public float dot(long offset, float[] x, int xOffset, int n) {
        int i = 0;
        float sum = 0f;
        if (Vectors.ENABLED) {
            FloatVector acc = FloatVector.zero(F);
            for (; i + L <= n; i += L) {
                FloatVector w = ((IntVector) ShortVector.fromMemorySegment(S, data, 2 * (offset + i), LE)
                        .convertShape(VectorOperators.S2I, I, 0))
                        .lanewise(VectorOperators.LSHL, BF16_SHIFT).reinterpretAsFloats();
                acc = w.fma(FloatVector.fromArray(F, x, xOffset + i), acc);
            }
            sum = Vectors.sum(acc);
        }
        for (; i < n; i++) sum += getFloat(offset + i) * x[xOffset + i];
        return sum;
    }
}
