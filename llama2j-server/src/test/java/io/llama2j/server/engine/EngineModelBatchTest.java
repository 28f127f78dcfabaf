package io.llama2j.server.engine;

import io.llama2j.TestData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link EngineModel#feedEach}: the scheduler's batched step gives each sequence its own feed's logits. */
class EngineModelBatchTest {

    private static EngineModel model;

    @BeforeAll
    static void load() throws IOException {
        model = EngineModel.load(TestData.file("stories260K.bin"), TestData.file("tok512.bin"), 64, null);
    }

    @Test
    void feedingSequencesTogetherGivesEachTheLogitsOfFeedingItAlone() {
        int[][] prompts = {model.tokenize("Once upon a time", true), model.tokenize("Tom had a red ball", true),
                model.tokenize("One day", true)};
        int[] next = {300, 301, 302};
        ModelSequence[] together = new ModelSequence[prompts.length];
        float[][] alone = new float[prompts.length][];
        for (int b = 0; b < prompts.length; b++) {
            together[b] = model.newSequence();
            together[b].feed(prompts[b], 0, prompts[b].length);
            ModelSequence solo = model.newSequence();
            solo.feed(prompts[b], 0, prompts[b].length);
            alone[b] = solo.feed(next[b]).clone();
        }
        float[][] logits = model.feedEach(together, next);
        for (int b = 0; b < prompts.length; b++) {
            // stories260K is float32: the batched product sums exactly as the single-token one
            assertThat(logits[b]).as("sequence %d", b).isEqualTo(alone[b]);
            assertThat(together[b].position()).isEqualTo(prompts[b].length + 1);
        }
    }

    @Test
    void refusesASequenceItDidNotMake() throws IOException {
        EngineModel other = EngineModel.load(TestData.file("stories260K.bin"), TestData.file("tok512.bin"), 64, null);
        ModelSequence mine = model.newSequence(), foreign = other.newSequence();
        mine.feed(new int[] {1}, 0, 1);
        foreign.feed(new int[] {1}, 0, 1);
        assertThatThrownBy(() -> model.feedEach(new ModelSequence[] {mine, foreign}, new int[] {5, 5}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sequence 1 was not made by this model's newSequence()");
        assertThat(mine.position()).isEqualTo(1);
    }
}
