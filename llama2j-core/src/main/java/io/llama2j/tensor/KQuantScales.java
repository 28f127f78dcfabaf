package io.llama2j.tensor;

import java.lang.foreign.MemorySegment;

/**
 * The 12-byte packed scales of Q4_K and Q5_K (ggml-quants.c {@code get_scale_min_k4}): eight
 * 6-bit scales and eight 6-bit minimums, one pair per 32-value sub-block. Sub-blocks 0..3 keep
 * both in the low 6 bits of bytes j and j+4; sub-blocks 4..7 keep their low 4 bits in byte j+4
 * and their high 2 bits in the top bits of bytes j−4 (scale) and j (minimum).
 */
final class KQuantScales {
    private KQuantScales() {}

    /** Bytes of packed scales and minimums in a Q4_K/Q5_K block. */
    static final int BYTES = 12;
    /** Values per sub-block sharing one scale and one minimum. */
    static final int SUB_BLOCK = 32;

    static int scale(MemorySegment data, long scalesAt, int j) {
        if (j < 4) return u8(data, scalesAt + j) & 63;
        return (u8(data, scalesAt + j + 4) & 0x0F) | ((u8(data, scalesAt + j - 4) >>> 6) << 4);
    }

    static int min(MemorySegment data, long scalesAt, int j) {
        if (j < 4) return u8(data, scalesAt + j + 4) & 63;
        return (u8(data, scalesAt + j + 4) >>> 4) | ((u8(data, scalesAt + j) >>> 6) << 4);
    }

    private static int u8(MemorySegment data, long at) {
        return Byte.toUnsignedInt(data.get(Vectors.BYTE, at));
    }
}
