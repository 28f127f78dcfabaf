package io.llama2j.train.rl;

/**
 * How PPO turns reward-model scores into its reward (Llama 2 paper §3.2.3):
 * R(g|p) = WHITEN(LOGIT(R_c(g|p))) − β·D_KL(π_θ(g|p) ‖ π_0(g|p)), with
 * R_c = R_safety when the prompt is safety-relevant or R_safety &lt; threshold, else R_helpful.
 *
 * @param safetyThreshold safety score below which the safety RM decides (paper 0.15: precision
 *                        0.89, recall 0.55 on Meta Safety)
 * @param klBeta          β of the per-token KL penalty (paper 0.01 for 7B/13B, 0.005 for 34B/70B)
 * @param logitClamp      scores are clamped to [c, 1−c] before the logit, so a saturated
 *                        sigmoid (0 or 1 in float) gives a finite reward
 * @param whitenEpsilon   added to the variance when whitening (a batch of equal scores stays finite)
 */
public record RewardShapingConfig(double safetyThreshold, double klBeta, double logitClamp, double whitenEpsilon) {
    public static final double PAPER_SAFETY_THRESHOLD = 0.15;
    public static final double PAPER_KL_BETA_7B_13B = 0.01;
    public static final double PAPER_KL_BETA_34B_70B = 0.005;
    public static final double DEFAULT_LOGIT_CLAMP = 1e-6;
    public static final double DEFAULT_WHITEN_EPSILON = 1e-8;

    public RewardShapingConfig {
        if (!(safetyThreshold >= 0 && safetyThreshold <= 1)) {
            throw new IllegalArgumentException("safety threshold must be in [0, 1], found " + safetyThreshold);
        }
        if (!(klBeta >= 0)) throw new IllegalArgumentException("KL beta must be >= 0, found " + klBeta);
        if (!(logitClamp > 0 && logitClamp < 0.5)) {
            throw new IllegalArgumentException("logit clamp must be in (0, 0.5), found " + logitClamp);
        }
        if (!(whitenEpsilon > 0)) throw new IllegalArgumentException("whiten epsilon must be > 0, found " + whitenEpsilon);
    }

    /** The paper's values for 7B/13B models. */
    public static RewardShapingConfig paper() {
        return new RewardShapingConfig(PAPER_SAFETY_THRESHOLD, PAPER_KL_BETA_7B_13B, DEFAULT_LOGIT_CLAMP, DEFAULT_WHITEN_EPSILON);
    }

    public RewardShapingConfig withKlBeta(double beta) {
        return new RewardShapingConfig(safetyThreshold, beta, logitClamp, whitenEpsilon);
    }
}
