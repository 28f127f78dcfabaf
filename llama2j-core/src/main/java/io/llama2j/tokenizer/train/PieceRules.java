package io.llama2j.tokenizer.train;

/**
 * Which character sequences may become a piece: TrainerInterface::IsValidSentencePiece
 * (trainer_interface.cc, v0.1.97) with whitespace as a prefix and splitting by whitespace,
 * Unicode script and number on, as in every Llama 2 tokenizer.
 *
 * <ul>
 *   <li>1 to max_sentencepiece_length characters; no unknown (U+2585), NUL, tab, space or
 *       non-scalar code point;</li>
 *   <li>▁ only at the start, unless the whole piece is ▁ and whitespace-only pieces are allowed;</li>
 *   <li>one Unicode script per piece (▁ has none; Hiragana and Katakana count as Han; combining
 *       marks take the script before them); Common (punctuation, digits) is a script too, so
 *       "a." is not a piece;</li>
 *   <li>with split_digits, a digit 0-9 or ０-９ only as a piece of its own.</li>
 * </ul>
 */
final class PieceRules {
    private static final int KATAKANA_LONG_VOWEL = 0x30FC;

    private final int maxPieceLength;
    private final boolean splitDigits;
    private final boolean allowWhitespaceOnlyPieces;

    PieceRules(BpeTrainerConfig config) {
        this.maxPieceLength = config.maxPieceLength();
        this.splitDigits = config.splitDigits();
        this.allowWhitespaceOnlyPieces = config.allowWhitespaceOnlyPieces();
    }

    boolean isValid(int[] piece) {
        if (piece.length == 0 || piece.length > maxPieceLength) {
            return false;
        }
        boolean allWhitespace = true;
        for (int c : piece) {
            allWhitespace &= c == TrainingCorpus.SPACE_SYMBOL;
        }
        Character.UnicodeScript previous = null; // null: no script seen yet (SentencePiece's kAnyType)
        for (int pos = 0; pos < piece.length; pos++) {
            int c = piece[pos];
            if (c == TrainingCorpus.UNKNOWN_CHAR || c == 0 || c == TrainingCorpus.BOUNDARY_CHAR || c == ' '
                    || !TrainingCorpus.isValidCodepoint(c)) {
                return false;
            }
            if (c == TrainingCorpus.SPACE_SYMBOL) {
                if ((!allowWhitespaceOnlyPieces || !allWhitespace) && pos > 0) {
                    return false;
                }
                continue;
            }
            Character.UnicodeScript script = scriptOf(c);
            if (script == Character.UnicodeScript.INHERITED) {
                script = previous;
            }
            if (splitDigits && isDecimalDigit(c) && piece.length > 1) {
                return false;
            }
            if (script != null && previous != null && previous != script) {
                return false;
            }
            previous = script;
        }
        return true;
    }

    private static Character.UnicodeScript scriptOf(int c) {
        Character.UnicodeScript s = Character.UnicodeScript.of(c);
        if (s == Character.UnicodeScript.HIRAGANA || s == Character.UnicodeScript.KATAKANA
                || c == KATAKANA_LONG_VOWEL) {
            return Character.UnicodeScript.HAN;
        }
        // SentencePiece's script table answers Common for code points it does not list.
        return s == Character.UnicodeScript.UNKNOWN ? Character.UnicodeScript.COMMON : s;
    }

    /** trainer_interface.cc is_unicode_decimal_number: ASCII and full-width digits. */
    private static boolean isDecimalDigit(int c) {
        return (c >= '0' && c <= '9') || (c >= 0xFF10 && c <= 0xFF19);
    }
}
