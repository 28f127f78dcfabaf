package io.llama2j.train;

import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.kernels.AttentionOps;
import io.llama2j.train.kernels.CrossEntropyOps;
import io.llama2j.tensor.Gemm;
import io.llama2j.train.kernels.QuantizedMatrixOps;
import io.llama2j.train.kernels.RmsNormOps;
import io.llama2j.train.kernels.RopeOps;
import io.llama2j.train.kernels.SwiGluOps;

/**
 * The Llama 2 training forward pass and its hand-written backward (the training counterpart of
 * {@link io.llama2j.model.Llama}; llm.c train_gpt2.c's gpt2_forward / gpt2_backward). Both read
 * top to bottom like the paper; the kernels below them are in {@code io.llama2j.train.kernels}.
 * <pre>
 *   x = embedding[tokens]                                                      (N, D)
 *   per layer:  x = x + Wo · Attention(RoPE(Wq · n), RoPE(Wk · n), Wv · n),  n = RmsNorm(x)
 *               x = x + W2 · (silu(W1 · n) ⊙ (W3 · n)),                       n = RmsNorm(x)
 *   logits = Wout · RmsNorm(x)                                                 (N, V)
 *   loss = Σ_t mask_t · CE(logits_t, target_t)
 * </pre>
 * Gradients are added into {@link ModelParameters#gradients()}, so micro-batches accumulate
 * until the trainer zeroes them. Activation buffers are planned once for the batch shape.
 *
 * <p>With a {@link QuantizedWeights} base (QLoRA) the weights are frozen: the products go through
 * {@link QuantizedMatrixOps}, which dequantizes the stored blocks on the fly (no float copy, no
 * transposed copy), and only an attached adapter receives gradients.
 */
public final class TrainingModel {
    /** Elements below which an elementwise loop stays on one thread. */
    private static final int MIN_PARALLEL_ELEMENTS = 1 << 15;
    private final LlamaConfig config;
    private final TrainingWeights params;
    /** The same weights when they are a frozen quantized base (QLoRA), else null. */
    private final QuantizedWeights quantized;
    private final Parallel parallel;
    private final Activations a;
    private final RopeOps rope;
    private final AttentionOps attention;
    /** Every weight matrix transposed ([in, out] at the matrix's own offset) for the forward's products; null for a quantized base. */
    private final float[] transposed;
    /** Adapter beside every projection (LoRA), or null. */
    private ProjectionAdapter adapter;
    /** True inside forwardBackward (adapter dropout on), false for evaluation forwards. */
    private boolean training;

    public TrainingModel(TrainingWeights params, int batch, int seqLen, Parallel parallel) {
        this.config = params.config();
        this.params = params;
        this.quantized = params instanceof QuantizedWeights q ? q : null;
        this.parallel = parallel;
        if (seqLen > config.contextLength()) {
            throw new IllegalArgumentException("sequence length " + seqLen + " exceeds the model's context length "
                    + config.contextLength());
        }
        this.a = new Activations(config, batch, seqLen);
        this.rope = new RopeOps(config.headSize(), config.ropeTheta(), seqLen);
        this.attention = new AttentionOps(batch, seqLen, config.nHeads(), config.nKvHeads(), config.headSize());
        this.transposed = quantized == null ? new float[params.values().length] : null;
    }

    public int batch() { return a.batch; }

    public int seqLen() { return a.seqLen; }

    public TrainingWeights parameters() { return params; }

    /** Attaches {@code adapter} beside every projection (null detaches); see {@link ProjectionAdapter}. */
    public void attach(ProjectionAdapter adapter) { this.adapter = adapter; }

    /** Bytes of activation memory for a batch shape (before allocating it). */
    public static long activationBytes(LlamaConfig c, int batch, int seqLen) { return Activations.bytes(c, batch, seqLen); }

    /**
     * Forward and backward on one micro-batch: adds scale · ∇(Σ_t mask_t loss_t) to the gradients
     * and returns Σ_t mask_t loss_t. The trainer passes scale = 1 / (masked tokens of the whole
     * step), so that accumulated micro-batches give the gradient of the step's mean loss.
     */
    public double forwardBackward(TokenBatch batch, float scale) {
        training = true;
        try {
            forward(batch);
        } finally {
            training = false;
        }
        double loss = CrossEntropyOps.forwardBackward(parallel, a.logits, batch.targets(), batch.mask(),
                a.tokens, config.vocabSize(), scale, a.tokenLosses);
        backward(batch);
        return loss;
    }

