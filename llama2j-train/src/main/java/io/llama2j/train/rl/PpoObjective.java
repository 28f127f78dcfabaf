package io.llama2j.train.rl;

/**
 * PPO's clipped surrogate (Schulman et al. 2017, eq. 7), per token, as a loss to minimise:
 * L = −min(ρ A, clip(ρ, 1 − ε, 1 + ε) A), ρ = exp(log π_θ − log π_old). Its gradient with
 * respect to log π_θ is −ρ A where the unclipped term is the minimum (or both are equal), and 0
 * where clipping is active (the clipped term does not depend on θ).
 */
public final class PpoObjective {
    private PpoObjective() {}

    public static double loss(double logProb, double oldLogProb, double advantage, double clipRange) {
        double ratio = Math.exp(logProb - oldLogProb);
        double clipped = Math.min(1 + clipRange, Math.max(1 - clipRange, ratio));
        return -Math.min(ratio * advantage, clipped * advantage);
    }

    /** ∂L/∂(log π_θ). */
    public static double gradient(double logProb, double oldLogProb, double advantage, double clipRange) {
        double ratio = Math.exp(logProb - oldLogProb);
        boolean clipActive = advantage >= 0 ? ratio > 1 + clipRange : ratio < 1 - clipRange;
        return clipActive ? 0 : -ratio * advantage;
    }

    /** ½ (V − R)², the value head's regression loss to the GAE return. */
    public static double valueLoss(double value, double valueTarget) {
        double e = value - valueTarget;
        return 0.5 * e * e;
    }
}
