package io.llama2j.eval;

import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.model.RandomLlama;
import io.llama2j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Invariants of scoring on a random (attention-using) Llama: batching and KV-cache reuse change nothing. */
class ScoringInvariantsTest {
    /** 37 characters: with <unk>, <s>, </s> the 40 tokens of RandomLlama's small model. */
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 ";
    private final Llama model = RandomLlama.model(42);
    private final Tokenizer tokenizer = BigramModel.characterTokenizer(ALPHABET);

    @Test
    void perplexityDoesNotDependOnTheBatchSize() {
        int[] tokens = new Random(1).ints(200, BigramModel.FIRST_CHARACTER_ID, model.config().vocabSize()).toArray();

        double one = new Perplexity(model, tokenizer, new PerplexitySettings(32, 1, -1)).score(tokens, null).perplexity();
        double seven = new Perplexity(model, tokenizer, new PerplexitySettings(32, 7, -1)).score(tokens, null).perplexity();
        double whole = new Perplexity(model, tokenizer, new PerplexitySettings(32, 32, -1)).score(tokens, null).perplexity();

        assertThat(seven).isCloseTo(one, within(one * 1e-5));
        assertThat(whole).isCloseTo(one, within(one * 1e-5));
    }

    @Test
    void continuationsScoredAfterASharedContextEqualScoringEachSequenceFromScratch() {
        String context = "the cat sat on 3 mats";
        List<String> continuations = List.of(" and slept", " x", " then 42 dogs came");

        List<ContinuationScore> shared = new ContinuationScorer(model, tokenizer, true, 5).score(context, continuations);

        int[] contextIds = tokenizer.encode(context, true, false);
        for (int i = 0; i < continuations.size(); i++) {
            int[] whole = tokenizer.encode(context + continuations.get(i), true, false);
            float[][] logits = model.forwardAllLogits(new InferenceState(model.config()), whole);
            double expected = 0;
            for (int p = contextIds.length; p < whole.length; p++) expected += LogProbabilities.of(logits[p - 1], whole[p]);
            assertThat(shared.get(i).logLikelihood()).as(continuations.get(i)).isCloseTo(expected, within(1e-4));
            assertThat(shared.get(i).tokens()).isEqualTo(whole.length - contextIds.length);
        }
    }
}
