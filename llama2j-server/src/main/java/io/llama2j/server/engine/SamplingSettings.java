package io.llama2j.server.engine;

/**
 * The sampling fields of an OpenAI request, validated to OpenAI's ranges.
 *
 * @param temperature      0 means greedy (argmax); OpenAI allows [0, 2], default 1
 * @param topP             nucleus mass in (0, 1], default 1 (no truncation)
 * @param seed             random seed; null means a fresh random one
 * @param presencePenalty  subtracted once from a token's logit when it already appeared in
 *                         the completion; [-2, 2], default 0 (OpenAI's definition:
 *                         logit[j] -= count[j] * frequency + (count[j] > 0) * presence)
 * @param frequencyPenalty subtracted per earlier occurrence in the completion; [-2, 2], default 0
 */
public record SamplingSettings(double temperature, double topP, Long seed,
                               double presencePenalty, double frequencyPenalty) {

    public static final double DEFAULT_TEMPERATURE = 1.0;
    public static final double DEFAULT_TOP_P = 1.0;
    public static final double MAX_TEMPERATURE = 2.0;
    public static final double MAX_ABS_PENALTY = 2.0;

    public SamplingSettings {
        if (!(temperature >= 0 && temperature <= MAX_TEMPERATURE)) {
            throw new IllegalArgumentException("temperature must be in [0, 2], was " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], was " + topP);
        }
        if (!(Math.abs(presencePenalty) <= MAX_ABS_PENALTY)) {
            throw new IllegalArgumentException("presence_penalty must be in [-2, 2], was " + presencePenalty);
        }
        if (!(Math.abs(frequencyPenalty) <= MAX_ABS_PENALTY)) {
            throw new IllegalArgumentException("frequency_penalty must be in [-2, 2], was " + frequencyPenalty);
        }
    }

}
