package io.llama2j.train.rl;

import io.llama2j.tensor.Parallel;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.TokenBatch;
import io.llama2j.train.TrainingLog;
import io.llama2j.train.TrainingModel;
import io.llama2j.train.optim.AdamW;
import io.llama2j.train.optim.OptimizerConfig;
import io.llama2j.train.reward.RewardModel;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * PPO (Llama 2 paper §3.2.3) on token ids. Per iteration:
 * <pre>
 *   sample a batch of prompts; the policy generates a response to each (temperature 1)
 *   score = reward(prompt, response); R̃ = WHITEN(score) over the batch
 *   per token: r_t = −β (log π_θ − log π_0), plus R̃ on the last token; values V(s_t) from the value model
 *   GAE advantages and returns
 *   per mini-batch, one gradient step: policy on the clipped objective, value model on ½ (V − R)²
 *   held-out mean reward; stop after {@code patience} iterations without a better one (best policy kept)
 * </pre>
 * The reward model gives one scalar per sample, which is already a logit (the paper's scores are
 * sigmoids, hence its LOGIT), so the shaping here is WHITEN alone. Prompts may differ in length (up to
 * maxPromptLength); responses have a fixed length ({@code responseLength}, no stop at EOS); the policy and the value model use constant LRs with the engine's AdamW.
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
    private final int maxPromptLength, responseLength, seqLen;
    private final TrainingModel rolloutPolicy, rolloutReference, updatePolicy;
    private final RewardModel rolloutValue, updateValue;
    private final AdamW policyOptimizer, valueOptimizer, valueHeadOptimizer;
    private final Parallel parallel;
    private final PrintStream progress;

    public PpoTrainer(ModelParameters policy, ModelParameters reference, ModelParameters valueBackbone,
                      io.llama2j.train.reward.ScalarHead valueHead, SequenceReward reward, PpoConfig config,
                      int maxPromptLength, int responseLength, Parallel parallel, PrintStream progress) {
        if (policy == reference) throw new IllegalArgumentException("the PPO reference must be a separate, frozen copy of the policy");
        if (maxPromptLength <= 0 || responseLength <= 0) {
            throw new IllegalArgumentException("prompt and response lengths must be positive, found " + maxPromptLength + " and " + responseLength);
        }
        this.policy = policy;
        this.reward = reward;
        this.config = config;
        this.maxPromptLength = maxPromptLength;
        this.responseLength = responseLength;
        this.seqLen = maxPromptLength + responseLength;
        this.parallel = parallel;
        this.progress = progress;
        this.rolloutPolicy = new TrainingModel(policy, config.batch(), seqLen, parallel);
        this.rolloutReference = new TrainingModel(reference, config.batch(), seqLen, parallel);
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

    /** One iteration's figures. */
    public record IterationStats(int iteration, double meanReward, double meanKl, double policyLoss, double valueLoss,
                                 double heldOutReward) {}

    /** A batch of generated responses with their rewards and per-token log-probs. */
    public record Rollout(TokenBatch tokens, int[] promptLengths, int[][] responses, double[] scores, float[] logProbs,
                          float[] referenceLogProbs) {
        public double meanScore() {
            double s = 0;
            for (double x : scores) s += x;
            return s / scores.length;
        }
    }

    /** Trains until the configured iterations or early stopping; returns every iteration's figures. */
    public List<IterationStats> train(List<int[]> prompts, List<int[]> heldOutPrompts, Path outDir, long seed) throws IOException {
        Files.createDirectories(outDir);
        SplittableRandom random = new SplittableRandom(seed);
        List<IterationStats> stats = new java.util.ArrayList<>();
        double bestHeldOut = Double.NEGATIVE_INFINITY;
        float[] bestPolicy = policy.values().clone();
        int sinceBest = 0;
        try (TrainingLog log = new TrainingLog(outDir, 0)) {
            for (int iteration = 1; iteration <= config.iterations(); iteration++) {
                int[][] batchPrompts = new int[config.batch()][];
                for (int r = 0; r < config.batch(); r++) batchPrompts[r] = prompts.get(random.nextInt(prompts.size()));
                Rollout rollout = rollout(batchPrompts, random.split());
                IterationStats s = update(iteration, rollout, random);
                double heldOut = heldOutReward(heldOutPrompts, seed);
                s = new IterationStats(iteration, s.meanReward(), s.meanKl(), s.policyLoss(), s.valueLoss(), heldOut);
                stats.add(s);
                log.trainStep(iteration, s.policyLoss(), config.learningRate(), 0, (long) iteration * config.batch() * seqLen, 0, 0);
                Map<String, Double> m = new LinkedHashMap<>();
                m.put("reward", s.meanReward());
                m.put("kl", s.meanKl());
                m.put("value_loss", s.valueLoss());
                m.put("heldout_reward", heldOut);
                log.metrics(iteration, "ppo", m);
                log.validation(iteration, -heldOut);
                progress.printf(Locale.ROOT, "ppo iteration %d | reward %.4f | KL %.4f | policy loss %.4f | value loss %.4f | held-out reward %.4f%n",
                        iteration, s.meanReward(), s.meanKl(), s.policyLoss(), s.valueLoss(), heldOut);
                if (heldOut > bestHeldOut) {
                    bestHeldOut = heldOut;
                    System.arraycopy(policy.values(), 0, bestPolicy, 0, policy.size());
                    sinceBest = 0;
                } else if (++sinceBest >= config.patience()) {
                    progress.printf(Locale.ROOT, "ppo: held-out reward has not improved for %d iterations; stopping early%n", sinceBest);
                    break;
                }
            }
            log.plot(String.format(Locale.ROOT, "llama2j ppo: policy loss and -(held-out reward); batch %d, mini-batch %d",
                    config.batch(), config.miniBatch()));
        }
        System.arraycopy(bestPolicy, 0, policy.values(), 0, policy.size());
        // The kept policy as a checkpoint (llama2j export turns it into a model); its optimizer state is the last iteration's
        io.llama2j.train.TrainerConfig asTrainer = new io.llama2j.train.TrainerConfig(stats.size(), config.batch(), seqLen, 1, 1,
                io.llama2j.train.TrainerConfig.DEFAULT_EVAL_BATCHES, 0, seed, policyOptimizer.config());
        new io.llama2j.train.Checkpoint(policy.config(), policy.tiedEmbeddings(), asTrainer, stats.size(), 0, policyOptimizer.updates(),
                policy.values(), policyOptimizer.firstMoment(), policyOptimizer.secondMoment())
                .write(outDir.resolve(io.llama2j.train.Checkpoint.FILE_NAME));
        return stats;
    }

    /** Generates one response per prompt (temperature 1) and scores it with the policy, the reference and the reward. */
    public Rollout rollout(int[][] batchPrompts, SplittableRandom random) {
        int rows = batchPrompts.length, vocab = policy.config().vocabSize();
        if (rows != config.batch()) throw new IllegalArgumentException("a rollout takes " + config.batch() + " prompts, found " + rows);
        int[] inputs = new int[rows * seqLen], targets = new int[rows * seqLen];
        float[] mask = new float[rows * seqLen];
        int[] lengths = new int[rows];
        for (int r = 0; r < rows; r++) {
            lengths[r] = batchPrompts[r].length;
            if (lengths[r] == 0 || lengths[r] > maxPromptLength) {
                throw new IllegalArgumentException("prompt " + r + " has " + lengths[r] + " tokens, PPO was planned for 1 to " + maxPromptLength);
            }
            System.arraycopy(batchPrompts[r], 0, inputs, r * seqLen, lengths[r]);
        }
        // Autoregressive sampling with the training forward: every row at once, each after its own prompt
        // (a row's padding comes after its tokens, and attention is causal, so it never reaches them)
        for (int i = 0; i < responseLength; i++) {
            float[] logits = rolloutPolicy.logits(new TokenBatch(rows, seqLen, inputs, targets, mask));
            for (int r = 0; r < rows; r++) {
                int t = r * seqLen + lengths[r] + i;
                inputs[t] = sample(logits, (t - 1) * vocab, vocab, random);
            }
        }
        int[][] responses = new int[rows][];
        double[] scores = new double[rows];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t + 1 < seqLen; t++) {
                targets[r * seqLen + t] = inputs[r * seqLen + t + 1];
                mask[r * seqLen + t] = t + 1 >= lengths[r] && t + 1 < lengths[r] + responseLength ? 1f : 0f;
            }
            responses[r] = java.util.Arrays.copyOfRange(inputs, r * seqLen + lengths[r], r * seqLen + lengths[r] + responseLength);
            scores[r] = reward.score(batchPrompts[r], responses[r]);
        }
        TokenBatch tokens = new TokenBatch(rows, seqLen, inputs, targets, mask);
        float[] logProbs = new float[rows * seqLen], referenceLogProbs = new float[rows * seqLen];
        rolloutPolicy.tokenLogProbs(tokens, logProbs);
        rolloutReference.tokenLogProbs(tokens, referenceLogProbs);
        return new Rollout(tokens, lengths, responses, scores, logProbs, referenceLogProbs);
    }

    private IterationStats update(int iteration, Rollout rollout, SplittableRandom random) {
        TokenBatch tokens = rollout.tokens();
        int rows = tokens.batch();
        double[] values = rolloutValue.positionScores(tokens);
        double[] shaped = CombinedReward.whiten(rollout.scores(), config.shaping());
        double[] advantages = new double[tokens.tokens()], returns = new double[tokens.tokens()];
        double kl = 0;
        for (int r = 0; r < rows; r++) {
            int first = rollout.promptLengths()[r] - 1; // the position whose target is the first response token
            float[] lp = new float[responseLength], ref = new float[responseLength];
            double[] v = new double[responseLength];
            for (int i = 0; i < responseLength; i++) {
                int at = r * seqLen + first + i;
                lp[i] = rollout.logProbs()[at];
                ref[i] = rollout.referenceLogProbs()[at];
                v[i] = values[at];
                kl += lp[i] - ref[i];
            }
            Gae.Estimate e = Gae.estimate(CombinedReward.tokenRewards(shaped[r], lp, ref, config.shaping()), v, config.gamma(), config.lambda());
            for (int i = 0; i < responseLength; i++) {
                advantages[r * seqLen + first + i] = e.advantages()[i];
                returns[r * seqLen + first + i] = e.returns()[i];
            }
        }
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
        return new IterationStats(iteration, rollout.meanScore(), kl / rows, policyLoss / steps, valueLoss / steps, Double.NaN);
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

    private static int sample(float[] logits, int offset, int vocab, SplittableRandom random) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[offset + i]);
        double sum = 0;
        double[] p = new double[vocab];
        for (int i = 0; i < vocab; i++) sum += p[i] = Math.exp(logits[offset + i] - max);
        double u = random.nextDouble() * sum;
        for (int i = 0; i < vocab; i++) {
            u -= p[i];
            if (u <= 0) return i;
        }
        return vocab - 1;
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
