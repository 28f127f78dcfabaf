package io.llama2j.server.schedule;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RepetitionPenaltiesTest {

    @Test
    void penaltiesFollowOpenAisFormula() {
        RepetitionPenalties penalties = new RepetitionPenalties(0.5, 0.25);
        penalties.record(1);
        penalties.record(1);
        penalties.record(3);
        float[] logits = {1, 1, 1, 1};
        penalties.apply(logits);
        // logit[j] -= count[j] * frequency + (count[j] > 0) * presence
        assertThat(logits[0]).isEqualTo(1f);
        assertThat(logits[1]).isCloseTo(1 - (2 * 0.25f + 0.5f), within(1e-6f));
        assertThat(logits[2]).isEqualTo(1f);
        assertThat(logits[3]).isCloseTo(1 - (0.25f + 0.5f), within(1e-6f));
    }

    @Test
    void negativePenaltiesEncourageRepetition() {
        RepetitionPenalties penalties = new RepetitionPenalties(-1, 0);
        penalties.record(0);
        float[] logits = {0, 0};
        penalties.apply(logits);
        assertThat(logits[0]).isEqualTo(1f);
        assertThat(logits[1]).isEqualTo(0f);
    }
}
