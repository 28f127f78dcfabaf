package io.llama2j.train.kernels;

import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.MatMul;
import io.llama2j.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A linear layer y = x·Wᵀ through a frozen weight W [rows, cols] kept in its storage type
 * (Q4_0, Q8_0, NF4 ...: QLoRA, Dettmers et al. 2023 §3), dequantized block by block on the fly
 * and never materialized whole in float32:
 * <pre>
 *   forward   y[T,rows]  = x[T,cols] · Wᵀ     MatMul (panels of dequantized rows, core's Gemm)
 *   backward  dx[T,cols] (+)= dy[T,rows] · W   below: panels of dequantized row slices
 * </pre>
 * W receives no gradient (it is frozen). The backward cuts dx's columns into slices of
 * {@link #COLUMN_SLICE} (one task each, split across threads); a task dequantizes
 * {@link #ROW_PANEL} rows of its slice at a time and adds their contribution to 4 tokens × one
 * vector of columns held in registers. Every element of dx is summed by one thread in row order,
 * so results do not depend on the thread count.
 */
public final class QuantizedMatrixOps {
    private QuantizedMatrixOps() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Columns per task: a multiple of every block size (32, 64, 256), so slices start at block boundaries. */
    static final int COLUMN_SLICE = 512;
    /** Rows of W dequantized per panel: ROW_PANEL × COLUMN_SLICE floats (128 KiB) stay in L2. */
    static final int ROW_PANEL = 64;
    /** Tokens per register tile. */
    private static final int TOKEN_TILE = 4;

    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[ROW_PANEL * COLUMN_SLICE]);

    /** out (tokens, rows) = in (tokens, cols) · Wᵀ. */
    public static void forward(Parallel parallel, FloatTensor w, float[] in, float[] out, int tokens, int rows, int cols) {
        MatMul.matMul(parallel, w, in, out, tokens, rows, cols);
    }

    /** dIn (tokens, cols) (+)= dOut (tokens, rows) · W; overwritten unless {@code accumulate}. */
    public static void backwardInput(Parallel parallel, FloatTensor w, float[] dOut, float[] dIn, int tokens, int rows, int cols,
                                     boolean accumulate) {
        int slices = (cols + COLUMN_SLICE - 1) / COLUMN_SLICE;
        parallel.forRange(slices, 1, (first, end) -> {
            float[] panel = PANEL.get();
            for (int s = first; s < end; s++) {
                int c0 = s * COLUMN_SLICE, width = Math.min(COLUMN_SLICE, cols - c0);
                if (!accumulate) {
                    for (int t = 0; t < tokens; t++) java.util.Arrays.fill(dIn, t * cols + c0, t * cols + c0 + width, 0f);
                }
                for (int r0 = 0; r0 < rows; r0 += ROW_PANEL) {
                    int n = Math.min(ROW_PANEL, rows - r0);
                    for (int i = 0; i < n; i++) w.dequantize((long) (r0 + i) * cols + c0, panel, i * width, width);
                    addPanel(panel, n, width, dOut, rows, r0, dIn, cols, c0, tokens);
                }
            }
        });
    }

    /** dIn[t, c0 + j] += Σ_{i < n} dOut[t, r0 + i] · panel[i, j] for every token t and j < width. */
    private static void addPanel(float[] panel, int n, int width, float[] dOut, int rows, int r0,
                                 float[] dIn, int cols, int c0, int tokens) {
        int byVector = width / L * L;
        int t = 0;
        for (; t + TOKEN_TILE <= tokens; t += TOKEN_TILE) {
            int g0 = t * rows + r0, g1 = g0 + rows, g2 = g1 + rows, g3 = g2 + rows;
            int d0 = t * cols + c0, d1 = d0 + cols, d2 = d1 + cols, d3 = d2 + cols;
            for (int j = 0; j < byVector; j += L) {
                FloatVector a0 = FloatVector.fromArray(F, dIn, d0 + j), a1 = FloatVector.fromArray(F, dIn, d1 + j);
                FloatVector a2 = FloatVector.fromArray(F, dIn, d2 + j), a3 = FloatVector.fromArray(F, dIn, d3 + j);
                for (int i = 0; i < n; i++) {
                    FloatVector p = FloatVector.fromArray(F, panel, i * width + j);
                    a0 = p.fma(FloatVector.broadcast(F, dOut[g0 + i]), a0);
                    a1 = p.fma(FloatVector.broadcast(F, dOut[g1 + i]), a1);
                    a2 = p.fma(FloatVector.broadcast(F, dOut[g2 + i]), a2);
                    a3 = p.fma(FloatVector.broadcast(F, dOut[g3 + i]), a3);
                }
                a0.intoArray(dIn, d0 + j); a1.intoArray(dIn, d1 + j); a2.intoArray(dIn, d2 + j); a3.intoArray(dIn, d3 + j);
            }
            for (int k = 0; k < TOKEN_TILE; k++) addScalar(panel, n, width, byVector, dOut, (t + k) * rows + r0, dIn, (t + k) * cols + c0);
        }
        for (; t < tokens; t++) addScalar(panel, n, width, 0, dOut, t * rows + r0, dIn, t * cols + c0);
    }

    /** The columns [from, width) of one token, one element at a time (the same row order). */
    private static void addScalar(float[] panel, int n, int width, int from, float[] dOut, int g, float[] dIn, int d) {
        for (int j = from; j < width; j++) {
            float sum = dIn[d + j];
            for (int i = 0; i < n; i++) sum = Math.fma(panel[i * width + j], dOut[g + i], sum);
            dIn[d + j] = sum;
        }
    }
}
