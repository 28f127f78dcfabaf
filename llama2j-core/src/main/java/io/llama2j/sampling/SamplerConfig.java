package io.llama2j.sampling;

/**
 * How the next token is chosen from the logits. Applied in this order (see {@link Sampler}):
 * penalties on the logits of recent tokens, then temperature 0 = greedy; otherwise logits / T,
 * softmax, top-k, top-p, min-p, and one draw from what is left.
 *
 * @param temperature       0 for greedy decoding (argmax, lowest id wins ties); otherwise > 0
 * @param topK              keep the k most likely tokens; 0 = off
 * @param topP              nucleus sampling as Meta's generation.py sample_top_p: keep the most
 *                          likely tokens while the probability mass before each is ≤ p; 1 = off
 * @param minP              keep tokens with probability ≥ minP · the largest probability; 0 = off
 * @param repeatPenalty     CTRL's repetition penalty (Keskar et al. 2019) on tokens seen in the
 *                          last penaltyLastN: a positive logit is divided by it, a negative one
 *                          multiplied; 1 = off
 * @param frequencyPenalty  subtracted from a logit once per occurrence in the window; 0 = off
 * @param presencePenalty   subtracted from a logit once if it occurs in the window; 0 = off
 * @param penaltyLastN      how many of the most recent tokens the penalties look at
 * @param seed              seed of the one random generator (same seed, same settings, same model:
 *                          same tokens)
 */
public record SamplerConfig(float temperature, int topK, float topP, float minP, float repeatPenalty,
                            float frequencyPenalty, float presencePenalty, int penaltyLastN, long seed) {

    /** Meta's chat default temperature (llama/example_chat_completion.py). */
    public static final float META_CHAT_TEMPERATURE = 0.6f;
    /** Meta's chat default top-p (llama/example_chat_completion.py). */
    public static final float META_CHAT_TOP_P = 0.9f;
    /** Default window of the penalties (llama.cpp's repeat_last_n). */
    public static final int DEFAULT_PENALTY_LAST_N = 64;

    public SamplerConfig {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, found " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0 (0 = off), found " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], found " + topP);
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min-p must be in [0, 1], found " + minP);
        if (!(repeatPenalty > 0) || Float.isInfinite(repeatPenalty)) {
            throw new IllegalArgumentException("repeat penalty must be a finite number > 0 (1 = off), found " + repeatPenalty);
        }
        if (!Float.isFinite(frequencyPenalty)) throw new IllegalArgumentException("frequency penalty must be finite, found " + frequencyPenalty);
        if (!Float.isFinite(presencePenalty)) throw new IllegalArgumentException("presence penalty must be finite, found " + presencePenalty);
        if (penaltyLastN < 0) throw new IllegalArgumentException("penalty window must be >= 0, found " + penaltyLastN);
    }

    /** Greedy decoding: always the most likely token. */
    public static SamplerConfig greedy() {
        return new SamplerConfig(0f, 0, 1f, 0f, 1f, 0f, 0f, DEFAULT_PENALTY_LAST_N, 0L);
    }

    /** Meta's chat defaults: temperature 0.6, top-p 0.9, no other filter or penalty. */
    public static SamplerConfig metaChat(long seed) {
        return new SamplerConfig(META_CHAT_TEMPERATURE, 0, META_CHAT_TOP_P, 0f, 1f, 0f, 0f, DEFAULT_PENALTY_LAST_N, seed);
    }

    public SamplerConfig withTemperature(float t) {
        return new SamplerConfig(t, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyLastN, seed);
    }

    public SamplerConfig withTopK(int k) {
        return new SamplerConfig(temperature, k, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyLastN, seed);
    }

    public SamplerConfig withTopP(float p) {
        return new SamplerConfig(temperature, topK, p, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyLastN, seed);
    }

    public SamplerConfig withMinP(float p) {
        return new SamplerConfig(temperature, topK, topP, p, repeatPenalty, frequencyPenalty, presencePenalty, penaltyLastN, seed);
    }

    public SamplerConfig withPenalties(float repeat, float frequency, float presence, int lastN) {
        return new SamplerConfig(temperature, topK, topP, minP, repeat, frequency, presence, lastN, seed);
    }

    public SamplerConfig withSeed(long s) {
        return new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyLastN, s);
    }

    public boolean isGreedy() { return temperature == 0f; }
}
