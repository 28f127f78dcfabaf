package io.llama2j.train.rl;

import io.llama2j.tensor.Parallel;
import io.llama2j.train.Checkpoint;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.OptimizedState;
import io.llama2j.train.StopOnShutdown;
import io.llama2j.train.TrainerConfig;
import io.llama2j.train.TokenBatch;
import io.llama2j.train.TrainingLog;
import io.llama2j.train.TrainingModel;
import io.llama2j.train.optim.AdamW;
import io.llama2j.train.optim.OptimizerConfig;
import io.llama2j.train.reward.RewardModel;
import io.llama2j.train.reward.ScalarHead;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * PPO (Llama 2 paper §3.2.3) on token ids. Per iteration:
 * <pre>
 *   sample a batch of prompts; the policy generates a response to each (temperature 1), ending
 *     at EOS (which is part of the response) or after responseLength tokens
 *   score = reward(prompt, response without EOS); R̃ = WHITEN(score) over the batch
 *   per token: r_t = −β (log π_θ − log π_0), plus R̃ on the last token; values V(s_t) from the value model
 *   GAE advantages and returns over each response's own tokens (nothing past its end: masked)
 *   per mini-batch, one gradient step: policy on the clipped objective, value model on ½ (V − R)²
 *   held-out mean reward; stop after {@code patience} iterations without a better one (best policy kept)
 * </pre>
 * The reward model gives one scalar per sample, which is already a logit (the paper's scores are
 * sigmoids, hence its LOGIT), so the shaping here is WHITEN alone. Prompts may differ in length (up to
 * maxPromptLength); the policy and the value model use constant LRs with the engine's AdamW.
 * <p>
 * Writes log.jsonl (every iteration), loss.png (policy and value losses), reward.png (training
 * and held-out reward), kl.png, and checkpoint.bin every saveEvery iterations, at the end and on
 * Ctrl-C. The checkpoint holds the policy, value model and head with their optimizers, the best
 * policy so far and the early-stopping counters; each iteration draws from a generator seeded by
 * (seed, iteration), so a resumed run ends bit for bit like an uninterrupted one. When the run
 * ends, the checkpoint's parameters are the kept (best) policy, which {@code llama2j export} reads.
 */
public final class PpoTrainer {
    /** A sample's reward: the reward model's score, or in tests a checkable rule. */
    @FunctionalInterface
    public interface SequenceReward {
        double score(int[] prompt, int[] response);
    }

    private final ModelParameters policy;
    private final SequenceReward reward;
    private final PpoConfig config;
    /** Plots beside loss.png. */
    public static final String REWARD_PLOT = "reward.png", KL_PLOT = "kl.png";
    /** Odd constant spreading the iterations' seeds (SplittableRandom's golden gamma). */
    private static final long SEED_GAMMA = 0x9E3779B97F4A7C15L;
    /** Names of the extra state in the checkpoint. */
    private static final String VALUE_STATE = "value", VALUE_HEAD_STATE = "value_head", BEST_POLICY = "best_policy",
            BEST_HELDOUT = "best_heldout_reward", SINCE_BEST = "iterations_since_best", FINISHED = "finished";

    private final int maxPromptLength, responseLength, seqLen, eosId;
    private final PolicySampler sampler;
    private final TrainingModel updatePolicy;
    private final RewardModel rolloutValue, updateValue;
    private final AdamW policyOptimizer, valueOptimizer, valueHeadOptimizer;
    private final ModelParameters valueBackbone;
    private final ScalarHead valueHead;
    private final Parallel parallel;
    private final PrintStream progress;
    private volatile boolean stopRequested;
    private boolean interrupted;

