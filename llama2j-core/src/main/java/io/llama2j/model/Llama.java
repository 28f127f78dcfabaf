package io.llama2j.model;

import io.llama2j.lora.LoraAdapter;
import io.llama2j.lora.LoraTarget;
import io.llama2j.tensor.ActivationPrecision;
import io.llama2j.tensor.FloatArrays;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.MatMul;
import io.llama2j.tensor.Parallel;

/**
 * A Llama 2 model ready to run: configuration, weights and the forward pass (Touvron et al.
 * 2023, "Llama 2", §2; Meta's model.py; llama2.c run.c {@code forward}). The whole inference
 * computation is {@link #forward}, read top to bottom:
 * <pre>
 *   x = embedding[token]
 *   per layer:  x += Wo · Attention(RoPE(Wq · RmsNorm(x)), RoPE(Wk · RmsNorm(x)), Wv · RmsNorm(x))
 *               x += W2 · (silu(W1 · RmsNorm(x)) * (W3 · RmsNorm(x)))        (SwiGLU FFN)
 *   logits = Wout · RmsNorm(x)
 * </pre>
 * Prompt tokens go through in batches (one matrix-matrix product per weight); generation passes
 * one token at a time. A Llama is immutable and may serve several {@link InferenceState}s.
 * With a LoRA adapter (Hu et al. 2021) each adapted projection becomes W·x + (α/r)·B·(A·x), the
 * adapter added right after the projection's product, without merging it into W.
 *
 * <p>Activations stay float32 (the exact path, {@link ActivationPrecision#FLOAT32}).
 * {@link #withActivationPrecision} gives a model whose Q4_0 and Q8_0 products quantize their
 * activations to 8 bits as llama.cpp does ({@link ActivationPrecision#QUANTIZED_8BIT}: integer
 * dot products, logits that match llama.cpp's; not the default because it measured no faster
 * than the float kernels on AVX-512, BENCHMARKS.md "Speed").
 */
public final class Llama {
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Parallel parallel;
    private final Rope rope;
    // Norm weights are tiny and read every token: kept as float arrays. (nLayers, dim) and (dim)
    private final float[][] attentionNorm;
    private final float[][] ffnNorm;
    private final float[] outputNorm;
    /** The LoRA adapter beside the projections, or null. */
    private final LoraAdapter lora;
    /** What the matrix products do with their activations. */
    private final ActivationPrecision precision;

    /** A model that runs its loops on the shared thread pool. */
    public Llama(LlamaConfig config, LlamaWeights weights) {
        this(config, weights, Parallel.shared());
    }

    public Llama(LlamaConfig config, LlamaWeights weights, Parallel parallel) {
        this(config, weights, parallel, null);
    }

    /** A model whose projections carry {@code lora} (null: none). */
    public Llama(LlamaConfig config, LlamaWeights weights, Parallel parallel, LoraAdapter lora) {
        this(config, weights, parallel, lora, ActivationPrecision.FLOAT32);
    }

    private Llama(LlamaConfig config, LlamaWeights weights, Parallel parallel, LoraAdapter lora, ActivationPrecision precision) {
        this.precision = precision;
        weights.validate(config, "model");
        if (lora != null) lora.validate(config, "LoRA adapter");
        this.lora = lora;
        this.config = config;
        this.weights = weights;
        this.parallel = parallel;
        this.rope = new Rope(config.headSize(), config.ropeTheta());
        this.attentionNorm = new float[config.nLayers()][];
        this.ffnNorm = new float[config.nLayers()][];
        for (int l = 0; l < config.nLayers(); l++) {
            attentionNorm[l] = toArray(weights.attentionNorm()[l], config.dim());
            ffnNorm[l] = toArray(weights.ffnNorm()[l], config.dim());
        }
        this.outputNorm = toArray(weights.outputNorm(), config.dim());
    }

    private static float[] toArray(FloatTensor t, int n) {
        float[] a = new float[n];
        t.dequantize(0, a, 0, n);
        return a;
    }

    public LlamaConfig config() { return config; }

    /** The same model (same weights, pool and adapter) with its products done at {@code precision}. */
    public Llama withActivationPrecision(ActivationPrecision precision) {
        return precision == this.precision ? this : new Llama(config, weights, parallel, lora, precision);
    }

    public ActivationPrecision activationPrecision() { return precision; }

    public LlamaWeights weights() { return weights; }

    /** The LoRA adapter applied beside the projections, or null. */
    public LoraAdapter lora() { return lora; }

    /** A fresh state with the model's full context length. */
    public InferenceState newState() { return new InferenceState(config); }

    /**
     * Runs {@code tokens} at the state's next positions and returns the logits of the last one
     * (the state's buffer, overwritten by the next call).
     */
    public float[] forward(InferenceState s, int... tokens) {
        forward(s, tokens, null);
        return s.logits;
    }

    /**
     * Runs {@code tokens} at the state's next positions and returns the logits of every one of
     * them: (tokens.length, vocabSize), for perplexity and tests.
     */
    public float[][] forwardAllLogits(InferenceState s, int... tokens) {
        float[][] all = new float[tokens.length][];
        forward(s, tokens, all);
        return all;
    }

