package io.llama2j.loading;

import io.llama2j.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelLoaderTest {
    @TempDir
    Path dir;

    @Test
    void formatsAreRecognizedByContentNotByName() throws IOException {
        Path bin = Files.copy(TestData.file("stories260K.bin"), dir.resolve("model.gguf"));
        assertThat(ModelLoader.detect(bin)).isEqualTo(ModelFormat.LLAMA2C);
        Path gguf = Files.copy(TestData.file("stories260K.gguf"), dir.resolve("model.bin"));
        assertThat(ModelLoader.detect(gguf)).isEqualTo(ModelFormat.GGUF);
        Path hf = Files.createDirectory(dir.resolve("hf"));
        Files.writeString(hf.resolve("config.json"), "{}");
        Files.writeString(hf.resolve("model.safetensors"), "");
        assertThat(ModelLoader.detect(hf)).isEqualTo(ModelFormat.HF_FOLDER);
    }

    @Test
    void aLlama2cCheckpointUsesTheGivenTokenizerOrTokenizerBinNextToIt() throws Exception {
        Path model = Files.copy(TestData.file("stories260K.bin"), dir.resolve("stories.bin"));
        Path tok = TestData.file("tok512.bin");
        try (LoadedModel withTok = ModelLoader.load(model, tok)) {
            assertThat(withTok.tokenizer().vocabSize()).isEqualTo(512);
        }
        assertThatThrownBy(() -> ModelLoader.load(model, null)).isInstanceOf(IOException.class)
                .hasMessageContaining("does not contain its tokenizer").hasMessageContaining("-z");
        Files.copy(tok, dir.resolve("tokenizer.bin"));
        LoadedModel loaded = ModelLoader.load(model, null);
        assertThat(loaded.tokenizer().bosId()).isEqualTo(1);
        assertThat(loaded.stopTokenIds()).containsExactly(2, 1);
        assertThat(loaded.format()).isEqualTo(ModelFormat.LLAMA2C);
        assertThat(loaded.config().dim()).isEqualTo(64);
    }

    @Test
    void aGgufModelBringsItsOwnTokenizer() throws Exception {
        try (LoadedModel m = ModelLoader.load(TestData.file("stories260K.gguf"), null)) {
            assertThat(m.format()).isEqualTo(ModelFormat.GGUF);
            assertThat(m.config().contextLength()).isEqualTo(2048);
            assertThat(m.tokenizer().vocabSize()).isEqualTo(512);
            assertThat(m.tokenizer().eosId()).isEqualTo(2);
        }
    }

    @Test
    void aTokenizerOfAnotherVocabularySizeIsRejected() throws IOException {
        Path model = TestData.file("stories260K.bin"), tokenizer = TestData.file("llama2-tokenizer.bin");
        assertThatThrownBy(() -> ModelLoader.load(model, tokenizer)).isInstanceOf(IOException.class)
                .hasMessageContaining("32000 tokens but the model's vocabulary has 512");
    }

    @Test
    void unknownAndMissingFilesGiveClearErrors() throws IOException {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "hello, this is not a model at all");
        assertThatThrownBy(() -> ModelLoader.load(text, null)).isInstanceOf(IOException.class)
                .hasMessageContaining("notes.txt").hasMessageContaining("not a model file llama2j knows");
        assertThatThrownBy(() -> ModelLoader.load(dir.resolve("missing.bin"), null)).isInstanceOf(IOException.class)
                .hasMessageContaining("missing.bin").hasMessageContaining("not found");
        assertThatThrownBy(() -> ModelLoader.load(dir, null)).isInstanceOf(IOException.class)
                .hasMessageContaining("is not a model");
    }
}
