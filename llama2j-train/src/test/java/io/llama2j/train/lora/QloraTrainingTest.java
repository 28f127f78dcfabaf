package io.llama2j.train.lora;

import io.llama2j.lora.LoraConfig;
import io.llama2j.lora.LoraTarget;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.tensor.F32Tensor;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.FloatTensors;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tensor.Parallel;
import io.llama2j.tensor.Quantizer;
import io.llama2j.train.ModelInit;
import io.llama2j.train.ModelParameters;
import io.llama2j.train.ParameterTensor;
import io.llama2j.train.QuantizedWeights;
import io.llama2j.train.TokenBatch;
import io.llama2j.train.TrainingModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * QLoRA: LoRA beside a frozen base whose matrices stay quantized (Q4_0 / Q8_0 as a GGUF stores
 * them, or NF4) gives the adapters the gradients LoRA gives them on a float32 copy of the same
 * dequantized base; only the order of float32 additions differs.
 */
class QloraTrainingTest {
    private static final Parallel PARALLEL = new Parallel(2);
    /** Every matrix row a whole number of Q4_0 / Q8_0 (32) and NF4 (64) blocks. */
    private static final LlamaConfig CONFIG = new LlamaConfig(64, 128, 2, 4, 2, 40, 8, 1e-5f, 10000f);
    private static final int BATCH = 2, SEQ = 6;
    /**
     * Largest difference between a QLoRA and a LoRA gradient element, relative to the largest
     * gradient element: float32 sums of a few hundred terms in another order differ by ~1e-6 of
     * their magnitude; 1e-4 leaves room for that while any real difference (a missing term, the
     * wrong weight) is of order 1.
     */
    private static final double RELATIVE_TOLERANCE = 1e-4;

    enum BaseStorage { Q4_0, Q8_0, NF4 }

    @AfterAll
    static void close() { PARALLEL.close(); }

