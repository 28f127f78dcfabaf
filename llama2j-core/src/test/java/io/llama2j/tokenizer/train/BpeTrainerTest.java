package io.llama2j.tokenizer.train;

import io.llama2j.tokenizer.PieceType;
import io.llama2j.tokenizer.Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The trainer on texts small enough to work out every merge by hand. */
class BpeTrainerTest {

    /** llama2.c's options without byte fallback, so the tiny vocabularies stay readable. */
    private static BpeTrainerConfig noBytes(int vocabSize, boolean addDummyPrefix) {
        return new BpeTrainerConfig(vocabSize, 1.0f, 16, 4192, 0, true, true, false, addDummyPrefix, true);
    }

    private static List<String> learned(BpeTrainerConfig config, String... lines) {
        return new BpeTrainer(config).trainOnLines(List.of(lines)).texts();
    }

    @Test
    void mergesTheMostFrequentPairFirstAndBreaksTiesByTheSmallerString() {
        // "▁ab▁ab▁ab" and "▁abc": ▁a and ab both occur 4 times; "ab" < "▁a" in UTF-8 (▁ is U+2581).
        // Then ▁+ab (4), then ▁ab+c (1). The alphabet follows: a, b, ▁ (4 each, by code point), c (1).
        assertThat(learned(noBytes(10, true), "ab ab ab", "abc"))
                .containsExactly("<unk>", "<s>", "</s>", "ab", "▁ab", "▁abc", "a", "b", "▁", "c");
    }

    @Test
    void scoresAreMinusTheMergeOrderContinuingThroughTheAlphabetAndZeroForSpecials() {
        Vocabulary vocabulary = new BpeTrainer(noBytes(10, true)).trainOnLines(List.of("ab ab ab", "abc")).vocabulary();
        assertThat(vocabulary.scores()).containsExactly(0f, 0f, 0f, -0f, -1f, -2f, -3f, -4f, -5f, -6f);
        assertThat(vocabulary.types()).containsExactly(PieceType.UNKNOWN, PieceType.CONTROL,
                PieceType.CONTROL, PieceType.NORMAL, PieceType.NORMAL, PieceType.NORMAL, PieceType.NORMAL,
                PieceType.NORMAL, PieceType.NORMAL, PieceType.NORMAL);
    }

    @Test
    void anOverlappingRunCountsEachPairOnlyOnce() {
        // Without the dummy prefix: "aaa" holds one "aa" (not two), "zz" occurs twice, so zz wins;
        // counted twice, aa would tie with zz and win as the smaller string.
        assertThat(learned(noBytes(8, false), "aaa", "zz", "zz"))
                .containsExactly("<unk>", "<s>", "</s>", "zz", "aa", "aaa", "z", "a");
    }

    @Test
    void aRunOfFourHoldsTwoPairs() {
        // "aaaa" holds two "aa": tied with zz (2) and first as the smaller string; then zz (2)
        // beats aa+aa (1).
        assertThat(learned(noBytes(8, false), "aaaa", "zz", "zz"))
                .containsExactly("<unk>", "<s>", "</s>", "aa", "zz", "aaaa", "a", "z");
    }

    @Test
    void letterPunctuationAndDigitsNeverShareAPiece() {
        // Words ▁ab. (2) and ▁12 (4): b+. mixes scripts (Latin, Common); 1+2 and ▁+1 hold a
        // digit. Only ab and ▁ab can form. Alphabet: ▁ (6), 1, 2 (4), then ., a, b (2).
        assertThat(learned(noBytes(11, true), "ab. ab. 12 12 12 12"))
                .containsExactly("<unk>", "<s>", "</s>", "ab", "▁ab", "▁", "1", "2", ".", "a", "b");
    }

    @Test
    void byteFallbackPutsTheBytePiecesBetweenTheSpecialsAndTheLearnedPieces() {
        List<String> pieces = new BpeTrainer(BpeTrainerConfig.llama2c(3 + 256 + 2 + 3))
                .trainOnLines(List.of("ab ab")).texts();
        assertThat(pieces.subList(0, 5)).containsExactly("<unk>", "<s>", "</s>", "<0x00>", "<0x01>");
        assertThat(pieces.get(258)).isEqualTo("<0xFF>");
        assertThat(pieces.subList(259, pieces.size())).containsExactly("ab", "▁ab", "a", "b", "▁");
    }

    @Test
    void spacesAreTrimmedAndCollapsedAndEveryLineGetsADummyPrefix() {
        // "  xy   xy  " normalizes to "▁xy▁xy": the pieces cannot tell it from "xy xy".
        assertThat(learned(noBytes(8, true), "  xy   xy  ")).isEqualTo(learned(noBytes(8, true), "xy xy"));
    }

    @Test
    void charactersBeyondTheCoverageBecomeUnknownAndNeverMerge() {
        // q is 1 of 9 characters: coverage 0.8 leaves it out of the alphabet, so "aq" never forms.
        BpeTrainerConfig config = noBytes(3 + 2 + 2, true).withCharacterCoverage(0.8f);
        List<String> pieces = learned(config, "aq aa aa");
        assertThat(pieces).doesNotContain("q", "aq", "▁aq");
        assertThat(pieces).hasSize(7).contains("▁", "a");
    }

    @Test
    void trainingIsDeterministic() {
        String[] text = {"the cat sat on the mat", "the dog sat on the log", "a cat and a dog"};
        assertThat(learned(noBytes(31, true), text)).isEqualTo(learned(noBytes(31, true), text)).hasSize(31);
    }

    @Test
    void readsFilesLineByLineAndStopsAtTheCharacterLimit(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("text.txt");
        Files.writeString(file, "ab ab ab\nabc\nzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n");
        TrainedVocabulary limited = new BpeTrainer(noBytes(10, true).withMaxInputChars(12)).train(List.of(file));
        assertThat(limited.texts()).doesNotContain("z");
        assertThat(limited.charsRead()).isEqualTo(11);
        assertThat(limited.sentences()).isEqualTo(2);
    }

    @Test
    void aVocabularyTooSmallForTheAlphabetIsRejectedWithTheNumbers() {
        assertThatThrownBy(() -> learned(noBytes(5, true), "abc"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vocab size 5 is smaller than the 3 special/byte pieces plus the alphabet of 4");
    }

    @Test
    void aTextTooSmallForTheVocabularyIsRejected() {
        assertThatThrownBy(() -> learned(noBytes(50, true), "ab"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("allows only 2 merges").hasMessageContaining("a vocab size of at most 8");
    }

    @Test
    void aTextOfEmptyAndBlankLinesIsRejected(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("blank.txt");
        Files.writeString(file, "\n   \n\n");
        assertThatThrownBy(() -> new BpeTrainer(noBytes(10, true)).train(List.of(file)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no characters to learn from");
    }

    @Test
    void aMissingInputFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("nope.txt");
        assertThatThrownBy(() -> new BpeTrainer(noBytes(10, true)).train(List.of(missing)))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("nope.txt");
    }

    @Test
    void aConfigWithoutRoomForTheSpecialPiecesIsRejected() {
        assertThatThrownBy(() -> BpeTrainerConfig.llama2c(259))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vocab size 259 is too small");
    }
}
