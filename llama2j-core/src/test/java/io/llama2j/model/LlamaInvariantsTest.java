package io.llama2j.model;

import io.llama2j.tensor.Parallel;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Properties of the forward pass that hold for any weights (checked on random models). */
class LlamaInvariantsTest {
    static final float TOLERANCE = 1e-4f;

    static int[] randomTokens(long seed, int n, int vocab) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    @Test
    void kvCachedDecodingEqualsFullRecomputationWithoutCache() {
        Llama model = RandomLlama.model(1);
        int[] tokens = randomTokens(2, 12, model.config().vocabSize());
        InferenceState cached = model.newState();
        for (int i = 0; i < tokens.length; i++) {
            float[] incremental = model.forward(cached, tokens[i]).clone();
            // Without a cache: a fresh state runs the whole prefix as one prompt
            float[][] full = model.forwardAllLogits(new InferenceState(model.config(), 64, 64), java.util.Arrays.copyOf(tokens, i + 1));
            assertClose(incremental, full[i]);
        }
    }

    @Test
    void batchedPromptEqualsTokenByToken() {
        Llama model = RandomLlama.model(3);
        int[] tokens = randomTokens(4, 20, model.config().vocabSize());
        // batch 7: the 20 tokens go as batches of 7, 7 and 6, each attending to earlier batches
        float[][] batched = model.forwardAllLogits(new InferenceState(model.config(), 64, 7), tokens);
        InferenceState single = new InferenceState(model.config(), 64, 1);
        for (int i = 0; i < tokens.length; i++) {
            assertClose(model.forward(single, tokens[i]), batched[i]);
        }
    }

    @Test
    void threadCountDoesNotChangeTheResult() {
        // large enough that matmuls and attention are split across threads (MatMul.MIN_PARALLEL_WORK)
        LlamaConfig c = new LlamaConfig(128, 384, 2, 4, 2, 300, 64, 1e-5f, 10000f);
        LlamaWeights w = RandomLlama.weights(c, 5, false);
        int[] tokens = randomTokens(6, 30, c.vocabSize()); // one batch: attention heads are split too
        try (Parallel one = new Parallel(1); Parallel three = new Parallel(3)) {
            float[][] a = new Llama(c, w, one).forwardAllLogits(new InferenceState(c), tokens);
            float[][] b = new Llama(c, w, three).forwardAllLogits(new InferenceState(c), tokens);
            for (int i = 0; i < tokens.length; i++) assertClose(a[i], b[i]);
        }
    }

    @Test
    void tiedOutputUsesTheEmbeddingAndEqualsAnUntiedCopyOfIt() {
        LlamaConfig c = RandomLlama.smallConfig();
        LlamaWeights tied = RandomLlama.weights(c, 7, true);
        assertThat(tied.output()).isSameAs(tied.tokenEmbedding());
        LlamaWeights untied = new LlamaWeights(tied.tokenEmbedding(), tied.attentionNorm(), tied.wq(), tied.wk(), tied.wv(),
                tied.wo(), tied.ffnNorm(), tied.w1(), tied.w2(), tied.w3(), tied.outputNorm(), RandomLlama.copy(tied.tokenEmbedding()));
        LlamaWeights different = RandomLlama.weights(c, 7, false);
        int[] tokens = randomTokens(8, 6, c.vocabSize());
        float[] a = new Llama(c, tied).forward(new InferenceState(c), tokens).clone();
        float[] b = new Llama(c, untied).forward(new InferenceState(c), tokens).clone();
        float[] d = new Llama(c, different).forward(new InferenceState(c), tokens).clone();
        assertClose(a, b);
        assertThat(maxAbsDiff(a, d)).as("a separate output matrix changes the logits").isGreaterThan(0.1f);
    }

    @Test
    void rewindingAndReplayingGivesTheSameLogits() {
        Llama model = RandomLlama.model(9);
        int[] tokens = randomTokens(10, 8, model.config().vocabSize());
        InferenceState s = model.newState();
        float[] first = model.forward(s, tokens).clone();
        s.rewind(3);
        float[] replay = model.forward(s, java.util.Arrays.copyOfRange(tokens, 3, 8));
        assertClose(first, replay);
        assertThat(s.position()).isEqualTo(8);
    }

    @Test
    void rejectsTokensOutsideTheVocabularyAndContextOverflow() {
        Llama model = RandomLlama.model(11);
        InferenceState s = new InferenceState(model.config(), 4, 2);
        assertThatThrownBy(() -> model.forward(s, 40)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token id 40").hasMessageContaining("[0, 40)");
        assertThatThrownBy(() -> model.forward(s, 1, 2, 3, 4, 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exceeds the context of 4");
        assertThat(s.position()).isZero();
    }

    static float maxAbsDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat(actual[i]).as("logit %d", i).isCloseTo(expected[i], within(TOLERANCE));
        }
    }
}
