package io.llama2j.train.reward;

import io.llama2j.train.optim.LearningRateSchedule;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The reward-model recipe of Llama 2 §3.2.2: 1 epoch, LR 1e-5 cosine down to 10%, warmup 3% of the steps with at least 5. */
class PreferenceTrainingConfigTest {
    private final PreferenceTrainingConfig paper = PreferenceTrainingConfig.paper(8, 64);

    @Test
    void paperDefaultsAreOneEpochAtLr1eMinus5CosineToTenPercent() {
        assertThat(paper.epochs()).isEqualTo(1);
        assertThat(paper.optimizer().peakLearningRate()).isEqualTo(1e-5);
        assertThat(paper.optimizer().minLearningRateRatio()).isEqualTo(0.1);
        assertThat(paper.warmupFraction()).isEqualTo(0.03);
        assertThat(paper.minWarmupSteps()).isEqualTo(5);
    }

    @Test
    void warmupIsThreePercentOfTheStepsButAtLeastFiveAndShorterThanTheRun() {
        assertThat(paper.warmupSteps(1000)).isEqualTo(30);
        assertThat(paper.warmupSteps(101)).isEqualTo(5); // ⌈3.03⌉ = 4 < 5
        assertThat(paper.warmupSteps(300)).isEqualTo(9);
        assertThat(paper.warmupSteps(3)).isEqualTo(2);
    }

    @Test
    void theScheduleRisesThroughWarmupThenEndsAtTenPercentOfThePeak() {
        int steps = 1000;
        var optimizer = paper.optimizer().withWarmupSteps(paper.warmupSteps(steps));
        assertThat(LearningRateSchedule.learningRate(optimizer, 0, steps)).isLessThan(1e-5 / 10);
        assertThat(LearningRateSchedule.learningRate(optimizer, 30, steps)).isCloseTo(1e-5, within(1e-9));
        assertThat(LearningRateSchedule.learningRate(optimizer, steps - 1, steps)).isCloseTo(1e-6, within(1e-9));
    }

    @Test
    void invalidSettingsAreRefusedWithTheirName() {
        assertThatThrownBy(() -> paper.withSaveEvery(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("save-every");
        assertThatThrownBy(() -> paper.withEpochs(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("epochs");
    }
}
