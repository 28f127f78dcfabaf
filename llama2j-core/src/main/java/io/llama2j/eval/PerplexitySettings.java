package io.llama2j.eval;

/**
 * How perplexity is measured (llama.cpp llama-perplexity's options of the same meaning).
 *
 * @param contextLength tokens per chunk (llama.cpp {@code -c}); each chunk starts from an empty
 *                      KV cache, and only its second half is scored
 * @param batchSize     prompt tokens run through the model together (llama.cpp {@code -b});
 *                      it changes speed only, never the result
 * @param maxChunks     chunks to score at most, or {@link #ALL_CHUNKS} for every full chunk
 *                      (llama.cpp {@code --chunks}, default -1)
 */
public record PerplexitySettings(int contextLength, int batchSize, int maxChunks) {

    /** 512 tokens: the context of the perplexity figures llama.cpp publishes (wikitext-2, -c 512). */
    public static final int DEFAULT_CONTEXT_LENGTH = 512;
    /** Score every full chunk of the text. */
    public static final int ALL_CHUNKS = -1;

    public PerplexitySettings {
        // A chunk of n tokens scores positions n/2 .. n-2, so it needs at least 4 tokens to score one.
        if (contextLength < 4) {
            throw new IllegalArgumentException("perplexity context must be at least 4 tokens, found " + contextLength);
        }
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, found " + batchSize);
        if (maxChunks < 1 && maxChunks != ALL_CHUNKS) {
            throw new IllegalArgumentException("chunk count must be positive (or " + ALL_CHUNKS + " for all), found " + maxChunks);
        }
    }

    /** The first position of a chunk whose prediction is scored: the second half, as llama.cpp does. */
    public int firstScoredPosition() {
        return contextLength / 2;
    }

    /** Tokens scored per chunk: positions firstScoredPosition()+1 .. contextLength-1 are predicted. */
    public int scoredTokensPerChunk() {
        return contextLength - firstScoredPosition() - 1;
    }
}
