package io.llama2j.tensor;

/**
 * Storage types of weight tensors, numbered as GGUF/ggml numbers them (the id is what a GGUF
 * tensor-info record stores). Block size and bytes per block follow ggml's block layouts:
 * a quantized row of n elements takes n / blockSize * bytesPerBlock bytes.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 2 + 16),
    Q4_1(3, 32, 2 + 2 + 16),
    Q5_0(6, 32, 2 + 4 + 16),
    Q5_1(7, 32, 2 + 2 + 4 + 16),
    Q8_0(8, 32, 2 + 32),
    Q8_1(9, 32, 4 + 4 + 32),
    Q2_K(10, 256, 256 / 16 + 256 / 4 + 2 + 2),
    Q3_K(11, 256, 256 / 8 + 256 / 4 + 12 + 2),
    Q4_K(12, 256, 2 + 2 + 12 + 256 / 2),
    Q5_K(13, 256, 2 + 2 + 12 + 256 / 8 + 256 / 2),
    Q6_K(14, 256, 256 / 2 + 256 / 4 + 256 / 16 + 2),
    Q8_K(15, 256, 4 + 256 + 256 / 16 * 2),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    BF16(30, 1, 2),
    /**
     * Not a GGUF type: QLoRA's 4-bit NormalFloat ({@link Nf4Tensor}), blocks of 64 four-bit codes
     * with a float32 absmax, built in memory for fine-tuning. Its id is negative so that no file
     * can name it ({@link #fromId} never returns it).
     */
    NF4(-1, Nf4Tensor.BLOCK, Nf4Tensor.BLOCK / 2 + Float.BYTES);

    private final int id;
    private final int blockSize;
    private final int bytesPerBlock;

    GgmlType(int id, int blockSize, int bytesPerBlock) {
        this.id = id;
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
    }

    public int id() { return id; }

    /** Elements per quantization block (1 for plain types). */
    public int blockSize() { return blockSize; }

    public int bytesPerBlock() { return bytesPerBlock; }

    /** Bytes taken by {@code elements} values; the count must be a whole number of blocks. */
    public long byteSize(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(this + " stores blocks of " + blockSize + " values; " + elements + " is not a multiple");
        }
        return Math.multiplyExact(elements / blockSize, (long) bytesPerBlock);
    }

    /** The type with this GGUF id, or null when the id is unknown to llama2j (or not a GGUF type). */
    public static GgmlType fromId(int id) {
        for (GgmlType t : values()) {
            if (t.id == id && t.id >= 0) return t;
        }
        return null;
    }
}