    /**
     * @param eosId the token that ends a response (it is sampled, scored and trained on like any
     *              other), or −1 when every response runs to {@code responseLength}
     */
    public PpoTrainer(ModelParameters policy, ModelParameters reference, ModelParameters valueBackbone,
                      ScalarHead valueHead, SequenceReward reward, PpoConfig config,
                      int maxPromptLength, int responseLength, int eosId, Parallel parallel, PrintStream progress) {
        if (policy == reference) throw new IllegalArgumentException("the PPO reference must be a separate, frozen copy of the policy");
        if (maxPromptLength <= 0 || responseLength <= 0) {
            throw new IllegalArgumentException("prompt and response lengths must be positive, found " + maxPromptLength + " and " + responseLength);
        }
        this.policy = policy;
        this.eosId = eosId;
        this.valueBackbone = valueBackbone;
        this.valueHead = valueHead;
        this.reward = reward;
        this.config = config;
        this.maxPromptLength = maxPromptLength;
        this.responseLength = responseLength;
        this.seqLen = maxPromptLength + responseLength;
        this.parallel = parallel;
        this.progress = progress;
        this.sampler = new PolicySampler(policy, reference, config.batch(), maxPromptLength, responseLength, eosId, parallel);
        this.updatePolicy = new TrainingModel(policy, config.miniBatch(), seqLen, parallel);
        this.rolloutValue = new RewardModel(valueBackbone, valueHead, config.batch(), seqLen, parallel);
        this.updateValue = new RewardModel(valueBackbone, valueHead, config.miniBatch(), seqLen, parallel);
        // The paper's PPO optimizer: AdamW 0.9/0.95, eps 1e-5, weight decay 0.1, clip 1.0, constant LR
        OptimizerConfig optimizer = OptimizerConfig.paper().withWarmupSteps(0);
        this.policyOptimizer = new AdamW(optimizer, policy);
        this.valueOptimizer = new AdamW(optimizer, valueBackbone);
        boolean[] headDecays = new boolean[valueHead.values().length];
        java.util.Arrays.fill(headDecays, 0, valueHead.dim(), true);
        this.valueHeadOptimizer = new AdamW(optimizer, headDecays);
    }

    /** One iteration's figures; {@code meanKl} is per response (summed over its tokens), in nats. */
    public record IterationStats(int iteration, double meanReward, double meanKl, double policyLoss, double valueLoss,
                                 double heldOutReward, double meanResponseTokens, double eosRate) {}

    /**
     * A batch of generated responses with their rewards and per-token log-probs (row-major [rows,
     * seqLen], at the position whose target is the token). {@code responses[r]} ends with EOS when
     * {@code endedAtEos[r]}; the mask covers exactly the response tokens of each row.
     */
    public record Rollout(TokenBatch tokens, int[] promptLengths, int[][] responses, boolean[] endedAtEos, double[] scores,
                          float[] logProbs, float[] referenceLogProbs) {
        public double meanScore() {
            double s = 0;
            for (double x : scores) s += x;
            return s / scores.length;
        }

        public double meanResponseTokens() {
            double s = 0;
            for (int[] r : responses) s += r.length;
            return s / responses.length;
        }

        public double eosRate() {
            int n = 0;
            for (boolean e : endedAtEos) if (e) n++;
            return (double) n / endedAtEos.length;
        }
    }

    /** Per-token advantages and returns of a rollout ([rows, seqLen], 0 outside the responses) and the mean KL per response. */
    public record Advantages(double[] advantages, double[] returns, double meanKl) {}

    /** Asks the loop to stop after the current iteration (with a checkpoint). */
    public void requestStop() { stopRequested = true; }

    /** Whether the last {@link #train} call stopped on a request before the run finished. */
    public boolean interrupted() { return interrupted; }

    /** A fresh run. */
    public List<IterationStats> train(List<int[]> prompts, List<int[]> heldOutPrompts, Path outDir, long seed) throws IOException {
        return train(prompts, heldOutPrompts, outDir, seed, null);
    }

