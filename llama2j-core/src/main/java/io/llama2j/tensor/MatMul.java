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
     * Fewest multiply-adds in a chunk: below that, taking a chunk and waking a thread cost more
     * than the rows save (a 256 x 256 matrix stays on the calling thread).
     */
    private static final int MIN_CHUNK_WORK = 1 << 16;

    /** Fewest rows in a chunk: 16 floats of output fill a 64-byte cache line (no false sharing). */
    private static final int MIN_CHUNK_ROWS = 16;

    /**
     * The smallest chunk of rows {@link Parallel#forChunks} hands out for products whose rows
     * take {@code workPerRow} multiply-adds. Its first chunks are much longer (a quarter of the
     * rows on two threads), as the hardware prefetchers want: each chunk is a separate stream
     * through memory, and on the 7B shape chunks of 16 rows throughout gave 4.1 tokens/s where
     * 2 to 8 chunks per thread gave 4.7-5.8.
     */
    private static int minChunkRows(long workPerRow) {
        return (int) Math.max(MIN_CHUNK_ROWS, Math.max(MIN_PARALLEL_WORK, MIN_CHUNK_WORK) / Math.max(1, workPerRow));
    }

    /** Quantized activations of the threads that call matVec, reused from call to call. */
    private static final ThreadLocal<Q8Activations> QUANTIZED_X = ThreadLocal.withInitial(Q8Activations::new);
    /** Quantized activations as floats (prompt batches), per calling thread (grown as needed). */
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
        Products loop = PRODUCTS.get();
        loop.single[0] = w;
        loop.singleOut[0] = out;
        loop.singleOffset[0] = outOffset;
        loop.singleRows[0] = rows;
        matVecs(parallel, precision, x, xOffset, cols, loop.single, loop.singleOut, loop.singleOffset, loop.singleRows);
    }

    /**
     * Several matrix-vector products of the same input: outs[i][outOffsets[i] + r] = Σ_c W_i[r, c] ·
     * x[xOffset + c] for r in [0, rows[i]), all W_i with {@code cols} columns. One parallel loop
     * over the rows of all of them, and the input quantized once: a layer's Q, K and V, and its W1
     * and W3. Why: each parallel loop hands work to the threads and then waits for the slowest
     * (two threads running through their halves of every 7B matrix with no wait in between were
     * 7% faster than one loop per matrix). Fusing Q, K, V and W1, W3 made the products of a 7B
     * token 1.4% faster (packed Q4_0, 20 alternating pairs in one process).
     */
    public static void matVecs(Parallel parallel, ActivationPrecision precision, float[] x, int xOffset, int cols,
                               FloatTensor[] ws, float[][] outs, int[] outOffsets, int[] rows) {
        if (ws.length != outs.length || ws.length != outOffsets.length || ws.length != rows.length) {
            throw new IllegalArgumentException(ws.length + " matrices for " + outs.length + " outputs, "
                    + outOffsets.length + " offsets and " + rows.length + " row counts");
        }
        int totalRows = 0;
        for (int r : rows) totalRows = Math.addExact(totalRows, r);
        // the 8-bit path applies per matrix; the input is quantized at most once for all of them
        boolean quantized = precision == ActivationPrecision.QUANTIZED_8BIT && cols % Q8Activations.BLOCK == 0;
        Q8Activations xq = null;
        for (FloatTensor w : ws) {
            if (quantized && Q8Activations.appliesTo(w)) {
                xq = QUANTIZED_X.get().quantize(x, xOffset, cols);
                break;
            }
        }
        Products loop = PRODUCTS.get();
        loop.set(x, xOffset, cols, xq, ws, outs, outOffsets, rows);
        try {
            parallel.forChunks(totalRows, minChunkRows(cols), loop);
        } finally {
            loop.clear();
        }
    }

    /**
     * The parallel loop of {@link #matVecs}: rows [start, end) of all its matrices taken as one
     * range. One per calling thread, reused from call to call, so that a token's products
     * allocate nothing (a lambda capturing the arguments was an object per call).
     */
    private static final class Products implements Parallel.RangeBody {
        /** One-element arrays for {@link #matVec}. */
        final FloatTensor[] single = new FloatTensor[1];
        final float[][] singleOut = new float[1][];
        final int[] singleOffset = new int[1], singleRows = new int[1];

        private float[] x;
        private int xOffset, cols;
        private Q8Activations integerX;
        private FloatTensor[] ws;
        private float[][] outs;
        private int[] outOffsets, rows;

        void set(float[] x, int xOffset, int cols, Q8Activations integerX, FloatTensor[] ws, float[][] outs, int[] outOffsets, int[] rows) {
            this.x = x;
            this.xOffset = xOffset;
            this.cols = cols;
            this.integerX = integerX;
            this.ws = ws;
            this.outs = outs;
            this.outOffsets = outOffsets;
            this.rows = rows;
        }

        /** Drops the call's arrays, so that a finished call holds no activations or outputs. */
        void clear() {
            set(null, 0, 0, null, null, null, null, null);
            single[0] = null;
            singleOut[0] = null;
        }

        @Override
        public void run(int start, int end) {
            int first = 0;
            for (int i = 0; i < ws.length; first += rows[i], i++) {
                int from = Math.max(start, first) - first, to = Math.min(end, first + rows[i]) - first;
                if (from >= to) continue;
                FloatTensor w = ws[i];
                if (integerX != null && Q8Activations.appliesTo(w)) integerRows(w, integerX, outs[i], outOffsets[i], from, to, cols);
                else floatRows(w, x, xOffset, outs[i], outOffsets[i], from, to, cols);
            }
        }
    }

    private static final ThreadLocal<Products> PRODUCTS = ThreadLocal.withInitial(Products::new);

    // One dot per row, one loop per kernel, each kernel compiled on its own: routing every row
    // through another virtual method layer made C2 inline the kernels into a unit too large to keep
    // their vectors in registers (measured 3x slower).

    /** out[outOffset + r] for rows [start, end) of w, with 8-bit activations. */
    private static void integerRows(FloatTensor w, Q8Activations xq, float[] out, int outOffset, int start, int end, int cols) {
        switch (w) {
            case Q4_0PackedTensor q4 -> {
                for (int r = start; r < end; r++) out[outOffset + r] = q4.dotQ8(r, xq);
            }
            case Q4_0Tensor q4 -> {
                for (int r = start; r < end; r++) out[outOffset + r] = q4.dotQ8((long) r * cols, xq, cols);
            }
            case Q8_0Tensor q8 -> {
                for (int r = start; r < end; r++) out[outOffset + r] = q8.dotQ8((long) r * cols, xq, cols);
            }
            case Q8_0PackedTensor q8 -> {
                for (int r = start; r < end; r++) out[outOffset + r] = q8.dotQ8((long) r * cols, xq, cols);
            }
            default -> throw new IllegalStateException("no 8-bit kernel for " + w.type());
        }
    }

    /** out[outOffset + r] for rows [start, end) of w, with float activations. */
    private static void floatRows(FloatTensor w, float[] x, int xOffset, float[] out, int outOffset, int start, int end, int cols) {
        for (int r = start; r < end; r++) out[outOffset + r] = w.dot((long) r * cols, x, xOffset, cols);
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
        parallel.forChunks(rows, minChunkRows((long) cols * tokens), (start, end) -> {
            for (int r = start; r < end; r++) {
                for (int t = 0; t < tokens; t++) out[t * rows + r] = w.dotQ8(r, xq[t]);
            }
        });
    }
}
