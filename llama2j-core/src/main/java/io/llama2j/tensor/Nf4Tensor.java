package io.llama2j.tensor;

/**
 * 4-bit NormalFloat (NF4), the storage of QLoRA's frozen base model (Dettmers et al. 2023,
 * "QLoRA: Efficient Finetuning of Quantized LLMs", §3): the tensor, flattened, is cut into
 * blocks of {@link #BLOCK} = 64 values; each value is a 4-bit index into {@link #LEVELS}, the 16
 * quantiles of N(0, 1) normalized to [-1, 1] with an exact zero, times its block's absmax:
 * <pre>
 *   value = LEVELS[code] · absmax(block)
 * </pre>
 * Codes are packed two per byte, the first of each pair in the high nibble (bitsandbytes' order);
 * absmax is kept in float32 (the paper's double quantization of these constants, which saves
 * another 0.37 bit per parameter, is not done). Blocks run over the flattened tensor as in
 * bitsandbytes, so a block may straddle two rows. Not a GGUF type: built in memory from float
 * weights by {@link #quantize}, for fine-tuning.
 */
public final class Nf4Tensor extends FloatTensor {
    /** Values per absmax block (the QLoRA paper's block size for the weights). */
    public static final int BLOCK = 64;
    /** Codes per byte. */
    private static final int CODES_PER_BYTE = 2;
    private static final int NIBBLE_BITS = 4;
    private static final int NIBBLE_MASK = 0x0F;

    /**
     * The NF4 data type: quantiles q_i of N(0, 1) for 2^4 levels (8 on the non-negative side and 7
     * on the negative one, so that 0 is exact), divided by the largest (QLoRA §3, eq. 4); the
     * float32 values bitsandbytes uses.
     */
    static final float[] LEVELS = {
            -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
            -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
            0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
            0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};
    /** Midpoints between consecutive levels: a normalized value maps to the nearest level. */
    private static final float[] THRESHOLDS = new float[LEVELS.length - 1];

    static {
        for (int i = 0; i < THRESHOLDS.length; i++) THRESHOLDS[i] = (LEVELS[i] + LEVELS[i + 1]) / 2;
    }

    private final byte[] codes;
    private final float[] absmax;
    private final long size;

    private Nf4Tensor(byte[] codes, float[] absmax, long size) {
        this.codes = codes;
        this.absmax = absmax;
        this.size = size;
    }

    /**
     * {@code source} quantized to NF4: per block, absmax = max |x| and code = the level nearest to
     * x / absmax. The source is read a block at a time (a memory-mapped F16 or F32 tensor is never
     * copied whole); its size must be a whole number of blocks.
     */
    public static Nf4Tensor quantize(FloatTensor source) {
        long size = source.size();
        if (size % BLOCK != 0) {
            throw new IllegalArgumentException("NF4 stores blocks of " + BLOCK + " values; a tensor of " + size
                    + " values is not a whole number of blocks");
        }
        if (size / CODES_PER_BYTE > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a tensor of " + size + " values is too large for one NF4 tensor (at most "
                    + 2L * (Integer.MAX_VALUE - 8) + ")");
        }
        byte[] codes = new byte[(int) (size / CODES_PER_BYTE)];
        float[] absmax = new float[(int) (size / BLOCK)];
        float[] block = new float[BLOCK];
        for (int b = 0; b < absmax.length; b++) {
            source.dequantize((long) b * BLOCK, block, 0, BLOCK);
            float max = 0f;
            for (float v : block) max = Math.max(max, Math.abs(v));
            absmax[b] = max;
            float inverse = max == 0f ? 0f : 1f / max;
            int at = b * (BLOCK / CODES_PER_BYTE);
            for (int j = 0; j < BLOCK; j += CODES_PER_BYTE) {
                int high = nearestLevel(block[j] * inverse), low = nearestLevel(block[j + 1] * inverse);
                codes[at + j / CODES_PER_BYTE] = (byte) (high << NIBBLE_BITS | low);
            }
        }
        return new Nf4Tensor(codes, absmax, size);
    }

    /** The index of the level nearest to {@code normalized} (in [-1, 1]; ties go to the lower level, NaN to code 0). */
    static int nearestLevel(float normalized) {
        int code = 0;
        while (code < THRESHOLDS.length && normalized > THRESHOLDS[code]) code++;
        return code;
    }

    @Override public GgmlType type() { return GgmlType.NF4; }

    @Override public long size() { return size; }

    @Override public float getFloat(long index) {
        return LEVELS[code(index)] * absmax[(int) (index / BLOCK)];
    }

    private int code(long index) {
        int packed = codes[(int) (index / CODES_PER_BYTE)];
        return (index % CODES_PER_BYTE == 0 ? packed >>> NIBBLE_BITS : packed) & NIBBLE_MASK;
    }

    @Override public void dequantize(long offset, float[] out, int outOffset, int n) {
        long i = offset, end = offset + n;
        int o = outOffset;
        if (i < end && i % CODES_PER_BYTE != 0) out[o++] = getFloat(i++);
        for (; i + CODES_PER_BYTE <= end; i += CODES_PER_BYTE, o += CODES_PER_BYTE) {
            int packed = codes[(int) (i / CODES_PER_BYTE)];
            float scale = absmax[(int) (i / BLOCK)]; // a pair never straddles a block (BLOCK is even)
            out[o] = LEVELS[(packed >>> NIBBLE_BITS) & NIBBLE_MASK] * scale;
            out[o + 1] = LEVELS[packed & NIBBLE_MASK] * scale;
        }
        if (i < end) out[o] = getFloat(i);
    }

    /** Σ this[offset + i] · x[xOffset + i]: each block's Σ LEVELS[code]·x, then times its absmax, in index order. */
    @Override public float dot(long offset, float[] x, int xOffset, int n) {
        float sum = 0f;
        long i = offset, end = offset + n;
        while (i < end) {
            long blockEnd = Math.min(end, (i / BLOCK + 1) * BLOCK);
            float scale = absmax[(int) (i / BLOCK)];
            float blockSum = 0f;
            for (; i < blockEnd; i++) blockSum += LEVELS[code(i)] * x[xOffset + (int) (i - offset)];
            sum += blockSum * scale;
        }
        return sum;
    }
}
