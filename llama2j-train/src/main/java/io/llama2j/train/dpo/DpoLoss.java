package io.llama2j.train.dpo;

import io.llama2j.train.reward.RankingLoss;

/**
 * Direct Preference Optimization's loss (Rafailov et al. 2023, eq. 7) for one preference pair:
 * L = −log σ(β [(log π(y_c) − log π_ref(y_c)) − (log π(y_r) − log π_ref(y_r))]), with log π(y)
 * the sum of the response tokens' log-probabilities. With z the bracket,
 * ∂L/∂log π(y_c) = −β σ(−β z) and ∂L/∂log π(y_r) = +β σ(−β z).
 */
public final class DpoLoss {
    /** β of the DPO paper's experiments (0.1; 0.5 for summarization). */
    public static final double DEFAULT_BETA = 0.1;

    private DpoLoss() {}

    /** The implicit reward margin β z. */
    public static double margin(double policyChosen, double referenceChosen, double policyRejected, double referenceRejected,
                                double beta) {
        return beta * ((policyChosen - referenceChosen) - (policyRejected - referenceRejected));
    }

    public static double loss(double policyChosen, double referenceChosen, double policyRejected, double referenceRejected,
                              double beta) {
        return RankingLoss.softplus(-margin(policyChosen, referenceChosen, policyRejected, referenceRejected, beta));
    }

    /** ∂L/∂log π(y_c); ∂L/∂log π(y_r) is its negation. */
    public static double gradientChosen(double policyChosen, double referenceChosen, double policyRejected,
                                        double referenceRejected, double beta) {
        return -beta * RankingLoss.sigmoid(-margin(policyChosen, referenceChosen, policyRejected, referenceRejected, beta));
    }
}
