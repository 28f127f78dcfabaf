package io.llama2j.generate;

import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.model.RandomLlama;
import io.llama2j.sampling.Sampler;
import io.llama2j.sampling.SamplerConfig;
import io.llama2j.tensor.FloatArrays;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GeneratorTest {
    final Llama model = RandomLlama.model(21);
    final Generator generator = new Generator(model);
    /** Token id i decodes to the letter 'a' + i % 26 (a stand-in tokenizer). */
    final TokenDecoder letters = id -> String.valueOf((char) ('a' + id % 26));

    Sampler greedy() { return new Sampler(SamplerConfig.greedy(), model.config().vocabSize()); }

    /** Greedy ids by hand: argmax, feed back, repeat. */
    int[] greedyByHand(int[] prompt, int n) {
        InferenceState s = model.newState();
        float[] logits = model.forward(s, prompt);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = FloatArrays.argmax(logits, logits.length);
            logits = model.forward(s, out[i]);
        }
        return out;
    }

    @Test
    void greedyGenerationEmitsArgmaxTokensAndTheirText() {
        int[] prompt = {1, 5, 7};
        List<Integer> streamed = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        GenerationResult r = generator.generate(model.newState(), prompt, greedy(), new GenerationSettings(10),
                letters, (id, t) -> { streamed.add(id); text.append(t); });
        int[] expected = greedyByHand(prompt, 10);
        assertThat(r.tokens()).containsExactly(expected);
        assertThat(streamed).containsExactly(java.util.Arrays.stream(expected).boxed().toArray(Integer[]::new));
        assertThat(r.text()).isEqualTo(text.toString()).hasSize(10);
        assertThat(r.stopReason()).isEqualTo(StopReason.MAX_TOKENS);
        assertThat(r.promptTokens()).isEqualTo(3);
        assertThat(r.promptNanos()).isPositive();
        assertThat(r.generationTokensPerSecond()).isPositive();
    }

    @Test
    void aSampledStopTokenEndsGenerationAndIsNotEmitted() {
        int[] prompt = {1, 5, 7};
        int[] expected = greedyByHand(prompt, 6);
        GenerationResult r = generator.generate(model.newState(), prompt, greedy(), new GenerationSettings(10, expected[4]),
                letters, TokenListener.NONE);
        int firstStop = 0;
        while (expected[firstStop] != expected[4]) firstStop++;
        assertThat(r.tokens()).containsExactly(java.util.Arrays.copyOf(expected, firstStop));
        assertThat(r.stopReason()).isEqualTo(StopReason.STOP_TOKEN);
    }

    @Test
    void everyEmittedTokenButTheLastIsInTheCache() {
        InferenceState s = model.newState();
        generator.generate(s, new int[]{1, 2}, greedy(), new GenerationSettings(5), letters, TokenListener.NONE);
        assertThat(s.position()).isEqualTo(2 + 5 - 1);
        // a second turn continues from there
        generator.generate(s, new int[]{3}, greedy(), new GenerationSettings(2), letters, TokenListener.NONE);
        assertThat(s.position()).isEqualTo(6 + 1 + 1);
    }

    @Test
    void aStopStringCutsTheTextAndIsNeverStreamed() {
        // the decoder follows a fixed script whatever ids the model picks
        String[] script = {"he", "llo", " wo", "rld", "!", "more"};
        AtomicInteger step = new AtomicInteger();
        TokenDecoder scripted = id -> script[step.getAndIncrement()];
        StringBuilder streamed = new StringBuilder();
        GenerationResult r = generator.generate(model.newState(), new int[]{1}, greedy(),
                new GenerationSettings(10, new int[0], List.of("world"), null), scripted, (id, t) -> streamed.append(t));
        assertThat(r.text()).isEqualTo("hello ");
        assertThat(streamed.toString()).isEqualTo("hello ");
        assertThat(r.stopReason()).isEqualTo(StopReason.STOP_STRING);
        assertThat(r.tokens()).hasSize(4);
    }

    @Test
    void textHeldBackForAStopStringThatDoesNotComeIsReleasedAtTheEnd() {
        String[] script = {"a", "wor", "m"};
        AtomicInteger step = new AtomicInteger();
        StringBuilder streamed = new StringBuilder();
        List<String> pieces = new ArrayList<>();
        GenerationResult r = generator.generate(model.newState(), new int[]{1}, greedy(),
                new GenerationSettings(3, new int[0], List.of("world"), null), id -> script[step.getAndIncrement()],
                (id, t) -> { streamed.append(t); pieces.add(t); });
        assertThat(pieces.subList(0, 2)).containsExactly("a", ""); // "wor" may start "world": held back
        assertThat(streamed.toString()).isEqualTo("aworm").isEqualTo(r.text());
    }

    @Test
    void cancellationStopsBeforeTheNextToken() {
        AtomicInteger tokens = new AtomicInteger();
        GenerationResult r = generator.generate(model.newState(), new int[]{1}, greedy(),
                new GenerationSettings(50, new int[0], List.of(), () -> tokens.get() >= 3), letters,
                (id, t) -> tokens.incrementAndGet());
        assertThat(r.tokens()).hasSize(3);
        assertThat(r.stopReason()).isEqualTo(StopReason.CANCELLED);
    }

    @Test
    void generationStopsWhenTheContextIsFull() {
        InferenceState s = new InferenceState(model.config(), 8, 4);
        GenerationResult r = generator.generate(s, new int[]{1, 2, 3}, greedy(), new GenerationSettings(100), letters, TokenListener.NONE);
        assertThat(r.stopReason()).isEqualTo(StopReason.CONTEXT_FULL);
        assertThat(r.tokens()).hasSize(6); // positions 3..7 are fed, the 6th token is emitted without being fed
    }

    @Test
    void badPromptsAreRejected() {
        assertThatThrownBy(() -> generator.generate(model.newState(), new int[0], greedy(), new GenerationSettings(1), letters, TokenListener.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one token");
        assertThatThrownBy(() -> generator.generate(model.newState(), new int[]{1, 99}, greedy(), new GenerationSettings(1), letters, TokenListener.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prompt token id 99");
        InferenceState small = new InferenceState(model.config(), 4, 4);
        assertThatThrownBy(() -> generator.generate(small, new int[]{1, 2, 3, 4, 5}, greedy(), new GenerationSettings(1), letters, TokenListener.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit");
        assertThatThrownBy(() -> new GenerationSettings(-1)).hasMessageContaining(">= 0, found -1");
    }
}
