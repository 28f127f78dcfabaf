package io.llama2j.train.rl;

/**
 * Generalized Advantage Estimation (Schulman et al. 2016, eq. 16) over one generated sequence:
 * δ_t = r_t + γ V(s_{t+1}) − V(s_t) with V = 0 after the last token, and
 * A_t = Σ_l (γλ)^l δ_{t+l}, computed backward as A_t = δ_t + γλ A_{t+1}. Returns (the value
 * targets) are A_t + V(s_t).
 */
public final class Gae {
    private Gae() {}

    /** Advantages and returns of one sequence. */
    public record Estimate(double[] advantages, double[] returns) {}

    public static Estimate estimate(double[] rewards, double[] values, double gamma, double lambda) {
        int n = rewards.length;
        if (values.length != n) {
            throw new IllegalArgumentException("GAE needs one value per reward, found " + n + " rewards and " + values.length + " values");
        }
        double[] advantages = new double[n], returns = new double[n];
        double next = 0, nextValue = 0;
        for (int t = n - 1; t >= 0; t--) {
            double delta = rewards[t] + gamma * nextValue - values[t];
            next = delta + gamma * lambda * next;
            advantages[t] = next;
            returns[t] = next + values[t];
            nextValue = values[t];
        }
        return new Estimate(advantages, returns);
    }
}
