package io.llama2j.tensor;

import jdk.incubator.vector.FloatVector;

import static io.llama2j.tensor.Vectors.F;
import static io.llama2j.tensor.Vectors.L;

/**
 * The matrix-matrix product of a decoding step over several sequences (and of prompt batches
 * under {@link MatMul#GEMM_MIN_TOKENS} tokens), out[t, r] = Σ_c W[r, c] · x[t, c], where each
 * token's outputs must be exactly those it gets alone; larger prompt batches take the faster
 * {@link Gemm#multiplyByWeights}, which sums in another order. W's rows are dequantized
 * {@link #PANEL_ROWS} at a time into a float panel (once per batch instead of once per token),
 * and the panel is multiplied with the batch by a register-
 * blocked micro-kernel of ROW_BLOCK rows × {@link #TOKEN_BLOCK} tokens, whose 16 vector
 * accumulators stay in registers for the whole row (Goto and van de Geijn 2008, "Anatomy of
 * high-performance matrix multiplication", §4: each loaded vector feeds 4 multiply-adds).
 *
 * <p>Numerics: each output is {@link FloatArrays#dot} of W's dequantized row (bit-identical to
 * {@link FloatTensor#dequantize}) and the token, whichever path computed it, so a token's
 * result does not depend on the other tokens of the batch (which is what lets continuous
 * batching give every sequence the output it gets alone). For float32 weights that is
 * {@link F32Tensor#dot} bit for bit; for quantized types it differs from their fused
 * {@link FloatTensor#dot} only by float32 rounding.
 */
final class BatchedDot {
    private BatchedDot() {}

    /** Rows of W per micro-kernel. */
    static final int ROW_BLOCK = 4;
    /** Tokens per micro-kernel. */
    static final int TOKEN_BLOCK = 4;
    /**
     * Rows of W dequantized into one panel (a multiple of ROW_BLOCK). Each block of TOKEN_BLOCK
     * tokens is multiplied with every ROW_BLOCK rows of the panel before the next block is read,
     * so those tokens come from L1/L2 PANEL_ROWS / ROW_BLOCK times for one read from L3 (measured
     * when this kernel also ran prompts: with 4-row panels a 512-token batch of a 7B prompt, 8 MB,
     * streamed from L3 once per 4 rows, and L3 bandwidth, not the multiply-adds, set the speed). 16 rows of 4096 floats (256 KB) and
     * 4 tokens (64 KB) stay in a 1 MB L2.
     */
    static final int PANEL_ROWS = 16;