    /**
     * Trains until the configured iterations, early stopping or a stop request, continuing from
     * {@code resumeFrom} (a checkpoint this trainer wrote in {@code outDir}) when it is not null;
     * returns the figures of the iterations run by this call.
     */
    public List<IterationStats> train(List<int[]> prompts, List<int[]> heldOutPrompts, Path outDir, long seed, Checkpoint resumeFrom)
            throws IOException {
        Files.createDirectories(outDir);
        List<IterationStats> stats = new ArrayList<>();
        RunState run = resumeFrom == null ? new RunState(0, Double.NEGATIVE_INFINITY, 0, false, policy.values().clone())
                : restore(resumeFrom, outDir, seed);
        if (run.finished) {
            progress.printf(Locale.ROOT, "ppo: the run in %s has already finished (%d iterations)%n", outDir, run.iteration);
            return stats;
        }
        try (StopOnShutdown ignored = StopOnShutdown.install(this::requestStop);
             TrainingLog log = new TrainingLog(outDir, run.iteration)) {
            while (run.iteration < config.iterations() && !stopRequested) {
                int iteration = run.iteration + 1;
                // Each iteration's randomness depends on (seed, iteration) only, so a resumed run draws the same samples
                SplittableRandom random = new SplittableRandom(seed + iteration * SEED_GAMMA);
                int[][] batchPrompts = new int[config.batch()][];
                for (int r = 0; r < config.batch(); r++) batchPrompts[r] = prompts.get(random.nextInt(prompts.size()));
                Rollout rollout = rollout(batchPrompts, random.split());
                IterationStats s = update(iteration, rollout, random);
                double heldOut = heldOutReward(heldOutPrompts, seed);
                s = new IterationStats(iteration, s.meanReward(), s.meanKl(), s.policyLoss(), s.valueLoss(), heldOut,
                        s.meanResponseTokens(), s.eosRate());
                stats.add(s);
                run.iteration = iteration;
                log(log, s);
                if (heldOut > run.bestHeldOut) {
                    run.bestHeldOut = heldOut;
                    System.arraycopy(policy.values(), 0, run.bestPolicy, 0, policy.size());
                    run.sinceBest = 0;
                } else if (++run.sinceBest >= config.patience()) {
                    progress.printf(Locale.ROOT, "ppo: held-out reward has not improved for %d iterations; stopping early%n", run.sinceBest);
                    run.finished = true;
                }
                if (run.finished) break;
                if (config.saveEvery() > 0 && iteration % config.saveEvery() == 0 && iteration < config.iterations()) {
                    saveCheckpoint(outDir, seed, run);
                }
            }
            if (run.iteration == config.iterations()) run.finished = true;
            interrupted = !run.finished;
            if (run.finished) {
                // The kept policy becomes the model of the checkpoint (llama2j export turns it into a model)
                System.arraycopy(run.bestPolicy, 0, policy.values(), 0, policy.size());
            } else {
                progress.printf(Locale.ROOT, "ppo: stopped after iteration %d; resume with --resume%n", run.iteration);
            }
            saveCheckpoint(outDir, seed, run);
            plot(log);
        }
        return stats;
    }

    /** Where a run stands between iterations (what the checkpoint adds to the models and optimizers). */
    private static final class RunState {
        int iteration;
        double bestHeldOut;
        int sinceBest;
        boolean finished;
        final float[] bestPolicy;

        RunState(int iteration, double bestHeldOut, int sinceBest, boolean finished, float[] bestPolicy) {
            this.iteration = iteration;
            this.bestHeldOut = bestHeldOut;
            this.sinceBest = sinceBest;
            this.finished = finished;
            this.bestPolicy = bestPolicy;
        }
    }

    private void log(TrainingLog log, IterationStats s) throws IOException {
        log.trainStep(s.iteration(), s.policyLoss(), config.learningRate(), 0, (long) s.iteration() * config.batch() * seqLen, 0, 0);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("reward", s.meanReward());
        m.put("kl", s.meanKl());
        m.put("policy_loss", s.policyLoss());
        m.put("value_loss", s.valueLoss());
        m.put("heldout_reward", s.heldOutReward());
        m.put("response_tokens", s.meanResponseTokens());
        m.put("eos_rate", s.eosRate());
        log.metrics(s.iteration(), "ppo", m);
        progress.printf(Locale.ROOT, "ppo iteration %d | reward %.4f | KL %.4f | policy loss %.4f | value loss %.4f | held-out reward %.4f"
                        + " | %.1f tokens, %.0f%% at EOS%n", s.iteration(), s.meanReward(), s.meanKl(), s.policyLoss(), s.valueLoss(),
                s.heldOutReward(), s.meanResponseTokens(), 100 * s.eosRate());
    }

