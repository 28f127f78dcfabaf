package io.llama2j.tokenizer;

import io.llama2j.TestData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What encoding and decoding do, shown on Llama 2's vocabulary and on small hand-built ones. */
class TokenizerTest {
    private static Tokenizer llama;

    @BeforeAll
    static void load() throws Exception {
        llama = Tokenizer.load(TestData.file("llama2-tokenizer.model"));
    }

    @Test
    void bosAndEosAreIdsAroundTheText() {
        assertThat(llama.encode("Hello", true, true)).containsExactly(1, 15043, 2);
        assertThat(llama.encode("Hello", false, false)).containsExactly(15043);
        assertThat(llama.encode("", true, false)).containsExactly(1);
        assertThat(List.of(llama.bosId(), llama.eosId(), llama.unkId(), llama.vocabSize()))
                .containsExactly(1, 2, 0, 32000);
    }

    @Test
    void specialTokenTextIsEncodedAsTextNeverAsControlIds() {
        int[] ids = llama.encode("<s>[INST]</s>", false, false);
        assertThat(ids).doesNotContain(1, 2);
        assertThat(llama.decode(ids)).isEqualTo("<s>[INST]</s>");
    }

    @Test
    void aCharacterOutsideTheVocabularyFallsBackToItsUtf8Bytes() {
        int[] ids = llama.encode("\uD83E\uDD99", false, false); // U+1F999 LLAMA, not a piece
        assertThat(Arrays.stream(ids).mapToObj(llama::piece))
                .containsExactly("\u2581", "<0xF0>", "<0x9F>", "<0xA6>", "<0x99>");
        assertThat(llama.decode(ids)).isEqualTo("\uD83E\uDD99");
    }

    @Test
    void digitsAreSplitIntoSingleDigits() {
        assertThat(Arrays.stream(llama.encode("2023", false, false)).mapToObj(llama::piece))
                .containsExactly("\u2581", "2", "0", "2", "3");
    }

    @Test
    void decodeDropsTheDummyPrefixButKeepsRealLeadingSpaces() {
        assertThat(llama.decode(llama.encode("Hello world", true, false))).isEqualTo("Hello world");
        assertThat(llama.decode(llama.encode("  two spaces", true, false))).isEqualTo("  two spaces");
        assertThat(llama.decode(new int[] {llama.unkId()})).isEqualTo(" \u2047 ");
    }

    @Test
    void piecesScoresAndTypesAreReadable() {
        assertThat(llama.piece(15043)).isEqualTo("\u2581Hello");
        assertThat(llama.idOf("\u2581Hello")).isEqualTo(OptionalInt.of(15043));
        assertThat(llama.idOf("<0x0A>")).isEqualTo(OptionalInt.of(13));
        assertThat(llama.idOf("no such piece")).isEmpty();
        assertThat(llama.isControl(1)).isTrue();
        assertThat(llama.isControl(15043)).isFalse();
        // BPE scores fall with the merge order: an earlier piece has the higher score.
        assertThat(llama.score(15043)).isEqualTo(-14784f).isGreaterThan(llama.score(15044));
    }

