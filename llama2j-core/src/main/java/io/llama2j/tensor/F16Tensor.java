package io.llama2j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static io.llama2j.tensor.Vectors.F;
import static io.llama2j.tensor.Vectors.I;
import static io.llama2j.tensor.Vectors.L;
import static io.llama2j.tensor.Vectors.LE;
import static io.llama2j.tensor.Vectors.S;
import static io.llama2j.tensor.Vectors.SHORT_LE;

/** IEEE 754 half precision (binary16) little-endian values, ggml's F16. */
public final class F16Tensor extends FloatTensor {
    /** 2^(127 − 15): moves a binary16 exponent, shifted into binary32 position, to its binary32 bias. */
    private static final float EXPONENT_REBIAS = 0x1p112f;
    private static final int HALF_EXPONENT_MASK = 0x7C00;
    private static final int HALF_SIGN = 0x8000;
    private static final int FLOAT_EXPONENT_MASK = 0x7F800000;
    /** Mantissa bits of binary32 minus those of binary16. */
    private static final int MANTISSA_SHIFT = 23 - 10;

    private final MemorySegment data;
    private final long size;

    public F16Tensor(MemorySegment data, long size) {
        if (data.byteSize() < 2 * size) {
            throw new IllegalArgumentException(size + " values of F16 need " + 2 * size + " bytes, the segment has " + data.byteSize());
        }
        this.data = data;
        this.size = size;
    }

    @Override public GgmlType type() { return GgmlType.F16; }

    @Override public long size() { return size; }

    @Override public float getFloat(long index) {
        return Float.float16ToFloat(data.getAtIndex(SHORT_LE, index));
    }

    @Override public void dequantize(long offset, float[] out, int outOffset, int n) {
        for (int i = 0; i < n; i++) out[outOffset + i] = Float.float16ToFloat(data.getAtIndex(SHORT_LE, offset + i));
    }

    @Override public float dot(long offset, float[] x, int xOffset, int n) {
        int i = 0;
        float sum = 0f;
        if (Vectors.ENABLED) {
            FloatVector acc = FloatVector.zero(F);
            for (; i + L <= n; i += L) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, data, 2 * (offset + i), LE)
                        .convertShape(VectorOperators.S2I, I, 0);
                // binary16 to binary32 (inlined here, see Vectors): exponent and mantissa shifted
                // into binary32 position and rescaled by 2^112, which is exact and also normalizes
                // binary16 subnormals; infinities and NaNs (exponent 31) get exponent 255 instead
                IntVector magnitude = h.and(~HALF_SIGN & 0xFFFF).lanewise(VectorOperators.LSHL, MANTISSA_SHIFT);
                IntVector scaled = magnitude.reinterpretAsFloats().mul(EXPONENT_REBIAS).reinterpretAsInts();
                VectorMask<Integer> infOrNan = h.and(HALF_EXPONENT_MASK).compare(VectorOperators.EQ, HALF_EXPONENT_MASK);
                IntVector bits = scaled.blend(magnitude.or(FLOAT_EXPONENT_MASK), infOrNan)
                        .or(h.and(HALF_SIGN).lanewise(VectorOperators.LSHL, 16));
                acc = bits.reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xOffset + i), acc);
            }
            sum = Vectors.sum(acc);
        }
        for (; i < n; i++) sum += getFloat(offset + i) * x[xOffset + i];
        return sum;
    }
}
