package io.llama2j.train.reward;

import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.ModelInit;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.ParameterTensor;
import io.llama2j.train.kernels.FiniteDifferences;
import io.llama2j.train.optim.OptimizerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The reward model: scalar head on the backbone's last hidden state, its gradient, and learning a checkable preference. */
class RewardModelTest {
    private static final Parallel PARALLEL = new Parallel(2);
    private static final PrintStream QUIET = new PrintStream(java.io.OutputStream.nullOutputStream());

    @AfterAll
    static void close() { PARALLEL.close(); }

    @Test
    void rankingLossGradientThroughTheScalarHeadMatchesFiniteDifferences() {
        LlamaConfig config = new LlamaConfig(16, 24, 2, 4, 2, 11, 8, 1e-5f, 10000f);
        ModelParameters params = ModelParameters.initialized(config, false, new ModelInit(0.3, 7));
        ScalarHead head = RewardModel.freshHead(config.dim(), 5);
        for (int i = 0; i < head.values().length; i++) head.values()[i] *= 20; // O(1) scores
        List<EncodedPreference> pairs = PreferenceTasks.requiredWordPairs(2, config.vocabSize(), 2, 2, 3);
        PreferenceBatch batch = PreferenceBatch.of(pairs, 2, 8, PreferenceTasks.PAD);
        RewardModel model = new RewardModel(params, head, 4, 8, PARALLEL);
        RewardObjective objective = new RewardObjective(model, MarginTable.SMALL);
        params.zeroGradients();
        head.zeroGradients();
        objective.forwardBackward(batch, 0.5);
        float[] gradient = params.gradients().clone(), headGradient = head.gradients().clone();
        DoubleSupplier meanLoss = () -> {
            double[] l = objective.evaluate(batch).losses();
            return (l[0] + l[1]) / 2;
        };
        SplittableRandom random = new SplittableRandom(11);
        FiniteDifferences.checkElements("scalar head", head.values(), 0, head.values().length, headGradient, 0, meanLoss, 99, 1);
        for (ParameterTensor t : params.tensors()) {
            if (t.name().equals(params.output.name())) {
                assertThat(gradient[t.offset()]).as("the unused output matrix gets no gradient").isZero();
                continue;
            }
            FiniteDifferences.checkDirection(t.name() + " along a random direction", params.values(), t.offset(), t.size(),
                    gradient, t.offset(), FiniteDifferences.randomUnit(t.size(), random), meanLoss);
        }
    }

    @Test
    void padsAfterTheLastTokenDoNotChangeTheScore() {
        LlamaConfig config = new LlamaConfig(16, 24, 1, 4, 2, 11, 12, 1e-5f, 10000f);
        ModelParameters params = ModelParameters.initialized(config, false, new ModelInit(0.3, 7));
        List<EncodedPreference> pairs = PreferenceTasks.requiredWordPairs(1, config.vocabSize(), 2, 2, 3);
        double[] short8 = new RewardModel(params, RewardModel.freshHead(16, 1), 2, 8, PARALLEL)
                .scores(PreferenceBatch.of(pairs, 1, 8, 0).tokens(), PreferenceBatch.of(pairs, 1, 8, 0).lastPositions());
        PreferenceBatch long12 = PreferenceBatch.of(pairs, 1, 12, 9);
        double[] padded = new RewardModel(params, RewardModel.freshHead(16, 1), 2, 12, PARALLEL).scores(long12.tokens(), long12.lastPositions());
        assertThat(padded[0]).isCloseTo(short8[0], org.assertj.core.api.Assertions.within(1e-5));
        assertThat(padded[1]).isCloseTo(short8[1], org.assertj.core.api.Assertions.within(1e-5));
    }

    @Test
    void learnsThatAnswersMustContainTheRequiredWord(@TempDir Path out) throws IOException {
        int vocab = 24, seq = 12;
        LlamaConfig config = new LlamaConfig(32, 64, 2, 4, 4, vocab, seq, 1e-5f, 10000f);
        ModelParameters params = ModelParameters.initialized(config, false, new ModelInit(0.02, 1));
        List<EncodedPreference> train = PreferenceTasks.requiredWordPairs(384, vocab, 3, 4, 1);
        List<EncodedPreference> heldOut = PreferenceTasks.requiredWordPairs(64, vocab, 3, 4, 2);
        RewardModel model = new RewardModel(params, RewardModel.freshHead(config.dim(), 3), 16, seq, PARALLEL);
        PreferenceTrainingConfig training = PreferenceTrainingConfig.paper(8, seq).withEpochs(2).withEvalEvery(48)
                .withOptimizer(OptimizerConfig.paper().withPeakLearningRate(3e-3));
        PreferenceTrainer trainer = new PreferenceTrainer(new RewardObjective(model, MarginTable.SMALL), training,
                PreferenceTasks.PAD, PARALLEL, QUIET);
        PreferenceTrainer.Evaluation before = trainer.evaluate(heldOut);

        PreferenceTrainer.Result r = trainer.train(train, heldOut, out);

        System.out.printf("reward model, required word: held-out accuracy %.3f -> %.3f, loss %.4f -> %.4f, by rating %s%n",
                before.accuracy(), r.heldOut().accuracy(), before.loss(), r.heldOut().loss(), r.heldOut().accuracyByRating());
        assertThat(r.heldOut().loss()).isLessThan(before.loss() - 0.2);
        assertThat(r.heldOut().accuracy()).isGreaterThanOrEqualTo(0.95);
        assertThat(r.heldOut().accuracyByRating()).containsOnlyKeys(PreferenceRating.values());
        assertThat(out.resolve("log.jsonl")).exists();
        assertThat(Files.readString(out.resolve("log.jsonl"))).contains("\"type\":\"heldout\"", "accuracy_significantly_better");
        assertThat(out.resolve("loss.png")).exists();
        assertThat(out.resolve("checkpoint.bin")).exists();
        assertThat(ScalarHead.read(out.resolve(ScalarHead.FILE_NAME)).values()).containsExactly(model.head().values());
    }

    @Test
    void headFilesAreValidatedBeforeReading(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("head.bin");
        Files.write(bad, new byte[] {0x4c, 0x52, 0x57, 0x48, 0x7f, 0, 0, 0, 1, 2, 3, 4});
        assertThatThrownBy(() -> ScalarHead.read(bad)).isInstanceOf(IOException.class)
                .hasMessageContaining(bad.toString()).hasMessageContaining("file size 12");
        Files.write(bad, new byte[12]);
        assertThatThrownBy(() -> ScalarHead.read(bad)).isInstanceOf(IOException.class).hasMessageContaining("magic");
    }
}
