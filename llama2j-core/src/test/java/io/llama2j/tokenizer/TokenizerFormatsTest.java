package io.llama2j.tokenizer;

import io.llama2j.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every place the vocabulary lives gives the same tokenizer: same pieces, same ids. */
class TokenizerFormatsTest {
    private static final int STRINGS = 3000;

    @ParameterizedTest
    @CsvSource({"llama2-tokenizer.model, llama2-tokenizer.bin", "tok512.model, tok512.bin"})
    void llama2cBinaryHasTheModelsPiecesScoresAndTypes(String model, String bin) throws Exception {
        Vocabulary fromModel = SentencePieceModelReader.read(TestData.file(model));
        Vocabulary fromBin = Llama2cTokenizerReader.read(TestData.file(bin));
        assertThat(fromBin.pieces()).containsExactly(fromModel.pieces());
        assertThat(fromBin.scores()).containsExactly(fromModel.scores());
        assertThat(fromBin.types()).containsExactly(fromModel.types());
        assertThat(List.of(fromBin.unkId(), fromBin.bosId(), fromBin.eosId())).containsExactly(0, 1, 2);
    }

    @ParameterizedTest
    @CsvSource({"llama2-tokenizer.model, llama2-tokenizer.bin", "tok512.model, tok512.bin"})
    void modelBinaryAndTokenizerJsonGiveIdenticalIds(String model, String bin, @TempDir Path dir) throws Exception {
        Tokenizer fromModel = Tokenizer.load(TestData.file(model));
        Tokenizer fromBin = Tokenizer.load(TestData.file(bin));
        // tokenizer.bin stores no normalizer: llama2.c always normalizes as Llama does. tok512.model
        // removes extra whitespace, so the .bin is compared with the model's vocabulary under the
        // normalization llama2.c applies.
        Vocabulary v = fromModel.vocabulary();
        Tokenizer modelAsLlama2c = Tokenizer.of(new Vocabulary(v.source(), v.pieces(), v.scores(), v.types(), v.unkId(),
                v.bosId(), v.eosId(), Vocabulary.Normalization.LLAMA, v.byteFallback(), v.unkSurface(), v.addBos()));
        Path json = dir.resolve("tokenizer.json");
        TokenizerJsonWriter.write(fromModel.vocabulary(), json);
        Tokenizer fromJson = Tokenizer.load(json);

        assertThat(fromJson.vocabSize()).isEqualTo(fromModel.vocabSize());
        assertThat(fromJson.vocabulary().types()).containsExactly(fromModel.vocabulary().types());
        for (String text : TextGenerator.generate(model.hashCode() + 7L, STRINGS)) {
            int[] expected = fromModel.encode(text, true, false);
            assertThat(fromBin.encode(text, true, false)).as("tokenizer.bin: %s", text)
                    .containsExactly(modelAsLlama2c.encode(text, true, false));
            assertThat(fromJson.encode(text, true, false)).as("tokenizer.json: %s", text).containsExactly(expected);
        }
    }

    @ParameterizedTest
    @CsvSource({"ggml-vocab-llama-spm.gguf", "gguf/tiny-llama2-Q4_0.gguf"})
    void ggufVocabularyEqualsTheSentencePieceModel(String gguf) throws Exception {
        Tokenizer fromModel = Tokenizer.load(TestData.file("llama2-tokenizer.model"));
        Tokenizer fromGguf = Tokenizer.load(TestData.file(gguf));
        assertThat(fromGguf.vocabulary().pieces()).containsExactly(fromModel.vocabulary().pieces());
        assertThat(fromGguf.vocabulary().scores()).containsExactly(fromModel.vocabulary().scores());
        assertThat(fromGguf.vocabulary().types()).containsExactly(fromModel.vocabulary().types());
        assertThat(List.of(fromGguf.unkId(), fromGguf.bosId(), fromGguf.eosId())).containsExactly(0, 1, 2);
        assertThat(fromGguf.addBosByDefault()).isTrue();
        for (String text : TextGenerator.generate(gguf.hashCode(), STRINGS)) {
            assertThat(fromGguf.encode(text, true, true)).as("%s", text).containsExactly(fromModel.encode(text, true, true));
        }
    }

    @Test
    void tokenizerJsonHasSpmConvertersMergesForLlama2(@TempDir Path dir) throws Exception {
        Vocabulary v = SentencePieceModelReader.read(TestData.file("llama2-tokenizer.model"));
        List<String[]> merges = TokenizerJsonWriter.merges(v);
        // The first merges of Llama-2-7b-hf's tokenizer.json.
        assertThat(merges.subList(0, 3)).containsExactly(
                new String[] {"\u2581", "t"}, new String[] {"e", "r"}, new String[] {"i", "n"});
        Path json = dir.resolve("tokenizer.json");
        TokenizerJsonWriter.write(v, json);
        assertThat(Files.readString(json)).contains("\"byte_fallback\" : true", "\"type\" : \"Prepend\"");
    }

    @Test
    void loadDetectsTheFormatByContentWhateverTheFileName(@TempDir Path dir) throws Exception {
        Path disguised = dir.resolve("vocab.dat");
        Files.copy(TestData.file("tok512.bin"), disguised);
        assertThat(Tokenizer.load(disguised).vocabSize()).isEqualTo(512);
        Files.copy(TestData.file("tok512.model"), disguised, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(Tokenizer.load(disguised).vocabulary().normalization().removeExtraWhitespaces()).isTrue();
    }

    @Test
    void aTokenizerBinWhoseMaxLengthIsTenIsNotMistakenForProtobuf(@TempDir Path dir) throws Exception {
        byte[] bin = Files.readAllBytes(TestData.file("tok512.bin"));
        bin[0] = 10; // max_token_length 10 (tok512's longest piece has 7 bytes): first byte 0x0A
        Path file = dir.resolve("tokenizer.bin");
        Files.write(file, bin);
        assertThat(Tokenizer.load(file).vocabSize()).isEqualTo(512);
    }

    @Test
    void loadAcceptsAFolderWithTokenizerModelOrJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("tokenizer.json");
        TokenizerJsonWriter.write(SentencePieceModelReader.read(TestData.file("tok512.model")), json);
        assertThat(Tokenizer.load(dir).vocabSize()).isEqualTo(512);
        Files.copy(TestData.file("llama2-tokenizer.model"), dir.resolve("tokenizer.model"));
        assertThat(Tokenizer.load(dir).vocabSize()).isEqualTo(32000);
    }

    @Test
    void aFolderWithoutATokenizerIsAClearError(@TempDir Path dir) {
        assertThatThrownBy(() -> Tokenizer.load(dir))
                .hasMessageContaining(dir.toString()).hasMessageContaining("tokenizer.model");
    }
}
