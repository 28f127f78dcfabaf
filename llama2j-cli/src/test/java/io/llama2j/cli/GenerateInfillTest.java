package io.llama2j.cli;

import io.llama2j.TestData;
import io.llama2j.chat.CodeLlamaVocabulary;
import io.llama2j.chat.InfillFormat;
import io.llama2j.llama2c.Llama2cCheckpoint;
import io.llama2j.llama2c.Llama2cWriter;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.model.RandomLlama;
import io.llama2j.tensor.F32Tensor;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tokenizer.Tokenizer;
import io.llama2j.tokenizer.TokenizerJsonWriter;
import io.llama2j.tokenizer.Vocabulary;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * `generate --infill-prefix/--infill-suffix` end to end, on a model built to always predict
 * ▁&lt;EOT&gt;: every token embeds to the same vector, the layers add nothing to the residual
 * stream, and only the ▁&lt;EOT&gt; row of the classifier is non-zero (positive along that vector).
 */
class GenerateInfillTest {
    private static final int MAX_TOKENS = 5;

    @TempDir Path dir;
    Path model;
    Path tokenizer;

    @BeforeEach
    void writeAlwaysEndOfTextModel() throws Exception {
        Vocabulary vocabulary = CodeLlamaVocabulary.of(Tokenizer.load(TestData.file("llama2-tokenizer.model")).vocabulary());
        tokenizer = dir.resolve("tokenizer.json");
        TokenizerJsonWriter.write(vocabulary, tokenizer);
        int endOfText = new InfillFormat(Tokenizer.of(vocabulary)).endOfTextId();

        LlamaConfig c = new LlamaConfig(32, 48, 2, 4, 2, vocabulary.size(), 64, Llama2cCheckpoint.RMS_NORM_EPS, Llama2cCheckpoint.ROPE_THETA);
        LlamaWeights random = RandomLlama.weights(c, 11, false);
        float[] embedding = new float[c.vocabSize() * c.dim()];
        Arrays.fill(embedding, 1f);
        float[] output = new float[c.vocabSize() * c.dim()];
        Arrays.fill(output, endOfText * c.dim(), (endOfText + 1) * c.dim(), 1f);
        FloatTensor[] zeroWo = zeros(c.nLayers(), c.dim() * c.dim());
        FloatTensor[] zeroW2 = zeros(c.nLayers(), c.dim() * c.hiddenDim());
        LlamaWeights w = new LlamaWeights(F32Tensor.of(embedding), random.attentionNorm(), random.wq(), random.wk(), random.wv(),
                zeroWo, random.ffnNorm(), random.w1(), zeroW2, random.w3(), ones(c.dim()), F32Tensor.of(output));
        model = dir.resolve("always-eot.bin");
        Llama2cWriter.writeV0(model, c, w);
    }

    private static FloatTensor[] zeros(int count, int size) {
        FloatTensor[] t = new FloatTensor[count];
        for (int i = 0; i < count; i++) t[i] = F32Tensor.of(new float[size]);
        return t;
    }

    private static FloatTensor ones(int size) {
        float[] v = new float[size];
        Arrays.fill(v, 1f);
        return F32Tensor.of(v);
    }

    @Test
    void infillingStopsAtTheEndOfTextToken() {
        for (String order : new String[]{"--infill-prefix", "--suffix-first"}) {
            CliRun r = order.equals("--suffix-first")
                    ? CliRun.of("generate", "-m", model.toString(), "-z", tokenizer.toString(), "--temperature", "0",
                            "-n", "" + MAX_TOKENS, "--infill-prefix", "def add(a, b):", "--infill-suffix", "return a", "--suffix-first")
                    : CliRun.of("generate", "-m", model.toString(), "-z", tokenizer.toString(), "--temperature", "0",
                            "-n", "" + MAX_TOKENS, "--infill-prefix", "def add(a, b):", "--infill-suffix", "return a");
            assertThat(r.exitCode()).as(r.err()).isZero();
            assertThat(r.err()).as(order).contains("(stop_token)").doesNotContain("generation: " + MAX_TOKENS + " tokens");
            assertThat(r.out()).as("<EOT> is not text").isEqualTo(System.lineSeparator());
        }
    }

    @Test
    void aPlainPromptDoesNotStopAtTheEndOfTextToken() {
        CliRun r = CliRun.of("generate", "-m", model.toString(), "-z", tokenizer.toString(), "--temperature", "0",
                "-n", "" + MAX_TOKENS, "-p", "def add(a, b):", "--output-ids");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).contains("generation: " + MAX_TOKENS + " tokens").contains("(max_tokens)");
    }
}
