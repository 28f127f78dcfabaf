package io.llama2j.train.rl;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * How far an alignment stage moved a policy, on prompts whose right answer is checkable: from
 * samples at temperature 1, the mean reward, the share of answers the rule accepts, and the
 * sampled KL(π ‖ π_ref) per response (the mean over samples of Σ_t log π − log π_ref, an unbiased
 * estimate in nats). The same prompts and seed before and after a stage make the figures compare.
 */
public final class PolicyEvaluation {
    private PolicyEvaluation() {}

    /** Figures over {@code samples} responses. */
    public record Figures(int samples, double meanReward, double successRate, double meanKl, double meanResponseTokens,
                          double eosRate) {}

    /**
     * {@code samplesPerPrompt} responses to each prompt; {@code reward} and {@code success} read
     * the answer without EOS ({@code success} returns 1 for an accepted answer, 0 otherwise).
     */
    public static Figures evaluate(PolicySampler sampler, List<int[]> prompts, int samplesPerPrompt, PpoTrainer.SequenceReward reward,
                                   PpoTrainer.SequenceReward success, long seed) {
        if (prompts.isEmpty() || samplesPerPrompt <= 0) {
            throw new IllegalArgumentException("an evaluation needs prompts and samples per prompt, found " + prompts.size() + " and "
                    + samplesPerPrompt);
        }
        List<int[]> all = new ArrayList<>();
        for (int[] p : prompts) for (int k = 0; k < samplesPerPrompt; k++) all.add(p);
        SplittableRandom random = new SplittableRandom(seed);
        double rewardSum = 0, successes = 0, kl = 0, tokens = 0, eos = 0;
        int rows = sampler.rows();
        for (int start = 0; start < all.size(); start += rows) {
            int[][] batch = new int[rows][];
            // The last batch is filled up with repeats of its last prompt, which are not counted
            for (int r = 0; r < rows; r++) batch[r] = all.get(Math.min(start + r, all.size() - 1));
            PolicySampler.Samples s = sampler.sample(batch, random);
            for (int r = 0; r < rows && start + r < all.size(); r++) {
                int[] answer = s.answer(r);
                rewardSum += reward.score(batch[r], answer);
                successes += success.score(batch[r], answer);
                kl += s.logRatio(r);
                tokens += s.responses()[r].length;
                eos += s.endedAtEos()[r] ? 1 : 0;
            }
        }
        int n = all.size();
        return new Figures(n, rewardSum / n, successes / n, kl / n, tokens / n, eos / n);
    }
}
