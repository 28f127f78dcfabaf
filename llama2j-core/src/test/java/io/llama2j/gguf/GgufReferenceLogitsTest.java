package io.llama2j.gguf;

import io.llama2j.TestData;
import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.model.ReferenceOutput;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * End to end over every storage type: the tiny Llama 2 GGUF files through GgufModelLoader and
 * the forward pass give the float64 "exact" reference logits (PROVENANCE.md: an implementation
 * that dequantizes weights and keeps float32 activations agrees within 5e-4; float32 numpy
 * within 2e-5), and the same 32 greedy ids. (The model package's Stories260KReferenceTest covers
 * stories260K.gguf against run.c.)
 */
class GgufReferenceLogitsTest {
    /** PROVENANCE.md's recommended tolerance against the exact references. */
    private static final float TOLERANCE = 5e-4f;

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_K", "Q6_K", "Q4_K_M"})
    void logitsAndGreedyIdsMatchTheExactReference(String type) throws Exception {
        try (GgufModel model = GgufModelLoader.load(TestData.file("gguf/tiny-llama2-" + type + ".gguf"))) {
            Llama llama = new Llama(model.config(), model.weights());
            for (String prompt : new String[]{"p1", "p2"}) {
                ReferenceOutput ref = ReferenceOutput.read(TestData.file("reference/gguf-" + type + "-exact-" + prompt + ".json"));
                InferenceState state = llama.newState();
                float[][] logits = llama.forwardAllLogits(state, ref.prompt());
                for (int pos = 0; pos < ref.logits().length; pos++) {
                    for (int v = 0; v < ref.logits()[pos].length; v++) {
                        if (Math.abs(logits[pos][v] - ref.logits()[pos][v]) > TOLERANCE) {
                            assertThat(logits[pos][v]).as("%s %s position %d logit %d", type, prompt, pos, v)
                                    .isCloseTo(ref.logits()[pos][v], within(TOLERANCE));
                        }
                    }
                }
                float[] last = logits[ref.prompt().length - 1];
                int[] greedy = new int[ref.greedy().length];
                for (int i = 0; i < greedy.length; i++) {
                    greedy[i] = argmax(last);
                    last = llama.forward(state, greedy[i]);
                }
                assertThat(greedy).as("%s %s greedy ids", type, prompt).containsExactly(ref.greedy());
            }
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
