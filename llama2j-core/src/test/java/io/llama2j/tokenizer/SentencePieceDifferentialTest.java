package io.llama2j.tokenizer;

import io.llama2j.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our tokenizer against SentencePiece itself (see {@link SentencePieceReference}) on thousands of
 * generated strings and real text, for Llama 2's 32k vocabulary and the 512-piece tok512.
 */
class SentencePieceDifferentialTest {
    private static final int GENERATED_STRINGS = 6000;
    private static final int REAL_TEXT_LINES = 300;
    private static final int RANDOM_ID_SEQUENCES = 2000;

    @ParameterizedTest
    @ValueSource(strings = {"llama2-tokenizer.model", "tok512.model"})
    void encodeGivesSentencePiecesIdsForEveryString(String modelName) throws Exception {
        Path model = TestData.file(modelName);
        Tokenizer tokenizer = Tokenizer.load(model);
        List<String> texts = new ArrayList<>(TextGenerator.generate(modelName.hashCode(), GENERATED_STRINGS));
        texts.addAll(Files.readAllLines(TestData.file("datasets/tinystories-valid-head.txt")).subList(0, REAL_TEXT_LINES));

        List<int[]> expected = SentencePieceReference.encode(model, texts);

        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            int[] actual = tokenizer.encode(texts.get(i), false, false);
            if (!Arrays.equals(actual, expected.get(i))) {
                mismatches.add(escape(texts.get(i)) + "\n  expected " + Arrays.toString(expected.get(i))
                        + "\n  actual   " + Arrays.toString(actual));
            }
        }
        assertThat(mismatches).as("strings encoded differently from SentencePiece, of " + texts.size())
                .hasSizeLessThanOrEqualTo(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama2-tokenizer.model", "tok512.model"})
    void decodeGivesSentencePiecesTextForAnyIdSequence(String modelName) throws Exception {
        Path model = TestData.file(modelName);
        Tokenizer tokenizer = Tokenizer.load(model);
        Random random = new Random(modelName.hashCode() + 1L);
        List<int[]> idLists = new ArrayList<>();
        for (int i = 0; i < RANDOM_ID_SEQUENCES; i++) {
            int[] ids = new int[random.nextInt(12)];
            for (int k = 0; k < ids.length; k++) {
                // Half the time a low id (UNK, BOS, EOS, byte pieces) to exercise byte reassembly.
                ids[k] = random.nextBoolean() ? random.nextInt(Math.min(262, tokenizer.vocabSize()))
                        : random.nextInt(tokenizer.vocabSize());
            }
            idLists.add(ids);
        }
        for (String text : TextGenerator.generate(modelName.hashCode() + 2L, RANDOM_ID_SEQUENCES)) {
            idLists.add(tokenizer.encode(text, true, random.nextBoolean()));
        }

        List<String> expected = SentencePieceReference.decode(model, idLists);

        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < idLists.size(); i++) {
            String actual = tokenizer.decode(idLists.get(i));
            if (!actual.equals(expected.get(i))) {
                mismatches.add(Arrays.toString(idLists.get(i)) + "\n  expected " + escape(expected.get(i))
                        + "\n  actual   " + escape(actual));
            }
        }
        assertThat(mismatches).as("id sequences decoded differently from SentencePiece, of " + idLists.size())
                .hasSizeLessThanOrEqualTo(0);
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp >= 0x20 && cp < 0x7F && cp != '"' && cp != '\\') sb.append((char) cp);
            else sb.append(String.format("\\u{%X}", cp));
        });
        return sb.append('"').toString();
    }
}
