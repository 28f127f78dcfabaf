package io.llama2j.server.engine;

/** Chooses the next token from logits; one per request, holding its own random state. */
@FunctionalInterface
public interface TokenSampler {
    /**
     * The chosen token id. {@code history}[0, length) are the tokens generated so far, which
     * the presence and frequency penalties look at. May modify {@code logits} in place.
     */
    int sample(float[] logits, int[] history, int length);
}
