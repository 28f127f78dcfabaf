package io.llama2j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Float values to the bytes of a storage type, rounding as ggml's reference quantizers do
 * (ggml-quants.c {@code quantize_row_q8_0_ref}, {@code quantize_row_q4_0_ref}; ggml-impl.h
 * {@code GGML_FP32_TO_FP16} (round to nearest even) and {@code ggml_compute_fp32_to_bf16}).
 * Used by {@code convert --type} and the GGUF writer.
 */
public final class Quantizer {
    private Quantizer() {}

    /** Largest magnitude of a Q8_0 value: 2^7 − 1. */
    private static final int Q8_MAX = 127;
    /** Q4_0 maps the block's signed extreme to −8, the end of the 4-bit range [-8, 7]. */
    private static final float Q4_0_EXTREME = -8f;
    /** Added before truncating to a nibble: the zero point 8 plus 0.5 to round. */
    private static final float Q4_0_ROUNDED_ZERO_POINT = 8.5f;
    private static final int NIBBLE_MAX = 15;

    /** The storage types this class can write. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0 -> true;
            default -> false;
        };
    }

    /** {@code values[offset..offset+n)} encoded as {@code type}; n must be a whole number of blocks. */
    public static byte[] quantize(GgmlType type, float[] values, int offset, int n) {
        if (!supports(type)) {
            throw new IllegalArgumentException("cannot quantize to " + type + " (supported: F32, F16, BF16, Q8_0, Q4_0)");
        }
        byte[] out = new byte[Math.toIntExact(type.byteSize(n))];
        MemorySegment dst = MemorySegment.ofArray(out);
        switch (type) {
            case F32 -> MemorySegment.copy(values, offset, dst, Vectors.FLOAT_LE, 0, n);
            case F16 -> {
                for (int i = 0; i < n; i++) dst.setAtIndex(Vectors.SHORT_LE, i, Float.floatToFloat16(values[offset + i]));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst.setAtIndex(Vectors.SHORT_LE, i, toBFloat16(values[offset + i]));
            }
            case Q8_0 -> {
                for (int b = 0; b < n / Q8_0Tensor.BLOCK; b++) {
                    quantizeQ8_0Block(values, offset + b * Q8_0Tensor.BLOCK, dst, (long) b * Q8_0Tensor.BYTES);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / Q4_0Tensor.BLOCK; b++) {
                    quantizeQ4_0Block(values, offset + b * Q4_0Tensor.BLOCK, dst, (long) b * Q4_0Tensor.BYTES);
                }
            }
            default -> throw new AssertionError(type);
        }
        return out;
    }

    public static byte[] quantize(GgmlType type, float[] values) {
        return quantize(type, values, 0, values.length);
    }

    /** float32 to bfloat16, round to nearest even; NaNs stay (quiet) NaNs. */
    public static short toBFloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 64); // force the quiet bit, as ggml does
        }
        return (short) ((bits + (0x7FFF + ((bits >>> 16) & 1))) >>> 16);
    }

    private static void quantizeQ8_0Block(float[] x, int from, MemorySegment dst, long at) {
        float amax = 0f;
        for (int j = 0; j < Q8_0Tensor.BLOCK; j++) amax = Math.max(amax, Math.abs(x[from + j]));
        float d = amax / Q8_MAX;
        float id = d != 0f ? 1.0f / d : 0.0f;
        dst.set(Vectors.SHORT_LE, at, Float.floatToFloat16(d));
        for (int j = 0; j < Q8_0Tensor.BLOCK; j++) {
            dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) roundHalfAwayFromZero(x[from + j] * id));
        }
    }

    private static void quantizeQ4_0Block(float[] x, int from, MemorySegment dst, long at) {
        float amax = 0f, max = 0f;
        for (int j = 0; j < Q4_0Tensor.BLOCK; j++) {
            float v = x[from + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / Q4_0_EXTREME;
        float id = d != 0f ? 1.0f / d : 0.0f;
        dst.set(Vectors.SHORT_LE, at, Float.floatToFloat16(d));
        int half = Q4_0Tensor.BLOCK / 2;
        for (int j = 0; j < half; j++) {
            int lo = Math.min(NIBBLE_MAX, (int) (x[from + j] * id + Q4_0_ROUNDED_ZERO_POINT));
            int hi = Math.min(NIBBLE_MAX, (int) (x[from + half + j] * id + Q4_0_ROUNDED_ZERO_POINT));
            dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) (lo | hi << 4));
        }
    }

    /** C's roundf: halfway cases away from zero (Math.round rounds them up). */
    static int roundHalfAwayFromZero(float v) {
        float a = Math.abs(v);
        float r = (float) Math.floor(a);
        if (a - r >= 0.5f) r += 1f;
        return (int) Math.copySign(r, v);
    }
}
