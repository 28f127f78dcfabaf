package io.llama2j.train.rl;

import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.ModelInit;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.reward.PreferenceTasks;
import io.llama2j.train.reward.RewardModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PPO on a checkable task: the reward is 1 when the response contains the required word (token
 * {@link PreferenceTasks#REQUIRED_WORD}) and 0 otherwise; a random small policy succeeds about
 * 1 − (23/24)^4 ≈ 16% of the time.
 */
class PpoTrainerTest {
    private static final Parallel PARALLEL = new Parallel(2);
    private static final PrintStream QUIET = new PrintStream(java.io.OutputStream.nullOutputStream());

    @AfterAll
    static void close() { PARALLEL.close(); }

    private static ModelParameters copy(ModelParameters p) {
        ModelParameters c = new ModelParameters(p.config(), p.tiedEmbeddings());
        System.arraycopy(p.values(), 0, c.values(), 0, p.size());
        return c;
    }

    @Test
    void ppoRaisesTheSuccessRateWhileTheKlToTheReferenceStaysBounded(@TempDir Path out) throws IOException {
        int vocab = 24, promptLength = 3, responseLength = 4;
        LlamaConfig config = new LlamaConfig(32, 64, 2, 4, 4, vocab, promptLength + responseLength, 1e-5f, 10000f);
        ModelParameters policy = ModelParameters.initialized(config, false, new ModelInit(0.02, 1));
        ModelParameters reference = copy(policy), valueBackbone = copy(policy);
        SplittableRandom random = new SplittableRandom(2);
        List<int[]> prompts = new ArrayList<>(), heldOut = new ArrayList<>();
        for (int i = 0; i < 64; i++) prompts.add(PreferenceTasks.words(promptLength - i % 2, vocab, random)); // 2 or 3 tokens
        for (int i = 0; i < 32; i++) heldOut.add(PreferenceTasks.words(promptLength - i % 2, vocab, random));
        PpoTrainer.SequenceReward containsRequiredWord = (prompt, response) -> {
            for (int id : response) if (id == PreferenceTasks.REQUIRED_WORD) return 1;
            return 0;
        };
        PpoConfig ppo = new PpoConfig(25, 32, 8, PpoConfig.PAPER_CLIP_RANGE, PpoConfig.DEFAULT_GAMMA, PpoConfig.DEFAULT_LAMBDA,
                3e-3, 3e-3, PpoConfig.DEFAULT_PATIENCE, RewardShapingConfig.paper().withKlBeta(0.05), 0);
        PpoTrainer trainer = new PpoTrainer(policy, reference, valueBackbone, RewardModel.freshHead(config.dim(), 4),
                containsRequiredWord, ppo, promptLength, responseLength, -1, PARALLEL, QUIET);
        double before = trainer.heldOutReward(heldOut, 9);

        List<PpoTrainer.IterationStats> stats = trainer.train(prompts, heldOut, out, 9);

        double after = trainer.heldOutReward(heldOut, 9);
        double maxKl = stats.stream().mapToDouble(PpoTrainer.IterationStats::meanKl).max().orElseThrow();
        // The policy kept is the one of the first iteration with the best held-out reward (early stopping)
        PpoTrainer.IterationStats kept = stats.stream()
                .reduce((a, b) -> b.heldOutReward() > a.heldOutReward() ? b : a).orElseThrow();
        System.out.printf("PPO, required word: held-out success rate %.3f -> %.3f after %d iterations; training reward %.3f -> %.3f;"
                        + " KL per sequence %.3f nats at the kept iteration %d, at most %.3f%n", before, after, stats.size(),
                stats.getFirst().meanReward(), stats.getLast().meanReward(), kept.meanKl(), kept.iteration(), maxKl);
        assertThat(after).isGreaterThan(before + 0.25);
        // Reaching the required word needs at least log(1 / 0.16) ≈ 1.8 nats of KL from the uniform-ish start
        assertThat(kept.meanKl()).isLessThan(5.0);
        assertThat(maxKl).isLessThan(10.0);
        assertThat(Files.readString(out.resolve("log.jsonl"))).contains("\"type\":\"ppo\"", "\"kl\"");
        assertThat(out.resolve("loss.png")).exists();
        assertThat(out.resolve("checkpoint.bin")).exists();
    }
}
