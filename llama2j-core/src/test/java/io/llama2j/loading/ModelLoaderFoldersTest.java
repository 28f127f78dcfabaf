package io.llama2j.loading;

import io.llama2j.TestData;
import io.llama2j.hf.HfModelWriter;
import io.llama2j.meta.MetaCheckpointWriter;
import io.llama2j.model.LlamaConfig;
import io.llama2j.model.LlamaWeights;
import io.llama2j.model.RandomLlama;
import io.llama2j.safetensors.SafetensorsDType;
import io.llama2j.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ModelLoader opens Hugging Face and Meta folders with their tokenizers. */
class ModelLoaderFoldersTest {
    @TempDir Path dir;

    private final LlamaConfig config = RandomLlama.smallGqaConfig(512);
    private final LlamaWeights weights = RandomLlama.weights(config, 21, false);

    @Test
    void huggingFaceFolderLoadsWithItsTokenizer() throws Exception {
        HfModelWriter.write(dir, config, weights, SafetensorsDType.F32, TestData.file("tok512.model"), false);
        try (LoadedModel m = ModelLoader.load(dir, null)) {
            assertThat(m.format()).isEqualTo(ModelFormat.HF_FOLDER);
            assertThat(m.config()).isEqualTo(config);
            assertThat(m.tokenizer().vocabSize()).isEqualTo(512);
            RandomLlama.assertSameWeights(weights, m.weights(), 0f);
        }
    }

    @Test
    void metaFolderLoadsWithTheTokenizerOfItsParent() throws Exception {
        Path model = dir.resolve("llama-2-tiny");
        MetaCheckpointWriter.write(model, config, weights, 2, GgmlType.F32, null);
        java.nio.file.Files.copy(TestData.file("tok512.model"), dir.resolve("tokenizer.model"));
        try (LoadedModel m = ModelLoader.load(model, null)) {
            assertThat(m.format()).isEqualTo(ModelFormat.META_FOLDER);
            assertThat(m.tokenizer().vocabSize()).isEqualTo(512);
            RandomLlama.assertSameWeights(weights, m.weights(), 0f);
        }
    }

    @Test
    void aFolderWithoutTokenizerAsksForOne() throws Exception {
        HfModelWriter.write(dir, config, weights, SafetensorsDType.F32, null, false);
        assertThatThrownBy(() -> ModelLoader.load(dir, null)).isInstanceOf(IOException.class)
                .hasMessageContaining("no tokenizer.model or tokenizer.json");
        try (LoadedModel m = ModelLoader.loadWeightsOnly(dir)) {
            assertThat(m.config()).isEqualTo(config);
        }
    }
}
