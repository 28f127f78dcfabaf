package io.llama2j.train.kernels;

import io.llama2j.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The matrix product of training, C[M,N] (+)= op(A) · B, row-major float32, in the three roles
 * a linear layer y = x Wᵀ needs (llm.c's matmul_forward / matmul_backward):
 * <pre>
 *   forward   y[T,out]  = x[T,in]   · Wᵀ[in,out]     (A = x,  B = the transposed weight)
 *   backward  dx[T,in] += dy[T,out] · W[out,in]       (A = dy, B = W)
 *   backward  dW[out,in] += dyᵀ[out,T] · x[T,in]      (A = dy read transposed, B = x)
 * </pre>
 * One kernel serves all three: B is always read along rows, A one element at a time (broadcast),
 * so the inner loop is a row of B times a scalar of A, accumulated in registers.
 *
 * <p>Blocking (GotoBLAS, Goto and van de Geijn 2008): the work is cut into tasks of
 * {@link #ROW_BLOCK} rows × {@link #COLUMN_BLOCK} columns, split across threads; inside a task K
 * runs in slices of {@link #K_BLOCK} so that the slice of B (K_BLOCK × COLUMN_BLOCK floats) stays
 * in L2 while every row of the task passes over it; the register tile is 4 rows × 3 vectors
 * (12 accumulators). Every element of C is summed by one thread in a fixed k order with fused
 * multiply-adds, in the tiles and at the edges alike, so results depend neither on the thread
 * count nor on m and n: a row of C has the same bits however many rows are multiplied with it
 * (a reward model's score does not change with the padding after the sequence).
 */
public final class Gemm {
    private Gemm() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Rows of the register tile. */
    static final int TILE_ROWS = 4;
    /** Columns of the register tile: 3 vectors (48 floats with AVX-512). */
    static final int TILE_COLUMNS = 3 * L;
    /** Rows of C per task. */
    static final int ROW_BLOCK = 64;
    /** Columns of C per task (a multiple of the register tile). */
    static final int COLUMN_BLOCK = 8 * TILE_COLUMNS;
    /** Depth of one pass over B: K_BLOCK × COLUMN_BLOCK floats (≈ 384 KiB with AVX-512) fit L2. */
    static final int K_BLOCK = 256;

    /**
     * C[cOff + i·n + j] (+)= Σ_k A(i, k) · B[bOff + k·n + j] for i < m, j < n, with
     * A(i, k) = a[aOff + i·k + k] (A stored [m, k]) or, when {@code aTransposed},
     * a[aOff + k·m + i] (A stored [k, m]). Without {@code accumulate} C is overwritten.
     */
    public static void multiply(Parallel parallel, float[] a, int aOff, boolean aTransposed,
                                float[] b, int bOff, float[] c, int cOff,
                                int m, int n, int k, boolean accumulate) {
        int aRowStride = aTransposed ? 1 : k;
        int aDepthStride = aTransposed ? m : 1;
        // Rows per task: ROW_BLOCK, or fewer (whole register tiles) so that every thread gets work
        // when C is small (the weight gradients of a small model: m, n ~ 64, k = all tokens).
        int rowsPerTask = Math.max(TILE_ROWS, Math.min(ROW_BLOCK,
                (m / (2 * parallel.threads()) + TILE_ROWS - 1) / TILE_ROWS * TILE_ROWS));
        int rowBlocks = (m + rowsPerTask - 1) / rowsPerTask;
        int columnBlocks = (n + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        long flopsPerTask = 2L * rowsPerTask * Math.min(n, COLUMN_BLOCK) * k;
        int minTasks = (int) Math.max(1, MIN_PARALLEL_FLOPS / flopsPerTask);
        parallel.forRange(rowBlocks * columnBlocks, minTasks, (first, end) -> {
            for (int task = first; task < end; task++) {
                int r0 = (task / columnBlocks) * rowsPerTask, r1 = Math.min(m, r0 + rowsPerTask);
                int c0 = (task % columnBlocks) * COLUMN_BLOCK, c1 = Math.min(n, c0 + COLUMN_BLOCK);
                for (int k0 = 0; k0 < k; k0 += K_BLOCK) {
                    int k1 = Math.min(k, k0 + K_BLOCK);
                    boolean loadC = accumulate || k0 > 0;
                    block(a, aOff, aRowStride, aDepthStride, b, bOff, n, c, cOff, r0, r1, c0, c1, k0, k1, loadC);
                }
                if (k == 0 && !accumulate) {
                    for (int i = r0; i < r1; i++) java.util.Arrays.fill(c, cOff + i * n + c0, cOff + i * n + c1, 0f);
                }
            }
        });
    }

    /** Multiply-adds below which a product runs on the calling thread only. */
    static final long MIN_PARALLEL_FLOPS = 1L << 18;

    private static void block(float[] a, int aOff, int aRowStride, int aDepthStride, float[] b, int bOff, int n,
                              float[] c, int cOff, int r0, int r1, int c0, int c1, int k0, int k1, boolean loadC) {
        int rowsByTile = r0 + (r1 - r0) / TILE_ROWS * TILE_ROWS;
        int columnsByTile = c0 + (c1 - c0) / TILE_COLUMNS * TILE_COLUMNS;
        int columnsByVector = c0 + (c1 - c0) / L * L;
        for (int i = r0; i < rowsByTile; i += TILE_ROWS) {
            int aBase = aOff + i * aRowStride;
            for (int j = c0; j < columnsByTile; j += TILE_COLUMNS) {
                tile4x3(a, aBase, aRowStride, aDepthStride, b, bOff + j, n, c, cOff + i * n + j, k0, k1, loadC);
            }
            for (int j = columnsByTile; j < columnsByVector; j += L) {
                tile4x1(a, aBase, aRowStride, aDepthStride, b, bOff + j, n, c, cOff + i * n + j, k0, k1, loadC);
            }
        }
        // Edges: leftover rows (all columns) and leftover columns (tiled rows), one element at a time.
        for (int i = r0; i < r1; i++) {
            int jStart = i < rowsByTile ? columnsByVector : c0;
            for (int j = jStart; j < c1; j++) {
                float sum = loadC ? c[cOff + i * n + j] : 0f;
                int aIndex = aOff + i * aRowStride + k0 * aDepthStride;
                // fused, as the register tiles' lanes: an element's bits do not depend on whether it fell in a tile
                for (int kk = k0; kk < k1; kk++, aIndex += aDepthStride) sum = Math.fma(a[aIndex], b[bOff + kk * n + j], sum);
                c[cOff + i * n + j] = sum;
            }
        }
    }

    /** C[4, 3 vectors] (+)= A[4, k0..k1) · B[k0..k1, 3 vectors]. */
    private static void tile4x3(float[] a, int aBase, int rs, int ds, float[] b, int bBase, int n,
                                float[] c, int cBase, int k0, int k1, boolean loadC) {
        FloatVector c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32;
        if (loadC) {
            c00 = FloatVector.fromArray(F, c, cBase); c01 = FloatVector.fromArray(F, c, cBase + L); c02 = FloatVector.fromArray(F, c, cBase + 2 * L);
            c10 = FloatVector.fromArray(F, c, cBase + n); c11 = FloatVector.fromArray(F, c, cBase + n + L); c12 = FloatVector.fromArray(F, c, cBase + n + 2 * L);
            c20 = FloatVector.fromArray(F, c, cBase + 2 * n); c21 = FloatVector.fromArray(F, c, cBase + 2 * n + L); c22 = FloatVector.fromArray(F, c, cBase + 2 * n + 2 * L);
            c30 = FloatVector.fromArray(F, c, cBase + 3 * n); c31 = FloatVector.fromArray(F, c, cBase + 3 * n + L); c32 = FloatVector.fromArray(F, c, cBase + 3 * n + 2 * L);
        } else {
            c00 = c01 = c02 = c10 = c11 = c12 = c20 = c21 = c22 = c30 = c31 = c32 = FloatVector.zero(F);
        }
        int aIndex = aBase + k0 * ds;
        int bIndex = bBase + k0 * n;
        for (int kk = k0; kk < k1; kk++, aIndex += ds, bIndex += n) {
            FloatVector b0 = FloatVector.fromArray(F, b, bIndex);
            FloatVector b1 = FloatVector.fromArray(F, b, bIndex + L);
            FloatVector b2 = FloatVector.fromArray(F, b, bIndex + 2 * L);
            FloatVector a0 = FloatVector.broadcast(F, a[aIndex]);
            c00 = b0.fma(a0, c00); c01 = b1.fma(a0, c01); c02 = b2.fma(a0, c02);
            FloatVector a1 = FloatVector.broadcast(F, a[aIndex + rs]);
            c10 = b0.fma(a1, c10); c11 = b1.fma(a1, c11); c12 = b2.fma(a1, c12);
            FloatVector a2 = FloatVector.broadcast(F, a[aIndex + 2 * rs]);
            c20 = b0.fma(a2, c20); c21 = b1.fma(a2, c21); c22 = b2.fma(a2, c22);
            FloatVector a3 = FloatVector.broadcast(F, a[aIndex + 3 * rs]);
            c30 = b0.fma(a3, c30); c31 = b1.fma(a3, c31); c32 = b2.fma(a3, c32);
        }
        c00.intoArray(c, cBase); c01.intoArray(c, cBase + L); c02.intoArray(c, cBase + 2 * L);
        c10.intoArray(c, cBase + n); c11.intoArray(c, cBase + n + L); c12.intoArray(c, cBase + n + 2 * L);
        c20.intoArray(c, cBase + 2 * n); c21.intoArray(c, cBase + 2 * n + L); c22.intoArray(c, cBase + 2 * n + 2 * L);
        c30.intoArray(c, cBase + 3 * n); c31.intoArray(c, cBase + 3 * n + L); c32.intoArray(c, cBase + 3 * n + 2 * L);
    }

    /** C[4, 1 vector] (+)= A[4, k0..k1) · B[k0..k1, 1 vector]: the columns left after the 3-vector tiles. */
    private static void tile4x1(float[] a, int aBase, int rs, int ds, float[] b, int bBase, int n,
                                float[] c, int cBase, int k0, int k1, boolean loadC) {
        FloatVector c0, c1, c2, c3;
        if (loadC) {
            c0 = FloatVector.fromArray(F, c, cBase); c1 = FloatVector.fromArray(F, c, cBase + n);
            c2 = FloatVector.fromArray(F, c, cBase + 2 * n); c3 = FloatVector.fromArray(F, c, cBase + 3 * n);
        } else {
            c0 = c1 = c2 = c3 = FloatVector.zero(F);
        }
        int aIndex = aBase + k0 * ds;
        int bIndex = bBase + k0 * n;
        for (int kk = k0; kk < k1; kk++, aIndex += ds, bIndex += n) {
            FloatVector b0 = FloatVector.fromArray(F, b, bIndex);
            c0 = b0.fma(FloatVector.broadcast(F, a[aIndex]), c0);
            c1 = b0.fma(FloatVector.broadcast(F, a[aIndex + rs]), c1);
            c2 = b0.fma(FloatVector.broadcast(F, a[aIndex + 2 * rs]), c2);
            c3 = b0.fma(FloatVector.broadcast(F, a[aIndex + 3 * rs]), c3);
        }
        c0.intoArray(c, cBase); c1.intoArray(c, cBase + n); c2.intoArray(c, cBase + 2 * n); c3.intoArray(c, cBase + 3 * n);
    }

    /** Square blocks of a transpose: 32 × 32 floats, so reads and writes both stay in a few cache lines. */
    static final int TRANSPOSE_TILE = 32;

    /** out[cols, rows] = in[rows, cols]ᵀ (the forward pass reads weights transposed). */
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
