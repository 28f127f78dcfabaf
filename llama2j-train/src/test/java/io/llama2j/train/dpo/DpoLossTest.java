package io.llama2j.train.dpo;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The DPO loss (Rafailov et al. 2023, eq. 7). */
class DpoLossTest {

    @Test
    void policyEqualToReferenceCostsLogTwo() {
        assertThat(DpoLoss.loss(-5, -5, -7, -7, 0.1)).isCloseTo(Math.log(2), within(1e-15));
        assertThat(DpoLoss.gradientChosen(-5, -5, -7, -7, 0.1)).isCloseTo(-0.05, within(1e-15));
    }

    @Test
    void handWorkedCase() {
        // policy gained 1 nat on chosen, lost 1 on rejected relative to reference: z = 2, βz = 0.5
        double sigma = 1 / (1 + Math.exp(-0.5));
        assertThat(DpoLoss.loss(-4, -5, -8, -7, 0.25)).isCloseTo(-Math.log(sigma), within(1e-15));
        assertThat(DpoLoss.gradientChosen(-4, -5, -8, -7, 0.25)).isCloseTo(-0.25 * (1 - sigma), within(1e-15));
    }

    @Property
    void gradientMatchesFiniteDifference(@ForAll @DoubleRange(min = -20, max = 0) double pc,
                                         @ForAll @DoubleRange(min = -20, max = 0) double rc,
                                         @ForAll @DoubleRange(min = -20, max = 0) double pr,
                                         @ForAll @DoubleRange(min = -20, max = 0) double rr,
                                         @ForAll @DoubleRange(min = 0.01, max = 1) double beta) {
        double h = 1e-6;
        double dChosen = (DpoLoss.loss(pc + h, rc, pr, rr, beta) - DpoLoss.loss(pc - h, rc, pr, rr, beta)) / (2 * h);
        double dRejected = (DpoLoss.loss(pc, rc, pr + h, rr, beta) - DpoLoss.loss(pc, rc, pr - h, rr, beta)) / (2 * h);
        assertThat(DpoLoss.gradientChosen(pc, rc, pr, rr, beta)).isCloseTo(dChosen, within(1e-6));
        assertThat(-DpoLoss.gradientChosen(pc, rc, pr, rr, beta)).isCloseTo(dRejected, within(1e-6));
    }
}
