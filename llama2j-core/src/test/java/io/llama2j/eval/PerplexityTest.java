package io.llama2j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llama2j.TestData;
import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.model.Llama;
import io.llama2j.tensor.Parallel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

class PerplexityTest {

    @Test
    void aModelWithUniformLogitsHasPerplexityEqualToTheVocabularySize() {
        BigramModel model = BigramModel.of("ab ", (previous, next) -> 0f);
        Perplexity perplexity = new Perplexity(model.llama, model.tokenizer, new PerplexitySettings(16, 16, -1));

        PerplexityResult r = perplexity.score("ab ba ".repeat(20), null);

        assertThat(r.perplexity()).isCloseTo(model.vocabSize(), within(1e-4));
        assertThat(r.error()).satisfiesAnyOf(e -> assertThat(e).isNaN(), e -> assertThat(e).isLessThan(1e-6));
    }

    @Test
    void onlyTheSecondHalfOfEachChunkIsScoredWithLlamaCppsErrorEstimate() {
        // After 'a' the model gives 'b' probability 1/2, after 'b' it gives 'a' probability 1/4.
        BigramModel model = BigramModel.of("ab", halfAfterAQuarterAfterB());
        int a = model.id('a'), b = model.id('b');
        int[] tokens = new int[1 + 23];
        tokens[0] = BigramModel.BOS;
        for (int i = 1; i < tokens.length; i++) tokens[i] = i % 2 == 1 ? a : b;
        List<Double> seen = new ArrayList<>();

        // n_ctx 8: positions 4, 5, 6 of each chunk predict tokens 5, 6, 7. Three full chunks fit in 24 tokens.
        PerplexityResult r = new Perplexity(model.llama, model.tokenizer, new PerplexitySettings(8, 3, -1))
                .score(tokens, (ppl, chunk) -> seen.add(ppl));

        // Every chunk predicts a (1/4) after b, b (1/2) after a, a (1/4) after b.
        double ln2 = Math.log(2);
        double meanNll = (2 * Math.log(4) + ln2) / 3;
        double expectedPpl = Math.exp(meanNll);
        double count = 9;
        double variance = (2 * Math.pow(Math.log(4), 2) + ln2 * ln2) / 3 - meanNll * meanNll;
        assertThat(r.chunks()).isEqualTo(3);
        assertThat(r.tokensScored()).isEqualTo(9);
        assertThat(r.perplexity()).isCloseTo(expectedPpl, within(1e-4));
        assertThat(r.error()).isCloseTo(Math.sqrt(variance / (count - 1)) * expectedPpl, within(1e-4));
        assertThat(seen).hasSize(3).allSatisfy(p -> assertThat(p).isCloseTo(expectedPpl, within(1e-4)));
        assertThat(r.finalEstimate()).isEqualTo(String.format(java.util.Locale.ROOT,
                "Final estimate: PPL = %.4f +/- %.5f", r.perplexity(), r.error()));
    }

    private static BigramModel.LogitTable halfAfterAQuarterAfterB() {
        // Vocabulary: <unk> <s> </s> a b (5 tokens). Logits chosen so the softmax gives the wanted probabilities.
        return (previous, next) -> {
            int a = BigramModel.FIRST_CHARACTER_ID, b = a + 1;
            if (previous == a) return next == b ? (float) Math.log(4) : 0f;        // 4 / (4 + 4·1) = 1/2
            if (previous == b) return next == a ? (float) Math.log(4.0 / 3) : 0f;  // (4/3) / (4/3 + 4) = 1/4
            return 0f;
        };
    }

    @Test
    void chunksBeyondTheRequestedCountAreNotScored() {
        BigramModel model = BigramModel.of("ab", halfAfterAQuarterAfterB());
        int[] tokens = new int[64];
        Arrays.fill(tokens, model.id('a'));

        PerplexityResult r = new Perplexity(model.llama, model.tokenizer, new PerplexitySettings(8, 8, 2)).score(tokens, null);

        assertThat(r.chunks()).isEqualTo(2);
        assertThat(r.tokensScored()).isEqualTo(6);
    }

    @Test
    void aTextShorterThanTwoChunksIsRejectedWithItsTokenCount() {
        BigramModel model = BigramModel.of("ab", (p, n) -> 0f);

        assertThatThrownBy(() -> new Perplexity(model.llama, model.tokenizer, new PerplexitySettings(16, 16, -1)).score("abab", null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("5 tokens").hasMessageContaining("at least 32");
    }

    @Test
    void aContextLongerThanTheModelsIsRejected() {
        BigramModel model = BigramModel.of("ab", (p, n) -> 0f);

        assertThatThrownBy(() -> new Perplexity(model.llama, model.tokenizer, new PerplexitySettings(1024, 16, -1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1024").hasMessageContaining("256");
    }

    @Test
    void stories260kOnTinyStoriesMatchesLlamaCppWithinOnePercent() throws Exception {
        JsonNode reference = new ObjectMapper().readTree(TestData.file("reference/perplexity-stories260K.json").toFile());
        byte[] text = Files.readAllBytes(TestData.file("datasets/tinystories-valid-head.txt"));
        int bytes = 200_000;
        // One thread: the 260K model's matrices are too small to gain from hand-offs between threads.
        try (LoadedModel m = ModelLoader.load(TestData.file("stories260K.gguf"), null);
             Parallel oneThread = new Parallel(1)) {
            Perplexity perplexity = new Perplexity(new Llama(m.config(), m.weights(), oneThread), m.tokenizer(),
                    new PerplexitySettings(reference.get("n_ctx").asInt(), reference.get("n_batch").asInt(), -1));

            PerplexityResult r = perplexity.score(new String(text, 0, bytes, StandardCharsets.UTF_8), null);

            assertThat(r.chunks()).isEqualTo(reference.get("chunks").asInt());
            assertThat(r.perplexity()).isCloseTo(reference.get("ppl").asDouble(), withinPercentage(1));
            assertThat(r.error()).isCloseTo(reference.get("ppl_error").asDouble(), withinPercentage(1));
        }
    }
}
