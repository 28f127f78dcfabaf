package io.llama2j.train.rl;

/**
 * PPO's reward from the two reward models' scores (Llama 2 paper §3.2.3): pick the safety or
 * helpfulness score per sample, undo the sigmoid (LOGIT), whiten over the batch, and spread it
 * as per-token rewards with the KL penalty to the reference model on every generated token
 * and the whitened score on the last one.
 */
public final class CombinedReward {
    private CombinedReward() {}

    /** R_c: the safety score when the prompt is safety-relevant or the safety score is below the threshold. */
    public static double select(double helpfulness, double safety, boolean safetyPrompt, RewardShapingConfig config) {
        return safetyPrompt || safety < config.safetyThreshold() ? safety : helpfulness;
    }

    /** log(p / (1 − p)), p clamped to [c, 1 − c]: the inverse of the sigmoid the scores went through. */
    public static double logit(double probability, RewardShapingConfig config) {
        double c = config.logitClamp();
        double p = Math.min(1 - c, Math.max(c, probability));
        return Math.log(p / (1 - p));
    }

    /** (x − mean) / sqrt(var + ε) over the batch (population variance). */
    public static double[] whiten(double[] values, RewardShapingConfig config) {
        if (values.length == 0) throw new IllegalArgumentException("cannot whiten an empty batch");
        double mean = 0;
        for (double v : values) mean += v;
        mean /= values.length;
        double variance = 0;
        for (double v : values) variance += (v - mean) * (v - mean);
        variance /= values.length;
        double scale = 1 / Math.sqrt(variance + config.whitenEpsilon());
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) out[i] = (values[i] - mean) * scale;
        return out;
    }

    /** WHITEN(LOGIT(R_c)) for a batch of samples. */
    public static double[] shapedScores(double[] helpfulness, double[] safety, boolean[] safetyPrompt,
                                        RewardShapingConfig config) {
        int n = helpfulness.length;
        if (safety.length != n || safetyPrompt.length != n) {
            throw new IllegalArgumentException("batch sizes differ: " + n + " helpfulness, " + safety.length
                    + " safety scores and " + safetyPrompt.length + " safety flags");
        }
        double[] logits = new double[n];
        for (int i = 0; i < n; i++) logits[i] = logit(select(helpfulness[i], safety[i], safetyPrompt[i], config), config);
        return whiten(logits, config);
    }

    /**
     * Per-token rewards of one generated sequence: r_t = −β (log π_θ(g_t) − log π_0(g_t)), plus
     * the sequence's shaped score on its last token. The sum of the KL terms is −β times the
     * sampled estimate of D_KL(π_θ ‖ π_0) for this sequence.
     */
    public static double[] tokenRewards(double shapedScore, float[] policyLogProbs, float[] referenceLogProbs,
                                        RewardShapingConfig config) {
        int n = policyLogProbs.length;
        if (referenceLogProbs.length != n) {
            throw new IllegalArgumentException("policy has " + n + " log-probs, reference " + referenceLogProbs.length);
        }
        if (n == 0) throw new IllegalArgumentException("a generated sequence needs at least one token");
        double[] rewards = new double[n];
        for (int t = 0; t < n; t++) rewards[t] = -config.klBeta() * (policyLogProbs[t] - referenceLogProbs[t]);
        rewards[n - 1] += shapedScore;
        return rewards;
    }
}