    /** Σ_t mask_t loss_t of a batch, forward only (validation). */
    public double loss(TokenBatch batch) {
        forward(batch);
        return CrossEntropyOps.loss(a.logits, batch.targets(), batch.mask(), a.tokens, config.vocabSize());
    }

    /** The logits (N, V) of every position (a view of the model's buffer, overwritten by the next call). */
    public float[] logits(TokenBatch batch) {
        forward(batch);
        return a.logits;
    }

    // Hooks for reward models, DPO and PPO (io.llama2j.train.reward, .dpo, .rl): a scalar head on
    // the final hidden states, and a gradient given on per-token log-probabilities.

    /**
     * The final RMS-normed hidden states (N, D) of every position: the output projection's input,
     * which a reward model's scalar head reads instead (a view, overwritten by the next call).
     */
    public float[] finalHidden(TokenBatch batch) {
        forward(batch);
        return a.finalNormed;
    }

    /**
     * After {@link #finalHidden} on the same batch: adds to the gradients the backward of a
     * gradient {@code dHidden} (N, D) given on the final hidden states (the output projection
     * is skipped: it receives no gradient).
     */
    public void backwardFromFinalHidden(TokenBatch batch, float[] dHidden) {
        checkBatch(batch);
        if (dHidden.length != a.tokens * config.dim()) {
            throw new IllegalArgumentException("hidden-state gradient of " + dHidden.length + " values for "
                    + a.tokens + " x " + config.dim() + " hidden states");
        }
        System.arraycopy(dHidden, 0, a.dNormed, 0, dHidden.length);
        backwardFromFinalNorm(batch);
    }

    /** log p(target_t | inputs_≤t) of every position into {@code out} (N), mask ignored. */
    public void tokenLogProbs(TokenBatch batch, float[] out) {
        forward(batch);
        CrossEntropyOps.tokenLosses(a.logits, batch.targets(), a.tokens, config.vocabSize(), out);
        for (int t = 0; t < a.tokens; t++) out[t] = -out[t];
    }

    /**
     * After {@link #tokenLogProbs} on the same batch: adds to the gradients the backward of a
     * gradient {@code dLogProbs} (N) given on the per-token log-probabilities
     * (∂ log p_t / ∂z_t = onehot(target_t) − softmax(z_t)).
     */
    public void backwardFromLogProbs(TokenBatch batch, float[] dLogProbs) {
        checkBatch(batch);
        if (dLogProbs.length != a.tokens) {
            throw new IllegalArgumentException("log-prob gradient of " + dLogProbs.length + " values for " + a.tokens + " tokens");
        }
        // CE's gradient with weight −dLogProbs_t is exactly dLogProbs_t · (onehot − softmax)
        float[] weights = new float[a.tokens];
        for (int t = 0; t < a.tokens; t++) weights[t] = -dLogProbs[t];
        CrossEntropyOps.forwardBackward(parallel, a.logits, batch.targets(), weights, a.tokens, config.vocabSize(), 1f, null);
        backward(batch);
    }

