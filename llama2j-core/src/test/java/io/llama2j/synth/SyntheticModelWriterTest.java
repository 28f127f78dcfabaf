package io.llama2j.synth;

import io.llama2j.TestData;
import io.llama2j.gguf.GgufFile;
import io.llama2j.gguf.GgufModel;
import io.llama2j.gguf.GgufModelLoader;
import io.llama2j.model.InferenceState;
import io.llama2j.model.Llama;
import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.FloatTensor;
import io.llama2j.tensor.GgmlType;
import io.llama2j.tensor.Parallel;
import io.llama2j.tokenizer.Tokenizer;
import io.llama2j.tokenizer.Vocabulary;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Synthetic GGUF files: loadable, with llama.cpp's keys, the requested types and scales, reproducible. */
class SyntheticModelWriterTest {

    /** A tiny shape with the real Llama 2 vocabulary (GQA, so kv_dim differs from dim). */
    static final ModelShape TINY = new ModelShape("tiny", 128, 256, 2, 4, 2, ModelShape.LLAMA2_VOCAB, 64);

    static Vocabulary vocabulary;

    @TempDir
    Path dir;

    @BeforeAll
    static void readVocabulary() throws IOException {
        vocabulary = Tokenizer.load(TestData.file("llama2-tokenizer.model")).vocabulary();
    }

    private Path write(String name, GgmlType type, boolean pure, long seed, int threads) throws IOException {
        Path file = dir.resolve(name);
        try (Parallel p = new Parallel(threads)) {
            SyntheticModelWriter.write(new SyntheticModelWriter.Settings(TINY, type, pure, seed,
                    SyntheticModelWriter.WeightScales.DEFAULT), vocabulary, file, p);
        }
        return file;
    }

    @Test
    void fileLoadsAsTheShapeWithTheVocabularyAndLlamaCppKeys() throws IOException {
        Path file = write("m.gguf", GgmlType.Q4_0, true, 1, 2);
        try (GgufModel m = GgufModelLoader.load(file)) {
            LlamaConfig c = m.config();
            assertThat(c.dim()).isEqualTo(TINY.dim());
            assertThat(c.hiddenDim()).isEqualTo(TINY.hiddenDim());
            assertThat(c.nLayers()).isEqualTo(TINY.nLayers());
            assertThat(c.nHeads()).isEqualTo(TINY.nHeads());
            assertThat(c.nKvHeads()).isEqualTo(TINY.nKvHeads());
            assertThat(c.contextLength()).isEqualTo(TINY.contextLength());
            assertThat(c.vocabSize()).isEqualTo(ModelShape.LLAMA2_VOCAB);
            GgufFile f = m.file();
            // what llama.cpp's loader reads for a Llama 2 (SentencePiece) model
            for (String key : new String[]{"general.architecture", "general.file_type", "general.quantization_version",
                    "llama.context_length", "llama.embedding_length", "llama.block_count", "llama.feed_forward_length",
                    "llama.rope.dimension_count", "llama.attention.head_count", "llama.attention.head_count_kv",
                    "llama.attention.layer_norm_rms_epsilon", "llama.rope.freq_base", "tokenizer.ggml.model",
                    "tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type",
                    "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id"}) {
                assertThat(f.contains(key)).as(key).isTrue();
            }
            assertThat(f.getInt("general.file_type")).isEqualTo(2); // LLAMA_FTYPE_MOSTLY_Q4_0
            assertThat(Tokenizer.fromGguf(f).vocabulary().pieces()).containsExactly(vocabulary.pieces());
            assertThat(Tokenizer.fromGguf(f).encode("Hello world", true, false))
                    .containsExactly(Tokenizer.of(vocabulary).encode("Hello world", true, false));
            float[] logits = new Llama(c, m.weights()).forward(new InferenceState(c), 1, 15043);
            for (float v : logits) assertThat(v).isFinite();
        }
    }

