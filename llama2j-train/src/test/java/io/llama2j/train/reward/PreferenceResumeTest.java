package io.llama2j.train.reward;

import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.Checkpoint;
import io.llama2j.train.ModelInit;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.dpo.DpoObjective;
import io.llama2j.train.optim.OptimizerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A reward-model or DPO run stopped at a step boundary (what Ctrl-C does through the shutdown
 * hook) in the middle of its second epoch, and resumed from its checkpoint, ends with the same
 * backbone, head and optimizer state, bit for bit, as a run that was never interrupted; its log
 * reads as one run.
 */
class PreferenceResumeTest {
    private static final Parallel PARALLEL = new Parallel(2);
    private static final int VOCAB = 16, SEQ = 10, PAIRS_PER_BATCH = 4, STOP_AT = 7;
    private static final LlamaConfig SHAPE = new LlamaConfig(16, 32, 2, 4, 2, VOCAB, SEQ, 1e-5f, 10000f);
    private static final List<EncodedPreference> TRAIN = PreferenceTasks.requiredWordPairs(20, VOCAB, 2, 3, 1);
    private static final List<EncodedPreference> HELD_OUT = PreferenceTasks.requiredWordPairs(8, VOCAB, 2, 3, 2);
    /** 5 batches per epoch, 2 epochs; stopping after step 7 resumes inside the second epoch. */
    private static final PreferenceTrainingConfig TRAINING = PreferenceTrainingConfig.paper(PAIRS_PER_BATCH, SEQ).withEpochs(2)
            .withEvalEvery(3).withOptimizer(OptimizerConfig.paper().withPeakLearningRate(3e-3));

    @AfterAll
    static void close() { PARALLEL.close(); }

    private static ModelParameters fresh() {
        return ModelParameters.initialized(SHAPE, false, new ModelInit(0.05, 3));
    }

    private PreferenceTrainer trainerStoppingAt;

    /** A progress stream that asks the trainer to stop once it reports step {@code step}. */
    private PrintStream stopAt(int step) {
        return new PrintStream(OutputStream.nullOutputStream()) {
            @Override public PrintStream printf(java.util.Locale l, String format, Object... args) {
                if (args.length > 1 && Integer.valueOf(step).equals(args[1]) && trainerStoppingAt != null) trainerStoppingAt.requestStop();
                return this;
            }
        };
    }

    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    /** Runs the whole way in one directory and stopped-then-resumed in another; compares the checkpoints. */
    private void interruptAndResume(Path dir, Function<ModelParameters, PreferenceObjective> objectiveOf) throws IOException {
        Path whole = dir.resolve("whole"), split = dir.resolve("split");
        ModelParameters uninterrupted = fresh();
        new PreferenceTrainer(objectiveOf.apply(uninterrupted), TRAINING, PreferenceTasks.PAD, PARALLEL, QUIET)
                .train(TRAIN, HELD_OUT, whole);

        PreferenceTrainer first = new PreferenceTrainer(objectiveOf.apply(fresh()), TRAINING, PreferenceTasks.PAD, PARALLEL, stopAt(STOP_AT));
        trainerStoppingAt = first;
        PreferenceTrainer.Result stopped = first.train(TRAIN, HELD_OUT, split);
        assertThat(stopped.interrupted()).isTrue();
        assertThat(stopped.steps()).isEqualTo(STOP_AT);
        Checkpoint saved = Checkpoint.read(split.resolve(Checkpoint.FILE_NAME));
        assertThat(saved.step()).isEqualTo(STOP_AT);

        ModelParameters resumed = fresh();
        PreferenceTrainer.Result r = new PreferenceTrainer(objectiveOf.apply(resumed), TRAINING, PreferenceTasks.PAD, PARALLEL, QUIET)
                .train(TRAIN, HELD_OUT, split, saved);
        assertThat(r.interrupted()).isFalse();
        assertThat(r.steps()).isEqualTo(10);
        assertThat(resumed.values()).containsExactly(uninterrupted.values());
        Checkpoint a = Checkpoint.read(whole.resolve(Checkpoint.FILE_NAME)), b = Checkpoint.read(split.resolve(Checkpoint.FILE_NAME));
        assertThat(b.secondMoment()).containsExactly(a.secondMoment());
        assertThat(b.optimizerUpdates()).isEqualTo(a.optimizerUpdates());
        assertThat(b.extraArrays().keySet()).isEqualTo(a.extraArrays().keySet());
        for (String name : a.extraArrays().keySet()) assertThat(b.extraArrays().get(name)).as(name).containsExactly(a.extraArrays().get(name));
        List<String> log = Files.readAllLines(split.resolve("log.jsonl"));
        assertThat(log.stream().filter(l -> l.contains("\"type\":\"train\"")).count()).isEqualTo(10);
        assertThat(split.resolve("loss.png")).isNotEmptyFile();
        assertThat(split.resolve(PreferenceTrainer.ACCURACY_PLOT)).isNotEmptyFile();
        assertThat(split.resolve(PreferenceTrainer.MARGIN_PLOT)).isNotEmptyFile();
    }

    @Test
    void aRewardModelRunStoppedAndResumedEndsBitForBitLikeAnUninterruptedRun(@TempDir Path dir) throws IOException {
        interruptAndResume(dir, backbone -> new RewardObjective(
                new RewardModel(backbone, RewardModel.freshHead(SHAPE.dim(), 5), 2 * PAIRS_PER_BATCH, SEQ, PARALLEL), MarginTable.SMALL));
        assertThat(ScalarHead.read(dir.resolve("split").resolve(ScalarHead.FILE_NAME)).values())
                .containsExactly(ScalarHead.read(dir.resolve("whole").resolve(ScalarHead.FILE_NAME)).values());
        assertThat(Checkpoint.read(dir.resolve("split").resolve(Checkpoint.FILE_NAME)).extraArrays()).containsKey("head_second_moment");
    }

    @Test
    void aDpoRunStoppedAndResumedEndsBitForBitLikeAnUninterruptedRun(@TempDir Path dir) throws IOException {
        ModelParameters reference = fresh();
        interruptAndResume(dir, policy -> new DpoObjective(policy, reference, 0.1, 2 * PAIRS_PER_BATCH, SEQ, PARALLEL));
    }

    @Test
    void aCheckpointOfAnotherRunIsRefusedWithWhatDiffers(@TempDir Path dir) throws IOException {
        ModelParameters backbone = fresh();
        RewardModel model = new RewardModel(backbone, RewardModel.freshHead(SHAPE.dim(), 5), 2 * PAIRS_PER_BATCH, SEQ, PARALLEL);
        new PreferenceTrainer(new RewardObjective(model, MarginTable.NONE), TRAINING.withEpochs(1), PreferenceTasks.PAD, PARALLEL, QUIET)
                .train(TRAIN, HELD_OUT, dir);
        Checkpoint oneEpoch = Checkpoint.read(dir.resolve(Checkpoint.FILE_NAME));
        PreferenceTrainer twoEpochs = new PreferenceTrainer(new RewardObjective(model, MarginTable.NONE), TRAINING,
                PreferenceTasks.PAD, PARALLEL, QUIET);
        assertThatThrownBy(() -> twoEpochs.train(TRAIN, HELD_OUT, dir, oneEpoch)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("another run").hasMessageContaining("5 steps").hasMessageContaining("10 steps");
    }
}
