package io.llama2j.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * Everything a SentencePiece BPE tokenizer is made of, whatever file it came from: the pieces
 * with their scores and types, the special ids and the normalizer settings. Every reader
 * (tokenizer.model, tokenizer.bin, tokenizer.json, GGUF) produces one; {@link Tokenizer} is built
 * from it. The arrays are owned by the record (readers hand over fresh arrays).
 *
 * @param source        the file it was read from, for error messages
 * @param pieces        piece text, with '▁' (U+2581) standing for a space
 * @param scores        piece scores; BPE merges the adjacent pair whose concatenation scores highest
 * @param types         piece types
 * @param unkId         the one {@link PieceType#UNKNOWN} piece
 * @param bosId         beginning of sequence, or -1 when the vocabulary has none
 * @param eosId         end of sequence, or -1 when the vocabulary has none
 * @param normalization how text is prepared before BPE
 * @param byteFallback  unknown characters become {@code <0xNN>} byte pieces instead of UNK
 * @param unkSurface    the text UNK decodes to (SentencePiece's default is " ⁇ ")
 * @param addBos        whether the file asks for BOS by default (GGUF {@code add_bos_token})
 */
public record Vocabulary(String source, String[] pieces, float[] scores, PieceType[] types,
                         int unkId, int bosId, int eosId, Normalization normalization,
                         boolean byteFallback, String unkSurface, boolean addBos) {

    /** SentencePiece's default {@code unk_surface} (trainer_spec field 44): " ⁇ ". */
    public static final String DEFAULT_UNK_SURFACE = " \u2047 ";

    /** Number of {@code <0xNN>} pieces a byte-fallback vocabulary must have. */
    static final int BYTE_PIECES = 256;

    /**
     * SentencePiece's NormalizerSpec flags (only the identity character mapping is supported,
     * which is what Llama 2 uses).
     *
     * @param addDummyPrefix         prepend '▁' so that a word at the start looks like one after a space
     * @param removeExtraWhitespaces drop leading and trailing spaces, collapse runs of spaces
     * @param escapeWhitespaces      write spaces as '▁'
     */
    public record Normalization(boolean addDummyPrefix, boolean removeExtraWhitespaces,
                                boolean escapeWhitespaces) {
        /** Llama 2's tokenizer.model: identity, add_dummy_prefix=1, remove_extra_whitespaces=0. */
        public static final Normalization LLAMA = new Normalization(true, false, true);
    }

    public Vocabulary {
        if (pieces.length == 0) {
            throw new TokenizerFormatException(source + ": the vocabulary is empty");
        }
        if (scores.length != pieces.length || types.length != pieces.length) {
            throw new TokenizerFormatException(source + ": " + pieces.length + " pieces but "
                    + scores.length + " scores and " + types.length + " types");
        }
        Map<String, Integer> normalGroup = new HashMap<>();
        Map<String, Integer> reservedGroup = new HashMap<>();
        int unknownCount = 0;
        int byteCount = 0;
        for (int id = 0; id < pieces.length; id++) {
            String piece = pieces[id];
            if (piece == null || piece.isEmpty()) {
                throw new TokenizerFormatException(source + ": piece " + id + " is empty");
            }
            if (Float.isNaN(scores[id])) {
                throw new TokenizerFormatException(source + ": piece " + id + " (" + piece + ") has score NaN");
            }
            if (types[id] == null) {
                throw new TokenizerFormatException(source + ": piece " + id + " has no type");
            }
            // SentencePiece keeps two maps (model_interface.cc): pieces BPE can produce, and the rest.
            Map<String, Integer> group = producibleByBpe(types[id]) ? normalGroup : reservedGroup;
            Integer previous = group.putIfAbsent(piece, id);
            if (previous != null) {
                throw new TokenizerFormatException(source + ": piece \"" + piece + "\" is defined twice (ids "
                        + previous + " and " + id + ")");
            }
            if (types[id] == PieceType.UNKNOWN) unknownCount++;
            if (types[id] == PieceType.BYTE) {
                if (!byteFallback) {
                    throw new TokenizerFormatException(source + ": byte piece " + id + " (" + piece
                            + ") in a vocabulary without byte_fallback");
                }
                if (byteValue(piece) < 0) {
                    throw new TokenizerFormatException(source + ": byte piece " + id + " is \"" + piece
                            + "\", expected <0xNN> with two upper-case hex digits");
                }
                byteCount++;
            }
        }
        if (unknownCount != 1) {
            throw new TokenizerFormatException(source + ": expected exactly one unknown piece, found " + unknownCount);
        }
        if (unkId < 0 || unkId >= pieces.length || types[unkId] != PieceType.UNKNOWN) {
            throw new TokenizerFormatException(source + ": unk id " + unkId + " is not the unknown piece");
        }
        requireIdOrAbsent(source, "bos", bosId, pieces.length);
        requireIdOrAbsent(source, "eos", eosId, pieces.length);
        if (byteFallback && byteCount != BYTE_PIECES) {
            throw new TokenizerFormatException(source + ": byte_fallback needs the " + BYTE_PIECES
                    + " pieces <0x00>..<0xFF>, found " + byteCount);
        }
        if (normalization == null) {
            throw new TokenizerFormatException(source + ": no normalization settings");
        }
        if (unkSurface == null) unkSurface = DEFAULT_UNK_SURFACE;
    }

    private static void requireIdOrAbsent(String source, String name, int id, int size) {
        if (id < -1 || id >= size) {
            throw new TokenizerFormatException(source + ": " + name + " id " + id + " is outside the vocabulary (size "
                    + size + ")");
        }
    }

    public int size() {
        return pieces.length;
    }

    /** Pieces that BPE merges may produce (SentencePiece's {@code pieces_} map); the others are reserved. */
    static boolean producibleByBpe(PieceType type) {
        return type == PieceType.NORMAL || type == PieceType.USER_DEFINED || type == PieceType.UNUSED;
    }

    /** The byte a {@code <0xNN>} piece stands for, or -1 when {@code piece} is not one. */
    static int byteValue(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') return -1;
        int hi = Character.digit(piece.charAt(3), 16);
        int lo = Character.digit(piece.charAt(4), 16);
        if (hi < 0 || lo < 0 || Character.isLowerCase(piece.charAt(3)) || Character.isLowerCase(piece.charAt(4))) {
            return -1;
        }
        return hi * 16 + lo;
    }

    /** The piece text of byte {@code b}: {@code <0x0A>} for 10. */
    static String bytePiece(int b) {
        return String.format("<0x%02X>", b);
    }
}
