package io.llama2j.gguf;

import io.llama2j.TestData;
import io.llama2j.model.LlamaConfig;
import io.llama2j.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** GgufModelLoader: configuration from llama.* metadata, weights by GGUF name, shapes checked. */
class GgufModelLoaderTest {
    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_K", "Q6_K", "Q4_K_M"})
    void everyTinyLlamaFileLoadsWithItsDocumentedConfiguration(String type) throws Exception {
        boolean shapeK = type.contains("_K");
        LlamaConfig expected = shapeK
                ? new LlamaConfig(256, 768, 2, 8, 4, 32000, 256, 1e-5f, 10000f)
                : new LlamaConfig(64, 192, 2, 4, 2, 32000, 256, 1e-5f, 10000f);
        try (GgufModel model = GgufModelLoader.load(TestData.file("gguf/tiny-llama2-" + type + ".gguf"))) {
            assertThat(model.config()).isEqualTo(expected);
            assertThat(model.weights().output()).as("untied output").isNotSameAs(model.weights().tokenEmbedding());
            assertThat(model.weights().attentionNorm()[1].type()).isEqualTo(GgmlType.F32);
            GgmlType matrixType = type.equals("Q4_K_M") ? GgmlType.Q4_K : GgmlType.valueOf(type);
            assertThat(model.weights().wq()[0].type()).isEqualTo(matrixType);
        }
    }

    @Test
    void stories260KLoadsWithItsOwnContextLength() throws Exception {
        try (GgufModel model = GgufModelLoader.load(TestData.file("stories260K.gguf"))) {
            assertThat(model.config()).isEqualTo(new LlamaConfig(64, 172, 5, 8, 4, 512, 2048, 1e-5f, 10000f));
        }
    }

    @Test
    void aVocabularyOnlyFileIsNotAModel() {
        Path vocabularyOnly = TestData.file("ggml-vocab-llama-spm.gguf"); // outside the lambda: a missing file skips the test
        assertThatThrownBy(() -> GgufModelLoader.load(vocabularyOnly))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ggml-vocab-llama-spm.gguf").hasMessageContaining("token_embd.weight");
    }

    /** A minimal llama GGUF: dim 8, 1 layer, 2 heads, ffn 16, vocab 4; mutated by each test. */
    private GgufWriter tinyModel(boolean withOutput) {
        int dim = 8, ffn = 16, vocab = 4;
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "llama")
                .putUInt32("llama.embedding_length", dim)
                .putUInt32("llama.block_count", 1)
                .putUInt32("llama.feed_forward_length", ffn)
                .putUInt32("llama.attention.head_count", 2)
                .putUInt32("llama.context_length", 32)
                .putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-6f)
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, new String[]{"<unk>", "<s>", "</s>", "a"});
        w.addTensor("token_embd.weight", GgmlType.F32, new long[]{dim, vocab}, new float[dim * vocab]);
        w.addTensor("blk.0.attn_norm.weight", GgmlType.F32, new long[]{dim}, new float[dim]);
        for (String m : new String[]{"attn_q", "attn_k", "attn_v", "attn_output"}) {
            w.addTensor("blk.0." + m + ".weight", GgmlType.F32, new long[]{dim, dim}, new float[dim * dim]);
        }
        w.addTensor("blk.0.ffn_norm.weight", GgmlType.F32, new long[]{dim}, new float[dim]);
        w.addTensor("blk.0.ffn_gate.weight", GgmlType.F32, new long[]{dim, ffn}, new float[dim * ffn]);
        w.addTensor("blk.0.ffn_up.weight", GgmlType.F32, new long[]{dim, ffn}, new float[dim * ffn]);
        w.addTensor("blk.0.ffn_down.weight", GgmlType.F32, new long[]{ffn, dim}, new float[dim * ffn]);
        w.addTensor("output_norm.weight", GgmlType.F32, new long[]{dim}, new float[dim]);
        if (withOutput) w.addTensor("output.weight", GgmlType.F32, new long[]{dim, vocab}, new float[dim * vocab]);
        return w;
    }

    @Test
    void absentOptionalKeysTakeTheirDefaultsAndAbsentOutputIsTiedToTheEmbedding() throws Exception {
        Path p = dir.resolve("tied.gguf");
        tinyModel(false).write(p);
        try (GgufModel model = GgufModelLoader.load(p)) {
            assertThat(model.config()).isEqualTo(new LlamaConfig(8, 16, 1, 2, 2, 4, 32, 1e-6f, GgufModelLoader.DEFAULT_ROPE_FREQ_BASE));
            assertThat(model.weights().output()).isSameAs(model.weights().tokenEmbedding());
        }
    }

    @Test
    void aTensorOfTheWrongShapeIsNamedWithExpectedAndFoundShapes() throws Exception {
        Path p = dir.resolve("bad-shape.gguf");
        GgufWriter w = tinyModel(false);
        w.addTensor("output.weight", GgmlType.F32, new long[]{4, 8}, new float[32]); // transposed
        w.write(p);
        assertThatThrownBy(() -> GgufModelLoader.load(p))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("output.weight").hasMessageContaining("[8, 4]").hasMessageContaining("[4, 8]");
    }

    @Test
    void otherArchitecturesAndPartialRopeAreRejected() throws Exception {
        Path gpt = dir.resolve("gpt2.gguf");
        tinyModel(true).putString("general.architecture", "gpt2").write(gpt);
        assertThatThrownBy(() -> GgufModelLoader.load(gpt)).hasMessageContaining("general.architecture").hasMessageContaining("gpt2");
        Path rope = dir.resolve("rope.gguf");
        tinyModel(true).putUInt32("llama.rope.dimension_count", 2).write(rope);
        assertThatThrownBy(() -> GgufModelLoader.load(rope)).hasMessageContaining("rope.dimension_count").hasMessageContaining("4");
        Path missing = dir.resolve("missing.gguf");
        GgufWriter w = tinyModel(true);
        w.put("llama.block_count", GgufValueType.UINT32, 2L);
        w.write(missing);
        assertThatThrownBy(() -> GgufModelLoader.load(missing)).hasMessageContaining("blk.1.attn_norm.weight");
    }
}
