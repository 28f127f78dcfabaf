package io.llama2j.train.kernels;

import io.llama2j.tensor.Parallel;

/**
 * Causal scaled dot-product attention with grouped-query heads (Vaswani et al. 2017 §3.2.1;
 * Ainslie et al. 2023) over a batch of sequences, and its backward. Query head h reads key/value
 * head h / (nHeads / nKvHeads). Per sequence b, head h, query position t:
 * <pre>
 *   p[t, s] = softmax_s≤t(q_t · k_s / √headSize)       out_t = Σ_s p[t, s] v_s
 *   backward: dp[t, s] = dout_t · v_s                 dv_s += p[t, s] dout_t
 *             dscore[t, s] = p[t, s] (dp[t, s] − Σ_s' p[t, s'] dp[t, s'])
 *             dq_t = Σ_s dscore[t, s] k_s / √hs       dk_s += dscore[t, s] q_t / √hs
 * </pre>
 * The forward splits (sequence, head) pairs across threads; the backward splits (sequence,
 * key/value head) so that the heads sharing a key/value head add into it on one thread.
 */
public final class AttentionOps {
    private final int batch, seqLen, nHeads, nKvHeads, headSize;

    public AttentionOps(int batch, int seqLen, int nHeads, int nKvHeads, int headSize) {
        this.batch = batch;
        this.seqLen = seqLen;
        this.nHeads = nHeads;
        this.nKvHeads = nKvHeads;
        this.headSize = headSize;
    }

    /** Floats of the probabilities buffer: (batch, nHeads, seqLen, seqLen). */
    public long probabilitiesSize() { return (long) batch * nHeads * seqLen * seqLen; }

    /**
     * out (batch·seqLen, nHeads·hs) from q (batch·seqLen, nHeads·hs), k and v (batch·seqLen,
     * nKvHeads·hs); the probabilities p are kept for the backward.
     */
    public void forward(Parallel parallel, float[] out, float[] p, float[] q, float[] k, float[] v) {
        int dim = nHeads * headSize, kvDim = nKvHeads * headSize, group = nHeads / nKvHeads;
        float scale = (float) (1.0 / Math.sqrt(headSize));
        parallel.forRange(batch * nHeads, 1, (first, end) -> {
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
                        float score = VectorMath.dot(q, qBase, k, kBase, headSize) * scale;
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

    /** dq, dk, dv (overwritten) from dout and the forward's q, k, v and probabilities. */
    public void backward(Parallel parallel, float[] dq, float[] dk, float[] dv, float[] dout,
                         float[] p, float[] q, float[] k, float[] v) {
        int dim = nHeads * headSize, kvDim = nKvHeads * headSize, group = nHeads / nKvHeads;
        float scale = (float) (1.0 / Math.sqrt(headSize));
        parallel.forRange(batch * nKvHeads, 1, (first, end) -> {
            float[] dp = new float[seqLen];
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
                            float d = VectorMath.dot(dout, qBase, v, vBase, headSize);
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
