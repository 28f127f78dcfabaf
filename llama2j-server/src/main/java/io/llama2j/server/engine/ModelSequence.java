package io.llama2j.server.engine;

/**
 * One generation in progress: the positions fed so far and its KV cache. Not thread-safe;
 * the scheduler steps each sequence from one thread at a time.
 */
public interface ModelSequence extends AutoCloseable {

    /** Number of positions already fed (the position the next token will take). */
    int position();

    /**
     * Feeds one token at {@link #position()} and returns the next-token logits (vocabulary
     * size). The array may be reused by the next call.
     */
    float[] feed(int token);

    /**
     * Feeds {@code tokens[from, to)} at the next positions in one batched pass (prompt
     * prefill) and returns the logits after the last of them; same reuse rule as {@link #feed(int)}.
     */
    float[] feed(int[] tokens, int from, int to);

    /** Forgets every position, keeping the allocated cache for the next request. */
    void reset();

    /** Releases the cache. */
    @Override
    void close();
}
