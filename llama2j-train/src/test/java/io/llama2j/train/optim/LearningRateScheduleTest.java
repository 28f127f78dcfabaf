package io.llama2j.train.optim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LearningRateScheduleTest {
    private final OptimizerConfig paper = OptimizerConfig.paper().withWarmupSteps(10);

    @Test
    void defaultsAreThePapersRecipe() {
        OptimizerConfig c = OptimizerConfig.paper();
        assertThat(c.beta1()).isEqualTo(0.9);
        assertThat(c.beta2()).isEqualTo(0.95);
        assertThat(c.epsilon()).isEqualTo(1e-5);
        assertThat(c.weightDecay()).isEqualTo(0.1);
        assertThat(c.gradientClip()).isEqualTo(1.0);
        assertThat(c.peakLearningRate()).isEqualTo(3e-4);
        assertThat(c.minLearningRateRatio()).isEqualTo(0.1);
    }

    @Test
    void warmupRisesLinearlyToThePeak() {
        for (int s = 0; s < 10; s++) {
            assertThat(LearningRateSchedule.learningRate(paper, s, 100)).isCloseTo(3e-4 * (s + 1) / 10, within(1e-12));
        }
    }

    @Test
    void cosineDecaysMonotonicallyFromThePeakToTenPercentAtTheLastStep() {
        assertThat(LearningRateSchedule.learningRate(paper, 10, 100)).isCloseTo(3e-4, within(1e-12));
        double previous = Double.MAX_VALUE;
        for (int s = 10; s < 100; s++) {
            double lr = LearningRateSchedule.learningRate(paper, s, 100);
            assertThat(lr).isLessThanOrEqualTo(previous);
            previous = lr;
        }
        assertThat(LearningRateSchedule.learningRate(paper, 99, 100)).isCloseTo(3e-5, within(1e-12));
        // halfway through the decay the cosine is at its midpoint: (peak + min) / 2
        assertThat(LearningRateSchedule.learningRate(paper, 10 + 89 / 2, 100)).isCloseTo(1.65e-4, within(3e-6));
    }

    @Test
    void isAPureFunctionOfTheStep() {
        assertThat(LearningRateSchedule.learningRate(paper, 37, 100)).isEqualTo(LearningRateSchedule.learningRate(paper, 37, 100));
    }
}
