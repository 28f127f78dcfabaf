package io.llama2j.train.rl;

import io.llama2j.chat.ChatFormat;
import io.llama2j.chat.Message;
import io.llama2j.generate.GenerationResult;
import io.llama2j.generate.GenerationSettings;
import io.llama2j.generate.Generator;
import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.sampling.Sampler;
import io.llama2j.sampling.SamplerConfig;
import io.llama2j.tokenizer.Tokenizer;
import io.llama2j.train.reward.ResponseScorer;

import java.util.ArrayList;
import java.util.List;

/**
 * Rejection sampling (Llama 2 paper §3.2.3): for each prompt, K samples from the policy with the
 * engine's {@link Generator} and {@link Sampler}, each scored by the reward model; the best is
 * the new gold answer. {@link #pool} keeps, per prompt, the best of this iteration and of all
 * earlier ones, rescored by the current reward model (the paper pools across iterations after
 * V3 because selecting from the last iteration alone regressed).
 */
public final class RejectionSampler {
    private final Llama policy;
    private final Tokenizer tokenizer;
    private final ChatFormat format;
    private final ResponseScorer scorer;
    private final RejectionSamplingConfig config;

    public RejectionSampler(Llama policy, Tokenizer tokenizer, ResponseScorer scorer, RejectionSamplingConfig config) {
        this.policy = policy;
        this.tokenizer = tokenizer;
        this.format = new ChatFormat(tokenizer);
        this.scorer = scorer;
        this.config = config;
    }

    /** One scored response. */
    public record Sample(String response, double reward) {}

    /** The K samples of one prompt and the best of them. */
    public record PromptSamples(List<Message> prompt, List<Sample> samples, Sample best) {
        public double meanReward() {
            return samples.stream().mapToDouble(Sample::reward).average().orElse(Double.NaN);
        }
    }

    /** K scored samples for each prompt. */
    public List<PromptSamples> sample(List<List<Message>> prompts) {
        Generator generator = new Generator(policy);
        List<PromptSamples> out = new ArrayList<>();
        int k = config.samplesPerPrompt();
        for (int p = 0; p < prompts.size(); p++) {
            List<Message> prompt = prompts.get(p);
            int[] ids = format.encodePrompt(prompt).ids();
            List<Sample> samples = new ArrayList<>();
            Sample best = null;
            for (int s = 0; s < k; s++) {
                SamplerConfig sampling = SamplerConfig.metaChat(config.seed() + (long) p * k + s)
                        .withTemperature(config.temperature()).withTopP(config.topP());
                InferenceState state = new InferenceState(policy.config(),
                        Math.min(policy.config().contextLength(), ids.length + config.maxNewTokens()), InferenceState.DEFAULT_PROMPT_BATCH);
                GenerationResult r = generator.generate(state, ids, new Sampler(sampling, tokenizer.vocabSize()),
                        new GenerationSettings(config.maxNewTokens(), tokenizer.eosId()), tokenizer.streamingDecoder()::accept,
                        (id, text) -> {});
                String response = r.text().strip();
                Sample sample = new Sample(response, scorer.score(prompt, response));
                samples.add(sample);
                if (best == null || sample.reward() > best.reward()) best = sample;
            }
            out.add(new PromptSamples(prompt, samples, best));
        }
        return out;
    }

    /** One entry of the pooled SFT data: a prompt, its best answer so far, that answer's reward and when it was drawn. */
    public record PooledAnswer(List<Message> prompt, String response, double reward, int iteration) {}

    /**
     * Per prompt, the best of {@code fresh} and of the {@code earlier} pool (rescored by the
     * current reward model); prompts only in the pool are kept too.
     */
    public static List<PooledAnswer> pool(ResponseScorer scorer, List<PooledAnswer> earlier, List<PromptSamples> fresh,
                                          int iteration) {
        java.util.Map<List<Message>, PooledAnswer> best = new java.util.LinkedHashMap<>();
        for (PooledAnswer a : earlier) {
            PooledAnswer rescored = new PooledAnswer(a.prompt(), a.response(), scorer.score(a.prompt(), a.response()), a.iteration());
            best.merge(a.prompt(), rescored, (x, y) -> y.reward() > x.reward() ? y : x);
        }
        for (PromptSamples s : fresh) {
            PooledAnswer candidate = new PooledAnswer(s.prompt(), s.best().response(), s.best().reward(), iteration);
            best.merge(s.prompt(), candidate, (x, y) -> y.reward() > x.reward() ? y : x);
        }
        return new ArrayList<>(best.values());
    }
}
