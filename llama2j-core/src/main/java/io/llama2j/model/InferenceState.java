package io.llama2j.model;

/**
 * Everything one sequence needs while it runs through a {@link Llama}: the KV cache, the number
 * of positions already in it, and every scratch buffer of the forward pass, allocated once
 * (nothing is allocated per token). "batch" is the most prompt tokens processed together.
 * Not thread-safe: one state per concurrent sequence.
 */
public final class InferenceState {

    /**
     * Prompt tokens processed together by default (one matrix-matrix product per weight). The
     * blocked product dequantizes each weight once per batch and needs about 256 tokens to
     * hide that: on the 7B shape's 11008 x 4096 Q4_0 matrix, 2 threads, it ran at 165 GFLOP/s
     * with 64 tokens, 224 with 128 and 300 with 256 or 512. The buffers cost 256 rows of
     * activations (about 55 MB for the 7B shape), small beside a 7B sequence's KV cache.
     */
    public static final int DEFAULT_PROMPT_BATCH = 256;

    final int batchCapacity;
    /** (batch rows) the forward pass's activations for a prompt batch of this sequence */
    final Activations activations;
    /** (nHeads, maxSequenceLength) attention scores, one row per head */
    final float[] att;
    /** (vocabSize) logits of the last processed position */
    final float[] logits;
    final KvCache kvCache;
    /** Model width: xb[0, dim) holds the final-norm output after a forward pass. */
    private final int dim;
    private int position;

    /** A state for {@code config} with the full context length and the default prompt batch. */
    public InferenceState(LlamaConfig config) {
        this(config, config.contextLength(), DEFAULT_PROMPT_BATCH);
    }

    /**
     * A state for sequences of up to {@code maxSequenceLength} positions that processes prompts
     * {@code batchCapacity} tokens at a time (fewer when the sequence cannot hold that many: the
     * activation buffers are sized for the batch).
     */
    public InferenceState(LlamaConfig config, int maxSequenceLength, int batchCapacity) {
        if (batchCapacity < 1) throw new IllegalArgumentException("prompt batch must be at least 1, found " + batchCapacity);
        this.kvCache = new KvCache(config, maxSequenceLength);
        this.batchCapacity = Math.min(batchCapacity, maxSequenceLength);
        this.dim = config.dim();
        this.activations = new Activations(config, this.batchCapacity);
        this.att = new float[config.nHeads() * maxSequenceLength];
        this.logits = new float[config.vocabSize()];
    }

    /** Positions already in the KV cache: the next token goes to this position. */
    public int position() { return position; }

    /**
     * Forgets positions from {@code newPosition} on (a chat that edits its history, /reset), so
     * the next token is written there. Earlier positions stay valid.
     */
    public void rewind(int newPosition) {
        if (newPosition < 0 || newPosition > position) {
            throw new IllegalArgumentException("can rewind to [0, " + position + "], not " + newPosition);
        }
        position = newPosition;
    }

    void advance(int tokens) { position += tokens; }

    public int maxSequenceLength() { return kvCache.maxSequenceLength(); }

    /** The logits of the last processed position (vocabSize); overwritten by the next forward pass. */
    public float[] logits() { return logits; }

    public KvCache kvCache() { return kvCache; }

    /**
     * The final hidden state of the last processed position: RmsNorm(x) with the output norm's
     * weights, the (dim) vector the classifier multiplies into the logits. Valid after
     * {@link Llama#forward} or {@link Llama#decodeStep}, overwritten by the next pass. Read by embeddings (the server's
     * mean pooling); it does not change the forward pass.
     */
    public void copyFinalHidden(float[] destination) {
        if (destination.length != dim) {
            throw new IllegalArgumentException("final hidden state has " + dim + " values, destination holds " + destination.length);
        }
        System.arraycopy(activations.xb, 0, destination, 0, dim);
    }
}
