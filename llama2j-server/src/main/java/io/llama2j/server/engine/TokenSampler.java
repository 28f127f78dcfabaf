package io.llama2j.server.engine;

/** Chooses the next token from logits; one per request, holding its own random state. */
@FunctionalInterface
public interface TokenSampler {
    /** The chosen token id. May modify {@code logits} in place. */
    int sample(float[] logits);
}
