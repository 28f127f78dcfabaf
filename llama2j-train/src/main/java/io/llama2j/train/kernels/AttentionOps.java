package io.llama2j.train.kernels;

import io.llama2j.tensor.Gemm;
import io.llama2j.tensor.Parallel;

/**
 * Causal scaled dot-product attention with grouped-query heads (Vaswani et al. 2017 §3.2.1;
 * Ainslie et al. 2023) over a batch of sequences, and its backward. Query head h reads key/value
 * head h / (nHeads / nKvHeads). Per sequence b and head h, with Q, K, V the head's (T, hs) slices:
 * <pre>
 *   P = softmax_causal(Q Kᵀ / √hs)          out = P V                       (P kept for the backward)
 *   backward: dP = dout Vᵀ                  dV += Pᵀ dout
 *             dS = P ⊙ (dP − rowsum(P ⊙ dP)) / √hs
 *             dQ = dS K                     dK += dSᵀ Q
 * </pre>
 * For heads at least as wide as Gemm's register tile every product is a {@link Gemm} call on
 * strided slices of the activations (the head's columns of q, k, v), so attention runs at
 * matrix-product speed instead of one short dot product per (t, s) pair; narrower heads keep
 * the per-pair loops. The products cover the whole T × T square: P and dS are zero above the diagonal,
 * so the masked half adds exact zeros (twice the causal FLOPs, still far faster than scalar
 * loops at head sizes of 48-64). The forward splits (sequence, head) pairs across threads; the
 * backward splits (sequence, key/value head) so that the heads sharing a key/value head add into
 * it on one thread, in head order.
 */
public final class AttentionOps {
    /**
     * The per-head products run inside the loop over heads, one head per thread: on one thread,
     * so that Gemm does not cut them into tasks meant for several (each would repack B).
     */
    private static final Parallel SERIAL = new Parallel(1);
    private final int batch, seqLen, nHeads, nKvHeads, headSize;
    /** One thread's T × T scratch for dP and dS. */
    private final ThreadLocal<float[]> scoreGradient;

    public AttentionOps(int batch, int seqLen, int nHeads, int nKvHeads, int headSize) {
        this.batch = batch;
        this.seqLen = seqLen;
        this.nHeads = nHeads;
        this.nKvHeads = nKvHeads;
        this.headSize = headSize;
        this.scoreGradient = ThreadLocal.withInitial(() -> new float[seqLen * seqLen]);
    }

    /** Floats of the probabilities buffer: (batch, nHeads, seqLen, seqLen). */
    public long probabilitiesSize() { return (long) batch * nHeads * seqLen * seqLen; }

    /**
     * out (batch·seqLen, nHeads·hs) from q (batch·seqLen, nHeads·hs), k and v (batch·seqLen,
     * nKvHeads·hs); the probabilities p (zero above the diagonal) are kept for the backward.
     */
    public void forward(Parallel parallel, float[] out, float[] p, float[] q, float[] k, float[] v) {
        if (byProducts()) {
            forwardByProducts(parallel, out, p, q, k, v);
        } else {
            forwardByRows(parallel, out, p, q, k, v);
        }
    }

    /** dq, dk, dv (overwritten) from dout and the forward's q, k, v and probabilities. */
    public void backward(Parallel parallel, float[] dq, float[] dk, float[] dv, float[] dout,
                         float[] p, float[] q, float[] k, float[] v) {
        if (byProducts()) {
            backwardByProducts(parallel, dq, dk, dv, dout, p, q, k, v);
        } else {
            backwardByRows(parallel, dq, dk, dv, dout, p, q, k, v);
        }
    }

    /**
     * Heads at least as wide as Gemm's register tile run as matrix products; narrower heads
     * (stories260K: 8) would make every product's tile an edge tile, and run as the per-row loops.
     */
    private boolean byProducts() { return headSize >= Gemm.TILE_COLUMNS; }

