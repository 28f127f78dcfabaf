package io.llama2j.tensor;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** float32 little-endian values in a memory segment (mapped file or heap). */
public final class F32Tensor extends FloatTensor {
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment segment;
    private final long size;

    public F32Tensor(MemorySegment segment) {
        this.segment = segment;
        this.size = segment.byteSize() / Float.BYTES;
    }

    /** A heap-backed tensor holding a copy of {@code values} (for tests and small buffers). */
    public static F32Tensor of(float[] values) {
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            // a float[]-backed segment: the Vector API loads floats from it at full speed, while
            // float loads from a byte[]-backed heap segment take a slow path (about 10× slower)
            return new F32Tensor(MemorySegment.ofArray(values.clone()));
        }
        MemorySegment s = MemorySegment.ofArray(new byte[values.length * Float.BYTES]);
        MemorySegment.copy(values, 0, s, FLOAT_LE, 0, values.length);
        return new F32Tensor(s);
    }

    @Override public GgmlType type() { return GgmlType.F32; }

    @Override public long size() { return size; }

    @Override public float getFloat(long index) {
        return segment.getAtIndex(FLOAT_LE, index);
    }

    @Override public float dot(long offset, float[] x, int xOffset, int n) {
        int i = 0;
        float sum = 0f;
        if (Vectors.ENABLED) {
            FloatVector acc = FloatVector.zero(Vectors.F);
            for (; i + Vectors.L <= n; i += Vectors.L) {
                FloatVector w = FloatVector.fromMemorySegment(Vectors.F, segment, (offset + i) * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
                acc = w.fma(FloatVector.fromArray(Vectors.F, x, xOffset + i), acc);
            }
            sum = Vectors.sum(acc);
        }
        for (; i < n; i++) {
            sum += segment.getAtIndex(FLOAT_LE, offset + i) * x[xOffset + i];
        }
        return sum;
    }

    @Override public void dequantize(long offset, float[] out, int outOffset, int n) {
        MemorySegment.copy(segment, FLOAT_LE, offset * Float.BYTES, out, outOffset, n);
    }
}
