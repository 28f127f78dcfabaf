package io.llama2j.model;

import io.llama2j.TestData;
import io.llama2j.gguf.GgufModel;
import io.llama2j.gguf.GgufModelLoader;
import io.llama2j.llama2c.Llama2cCheckpoint;
import io.llama2j.tensor.FloatArrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The forward pass on GGUF files of every tensor type against the float64 "exact" references
 * (PROVENANCE.md: weights dequantized, float32 activations; tolerance 5e-4 per logit, all 32
 * greedy ids equal), and stories260K.gguf against run.c's stories260K references.
 */
class GgufReferenceTest {
    static final float EXACT_TOLERANCE = 5e-4f;

    static Stream<Arguments> typesAndPrompts() {
        return Stream.of("F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_K", "Q6_K", "Q4_K_M")
                .flatMap(type -> Stream.of(Arguments.of(type, "p1"), Arguments.of(type, "p2")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("typesAndPrompts")
    void logitsAndGreedyIdsEqualTheExactReference(String type, String prompt) throws IOException {
        ReferenceOutput ref = ReferenceOutput.read(TestData.file("reference/gguf-" + type + "-exact-" + prompt + ".json"));
        try (GgufModel gguf = GgufModelLoader.load(TestData.file("gguf/tiny-llama2-" + type + ".gguf"))) {
            Llama model = new Llama(gguf.config(), gguf.weights());
            InferenceState state = model.newState();
            float[][] logits = model.forwardAllLogits(state, ref.prompt());
            for (int p = 0; p < ref.logits().length; p++) {
                assertThat(maxAbsDiff(logits[p], ref.logits()[p])).as("%s %s position %d", type, prompt, p)
                        .isLessThanOrEqualTo(EXACT_TOLERANCE);
            }
            assertThat(greedy(model, state, logits[logits.length - 1], ref.greedy().length)).containsExactly(ref.greedy());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference/stories260K-ref-bos.json", "reference/stories260K-ref-prompt.json"})
    void stories260KAsGgufMatchesRunC(String name) throws IOException {
        ReferenceOutput ref = ReferenceOutput.read(TestData.file(name));
        try (GgufModel gguf = GgufModelLoader.load(TestData.file("stories260K.gguf"))) {
            // the GGUF file stores no norm eps or theta difference: same numerics as the .bin
            assertThat(gguf.config().rmsNormEps()).isEqualTo(Llama2cCheckpoint.RMS_NORM_EPS);
            Llama model = new Llama(gguf.config(), gguf.weights());
            InferenceState state = model.newState();
            float[][] logits = model.forwardAllLogits(state, ref.prompt());
            for (int p = 0; p < ref.prompt().length; p++) {
                assertThat(maxAbsDiff(logits[p], ref.logits()[p])).as("position %d", p).isLessThanOrEqualTo(1e-4f);
            }
            assertThat(greedy(model, state, logits[logits.length - 1], ref.greedy().length)).containsExactly(ref.greedy());
        }
    }

    static int[] greedy(Llama model, InferenceState state, float[] lastLogits, int n) {
        int[] out = new int[n];
        float[] logits = lastLogits;
        for (int i = 0; i < n; i++) {
            out[i] = FloatArrays.argmax(logits, logits.length);
            if (i + 1 < n) logits = model.forward(state, out[i]);
        }
        return out;
    }

    static float maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