    /** out (count, rows) += (α/r)·B·(A·in): the LoRA path of one projection, when adapted. */
    private void lora(LoraTarget target, int layer, float[] in, float[] out, int count) {
        if (lora != null) lora.addTo(parallel, target, layer, in, out, count);
    }

    private void forward(InferenceState s, int[] tokens, float[][] allLogits) {
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens to process");
        if (s.position() + tokens.length > s.maxSequenceLength()) {
            throw new IllegalArgumentException("sequence of " + (s.position() + tokens.length)
                    + " tokens exceeds the context of " + s.maxSequenceLength());
        }
        for (int token : tokens) {
            if (token < 0 || token >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
        for (int start = 0; start < tokens.length; start += s.batchCapacity) {
            int count = Math.min(s.batchCapacity, tokens.length - start);
            forwardBatch(s, tokens, start, count, allLogits);
        }
    }

    /** The transformer on tokens[start, start + count) at positions s.position().. (count ≤ batch). */
    private void forwardBatch(InferenceState s, int[] tokens, int start, int count, float[][] allLogits) {
        LlamaConfig c = config;
        LlamaWeights w = weights;
        int dim = c.dim(), kvDim = c.kvDim(), hidden = c.hiddenDim();
        int firstPosition = s.position();

        // x (count, dim) = token embeddings
        for (int t = 0; t < count; t++) {
            w.tokenEmbedding().dequantize((long) tokens[start + t] * dim, s.x, t * dim, dim);
        }

        for (int l = 0; l < c.nLayers(); l++) {
            // Attention block: xb = RmsNorm(x); q, k, v = Wq xb, Wk xb, Wv xb
            for (int t = 0; t < count; t++) RmsNorm.apply(s.xb, t * dim, s.x, t * dim, attentionNorm[l], c.rmsNormEps());
            MatMul.matMul(parallel, precision, w.wq()[l], s.xb, s.q, count, dim, dim); lora(LoraTarget.Q, l, s.xb, s.q, count);
            MatMul.matMul(parallel, precision, w.wk()[l], s.xb, s.k, count, kvDim, dim); lora(LoraTarget.K, l, s.xb, s.k, count);
            MatMul.matMul(parallel, precision, w.wv()[l], s.xb, s.v, count, kvDim, dim); lora(LoraTarget.V, l, s.xb, s.v, count);

            // RoPE on queries and keys, then keys and values into the cache at their positions
            for (int t = 0; t < count; t++) {
                int position = firstPosition + t;
                rope.angles(position, s.ropeCos, s.ropeSin);
                rope.rotate(s.q, t * dim, c.nHeads(), s.ropeCos, s.ropeSin);
                rope.rotate(s.k, t * kvDim, c.nKvHeads(), s.ropeCos, s.ropeSin);
                System.arraycopy(s.k, t * kvDim, s.kvCache.keys[l], position * kvDim, kvDim);
                System.arraycopy(s.v, t * kvDim, s.kvCache.values[l], position * kvDim, kvDim);
            }

            // xb2 = causal multi-head attention; x += Wo xb2
            Attention.apply(parallel, c, s, l, firstPosition, count);
            MatMul.matMul(parallel, precision, w.wo()[l], s.xb2, s.xb, count, dim, dim); lora(LoraTarget.O, l, s.xb2, s.xb, count);
            FloatArrays.addInPlace(s.x, 0, s.xb, 0, count * dim);

            // FFN block (SwiGLU, Shazeer 2020): x += W2 (silu(W1 xb) * W3 xb), xb = RmsNorm(x)
            for (int t = 0; t < count; t++) RmsNorm.apply(s.xb, t * dim, s.x, t * dim, ffnNorm[l], c.rmsNormEps());
            MatMul.matMul(parallel, precision, w.w1()[l], s.xb, s.hb, count, hidden, dim); lora(LoraTarget.GATE, l, s.xb, s.hb, count);
            MatMul.matMul(parallel, precision, w.w3()[l], s.xb, s.hb2, count, hidden, dim); lora(LoraTarget.UP, l, s.xb, s.hb2, count);
            for (int i = 0; i < count * hidden; i++) {
                float gate = s.hb[i];
                s.hb[i] = gate / (1f + (float) Math.exp(-gate)) * s.hb2[i]; // silu(gate) * up
            }
            MatMul.matMul(parallel, precision, w.w2()[l], s.hb, s.xb, count, dim, hidden); lora(LoraTarget.DOWN, l, s.hb, s.xb, count);
            FloatArrays.addInPlace(s.x, 0, s.xb, 0, count * dim);
        }

        // logits = Wout RmsNorm(x), for the last token only unless every position's are wanted
        for (int t = allLogits == null ? count - 1 : 0; t < count; t++) {
            RmsNorm.apply(s.xb, 0, s.x, t * dim, outputNorm, c.rmsNormEps());
            MatMul.matVec(parallel, precision, w.output(), s.xb, 0, s.logits, 0, c.vocabSize(), dim);
            if (allLogits != null) allLogits[start + t] = s.logits.clone();
        }
        s.advance(count);
    }
}