    @Test
    void idsOutsideTheVocabularyAreRejectedClearly() {
        assertThatThrownBy(() -> llama.decode(new int[] {32000})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32000").hasMessageContaining("size 32000");
        assertThatThrownBy(() -> llama.piece(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- small vocabularies built here ---------------------------------------------------------

    private static final Vocabulary.Normalization PLAIN = new Vocabulary.Normalization(false, false, true);

    /** A vocabulary: UNK first, then the given pieces (text, score, type). */
    private static Tokenizer vocabulary(Vocabulary.Normalization normalization, Object... entries) {
        int n = entries.length / 3 + 1;
        String[] pieces = new String[n];
        float[] scores = new float[n];
        PieceType[] types = new PieceType[n];
        pieces[0] = "<unk>";
        types[0] = PieceType.UNKNOWN;
        for (int i = 1; i < n; i++) {
            pieces[i] = (String) entries[3 * (i - 1)];
            scores[i] = ((Number) entries[3 * (i - 1) + 1]).floatValue();
            types[i] = (PieceType) entries[3 * (i - 1) + 2];
        }
        return Tokenizer.of(new Vocabulary("test", pieces, scores, types, 0, -1, -1, normalization, false,
                Vocabulary.DEFAULT_UNK_SURFACE, false));
    }

    @Test
    void theHighestScoringPairIsMergedFirst() {
        // "abc": "bc" (-1) beats "ab" (-2), so the result is a + bc even though "ab" is leftmost.
        Tokenizer t = vocabulary(PLAIN, "a", -10, PieceType.NORMAL, "b", -10, PieceType.NORMAL,
                "c", -10, PieceType.NORMAL, "ab", -2, PieceType.NORMAL, "bc", -1, PieceType.NORMAL);
        assertThat(t.encode("abc", false, false)).containsExactly(1, 5);
    }

    @Test
    void equalScoresAreBrokenInFavourOfTheLeftmostPair() {
        Tokenizer t = vocabulary(PLAIN, "a", -10, PieceType.NORMAL, "b", -10, PieceType.NORMAL,
                "ab", -1, PieceType.NORMAL, "ba", -1, PieceType.NORMAL);
        assertThat(t.encode("aba", false, false)).containsExactly(3, 1);
        assertThat(t.encode("bab", false, false)).containsExactly(4, 2);
    }

    @Test
    void withoutByteFallbackARunOfUnknownCharactersBecomesOneUnk() {
        Tokenizer t = vocabulary(PLAIN, "a", -1, PieceType.NORMAL);
        assertThat(t.encode("a\u00e9a", false, false)).containsExactly(1, 0, 1);
        assertThat(t.decode(t.encode("a\u00e9a", false, false))).isEqualTo("a \u2047 a");
        // A run of unknown characters is one UNK, as SentencePiece gives it.
        assertThat(t.encode("a\u00e9\u00e8\u00ea", false, false)).containsExactly(1, 0);
    }

    @Test
    void userDefinedPiecesAreMatchedWholeAndNeverMerged() {
        Tokenizer t = vocabulary(PLAIN, "x", -1, PieceType.NORMAL, "<tag>", 0, PieceType.USER_DEFINED,
                "x<", 5, PieceType.NORMAL, "<", -1, PieceType.NORMAL);
        assertThat(t.encode("x<tag>x<", false, false)).containsExactly(1, 2, 3);
    }

    @Test
    void anUnusedPieceIsSplitBackIntoThePiecesItWasMergedFrom() {
        Tokenizer t = vocabulary(PLAIN, "a", -1, PieceType.NORMAL, "b", -1, PieceType.NORMAL,
                "ab", 0, PieceType.UNUSED, "abb", -5, PieceType.NORMAL);
        // "ab" is produced (score 0) and resegmented; "abb" can still be reached through it.
        assertThat(t.encode("ab", false, false)).containsExactly(1, 2);
        assertThat(t.encode("abb", false, false)).containsExactly(4);
    }

    @Test
    void controlPiecesAreNeverProducedByMerges() {
        Tokenizer t = vocabulary(PLAIN, "a", -1, PieceType.NORMAL, "aa", 0, PieceType.CONTROL);
        assertThat(t.encode("aa", false, false)).containsExactly(1, 1);
    }

    @Test
    void removeExtraWhitespacesTrimsAndCollapsesSpacesOnly() {
        Tokenizer t = vocabulary(new Vocabulary.Normalization(true, true, true),
                "\u2581", -1, PieceType.NORMAL, "a", -1, PieceType.NORMAL, "\t", -1, PieceType.NORMAL);
        assertThat(t.encode("  a   a\t ", false, false)).containsExactly(1, 2, 1, 2, 3);
        assertThat(t.encode("   ", false, false)).isEmpty();
    }

    @Test
    void llama2IsEncodedWordByWordButAPieceSpanningWordsTurnsThatOff() {
        assertThat(BpeEncoder.wordsAreIndependent(llama.vocabulary(), '\u2581')).isTrue();
        Tokenizer t = vocabulary(PLAIN, "a", -1, PieceType.NORMAL, "\u2581", -1, PieceType.NORMAL,
                "a\u2581", -2, PieceType.NORMAL, "a\u2581a", -3, PieceType.NORMAL);
        assertThat(BpeEncoder.wordsAreIndependent(t.vocabulary(), '\u2581')).isFalse();
        assertThat(t.encode("a a", false, false)).containsExactly(4);
    }
}
