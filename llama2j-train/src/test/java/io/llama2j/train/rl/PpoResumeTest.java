package io.llama2j.train.rl;

import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.Checkpoint;
import io.llama2j.train.ModelInit;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.reward.PreferenceTasks;
import io.llama2j.train.reward.RewardModel;
import io.llama2j.train.reward.ScalarHead;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A PPO run stopped after an iteration (what Ctrl-C does through the shutdown hook) and resumed
 * from its checkpoint ends with the same kept policy, value model, optimizer state and
 * early-stopping state, bit for bit, as a run that was never interrupted.
 */
class PpoResumeTest {
    private static final Parallel PARALLEL = new Parallel(2);
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    private static final int VOCAB = 16, PROMPT = 3, RESPONSE = 4, ITERATIONS = 5, STOP_AFTER = 2;
    private static final LlamaConfig SHAPE = new LlamaConfig(16, 32, 2, 4, 2, VOCAB, PROMPT + RESPONSE, 1e-5f, 10000f);
    private static final PpoConfig PPO = new PpoConfig(ITERATIONS, 8, 4, PpoConfig.PAPER_CLIP_RANGE, PpoConfig.DEFAULT_GAMMA,
            PpoConfig.DEFAULT_LAMBDA, 3e-3, 3e-3, ITERATIONS, RewardShapingConfig.paper().withKlBeta(0.05), 0);

    @AfterAll
    static void close() { PARALLEL.close(); }

    private static ModelParameters start() {
        return ModelParameters.initialized(SHAPE, false, new ModelInit(0.05, 1));
    }

