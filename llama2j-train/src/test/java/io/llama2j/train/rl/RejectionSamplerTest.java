package io.llama2j.train.rl;

import io.llama2j.TestData;
import io.llama2j.chat.Message;
import io.llama2j.loading.LoadedModel;
import io.llama2j.loading.ModelLoader;
import io.llama2j.model.Llama;
import io.llama2j.train.reward.ResponseScorer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rejection sampling with stories260K as the policy and a checkable reward: +1 when the answer
 * contains the required word "cat", minus a small length term (so ties break to shorter answers).
 */
class RejectionSamplerTest {
    private static final String REQUIRED_WORD = "cat";
    private static final ResponseScorer CONTAINS_REQUIRED_WORD =
            (prompt, response) -> (response.contains(REQUIRED_WORD) ? 1 : 0) - 1e-3 * response.length();

    private static final List<List<Message>> PROMPTS = List.of(
            List.of(Message.user("Tell me a story about a cat.")),
            List.of(Message.user("Tell me a story about a dog.")),
            List.of(Message.user("Tell me a story about a girl.")),
            List.of(Message.user("Tell me a story about the park.")));

    @Test
    void keepsTheBestOfKSamplesAndRaisesTheSuccessRateOverPlainSampling() throws Exception {
        try (LoadedModel m = ModelLoader.load(TestData.file("stories260K.gguf"), null)) {
            Llama policy = new Llama(m.config(), m.weights());
            RejectionSampler sampler = new RejectionSampler(policy, m.tokenizer(), CONTAINS_REQUIRED_WORD,
                    new RejectionSamplingConfig(8, 1.0f, 1f, 48, 7));
            List<RejectionSampler.PromptSamples> results = sampler.sample(PROMPTS);

            int samples = 0, samplesWithWord = 0, bestWithWord = 0;
            for (RejectionSampler.PromptSamples r : results) {
                assertThat(r.samples()).hasSize(8);
                double max = r.samples().stream().mapToDouble(RejectionSampler.Sample::reward).max().orElseThrow();
                assertThat(r.best().reward()).isEqualTo(max);
                assertThat(r.best().reward()).isGreaterThanOrEqualTo(r.meanReward());
                for (var s : r.samples()) {
                    samples++;
                    if (s.response().contains(REQUIRED_WORD)) samplesWithWord++;
                }
                if (r.best().response().contains(REQUIRED_WORD)) bestWithWord++;
            }
            double sampleRate = (double) samplesWithWord / samples, bestRate = (double) bestWithWord / results.size();
            System.out.printf("rejection sampling, stories260K, K=8, T=1.0: %d of %d samples contain \"%s\" (%.3f); best-of-8: %d of %d (%.3f)%n",
                    samplesWithWord, samples, REQUIRED_WORD, sampleRate, bestWithWord, results.size(), bestRate);
            assertThat(bestRate).isGreaterThanOrEqualTo(sampleRate);
            assertThat(samplesWithWord).as("the task must not be trivial or impossible for this policy").isBetween(1, samples - 1);
        }
    }

    @Test
    void poolingKeepsTheBestAnswerOfAnyIterationRescoredByTheCurrentRewardModel() {
        List<Message> cat = PROMPTS.get(0), dog = PROMPTS.get(1), girl = PROMPTS.get(2);
        List<RejectionSampler.PooledAnswer> earlier = List.of(
                new RejectionSampler.PooledAnswer(cat, "The cat was there.", -5, 1), // stale score: rescored to ~1
                new RejectionSampler.PooledAnswer(dog, "The dog ran.", 9, 1),          // stale score: rescored to ~0
                new RejectionSampler.PooledAnswer(girl, "The girl sang.", 0, 1));
        List<RejectionSampler.PromptSamples> fresh = List.of(
                new RejectionSampler.PromptSamples(cat, List.of(), new RejectionSampler.Sample("The kitten sat.", -0.012)),
                new RejectionSampler.PromptSamples(dog, List.of(), new RejectionSampler.Sample("A cat and a dog.", 0.988)));

        List<RejectionSampler.PooledAnswer> pool = RejectionSampler.pool(CONTAINS_REQUIRED_WORD, earlier, fresh, 2);

        assertThat(pool).extracting(RejectionSampler.PooledAnswer::response)
                .containsExactly("The cat was there.", "A cat and a dog.", "The girl sang.");
        assertThat(pool).extracting(RejectionSampler.PooledAnswer::iteration).containsExactly(1, 2, 1);
    }
}
