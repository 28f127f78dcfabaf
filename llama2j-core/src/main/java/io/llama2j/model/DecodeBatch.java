package io.llama2j.model;

/**
 * The scratch of {@link Llama#decodeStep}: activations for up to {@link #maxSequences()}
 * sequences that each take one new token in the same step (continuous batching), and their
 * (maxSequences, vocabSize) logits before they are handed to each sequence. Allocated once and
 * reused every step; the sequences' own {@link InferenceState}s keep their KV caches.
 * Not thread-safe: one batch per thread that steps sequences.
 */
public final class DecodeBatch {

    final LlamaConfig config;
    final Activations activations;
    /** (maxSequences, vocabSize) logits of every row, row-major */
    final float[] logits;

    /** A batch for models of {@code config}, stepping at most {@code maxSequences} sequences at once. */
    public DecodeBatch(LlamaConfig config, int maxSequences) {
        if (maxSequences < 1) {
            throw new IllegalArgumentException("a decode batch holds at least 1 sequence, asked for " + maxSequences);
        }
        long logitValues = (long) maxSequences * config.vocabSize();
        if (logitValues > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a decode batch of " + maxSequences + " sequences x vocabulary "
                    + config.vocabSize() + " logits does not fit one array; use fewer sequences");
        }
        this.config = config;
        this.activations = new Activations(config, maxSequences);
        this.logits = new float[(int) logitValues];
    }

    /** The most sequences one {@link Llama#decodeStep} call may step with this batch. */
    public int maxSequences() {
        return activations.capacity;
    }
}
