package io.llama2j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The matrix product of training and of prompt processing, C[M,N] (+)= A[M,K] · B[K,N], float32,
 * with A and B read through strides so that one kernel serves the three roles of a linear layer
 * y = x Wᵀ (llm.c's matmul_forward / matmul_backward) without transposed copies, and, through
 * {@link #multiplyByWeights}, a prompt's tokens times a weight matrix of any storage type:
 * <pre>
 *   forward   y[T,out]  = x[T,in]   · Wᵀ[in,out]     (B(k, j) = W[j, k]: B read down columns)
 *   backward  dx[T,in] += dy[T,out] · W[out,in]       (A = dy, B = W)
 *   backward  dW[out,in] += dyᵀ[out,T] · x[T,in]      (A(i, k) = dy[k, i]: A read transposed)
 * </pre>
 *
 * <p>Structure (GotoBLAS/BLIS: Goto and van de Geijn 2008, "Anatomy of high-performance matrix
 * multiplication"; Van Zee and van de Geijn 2015): C is cut into tasks of one column block × a
 * group of rows. Inside a task K runs in slices of at most {@link #K_BLOCK}; per slice the task
 * packs B's slice into a contiguous panel (at most {@link #B_PANEL_FLOATS}, kept in L2: the
 * column block is as wide as that allows) in micro-panels of {@link #TILE_COLUMNS} columns, and
 * then, {@link #ROW_BLOCK} rows at a time, A's slice into micro-panels of {@link #TILE_ROWS} rows
 * (each slice depth × TILE_ROWS, kept in L1). Deep slices matter: every slice loads and stores
 * each tile of C once, and a tile of a large C (the 1,024 × 32,000 logits) comes from memory,
 * which stalls the kernel (Java has no prefetch instruction to hide it). The micro-kernel multiplies one A micro-panel by one B
 * micro-panel into a TILE_ROWS × TILE_COLUMNS tile of C held in 16 vector registers: per k, two
 * vector loads of B and eight broadcasts of A feed sixteen independent FMA chains. Packing reads
 * A and B in any layout once, so the kernel only ever walks memory with unit stride; zero padding
 * past the matrix edges lets every tile run the same kernel.
 *
 * <p>Determinism: every element of C is summed by one task, over K slices in order and k in
 * order within a slice, one FMA at a time, whatever the thread count and whichever thread takes
 * the task. Threads claim tasks from a shared counter, so a thread descheduled by another tenant
 * of the machine delays only its current task, not a fixed share of the product.
 */
public final class Gemm {
    private Gemm() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Rows of the register tile. */
    static final int TILE_ROWS = 8;
    /** TILE_ROWS float lanes: one k of a transposed A micro-panel, copied in one move. */
    private static final VectorSpecies<Float> EIGHT = FloatVector.SPECIES_256;
    /** Columns of the register tile: 2 vectors (32 floats with AVX-512). */
    public static final int TILE_COLUMNS = 2 * L;
    /**
     * Most depth of one K slice: an A micro-panel (K_BLOCK × TILE_ROWS floats, 16 KiB) stays in
     * L1. K is cut into equal slices of at most this depth (1,024 into 2 × 512, 768 into 2 ×
     * 384), a function of K alone, so the summation order never depends on the thread count.
     * {@link #multiplyByWeights} cuts it into slices of exactly this depth (the last one shorter),
     * so that every slice starts on a block of the weights' quantization.
     */
    static final int K_BLOCK = 512;
    /**
     * Floats between two dequantized weight rows in a workspace: a slice plus one cache line, so
     * that the 32 rows read k by k fall in different L1 sets (with exactly K_BLOCK floats, 2 KiB
     * apart, all 32 land in one 8-way set and evict each other on every read).
     */
    static final int WEIGHT_ROW_STRIDE = K_BLOCK + 16;
    /** Rows of A packed at a time (ROW_BLOCK × K_BLOCK floats, 128 KiB, in L2 beside the B panel). */
    static final int ROW_BLOCK = 64;
    /** Floats of one packed B slice (512 KiB, half of a 1 MiB L2): the column block is this / slice depth wide. */
    static final int B_PANEL_FLOATS = 1 << 17;
    /** Tasks per thread a product is cut into at least (when it has that many row tiles), for load balance. */
    static final int TASKS_PER_THREAD = 4;
    /** Multiply-adds below which a product runs on the calling thread only. */
    static final long MIN_PARALLEL_FLOPS = 1L << 18;

    /** One thread's packing buffers and edge tile, allocated once per thread. */
    private static final class Workspace {
        final float[] packedA = new float[ROW_BLOCK * K_BLOCK];
        final float[] packedB = new float[B_PANEL_FLOATS];
        final float[] edgeTile = new float[TILE_ROWS * TILE_COLUMNS];
        /** TILE_COLUMNS weight rows of one K slice, dequantized, before they are interleaved into the B panel. */
        final float[] weightRows = new float[TILE_COLUMNS * WEIGHT_ROW_STRIDE];
    }

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    /** Floats of A packed once per product at most (16 MiB); larger A is packed per task. */
    static final long PREPACKED_A_LIMIT = 1L << 22;
    /** The calling thread's whole-product packed A (grown to the largest product it met), read by every task. */
    private static final ThreadLocal<float[]> PREPACKED_A = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * C[cOff + i·n + j] (+)= Σ_k A(i, k) · B[bOff + k·n + j] for i < m, j < n, with
     * A(i, k) = a[aOff + i·k + k] (A stored [m, k]) or, when {@code aTransposed},
     * a[aOff + k·m + i] (A stored [k, m]). Without {@code accumulate} C is overwritten.
     */
    public static void multiply(Parallel parallel, float[] a, int aOff, boolean aTransposed,
                                float[] b, int bOff, float[] c, int cOff,
                                int m, int n, int k, boolean accumulate) {
        multiply(parallel, m, n, k, a, aOff, aTransposed ? 1 : k, aTransposed ? m : 1,
                b, bOff, n, 1, c, cOff, n, accumulate);
    }

    /**
     * C(i, j) (+)= Σ_k A(i, k) · B(k, j) for i < m, j < n, k < depth, with
     * A(i, k) = a[aOff + i·aRowStride + k·aDepthStride], B(k, j) = b[bOff + k·bDepthStride +
     * j·bColumnStride] and C(i, j) = c[cOff + i·cRowStride + j]. Without {@code accumulate} C is
     * overwritten.
     */
    public static void multiply(Parallel parallel, int m, int n, int depth,
                                float[] a, int aOff, int aRowStride, int aDepthStride,
                                float[] b, int bOff, int bDepthStride, int bColumnStride,
                                float[] c, int cOff, int cRowStride, boolean accumulate) {
        int slices = (depth + K_BLOCK - 1) / K_BLOCK, sliceDepth = slices == 0 ? 0 : (depth + slices - 1) / slices;
        run(parallel, m, n, depth, sliceDepth, a, aOff, aRowStride, aDepthStride, b, bOff, bDepthStride, bColumnStride, null,
                c, cOff, cRowStride, accumulate);
    }

    /**
     * out[t·rows + r] = Σ_c x[t·cols + c] · W[r, c] for t < tokens, r < rows: a batch of tokens
     * (x [tokens, cols]) times the transpose of a weight matrix W [rows, cols] of any storage
     * type, the product of every linear layer over a prompt. W takes B's place (B(k, j) = W[j, k]):
     * each task dequantizes its slice of W's rows straight into the B panel, so every weight is
     * dequantized once per product (the tokens of a prompt are one row group) and the
     * multiply-adds run on floats at the kernel's full speed. The K slices are
     * {@link #K_BLOCK} deep, so they start on a block boundary of every quantized type (32 or
     * 256 values).
     *
     * <p>Each output is summed in k order, one FMA at a time, whichever tokens share the batch.
     */
    public static void multiplyByWeights(Parallel parallel, float[] x, FloatTensor w, float[] out, int tokens, int rows, int cols) {
        if ((long) rows * cols > w.size()) {
            throw new IllegalArgumentException("weight matrix of " + w.size() + " values is smaller than " + rows + " x " + cols);
        }
        run(parallel, tokens, rows, cols, Math.min(cols, K_BLOCK), x, 0, cols, 1, null, 0, 0, 0, w, out, 0, rows, false);
    }

    private static void run(Parallel parallel, int m, int n, int depth, int sliceDepth,
                            float[] a, int aOff, int aRowStride, int aDepthStride,
                            float[] b, int bOff, int bDepthStride, int bColumnStride, FloatTensor weights,
                            float[] c, int cOff, int cRowStride, boolean accumulate) {
        if (m <= 0 || n <= 0) return;
        if (depth == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * cRowStride, cOff + i * cRowStride + n, 0f);
            }
            return;
        }
        // Column blocks as wide as the B panel allows, of equal width (whole register tiles)
        int widest = Math.max(TILE_COLUMNS, B_PANEL_FLOATS / sliceDepth / TILE_COLUMNS * TILE_COLUMNS);
        int blocksAtWidest = (n + widest - 1) / widest;
        int columnBlock = ((n + blocksAtWidest - 1) / blocksAtWidest + TILE_COLUMNS - 1) / TILE_COLUMNS * TILE_COLUMNS;
        int columnBlocks = (n + columnBlock - 1) / columnBlock;
        int rowTiles = (m + TILE_ROWS - 1) / TILE_ROWS;
        boolean parallelWorth = parallel.threads() > 1 && 2L * m * n * depth >= MIN_PARALLEL_FLOPS;
        // A is packed once for the whole product when several column blocks would each repack it
        // (the output projection: 1,024 tokens x 288 against 63 blocks of the 32,000-token vocabulary).
        float[] prepacked = null;
        long packedSize = (long) rowTiles * TILE_ROWS * depth;
        if (columnBlocks > 1 && packedSize <= PREPACKED_A_LIMIT) {
            prepacked = PREPACKED_A.get();
            if (prepacked.length < packedSize) {
                prepacked = new float[(int) packedSize];
                PREPACKED_A.set(prepacked);
            }
        }
        Product p = new Product(m, n, depth, sliceDepth, columnBlock, a, aOff, aRowStride, aDepthStride, b, bOff, bDepthStride, bColumnStride,
                weights, c, cOff, cRowStride, accumulate, prepacked);
        if (prepacked != null) {
            parallel.forRange(rowTiles, parallelWorth ? Math.max(1, rowTiles / parallel.threads()) : rowTiles,
                    (first, end) -> p.prepackA(first * TILE_ROWS, Math.min(m, end * TILE_ROWS)));
        }
        int wantedTasks = parallelWorth ? TASKS_PER_THREAD * parallel.threads() : 1;
        int rowGroups = Math.min(rowTiles, Math.max(1, (wantedTasks + columnBlocks - 1) / columnBlocks));
        int rowsPerGroup = (rowTiles + rowGroups - 1) / rowGroups * TILE_ROWS;
        rowGroups = (m + rowsPerGroup - 1) / rowsPerGroup;
        int tasks = rowGroups * columnBlocks;
        if (!parallelWorth || tasks == 1) {
            for (int task = 0; task < tasks; task++) p.task(task, columnBlocks, rowsPerGroup, WORKSPACE.get());
            return;
        }
        AtomicInteger next = new AtomicInteger();
        parallel.forRange(parallel.threads(), 1, (first, end) -> {
            Workspace w = WORKSPACE.get();
            for (int task = next.getAndIncrement(); task < tasks; task = next.getAndIncrement()) {
                p.task(task, columnBlocks, rowsPerGroup, w);
            }
        });
    }

    /** The operands of one product call: B is {@code b} through its strides, or, when {@code weights} is set, Wᵀ. */
    private record Product(int m, int n, int depth, int sliceDepth, int columnBlock, float[] a, int aOff, int aRowStride, int aDepthStride,
                           float[] b, int bOff, int bDepthStride, int bColumnStride, FloatTensor weights,
                           float[] c, int cOff, int cRowStride, boolean accumulate, float[] prepacked) {

        /** Where the micro-panel of rows from i0, K slice from k0 (of depth kc), starts in the pre-packed A. */
        private int prepackedBase(int i0, int k0, int kc) {
            return (m + TILE_ROWS - 1) / TILE_ROWS * TILE_ROWS * k0 + i0 * kc;
        }

        /** Rows [i0, i1) (whole micro-panels) of A, every K slice, into the pre-packed A. */
        void prepackA(int i0, int i1) {
            for (int k0 = 0; k0 < depth; k0 += sliceDepth) {
                int k1 = Math.min(depth, k0 + sliceDepth);
                packA(prepacked, prepackedBase(i0, k0, k1 - k0), i0, i1, k0, k1);
            }
        }

        /** Task {@code task}: column block task % columnBlocks, row group task / columnBlocks. */
        void task(int task, int columnBlocks, int rowsPerGroup, Workspace w) {
            int c0 = (task % columnBlocks) * columnBlock, c1 = Math.min(n, c0 + columnBlock);
            int r0 = (task / columnBlocks) * rowsPerGroup, r1 = Math.min(m, r0 + rowsPerGroup);
            for (int k0 = 0; k0 < depth; k0 += sliceDepth) {
                int k1 = Math.min(depth, k0 + sliceDepth);
                boolean loadC = accumulate || k0 > 0;
                if (weights != null) packWeights(w.packedB, w.weightRows, k0, k1, c0, c1);
                else packB(w.packedB, k0, k1, c0, c1);
                for (int i0 = r0; i0 < r1; i0 += ROW_BLOCK) {
                    int i1 = Math.min(r1, i0 + ROW_BLOCK);
                    int kc = k1 - k0;
                    if (prepacked != null) {
                        multiplyPanels(w, prepacked, prepackedBase(i0, k0, kc), i0, i1, c0, c1, kc, loadC);
                    } else {
                        packA(w.packedA, 0, i0, i1, k0, k1);
                        multiplyPanels(w, w.packedA, 0, i0, i1, c0, c1, kc, loadC);
                    }
                }
            }
        }

        /**
         * B(k0..k1, c0..c1) into micro-panels of TILE_COLUMNS columns: panel p holds, for each k,
         * its TILE_COLUMNS values contiguously; columns past c1 are zero.
         */
        private void packB(float[] packed, int k0, int k1, int c0, int c1) {
            int kc = k1 - k0;
            for (int j0 = c0; j0 < c1; j0 += TILE_COLUMNS) {
                int base = (j0 - c0) * kc;
                int width = Math.min(TILE_COLUMNS, c1 - j0);
                if (bColumnStride == 1) {
                    for (int kk = 0; kk < kc; kk++) {
                        int from = bOff + (k0 + kk) * bDepthStride + j0, to = base + kk * TILE_COLUMNS;
                        if (width == TILE_COLUMNS) {
                            FloatVector.fromArray(F, b, from).intoArray(packed, to);
                            FloatVector.fromArray(F, b, from + L).intoArray(packed, to + L);
                        } else {
                            System.arraycopy(b, from, packed, to, width);
                            java.util.Arrays.fill(packed, to + width, to + TILE_COLUMNS, 0f);
                        }
                    }
                } else { // B read down columns (the forward's Wᵀ): walk each column along k, contiguous when bDepthStride is 1
                    for (int j = 0; j < TILE_COLUMNS; j++) {
                        if (j < width) {
                            int from = bOff + k0 * bDepthStride + (j0 + j) * bColumnStride;
                            for (int kk = 0; kk < kc; kk++) packed[base + kk * TILE_COLUMNS + j] = b[from + kk * bDepthStride];
                        } else {
                            for (int kk = 0; kk < kc; kk++) packed[base + kk * TILE_COLUMNS + j] = 0f;
                        }
                    }
                }
            }
        }

        /**
         * B(k0..k1, c0..c1) = W[c0..c1, k0..k1]ᵀ into the micro-panels {@link #packB} makes:
         * TILE_COLUMNS rows of W are dequantized whole (the types' fast block paths), then
         * interleaved k by k; columns past c1 are zero.
         */
        private void packWeights(float[] packed, float[] rows, int k0, int k1, int c0, int c1) {
            int kc = k1 - k0;
            for (int j0 = c0; j0 < c1; j0 += TILE_COLUMNS) {
                int base = (j0 - c0) * kc;
                int width = Math.min(TILE_COLUMNS, c1 - j0);
                for (int j = 0; j < width; j++) weights.dequantize((long) (j0 + j) * depth + k0, rows, j * WEIGHT_ROW_STRIDE, kc);
                for (int kk = 0; kk < kc; kk++) {
                    int to = base + kk * TILE_COLUMNS;
                    for (int j = 0; j < width; j++) packed[to + j] = rows[j * WEIGHT_ROW_STRIDE + kk];
                    for (int j = width; j < TILE_COLUMNS; j++) packed[to + j] = 0f;
                }
            }
        }

        /**
         * A(i0..i1, k0..k1) into micro-panels of TILE_ROWS rows: panel p holds, for each k, its
         * TILE_ROWS values contiguously; rows past i1 are zero.
         */
        private void packA(float[] packed, int offset, int i0, int i1, int k0, int k1) {
            int kc = k1 - k0;
            for (int p0 = i0; p0 < i1; p0 += TILE_ROWS) {
                int base = offset + (p0 - i0) * kc;
                int height = Math.min(TILE_ROWS, i1 - p0);
                if (aRowStride == 1) { // A stored transposed: the rows of a k are contiguous
                    for (int kk = 0; kk < kc; kk++) {
                        int from = aOff + (k0 + kk) * aDepthStride + p0, to = base + kk * TILE_ROWS;
                        if (height == TILE_ROWS) {
                            FloatVector.fromArray(EIGHT, a, from).intoArray(packed, to);
                        } else {
                            for (int r = 0; r < height; r++) packed[to + r] = a[from + r];
                            for (int r = height; r < TILE_ROWS; r++) packed[to + r] = 0f;
                        }
                    }
                } else if (height == TILE_ROWS) { // A stored by rows: interleave eight row streams, writing the panel in order
                    int from = aOff + p0 * aRowStride + k0 * aDepthStride, rs = aRowStride, ds = aDepthStride;
                    for (int kk = 0, to = base; kk < kc; kk++, to += TILE_ROWS, from += ds) {
                        packed[to] = a[from];
                        packed[to + 1] = a[from + rs];
                        packed[to + 2] = a[from + 2 * rs];
                        packed[to + 3] = a[from + 3 * rs];
                        packed[to + 4] = a[from + 4 * rs];
                        packed[to + 5] = a[from + 5 * rs];
                        packed[to + 6] = a[from + 6 * rs];
                        packed[to + 7] = a[from + 7 * rs];
                    }
                } else {
                    for (int kk = 0; kk < kc; kk++) {
                        int to = base + kk * TILE_ROWS;
                        for (int r = 0; r < TILE_ROWS; r++) {
                            packed[to + r] = r < height ? a[aOff + (p0 + r) * aRowStride + (k0 + kk) * aDepthStride] : 0f;
                        }
                    }
                }
            }
        }

        /** C(i0..i1, c0..c1) (+)= packed A · packed B, tile by tile; edge tiles go through a scratch tile. */
        private void multiplyPanels(Workspace w, float[] packedA, int aOffset, int i0, int i1, int c0, int c1, int kc,
                                    boolean loadC) {
            for (int p0 = i0; p0 < i1; p0 += TILE_ROWS) {
                int aBase = aOffset + (p0 - i0) * kc;
                int height = Math.min(TILE_ROWS, i1 - p0);
                for (int j0 = c0; j0 < c1; j0 += TILE_COLUMNS) {
                    int bBase = (j0 - c0) * kc;
                    int width = Math.min(TILE_COLUMNS, c1 - j0);
                    int cBase = cOff + p0 * cRowStride + j0;
                    if (height == TILE_ROWS && width == TILE_COLUMNS) {
                        tile(packedA, aBase, w.packedB, bBase, kc, c, cBase, cRowStride, loadC);
                    } else {
                        float[] edge = w.edgeTile;
                        java.util.Arrays.fill(edge, 0f);
                        if (loadC) {
                            for (int r = 0; r < height; r++) System.arraycopy(c, cBase + r * cRowStride, edge, r * TILE_COLUMNS, width);
                        }
                        tile(packedA, aBase, w.packedB, bBase, kc, edge, 0, TILE_COLUMNS, true);
                        for (int r = 0; r < height; r++) System.arraycopy(edge, r * TILE_COLUMNS, c, cBase + r * cRowStride, width);
                    }
                }
            }
        }
    }

    /**
     * C[8 rows, 2 vectors] (+)= packed A micro-panel (kc × 8) · packed B micro-panel (kc × 2
     * vectors). Sixteen accumulators; written out in full (no helper taking vectors, so that C2
     * keeps them in registers).
     */
    private static void tile(float[] pa, int aBase, float[] pb, int bBase, int kc,
                             float[] c, int cBase, int ldc, boolean loadC) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (loadC) {
            c00 = FloatVector.fromArray(F, c, cBase); c01 = FloatVector.fromArray(F, c, cBase + L);
            c10 = FloatVector.fromArray(F, c, cBase + ldc); c11 = FloatVector.fromArray(F, c, cBase + ldc + L);
            c20 = FloatVector.fromArray(F, c, cBase + 2 * ldc); c21 = FloatVector.fromArray(F, c, cBase + 2 * ldc + L);
            c30 = FloatVector.fromArray(F, c, cBase + 3 * ldc); c31 = FloatVector.fromArray(F, c, cBase + 3 * ldc + L);
            c40 = FloatVector.fromArray(F, c, cBase + 4 * ldc); c41 = FloatVector.fromArray(F, c, cBase + 4 * ldc + L);
            c50 = FloatVector.fromArray(F, c, cBase + 5 * ldc); c51 = FloatVector.fromArray(F, c, cBase + 5 * ldc + L);
            c60 = FloatVector.fromArray(F, c, cBase + 6 * ldc); c61 = FloatVector.fromArray(F, c, cBase + 6 * ldc + L);
            c70 = FloatVector.fromArray(F, c, cBase + 7 * ldc); c71 = FloatVector.fromArray(F, c, cBase + 7 * ldc + L);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = FloatVector.zero(F);
        }
        for (int kk = 0; kk < kc; kk++) {
            int ai = aBase + kk * TILE_ROWS, bi = bBase + kk * TILE_COLUMNS;
            FloatVector b0 = FloatVector.fromArray(F, pb, bi);
            FloatVector b1 = FloatVector.fromArray(F, pb, bi + L);
            FloatVector x = FloatVector.broadcast(F, pa[ai]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, pa[ai + 1]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, pa[ai + 2]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, pa[ai + 3]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, pa[ai + 4]);
            c40 = b0.fma(x, c40); c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, pa[ai + 5]);
            c50 = b0.fma(x, c50); c51 = b1.fma(x, c51);
            x = FloatVector.broadcast(F, pa[ai + 6]);
            c60 = b0.fma(x, c60); c61 = b1.fma(x, c61);
            x = FloatVector.broadcast(F, pa[ai + 7]);
            c70 = b0.fma(x, c70); c71 = b1.fma(x, c71);
        }
        c00.intoArray(c, cBase); c01.intoArray(c, cBase + L);
        c10.intoArray(c, cBase + ldc); c11.intoArray(c, cBase + ldc + L);
        c20.intoArray(c, cBase + 2 * ldc); c21.intoArray(c, cBase + 2 * ldc + L);
        c30.intoArray(c, cBase + 3 * ldc); c31.intoArray(c, cBase + 3 * ldc + L);
        c40.intoArray(c, cBase + 4 * ldc); c41.intoArray(c, cBase + 4 * ldc + L);
        c50.intoArray(c, cBase + 5 * ldc); c51.intoArray(c, cBase + 5 * ldc + L);
        c60.intoArray(c, cBase + 6 * ldc); c61.intoArray(c, cBase + 6 * ldc + L);
        c70.intoArray(c, cBase + 7 * ldc); c71.intoArray(c, cBase + 7 * ldc + L);
    }

    /** Square blocks of a transpose: 32 × 32 floats, so reads and writes both stay in a few cache lines. */
    static final int TRANSPOSE_TILE = 32;

    /** out[cols, rows] = in[rows, cols]ᵀ. */
    public static void transpose(Parallel parallel, float[] in, int inOff, float[] out, int outOff, int rows, int cols) {
        final int tile = TRANSPOSE_TILE;
        int rowTiles = (rows + tile - 1) / tile;
        parallel.forRange(rowTiles, Math.max(1, (int) (MIN_PARALLEL_FLOPS / Math.max(1, tile * cols))), (first, end) -> {
            for (int rt = first; rt < end; rt++) {
                int r0 = rt * tile, r1 = Math.min(rows, r0 + tile);
                for (int c0 = 0; c0 < cols; c0 += tile) {
                    int c1 = Math.min(cols, c0 + tile);
                    for (int r = r0; r < r1; r++) {
                        for (int cc = c0; cc < c1; cc++) out[outOff + cc * rows + r] = in[inOff + r * cols + cc];
                    }
                }
            }
        });
    }
}
