package io.llama2j.train.reward;

/**
 * The reward model's binary ranking loss with a margin (Llama 2 paper §3.2.2, eq. 2):
 * L = −log σ(r_c − r_r − m(r)) = softplus(−d), d = r_c − r_r − m. Its gradient is
 * ∂L/∂r_c = −σ(−d) and ∂L/∂r_r = +σ(−d). Computed in the numerically stable form so that
 * large |d| gives neither overflow nor a zero loss where a tiny positive one is due.
 */
public final class RankingLoss {
    private RankingLoss() {}

    /** −log σ(r_c − r_r − margin). */
    public static double loss(double chosenReward, double rejectedReward, double margin) {
        return softplus(-(chosenReward - rejectedReward - margin));
    }

    /** ∂L/∂r_c; ∂L/∂r_r is its negation. */
    public static double gradientChosen(double chosenReward, double rejectedReward, double margin) {
        return -sigmoid(-(chosenReward - rejectedReward - margin));
    }

    /** log(1 + eˣ) without overflow. */
    public static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    /** 1 / (1 + e^−x) without overflow. */
    public static double sigmoid(double x) {
        if (x >= 0) return 1 / (1 + Math.exp(-x));
        double e = Math.exp(x);
        return e / (1 + e);
    }
}
