package io.llama2j.tokenizer.train;

import io.llama2j.tokenizer.SentencePieceModelWriter;
import io.llama2j.tokenizer.Vocabulary;

import java.util.List;

/**
 * Options of the SentencePiece-style BPE trainer. {@link #llama2c(int)} gives the options
 * llama2.c used to train tok512 (tinystories.py train_vocab): model_type=bpe,
 * character_coverage=1.0, split_digits, allow_whitespace_only_pieces, byte_fallback,
 * normalization_rule_name=identity, and SentencePiece's defaults for the rest
 * (add_dummy_prefix, remove_extra_whitespaces, max_sentencepiece_length 16,
 * max_sentence_length 4192). Special pieces follow Llama 2: unk 0, bos 1, eos 2, no pad.
 *
 * @param vocabSize                 pieces in the finished model, special and byte pieces included
 * @param characterCoverage         share of character occurrences the alphabet must cover
 *                                  (SentencePiece default 0.9995; llama2.c 1.0); rarer characters
 *                                  become unknown and never merge
 * @param maxPieceLength            longest piece, in characters (SentencePiece default 16)
 * @param maxSentenceBytes          input lines longer than this many UTF-8 bytes are skipped, as
 *                                  SentencePiece does (default 4192)
 * @param maxInputChars             stop reading after this many characters (whole lines), 0 = all
 * @param splitDigits               digits are never merged with anything
 * @param allowWhitespaceOnlyPieces runs of ▁ may form pieces of their own
 * @param byteFallback              add the 256 byte pieces {@code <0x00>..<0xFF>} after the specials
 * @param addDummyPrefix            the normalizer puts ▁ before every line
 * @param removeExtraWhitespaces    the normalizer trims lines and collapses runs of spaces
 */
public record BpeTrainerConfig(int vocabSize, float characterCoverage, int maxPieceLength,
                               int maxSentenceBytes, long maxInputChars, boolean splitDigits,
                               boolean allowWhitespaceOnlyPieces, boolean byteFallback,
                               boolean addDummyPrefix, boolean removeExtraWhitespaces) {

    /** SentencePiece's max_sentencepiece_length default. */
    public static final int DEFAULT_MAX_PIECE_LENGTH = 16;
    /** SentencePiece's max_sentence_length default (bytes). */
    public static final int DEFAULT_MAX_SENTENCE_BYTES = 4192;
    /**
     * Positions are packed as (sentence, left, right) with 16 bits per index, as in
     * bpe_model_trainer.h EncodePos. A line of at most this many bytes normalizes to at most one
     * more character (the dummy prefix), so every index (0..0xFFFF) fits.
     */
    static final int MAX_WORD_CHARS = 0xFFFF;

    // Llama 2's special pieces and their ids (Meta's tokenizer.model, llama2.c tok512.model).
    public static final String UNK_PIECE = "<unk>";
    public static final String BOS_PIECE = "<s>";
    public static final String EOS_PIECE = "</s>";
    public static final int UNK_ID = 0;
    public static final int BOS_ID = 1;
    public static final int EOS_ID = 2;
    /** Number of special pieces before the byte pieces: unk, bos, eos. */
    public static final int SPECIAL_PIECES = 3;
    /** Number of byte-fallback pieces. */
    public static final int BYTE_PIECES = 256;

    public BpeTrainerConfig {
        if (!(characterCoverage > 0 && characterCoverage <= 1)) {
            throw new IllegalArgumentException("character coverage must be in (0, 1], got " + characterCoverage);
        }
        if (maxPieceLength < 1) {
            throw new IllegalArgumentException("max piece length must be at least 1, got " + maxPieceLength);
        }
        if (maxSentenceBytes < 1 || maxSentenceBytes > MAX_WORD_CHARS) {
            throw new IllegalArgumentException("max sentence length must be in 1.." + MAX_WORD_CHARS
                    + " bytes, got " + maxSentenceBytes);
        }
        if (maxInputChars < 0) {
            throw new IllegalArgumentException("max input chars must be 0 (all) or positive, got " + maxInputChars);
        }
        if (vocabSize < metaPieceCount(byteFallback) + 1) {
            throw new IllegalArgumentException("vocab size " + vocabSize + " is too small: the " + SPECIAL_PIECES
                    + " special pieces" + (byteFallback ? " and " + BYTE_PIECES + " byte pieces" : "")
                    + " come first, then at least one character");
        }
    }

    /** llama2.c's tok512 options (tinystories.py train_vocab) for a vocabulary of {@code vocabSize}. */
    public static BpeTrainerConfig llama2c(int vocabSize) {
        return new BpeTrainerConfig(vocabSize, 1.0f, DEFAULT_MAX_PIECE_LENGTH, DEFAULT_MAX_SENTENCE_BYTES, 0,
                true, true, true, true, true);
    }

    public BpeTrainerConfig withMaxInputChars(long maxChars) {
        return new BpeTrainerConfig(vocabSize, characterCoverage, maxPieceLength, maxSentenceBytes, maxChars,
                splitDigits, allowWhitespaceOnlyPieces, byteFallback, addDummyPrefix, removeExtraWhitespaces);
    }

    public BpeTrainerConfig withCharacterCoverage(float coverage) {
        return new BpeTrainerConfig(vocabSize, coverage, maxPieceLength, maxSentenceBytes, maxInputChars,
                splitDigits, allowWhitespaceOnlyPieces, byteFallback, addDummyPrefix, removeExtraWhitespaces);
    }

    /** Special pieces plus, with byte fallback, the 256 byte pieces. */
    public int metaPieceCount() {
        return metaPieceCount(byteFallback);
    }

    private static int metaPieceCount(boolean byteFallback) {
        return SPECIAL_PIECES + (byteFallback ? BYTE_PIECES : 0);
    }

    /** The training options to record in a written tokenizer.model. */
    public SentencePieceModelWriter.TrainerSpec trainerSpec(List<String> inputs) {
        return new SentencePieceModelWriter.TrainerSpec(inputs, characterCoverage, maxSentenceBytes, maxPieceLength,
                splitDigits, allowWhitespaceOnlyPieces);
    }

    /** The normalizer settings the text was prepared with (identity rule, spaces escaped as ▁). */
    public Vocabulary.Normalization normalization() {
        return new Vocabulary.Normalization(addDummyPrefix, removeExtraWhitespaces, true);
    }
}