    private void forwardByProducts(Parallel parallel, float[] out, float[] p, float[] q, float[] k, float[] v) {
        int dim = nHeads * headSize, kvDim = nKvHeads * headSize, group = nHeads / nKvHeads, t2 = seqLen * seqLen;
        float scale = (float) (1.0 / Math.sqrt(headSize));
        parallel.forRange(batch * nHeads, 1, (first, end) -> {
            for (int bh = first; bh < end; bh++) {
                int b = bh / nHeads, h = bh % nHeads;
                int qOff = b * seqLen * dim + h * headSize;
                int kvOff = b * seqLen * kvDim + (h / group) * headSize;
                int pOff = bh * t2;
                // S = Q Kᵀ: B(c, s) = k[s, c], K read down its rows
                Gemm.multiply(SERIAL, seqLen, seqLen, headSize, q, qOff, dim, 1, k, kvOff, 1, kvDim, p, pOff, seqLen, false);
                for (int t = 0; t < seqLen; t++) softmaxRow(p, pOff + t * seqLen, t + 1, seqLen, scale);
                // out = P V
                Gemm.multiply(SERIAL, seqLen, headSize, seqLen, p, pOff, seqLen, 1, v, kvOff, kvDim, 1, out, qOff, dim, false);
            }
        });
    }

