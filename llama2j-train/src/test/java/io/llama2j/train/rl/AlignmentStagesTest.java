package io.llama2j.train.rl;

import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.ModelInit;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.Trainer;
import io.llama2j.train.TrainerConfig;
import io.llama2j.train.dpo.DpoObjective;
import io.llama2j.train.optim.OptimizerConfig;
import io.llama2j.train.reward.EncodedPreference;
import io.llama2j.train.reward.MarginTable;
import io.llama2j.train.reward.PreferenceTasks;
import io.llama2j.train.reward.PreferenceTrainer;
import io.llama2j.train.reward.PreferenceTrainingConfig;
import io.llama2j.train.reward.RewardModel;
import io.llama2j.train.reward.RewardObjective;
import io.llama2j.train.reward.ScalarHead;
import io.llama2j.train.sft.PackedSequences;
import io.llama2j.train.sft.SftBatches;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The alignment stages one after another on a checkable task, from a small pretrained model:
 * answers of {@value #ANSWER} words after a prompt of {@value #PROMPT}, in the format
 * BOS prompt SEPARATOR answer EOS of {@link PreferenceTasks}; an answer succeeds when it contains
 * the required word. Pretraining on answers of uniformly drawn words leaves the model a success
 * rate near 1 − (19/20)^4 ≈ 19%. A reward model learns the preference from pairs; then, each
 * from the pretrained model: rejection sampling (best of K by the reward model) followed by SFT
 * on the kept answers through the engine's trainer, PPO against the reward model, and DPO on the
 * pairs. Every policy is measured on the same held-out prompts and seed: mean reward-model
 * score, success rate, and the sampled KL to the pretrained model. With
 * {@code -Dllama2j.rlhf.plots=DIR} every stage's plots are kept (docs/rlhf/ holds them).
 */
class AlignmentStagesTest {
    private static final Parallel PARALLEL = new Parallel(2);
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    private static final int VOCAB = 24, PROMPT = 3, ANSWER = 4;
    /** BOS, prompt, SEPARATOR: what the policy answers after. */
    private static final int PROMPT_TOKENS = PROMPT + 2, RESPONSE_TOKENS = ANSWER + 1, SEQ = PROMPT_TOKENS + RESPONSE_TOKENS;
    /** A response that runs to its limit without EOS is scored with EOS appended: one token more than the sampler's rows. */
    private static final int SCORED = SEQ + 1;
    private static final LlamaConfig SHAPE = new LlamaConfig(32, 64, 2, 4, 4, VOCAB, SCORED, 1e-5f, 10000f);
    private static final int EVALUATION_SAMPLES_PER_PROMPT = 4, SAMPLER_ROWS = 32;
    private static final long EVALUATION_SEED = 77;
    /**
     * Bound on the KL per answer (nats). Moving from a 19% to a 90% success rate needs at least
     * about log(0.9 / 0.19) ≈ 1.6 nats; an unconstrained policy that always writes the word drifts
     * without limit.
     */
    private static final double MAX_KL = 10;

    @TempDir
    Path dir;

    @AfterAll
    static void close() { PARALLEL.close(); }

    private static ModelParameters copy(ModelParameters p) {
        ModelParameters c = new ModelParameters(p.config(), p.tiedEmbeddings());
        System.arraycopy(p.values(), 0, c.values(), 0, p.size());
        return c;
    }

    private static int[] prompt(SplittableRandom random) {
        int[] p = new int[PROMPT_TOKENS];
        p[0] = PreferenceTasks.BOS;
        int[] words = PreferenceTasks.words(PROMPT, VOCAB, random);
        System.arraycopy(words, 0, p, 1, PROMPT);
        p[PROMPT_TOKENS - 1] = PreferenceTasks.SEPARATOR;
        return p;
    }

    private static List<int[]> prompts(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<int[]> list = new ArrayList<>();
        for (int i = 0; i < n; i++) list.add(prompt(random));
        return list;
    }

    /** prompt (BOS .. SEPARATOR) + answer + EOS as one training sequence: inputs, targets, and a loss mask from {@code maskFrom}. */
    private static void addSequence(int[] prompt, int[] answer, int maskFrom, List<int[]> inputs, List<int[]> targets, List<float[]> mask) {
        int[] ids = new int[prompt.length + answer.length + 1];
        System.arraycopy(prompt, 0, ids, 0, prompt.length);
        System.arraycopy(answer, 0, ids, prompt.length, answer.length);
        ids[ids.length - 1] = PreferenceTasks.EOS;
        int n = SEQ;
        int[] in = new int[n], tg = new int[n];
        float[] m = new float[n];
        for (int t = 0; t + 1 < ids.length; t++) {
            in[t] = ids[t];
            tg[t] = ids[t + 1];
            m[t] = t + 1 >= maskFrom ? 1f : 0f;
        }
        inputs.add(in);
        targets.add(tg);
        mask.add(m);
    }

    /** Trains {@code params} on the sequences through the engine's trainer (the SFT path: the loss mask is data). */
    private static void train(ModelParameters params, PackedSequences data, int steps, double lr, Path out) throws IOException {
        TrainerConfig config = new TrainerConfig(steps, 16, SEQ, 1, 0, 1, 0, 5,
                OptimizerConfig.paper().withPeakLearningRate(lr).withWarmupSteps(5).withWeightDecay(0));
        new Trainer(params, params, null, config, new SftBatches(data, 16, 5, true), null, "sft", out, PARALLEL, QUIET, null).run();
    }

    /** Pretraining: answers of words drawn uniformly from the required word and the others; every token is trained on. */
    private static ModelParameters pretrained(Path out) throws IOException {
        SplittableRandom random = new SplittableRandom(3);
        List<int[]> inputs = new ArrayList<>(), targets = new ArrayList<>();
        List<float[]> mask = new ArrayList<>();
        for (int i = 0; i < 512; i++) {
            int[] answer = new int[ANSWER];
            for (int t = 0; t < ANSWER; t++) answer[t] = PreferenceTasks.REQUIRED_WORD + random.nextInt(VOCAB - PreferenceTasks.REQUIRED_WORD);
            addSequence(prompt(random), answer, 1, inputs, targets, mask);
        }
        ModelParameters params = ModelParameters.initialized(SHAPE, false, new ModelInit(0.02, 1));
        train(params, new PackedSequences(SEQ, inputs, targets, mask, 0, 0), 150, 1e-2, out);
        return params;
    }

    /** The reward model's score of prompt + answer + EOS, read at EOS (as in training). */
    private static PpoTrainer.SequenceReward scorer(RewardModel rm) {
        return (prompt, answer) -> {
            int[] ids = new int[prompt.length + answer.length + 1];
            System.arraycopy(prompt, 0, ids, 0, prompt.length);
            System.arraycopy(answer, 0, ids, prompt.length, answer.length);
            ids[ids.length - 1] = PreferenceTasks.EOS;
            return rm.score(ids);
        };
    }

    private static final PpoTrainer.SequenceReward CONTAINS_REQUIRED_WORD = (prompt, answer) -> {
        for (int id : answer) if (id == PreferenceTasks.REQUIRED_WORD) return 1;
        return 0;
    };

    @Test
    void rejectionSamplingPpoAndDpoEachRaiseTheRewardAndTheSuccessRateWithBoundedKl() throws IOException {
        ModelParameters pretrained = pretrained(dir.resolve("pretrain"));
        List<int[]> trainPrompts = prompts(64, 10), heldOut = prompts(32, 11);

        // Reward model: the pretrained backbone and a fresh scalar head, on preference pairs
        List<EncodedPreference> pairs = PreferenceTasks.requiredWordPairs(256, VOCAB, PROMPT, ANSWER, 12);
        List<EncodedPreference> heldOutPairs = PreferenceTasks.requiredWordPairs(64, VOCAB, PROMPT, ANSWER, 13);
        RewardModel rm = new RewardModel(copy(pretrained), RewardModel.freshHead(SHAPE.dim(), 14), 16, SEQ, PARALLEL);
        PreferenceTrainingConfig preferenceTraining = PreferenceTrainingConfig.paper(8, SEQ).withEpochs(2).withEvalEvery(8)
                .withOptimizer(OptimizerConfig.paper().withPeakLearningRate(3e-3));
        PreferenceTrainer.Result rmResult = new PreferenceTrainer(new RewardObjective(rm, MarginTable.SMALL), preferenceTraining,
                PreferenceTasks.PAD, PARALLEL, QUIET).train(pairs, heldOutPairs, dir.resolve("rm"));
        RewardModel rmScorer = new RewardModel(rm.backbone(), rm.head(), 1, SCORED, PARALLEL);
        PpoTrainer.SequenceReward reward = scorer(rmScorer);

        Map<String, PolicyEvaluation.Figures> figures = new LinkedHashMap<>();
        java.util.function.Function<ModelParameters, PolicyEvaluation.Figures> evaluate = policy -> PolicyEvaluation.evaluate(
                new PolicySampler(policy, pretrained, SAMPLER_ROWS, PROMPT_TOKENS, RESPONSE_TOKENS, PreferenceTasks.EOS, PARALLEL),
                heldOut, EVALUATION_SAMPLES_PER_PROMPT, reward, CONTAINS_REQUIRED_WORD, EVALUATION_SEED);
        figures.put("pretrained", evaluate.apply(pretrained));

        // Rejection sampling: K samples per prompt, the best by the reward model kept, then SFT on the kept answers
        int k = 8;
        PolicySampler sampler = new PolicySampler(pretrained, pretrained, SAMPLER_ROWS, PROMPT_TOKENS, RESPONSE_TOKENS,
                PreferenceTasks.EOS, PARALLEL);
        List<int[]> inputs = new ArrayList<>(), targets = new ArrayList<>();
        List<float[]> mask = new ArrayList<>();
        SplittableRandom rsRandom = new SplittableRandom(15);
        double sampledSuccess = 0, keptSuccess = 0;
        for (int first = 0; first < trainPrompts.size(); first += SAMPLER_ROWS / k) {
            int[][] batch = new int[SAMPLER_ROWS][];
            for (int r = 0; r < SAMPLER_ROWS; r++) batch[r] = trainPrompts.get(first + r / k);
            PolicySampler.Samples s = sampler.sample(batch, rsRandom);
            for (int p = 0; p < SAMPLER_ROWS / k; p++) {
                int best = -1;
                double bestScore = Double.NEGATIVE_INFINITY;
                for (int j = p * k; j < (p + 1) * k; j++) {
                    double score = reward.score(batch[j], s.answer(j));
                    sampledSuccess += CONTAINS_REQUIRED_WORD.score(batch[j], s.answer(j));
                    if (score > bestScore) { bestScore = score; best = j; }
                }
                keptSuccess += CONTAINS_REQUIRED_WORD.score(batch[best], s.answer(best));
                addSequence(batch[best], s.answer(best), PROMPT_TOKENS - 1, inputs, targets, mask);
            }
        }
        System.out.printf(Locale.ROOT, "rejection sampling: success rate of the samples %.3f, of the best-of-%d kept %.3f%n",
                sampledSuccess / (trainPrompts.size() * k), k, keptSuccess / trainPrompts.size());
        ModelParameters rsPolicy = copy(pretrained);
        train(rsPolicy, new PackedSequences(SEQ, inputs, targets, mask, 0, 0), 24, 3e-3, dir.resolve("rs-sft"));
        figures.put("rejection sampling + SFT", evaluate.apply(rsPolicy));

        // PPO: value model initialised from the reward model (paper §3.2.3)
        ModelParameters ppoPolicy = copy(pretrained);
        PpoConfig ppo = new PpoConfig(12, 32, 8, PpoConfig.PAPER_CLIP_RANGE, PpoConfig.DEFAULT_GAMMA, PpoConfig.DEFAULT_LAMBDA,
                1e-3, 3e-3, PpoConfig.DEFAULT_PATIENCE, RewardShapingConfig.paper().withKlBeta(0.1), 0);
        new PpoTrainer(ppoPolicy, copy(pretrained), copy(rm.backbone()), new ScalarHead(rm.head().values().clone()), reward, ppo,
                PROMPT_TOKENS, RESPONSE_TOKENS, PreferenceTasks.EOS, PARALLEL, QUIET).train(trainPrompts, heldOut.subList(0, 16),
                dir.resolve("ppo"), 16);
        figures.put("PPO", evaluate.apply(ppoPolicy));

        // DPO on the reward model's pairs, against the pretrained model
        ModelParameters dpoPolicy = copy(pretrained);
        new PreferenceTrainer(new DpoObjective(dpoPolicy, copy(pretrained), 0.1, 16, SEQ, PARALLEL),
                preferenceTraining.withEpochs(1).withOptimizer(OptimizerConfig.paper().withPeakLearningRate(5e-4)),
                PreferenceTasks.PAD, PARALLEL, QUIET).train(pairs, heldOutPairs, dir.resolve("dpo"));
        figures.put("DPO", evaluate.apply(dpoPolicy));

        System.out.printf(Locale.ROOT, "reward model: held-out accuracy %.3f %s%n", rmResult.heldOut().accuracy(),
                rmResult.heldOut().accuracyByRating());
        figures.forEach((stage, f) -> System.out.printf(Locale.ROOT,
                "alignment stages: %-26s mean reward %7.3f | success rate %.3f | KL to pretrained %.3f nats/answer | %.2f tokens, %.0f%% end at EOS (%d samples)%n",
                stage, f.meanReward(), f.successRate(), f.meanKl(), f.meanResponseTokens(), 100 * f.eosRate(), f.samples()));
        keepPlots();

        PolicyEvaluation.Figures before = figures.get("pretrained");
        assertThat(rmResult.heldOut().accuracy()).isGreaterThanOrEqualTo(0.9);
        assertThat(before.meanKl()).isZero();
        assertThat(before.successRate()).isBetween(0.05, 0.4);
        for (String stage : List.of("rejection sampling + SFT", "PPO", "DPO")) {
            PolicyEvaluation.Figures after = figures.get(stage);
            assertThat(after.meanReward()).as(stage + " mean reward").isGreaterThan(before.meanReward());
            assertThat(after.successRate()).as(stage + " success rate").isGreaterThan(before.successRate() + 0.15);
            assertThat(after.meanKl()).as(stage + " KL to the pretrained model").isBetween(0.0, MAX_KL);
        }
    }

    /** Copies every stage's plots to -Dllama2j.rlhf.plots, when set. */
    private void keepPlots() throws IOException {
        String target = System.getProperty("llama2j.rlhf.plots");
        if (target == null) return;
        Path to = Path.of(target);
        Files.createDirectories(to);
        for (String stage : List.of("pretrain", "rm", "rs-sft", "ppo", "dpo")) {
            try (var files = Files.list(dir.resolve(stage))) {
                for (Path png : files.filter(f -> f.toString().endsWith(".png")).toList()) {
                    Files.copy(png, to.resolve(stage + "-" + png.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
