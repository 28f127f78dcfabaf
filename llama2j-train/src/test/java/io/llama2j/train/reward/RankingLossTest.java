package io.llama2j.train.reward;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The margin ranking loss of the Llama 2 reward model (eq. 2, Table 27). */
class RankingLossTest {

    @Test
    void equalRewardsWithoutMarginCostLogTwo() {
        assertThat(RankingLoss.loss(0.7, 0.7, 0)).isCloseTo(Math.log(2), within(1e-15));
        assertThat(RankingLoss.gradientChosen(0.7, 0.7, 0)).isCloseTo(-0.5, within(1e-15));
    }

    @Test
    void handWorkedCaseMatchesDirectFormula() {
        // r_c = 2, r_r = 0.5, margin 1 (significantly better, small table): d = 0.5
        double d = 0.5, sigma = 1 / (1 + Math.exp(-d));
        assertThat(RankingLoss.loss(2, 0.5, MarginTable.SMALL.margin(PreferenceRating.SIGNIFICANTLY_BETTER)))
                .isCloseTo(-Math.log(sigma), within(1e-15));
        assertThat(RankingLoss.gradientChosen(2, 0.5, 1)).isCloseTo(-(1 - sigma), within(1e-15));
    }

    @Test
    void marginTablesAreThePapersTable27() {
        assertThat(MarginTable.SMALL.margin(PreferenceRating.SIGNIFICANTLY_BETTER)).isEqualTo(1.0);
        assertThat(MarginTable.SMALL.margin(PreferenceRating.BETTER)).isEqualTo(2.0 / 3);
        assertThat(MarginTable.SMALL.margin(PreferenceRating.SLIGHTLY_BETTER)).isEqualTo(1.0 / 3);
        assertThat(MarginTable.SMALL.margin(PreferenceRating.NEGLIGIBLY_BETTER)).isEqualTo(0.0);
        assertThat(MarginTable.LARGE.margin(PreferenceRating.SIGNIFICANTLY_BETTER)).isEqualTo(3.0);
        assertThat(MarginTable.LARGE.margin(PreferenceRating.BETTER)).isEqualTo(2.0);
        assertThat(MarginTable.LARGE.margin(PreferenceRating.SLIGHTLY_BETTER)).isEqualTo(1.0);
        assertThat(MarginTable.LARGE.margin(PreferenceRating.NEGLIGIBLY_BETTER)).isEqualTo(0.0);
        for (PreferenceRating r : PreferenceRating.values()) assertThat(MarginTable.NONE.margin(r)).isZero();
    }

    @Test
    void ratingsParseFromTheirJsonSpellingAndUnknownOnesAreNamed() {
        assertThat(PreferenceRating.parse("slightly_better")).isEqualTo(PreferenceRating.SLIGHTLY_BETTER);
        assertThat(PreferenceRating.parse("unsure")).isEqualTo(PreferenceRating.NEGLIGIBLY_BETTER);
        assertThatThrownBy(() -> PreferenceRating.parse("much_better"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("much_better").hasMessageContaining("better");
    }

    @Test
    void extremeDifferencesStayFinite() {
        assertThat(RankingLoss.loss(-1000, 1000, 0)).isCloseTo(2000, within(1e-9));
        assertThat(RankingLoss.loss(1000, -1000, 0)).isGreaterThanOrEqualTo(0).isLessThan(1e-300 + 1e-12);
        assertThat(RankingLoss.gradientChosen(-1000, 1000, 0)).isCloseTo(-1, within(1e-15));
    }

    @Property
    void gradientMatchesFiniteDifferenceOfLoss(@ForAll @DoubleRange(min = -8, max = 8) double chosen,
                                               @ForAll @DoubleRange(min = -8, max = 8) double rejected,
                                               @ForAll @DoubleRange(min = 0, max = 3) double margin) {
        double h = 1e-6;
        double numeric = (RankingLoss.loss(chosen + h, rejected, margin) - RankingLoss.loss(chosen - h, rejected, margin)) / (2 * h);
        assertThat(RankingLoss.gradientChosen(chosen, rejected, margin)).isCloseTo(numeric, within(1e-6));
        double numericRejected = (RankingLoss.loss(chosen, rejected + h, margin) - RankingLoss.loss(chosen, rejected - h, margin)) / (2 * h);
        assertThat(-RankingLoss.gradientChosen(chosen, rejected, margin)).isCloseTo(numericRejected, within(1e-6));
    }

    @Property
    void aLargerMarginNeverLowersTheLoss(@ForAll @DoubleRange(min = -5, max = 5) double chosen,
                                         @ForAll @DoubleRange(min = -5, max = 5) double rejected) {
        for (PreferenceRating r : PreferenceRating.values()) {
            assertThat(RankingLoss.loss(chosen, rejected, MarginTable.LARGE.margin(r)))
                    .isGreaterThanOrEqualTo(RankingLoss.loss(chosen, rejected, MarginTable.SMALL.margin(r)));
        }
    }
}
