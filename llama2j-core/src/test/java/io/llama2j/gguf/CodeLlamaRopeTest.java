package io.llama2j.gguf;

import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.model.RandomLlama;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Code Llama's long-context settings come from the file: a GGUF with llama.rope.freq_base 1e6
 * and llama.context_length 16384 (Code Llama's values, LLAMA2.md) loads with them, and the RoPE
 * base reaches the forward pass.
 */
class CodeLlamaRopeTest {
    private static final float CODE_LLAMA_ROPE_THETA = 1_000_000f;
    private static final int CODE_LLAMA_CONTEXT = 16384;
    private static final int[] TOKENS = {1, 7, 23, 5};
    /** Positions the test runs: RoPE is the identity at position 0, so theta shows from the second token on. */
    private static final int STATE_LENGTH = TOKENS.length;

    @TempDir Path dir;

    @Test
    void aGgufWithCodeLlamasRopeBaseAndContextLoadsWithThemAndGivesTheInMemoryModelsLogits() throws Exception {
        LlamaConfig small = RandomLlama.smallConfig();
        LlamaConfig codeLlama = new LlamaConfig(small.dim(), small.hiddenDim(), small.nLayers(), small.nHeads(), small.nKvHeads(),
                small.vocabSize(), CODE_LLAMA_CONTEXT, small.rmsNormEps(), CODE_LLAMA_ROPE_THETA);
        LlamaWeights weights = RandomLlama.weights(codeLlama, 3, false);
        Path file = dir.resolve("code-llama-shaped.gguf");
        write(codeLlama, weights, file);

        try (GgufModel loaded = GgufModelLoader.load(file)) {
            assertThat(loaded.config().ropeTheta()).isEqualTo(CODE_LLAMA_ROPE_THETA);
            assertThat(loaded.config().contextLength()).isEqualTo(CODE_LLAMA_CONTEXT);
            assertThat(loaded.config()).isEqualTo(codeLlama);
            assertThat(lastLogits(loaded.config(), loaded.weights())).containsExactly(lastLogits(codeLlama, weights));
        }
    }

    @Test
    void theRopeBaseChangesTheLogitsOfLaterPositions() {
        LlamaConfig base = RandomLlama.smallConfig();
        LlamaConfig codeLlama = new LlamaConfig(base.dim(), base.hiddenDim(), base.nLayers(), base.nHeads(), base.nKvHeads(),
                base.vocabSize(), base.contextLength(), base.rmsNormEps(), CODE_LLAMA_ROPE_THETA);
        LlamaWeights weights = RandomLlama.weights(base, 3, false);
        float[] llama2 = lastLogits(base, weights);
        float[] withCodeLlamaTheta = lastLogits(codeLlama, weights);
        double maxDifference = IntStream.range(0, llama2.length).mapToDouble(i -> Math.abs(llama2[i] - withCodeLlamaTheta[i])).max().orElseThrow();
        assertThat(maxDifference).as("largest logit difference between theta 1e4 and 1e6").isGreaterThan(1e-3);
    }

    private static float[] lastLogits(LlamaConfig config, LlamaWeights weights) {
        Llama llama = new Llama(config, weights);
        InferenceState state = new InferenceState(config, STATE_LENGTH, STATE_LENGTH);
        return llama.forward(state, TOKENS).clone();
    }

    /** Writes the model as GGUF F32 (ggml shapes are [in, out]; rows keep the interleaved RoPE layout). */
    private static void write(LlamaConfig c, LlamaWeights w, Path file) throws Exception {
        long dim = c.dim(), kv = c.kvDim(), hidden = c.hiddenDim(), vocab = c.vocabSize();
        String[] tokens = new String[c.vocabSize()];
        tokens[0] = "<unk>";
        tokens[1] = "<s>";
        tokens[2] = "</s>";
        for (int i = 3; i < tokens.length; i++) tokens[i] = "t" + i;
        GgufWriter g = new GgufWriter()
                .putString("general.architecture", "llama")
                .putUInt32("llama.embedding_length", c.dim())
                .putUInt32("llama.block_count", c.nLayers())
                .putUInt32("llama.feed_forward_length", c.hiddenDim())
                .putUInt32("llama.attention.head_count", c.nHeads())
                .putUInt32("llama.attention.head_count_kv", c.nKvHeads())
                .putUInt32("llama.rope.dimension_count", c.headSize())
                .putUInt32("llama.context_length", c.contextLength())
                .putFloat32("llama.rope.freq_base", c.ropeTheta())
                .putFloat32("llama.attention.layer_norm_rms_epsilon", c.rmsNormEps())
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens);
        add(g, "token_embd.weight", w.tokenEmbedding(), dim, vocab);
        for (int l = 0; l < c.nLayers(); l++) {
            add(g, "blk." + l + ".attn_norm.weight", w.attentionNorm()[l], dim);
            add(g, "blk." + l + ".attn_q.weight", w.wq()[l], dim, dim);
            add(g, "blk." + l + ".attn_k.weight", w.wk()[l], dim, kv);
            add(g, "blk." + l + ".attn_v.weight", w.wv()[l], dim, kv);
            add(g, "blk." + l + ".attn_output.weight", w.wo()[l], dim, dim);
            add(g, "blk." + l + ".ffn_norm.weight", w.ffnNorm()[l], dim);
            add(g, "blk." + l + ".ffn_gate.weight", w.w1()[l], dim, hidden);
            add(g, "blk." + l + ".ffn_down.weight", w.w2()[l], hidden, dim);
            add(g, "blk." + l + ".ffn_up.weight", w.w3()[l], dim, hidden);
        }
        add(g, "output_norm.weight", w.outputNorm(), dim);
        add(g, "output.weight", w.output(), dim, vocab);
        g.write(file);
    }

    private static void add(GgufWriter g, String name, FloatTensor t, long... shape) {
        float[] values = new float[Math.toIntExact(t.size())];
        t.dequantize(0, values, 0, values.length);
        g.addTensor(name, GgmlType.F32, shape, values);
    }
}