    private static TokenBatch batch(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] inputs = new int[BATCH * SEQ], targets = new int[BATCH * SEQ];
        float[] mask = new float[BATCH * SEQ];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = random.nextInt(CONFIG.vocabSize());
            targets[i] = random.nextInt(CONFIG.vocabSize());
            mask[i] = i % 3 == 0 ? 0f : 1f;
        }
        return new TokenBatch(BATCH, SEQ, inputs, targets, mask);
    }

    /** A random model's weights with every matrix passed through {@code matrix} (norm gains stay F32). */
    private static LlamaWeights weights(UnaryOperator<FloatTensor> matrix) {
        ModelParameters p = ModelParameters.initialized(CONFIG, false, new ModelInit(0.3, 7));
        SplittableRandom random = new SplittableRandom(3);
        for (ParameterTensor t : p.tensors()) { // gains away from 1, so that their role shows
            if (!t.decays()) for (int i = t.offset(); i < t.end(); i++) p.values()[i] = (float) (1 + 0.2 * random.nextGaussian());
        }
        LlamaWeights f = p.toWeights();
        return new LlamaWeights(matrix.apply(f.tokenEmbedding()), f.attentionNorm(), map(f.wq(), matrix), map(f.wk(), matrix),
                map(f.wv(), matrix), map(f.wo(), matrix), f.ffnNorm(), map(f.w1(), matrix), map(f.w2(), matrix),
                map(f.w3(), matrix), f.outputNorm(), matrix.apply(f.output()));
    }

    private static FloatTensor[] map(FloatTensor[] ts, UnaryOperator<FloatTensor> f) {
        FloatTensor[] out = new FloatTensor[ts.length];
        for (int i = 0; i < ts.length; i++) out[i] = f.apply(ts[i]);
        return out;
    }

    private static FloatTensor ggml(GgmlType type, FloatTensor t) {
        float[] v = new float[(int) t.size()];
        t.dequantize(0, v, 0, v.length);
        return FloatTensors.of(type, MemorySegment.ofArray(Quantizer.quantize(type, v)), v.length);
    }

    /** The frozen base in {@code storage}. */
    private static QuantizedWeights base(BaseStorage storage) {
        return switch (storage) {
            case Q4_0 -> QuantizedWeights.of(CONFIG, weights(t -> ggml(GgmlType.Q4_0, t)), QuantizedWeights.Storage.AS_LOADED);
            case Q8_0 -> QuantizedWeights.of(CONFIG, weights(t -> ggml(GgmlType.Q8_0, t)), QuantizedWeights.Storage.AS_LOADED);
            case NF4 -> QuantizedWeights.of(CONFIG, weights(UnaryOperator.identity()), QuantizedWeights.Storage.NF4);
        };
    }

    /** A float32 copy of a quantized base: every matrix dequantized, the gains as they are. */
    private static ModelParameters floatCopy(QuantizedWeights q) {
        LlamaWeights w = new LlamaWeights(q.matrix(q.tokenEmbedding), gains(q, q.attentionNorm), matrices(q, q.wq), matrices(q, q.wk),
                matrices(q, q.wv), matrices(q, q.wo), gains(q, q.ffnNorm), matrices(q, q.w1), matrices(q, q.w2), matrices(q, q.w3),
                gains(q, new ParameterTensor[]{q.outputNorm})[0], q.matrix(q.output));
        return ModelParameters.of(CONFIG, w);
    }

    private static FloatTensor[] matrices(QuantizedWeights q, ParameterTensor[] ts) {
        FloatTensor[] out = new FloatTensor[ts.length];
        for (int i = 0; i < ts.length; i++) out[i] = q.matrix(ts[i]);
        return out;
    }

    private static FloatTensor[] gains(QuantizedWeights q, ParameterTensor[] ts) {
        FloatTensor[] out = new FloatTensor[ts.length];
        for (int i = 0; i < ts.length; i++) out[i] = F32Tensor.of(java.util.Arrays.copyOfRange(q.values(), ts[i].offset(), ts[i].end()));
        return out;
    }

    /** Adapters on every projection with B away from 0 (so that A has a gradient too), no dropout. */
    private static LoraParameters adapters() {
        LoraParameters lora = new LoraParameters(new LoraConfig(4, 8, 0, EnumSet.allOf(LoraTarget.class)), CONFIG, 5, PARALLEL);
        SplittableRandom random = new SplittableRandom(9);
        for (ParameterTensor t : lora.tensors()) {
            if (t.name().endsWith("lora_b")) for (int i = t.offset(); i < t.end(); i++) lora.values()[i] = (float) (0.1 * random.nextGaussian());
        }
        return lora;
    }

    @ParameterizedTest
    @EnumSource(BaseStorage.class)
    void adapterGradientsOnAQuantizedBaseEqualLorasOnItsDequantizedFloatCopy(BaseStorage storage) {
        QuantizedWeights quantized = base(storage);
        ModelParameters dequantized = floatCopy(quantized);
        TokenBatch data = batch(11);
        float scale = (float) (1 / data.maskedTokens());

        LoraParameters qlora = adapters(), lora = adapters();
        TrainingModel onQuantized = new TrainingModel(quantized, BATCH, SEQ, PARALLEL);
        onQuantized.attach(qlora);
        TrainingModel onFloat = new TrainingModel(dequantized, BATCH, SEQ, PARALLEL);
        onFloat.attach(lora);
        double qloraLoss = onQuantized.forwardBackward(data, scale);
        double loraLoss = onFloat.forwardBackward(data, scale);

        assertThat(qloraLoss).isCloseTo(loraLoss, within(1e-5 * Math.abs(loraLoss)));
        float largest = 0;
        for (float g : lora.gradients()) largest = Math.max(largest, Math.abs(g));
        assertThat(largest).as("the adapters have gradients to compare").isPositive();
        for (ParameterTensor t : lora.tensors()) {
            for (int i = t.offset(); i < t.end(); i++) {
                assertThat((double) qlora.gradients()[i]).as("%s on a %s base, element %d", t.name(), storage, i - t.offset())
                        .isCloseTo(lora.gradients()[i], within(RELATIVE_TOLERANCE * largest));
            }
        }
    }

    @Test
    void theFrozenQuantizedBaseIsNotChangedByTraining() {
        QuantizedWeights quantized = base(BaseStorage.Q4_0);
        float[] gains = quantized.values().clone();
        float firstWeight = quantized.matrix(quantized.wq[0]).getFloat(0);
        TrainingModel model = new TrainingModel(quantized, BATCH, SEQ, PARALLEL);
        model.attach(adapters());
        model.forwardBackward(batch(2), 0.1f);
        assertThat(quantized.frozen()).isTrue();
        assertThat(quantized.values()).containsExactly(gains);
        assertThat(quantized.matrix(quantized.wq[0]).getFloat(0)).isEqualTo(firstWeight);
        assertThat(quantized.matrix(quantized.wq[0]).type()).isEqualTo(GgmlType.Q4_0);
    }

    @Test
    void nf4StorageQuantizesEveryMatrixAndKeepsTheGainsInFloat() {
        QuantizedWeights q = base(BaseStorage.NF4);
        for (ParameterTensor t : q.tensors()) {
            if (t.shape().length == 2) assertThat(q.matrix(t).type()).as(t.name()).isEqualTo(GgmlType.NF4);
        }
        long parameters = q.parameterCount();
        long gains = q.values().length;
        // 4 bits per value plus a float32 absmax per 64 values
        assertThat(q.matrixBytes()).isEqualTo((parameters - gains) / 2 + (parameters - gains) / 64 * Float.BYTES);
    }

    @Test
    void aBaseThatDoesNotMatchTheConfigurationIsRejected() {
        LlamaConfig other = new LlamaConfig(64, 128, 3, 4, 2, 40, 8, 1e-5f, 10000f);
        LlamaWeights w = weights(UnaryOperator.identity());
        assertThatThrownBy(() -> QuantizedWeights.of(other, w, QuantizedWeights.Storage.NF4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("QLoRA base model");
    }
}