    /** row[0..visible) = softmax(scale · row[0..visible)); row[visible..width) = 0 (the causal mask). */
    private static void softmaxRow(float[] p, int row, int visible, int width, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int s = 0; s < visible; s++) max = Math.max(max, p[row + s] * scale);
        float sum = 0f;
        for (int s = 0; s < visible; s++) {
            float e = (float) Math.exp(p[row + s] * scale - max);
            p[row + s] = e;
            sum += e;
        }
        float inverse = 1f / sum;
        for (int s = 0; s < visible; s++) p[row + s] *= inverse;
        java.util.Arrays.fill(p, row + visible, row + width, 0f);
    }

    private void backwardByProducts(Parallel parallel, float[] dq, float[] dk, float[] dv, float[] dout,
                                    float[] p, float[] q, float[] k, float[] v) {
        int dim = nHeads * headSize, kvDim = nKvHeads * headSize, group = nHeads / nKvHeads, t2 = seqLen * seqLen;
        float scale = (float) (1.0 / Math.sqrt(headSize));
        parallel.forRange(batch * nKvHeads, 1, (first, end) -> {
            float[] ds = scoreGradient.get();
            for (int bkv = first; bkv < end; bkv++) {
                int b = bkv / nKvHeads, kvHead = bkv % nKvHeads;
                int kvOff = b * seqLen * kvDim + kvHead * headSize;
                for (int s = 0; s < seqLen; s++) {
                    java.util.Arrays.fill(dk, kvOff + s * kvDim, kvOff + s * kvDim + headSize, 0f);
                    java.util.Arrays.fill(dv, kvOff + s * kvDim, kvOff + s * kvDim + headSize, 0f);
                }
                for (int h = kvHead * group; h < (kvHead + 1) * group; h++) {
                    int qOff = b * seqLen * dim + h * headSize;
                    int pOff = (b * nHeads + h) * t2;
                    // dP = dout Vᵀ, dV += Pᵀ dout
                    Gemm.multiply(SERIAL, seqLen, seqLen, headSize, dout, qOff, dim, 1, v, kvOff, 1, kvDim, ds, 0, seqLen, false);
                    Gemm.multiply(SERIAL, seqLen, headSize, seqLen, p, pOff, 1, seqLen, dout, qOff, dim, 1, dv, kvOff, kvDim, true);
                    // dS = P ⊙ (dP − Σ_s P dP) / √hs (zero above the diagonal, where P is)
                    for (int t = 0; t < seqLen; t++) {
                        int row = t * seqLen;
                        float weightedSum = 0f;
                        for (int s = 0; s <= t; s++) weightedSum += p[pOff + row + s] * ds[row + s];
                        for (int s = 0; s <= t; s++) ds[row + s] = p[pOff + row + s] * (ds[row + s] - weightedSum) * scale;
                        java.util.Arrays.fill(ds, row + t + 1, row + seqLen, 0f);
                    }
                    // dQ = dS K, dK += dSᵀ Q
                    Gemm.multiply(SERIAL, seqLen, headSize, seqLen, ds, 0, seqLen, 1, k, kvOff, kvDim, 1, dq, qOff, dim, false);
                    Gemm.multiply(SERIAL, seqLen, headSize, seqLen, ds, 0, 1, seqLen, q, qOff, dim, 1, dk, kvOff, kvDim, true);
                }
            }
        });
    }

    // Narrow heads: one (t, s) pair at a time with short vectors (VectorMath); only s ≤ t of p is written and read.

    private void forwardByRows(Parallel parallel, float[] out, float[] p, float[] q, float[] k, float[] v) {
        int dim = nHeads * headSize, kvDim = nKvHeads * headSize, group = nHeads / nKvHeads;
        float scale = (float) (1.0 / Math.sqrt(headSize));
        parallel.forRange(batch * nHeads, 1, (first, end) -> {
            float[] scratch = new float[VectorMath.SCRATCH];
            for (int bh = first; bh < end; bh++) {
                int b = bh / nHeads, h = bh % nHeads;
                int kvOffset = (h / group) * headSize;
                for (int t = 0; t < seqLen; t++) {
                    int row = b * seqLen + t;
                    int qBase = row * dim + h * headSize;
                    int pBase = ((bh * seqLen) + t) * seqLen;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int s = 0; s <= t; s++) {
                        int kBase = (b * seqLen + s) * kvDim + kvOffset;
                        float score = VectorMath.dot(q, qBase, k, kBase, headSize, scratch) * scale;
                        p[pBase + s] = score;
                        max = Math.max(max, score);
                    }
                    float sum = 0f;
                    for (int s = 0; s <= t; s++) {
                        float e = (float) Math.exp(p[pBase + s] - max);
                        p[pBase + s] = e;
                        sum += e;
                    }
                    float inverse = 1f / sum;
                    int outBase = row * dim + h * headSize;
                    java.util.Arrays.fill(out, outBase, outBase + headSize, 0f);
                    for (int s = 0; s <= t; s++) {
                        float weight = p[pBase + s] * inverse;
                        p[pBase + s] = weight;
                        int vBase = (b * seqLen + s) * kvDim + kvOffset;
                        VectorMath.axpy(weight, v, vBase, out, outBase, headSize);
                    }
                }
            }
        });
    }

    private void backwardByRows(Parallel parallel, float[] dq, float[] dk, float[] dv, float[] dout,
                         float[] p, float[] q, float[] k, float[] v) {
        int dim = nHeads * headSize, kvDim = nKvHeads * headSize, group = nHeads / nKvHeads;
        float scale = (float) (1.0 / Math.sqrt(headSize));
        parallel.forRange(batch * nKvHeads, 1, (first, end) -> {
            float[] dp = new float[seqLen];
            float[] scratch = new float[VectorMath.SCRATCH];
            for (int bkv = first; bkv < end; bkv++) {
                int b = bkv / nKvHeads, kvHead = bkv % nKvHeads;
                int kvOffset = kvHead * headSize;
                for (int s = 0; s < seqLen; s++) {
                    int kvBase = (b * seqLen + s) * kvDim + kvOffset;
                    java.util.Arrays.fill(dk, kvBase, kvBase + headSize, 0f);
                    java.util.Arrays.fill(dv, kvBase, kvBase + headSize, 0f);
                }
                for (int h = kvHead * group; h < (kvHead + 1) * group; h++) {
                    int bh = b * nHeads + h;
                    for (int t = 0; t < seqLen; t++) {
                        int row = b * seqLen + t;
                        int qBase = row * dim + h * headSize;
                        int pBase = ((bh * seqLen) + t) * seqLen;
                        float weightedSum = 0f; // Σ_s p[t, s] dp[t, s]
                        for (int s = 0; s <= t; s++) {
                            int vBase = (b * seqLen + s) * kvDim + kvOffset;
                            float d = VectorMath.dot(dout, qBase, v, vBase, headSize, scratch);
                            dp[s] = d;
                            weightedSum += p[pBase + s] * d;
                            float weight = p[pBase + s];
                            VectorMath.axpy(weight, dout, qBase, dv, vBase, headSize);
                        }
                        java.util.Arrays.fill(dq, qBase, qBase + headSize, 0f);
                        for (int s = 0; s <= t; s++) {
                            float dScore = p[pBase + s] * (dp[s] - weightedSum) * scale;
                            int kBase = (b * seqLen + s) * kvDim + kvOffset;
                            VectorMath.axpy(dScore, k, kBase, dq, qBase, headSize);
                            VectorMath.axpy(dScore, q, qBase, dk, kBase, headSize);
                        }
                    }
                }
            }
        });
    }
}
