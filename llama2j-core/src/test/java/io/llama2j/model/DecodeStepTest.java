package io.llama2j.model;

import io.llama2j.TestData;
import io.llama2j.llama2c.Llama2cCheckpoint;
import io.llama2j.tensor.FloatArrays;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.FloatTensors;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tensor.Quantizer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * {@link Llama#decodeStep}: several sequences, each at its own position on its own KV cache,
 * take one token each in one batched pass, and each gets what a single-token forward gives it.
 */
class DecodeStepTest {

    /** Sequences of different lengths: prompts of 1, 5, 9, 2 and 14 random tokens. */
    private static final int[] PROMPT_LENGTHS = {1, 5, 9, 2, 14};

    /** Prefills one state per prompt length; returns them with the prompts' tokens. */
    private static InferenceState[] prefilled(Llama model, long seed) {
        InferenceState[] states = new InferenceState[PROMPT_LENGTHS.length];
        for (int b = 0; b < states.length; b++) {
            states[b] = new InferenceState(model.config(), 48 + b, 4); // different cache lengths too
            model.forward(states[b], LlamaInvariantsTest.randomTokens(seed + b, PROMPT_LENGTHS[b], model.config().vocabSize()));
        }
        return states;
    }

    /** Runs the same step both ways: batched on {@code batchedStates}, one by one on {@code soloStates}. */
    private static float[][][] stepBothWays(Llama model, InferenceState[] batchedStates, InferenceState[] soloStates, int[] tokens) {
        model.decodeStep(new DecodeBatch(model.config(), tokens.length + 2), batchedStates, tokens);
        float[][] batched = new float[tokens.length][];
        float[][] solo = new float[tokens.length][];
        for (int b = 0; b < tokens.length; b++) {
            batched[b] = batchedStates[b].logits().clone();
            solo[b] = model.forward(soloStates[b], tokens[b]).clone();
            assertThat(batchedStates[b].position()).isEqualTo(soloStates[b].position()).isEqualTo(PROMPT_LENGTHS[b] + 1);
        }
        return new float[][][] {batched, solo};
    }

    /**
     * Float32 weights: the batched product sums each output in the order of F32Tensor.dot
     * (one fused multiply-add chain per lane, a fixed lane tree, then the scalar tail), and
     * attention, RoPE and the norms are the same code per row, so the logits are equal bit for bit.
     */
    @Test
    void withFloat32WeightsEachSequenceGetsExactlyItsSingleTokenLogits() {
        Llama model = new Llama(RandomLlama.smallGqaConfig(70), RandomLlama.weights(RandomLlama.smallGqaConfig(70), 21, false));
        int[] tokens = {3, 17, 3, 69, 0};
        float[][][] both = stepBothWays(model, prefilled(model, 30), prefilled(model, 30), tokens);
        for (int b = 0; b < tokens.length; b++) {
            assertThat(both[0][b]).as("sequence %d", b).isEqualTo(both[1][b]);
        }
    }

    /**
     * Quantized (Q8_0) weights: the single-token pass uses the type's fused dot product on the
     * quantized blocks, the batched one dequantizes each row once and sums in float32 in another
     * order; both are float32 sums of the same products, so logits of magnitude ~10 differ by a
     * few ulps per product over 192 terms and a few layers: 1e-4 absolute bounds it with margin.
     */
    @Test
    void withQuantizedWeightsEachSequenceGetsItsSingleTokenLogitsWithinFloatRounding() {
        LlamaConfig c = RandomLlama.smallGqaConfig(70);
        Llama model = new Llama(c, quantizedMatrices(RandomLlama.weights(c, 22, false)));
        int[] tokens = {5, 5, 40, 1, 68};
        float[][][] both = stepBothWays(model, prefilled(model, 31), prefilled(model, 31), tokens);
        for (int b = 0; b < tokens.length; b++) {
            for (int i = 0; i < c.vocabSize(); i++) {
                assertThat(both[0][b][i]).as("sequence %d logit %d", b, i).isCloseTo(both[1][b][i], within(1e-4f));
            }
        }
    }

    @Test
    void aSequencesLogitsDoNotDependOnWhichOthersShareTheStep() {
        LlamaConfig c = RandomLlama.smallGqaConfig(70);
        Llama model = new Llama(c, quantizedMatrices(RandomLlama.weights(c, 23, false)));
        InferenceState[] five = prefilled(model, 32);
        InferenceState[] again = prefilled(model, 32);
        model.decodeStep(new DecodeBatch(c, 5), five, new int[] {7, 8, 9, 10, 11});
        // sequence 2 again, now with sequences 4 and 0 beside it and in another row
        model.decodeStep(new DecodeBatch(c, 3), new InferenceState[] {again[4], again[2], again[0]}, new int[] {11, 9, 7});
        assertThat(again[2].logits()).isEqualTo(five[2].logits());
        assertThat(again[4].logits()).isEqualTo(five[4].logits());
    }

    /** Greedy decoding is argmax, so equal logits give equal tokens; run on the real stories260K. */
    @Test
    void greedyGenerationOfThreeSequencesBatchedEqualsEachRunAlone() throws IOException {
        Llama2cCheckpoint checkpoint = Llama2cCheckpoint.load(TestData.file("stories260K.bin"));
        Llama model = new Llama(checkpoint.config(), checkpoint.weights());
        int[][] prompts = {{1, 403, 407, 261, 378}, {1}, {1, 365, 80, 300, 301, 302, 303, 304}};
        int[] newTokens = {40, 25, 33}; // different lengths: the batch shrinks as sequences finish
        List<int[]> alone = new ArrayList<>();
        for (int b = 0; b < prompts.length; b++) {
            InferenceState s = new InferenceState(model.config(), 128, 8);
            int[] out = new int[newTokens[b]];
            float[] logits = model.forward(s, prompts[b]);
            for (int i = 0; i < out.length; i++) {
                out[i] = FloatArrays.argmax(logits, logits.length);
                logits = model.forward(s, out[i]);
            }
            alone.add(out);
        }

        InferenceState[] states = new InferenceState[prompts.length];
        int[][] together = new int[prompts.length][];
        for (int b = 0; b < prompts.length; b++) {
            states[b] = new InferenceState(model.config(), 128, 8);
            model.forward(states[b], prompts[b]);
            together[b] = new int[0];
        }
        DecodeBatch batch = new DecodeBatch(model.config(), prompts.length);
        while (true) {
            List<Integer> active = new ArrayList<>();
            for (int b = 0; b < prompts.length; b++) {
                if (together[b].length < newTokens[b]) active.add(b);
            }
            if (active.isEmpty()) break;
            InferenceState[] stepping = new InferenceState[active.size()];
            int[] tokens = new int[active.size()];
            for (int i = 0; i < tokens.length; i++) {
                int b = active.get(i);
                float[] logits = states[b].logits();
                tokens[i] = FloatArrays.argmax(logits, logits.length);
                together[b] = Arrays.copyOf(together[b], together[b].length + 1);
                together[b][together[b].length - 1] = tokens[i];
                stepping[i] = states[b];
            }
            model.decodeStep(batch, stepping, tokens);
        }
        for (int b = 0; b < prompts.length; b++) {
            assertThat(together[b]).as("sequence %d", b).isEqualTo(alone.get(b));
        }
        assertThat(alone.get(0)).isNotEqualTo(alone.get(1)); // the prompts lead to different stories
    }

    @Test
    void rejectsABadStepBeforeChangingAnySequence() {
        Llama model = RandomLlama.model(24);
        LlamaConfig c = model.config();
        InferenceState a = new InferenceState(c, 8, 2), b = new InferenceState(c, 2, 2);
        model.forward(a, 1, 2);
        model.forward(b, 1, 2); // full
        DecodeBatch batch = new DecodeBatch(c, 2);
        InferenceState fresh = new InferenceState(c, 8, 2);
        assertThatThrownBy(() -> model.decodeStep(batch, new InferenceState[] {a, a}, new int[] {1, 2}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sequences 0 and 1 are the same state");
        assertThatThrownBy(() -> model.decodeStep(batch, new InferenceState[] {a, b}, new int[] {1, 2}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sequence 1 is full");
        assertThatThrownBy(() -> model.decodeStep(batch, new InferenceState[] {a, fresh}, new int[] {1, 40}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token id 40");
        assertThatThrownBy(() -> model.decodeStep(batch, new InferenceState[] {a}, new int[] {1, 2}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 sequences but 2 tokens");
        assertThatThrownBy(() -> model.decodeStep(new DecodeBatch(c, 1), new InferenceState[] {a, fresh}, new int[] {1, 2}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceeds the batch's 1");
        LlamaConfig other = RandomLlama.smallGqaConfig(70);
        assertThatThrownBy(() -> model.decodeStep(new DecodeBatch(other, 2), new InferenceState[] {a}, new int[] {1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("decode batch was made for");
        assertThatThrownBy(() -> new DecodeBatch(c, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1 sequence");
        assertThat(a.position()).isEqualTo(2);
        assertThat(fresh.position()).isZero();
    }

    /** The model with every matrix (not the norms) stored as Q8_0. */
    private static LlamaWeights quantizedMatrices(LlamaWeights w) {
        UnaryOperator<FloatTensor> q8 = t -> {
            float[] values = new float[Math.toIntExact(t.size())];
            t.dequantize(0, values, 0, values.length);
            return FloatTensors.of(GgmlType.Q8_0, MemorySegment.ofArray(Quantizer.quantize(GgmlType.Q8_0, values)), values.length);
        };
        return new LlamaWeights(q8.apply(w.tokenEmbedding()), w.attentionNorm(), map(w.wq(), q8), map(w.wk(), q8),
                map(w.wv(), q8), map(w.wo(), q8), w.ffnNorm(), map(w.w1(), q8), map(w.w2(), q8), map(w.w3(), q8),
                w.outputNorm(), q8.apply(w.output()));
    }

    private static FloatTensor[] map(FloatTensor[] tensors, UnaryOperator<FloatTensor> f) {
        FloatTensor[] out = new FloatTensor[tensors.length];
        for (int i = 0; i < out.length; i++) out[i] = f.apply(tensors[i]);
        return out;
    }
}
