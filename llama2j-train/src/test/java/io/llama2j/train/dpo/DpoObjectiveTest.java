package io.llama2j.train.dpo;

import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.ModelInit;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.ParameterTensor;
import io.llama2j.train.kernels.FiniteDifferences;
import io.llama2j.train.optim.OptimizerConfig;
import io.llama2j.train.reward.EncodedPreference;
import io.llama2j.train.reward.PreferenceBatch;
import io.llama2j.train.reward.PreferenceTasks;
import io.llama2j.train.reward.PreferenceTrainer;
import io.llama2j.train.reward.PreferenceTrainingConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** DPO through the training model's per-token log-prob hooks. */
class DpoObjectiveTest {
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
    void dpoGradientThroughPerTokenLogProbsMatchesFiniteDifferences() {
        LlamaConfig config = new LlamaConfig(16, 24, 2, 4, 2, 11, 8, 1e-5f, 10000f);
        ModelParameters policy = ModelParameters.initialized(config, false, new ModelInit(0.3, 7));
        ModelParameters reference = ModelParameters.initialized(config, false, new ModelInit(0.3, 8));
        List<EncodedPreference> pairs = PreferenceTasks.requiredWordPairs(2, config.vocabSize(), 2, 2, 3);
        PreferenceBatch batch = PreferenceBatch.of(pairs, 2, 8, PreferenceTasks.PAD);
        DpoObjective dpo = new DpoObjective(policy, reference, 0.5, 4, 8, PARALLEL);
        policy.zeroGradients();
        dpo.forwardBackward(batch, 0.5);
        float[] gradient = policy.gradients().clone();
        assertThat(reference.gradients()).containsOnly(0f);
        DoubleSupplier meanLoss = () -> {
            double[] l = dpo.evaluate(batch).losses();
            return (l[0] + l[1]) / 2;
        };
        SplittableRandom random = new SplittableRandom(5);
        for (ParameterTensor t : policy.tensors()) {
            FiniteDifferences.checkDirection(t.name() + " along its gradient", policy.values(), t.offset(), t.size(), gradient,
                    t.offset(), FiniteDifferences.unitAlong(gradient, t.offset(), t.size(), random), meanLoss);
            FiniteDifferences.checkDirection(t.name() + " along a random direction", policy.values(), t.offset(), t.size(), gradient,
                    t.offset(), FiniteDifferences.randomUnit(t.size(), random), meanLoss);
        }
    }

    @Test
    void policyEqualToItsReferenceHasLossLogTwo() {
        LlamaConfig config = new LlamaConfig(16, 24, 1, 4, 2, 11, 8, 1e-5f, 10000f);
        ModelParameters policy = ModelParameters.initialized(config, false, new ModelInit(0.3, 7));
        DpoObjective dpo = new DpoObjective(policy, copy(policy), 0.1, 2, 8, PARALLEL);
        PreferenceBatch batch = PreferenceBatch.of(PreferenceTasks.requiredWordPairs(1, 11, 2, 2, 3), 1, 8, 0);
        assertThat(dpo.evaluate(batch).losses()[0]).isCloseTo(Math.log(2), within(1e-9));
        assertThatThrownBy(() -> new DpoObjective(policy, policy, 0.1, 2, 8, PARALLEL))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("frozen copy");
    }

    @Test
    void dpoTeachesThePolicyToPreferAnswersWithTheRequiredWord(@TempDir Path out) throws IOException {
        int vocab = 24, seq = 12;
        LlamaConfig config = new LlamaConfig(32, 64, 2, 4, 4, vocab, seq, 1e-5f, 10000f);
        ModelParameters policy = ModelParameters.initialized(config, false, new ModelInit(0.02, 1));
        List<EncodedPreference> train = PreferenceTasks.requiredWordPairs(256, vocab, 3, 4, 1);
        List<EncodedPreference> heldOut = PreferenceTasks.requiredWordPairs(64, vocab, 3, 4, 2);
        DpoObjective dpo = new DpoObjective(policy, copy(policy), 0.1, 16, seq, PARALLEL);
        PreferenceTrainingConfig training = PreferenceTrainingConfig.paper(8, seq).withEpochs(2)
                .withOptimizer(OptimizerConfig.paper().withPeakLearningRate(3e-3));
        PreferenceTrainer trainer = new PreferenceTrainer(dpo, training, PreferenceTasks.PAD, PARALLEL, QUIET);

        PreferenceTrainer.Result r = trainer.train(train, heldOut, out);

        System.out.printf("DPO, required word: held-out loss %.4f (log 2 = 0.6931 at the start), implicit-reward accuracy %.3f%n",
                r.heldOut().loss(), r.heldOut().accuracy());
        assertThat(r.heldOut().loss()).isLessThan(0.4);
        assertThat(r.heldOut().accuracy()).isGreaterThanOrEqualTo(0.9);
        assertThat(out.resolve("checkpoint.bin")).exists();
    }
}
