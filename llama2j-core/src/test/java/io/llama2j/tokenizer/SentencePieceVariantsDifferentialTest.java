package io.llama2j.tokenizer;

import io.llama2j.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rarer SentencePiece features, which the Llama 2 vocabularies do not use, against
 * SentencePiece itself: no byte fallback (unknown characters become UNK), UNUSED pieces
 * (resegmented) and USER_DEFINED pieces (matched whole). Each variant is a real vocabulary
 * changed here and written as a tokenizer.model with {@link SentencePieceModelWriter}.
 */
class SentencePieceVariantsDifferentialTest {
    private static final int STRINGS = 2000;
    private static final SentencePieceModelWriter.TrainerSpec TRAINER =
            new SentencePieceModelWriter.TrainerSpec(List.of(), 1.0f, 4192, 16, true, true);

    @Test
    void withoutByteFallbackUnknownCharactersBecomeUnkAsInSentencePiece(@TempDir Path dir) throws Exception {
        Vocabulary tok512 = SentencePieceModelReader.read(TestData.file("tok512.model"));
        List<Integer> kept = new ArrayList<>();
        for (int id = 0; id < tok512.size(); id++) if (tok512.types()[id] != PieceType.BYTE) kept.add(id);
        Vocabulary v = subset(tok512, kept, false);
        assertSameAsSentencePiece(v, dir, 11);
    }

    @Test
    void unusedPiecesAreResegmentedAsInSentencePiece(@TempDir Path dir) throws Exception {
        Vocabulary llama = SentencePieceModelReader.read(TestData.file("llama2-tokenizer.model"));
        PieceType[] types = llama.types().clone();
        for (int id = 300; id < types.length; id += 3) if (types[id] == PieceType.NORMAL) types[id] = PieceType.UNUSED;
        Vocabulary v = new Vocabulary("llama-unused", llama.pieces(), llama.scores(), types, llama.unkId(),
                llama.bosId(), llama.eosId(), llama.normalization(), true, llama.unkSurface(), true);
        assertSameAsSentencePiece(v, dir, 12);
    }

    @Test
    void userDefinedPiecesAreMatchedAsInSentencePiece(@TempDir Path dir) throws Exception {
        Vocabulary tok512 = SentencePieceModelReader.read(TestData.file("tok512.model"));
        String[] extra = {"[INST]", "<<SYS>>", "Hello", "\u2581wor", "\uD83D\uDC4D"};
        int n = tok512.size() + extra.length;
        String[] pieces = Arrays.copyOf(tok512.pieces(), n);
        float[] scores = Arrays.copyOf(tok512.scores(), n);
        PieceType[] types = Arrays.copyOf(tok512.types(), n);
        for (int i = 0; i < extra.length; i++) {
            pieces[tok512.size() + i] = extra[i];
            types[tok512.size() + i] = PieceType.USER_DEFINED;
        }
        Vocabulary v = new Vocabulary("tok512-user-defined", pieces, scores, types, tok512.unkId(), tok512.bosId(),
                tok512.eosId(), Vocabulary.Normalization.LLAMA, true, tok512.unkSurface(), true);
        assertSameAsSentencePiece(v, dir, 13);
    }

    private static Vocabulary subset(Vocabulary v, List<Integer> ids, boolean byteFallback) {
        String[] pieces = new String[ids.size()];
        float[] scores = new float[ids.size()];
        PieceType[] types = new PieceType[ids.size()];
        for (int i = 0; i < ids.size(); i++) {
            pieces[i] = v.pieces()[ids.get(i)];
            scores[i] = v.scores()[ids.get(i)];
            types[i] = v.types()[ids.get(i)];
        }
        return new Vocabulary(v.source() + " subset", pieces, scores, types, ids.indexOf(v.unkId()),
                ids.indexOf(v.bosId()), ids.indexOf(v.eosId()), v.normalization(), byteFallback, v.unkSurface(), true);
    }

    private static void assertSameAsSentencePiece(Vocabulary v, Path dir, long seed) throws Exception {
        Path model = dir.resolve("variant.model");
        SentencePieceModelWriter.write(model, v, TRAINER);
        Tokenizer tokenizer = Tokenizer.load(model);
        List<String> texts = TextGenerator.generate(seed, STRINGS);
        List<int[]> expected = SentencePieceReference.encode(model, texts);
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            int[] actual = tokenizer.encode(texts.get(i), false, false);
            if (!Arrays.equals(actual, expected.get(i))) {
                mismatches.add(SentencePieceDifferentialTest.escape(texts.get(i)) + "\n  expected "
                        + Arrays.toString(expected.get(i)) + "\n  actual   " + Arrays.toString(actual));
            }
        }
        assertThat(mismatches).as(v.source() + ": strings encoded differently from SentencePiece").isEmpty();
        List<String> decoded = SentencePieceReference.decode(model, expected);
        for (int i = 0; i < texts.size(); i++) {
            assertThat(tokenizer.decode(expected.get(i))).as("decode %s", Arrays.toString(expected.get(i)))
                    .isEqualTo(decoded.get(i));
        }
    }
}
