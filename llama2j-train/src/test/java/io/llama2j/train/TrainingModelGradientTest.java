package io.llama2j.train;

import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.kernels.FiniteDifferences;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * The whole model's backward, checked against finite differences of its loss for every named
 * parameter tensor of a 2-layer GQA model (4 query heads sharing 2 key/value heads), with a loss
 * mask that drops some tokens, tied and untied output. For each tensor: the derivative along
 * the analytic gradient's own direction, along a random direction, and a few single elements.
 */
class TrainingModelGradientTest {
    private static final Parallel PARALLEL = new Parallel(2);

    @AfterAll
    static void close() { PARALLEL.close(); }

    @ParameterizedTest(name = "tied embeddings: {0}")
    @ValueSource(booleans = {false, true})
    void everyParameterGradientOfATwoLayerGqaModelMatchesFiniteDifferences(boolean tied) {
        LlamaConfig config = new LlamaConfig(16, 24, 2, 4, 2, 11, 8, 1e-5f, 10000f);
        ModelParameters params = ModelParameters.initialized(config, tied, new ModelInit(0.3, 7));
        SplittableRandom random = new SplittableRandom(3);
        for (ParameterTensor t : params.tensors()) {
            if (!t.decays()) { // norm gains away from 1, so their gradients are not special
                for (int i = t.offset(); i < t.end(); i++) params.values()[i] = (float) (1 + 0.3 * random.nextGaussian());
            }
        }
        int batch = 2, seq = 5;
        int[] inputs = new int[batch * seq], targets = new int[batch * seq];
        float[] mask = new float[batch * seq];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = random.nextInt(config.vocabSize());
            targets[i] = random.nextInt(config.vocabSize());
            mask[i] = i % 4 == 1 ? 0f : 1f;
        }
        TokenBatch data = new TokenBatch(batch, seq, inputs, targets, mask);
        TrainingModel model = new TrainingModel(params, batch, seq, PARALLEL);
        double masked = data.maskedTokens();
        params.zeroGradients();
        model.forwardBackward(data, (float) (1 / masked));
        float[] gradient = params.gradients().clone();
        DoubleSupplier meanLoss = () -> model.loss(data) / masked;

        for (ParameterTensor t : params.tensors()) {
            float[] w = params.values();
            FiniteDifferences.checkDirection(t.name() + " along its gradient", w, t.offset(), t.size(), gradient, t.offset(),
                    FiniteDifferences.unitAlong(gradient, t.offset(), t.size(), random), meanLoss);
            FiniteDifferences.checkDirection(t.name() + " along a random direction", w, t.offset(), t.size(), gradient, t.offset(),
                    FiniteDifferences.randomUnit(t.size(), random), meanLoss);
            FiniteDifferences.checkElements(t.name(), w, t.offset(), t.size(), gradient, t.offset(), meanLoss, 3, t.offset());
        }
    }
}