    /** One thread's panel of PANEL_ROWS dequantized rows (grown to the widest matrix it met). */
    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[0]);

    /** out[t * rows + r] for r in [0, rows), t in [0, tokens), with x [tokens, cols] row-major. */
    static void multiply(Parallel parallel, FloatTensor w, float[] x, float[] out, int tokens, int rows, int cols) {
        int panels = (rows + PANEL_ROWS - 1) / PANEL_ROWS;
        long workPerPanel = (long) PANEL_ROWS * cols * tokens;
        int minPanels = (int) Math.max(1, MatMul.MIN_PARALLEL_WORK / workPerPanel);
        parallel.forRange(panels, minPanels, (panelStart, panelEnd) -> {
            float[] panel = PANEL.get();
            if (panel.length < PANEL_ROWS * cols) {
                panel = new float[PANEL_ROWS * cols];
                PANEL.set(panel);
            }
            for (int b = panelStart; b < panelEnd; b++) {
                int r0 = b * PANEL_ROWS;
                int n = Math.min(PANEL_ROWS, rows - r0);
                w.dequantize((long) r0 * cols, panel, 0, n * cols);
                int whole = Vectors.ENABLED ? n / ROW_BLOCK * ROW_BLOCK : 0; // rows the micro-kernel takes
                int t = 0;
                for (; t + TOKEN_BLOCK <= tokens && whole > 0; t += TOKEN_BLOCK) {
                    for (int i = 0; i < whole; i += ROW_BLOCK) block4x4(panel, i * cols, x, t, cols, out, rows, r0 + i);
                }
                for (int tt = 0; tt < tokens; tt++) {
                    for (int i = tt < t ? whole : 0; i < n; i++) out[tt * rows + r0 + i] = dot(panel, i * cols, x, tt * cols, cols);
                }
            }
        });
    }

    /** out[t0 + j, r0 + i] for i, j in [0, 4): four panel rows (from {@code p0}) times four tokens. */
    private static void block4x4(float[] p, int p0, float[] x, int t0, int cols, float[] out, int rows, int r0) {
        int p1 = p0 + cols, p2 = p1 + cols, p3 = p2 + cols;
        int x0 = t0 * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int c = 0;
        for (; c + L <= cols; c += L) {
            FloatVector w0 = FloatVector.fromArray(F, p, p0 + c);
            FloatVector w1 = FloatVector.fromArray(F, p, p1 + c);
            FloatVector w2 = FloatVector.fromArray(F, p, p2 + c);
            FloatVector w3 = FloatVector.fromArray(F, p, p3 + c);
            FloatVector v = FloatVector.fromArray(F, x, x0 + c);
            a00 = w0.fma(v, a00); a10 = w1.fma(v, a10); a20 = w2.fma(v, a20); a30 = w3.fma(v, a30);
            v = FloatVector.fromArray(F, x, x1 + c);
            a01 = w0.fma(v, a01); a11 = w1.fma(v, a11); a21 = w2.fma(v, a21); a31 = w3.fma(v, a31);
            v = FloatVector.fromArray(F, x, x2 + c);
            a02 = w0.fma(v, a02); a12 = w1.fma(v, a12); a22 = w2.fma(v, a22); a32 = w3.fma(v, a32);
            v = FloatVector.fromArray(F, x, x3 + c);
            a03 = w0.fma(v, a03); a13 = w1.fma(v, a13); a23 = w2.fma(v, a23); a33 = w3.fma(v, a33);
        }
        int o0 = t0 * rows + r0, o1 = o0 + rows, o2 = o1 + rows, o3 = o2 + rows;
        out[o0] = tail(p, p0, x, x0, c, cols, Vectors.sum(a00)); out[o0 + 1] = tail(p, p1, x, x0, c, cols, Vectors.sum(a10));
        out[o0 + 2] = tail(p, p2, x, x0, c, cols, Vectors.sum(a20)); out[o0 + 3] = tail(p, p3, x, x0, c, cols, Vectors.sum(a30));
        out[o1] = tail(p, p0, x, x1, c, cols, Vectors.sum(a01)); out[o1 + 1] = tail(p, p1, x, x1, c, cols, Vectors.sum(a11));
        out[o1 + 2] = tail(p, p2, x, x1, c, cols, Vectors.sum(a21)); out[o1 + 3] = tail(p, p3, x, x1, c, cols, Vectors.sum(a31));
        out[o2] = tail(p, p0, x, x2, c, cols, Vectors.sum(a02)); out[o2 + 1] = tail(p, p1, x, x2, c, cols, Vectors.sum(a12));
        out[o2 + 2] = tail(p, p2, x, x2, c, cols, Vectors.sum(a22)); out[o2 + 3] = tail(p, p3, x, x2, c, cols, Vectors.sum(a32));
        out[o3] = tail(p, p0, x, x3, c, cols, Vectors.sum(a03)); out[o3 + 1] = tail(p, p1, x, x3, c, cols, Vectors.sum(a13));
        out[o3 + 2] = tail(p, p2, x, x3, c, cols, Vectors.sum(a23)); out[o3 + 3] = tail(p, p3, x, x3, c, cols, Vectors.sum(a33));
    }

    /**
     * {@code lanes} (the vector part's sum) plus the scalar tail [from, cols) of one row times one
     * token, added one product at a time as {@link FloatArrays#dot} does, so that a token's
     * result is the same whether the micro-kernel or the single-token loop computed it.
     * (Reductions stay in the caller: a vector passed to a method C2 does not inline is boxed.)
     */
    private static float tail(float[] p, int pRow, float[] x, int xRow, int from, int cols, float lanes) {
        float s = lanes;
        for (int c = from; c < cols; c++) s += p[pRow + c] * x[xRow + c];
        return s;
    }

    private static float dot(float[] a, int ao, float[] b, int bo, int n) {
        return FloatArrays.dot(a, ao, b, bo, n);
    }
}
