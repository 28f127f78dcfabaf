package io.llama2j.model;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class FinalHiddenStateTest {

    @Test
    void theFinalHiddenStateIsWhatTheClassifierTurnsIntoTheLogits() {
        Llama model = RandomLlama.model(7);
        LlamaConfig c = model.config();
        InferenceState state = model.newState();
        for (int[] tokens : new int[][]{{1, 5, 9}, {11}}) { // a batched prompt, then one token
            float[] logits = model.forward(state, tokens).clone();
            float[] hidden = new float[c.dim()];
            state.copyFinalHidden(hidden);
            float[] row = new float[c.dim()];
            for (int v = 0; v < c.vocabSize(); v++) {
                model.weights().output().dequantize((long) v * c.dim(), row, 0, c.dim());
                double dot = 0;
                for (int i = 0; i < c.dim(); i++) dot += row[i] * hidden[i];
                assertThat(logits[v]).as("logit %d", v).isCloseTo((float) dot, within(1e-3f + 1e-4f * Math.abs(logits[v])));
            }
        }
    }

    @Test
    void aDestinationOfTheWrongSizeIsRefused() {
        Llama model = RandomLlama.model(7);
        InferenceState state = model.newState();
        assertThatThrownBy(() -> state.copyFinalHidden(new float[3]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("destination holds 3");
    }
}