    @Test
    void pureFilesStoreEveryMatrixInTheTypeOtherwiseQ4_0KeepsEmbeddingAndOutputInQ8_0() throws IOException {
        try (GgufModel pure = GgufModelLoader.load(write("pure.gguf", GgmlType.Q4_0, true, 1, 1));
             GgufModel mixed = GgufModelLoader.load(write("mixed.gguf", GgmlType.Q4_0, false, 1, 1))) {
            assertThat(pure.weights().tokenEmbedding().type()).isEqualTo(GgmlType.Q4_0);
            assertThat(pure.weights().output().type()).isEqualTo(GgmlType.Q4_0);
            assertThat(mixed.weights().tokenEmbedding().type()).isEqualTo(GgmlType.Q8_0);
            assertThat(mixed.weights().output().type()).isEqualTo(GgmlType.Q8_0);
            for (GgufModel m : new GgufModel[]{pure, mixed}) {
                assertThat(m.weights().wq()[1].type()).isEqualTo(GgmlType.Q4_0);
                assertThat(m.weights().w2()[0].type()).isEqualTo(GgmlType.Q4_0);
                assertThat(m.weights().attentionNorm()[0].type()).isEqualTo(GgmlType.F32);
            }
        }
    }

    @Test
    void weightsHaveTheDocumentedScales() throws IOException {
        try (GgufModel m = GgufModelLoader.load(write("f32.gguf", GgmlType.F32, true, 7, 2))) {
            var w = m.weights();
            assertStd(w.wq()[0], 1 / Math.sqrt(TINY.dim()));
            assertStd(w.w2()[1], 1 / Math.sqrt(TINY.hiddenDim()));
            assertStd(w.tokenEmbedding(), 1.0);
            assertStd(w.output(), 4.0 / Math.sqrt(TINY.dim()));
            assertStd(w.ffnNorm()[0], 0.1);
            assertThat(mean(w.ffnNorm()[0])).isCloseTo(1.0, within(0.05));
        }
    }

    @Test
    void sameSeedGivesTheSameBytesOnAnyThreadCountAndAnotherSeedDoesNot() throws IOException {
        byte[] one = Files.readAllBytes(write("a.gguf", GgmlType.Q8_0, true, 5, 1));
        byte[] three = Files.readAllBytes(write("b.gguf", GgmlType.Q8_0, true, 5, 3));
        byte[] other = Files.readAllBytes(write("c.gguf", GgmlType.Q8_0, true, 6, 1));
        assertThat(three).isEqualTo(one);
        assertThat(other).hasSameSizeAs(one).isNotEqualTo(one);
    }

    @Test
    void vocabularyOfAnotherSizeIsRejectedBeforeWriting() throws IOException {
        Vocabulary small = Tokenizer.load(TestData.file("tok512.model")).vocabulary();
        Path file = dir.resolve("x.gguf");
        try (Parallel p = new Parallel(1)) {
            assertThatThrownBy(() -> SyntheticModelWriter.write(new SyntheticModelWriter.Settings(TINY, GgmlType.Q4_0, true, 1,
                    SyntheticModelWriter.WeightScales.DEFAULT), small, file, p))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tok512.model").hasMessageContaining("32000").hasMessageContaining("512");
        }
        assertThat(file).doesNotExist();
    }

    @Test
    void namedShapesHaveThePublishedSizes() {
        ModelShape s = ModelShape.named("llama2-7b");
        assertThat(s.parameterCount()).isBetween(6_700_000_000L, 6_800_000_000L); // "6.74 B" in llama.cpp
        assertThat(ModelShape.named("tinyllama-1.1b").parameterCount()).isBetween(1_090_000_000L, 1_110_000_000L);
        assertThat(ModelShape.named("llama2-70b").kvDim()).isEqualTo(1024);
        assertThatThrownBy(() -> ModelShape.named("llama2-8b")).hasMessageContaining("llama2-7b");
    }

    private static double mean(FloatTensor t) {
        double s = 0;
        for (long i = 0; i < t.size(); i++) s += t.getFloat(i);
        return s / t.size();
    }

    /** Sample standard deviation within 5% (thousands of samples: the sampling error is about 1%). */
    private static void assertStd(FloatTensor t, double expected) {
        double m = mean(t), s = 0;
        for (long i = 0; i < t.size(); i++) s += (t.getFloat(i) - m) * (t.getFloat(i) - m);
        assertThat(Math.sqrt(s / (t.size() - 1))).isCloseTo(expected, within(0.05 * expected));
    }
}