    private void plot(TrainingLog log) throws IOException {
        String title = String.format(Locale.ROOT, "llama2j ppo: batch %d, mini-batch %d, LR %s, beta %s", config.batch(),
                config.miniBatch(), config.learningRate(), config.shaping().klBeta());
        log.plotFigures(TrainingLog.PLOT_NAME, title + ": losses per iteration", List.of(
                new TrainingLog.Curve("policy (clipped objective)", "ppo", "policy_loss"),
                new TrainingLog.Curve("value (1/2 (V - R)^2)", "ppo", "value_loss")));
        log.plotFigures(REWARD_PLOT, title + ": mean reward per iteration", List.of(
                new TrainingLog.Curve("training samples", "ppo", "reward"),
                new TrainingLog.Curve("held-out prompts", "ppo", "heldout_reward")));
        log.plotFigures(KL_PLOT, title + ": KL to the reference per response (nats)", List.of(
                new TrainingLog.Curve("KL(policy || reference)", "ppo", "kl")));
    }

    private void saveCheckpoint(Path outDir, long seed, RunState run) throws IOException {
        TrainerConfig asTrainer = new TrainerConfig(config.iterations(), config.batch(), seqLen, 1, 1,
                TrainerConfig.DEFAULT_EVAL_BATCHES, config.saveEvery(), seed, policyOptimizer.config());
        Map<String, float[]> arrays = new LinkedHashMap<>();
        Map<String, Double> values = new LinkedHashMap<>();
        OptimizedState.save(VALUE_STATE, valueBackbone.values(), valueOptimizer, arrays, values);
        OptimizedState.save(VALUE_HEAD_STATE, valueHead.values(), valueHeadOptimizer, arrays, values);
        arrays.put(BEST_POLICY, run.bestPolicy.clone());
        values.put(BEST_HELDOUT, run.bestHeldOut);
        values.put(SINCE_BEST, (double) run.sinceBest);
        values.put(FINISHED, run.finished ? 1.0 : 0.0);
        new Checkpoint(policy.config(), policy.tiedEmbeddings(), asTrainer, run.iteration, (long) run.iteration * config.batch(),
                policyOptimizer.updates(), policy.values(), policyOptimizer.firstMoment(), policyOptimizer.secondMoment(), arrays, values)
                .write(outDir.resolve(Checkpoint.FILE_NAME));
    }

    private RunState restore(Checkpoint from, Path outDir, long seed) throws IOException {
        Path file = outDir.resolve(Checkpoint.FILE_NAME);
        TrainerConfig t = from.trainer();
        if (from.parameters().length != policy.size() || t.steps() != config.iterations() || t.batch() != config.batch()
                || t.seqLen() != seqLen || t.seed() != seed) {
            throw new IllegalArgumentException(file + ": the checkpoint is of another run (" + from.parameters().length + " parameters, "
                    + t.steps() + " iterations of " + t.batch() + " x " + t.seqLen() + " tokens, seed " + t.seed() + "); this one has "
                    + policy.size() + " parameters, " + config.iterations() + " iterations of " + config.batch() + " x " + seqLen
                    + " tokens, seed " + seed + ": resume with the options of the first run");
        }
        System.arraycopy(from.parameters(), 0, policy.values(), 0, policy.size());
        System.arraycopy(from.firstMoment(), 0, policyOptimizer.firstMoment(), 0, policy.size());
        System.arraycopy(from.secondMoment(), 0, policyOptimizer.secondMoment(), 0, policy.size());
        policyOptimizer.restore(from.optimizerUpdates());
        OptimizedState.restore(from, file, VALUE_STATE, valueBackbone.values(), valueOptimizer);
        OptimizedState.restore(from, file, VALUE_HEAD_STATE, valueHead.values(), valueHeadOptimizer);
        return new RunState(from.step(), from.extraValue(file, BEST_HELDOUT), (int) from.extraValue(file, SINCE_BEST),
                from.extraValue(file, FINISHED) != 0, from.extraArray(file, BEST_POLICY, policy.size()).clone());
    }

