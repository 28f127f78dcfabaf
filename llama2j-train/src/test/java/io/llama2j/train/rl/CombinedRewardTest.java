package io.llama2j.train.rl;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** PPO's reward (Llama 2 §3.2.3): R_c selection, WHITEN(LOGIT(·)), per-token KL penalty. */
class CombinedRewardTest {
    private final RewardShapingConfig paper = RewardShapingConfig.paper();

    @Test
    void paperDefaultsAreThresholdPoint15AndBetaPoint01() {
        assertThat(paper.safetyThreshold()).isEqualTo(0.15);
        assertThat(paper.klBeta()).isEqualTo(0.01);
    }

    @Test
    void safetyScoreDecidesForSafetyPromptsAndForUnsafeLookingAnswers() {
        assertThat(CombinedReward.select(0.9, 0.6, true, paper)).isEqualTo(0.6);
        assertThat(CombinedReward.select(0.9, 0.1, false, paper)).isEqualTo(0.1);
        assertThat(CombinedReward.select(0.9, 0.15, false, paper)).isEqualTo(0.9);
        assertThat(CombinedReward.select(0.9, 0.6, false, paper)).isEqualTo(0.9);
    }

    @Test
    void logitInvertsTheSigmoidAndStaysFiniteAtZeroAndOne() {
        assertThat(CombinedReward.logit(1 / (1 + Math.exp(-1.7)), paper)).isCloseTo(1.7, within(1e-12));
        assertThat(CombinedReward.logit(0.5, paper)).isZero();
        assertThat(CombinedReward.logit(1.0, paper)).isFinite().isPositive();
        assertThat(CombinedReward.logit(0.0, paper)).isFinite().isNegative();
    }

    @Test
    void whitenedBatchHasZeroMeanAndUnitVariance() {
        double[] w = CombinedReward.whiten(new double[] {1, 2, 3, 10}, paper);
        double mean = (w[0] + w[1] + w[2] + w[3]) / 4;
        double variance = 0;
        for (double x : w) variance += (x - mean) * (x - mean);
        assertThat(mean).isCloseTo(0, within(1e-12));
        assertThat(variance / 4).isCloseTo(1, within(1e-6));
        // hand-worked: mean 4, population variance (9 + 4 + 1 + 36) / 4 = 12.5
        assertThat(w[3]).isCloseTo(6 / Math.sqrt(12.5), within(1e-6));
    }

    @Test
    void shapedScoresChooseThenLogitThenWhiten() {
        double[] helpful = {0.9, 0.5}, safety = {0.8, 0.05};
        double[] shaped = CombinedReward.shapedScores(helpful, safety, new boolean[] {false, false}, paper);
        double a = Math.log(0.9 / 0.1), b = Math.log(0.05 / 0.95);
        double mean = (a + b) / 2, sd = Math.abs(a - b) / 2;
        assertThat(shaped[0]).isCloseTo((a - mean) / sd, within(1e-6));
        assertThat(shaped[1]).isCloseTo((b - mean) / sd, within(1e-6));
        assertThatThrownBy(() -> CombinedReward.shapedScores(helpful, new double[1], new boolean[2], paper))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 safety");
    }

    @Test
    void tokenRewardsPenaliseKlOnEveryTokenAndAddTheScoreAtTheEnd() {
        float[] policy = {-1f, -0.5f, -2f}, reference = {-1.5f, -0.5f, -1f};
        double[] r = CombinedReward.tokenRewards(0.8, policy, reference, paper);
        assertThat(r[0]).isCloseTo(-0.01 * 0.5, within(1e-9));
        assertThat(r[1]).isZero();
        assertThat(r[2]).isCloseTo(0.8 - 0.01 * -1.0, within(1e-9));
    }
}
