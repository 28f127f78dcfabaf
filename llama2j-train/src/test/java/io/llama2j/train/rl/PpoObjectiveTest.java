package io.llama2j.train.rl;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** PPO's clipped surrogate objective (Schulman et al. 2017, eq. 7) and the paper's PPO defaults. */
class PpoObjectiveTest {

    @Test
    void paperDefaults() {
        PpoConfig c = PpoConfig.paper();
        assertThat(c.clipRange()).isEqualTo(0.2);
        assertThat(c.batch()).isEqualTo(512);
        assertThat(c.miniBatch()).isEqualTo(64);
        assertThat(c.learningRate()).isEqualTo(1e-6);
        assertThat(c.shaping().klBeta()).isEqualTo(0.01);
        assertThatThrownBy(() -> new PpoConfig(1, 8, 16, 0.2, 1, 0.95, 1e-6, 1e-5, 3, RewardShapingConfig.paper(), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mini-batch").hasMessageContaining("16");
    }

    @Test
    void handWorkedClippedCases() {
        double eps = 0.2;
        // ratio 1.5, A = +2: clipped at 1.2 -> loss -2.4, no gradient
        assertThat(PpoObjective.loss(Math.log(1.5), 0, 2, eps)).isCloseTo(-2.4, within(1e-12));
        assertThat(PpoObjective.gradient(Math.log(1.5), 0, 2, eps)).isZero();
        // ratio 1.5, A = -2: min(-3, -2.4) = -3 -> loss 3, gradient -ratio*A = 3
        assertThat(PpoObjective.loss(Math.log(1.5), 0, -2, eps)).isCloseTo(3, within(1e-12));
        assertThat(PpoObjective.gradient(Math.log(1.5), 0, -2, eps)).isCloseTo(3, within(1e-12));
        // ratio 0.5, A = -1: clipped at 0.8 -> loss 0.8, no gradient
        assertThat(PpoObjective.loss(Math.log(0.5), 0, -1, eps)).isCloseTo(0.8, within(1e-12));
        assertThat(PpoObjective.gradient(Math.log(0.5), 0, -1, eps)).isZero();
        // ratio 1 (first step of an iteration): the plain policy gradient -A
        assertThat(PpoObjective.gradient(-0.3, -0.3, 1.5, eps)).isCloseTo(-1.5, within(1e-12));
    }

    @Property
    void gradientMatchesFiniteDifferenceAwayFromTheClipEdges(@ForAll @DoubleRange(min = -0.6, max = 0.6) double logRatio,
                                                              @ForAll @DoubleRange(min = -3, max = 3) double advantage) {
        double eps = 0.2, ratio = Math.exp(logRatio);
        if (Math.abs(ratio - 1.2) < 1e-3 || Math.abs(ratio - 0.8) < 1e-3) return;
        double h = 1e-7;
        double numeric = (PpoObjective.loss(logRatio + h, 0, advantage, eps) - PpoObjective.loss(logRatio - h, 0, advantage, eps)) / (2 * h);
        assertThat(PpoObjective.gradient(logRatio, 0, advantage, eps)).isCloseTo(numeric, within(1e-5));
    }

    @Property
    void clippedObjectiveIsAPessimisticBoundOfTheUnclippedOne(@ForAll @DoubleRange(min = -2, max = 2) double logRatio,
                                                               @ForAll @DoubleRange(min = -3, max = 3) double advantage) {
        assertThat(PpoObjective.loss(logRatio, 0, advantage, 0.2)).isGreaterThanOrEqualTo(-Math.exp(logRatio) * advantage - 1e-12);
    }
}