    /**
     * Generates one response per prompt (temperature 1), each ending at EOS or after responseLength
     * tokens, and scores it with the policy, the reference and the reward (which reads the
     * answer without its EOS).
     */
    public Rollout rollout(int[][] batchPrompts, SplittableRandom random) {
        if (batchPrompts.length != config.batch()) {
            throw new IllegalArgumentException("a rollout takes " + config.batch() + " prompts, found " + batchPrompts.length);
        }
        PolicySampler.Samples s = sampler.sample(batchPrompts, random);
        double[] scores = new double[batchPrompts.length];
        for (int r = 0; r < scores.length; r++) scores[r] = reward.score(batchPrompts[r], s.answer(r));
        return new Rollout(s.tokens(), s.promptLengths(), s.responses(), s.endedAtEos(), scores, s.logProbs(), s.referenceLogProbs());
    }

    /**
     * GAE over each response's own tokens: per-token rewards −β (log π_θ − log π_0) with the
     * whitened score added on the response's last token (EOS, or the last one sampled), and the
     * value model's V(s_t); positions outside the responses keep advantage and return 0.
     */
    public Advantages advantages(Rollout rollout, double[] values) {
        TokenBatch tokens = rollout.tokens();
        int rows = tokens.batch();
        double[] shaped = CombinedReward.whiten(rollout.scores(), config.shaping());
        double[] advantages = new double[tokens.tokens()], returns = new double[tokens.tokens()];
        double kl = 0;
        for (int r = 0; r < rows; r++) {
            int first = rollout.promptLengths()[r] - 1; // the position whose target is the first response token
            int n = rollout.responses()[r].length;
            float[] lp = new float[n], ref = new float[n];
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                int at = r * seqLen + first + i;
                lp[i] = rollout.logProbs()[at];
                ref[i] = rollout.referenceLogProbs()[at];
                v[i] = values[at];
                kl += lp[i] - ref[i];
            }
            Gae.Estimate e = Gae.estimate(CombinedReward.tokenRewards(shaped[r], lp, ref, config.shaping()), v, config.gamma(), config.lambda());
            for (int i = 0; i < n; i++) {
                advantages[r * seqLen + first + i] = e.advantages()[i];
                returns[r * seqLen + first + i] = e.returns()[i];
            }
        }
        return new Advantages(advantages, returns, kl / rows);
    }

    private IterationStats update(int iteration, Rollout rollout, SplittableRandom random) {
        TokenBatch tokens = rollout.tokens();
        int rows = tokens.batch();
        Advantages estimate = advantages(rollout, rolloutValue.positionScores(tokens));
        double[] advantages = estimate.advantages(), returns = estimate.returns();
        // Mini-batches of rows in a random order, one gradient step each (the paper's PPO schedule)
        int[] order = new int[rows];
        for (int i = 0; i < rows; i++) order[i] = i;
        for (int i = rows - 1; i > 0; i--) {
            int j = random.nextInt(i + 1), x = order[i];
            order[i] = order[j];
            order[j] = x;
        }
        double policyLoss = 0, valueLoss = 0;
        int mini = config.miniBatch(), steps = 0;
        for (int start = 0; start + mini <= rows; start += mini) {
            int[] rowsOf = java.util.Arrays.copyOfRange(order, start, start + mini);
            TokenBatch mb = slice(tokens, rowsOf);
            double[] adv = sliceValues(advantages, rowsOf), ret = sliceValues(returns, rowsOf);
            float[] oldLp = sliceFloats(rollout.logProbs(), rowsOf);
            double count = mb.maskedTokens();
            // Policy: clipped objective on the response tokens
            policy.zeroGradients();
            float[] newLp = new float[mb.tokens()];
            updatePolicy.tokenLogProbs(mb, newLp);
            float[] dLp = new float[mb.tokens()];
            double loss = 0;
            for (int t = 0; t < mb.tokens(); t++) {
                if (mb.mask()[t] == 0) continue;
                loss += PpoObjective.loss(newLp[t], oldLp[t], adv[t], config.clipRange());
                dLp[t] = (float) (PpoObjective.gradient(newLp[t], oldLp[t], adv[t], config.clipRange()) / count);
            }
            updatePolicy.backwardFromLogProbs(mb, dLp);
            policyOptimizer.step(parallel, policy.values(), policy.gradients(), config.learningRate());
            policyLoss += loss / count;
            // Value model: ½ (V − R)² on the same positions
            ModelParameters vb = updateValue.backbone();
            vb.zeroGradients();
            updateValue.head().zeroGradients();
            double[] vLoss = new double[1];
            updateValue.positionForwardBackward(mb, v -> {
                double[] d = new double[v.length];
                for (int t = 0; t < v.length; t++) {
                    if (mb.mask()[t] == 0) continue;
                    vLoss[0] += PpoObjective.valueLoss(v[t], ret[t]);
                    d[t] = (v[t] - ret[t]) / count;
                }
                return d;
            });
            valueOptimizer.step(parallel, vb.values(), vb.gradients(), config.valueLearningRate());
            valueHeadOptimizer.step(parallel, updateValue.head().values(), updateValue.head().gradients(), config.valueLearningRate());
            valueLoss += vLoss[0] / count;
            steps++;
        }
        return new IterationStats(iteration, rollout.meanScore(), estimate.meanKl(), policyLoss / steps, valueLoss / steps, Double.NaN,
                rollout.meanResponseTokens(), rollout.eosRate());
    }

    /** Mean reward of one response per held-out prompt (batches of the rollout size; a fixed seed, so iterations compare). */
    public double heldOutReward(List<int[]> heldOutPrompts, long seed) {
        if (heldOutPrompts.isEmpty()) return Double.NaN;
        SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
        double sum = 0;
        int n = 0;
        for (int start = 0; start < heldOutPrompts.size(); start += config.batch()) {
            int[][] batch = new int[config.batch()][];
            for (int r = 0; r < config.batch(); r++) batch[r] = heldOutPrompts.get(Math.min(start + r, heldOutPrompts.size() - 1));
            Rollout rollout = rollout(batch, random);
            for (int r = 0; r < config.batch() && start + r < heldOutPrompts.size(); r++) {
                sum += rollout.scores()[r];
                n++;
            }
        }
        return sum / n;
    }

    private TokenBatch slice(TokenBatch b, int[] rows) {
        int n = rows.length * seqLen;
        int[] in = new int[n], tg = new int[n];
        float[] mk = new float[n];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(b.inputs(), rows[i] * seqLen, in, i * seqLen, seqLen);
            System.arraycopy(b.targets(), rows[i] * seqLen, tg, i * seqLen, seqLen);
            System.arraycopy(b.mask(), rows[i] * seqLen, mk, i * seqLen, seqLen);
        }
        return new TokenBatch(rows.length, seqLen, in, tg, mk);
    }

    private double[] sliceValues(double[] x, int[] rows) {
        double[] out = new double[rows.length * seqLen];
        for (int i = 0; i < rows.length; i++) System.arraycopy(x, rows[i] * seqLen, out, i * seqLen, seqLen);
        return out;
    }

    private float[] sliceFloats(float[] x, int[] rows) {
        float[] out = new float[rows.length * seqLen];
        for (int i = 0; i < rows.length; i++) System.arraycopy(x, rows[i] * seqLen, out, i * seqLen, seqLen);
        return out;
    }
}