    private void forward(TokenBatch batch) {
        checkBatch(batch);
        LlamaConfig c = config;
        TrainingWeights p = params;
        float[] w = p.values();
        int n = a.tokens, dim = c.dim(), vocab = c.vocabSize();
        float eps = c.rmsNormEps();
        if (quantized == null) transposeWeights();

        // x (N, D) = token embeddings
        int[] tokens = batch.inputs();
        for (int t = 0; t < n; t++) p.embed(tokens[t], a.residual[0], t * dim);
        for (int l = 0; l < c.nLayers(); l++) {
            float[] x = a.residual[l];
            // Attention block: n = RmsNorm(x); q, k, v = Wq n, Wk n, Wv n; RoPE on q and k
            RmsNormOps.forward(parallel, a.attentionIn[l], x, a.attentionRstd[l], w, p.attentionNorm[l].offset(), n, dim, eps);
            linear(a.q[l], a.attentionIn[l], p.wq[l]);
            linear(a.k[l], a.attentionIn[l], p.wk[l]);
            linear(a.v[l], a.attentionIn[l], p.wv[l]);
            rope.forward(a.q[l], n, c.nHeads());
            rope.forward(a.k[l], n, c.nKvHeads());
            // x_mid = x + Wo · Attention(q, k, v)
            attention.forward(parallel, a.context[l], a.probabilities[l], a.q[l], a.k[l], a.v[l]);
            linear(a.projected, a.context[l], p.wo[l]);
            add(a.residualMid[l], x, a.projected, n * dim);

            // FFN block (SwiGLU): x_next = x_mid + W2 (silu(W1 n) ⊙ W3 n), n = RmsNorm(x_mid)
            RmsNormOps.forward(parallel, a.ffnIn[l], a.residualMid[l], a.ffnRstd[l], w, p.ffnNorm[l].offset(), n, dim, eps);
            linear(a.gate[l], a.ffnIn[l], p.w1[l]);
            linear(a.up[l], a.ffnIn[l], p.w3[l]);
            SwiGluOps.forward(parallel, a.gated[l], a.gate[l], a.up[l], n * c.hiddenDim());
            linear(a.projected, a.gated[l], p.w2[l]);
            add(a.residual[l + 1], a.residualMid[l], a.projected, n * dim);
        }
        // logits (N, V) = Wout · RmsNorm(x)
        RmsNormOps.forward(parallel, a.finalNormed, a.residual[c.nLayers()], a.finalRstd, w, p.outputNorm.offset(), n, dim, eps);
        linear(a.logits, a.finalNormed, p.output);
        assert a.logits.length == n * vocab;
    }

    /** The backward of {@link #forward}, from the logits' gradient (already in a.logits) to every weight. */
    private void backward(TokenBatch batch) {
        TrainingWeights p = params;

        // Output projection and final norm: dx = RmsNorm'(Woutᵀ dlogits)
        linearBackward(a.dNormed, false, a.logits, a.finalNormed, p.output);
        backwardFromFinalNorm(batch);
    }

    /** The backward from the final norm's output gradient (in a.dNormed) to every weight below it. */
    private void backwardFromFinalNorm(TokenBatch batch) {
        LlamaConfig c = config;
        TrainingWeights p = params;
        float[] w = p.values(), dw = p.gradients();
        int n = a.tokens, dim = c.dim();
        java.util.Arrays.fill(a.dResidual, 0f);
        RmsNormOps.backward(parallel, a.dResidual, dw, p.outputNorm.offset(), a.dNormed, a.residual[c.nLayers()],
                a.finalRstd, w, p.outputNorm.offset(), n, dim);

        for (int l = c.nLayers() - 1; l >= 0; l--) {
            // FFN block: x_next = x_mid + W2 h, h = silu(g) ⊙ u, g = W1 n, u = W3 n, n = RmsNorm(x_mid)
            linearBackward(a.dGated, false, a.dResidual, a.gated[l], p.w2[l]);
            SwiGluOps.backward(parallel, a.dGate, a.dUp, a.dGated, a.gate[l], a.up[l], n * c.hiddenDim());
            linearBackward(a.dNormed, false, a.dGate, a.ffnIn[l], p.w1[l]);
            linearBackward(a.dNormed, true, a.dUp, a.ffnIn[l], p.w3[l]);
            System.arraycopy(a.dResidual, 0, a.dResidualMid, 0, n * dim); // the residual path
            RmsNormOps.backward(parallel, a.dResidualMid, dw, p.ffnNorm[l].offset(), a.dNormed, a.residualMid[l],
                    a.ffnRstd[l], w, p.ffnNorm[l].offset(), n, dim);

            // Attention block: x_mid = x + Wo · Attention(RoPE(Wq n), RoPE(Wk n), Wv n), n = RmsNorm(x)
            linearBackward(a.dContext, false, a.dResidualMid, a.context[l], p.wo[l]);
            attention.backward(parallel, a.dq, a.dk, a.dv, a.dContext, a.probabilities[l], a.q[l], a.k[l], a.v[l]);
            rope.backward(a.dq, n, c.nHeads());
            rope.backward(a.dk, n, c.nKvHeads());
            linearBackward(a.dNormed, false, a.dq, a.attentionIn[l], p.wq[l]);
            linearBackward(a.dNormed, true, a.dk, a.attentionIn[l], p.wk[l]);
            linearBackward(a.dNormed, true, a.dv, a.attentionIn[l], p.wv[l]);
            System.arraycopy(a.dResidualMid, 0, a.dResidual, 0, n * dim);
            RmsNormOps.backward(parallel, a.dResidual, dw, p.attentionNorm[l].offset(), a.dNormed, a.residual[l],
                    a.attentionRstd[l], w, p.attentionNorm[l].offset(), n, dim);
        }
        if (p.frozen()) return;
        // Embedding: each token's row receives its position's gradient (in token order: deterministic)
        int[] tokens = batch.inputs();
        int embedding = p.tokenEmbedding.offset();
        for (int t = 0; t < n; t++) {
            int row = embedding + tokens[t] * dim;
            for (int i = 0; i < dim; i++) dw[row + i] += a.dResidual[t * dim + i];
        }
    }

