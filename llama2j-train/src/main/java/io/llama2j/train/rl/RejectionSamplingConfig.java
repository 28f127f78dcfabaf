package io.llama2j.train.rl;

/**
 * Rejection sampling (Llama 2 paper §3.2.3): K samples per prompt from the current policy, the
 * best by reward kept as SFT data, pooled with the best of all earlier iterations.
 *
 * @param samplesPerPrompt K (the paper's Fig. 7 spans 1 to 100)
 * @param temperature      sampling temperature; for RLHF models sampling 10–100 outputs the paper
 *                         finds the best T in [1.2, 1.3] (Fig. 8); base/SFT models prefer lower
 * @param topP             nucleus threshold (1: off)
 * @param maxNewTokens     longest response
 * @param seed             seed of the samplers (sample k of prompt p uses seed + p · K + k)
 */
public record RejectionSamplingConfig(int samplesPerPrompt, float temperature, float topP, int maxNewTokens, long seed) {
    public static final float PAPER_RLHF_TEMPERATURE = 1.2f;
    public static final float DEFAULT_TOP_P = 1f;

    public RejectionSamplingConfig {
        if (samplesPerPrompt <= 0) throw new IllegalArgumentException("samples per prompt must be positive, found " + samplesPerPrompt);
        if (!(temperature > 0)) throw new IllegalArgumentException("rejection sampling needs a temperature > 0, found " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], found " + topP);
        if (maxNewTokens <= 0) throw new IllegalArgumentException("max new tokens must be positive, found " + maxNewTokens);
    }
}
