package io.llama2j.tensor;

import java.util.Arrays;

/**
 * Matrix products of a weight matrix W [rows, cols] (row-major, any storage type) with float32
 * activations: for one token one {@link FloatTensor#dot} per output element, rows split across
 * threads; for a prompt batch the blocked {@link Gemm}; for a decoding step over several
 * sequences {@link BatchedDot}.
 */
public final class MatMul {
    private MatMul() {}

    /**
     * Multiply-adds below which a matrix-vector product is not worth handing to other threads
     * (the hand-off costs a few microseconds; a tiny model's 64x64 matrix takes less).
     */
    public static final int MIN_PARALLEL_WORK = 1 << 15;

    /**
     * Chunks per thread that a matrix-vector product's rows are cut into
     * ({@link Parallel#forChunks}). A few per thread, so that a descheduled thread holds up the
     * product by a fraction of its share only; not many more, because each chunk is a separate
     * stream through memory and the hardware prefetchers need long streams: on the 7B shape with
     * packed Q4_0 weights, chunks of 16 rows gave 4.1 tokens/s, 2 to 8 chunks per thread 4.7-5.8
     * (within the noise of each other).
     */
    public static final int CHUNKS_PER_THREAD = 4;

    /**
     * Fewest multiply-adds in a chunk: below that, taking a chunk and waking a thread cost more
     * than the rows save (a 256 x 256 matrix stays on the calling thread).
     */
    private static final int MIN_CHUNK_WORK = 1 << 16;

    /** Fewest rows in a chunk: 16 floats of output fill a 64-byte cache line (no false sharing). */
    private static final int MIN_CHUNK_ROWS = 16;

    /** Quantized activations of the threads that call matVec, reused from call to call. */
    private static final ThreadLocal<Q8Activations> QUANTIZED_X = ThreadLocal.withInitial(Q8Activations::new);
    /** Quantized activations as floats (prompt batches, packed Q8_0), per calling thread (grown as needed). */
    private static final ThreadLocal<float[][]> QUANTIZED_BATCH = ThreadLocal.withInitial(() -> new float[][]{new float[0]});

    /** out[outOffset + r] = Σ_c W[r, c] · x[xOffset + c] for r in [0, rows). */
    public static void matVec(Parallel parallel, FloatTensor w, float[] x, int xOffset,
                              float[] out, int outOffset, int rows, int cols) {
        matVec(parallel, ActivationPrecision.FLOAT32, w, x, xOffset, out, outOffset, rows, cols);
    }

    /**
     * out[outOffset + r] = Σ_c W[r, c] · x[xOffset + c] for r in [0, rows), with the activations
     * treated as {@code precision} says (Q4_0 and Q8_0 weights have an 8-bit integer path).
     */
    public static void matVec(Parallel parallel, ActivationPrecision precision, FloatTensor w, float[] x, int xOffset,
                              float[] out, int outOffset, int rows, int cols) {
        int chunkRows = Math.max(Math.max(MIN_CHUNK_ROWS, Math.ceilDiv(rows, parallel.threads() * CHUNKS_PER_THREAD)),
                Math.max(MIN_PARALLEL_WORK, MIN_CHUNK_WORK) / cols);
        // one dot per row, called from here, one loop per kernel: the kernels are tuned for being
        // compiled on their own (measured: routing through another virtual method layer made C2
        // inline them into a unit too large to keep their vectors in registers, 3x slower)
        if (precision == ActivationPrecision.QUANTIZED_8BIT && Q8Activations.appliesTo(w) && cols % Q8Activations.BLOCK == 0) {
            Q8Activations xq = QUANTIZED_X.get().quantize(x, xOffset, cols);
            switch (w) {
                case Q4_0PackedTensor q4 -> parallel.forChunks(rows, chunkRows, (start, end) -> {
                    for (int r = start; r < end; r++) out[outOffset + r] = q4.dotQ8(r, xq);
                });
                case Q4_0Tensor q4 -> parallel.forChunks(rows, chunkRows, (start, end) -> {
                    for (int r = start; r < end; r++) out[outOffset + r] = q4.dotQ8((long) r * cols, xq, cols);
                });
                case Q8_0Tensor q8 -> parallel.forChunks(rows, chunkRows, (start, end) -> {
                    for (int r = start; r < end; r++) out[outOffset + r] = q8.dotQ8((long) r * cols, xq, cols);
                });
                default -> {
                    // packed Q8_0: its float kernel is faster than an integer one (8-bit products
                    // need 32-bit sums), so it multiplies the values the quantization keeps
                    float[] rounded = batchBuffer(cols);
                    xq.dequantize(rounded, 0);
                    matVec(parallel, ActivationPrecision.FLOAT32, w, rounded, 0, out, outOffset, rows, cols);
                }
            }
            return;
        }
        parallel.forChunks(rows, chunkRows, (start, end) -> {
            for (int r = start; r < end; r++) {
                out[outOffset + r] = w.dot((long) r * cols, x, xOffset, cols);
            }
        });
    }

    /**
     * Tokens below which a prompt's product stays on {@link BatchedDot}: the blocked {@link Gemm}
     * computes 8 tokens per register tile and pads a smaller batch with zero rows.
     */
    static final int GEMM_MIN_TOKENS = 16;

