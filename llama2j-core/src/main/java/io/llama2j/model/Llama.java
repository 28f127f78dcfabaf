package io.llama2j.model;

import io.llama2j.lora.LoraAdapter;
import io.llama2j.lora.LoraTarget;
import io.llama2j.tensor.ActivationPrecision;
import io.llama2j.tensor.FloatArrays;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.MatMul;
import io.llama2j.tensor.Parallel;
import io.llama2j.tensor.SwiGlu;

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
 * one token at a time, or one token for each of several sequences together ({@link #decodeStep},
 * continuous batching: the weights are read once per step for all of them). A Llama is immutable and may serve several {@link InferenceState}s.
 * With a LoRA adapter (Hu et al. 2021) each adapted projection becomes W·x + (α/r)·B·(A·x), the
 * adapter added right after the projection's product, without merging it into W.
 *
 * <p>By default the Q4_0 and Q8_0 products quantize their activations to 8 bits as llama.cpp
 * does ({@link ActivationPrecision#QUANTIZED_8BIT}): the packed Q4_0 kernel multiplies integers
 * and keeps up with memory, and the logits match llama.cpp's. {@link #withActivationPrecision}
 * gives the exact path ({@link ActivationPrecision#FLOAT32}: activations stay float32).
 *
 * <p>The products read their matrices in a {@link WeightLayout}: by default Q4_0 and Q8_0
 * matrices are copied once, when the model is built, into the layouts their kernels read fastest
 * ({@link ProductWeights}); {@link #weights()} stays the loaded (memory-mapped) tensors.
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
    /** The matrices in the layout the products read (packed copies, or the loaded weights). */
    private final ProductWeights products;
    /**
     * Per layer, the matrices whose products read the same input, (Wq, Wk, Wv) and (W1, W3), and
     * their output sizes: built once, so that a token allocates nothing.
     */
    private final FloatTensor[][] queryKeyValueWeights, gateUpWeights;
    private final int[] queryKeyValueRows, gateUpRows;
    /** Zero output offsets for {@link MatMul#matVecs}, by the number of matrices. */
    private static final int[][] ZERO_OFFSETS = {new int[0], new int[1], new int[2], new int[3]};

    /** A model that runs its loops on the shared thread pool. */
    public Llama(LlamaConfig config, LlamaWeights weights) {
        this(config, weights, Parallel.shared());
    }

    public Llama(LlamaConfig config, LlamaWeights weights, Parallel parallel) {
        this(config, weights, parallel, null);
    }

    /** A model whose projections carry {@code lora} (null: none). */
    public Llama(LlamaConfig config, LlamaWeights weights, Parallel parallel, LoraAdapter lora) {
        this(config, weights, parallel, lora, WeightLayout.PACKED);
    }

    /**
     * A model whose projections carry {@code lora} (null: none), with its matrices in
     * {@code layout} (packing copies the Q4_0/Q8_0 ones now, on {@code parallel}'s threads).
     */
    public Llama(LlamaConfig config, LlamaWeights weights, Parallel parallel, LoraAdapter lora, WeightLayout layout) {
        this(config, checked(config, weights, lora), parallel, lora, ActivationPrecision.QUANTIZED_8BIT,
                ProductWeights.of(config, weights, layout, parallel));
    }

    private static LlamaWeights checked(LlamaConfig config, LlamaWeights weights, LoraAdapter lora) {
        weights.validate(config, "model");
        if (lora != null) lora.validate(config, "LoRA adapter");
        return weights;
    }

    private Llama(LlamaConfig config, LlamaWeights weights, Parallel parallel, LoraAdapter lora, ActivationPrecision precision,
                  ProductWeights products) {
        this.precision = precision;
        this.products = products;
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
        LlamaWeights w = products.weights();
        this.queryKeyValueWeights = new FloatTensor[config.nLayers()][];
        this.gateUpWeights = new FloatTensor[config.nLayers()][];
        for (int l = 0; l < config.nLayers(); l++) {
            queryKeyValueWeights[l] = new FloatTensor[]{w.wq()[l], w.wk()[l], w.wv()[l]};
            gateUpWeights[l] = new FloatTensor[]{w.w1()[l], w.w3()[l]};
        }
        this.queryKeyValueRows = new int[]{config.dim(), config.kvDim(), config.kvDim()};
        this.gateUpRows = new int[]{config.hiddenDim(), config.hiddenDim()};
    }

    private static float[] toArray(FloatTensor t, int n) {
        float[] a = new float[n];
        t.dequantize(0, a, 0, n);
        return a;
    }

    public LlamaConfig config() { return config; }

    /** The same model (same weights, pool and adapter) with its products done at {@code precision}. */
    public Llama withActivationPrecision(ActivationPrecision precision) {
        return precision == this.precision ? this : new Llama(config, weights, parallel, lora, precision, products);
    }

    public ActivationPrecision activationPrecision() { return precision; }

    /** The weights as loaded (memory-mapped tensors for GGUF files), whatever layout the products read. */
    public LlamaWeights weights() { return weights; }

    /** The matrices the products read, their layout, and a line saying what packing did. */
    public ProductWeights productWeights() { return products; }

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
        for (int token : tokens) checkToken(token);
        int dim = config.dim();
        Activations a = s.activations;
        for (int start = 0; start < tokens.length; start += s.batchCapacity) {
            int count = Math.min(s.batchCapacity, tokens.length - start);
            a.assignConsecutive(s, s.position(), count);
            layers(a, tokens, start, count, false);
            // logits = Wout RmsNorm(x), for the last token only unless every position's are wanted
            for (int t = allLogits == null ? count - 1 : 0; t < count; t++) {
                RmsNorm.apply(a.xb, 0, a.x, t * dim, outputNorm, config.rmsNormEps());
                MatMul.matVec(parallel, precision, products.weights().output(), a.xb, 0, s.logits, 0, config.vocabSize(), dim);
                if (allLogits != null) allLogits[start + t] = s.logits.clone();
            }
            s.advance(count);
        }
    }

    /**
     * One decoding step for several independent sequences at once (continuous batching): token
     * {@code tokens[b]} runs at {@code sequences[b]}'s next position, and afterwards
     * {@code sequences[b].logits()} holds that sequence's next-token logits and its position has
     * advanced by one, exactly as {@link #forward(InferenceState, int...)} with that one token
     * would leave it. Every weight matrix is read once for all the sequences (one matrix-matrix
     * product over the B tokens, {@link MatMul#matMulPerToken}); attention runs per sequence on its own
     * KV cache. The sequences may be at different positions and have different cache lengths.
     *
     * <p>Numerics: with one sequence the step is {@code forward}'s single-token pass. With more,
     * the products go through the batched kernel ({@link MatMul#matMulPerToken}), which computes each
     * token's outputs alone, so a sequence's logits do not depend on which others share the
     * step; it sums in the order of a float32 weight's dot product (float32 models give
     * bit-identical logits to {@code forward}) and differs from a quantized type's fused dot
     * only by float32 rounding.
     *
     * @param batch     scratch for at least {@code sequences.length} rows, made for this model's config
     * @param sequences distinct states, each with room for one more position
     * @param tokens    one token id per sequence
     * @throws IllegalArgumentException before anything is changed, when the arrays' lengths
     *                                  differ or exceed the batch, a sequence appears twice or is full, or a token is outside
     *                                  the vocabulary
     */
    public void decodeStep(DecodeBatch batch, InferenceState[] sequences, int[] tokens) {
        int count = sequences.length;
        if (tokens.length != count) {
            throw new IllegalArgumentException("decode step got " + count + " sequences but " + tokens.length + " tokens");
        }
        if (count == 0) throw new IllegalArgumentException("decode step got no sequences");
        if (count > batch.maxSequences()) {
            throw new IllegalArgumentException("decode step of " + count + " sequences exceeds the batch's "
                    + batch.maxSequences());
        }
        if (!batch.config.equals(config)) {
            throw new IllegalArgumentException("decode batch was made for " + batch.config + ", not this model's " + config);
        }
        for (int b = 0; b < count; b++) {
            InferenceState s = sequences[b];
            if (s.logits.length != config.vocabSize() || s.kvCache.kvDim() != config.kvDim()
                    || s.kvCache.keys.length != config.nLayers()) {
                throw new IllegalArgumentException("sequence " + b + "'s state was made for another model shape");
            }
            if (s.position() >= s.maxSequenceLength()) {
                throw new IllegalArgumentException("sequence " + b + " is full: its context of "
                        + s.maxSequenceLength() + " positions has no room for another token");
            }
            checkToken(tokens[b]);
            for (int other = 0; other < b; other++) {
                if (sequences[other] == s) {
                    throw new IllegalArgumentException("sequences " + other + " and " + b
                            + " are the same state; a decode step takes each sequence once");
                }
            }
        }
        int dim = config.dim(), vocab = config.vocabSize();
        Activations a = batch.activations;
        for (int b = 0; b < count; b++) {
            a.rowSequence[b] = sequences[b];
            a.rowPosition[b] = sequences[b].position();
        }
        layers(a, tokens, 0, count, true);
        // logits (B, vocab) = RmsNorm(x) Woutᵀ: the classifier is read once for all rows too
        for (int b = 0; b < count; b++) RmsNorm.apply(a.xb, b * dim, a.x, b * dim, outputNorm, config.rmsNormEps());
        MatMul.matMulPerToken(parallel, precision, products.weights().output(), a.xb, batch.logits, count, vocab, dim);
        for (int b = 0; b < count; b++) {
            InferenceState s = sequences[b];
            System.arraycopy(batch.logits, b * vocab, s.logits, 0, vocab);
            System.arraycopy(a.xb, b * dim, s.activations.xb, 0, dim); // its final hidden state
            s.advance(1);
        }
        a.clearRows(count);
    }

    /**
     * out (count, rows) = in (count, cols) Wᵀ: for a prompt the fastest batched product, for a
     * decoding step the one that gives each sequence exactly its own single-token result.
     */
    private void product(boolean perToken, FloatTensor w, float[] in, float[] out, int count, int rows, int cols) {
        if (perToken) MatMul.matMulPerToken(parallel, precision, w, in, out, count, rows, cols);
        else MatMul.matMul(parallel, precision, w, in, out, count, rows, cols);
    }

    /**
     * outs[i] (count, rows[i]) = in (count, cols) W_iᵀ for matrices that read the same input (Q,
     * K and V; W1 and W3). One token: one parallel loop over all of them ({@link MatMul#matVecs}),
     * the same dot products as one loop each. Several: one {@link #product} each.
     */
    private void products(boolean perToken, float[] in, int count, int cols, FloatTensor[] ws, float[][] outs, int[] rows) {
        if (count == 1) {
            MatMul.matVecs(parallel, precision, in, 0, cols, ws, outs, ZERO_OFFSETS[ws.length], rows);
            return;
        }
        for (int i = 0; i < ws.length; i++) product(perToken, ws[i], in, outs[i], count, rows[i], cols);
    }

    private void checkToken(int token) {
        if (token < 0 || token >= config.vocabSize()) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + config.vocabSize() + ")");
        }
    }

    /**
     * The transformer layers on rows [0, count) holding tokens[start, start + count): each row at
     * its own sequence and position (a.rowSequence, a.rowPosition); {@code perToken} for a
     * decoding step ({@link #product}). Leaves the final residual
     * stream in a.x.
     */
    private void layers(Activations a, int[] tokens, int start, int count, boolean perToken) {
        LlamaConfig c = config;
        LlamaWeights w = products.weights();
        int dim = c.dim(), kvDim = c.kvDim(), hidden = c.hiddenDim();

        // x (count, dim) = token embeddings
        for (int t = 0; t < count; t++) {
            w.tokenEmbedding().dequantize((long) tokens[start + t] * dim, a.x, t * dim, dim);
        }

        for (int l = 0; l < c.nLayers(); l++) {
            // Attention block: xb = RmsNorm(x); q, k, v = Wq xb, Wk xb, Wv xb
            for (int t = 0; t < count; t++) RmsNorm.apply(a.xb, t * dim, a.x, t * dim, attentionNorm[l], c.rmsNormEps());
            products(perToken, a.xb, count, dim, queryKeyValueWeights[l], a.queryKeyValue, queryKeyValueRows);
            lora(LoraTarget.Q, l, a.xb, a.q, count);
            lora(LoraTarget.K, l, a.xb, a.k, count);
            lora(LoraTarget.V, l, a.xb, a.v, count);

            // RoPE on queries and keys, then keys and values into each row's cache at its position
            for (int t = 0; t < count; t++) {
                int position = a.rowPosition[t];
                KvCache cache = a.rowSequence[t].kvCache;
                rope.angles(position, a.ropeCos, a.ropeSin);
                rope.rotate(a.q, t * dim, c.nHeads(), a.ropeCos, a.ropeSin);
                rope.rotate(a.k, t * kvDim, c.nKvHeads(), a.ropeCos, a.ropeSin);
                System.arraycopy(a.k, t * kvDim, cache.keys[l], position * kvDim, kvDim);
                System.arraycopy(a.v, t * kvDim, cache.values[l], position * kvDim, kvDim);
            }

            // xb2 = causal multi-head attention; x += Wo xb2
            Attention.apply(parallel, c, a, l, count);
            product(perToken, w.wo()[l], a.xb2, a.xb, count, dim, dim); lora(LoraTarget.O, l, a.xb2, a.xb, count);
            FloatArrays.addInPlace(a.x, 0, a.xb, 0, count * dim);

            // FFN block (SwiGLU, Shazeer 2020): x += W2 (silu(W1 xb) * W3 xb), xb = RmsNorm(x)
            for (int t = 0; t < count; t++) RmsNorm.apply(a.xb, t * dim, a.x, t * dim, ffnNorm[l], c.rmsNormEps());
            products(perToken, a.xb, count, dim, gateUpWeights[l], a.gateUp, gateUpRows);
            lora(LoraTarget.GATE, l, a.xb, a.hb, count);
            lora(LoraTarget.UP, l, a.xb, a.hb2, count);
            SwiGlu.apply(a.hb, a.hb, a.hb2, 0, count * hidden); // hb = silu(hb) * hb2
            product(perToken, w.w2()[l], a.hb, a.xb, count, dim, hidden); lora(LoraTarget.DOWN, l, a.hb, a.xb, count);
            FloatArrays.addInPlace(a.x, 0, a.xb, 0, count * dim);
        }
    }
}