    private static List<int[]> prompts(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < n; i++) prompts.add(PreferenceTasks.words(PROMPT - i % 2, VOCAB, random));
        return prompts;
    }

    private static final PpoTrainer.SequenceReward CONTAINS_REQUIRED_WORD = (prompt, response) -> {
        for (int id : response) if (id == PreferenceTasks.REQUIRED_WORD) return 1;
        return 0;
    };

    /** A trainer of a fresh policy, value backbone and head; {@code progress} may stop it. */
    private static PpoTrainer trainer(ModelParameters policy, ModelParameters valueBackbone, ScalarHead valueHead, PrintStream progress) {
        return new PpoTrainer(policy, start(), valueBackbone, valueHead, CONTAINS_REQUIRED_WORD, PPO, PROMPT, RESPONSE,
                PreferenceTasks.EOS, PARALLEL, progress);
    }

    private PpoTrainer stopTarget;

    /** A progress stream that asks the trainer to stop once it reports iteration {@code iteration}. */
    private PrintStream stopAfter(int iteration) {
        return new PrintStream(OutputStream.nullOutputStream()) {
            @Override public PrintStream printf(java.util.Locale l, String format, Object... args) {
                if (format.startsWith("ppo iteration") && Integer.valueOf(iteration).equals(args[0])) stopTarget.requestStop();
                return this;
            }
        };
    }

    @Test
    void aPpoRunStoppedAndResumedEndsBitForBitLikeAnUninterruptedRun(@TempDir Path dir) throws IOException {
        List<int[]> train = prompts(24, 2), heldOut = prompts(8, 3);
        Path whole = dir.resolve("whole"), split = dir.resolve("split");
        ModelParameters uninterrupted = start();
        List<PpoTrainer.IterationStats> all = trainer(uninterrupted, start(), RewardModel.freshHead(SHAPE.dim(), 4), QUIET)
                .train(train, heldOut, whole, 9);
        assertThat(all).hasSize(ITERATIONS);

        PpoTrainer first = trainer(start(), start(), RewardModel.freshHead(SHAPE.dim(), 4), stopAfter(STOP_AFTER));
        stopTarget = first;
        assertThat(first.train(train, heldOut, split, 9)).hasSize(STOP_AFTER);
        Checkpoint saved = Checkpoint.read(split.resolve(Checkpoint.FILE_NAME));
        assertThat(saved.step()).isEqualTo(STOP_AFTER);
        assertThat(saved.extraValues()).containsEntry("finished", 0.0);

        ModelParameters resumed = start();
        List<PpoTrainer.IterationStats> rest = trainer(resumed, start(), RewardModel.freshHead(SHAPE.dim(), 4), QUIET)
                .train(train, heldOut, split, 9, saved);
        assertThat(rest).hasSize(ITERATIONS - STOP_AFTER);
        assertThat(rest).isEqualTo(all.subList(STOP_AFTER, ITERATIONS));
        assertThat(resumed.values()).containsExactly(uninterrupted.values());
        Checkpoint a = Checkpoint.read(whole.resolve(Checkpoint.FILE_NAME)), b = Checkpoint.read(split.resolve(Checkpoint.FILE_NAME));
        assertThat(b.parameters()).containsExactly(a.parameters());
        assertThat(b.secondMoment()).containsExactly(a.secondMoment());
        assertThat(b.extraValues()).isEqualTo(a.extraValues()).containsEntry("finished", 1.0);
        for (String name : a.extraArrays().keySet()) assertThat(b.extraArrays().get(name)).as(name).containsExactly(a.extraArrays().get(name));
        assertThat(Files.readAllLines(split.resolve("log.jsonl")).stream().filter(l -> l.contains("\"type\":\"ppo\"")).count())
                .isEqualTo(ITERATIONS);
        for (String plot : List.of("loss.png", PpoTrainer.REWARD_PLOT, PpoTrainer.KL_PLOT)) assertThat(split.resolve(plot)).isNotEmptyFile();

        // A finished run resumed again does nothing
        assertThat(trainer(start(), start(), RewardModel.freshHead(SHAPE.dim(), 4), QUIET).train(train, heldOut, split, 9, b)).isEmpty();
    }

    @Test
    void responsesStopAtEosAndNothingPastTheEndIsRewardedOrTrained() {
        ModelParameters policy = start();
        // A near-uniform policy samples EOS with p ≈ 1/16 per token: in 32 rows, some end early and some run to the limit
        PpoConfig batch32 = new PpoConfig(1, 32, 8, PPO.clipRange(), PPO.gamma(), PPO.lambda(), PPO.learningRate(),
                PPO.valueLearningRate(), PPO.patience(), PPO.shaping(), 0);
        List<int[]> scoredResponses = new ArrayList<>();
        PpoTrainer trainer = new PpoTrainer(policy, start(), start(), RewardModel.freshHead(SHAPE.dim(), 4), (prompt, response) -> {
            scoredResponses.add(response);
            return response.length;
        }, batch32, PROMPT, RESPONSE, PreferenceTasks.EOS, PARALLEL, QUIET);
        int[][] batch = prompts(batch32.batch(), 5).toArray(int[][]::new);
        PpoTrainer.Rollout rollout = trainer.rollout(batch, new SplittableRandom(7));
        double[] values = new double[rollout.tokens().tokens()];
        java.util.Arrays.fill(values, 0.5);
        PpoTrainer.Advantages estimate = trainer.advantages(rollout, values);

        int seq = PROMPT + RESPONSE, early = 0, full = 0;
        for (int r = 0; r < batch.length; r++) {
            int[] response = rollout.responses()[r];
            int eosAt = -1;
            for (int i = 0; i < response.length; i++) if (response[i] == PreferenceTasks.EOS) { eosAt = i; break; }
            if (rollout.endedAtEos()[r]) {
                assertThat(eosAt).as("row %d ends at its first EOS", r).isEqualTo(response.length - 1);
                assertThat(scoredResponses.get(r)).as("the reward reads the answer without EOS").hasSize(response.length - 1);
                early += response.length < RESPONSE ? 1 : 0;
            } else {
                assertThat(eosAt).isEqualTo(-1);
                assertThat(response).hasSize(RESPONSE);
                full++;
            }
            int first = batch[r].length - 1;
            for (int t = 0; t < seq; t++) {
                int at = r * seq + t;
                boolean inResponse = t >= first && t < first + response.length;
                assertThat(rollout.tokens().mask()[at]).as("mask row %d position %d", r, t).isEqualTo(inResponse ? 1f : 0f);
                if (inResponse) {
                    assertThat(rollout.tokens().targets()[at]).isEqualTo(response[t - first]);
                    assertThat(estimate.advantages()[at]).isNotZero();
                } else {
                    assertThat(estimate.advantages()[at]).as("advantage past the end, row %d position %d", r, t).isZero();
                    assertThat(estimate.returns()[at]).isZero();
                }
            }
        }
        assertThat(early).as("responses that stopped at EOS before the limit").isPositive();
        assertThat(full).as("responses that ran to the limit").isPositive();
    }
}
