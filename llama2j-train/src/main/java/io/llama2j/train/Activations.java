package io.llama2j.train;

import io.llama2j.model.LlamaConfig;

/**
 * Every buffer one training forward and backward needs, allocated once for a (batch, seqLen)
 * (as llm.c plans its activation memory) and reused by every micro-batch. N = batch · seqLen
 * tokens, D = dim, KV = kvDim, H = hiddenDim, V = vocabSize, nh = heads, T = seqLen.
 */
final class Activations {
    final int batch, seqLen, tokens;

    // Saved by the forward for the backward, per layer l
    final float[][] residual;      // (L + 1, N, D): input of layer l; residual[L] feeds the final norm
    final float[][] attentionIn;   // (L, N, D): RmsNorm(residual[l])
    final float[][] attentionRstd; // (L, N)
    final float[][] q;             // (L, N, D) after RoPE
    final float[][] k;             // (L, N, KV) after RoPE
    final float[][] v;             // (L, N, KV)
    final float[][] probabilities; // (L, batch, nh, T, T) causal attention weights
    final float[][] context;       // (L, N, D) attention output before Wo
    final float[][] residualMid;   // (L, N, D): residual after the attention block
    final float[][] ffnIn;         // (L, N, D): RmsNorm(residualMid[l])
    final float[][] ffnRstd;       // (L, N)
    final float[][] gate;          // (L, N, H) W1 x
    final float[][] up;            // (L, N, H) W3 x
    final float[][] gated;         // (L, N, H) silu(gate) * up
    final float[] finalNormed;     // (N, D)
    final float[] finalRstd;       // (N)
    final float[] logits;          // (N, V), replaced by its gradient in the backward

    // Scratch of the forward and the backward (not saved)
    final float[] projected;       // (N, D) Wo · context, then W2 · gated
    final float[] dResidual;       // (N, D) gradient of the residual stream between blocks
    final float[] dResidualMid;    // (N, D)
    final float[] dNormed;         // (N, D) gradient of a norm's output
    final float[] dContext;        // (N, D)
    final float[] dq;              // (N, D)
    final float[] dk;              // (N, KV)
    final float[] dv;              // (N, KV)
    final float[] dGated;          // (N, H)
    final float[] dGate;           // (N, H)
    final float[] dUp;             // (N, H)
    final float[] tokenLosses;     // (N)

    Activations(LlamaConfig c, int batch, int seqLen) {
        this.batch = batch;
        this.seqLen = seqLen;
        long n = (long) batch * seqLen;
        int layers = c.nLayers();
        long attention = (long) batch * c.nHeads() * seqLen * seqLen;
        long largest = Math.max(Math.max(n * c.vocabSize(), attention), n * Math.max(c.dim(), c.hiddenDim()));
        if (largest > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a batch of " + batch + " x " + seqLen + " tokens needs a buffer of " + largest
                    + " floats (logits or attention), more than one Java array holds; use a smaller --batch or --seq");
        }
        this.tokens = (int) n;
        int d = c.dim(), kv = c.kvDim(), h = c.hiddenDim();
        residual = new float[layers + 1][tokens * d];
        attentionIn = new float[layers][tokens * d];
        attentionRstd = new float[layers][tokens];
        q = new float[layers][tokens * d];
        k = new float[layers][tokens * kv];
        v = new float[layers][tokens * kv];
        probabilities = new float[layers][(int) attention];
        context = new float[layers][tokens * d];
        residualMid = new float[layers][tokens * d];
        ffnIn = new float[layers][tokens * d];
        ffnRstd = new float[layers][tokens];
        gate = new float[layers][tokens * h];
        up = new float[layers][tokens * h];
        gated = new float[layers][tokens * h];
        finalNormed = new float[tokens * d];
        finalRstd = new float[tokens];
        logits = new float[tokens * c.vocabSize()];
        projected = new float[tokens * d];
        dResidual = new float[tokens * d];
        dResidualMid = new float[tokens * d];
        dNormed = new float[tokens * d];
        dContext = new float[tokens * d];
        dq = new float[tokens * d];
        dk = new float[tokens * kv];
        dv = new float[tokens * kv];
        dGated = new float[tokens * h];
        dGate = new float[tokens * h];
        dUp = new float[tokens * h];
        tokenLosses = new float[tokens];
    }

    /** Bytes of activation memory this plan holds (for the run's report). */
    static long bytes(LlamaConfig c, int batch, int seqLen) {
        long n = (long) batch * seqLen, d = c.dim(), kv = c.kvDim(), h = c.hiddenDim(), layers = c.nLayers();
        long perLayer = n * (7 * d + 2 * kv + 3 * h + 2) + (long) batch * c.nHeads() * seqLen * seqLen;
        long scratch = n * (6 * d + 2 * kv + 3 * h + 1);
        return Float.BYTES * (layers * perLayer + n * d + n * (d + 1) + n * c.vocabSize() + scratch);
    }
}
