package io.llama2j.tokenizer;

import io.llama2j.TestData;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * llama.cpp's tokenizer test vectors for the Llama SentencePiece vocabulary
 * (models/ggml-vocab-llama-spm.gguf.inp/.out, used by its test-tokenizer-0): 46 strings and their
 * ids without BOS.
 */
class LlamaCppTokenizerVectorsTest {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    @Test
    void everyLlamaCppVectorEncodesToItsIdsWithTheSentencePieceModel() throws Exception {
        assertVectors(Tokenizer.load(TestData.file("llama2-tokenizer.model")));
    }

    @Test
    void everyLlamaCppVectorEncodesToItsIdsWithTheGgufVocabulary() throws Exception {
        assertVectors(Tokenizer.load(TestData.file("ggml-vocab-llama-spm.gguf")));
    }

    static void assertVectors(Tokenizer tokenizer) throws Exception {
        Path inp = TestData.file("ggml-vocab-llama-spm.gguf.inp");
        Path out = TestData.file("ggml-vocab-llama-spm.gguf.out");
        String all = Files.readString(inp, StandardCharsets.UTF_8);
        List<String> inputs = Arrays.asList(all.substring(0, all.length() - SEPARATOR.length()).split(SEPARATOR, -1));
        List<String> outputs = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertThat(inputs).hasSize(46);
        assertThat(outputs).hasSize(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            String line = outputs.get(i).strip();
            int[] expected = line.isEmpty() ? new int[0]
                    : Arrays.stream(line.split(" +")).mapToInt(Integer::parseInt).toArray();
            assertThat(tokenizer.encode(inputs.get(i), false, false))
                    .as("vector %d: %s", i, SentencePieceDifferentialTest.escape(inputs.get(i)))
                    .containsExactly(expected);
        }
    }
}
