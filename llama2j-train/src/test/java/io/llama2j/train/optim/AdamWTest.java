package io.llama2j.train.optim;

import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.ModelInit;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.ParameterTensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class AdamWTest {
    private final LlamaConfig config = new LlamaConfig(8, 16, 1, 2, 1, 5, 4, 1e-5f, 10000f);

    @Test
    void firstUpdateIsLearningRateTimesSignOfGradientPlusDecoupledDecayOnMatricesOnly() {
        ModelParameters p = ModelParameters.initialized(config, false, ModelInit.withSeed(1));
        float[] before = p.values().clone();
        java.util.Arrays.fill(p.gradients(), 1e-3f); // global norm well below the clip
        AdamW adam = new AdamW(OptimizerConfig.paper(), p);
        try (Parallel parallel = new Parallel(1)) {
            adam.step(parallel, p.values(), p.gradients(), 1e-2);
        }
        for (ParameterTensor t : p.tensors()) {
            int i = t.offset();
            // bias-corrected m/√v = g/|g| = 1 on the first step (up to eps)
            double expected = before[i] - 1e-2 * (1e-3 / (1e-3 + 1e-5) + (t.decays() ? 0.1 * before[i] : 0));
            assertThat((double) p.values()[i]).as(t.name()).isCloseTo(expected, within(1e-6));
        }
    }

    @Test
    void gradientsAboveTheClipAreScaledToGlobalNormOne() {
        ModelParameters p = new ModelParameters(config, true);
        java.util.Arrays.fill(p.gradients(), 10f);
        AdamW adam = new AdamW(OptimizerConfig.paper().withWeightDecay(0), p);
        double norm;
        try (Parallel parallel = new Parallel(1)) {
            norm = adam.step(parallel, p.values(), p.gradients(), 1e-3);
        }
        assertThat(norm).isCloseTo(10 * Math.sqrt(p.size()), within(1e-3));
        // m after one step = (1 − β1) · clipped g = 0.1 · 10 / norm
        assertThat((double) adam.firstMoment()[0]).isCloseTo(0.1 * 10 / norm, within(1e-9));
    }
}