    /**
     * The product for a batch of a prompt's tokens: out[t, r] = Σ_c W[r, c] · x[t, c] for t in
     * [0, tokens), with x [tokens, cols] and out [tokens, rows] row-major. One token is a
     * {@link #matVec}; a batch goes through the blocked {@link Gemm#multiplyByWeights}, which
     * dequantizes each weight once per batch (results equal matVec's up to float32 rounding).
     */
    public static void matMul(Parallel parallel, FloatTensor w, float[] x, float[] out,
                              int tokens, int rows, int cols) {
        matMul(parallel, ActivationPrecision.FLOAT32, w, x, out, tokens, rows, cols);
    }

    /**
     * {@link #matMul} with the activations treated as {@code precision} says. A batch with
     * quantized activations goes through the float kernel on the values the quantization keeps
     * ({@link Q8Activations#roundTrip}), so a prompt sees the same activations as generation.
     */
    public static void matMul(Parallel parallel, ActivationPrecision precision, FloatTensor w, float[] x, float[] out,
                              int tokens, int rows, int cols) {
        product(parallel, precision, w, x, out, tokens, rows, cols, false);
    }

    /**
     * The product for the tokens of a decoding step over several sequences, each token's outputs
     * exactly what {@link #matVec} gives it alone for float32 weights, and for packed Q4_0 with
     * 8-bit activations (within float32 rounding of it for other quantized ones), so that batching
     * never changes a sequence's result: {@link BatchedDot}, or for packed Q4_0 the tile kernel
     * once per token on each row while the row is in L1.
     */
    public static void matMulPerToken(Parallel parallel, ActivationPrecision precision, FloatTensor w, float[] x, float[] out,
                                      int tokens, int rows, int cols) {
        product(parallel, precision, w, x, out, tokens, rows, cols, true);
    }

    /** The calling thread's buffer for quantized activations as floats, at least {@code length} long. */
    private static float[] batchBuffer(int length) {
        float[][] holder = QUANTIZED_BATCH.get();
        if (holder[0].length < length) holder[0] = new float[length];
        return holder[0];
    }

    private static void product(Parallel parallel, ActivationPrecision precision, FloatTensor w, float[] x, float[] out,
                                int tokens, int rows, int cols, boolean perToken) {
        if (tokens == 1) {
            matVec(parallel, precision, w, x, 0, out, 0, rows, cols);
            return;
        }
        boolean perTokenProduct = perToken || tokens < GEMM_MIN_TOKENS;
        if (precision == ActivationPrecision.QUANTIZED_8BIT && perTokenProduct && w instanceof Q4_0PackedTensor q4) {
            tileKernelPerToken(parallel, q4, x, out, tokens, rows, cols);
            return;
        }
        float[] in = x;
        if (precision == ActivationPrecision.QUANTIZED_8BIT && Q8Activations.appliesTo(w) && cols % Q8Activations.BLOCK == 0) {
            in = batchBuffer(tokens * cols);
            Q8Activations scratch = QUANTIZED_X.get();
            for (int t = 0; t < tokens; t++) Q8Activations.roundTrip(x, t * cols, cols, scratch, in, t * cols);
        }
        if (perTokenProduct) BatchedDot.multiply(parallel, w, in, out, tokens, rows, cols);
        else Gemm.multiplyByWeights(parallel, in, w, out, tokens, rows, cols);
    }

    /** Per calling thread: one quantized activation vector per token of a per-token product. */
    private static final ThreadLocal<Q8Activations[][]> QUANTIZED_TOKENS = ThreadLocal.withInitial(() -> new Q8Activations[][]{new Q8Activations[0]});

    /**
     * out[t, r] = {@link Q4_0PackedTensor#dotQ8}(r, x[t] quantized): each token quantized on its
     * own, as matVec quantizes it, and every row multiplied with all the tokens in turn (576
     * bytes per 1024 weights, read from memory once and then from L1).
     */
    private static void tileKernelPerToken(Parallel parallel, Q4_0PackedTensor w, float[] x, float[] out,
                                           int tokens, int rows, int cols) {
        Q8Activations[][] holder = QUANTIZED_TOKENS.get();
        if (holder[0].length < tokens) {
            Q8Activations[] grown = Arrays.copyOf(holder[0], tokens);
            for (int t = holder[0].length; t < tokens; t++) grown[t] = new Q8Activations();
            holder[0] = grown;
        }
        Q8Activations[] xq = holder[0];
        for (int t = 0; t < tokens; t++) xq[t].quantize(x, t * cols, cols);
        int chunkRows = Math.max(Math.max(MIN_CHUNK_ROWS, Math.ceilDiv(rows, parallel.threads() * CHUNKS_PER_THREAD)),
                Math.max(MIN_PARALLEL_WORK, MIN_CHUNK_WORK) / cols / tokens);
        parallel.forChunks(rows, chunkRows, (start, end) -> {
            for (int r = start; r < end; r++) {
                for (int t = 0; t < tokens; t++) out[t * rows + r] = w.dotQ8(r, xq[t]);
            }
        });
    }
}
