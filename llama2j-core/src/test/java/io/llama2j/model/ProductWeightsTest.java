package io.llama2j.model;

import io.llama2j.tensor.ActivationPrecision;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.FloatTensors;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tensor.Parallel;
import io.llama2j.tensor.Q4_0PackedTensor;
import io.llama2j.tensor.Q8_0PackedTensor;
import io.llama2j.tensor.Quantizer;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A model whose Q4_0/Q8_0 matrices are packed for the kernels computes what the same model
 * reading its file layout computes: prompt batches bit for bit (both dequantize the same values
 * into the same GEMM), single tokens up to float rounding. And packing steps aside, with a note,
 * when the heap has no room.
 */
class ProductWeightsTest {
    /** dim 128, FFN 384: every row is whole 128-value groups, so every matrix packs. */
    private static final LlamaConfig CONFIG = new LlamaConfig(128, 384, 2, 4, 2, 96, 64, 1e-5f, 10000f);
    private static final int[] PROMPT = {1, 17, 42, 5, 88, 3, 60};

    private static void needs16Lanes() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.length() >= 16, "packing is for 16-lane (AVX-512) vectors");
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q8_0"})
    void packedModelComputesWhatTheMappedOneDoes(GgmlType type) {
        needs16Lanes();
        LlamaWeights weights = quantizedMatrices(RandomLlama.weights(CONFIG, 5, false), type);
        try (Parallel two = new Parallel(2)) {
            Llama packed = new Llama(CONFIG, weights, two, null, WeightLayout.PACKED);
            Llama mapped = new Llama(CONFIG, weights, two, null, WeightLayout.MAPPED);
            assertThat(packed.productWeights().layout()).isEqualTo(WeightLayout.PACKED);
            assertThat(packed.productWeights().weights().wq()[0]).isInstanceOf(type == GgmlType.Q4_0 ? Q4_0PackedTensor.class : Q8_0PackedTensor.class);
            assertThat(packed.productWeights().weights().w2()[1]).isInstanceOf(type == GgmlType.Q4_0 ? Q4_0PackedTensor.class : Q8_0PackedTensor.class);
            assertThat(packed.productWeights().note()).contains("packed");
            assertThat(packed.weights()).isSameAs(weights);
            assertThat(mapped.productWeights().layout()).isEqualTo(WeightLayout.MAPPED);
            assertThat(mapped.productWeights().weights()).isSameAs(weights);

            InferenceState a = packed.newState(), b = mapped.newState();
            float[][] promptPacked = packed.forwardAllLogits(a, PROMPT), promptMapped = mapped.forwardAllLogits(b, PROMPT);
            for (int t = 0; t < PROMPT.length; t++) assertClose(promptPacked[t], promptMapped[t], "prompt token " + t);
            // then generation, one token at a time through the packed matrix-vector kernels
            for (int step = 0; step < 5; step++) {
                int next = argmax(b.logits);
                assertThat(argmax(a.logits)).as("greedy token at step %d", step).isEqualTo(next);
                assertClose(packed.forward(a, next).clone(), mapped.forward(b, next), "step " + step);
            }
        }
    }

    /**
     * The packed Q4_0 copy serves the 8-bit kernel (the default precision) only: float32 products
     * read the file's blocks, so the packed model gives the mapped one's logits bit for bit.
     */
    @Test
    void float32ActivationsReadTheQ4_0FilesBlocks() {
        needs16Lanes();
        LlamaWeights weights = quantizedMatrices(RandomLlama.weights(CONFIG, 6, false), GgmlType.Q4_0);
        Llama packed = new Llama(CONFIG, weights, Parallel.shared(), null, WeightLayout.PACKED);
        assertThat(packed.activationPrecision()).isEqualTo(ActivationPrecision.QUANTIZED_8BIT);
        packed = packed.withActivationPrecision(ActivationPrecision.FLOAT32);
        Llama mapped = new Llama(CONFIG, weights, Parallel.shared(), null, WeightLayout.MAPPED)
                .withActivationPrecision(ActivationPrecision.FLOAT32);
        assertThat(packed.productWeights().weights().wq()[0]).isInstanceOf(Q4_0PackedTensor.class);
        assertThat(packed.forward(packed.newState(), PROMPT)).containsExactly(mapped.forward(mapped.newState(), PROMPT));
    }

    @Test
    void aHeapWithoutRoomKeepsTheLoadedWeightsAndSaysWhy() {
        needs16Lanes();
        LlamaWeights weights = quantizedMatrices(RandomLlama.weights(CONFIG, 7, true), GgmlType.Q8_0);
        ProductWeights roomy = ProductWeights.of(CONFIG, weights, WeightLayout.PACKED, Parallel.shared(), Long.MAX_VALUE);
        assertThat(roomy.layout()).isEqualTo(WeightLayout.PACKED);
        assertThat(roomy.packedBytes()).isEqualTo(Q8_0PackedTensor.packedBytes(matrixValues(CONFIG) + (long) CONFIG.vocabSize() * CONFIG.dim()));
        // tied embeddings: the output matrix is packed, the embedding rows stay as loaded
        assertThat(roomy.weights().tokenEmbedding()).isSameAs(weights.tokenEmbedding());
        assertThat(roomy.weights().output()).isInstanceOf(Q8_0PackedTensor.class);

        ProductWeights cramped = ProductWeights.of(CONFIG, weights, WeightLayout.PACKED, Parallel.shared(), roomy.packedBytes());
        assertThat(cramped.layout()).isEqualTo(WeightLayout.MAPPED);
        assertThat(cramped.weights()).isSameAs(weights);
        assertThat(cramped.packedBytes()).isZero();
        assertThat(cramped.heapTooSmall()).isTrue();
        assertThat(roomy.heapTooSmall()).isFalse();
        assertThat(cramped.note()).contains("needs", "GB of heap", "-Xmx");
    }

    @Test
    void modelsWithoutPackableMatricesStayAsLoaded() {
        LlamaConfig c = RandomLlama.smallConfig(); // float32, and rows of 32
        LlamaWeights weights = RandomLlama.weights(c, 8, false);
        Llama llama = new Llama(c, weights);
        assertThat(llama.productWeights().layout()).isEqualTo(WeightLayout.MAPPED);
        assertThat(llama.productWeights().weights()).isSameAs(weights);
        assertThat(llama.productWeights().note()).contains("no Q4_0/Q8_0 matrix");
    }

    private static long matrixValues(LlamaConfig c) {
        long perLayer = 2L * c.dim() * c.dim() + 2L * c.kvDim() * c.dim() + 3L * c.hiddenDim() * c.dim();
        return perLayer * c.nLayers();
    }

    private static void assertClose(float[] actual, float[] expected, String what) {
        float scale = 0;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("%s, logit %d", what, i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-4f * scale));
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** The model with every matrix (not the norms) stored as {@code type}. */
    private static LlamaWeights quantizedMatrices(LlamaWeights w, GgmlType type) {
        UnaryOperator<FloatTensor> q = t -> {
            float[] values = new float[Math.toIntExact(t.size())];
            t.dequantize(0, values, 0, values.length);
            return FloatTensors.of(type, MemorySegment.ofArray(Quantizer.quantize(type, values)), values.length);
        };
        FloatTensor embedding = q.apply(w.tokenEmbedding());
        FloatTensor output = w.output() == w.tokenEmbedding() ? embedding : q.apply(w.output());
        return new LlamaWeights(embedding, w.attentionNorm(), map(w.wq(), q), map(w.wk(), q), map(w.wv(), q), map(w.wo(), q),
                w.ffnNorm(), map(w.w1(), q), map(w.w2(), q), map(w.w3(), q), w.outputNorm(), output);
    }

    private static FloatTensor[] map(FloatTensor[] tensors, UnaryOperator<FloatTensor> f) {
        FloatTensor[] out = new FloatTensor[tensors.length];
        for (int i = 0; i < out.length; i++) out[i] = f.apply(tensors[i]);
        return out;
    }
}
