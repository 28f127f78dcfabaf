package io.llama2j.train.rl;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Generalized advantage estimation (Schulman et al. 2016). */
class GaeTest {

    @Test
    void handWorkedThreeStepEpisode() {
        double gamma = 0.9, lambda = 0.5;
        double[] r = {1, 0, 2}, v = {0.5, 1, 1.5};
        // δ2 = 2 - 1.5 = 0.5; δ1 = 0 + 0.9*1.5 - 1 = 0.35; δ0 = 1 + 0.9*1 - 0.5 = 1.4
        // A2 = 0.5; A1 = 0.35 + 0.45*0.5 = 0.575; A0 = 1.4 + 0.45*0.575 = 1.65875
        Gae.Estimate e = Gae.estimate(r, v, gamma, lambda);
        assertThat(e.advantages()).containsExactly(new double[] {1.65875, 0.575, 0.5}, within(1e-12));
        assertThat(e.returns()).containsExactly(new double[] {2.15875, 1.575, 2.0}, within(1e-12));
    }

    @Property
    void lambdaOneGivesDiscountedReturnMinusValue(@ForAll @Size(min = 1, max = 8) List<@DoubleRange(min = -3, max = 3) Double> rewards,
                                                   @ForAll @DoubleRange(min = 0, max = 1) double gamma) {
        int n = rewards.size();
        double[] r = new double[n], v = new double[n];
        for (int i = 0; i < n; i++) { r[i] = rewards.get(i); v[i] = 0.3 * i - 1; }
        Gae.Estimate e = Gae.estimate(r, v, gamma, 1.0);
        for (int t = 0; t < n; t++) {
            double discounted = 0;
            for (int k = t; k < n; k++) discounted += Math.pow(gamma, k - t) * r[k];
            assertThat(e.advantages()[t]).isCloseTo(discounted - v[t], within(1e-9));
            assertThat(e.returns()[t]).isCloseTo(discounted, within(1e-9));
        }
    }

    @Property
    void lambdaZeroGivesOneStepTemporalDifference(@ForAll @Size(min = 1, max = 8) List<@DoubleRange(min = -3, max = 3) Double> rewards) {
        int n = rewards.size();
        double[] r = new double[n], v = new double[n];
        for (int i = 0; i < n; i++) { r[i] = rewards.get(i); v[i] = Math.sin(i); }
        Gae.Estimate e = Gae.estimate(r, v, 0.95, 0.0);
        for (int t = 0; t < n; t++) {
            double next = t + 1 < n ? v[t + 1] : 0;
            assertThat(e.advantages()[t]).isCloseTo(r[t] + 0.95 * next - v[t], within(1e-12));
        }
    }
}
