package io.llama2j.model;

import io.llama2j.TestData;
import io.llama2j.gguf.GgufModel;
import io.llama2j.gguf.GgufModelLoader;
import io.llama2j.llama2c.Llama2cCheckpoint;
import io.llama2j.tensor.FloatArrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * stories260K.bin, and its GGUF copy, reproduce run.c's logits and greedy ids
 * (reference/stories260K-ref-*.json). The tiny GGUF files of every tensor type are checked
 * against their references in io.llama2j.gguf.GgufReferenceLogitsTest.
 */
class Stories260KReferenceTest {
    static Llama model;

    @BeforeAll
    static void load() throws IOException {
        Llama2cCheckpoint ckpt = Llama2cCheckpoint.load(TestData.file("stories260K.bin"));
        model = new Llama(ckpt.config(), ckpt.weights());
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference/stories260K-ref-bos.json", "reference/stories260K-ref-prompt.json"})
    void logitsOfTheFirstPositionsMatchTheReferenceWithin1e4(String name) throws IOException {
        ReferenceOutput ref = ReferenceOutput.read(TestData.file(name));
        int[] tokens = new int[ref.logits().length];
        int[] continuation = concat(ref.prompt(), ref.greedy());
        System.arraycopy(continuation, 0, tokens, 0, tokens.length);
        float[][] logits = model.forwardAllLogits(model.newState(), tokens);
        for (int p = 0; p < tokens.length; p++) {
            for (int i = 0; i < ref.logits()[p].length; i++) {
                assertThat(logits[p][i]).as("position %d logit %d", p, i).isCloseTo(ref.logits()[p][i], within(1e-4f));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference/stories260K-ref-bos.json", "reference/stories260K-ref-prompt.json"})
    void greedyDecodingReproducesTheReferenceIds(String name) throws IOException {
        ReferenceOutput ref = ReferenceOutput.read(TestData.file(name));
        InferenceState state = model.newState();
        float[] logits = model.forward(state, ref.prompt());
        int[] generated = new int[ref.greedy().length];
        for (int i = 0; i < generated.length; i++) {
            generated[i] = FloatArrays.argmax(logits, logits.length);
            if (i + 1 < generated.length) logits = model.forward(state, generated[i]);
        }
        assertThat(generated).containsExactly(ref.greedy());
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference/stories260K-ref-bos.json", "reference/stories260K-ref-prompt.json"})
    void theGgufCopyGivesTheSameLogitsAndGreedyIds(String name) throws IOException {
        ReferenceOutput ref = ReferenceOutput.read(TestData.file(name));
        try (GgufModel gguf = GgufModelLoader.load(TestData.file("stories260K.gguf"))) {
            Llama fromGguf = new Llama(gguf.config(), gguf.weights());
            InferenceState state = fromGguf.newState();
            float[][] logits = fromGguf.forwardAllLogits(state, ref.prompt());
            for (int p = 0; p < ref.prompt().length; p++) {
                for (int i = 0; i < ref.logits()[p].length; i++) {
                    assertThat(logits[p][i]).as("position %d logit %d", p, i).isCloseTo(ref.logits()[p][i], within(1e-4f));
                }
            }
            float[] last = logits[logits.length - 1];
            int[] generated = new int[ref.greedy().length];
            for (int i = 0; i < generated.length; i++) {
                generated[i] = FloatArrays.argmax(last, last.length);
                if (i + 1 < generated.length) last = fromGguf.forward(state, generated[i]);
            }
            assertThat(generated).containsExactly(ref.greedy());
        }
    }

    static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