    /** out (N, rows) = in (N, cols) · Wᵀ for W (rows, cols). */
    private void linear(float[] out, float[] in, ParameterTensor weight) {
        if (quantized != null) {
            QuantizedMatrixOps.forward(parallel, quantized.matrix(weight), in, out, a.tokens, weight.rows(), weight.columns());
        } else {
            Gemm.multiply(parallel, in, 0, false, transposed, weight.offset(), out, 0,
                    a.tokens, weight.rows(), weight.columns(), false);
        }
        if (adapter != null) adapter.forward(weight, in, out, a.tokens, training);
    }

    /** dIn (N, cols) (+)= dOut (N, rows) · W and dW += dOutᵀ · in, for out = in · Wᵀ. */
    private void linearBackward(float[] dIn, boolean accumulate, float[] dOut, float[] in, ParameterTensor weight) {
        int rows = weight.rows(), cols = weight.columns();
        if (quantized != null) {
            QuantizedMatrixOps.backwardInput(parallel, quantized.matrix(weight), dOut, dIn, a.tokens, rows, cols, accumulate);
            if (adapter != null) adapter.backward(weight, dOut, in, dIn, a.tokens);
            return; // frozen: no weight gradient
        }
        Gemm.multiply(parallel, dOut, 0, false, params.values(), weight.offset(), dIn, 0, a.tokens, cols, rows, accumulate);
        if (adapter == null || adapter.trainsBase()) {
            Gemm.multiply(parallel, dOut, 0, true, in, 0, params.gradients(), weight.offset(), rows, cols, a.tokens, true);
        }
        if (adapter != null) adapter.backward(weight, dOut, in, dIn, a.tokens);
    }

    private void transposeWeights() {
        float[] w = params.values();
        for (ParameterTensor t : params.tensors()) {
            if (t.shape().length == 2) Gemm.transpose(parallel, w, t.offset(), transposed, t.offset(), t.rows(), t.columns());
        }
    }

    private void add(float[] out, float[] x, float[] y, int n) {
        parallel.forRange(n, MIN_PARALLEL_ELEMENTS, (first, end) -> {
            for (int i = first; i < end; i++) out[i] = x[i] + y[i];
        });
    }

    private void checkBatch(TokenBatch batch) {
        if (batch.batch() != a.batch || batch.seqLen() != a.seqLen) {
            throw new IllegalArgumentException("batch of " + batch.batch() + " x " + batch.seqLen()
                    + " tokens for a model planned for " + a.batch + " x " + a.seqLen);
        }
        int vocab = config.vocabSize();
        for (int i = 0; i < batch.tokens(); i++) {
            if (batch.inputs()[i] < 0 || batch.inputs()[i] >= vocab || batch.targets()[i] < 0 || batch.targets()[i] >= vocab) {
                throw new IllegalArgumentException("token id " + batch.inputs()[i] + " -> " + batch.targets()[i]
                        + " at position " + i + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
    }
}
