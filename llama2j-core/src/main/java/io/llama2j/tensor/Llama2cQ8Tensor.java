package io.llama2j.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A tensor of llama2.c's version 2 "Q8_0" export (export.py version2_export): all int8 values
 * first, then one float32 scale per group of {@code groupSize} consecutive elements (counted over
 * the whole tensor, so a group may straddle two rows); value i = q[i] · scale[i / groupSize].
 * Unlike ggml's Q8_0 the scales are float32 and stored apart from the values, so {@link #type()}
 * reports the element storage, I8, and {@link #byteSize()} counts the scales too.
 */
public final class Llama2cQ8Tensor extends FloatTensor {
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment values;
    private final MemorySegment scales;
    private final int groupSize;
    private final long size;

    /** {@code values}: size int8 bytes; {@code scales}: size / groupSize float32 values. */
    public Llama2cQ8Tensor(MemorySegment values, MemorySegment scales, int groupSize) {
        if (groupSize < 1 || values.byteSize() % groupSize != 0
                || scales.byteSize() != values.byteSize() / groupSize * Float.BYTES) {
            throw new IllegalArgumentException("llama2.c int8 tensor of " + values.byteSize() + " values needs "
                    + values.byteSize() / Math.max(1, groupSize) + " scales for group size " + groupSize
                    + ", found " + scales.byteSize() / Float.BYTES);
        }
        this.values = values;
        this.scales = scales;
        this.groupSize = groupSize;
        this.size = values.byteSize();
    }

    public int groupSize() { return groupSize; }

    @Override public GgmlType type() { return GgmlType.I8; }

    @Override public long size() { return size; }

    @Override public long byteSize() { return size + size / groupSize * Float.BYTES; }

    @Override public float getFloat(long index) {
        return values.get(ValueLayout.JAVA_BYTE, index) * scales.getAtIndex(FLOAT_LE, index / groupSize);
    }

    @Override public float dot(long offset, float[] x, int xOffset, int n) {
        float sum = 0f;
        long i = offset;
        long end = offset + n;
        while (i < end) {
            long group = i / groupSize;
            long groupEnd = Math.min(end, (group + 1) * groupSize);
            int xi = xOffset + (int) (i - offset);
            long j = i;
            float groupSum = 0f;
            if (Vectors.ENABLED) {
                // L int8 values widened to L float lanes per step, as Q8_0Tensor does
                FloatVector lanes = FloatVector.zero(Vectors.F);
                for (; j + Vectors.L <= groupEnd; j += Vectors.L, xi += Vectors.L) {
                    FloatVector q = (FloatVector) ByteVector.fromMemorySegment(Vectors.B, values, j, Vectors.LE)
                            .convertShape(VectorOperators.B2F, Vectors.F, 0);
                    lanes = q.fma(FloatVector.fromArray(Vectors.F, x, xi), lanes);
                }
                groupSum = Vectors.sum(lanes);
            }
            for (; j < groupEnd; j++, xi++) {
                groupSum += values.get(ValueLayout.JAVA_BYTE, j) * x[xi];
            }
            sum += groupSum * scales.getAtIndex(FLOAT_LE, group);
            i = groupEnd;
        }
        return sum;
    }
}
