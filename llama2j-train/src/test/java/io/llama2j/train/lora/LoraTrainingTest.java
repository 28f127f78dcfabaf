package io.llama2j.train.lora;

import io.llama2j.lora.LoraAdapter;
import io.llama2j.lora.LoraConfig;
import io.llama2j.lora.LoraTarget;
import io.llama2j.model.Llama;
import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.Parallel;
import io.llama2j.train.ModelInit;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.ParameterTensor;
import io.llama2j.train.TokenBatch;
import io.llama2j.train.TrainingModel;
import io.llama2j.train.kernels.FiniteDifferences;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** LoRA in training: the adapter path's backward, a frozen base, and agreement with inference. */
class LoraTrainingTest {
    private static final Parallel PARALLEL = new Parallel(2);
    private static final LlamaConfig CONFIG = new LlamaConfig(16, 24, 2, 4, 2, 11, 8, 1e-5f, 10000f);
    private static final int BATCH = 2, SEQ = 5;

    @AfterAll
    static void close() { PARALLEL.close(); }

    private static TokenBatch batch(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] inputs = new int[BATCH * SEQ], targets = new int[BATCH * SEQ];
        float[] mask = new float[BATCH * SEQ];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = random.nextInt(CONFIG.vocabSize());
            targets[i] = random.nextInt(CONFIG.vocabSize());
            mask[i] = i % 4 == 1 ? 0f : 1f;
        }
        return new TokenBatch(BATCH, SEQ, inputs, targets, mask);
    }

    private static LoraParameters everyProjection(double dropout, boolean randomB) {
        LoraParameters lora = new LoraParameters(new LoraConfig(3, 6, dropout, EnumSet.allOf(LoraTarget.class)), CONFIG, 5, PARALLEL);
        if (randomB) { // B away from 0 so that A has a gradient to check
            SplittableRandom random = new SplittableRandom(9);
            for (ParameterTensor t : lora.tensors()) {
                if (t.name().endsWith("lora_b")) for (int i = t.offset(); i < t.end(); i++) lora.values()[i] = (float) (0.1 * random.nextGaussian());
            }
        }
        return lora;
    }

    @Test
    void everyAdapterGradientMatchesFiniteDifferences() {
        ModelParameters params = ModelParameters.initialized(CONFIG, false, new ModelInit(0.3, 7));
        LoraParameters lora = everyProjection(0, true);
        TrainingModel model = new TrainingModel(params, BATCH, SEQ, PARALLEL);
        model.attach(lora);
        TokenBatch data = batch(3);
        double masked = data.maskedTokens();
        lora.zeroGradients();
        model.forwardBackward(data, (float) (1 / masked));
        float[] gradient = lora.gradients().clone();
        DoubleSupplier meanLoss = () -> model.loss(data) / masked;
        SplittableRandom random = new SplittableRandom(4);
        for (ParameterTensor t : lora.tensors()) {
            float[] w = lora.values();
            FiniteDifferences.checkDirection(t.name() + " along its gradient", w, t.offset(), t.size(), gradient, t.offset(),
                    FiniteDifferences.unitAlong(gradient, t.offset(), t.size(), random), meanLoss);
            FiniteDifferences.checkDirection(t.name() + " along a random direction", w, t.offset(), t.size(), gradient, t.offset(),
                    FiniteDifferences.randomUnit(t.size(), random), meanLoss);
            FiniteDifferences.checkElements(t.name(), w, t.offset(), t.size(), gradient, t.offset(), meanLoss, 3, t.offset());
        }
    }

    @Test
    void aFreshAdapterWithBZeroLeavesTheLogitsUnchanged() {
        ModelParameters params = ModelParameters.initialized(CONFIG, false, new ModelInit(0.3, 7));
        TrainingModel model = new TrainingModel(params, BATCH, SEQ, PARALLEL);
        TokenBatch data = batch(5);
        float[] plain = model.logits(data).clone();
        model.attach(everyProjection(0, false));
        assertThat(model.logits(data)).containsExactly(plain);
    }

    @Test
    void theBaseIsFrozenOnlyTheAdapterHasGradients() {
        ModelParameters params = ModelParameters.initialized(CONFIG, false, new ModelInit(0.3, 7));
        LoraParameters lora = everyProjection(0.1, true);
        TrainingModel model = new TrainingModel(params, BATCH, SEQ, PARALLEL);
        model.attach(lora);
        params.zeroGradients();
        model.forwardBackward(batch(6), 0.1f);
        for (int l = 0; l < CONFIG.nLayers(); l++) {
            for (LoraTarget t : LoraTarget.values()) {
                ParameterTensor base = params.tensor(LoraParameters.baseName(t, l));
                for (int i = base.offset(); i < base.end(); i++) {
                    assertThat(params.gradients()[i]).as(base.name()).isZero();
                }
            }
        }
        assertThat(io.llama2j.train.optim.AdamW.gradientNorm(lora.gradients())).isPositive();
    }

    @Test
    void evaluationIgnoresDropoutAndAgreesWithInferenceWithTheExportedAdapterAndWithTheMergedModel() {
        ModelParameters params = ModelParameters.initialized(CONFIG, false, new ModelInit(0.3, 7));
        LoraParameters lora = everyProjection(0.3, true);
        TrainingModel model = new TrainingModel(params, 1, SEQ, PARALLEL);
        model.attach(lora);
        int[] tokens = {1, 4, 9, 2, 7};
        TokenBatch data = TokenBatch.unmasked(1, SEQ, tokens, tokens);
        model.forwardBackward(data, 1f); // draws a dropout mask, which evaluation must not use
        float[] training = model.logits(data).clone();
        assertThat(model.logits(data)).containsExactly(training);

        LoraAdapter adapter = lora.toAdapter();
        Llama unmerged = new Llama(CONFIG, params.toWeights(), PARALLEL, adapter);
        Llama merged = new Llama(CONFIG, adapter.mergeInto(CONFIG, params.toWeights()), PARALLEL);
        float[][] a = unmerged.forwardAllLogits(unmerged.newState(), tokens);
        float[][] b = merged.forwardAllLogits(merged.newState(), tokens);
        for (int t = 0; t < tokens.length; t++) {
            for (int v = 0; v < CONFIG.vocabSize(); v++) {
                assertThat(a[t][v]).as("inference with adapter, token %d logit %d", t, v).isCloseTo(training[t * CONFIG.vocabSize() + v], within(1e-3f));
                assertThat(b[t][v]).as("merged model, token %d logit %d", t, v).isCloseTo(training[t * CONFIG.vocabSize() + v], within(1e-3f));
            }
        }
    }
}
