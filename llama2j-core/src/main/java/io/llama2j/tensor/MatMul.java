package io.llama2j.tensor;

/**
 * Matrix products of a weight matrix W [rows, cols] (row-major, any storage type) with float32
 * activations: one {@link FloatTensor#dot} per output element, rows split across threads.
 */
public final class MatMul {
    private MatMul() {}

    /**
     * Multiply-adds below which a matrix-vector product is not worth handing to other threads
     * (the hand-off costs a few microseconds; a tiny model's 64x64 matrix takes less).
     */
    public static final int MIN_PARALLEL_WORK = 1 << 15;

    /** out[outOffset + r] = Σ_c W[r, c] · x[xOffset + c] for r in [0, rows). */
    public static void matVec(Parallel parallel, FloatTensor w, float[] x, int xOffset,
                              float[] out, int outOffset, int rows, int cols) {
        int minRows = Math.max(1, MIN_PARALLEL_WORK / cols);
        // one dot per row, called from here: the kernels are tuned for being compiled on their own
        // (measured: routing through another virtual method layer made C2 inline them into a
        // unit too large to keep their vectors in registers, 3x slower)
        parallel.forRange(rows, minRows, (start, end) -> {
            for (int r = start; r < end; r++) {
                out[outOffset + r] = w.dot((long) r * cols, x, xOffset, cols);
            }
        });
    }

    /**
     * The product for a batch of tokens: out[t, r] = Σ_c W[r, c] · x[t, c] for t in [0, tokens),
     * with x [tokens, cols] and out [tokens, rows] row-major. One token is a {@link #matVec};
     * more go through the register-blocked {@link Gemm}, which dequantizes each weight row once
     * per batch (results equal matVec's up to float32 rounding).
     */
    public static void matMul(Parallel parallel, FloatTensor w, float[] x, float[] out,
                              int tokens, int rows, int cols) {
        if (tokens == 1) {
            matVec(parallel, w, x, 0, out, 0, rows, cols);
            return;
        }
        Gemm.multiply(parallel, w, x, out, tokens, rows, cols);
    }
}
