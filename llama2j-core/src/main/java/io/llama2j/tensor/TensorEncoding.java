package io.llama2j.tensor;

import java.nio.ByteBuffer;

/**
 * Encodes floats into the plain storage types that checkpoint writers emit (safetensors, PyTorch
 * storages): F32, F16 (IEEE binary16) and BF16, both rounding to nearest even as torch does.
 */
public final class TensorEncoding {
    private TensorEncoding() {}

    /** Appends {@code values[0..n)} to {@code out} (which must be little-endian) as {@code type}. */
    public static void encode(GgmlType type, float[] values, int n, ByteBuffer out) {
        switch (type) {
            case F32 -> { for (int i = 0; i < n; i++) out.putFloat(values[i]); }
            case F16 -> { for (int i = 0; i < n; i++) out.putShort(Float.floatToFloat16(values[i])); }
            case BF16 -> { for (int i = 0; i < n; i++) out.putShort(toBFloat16(values[i])); }
            default -> throw new IllegalArgumentException("cannot encode " + type + " element by element; only F32, F16, BF16");
        }
    }

    /** float32 → bfloat16, rounding to nearest even; NaN stays a quiet NaN. */
    public static short toBFloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }
}
